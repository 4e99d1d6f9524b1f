"""Reading a master workbook back into a plan, so that next year's forms come from it."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import python_calamine as pc
from openpyxl.utils import get_column_letter

from miedx_xl.errors import MasterError, PlanError
from miedx_xl.form.guard import sheet_parts
from miedx_xl.form.layout import label_key
from miedx_xl.form.read import header_row
from miedx_xl.form.source import core_properties
from miedx_xl.master.figures import parse_measure_mark
from miedx_xl.master.layout import (
    FY_LABEL,
    INDICATOR_SHEET,
    MARK_LABEL,
    PLAN_ID_LABEL,
    PROGRESS_SHEET,
    REFERENCE_MARK,
    RELISTED_MARK,
    SUMMARY_SHEET,
    period_of_label,
)
from miedx_xl.normalize import (
    FiscalYear,
    cell_text,
    is_number,
    nfkc,
    parse_fiscal_year,
    parse_number,
)
from miedx_xl.plan.changes import apply_changes, apply_renames, read_beside
from miedx_xl.plan.columns import Kind, schedule_column, year_column
from miedx_xl.plan.model import (
    ACTOR_HEADINGS,
    LIFECYCLE_DEFAULTS,
    Plan,
    load_plan,
    period_fiscal_year,
)
from miedx_xl.plan.schema import validate_plan

CREATOR = "miedx_xl"
"""The author written into every workbook we write (docProps/core.xml)."""


def is_master_file(path: Path) -> bool:
    """True when `path` is a master workbook written by `write_master` (its sheets and
    author say so), so that writing a new master over it is allowed (after a backup)."""
    try:
        with zipfile.ZipFile(path) as zf:
            sheets = set(sheet_parts(zf))
            props = core_properties(zf)
    except (OSError, zipfile.BadZipFile, ValueError, RuntimeError):
        return False
    needed = {SUMMARY_SHEET, PROGRESS_SHEET, INDICATOR_SHEET}
    return needed <= sheets and props.get("creator") == CREATOR


def read_master_plan(path: Path, beside: bool = True) -> Plan:
    """Read a master workbook back into a plan (measures, statuses, indicator values).

    With `beside`, the secretariat's `改称.csv` and `取組の追加・終了.csv` next to the master
    (plan.changes) are applied: renames before the measures are read, so a division's new
    name finds its key, and measure changes after.
    """
    try:
        book = pc.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own types for every kind of bad file
        raise MasterError(f"{path.name} を取りまとめ表として開けません（{exc}）。") from exc
    missing = [
        s for s in (SUMMARY_SHEET, PROGRESS_SHEET, INDICATOR_SHEET) if s not in book.sheet_names
    ]
    if missing:
        raise MasterError(
            f"{path.name} は取りまとめ表ではありません"
            f"（シート「{'」「'.join(missing)}」がありません）。"
        )

    def rows(sheet: str) -> list[list[Any]]:
        values: list[list[Any]] = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        return values

    summary = rows(SUMMARY_SHEET)
    facts = {nfkc(cell_text(r[0])): r[1] for r in summary if len(r) > 1 and cell_text(r[0])}
    plan_id = cell_text(facts.get(PLAN_ID_LABEL)).strip()
    fy = parse_fiscal_year(facts.get(FY_LABEL)).value
    if not plan_id or fy is None:
        raise MasterError(
            f"{path.name} は取りまとめ表ではありません（「{SUMMARY_SHEET}」シートに"
            f"「{PLAN_ID_LABEL}」「{FY_LABEL}」がありません）。"
        )
    base = load_plan()
    renames, changes = read_beside(path) if beside else ([], [])
    if plan_id != base.id:
        raise MasterError(
            f"{path.name} の計画ID「{plan_id}」は組み込みの計画「{base.id}」と異なるため"
            "読み込めません。"
        )
    base = apply_renames(base, renames)
    plan = replace(
        base,
        report_fy=fy,
        areas=_read_areas(summary, base, fy),
        measures=_read_measures(rows(PROGRESS_SHEET), base, fy),
        indicators=_read_indicators(rows(INDICATOR_SHEET), base),
    )
    try:
        validate_plan(plan)
        plan = apply_changes(plan, changes)
    except PlanError as exc:
        raise MasterError(f"{path.name} の内容が計画として整合しません: {exc}") from exc
    return plan


def _find_header(
    rows: list[list[Any]], sheet: str, required: Iterable[str], scan: int = 10
) -> tuple[int, dict[str, int]]:
    """Row index of the header row and the column index of every label in it (by
    `label_key`: NFKC, without spaces)."""
    wanted = {label_key(x): x for x in required}
    i, found = header_row(rows, wanted, scan)
    if i >= 0 and len(found) == len(wanted):
        return i, {label_key(cell_text(v)): c for c, v in enumerate(rows[i]) if cell_text(v)}
    raise MasterError(f"「{sheet}」シートに見出し「{'」「'.join(required)}」の行がありません。")


def _at(r: list[Any], c: int | None) -> Any:
    return r[c] if c is not None and c < len(r) else None


def _read_areas(summary: list[list[Any]], base: Plan, fy: FiscalYear) -> pd.DataFrame:
    i, cols = _find_header(summary, SUMMARY_SHEET, ["番号", "個別取組"])
    lead = cols.get(nfkc(f"リード文（{fy}）"))
    head = cols.get(nfkc(f"主な成果（{fy}）"))
    areas = base.areas.copy()
    for r in summary[i + 1 :]:
        m = re.match(r"^\((\d+)\)$", nfkc(cell_text(_at(r, cols["番号"]))))
        if not m:
            break
        mask = areas["no"] == int(m[1])
        for key, c in ((f"lead_{fy}", lead), (f"headline_{fy}", head)):
            text = cell_text(_at(r, c))
            if text:
                if key not in areas.columns:
                    areas[key] = pd.Series([None] * len(areas), dtype=object)
                areas.loc[mask, key] = text
    return areas


_HEADINGS = {nfkc(text): actor for actor, text in ACTOR_HEADINGS.items()}
_YEAR_COLUMN = re.compile(
    r"^(変更前の予定|予定|スケジュール|取組状況|自己評価|課題・今後の方向性)\(?(R\d+)"
)
_KINDS: dict[str, Kind] = {
    "変更前の予定": "planned",
    "予定": "schedule",
    "スケジュール": "schedule",
    "取組状況": "status",
    "自己評価": "assessment",
    "課題・今後の方向性": "issues",
}


def _read_measures(rows: list[list[Any]], base: Plan, fy: FiscalYear) -> pd.DataFrame:
    i, cols = _find_header(rows, PROGRESS_SHEET, ["NO", "基本方針", "取組内容", "担当課"])
    year_cols: dict[str, int] = {}
    inferred = False
    for label, c in cols.items():
        if m := _YEAR_COLUMN.match(label):
            fy_of_column = parse_fiscal_year(m[2]).value
            if fy_of_column is None:
                continue
            kind = _KINDS[m[1]]
            year_cols[year_column(kind, fy_of_column)] = c
            inferred |= kind == "schedule" and "推定" in label
    found: list[dict[str, Any]] = []
    area: int | None = None
    actor: str | None = None
    reference = False
    for n, r in enumerate(rows[i + 1 :], start=i + 2):
        # Headings are merged across the row: their text sits in column A.
        first = _at(r, cols["NO"])
        if isinstance(_at(r, 0), str) and not is_number(first):
            text = nfkc(r[0])
            if m := re.match(r"^\((\d+)\)", text):
                area, actor, reference = int(m[1]), None, False
            elif text.startswith("■"):
                reference = text.endswith(nfkc(REFERENCE_MARK))
                heading = text.removesuffix(nfkc(REFERENCE_MARK)) if reference else text
                actor = _HEADINGS.get(heading, heading.removeprefix("■").removesuffix("の取組"))
            continue
        if not is_number(first):
            continue
        if area is None or actor is None:
            raise MasterError(
                f"「{PROGRESS_SHEET}」シートの {n} 行目の取組に個別取組・主体の見出しがありません。"
            )
        title = cell_text(_at(r, cols["取組内容"]))
        relisted = nfkc(title).endswith(nfkc(RELISTED_MARK))
        if relisted:
            title = title[: -len(RELISTED_MARK)]
        name = cell_text(_at(r, cols["担当課"]))
        rec: dict[str, Any] = {
            "no": int(first),
            "area": area,
            "actor": actor,
            "policy": tuple(
                sorted(
                    {int(d) for d in re.findall(r"\d", nfkc(cell_text(_at(r, cols["基本方針"]))))}
                )
            ),
            "title": title,
            "division": base.division_key(name, fy) or name,
            "relisted_of": -1 if relisted else 0,
            "reference": reference,
            "order": len(found) + 1,
        }
        for key, c in year_cols.items():
            rec[key] = cell_text(_at(r, c))
        rec.update(LIFECYCLE_DEFAULTS)
        rec.update(parse_measure_mark(cell_text(_at(r, cols.get(MARK_LABEL)))))
        years = [schedule_column(y) for y in base.fiscal_years]
        words = [rec.get(k, "") for k in years]
        rec["schedule_printed"] = tuple(
            w for j, w in enumerate(words) if w and (j == 0 or words[j - 1] != w)
        )
        rec["schedule_inferred"] = inferred
        found.append(rec)
    if not found:
        raise MasterError(f"「{PROGRESS_SHEET}」シートに取組の行がありません。")
    for rec in found:
        if rec["relisted_of"] != -1:
            continue
        if rec["reference"]:
            rec["relisted_of"] = rec["no"]
            continue
        same = [o["no"] for o in found if o["relisted_of"] == 0 and o["title"] == rec["title"]]
        known = base.measures[
            (base.measures["no"] == rec["no"]) & (base.measures["area"] == rec["area"])
        ]
        rec["relisted_of"] = (
            same[0] if same else (int(known["relisted_of"].iloc[0]) if len(known) else 0)
        )
    frame = pd.DataFrame.from_records(found)
    for y in base.fiscal_years:
        if schedule_column(y) not in frame:
            frame[schedule_column(y)] = ""
    return frame


def _read_indicators(rows: list[list[Any]], base: Plan) -> pd.DataFrame:
    i, cols = _find_header(rows, INDICATOR_SHEET, ["指標ID", "指標名", "単位"])
    periods = {c: p for label, c in cols.items() if (p := period_of_label(label)) is not None}
    known = {(str(r.id), str(r.period)): r for r in base.indicators.itertuples()}
    sources = dict(zip(base.indicators["id"], base.indicators["source"], strict=True))
    records: list[dict[str, Any]] = []
    for n, r in enumerate(rows[i + 1 :], start=i + 2):
        ind_id = cell_text(_at(r, cols["指標ID"])).strip()
        if not ind_id:
            break
        notes = _notes(cell_text(_at(r, cols.get("備考"))))
        area = re.match(r"^\((\d+)\)$", nfkc(cell_text(_at(r, cols.get("個別取組")))))
        measure = parse_number(_at(r, cols.get("取組NO"))).value
        for c, period in sorted(periods.items()):
            raw = _at(r, c)
            if not cell_text(raw).strip():
                continue
            parsed = parse_number(raw)
            if parsed.value is None:
                raise MasterError(
                    f"「{INDICATOR_SHEET}」シートの {get_column_letter(c + 1)}{n} の値"
                    f"「{cell_text(raw)}」を数値として読めません（{parsed.reason}）。"
                )
            prior = known.get((ind_id, period))
            records.append(
                {
                    "id": ind_id,
                    "name": cell_text(_at(r, cols["指標名"])),
                    "unit": cell_text(_at(r, cols["単位"])),
                    "area": int(area[1]) if area else 0,
                    "measure": int(measure.value) if measure else 0,
                    "period": period,
                    "fy": str(period_fiscal_year(period)),
                    "value": parsed.value.value,
                    "approx": parsed.value.approx or bool(prior is not None and prior.approx),
                    "note": notes.get(period, ""),
                    "source": sources.get(ind_id, ""),
                }
            )
    return pd.DataFrame.from_records(records)


def _notes(text: str) -> dict[str, str]:
    """Per-period notes from the 備考 cell: one `<period heading>：<note>` per line."""
    out: dict[str, str] = {}
    last: str | None = None
    for line in text.split("\n"):
        label, sep, note = line.partition("：")
        period = period_of_label(label) if sep else None
        if period is not None:
            out[period] = note
            last = period
        elif last is not None:
            out[last] += "\n" + line  # a note that itself spans lines
    return out
