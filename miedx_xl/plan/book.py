"""The plan as one readable workbook: one sheet per table, Japanese headers."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from miedx_xl.plan.columns import schedule_column, status_column
from miedx_xl.plan.model import Plan
from miedx_xl.xlsx.sheets import landscape_a4, save_atomic, write_table


def policy_text(policy: tuple[int, ...]) -> str:
    """基本方針 as printed in the report: `1,2,3`."""
    return ",".join(str(p) for p in policy)


def write_plan_book(plan: Plan, path: Path) -> Path:
    """Write the plan's tables to `path` (xlsx); return the path."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "計画"
    write_table(
        ws,
        ["項目", "内容"],
        [
            ["計画名", plan.name],
            ["策定", plan.established],
            ["計画期間", f"{plan.first_fy.label_ja()}～{plan.last_fy.label_ja()}"],
            ["報告年度", plan.report_fy.label_ja()],
            ["個別取組数", len(plan.areas)],
            ["取組数", int(plan.numbered()["no"].nunique())],
            ["指標数", int(plan.indicators["id"].nunique())],
        ],
        widths=[16, 60],
    )
    years = plan.fiscal_years
    area_cols = [c for c in plan.areas.columns if c.startswith(("lead_", "headline_"))]
    write_table(
        wb.create_sheet("個別取組"),
        ["番号", "個別取組", *[_area_label(c) for c in area_cols]],
        [[int(r["no"]), r["title"], *[r[c] for c in area_cols]] for _, r in plan.areas.iterrows()],
        widths=[6, 40, *[60] * len(area_cols)],
    )
    write_table(
        wb.create_sheet("取組概要"),
        ["個別取組", "主体", "①現状・課題", "②本計画での取組概要"],
        plan.overviews[["area", "actor", "current", "approach"]].itertuples(index=False),
        widths=[8, 16, 80, 80],
    )
    statuses = plan.status_years()
    ws = wb.create_sheet("取組")
    last = write_table(
        ws,
        [
            "NO",
            "個別取組",
            "主体",
            "基本方針",
            "取組内容",
            "担当課",
            "再掲元NO",
            *[f"スケジュール {fy}（推定）" for fy in years],
            *[f"取組状況（{fy}までの取組）" for fy in statuses],
        ],
        (
            [
                int(r["no"]),
                int(r["area"]),
                r["actor"],
                policy_text(r["policy"]),
                r["title"],
                r["division"],
                (f"{r['relisted_of']}（参考）" if r["reference"] else r["relisted_of"]) or None,
                *[r[schedule_column(fy)] for fy in years],
                *[r[status_column(fy)] for fy in statuses],
            ]
            for _, r in plan.measures.iterrows()
        ),
        widths=[5, 8, 14, 8, 40, 18, 9, *[11] * len(years), *[70] * len(statuses)],
    )
    landscape_a4(ws, "1:1")
    ws.auto_filter.ref = f"A1:{ws.cell(row=last, column=ws.max_column).coordinate}"
    write_table(
        wb.create_sheet("指標"),
        ["指標ID", "指標名", "単位", "個別取組", "取組NO", "時点", "年度", "値", "概数", "出典"],
        (
            [
                r["id"],
                r["name"],
                r["unit"],
                r["area"],
                r["measure"] or None,
                r["period"],
                r["fy"],
                r["value"],
                "約" if r["approx"] else "",
                r["source"],
            ]
            for _, r in plan.indicators.iterrows()
        ),
        widths=[30, 50, 8, 8, 8, 12, 6, 12, 6, 50],
    )
    write_table(
        wb.create_sheet("RPA業務"),
        ["年度", "所属", "業務"],
        plan.rpa_tasks[["fy", "division", "task"]].itertuples(index=False),
        widths=[6, 30, 60],
    )
    save_atomic(wb, path)
    return path


def _area_label(col: str) -> str:
    kind, fy = col.split("_", 1)
    return f"{'リード文' if kind == 'lead' else '主な成果'}（{fy}）"
