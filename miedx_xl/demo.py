"""`miedx-xl demo`: the whole R3 cycle on the built-in plan, from forms to master and PDF,
then R4 on the invented example input (架空の入力例) with its 前年度比較."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from miedx_xl.consolidation import Consolidation, consolidate
from miedx_xl.form.layout import form_file_name
from miedx_xl.form.write import fill_form, make_forms
from miedx_xl.normalize import FiscalYear
from miedx_xl.plan.columns import status_column
from miedx_xl.plan.model import Plan, load_plan

if TYPE_CHECKING:
    from miedx_xl.report import ReportFiles

DEMO_FY = FiscalYear(3)
NEXT_FY = FiscalYear(4)
"""The year the demo runs after R3, on the invented example input (cycle.example_year)."""
RPA_MEASURE = 1
"""NO 1 (ＡＩ・ＲＰＡ等の新たな技術の導入): its division reports the RPA register."""


@dataclass
class DemoSummary:
    """What the demo wrote and what consolidation found."""

    out_dir: Path
    forms: list[Path]
    returned: list[Path]
    result: Consolidation
    master: Path | None = None
    pdf: Path | None = None
    report: ReportFiles | None = None
    next_result: Consolidation | None = None
    """R4 on the invented example input (None when the demo ran R3 only)."""
    next_master: Path | None = None
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        """A short Japanese summary for the terminal."""
        plan = self.result.plan
        measures = plan.numbered()["no"].nunique()
        indicators = plan.indicators["id"].nunique()
        lines = [
            f"{plan.name}: 個別取組 {len(plan.areas)} 件、取組 {measures} 件、指標 {indicators} 件",
            f"様式 {len(self.forms)} 件を作成し、記入済み {len(self.returned)} 件を"
            "取りまとめました。",
            self.result.summary_ja(),
        ]
        for label, path in (("取りまとめ表", self.master), ("PDF", self.pdf)):
            if path is not None:
                lines.append(f"  {label}: {path}")
        if self.report is not None:
            lines.append(f"  報告書（{self.report.seconds['total']:.1f} 秒）:")
            lines.extend(f"    {p}" for p in self.report.paths() if p != self.pdf)
        if self.next_result is not None and self.next_master is not None:
            lines.append(f"続けて{NEXT_FY.label_ja()}を架空の入力例で取りまとめました。")
            lines.append(self.next_result.summary_ja())
            lines.append(f"  取りまとめ表（前年度比較つき）: {self.next_master}")
        lines.extend(f"  {n}" for n in self.notes)
        return "\n".join(lines)


def report_inputs(plan: Plan, fy: FiscalYear, key: str) -> dict[str, Any]:
    """What division `key` would type for `fy`, taken from the report (nothing invented)."""
    own = plan.own_measures(key)
    statuses: dict[int, dict[str, Any]] = {}
    for _, r in own.iterrows():
        # Schedules come pre-filled in the form; the report gives no self-assessment.
        text = r.get(status_column(fy))
        statuses[int(r["no"])] = {status_column(fy): text} if isinstance(text, str) else {}
    ind = plan.indicators[plan.indicators["fy"] == str(fy)]
    ind = ind[ind["measure"].isin(set(own["no"])) & ~ind["id"].str.endswith("_reported")]
    indicators = {
        row["id"]: {
            "value": row["value"],
            "as_of": row["period"] if row["period"] != str(fy) else None,
            "note": row["note"] or None,
        }
        for _, row in ind.iterrows()
    }
    rpa: list[dict[str, Any]] = []
    if RPA_MEASURE in set(own["no"]):
        tasks = plan.rpa_tasks[plan.rpa_tasks["fy"] == str(fy)]
        # The report gives hours only as totals (指標 sheet): the task rows carry none.
        rpa = [
            {"division": t, "task": k}
            for t, k in zip(tasks["division"], tasks["task"], strict=True)
        ]
    return {"statuses": statuses, "indicators": indicators, "rpa": rpa}


def run_demo(
    out_dir: Path,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
    next_year: bool = True,
) -> DemoSummary:
    """Forms for R3, filled with the report's content, consolidated into the master, and its
    report (slides, document, open data, and the PDFs where LibreOffice is installed); with
    `next_year`, R4 after it on the invented example input (`cycle.example_year`)."""
    from miedx_xl.errors import OfficeError
    from miedx_xl.master.write import write_master
    from miedx_xl.report import write_report_files
    from miedx_xl.xlsx.office import soffice_path

    plan = load_plan()
    now = now or datetime.now(UTC)
    forms = make_forms(plan, DEMO_FY, out_dir / "様式" / str(DEMO_FY), now=now)
    returned_dir = out_dir / "返送"
    returned = []
    for key, form in zip(plan.divisions(), forms, strict=True):
        target = returned_dir / form_file_name(DEMO_FY, plan.division_name(key, DEMO_FY))
        returned.append(fill_form(form, target, **report_inputs(plan, DEMO_FY, key)))
    result = consolidate(
        returned_dir, DEMO_FY, plan, archive=out_dir / "取りまとめ履歴", progress=progress, now=now
    )
    summary = DemoSummary(out_dir, forms, returned, result)
    summary.master = write_master(result, out_dir / f"進捗管理表_{DEMO_FY}.xlsx")
    if next_year:
        from miedx_xl.cycle import example_year

        summary.next_result, summary.next_master = example_year(
            summary.master, out_dir, NEXT_FY, now=now
        )
    report_dir = out_dir / "報告書"
    if soffice_path() is None:
        summary.report = write_report_files(summary.master, report_dir, pdf=False)
        summary.notes.append("LibreOffice がないため PDF は作成していません。")
    else:
        try:
            summary.report = write_report_files(summary.master, report_dir)
            summary.pdf = summary.report.pdf
        except OfficeError as exc:
            summary.notes.append(str(exc))
    return summary
