"""Marking an open workbook: the cells to mark, the result rows and the undo record.

Plain data, for any face that marks a form the user has open: the desktop ribbon paints
them through xlwings (`xl.py`), the server sends them as actions to xlwings' VBA client. A
marked copy on disk is `mark.py`'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from miedx_xl.findings import Finding, Report
from miedx_xl.form.layout import RESULT_HEADER as FORM_RESULT_HEADER
from miedx_xl.form.layout import RESULT_SHEET, form_fields
from miedx_xl.form.mark import MARK_AUTHOR, MARK_FILL, notes_by_cell, result_row
from miedx_xl.normalize import is_formula_like
from miedx_xl.xlsx.sheets import HEADER_FILL, INPUT_FILL, LOCKED_FILL

if TYPE_CHECKING:
    from miedx_xl.form.read import FormResult

ADDIN_TITLE = "みえDX進捗"
"""The ribbon tab's name, and the title of every message box the add-in shows."""
RESULT_HEADER = [*FORM_RESULT_HEADER, "元の色", "メモ"]
"""mark.py's columns, then the undo record: each marked cell's fill before marking, and
whether the note on it is ours (チェック表示をクリア reads these back)."""
RESULT_WIDTHS = [8, 20, 12, 8, 80, 60, 10, 6]
NOTE_OURS = "追加"
NO_FINDINGS = "問題は見つかりませんでした。"
CELL_REF = re.compile(r"[A-Z]{1,3}[1-9][0-9]{0,6}")


@dataclass(frozen=True)
class Mark:
    """One cell to mark: the note text and the fill the form gives the cell."""

    sheet: str
    cell: str
    note: str
    form_fill: str
    """#RRGGBB the form writer gives this cell; restored when Excel cannot tell the fill."""


def hex_color(fill: Any) -> str:
    """#RRGGBB of an openpyxl PatternFill (its rgb is AARRGGBB)."""
    return "#" + str(fill.fgColor.rgb)[-6:].upper()


MARK_COLOR = hex_color(MARK_FILL)
"""The fill of a marked cell (the same as a marked copy's)."""
HEADER_COLOR = hex_color(HEADER_FILL)


def plan_marks(result: FormResult, sheet_names: Sequence[str]) -> list[Mark]:
    """The cells to mark for a checked form, one per cell, messages joined as mark.py does."""
    fields = form_fields(result.meta) if result.meta else {}
    texts = notes_by_cell(result.report, sheet_names)
    header_cells = {(f.sheet, f.cell) for f in result.report if f.code == "header-missing"}
    marks = []
    for (sheet, cell), lines in texts.items():
        column = cell.rstrip("0123456789")
        key = {v: k for k, v in result.letters.get(sheet, {}).items()}.get(column)
        field = next((x for x in fields.get(sheet, []) if x.key == key), None)
        if (sheet, cell) in header_cells:
            fill = HEADER_COLOR
        else:
            fill = hex_color(LOCKED_FILL if field is not None and field.locked else INPUT_FILL)
        marks.append(Mark(sheet, cell, "\n".join([MARK_AUTHOR, *lines]), fill))
    return marks


def sheet_text(value: str) -> str:
    """Text that Excel must not take for a formula gets a leading apostrophe."""
    return "'" + value if value and is_formula_like(value) else value


def result_rows(
    findings: Iterable[Finding], marked: dict[tuple[str, str], list[str]]
) -> list[list[str]]:
    """The チェック結果 rows: mark.py's columns, then the undo record of the finding's cell."""
    rows = []
    for f in findings:
        undo = marked.get((f.sheet or "", f.cell or ""), ["", ""])
        rows.append([*map(sheet_text, result_row(f)), *undo])
    return rows or [[NO_FINDINGS] + [""] * (len(RESULT_HEADER) - 1)]


def marked_cells(
    rows: Sequence[Sequence[Any]], sheet_names: Sequence[str]
) -> dict[tuple[str, str], tuple[str, bool]]:
    """The undo record read back from a チェック結果 sheet's rows: (sheet, cell) -> (fill
    before marking, whether the note is ours). Rows naming no form cell are ignored."""
    column = {str(v): i for i, v in enumerate(rows[0] if rows else [])}
    cells: dict[tuple[str, str], tuple[str, bool]] = {}
    if not {"シート", "セル", "元の色", "メモ"} <= column.keys():
        return cells
    names = set(sheet_names)
    for row in rows[1:]:
        if len(row) < len(column):
            continue
        sheet, cell = str(row[column["シート"]]), str(row[column["セル"]])
        if sheet in names and sheet != RESULT_SHEET and CELL_REF.fullmatch(cell):
            fill = str(row[column["元の色"]])
            cells[(sheet, cell)] = (fill, row[column["メモ"]] == NOTE_OURS)
    return cells


def check_message(report: Report) -> str:
    """What 入力チェック tells the user when it is done: the counts and what to do next."""
    if report.valid:
        advice = "提出できます。" if len(report) == 0 else "警告も確認してください。"
    else:
        advice = "赤い欄を直して、もう一度「入力チェック」を押してください。"
    return f"入力チェックが終わりました。\n{report.counts_ja()}\n{advice}"


def clear_message(cleared: int | None) -> str:
    """What チェック表示をクリア tells the user."""
    if cleared is None:
        return "消すチェック表示はありません（「チェック結果」シートがありません）。"
    return f"チェック表示を消しました（{cleared} か所）。"


def not_a_form_message(report: Report) -> str:
    """Why a workbook cannot be checked (it is not one of our forms)."""
    text = "\n".join(f.message_ja for f in report)
    return f"このブックは取組状況の調査票ではないため、チェックできません。\n{text}"
