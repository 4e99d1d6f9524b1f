"""The report of a master workbook: 資料２ (pptx), 資料２－２ (docx), 資料２－２－１ and the
combined PDF, and the open data (CSV)."""

from __future__ import annotations

import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

from miedx_xl.errors import MasterError, OfficeError
from miedx_xl.master.read import is_master_file, read_master_plan
from miedx_xl.normalize import FiscalYear
from miedx_xl.plan.model import Plan
from miedx_xl.report.memo import write_memo
from miedx_xl.report.opendata import indicator_records, progress_records, write_csv
from miedx_xl.report.pdf import copy_into, join_pdfs, to_pdf
from miedx_xl.report.slides import write_slides
from miedx_xl.report.style import DEPARTMENT, MEMO_NO, SLIDES_NO, TABLES_NO
from miedx_xl.report.tables import write_tables
from miedx_xl.xlsx.office import convert


@dataclass
class ReportFiles:
    """What `write_report_files` wrote, and how long it took."""

    slides: Path
    memo: Path
    progress_csv: Path
    indicators_csv: Path
    tables_pdf: Path | None = None
    pdf: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def paths(self) -> list[Path]:
        """Every file written, in the order of the report."""
        found = [self.slides, self.memo, self.tables_pdf, self.pdf]
        return [p for p in (*found, self.progress_csv, self.indicators_csv) if p is not None]


def report_date(plan: Plan, fy: FiscalYear) -> date:
    """The date of 資料２－２: the built-in report's own date for its year, else today."""
    ref = resources.files("miedx_xl.plan") / "data" / "plan.toml"
    with ref.open("rb") as fh:
        meta = tomllib.load(fh)
    if str(fy) == str(meta.get("report_fy")) and meta.get("report_date"):
        return date.fromisoformat(str(meta["report_date"]))
    return date.today()


def _require_master(master: Path, what: str) -> None:
    if not is_master_file(master):
        raise MasterError(
            f"「{master.name}」は取りまとめ結果（このツールが書いたマスターブック）ではないため、"
            f"{what}にしません。取りまとめ結果のファイルを指定してください。"
        )


def _master_plan(master: Path) -> Plan:
    _require_master(master, "報告書")
    return read_master_plan(master)


def write_report_files(
    master: Path,
    out_dir: Path,
    pdf: bool = True,
    day: date | None = None,
    department: str = DEPARTMENT,
    memo_template: Path | None = None,
) -> ReportFiles:
    """Write the report of `master` into `out_dir`: 資料２_<fy>.pptx, 資料２－２_<fy>.docx,
    the CSVs, and (with `pdf`, through LibreOffice) 資料２－２－１_<fy>.pdf and 報告書_<fy>.pdf;
    資料２－２ takes the styles of `memo_template` (an earlier 資料２－２ restyled in Word)."""
    clock = time.perf_counter()
    plan = _master_plan(master)
    fy = plan.report_fy
    out_dir.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {"read": time.perf_counter() - clock}
    mark = time.perf_counter()
    files = ReportFiles(
        slides=write_slides(plan, fy, out_dir / f"{SLIDES_NO}_{fy}.pptx"),
        memo=write_memo(
            plan,
            fy,
            day or report_date(plan, fy),
            department,
            out_dir / f"{MEMO_NO}_{fy}.docx",
            template=memo_template,
        ),
        progress_csv=write_csv(progress_records(plan, fy), out_dir / f"進捗管理表_{fy}.csv"),
        indicators_csv=write_csv(indicator_records(plan), out_dir / f"指標_{fy}.csv"),
    )
    seconds["files"] = time.perf_counter() - mark
    if pdf:
        mark = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="miedx-report-") as tmp:
            work = Path(tmp)
            tables = write_tables(plan, fy, work / f"{TABLES_NO}_{fy}.docx")
            try:
                made = to_pdf([files.slides, files.memo, tables], work / "pdf")
            except OfficeError as exc:
                raise OfficeError(
                    f"{exc}（編集用の {files.slides.name}・{files.memo.name} と CSV は"
                    f" {out_dir} に書き出しました）"
                ) from exc
            files.tables_pdf = copy_into(made[2], out_dir / f"{TABLES_NO}_{fy}.pdf")
            files.pdf = join_pdfs(made, out_dir / f"報告書_{fy}.pdf")
        seconds["pdf"] = time.perf_counter() - mark
    seconds["total"] = time.perf_counter() - clock
    files.seconds = seconds
    return files


def write_report_pdf(master: Path, pdf: Path) -> Path:
    """The combined report PDF of `master` (資料２, ２－２, ２－２－１ in one A4 file) at `pdf`."""
    plan = _master_plan(master)
    fy = plan.report_fy
    with tempfile.TemporaryDirectory(prefix="miedx-report-") as tmp:
        work = Path(tmp)
        slides = write_slides(plan, fy, work / f"{SLIDES_NO}_{fy}.pptx")
        memo = write_memo(
            plan, fy, report_date(plan, fy), DEPARTMENT, work / f"{MEMO_NO}_{fy}.docx"
        )
        tables = write_tables(plan, fy, work / f"{TABLES_NO}_{fy}.docx")
        made = to_pdf([slides, memo, tables], work / "pdf")
        return join_pdfs(made, pdf)


def write_report(master: Path, pdf: Path) -> Path:
    """The master workbook printed as it is (A4 landscape from its print set-up) at `pdf`;
    the report itself is `write_report_pdf` / `write_report_files`."""
    _require_master(master, "PDF ")
    with tempfile.TemporaryDirectory(prefix="miedx-pdf-") as tmp:
        (made,) = convert([master], Path(tmp), to="pdf")
        return copy_into(made, pdf)
