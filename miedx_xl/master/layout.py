"""The master workbook's sheets, rows and labels, shared by its writer and its reader.

Reading finds sheets by name and columns by these labels, so what the writer prints and what
the reader looks for cannot drift apart.
"""

from __future__ import annotations

import re

from miedx_xl.normalize import nfkc, parse_fiscal_year
from miedx_xl.plan.model import period_fiscal_year

SUMMARY_SHEET = "概要"
PROGRESS_SHEET = "進捗管理表"
INDICATOR_SHEET = "指標"
SUBMISSION_SHEET = "提出状況"
FINDING_SHEET = "チェック結果"
YEAR_OVER_YEAR_SHEET = "前年度比較"
"""The sheet of `figures.year_over_year` (not read back: it is computed from the others)."""
DATA_SHEET = "データ"
"""The progress table flat, for open data (the 進捗管理表 keeps its merged bands for reading)."""
MASTER_SHEETS = (
    SUMMARY_SHEET,
    PROGRESS_SHEET,
    YEAR_OVER_YEAR_SHEET,
    INDICATOR_SHEET,
    SUBMISSION_SHEET,
    FINDING_SHEET,
    DATA_SHEET,
)

TITLE_ROW = 1
"""Row of each master sheet's title."""
TABLE_HEADER_ROW = 2
"""Row of each master sheet's column headings (a form's are on form.layout.HEADER_ROW)."""
PRINT_TITLES = f"{TITLE_ROW}:{TABLE_HEADER_ROW}"
RELISTED_MARK = "（再掲）"
REFERENCE_MARK = "（参考）"
INFERRED_MARK = "（推定）"
SCHEDULE_LABEL = "予定"
"""Heading word of the schedule columns (スケジュール does not fit a column of phase words)."""
BLANK_ASSESSMENT = "未記入"
OTHER_ASSESSMENT = "その他"
MISSING_NOTE = "（値がないため、削減は計算していません）"
MARK_LABEL = "区分"
"""Heading of the progress table's column of 新規（R4）/ 終了（R4）/ 移動（…） marks."""
PLANNED_LABEL = "変更前の予定"
"""Heading word of the schedule before this year's report (`変更前の予定（R4）`)."""
PLAN_ID_LABEL = "計画ID"
FY_LABEL = "対象年度"
INDICATOR_FIXED = ("指標名", "単位")
INDICATOR_TAIL = ("備考", "個別取組", "取組NO", "指標ID")

RPA_BEFORE = "rpa_hours_before"
RPA_AFTER = "rpa_hours_after"
COPIES = "copies_per_month_digital_reform_division"
CARD_MIE = "mynumber_card_rate_mie"
CARD_NATIONAL = "mynumber_card_rate_national"

_FULL_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def area_label(no: int) -> str:
    """An area's number as printed in the report: 1 -> （１）."""
    return f"（{str(no).translate(_FULL_DIGITS)}）"


def period_label(period: str) -> str:
    """A column heading for an indicator period: R3 -> R3年度, 2022-03-01 -> 2022年3月1日時点."""
    fy = parse_fiscal_year(period).value
    if fy is not None and period.upper().startswith("R"):
        return f"{fy}年度"
    parts = [int(p) for p in period.split("-")]
    if len(parts) == 3:
        return f"{parts[0]}年{parts[1]}月{parts[2]}日時点"
    return f"{parts[0]}年{parts[1]}月時点"


_PERIOD_FY = re.compile(r"^(R\d+)年度$")
_PERIOD_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(?:(\d{1,2})日)?時点$")


def period_of_label(label: str) -> str | None:
    """The indicator period a column heading stands for (None when it is no period)."""
    text = nfkc(label).replace(" ", "")
    if m := _PERIOD_FY.match(text):
        return m[1]
    if m := _PERIOD_DATE.match(text):
        year, month, day = m[1], int(m[2]), m[3]
        return f"{year}-{month:02d}" + (f"-{int(day):02d}" if day else "")
    return None


def period_key(period: str) -> tuple[int, int, str]:
    """Sort key of indicator periods: by fiscal year, the year's own value before dates."""
    is_fy = parse_fiscal_year(period).value is not None and period.upper().startswith("R")
    return (period_fiscal_year(period).reiwa, 0 if is_fy else 1, period)
