"""The xlwings bridge: one short function per ribbon button, each the twin of a library call.

The ribbon's one VBA callback runs `dispatch("<button id>")`; `BUTTONS` maps every button
id of `macros/customUI14.xml` to its function, so a new button is one XML element and one
function here. What to mark, the result rows, the settings and the year's steps are library
functions (`form.live`, `settings`, `cycle`); this module only reads and writes the open
workbook. Only this module imports xlwings, and only inside functions, so importing it stays
cheap. Works on any xlwings engine: desktop Excel (COM) and the JSON-backed book of xlwings
Server, which the tests use.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from miedx_xl.errors import UsageError, error_text, write_log
from miedx_xl.form.live import (
    ADDIN_TITLE,
    HEADER_COLOR,
    MARK_COLOR,
    NOTE_OURS,
    RESULT_HEADER,
    RESULT_WIDTHS,
    Mark,
    check_message,
    clear_message,
    marked_cells,
    not_a_form_message,
    plan_marks,
    result_rows,
)
from miedx_xl.settings import (
    SETTINGS_SHEET,
    SETTINGS_WIDTHS,
    Settings,
    default_settings,
    parse_settings,
    settings_rows,
)

if TYPE_CHECKING:
    from xlwings import Book, Range, Sheet

    from miedx_xl.findings import Finding

OPENS_FILES = "excel"
"""The xlwings engine that can open a file in the user's Excel (Windows and macOS)."""


# --- reading the live workbook -----------------------------------------------------------


def sheet_values(sheet: Sheet) -> list[list[Any]]:
    """A sheet's values from A1 to the end of its used range; empty cells are ''.

    Raw values, as Excel holds them: xlwings' conversion would take text such as the
    form's ISO time stamp for a date on some engines.
    """
    last = sheet.used_range.last_cell
    raw = sheet.range((1, 1), (last.row, last.column)).raw_value
    rows = raw if isinstance(raw, list | tuple) else [[raw]]
    return [["" if v is None else v for v in row] for row in rows]


class LiveSheets:
    """The reader's Sheets protocol over an open workbook, read through xlwings on demand."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self._rows: dict[str, list[list[Any]]] = {}

    @property
    def sheet_names(self) -> list[str]:
        """All sheet names, hidden and very hidden ones included."""
        return [str(s.name) for s in self.book.sheets]

    def rows(self, sheet: str) -> list[list[Any]]:
        """All rows of a sheet from A1 (unsaved edits included)."""
        if sheet not in self._rows:
            self._rows[sheet] = sheet_values(self.book.sheets[sheet])
        return self._rows[sheet]


# --- writing marks through xlwings -------------------------------------------------------


def _fill_of(cell: Range, marked: str) -> str | None:
    """The cell's fill as #RRGGBB ('' for none), or None when the engine cannot tell."""
    try:
        rgb = cell.color
    except NotImplementedError:  # xlwings Server engines read formats only asynchronously
        return None
    if rgb is None:
        return ""
    text = "#{:02X}{:02X}{:02X}".format(*rgb)
    return None if text == marked else text  # a mark left by an earlier check


def _note_text(cell: Range) -> str:
    """The text of the cell's note ('' when unreadable on this engine)."""
    note = cell.note
    if note is None:
        return ""
    try:
        return str(note.text)
    except NotImplementedError:
        return ""


def paint_marks(book: Book, marks: list[Mark]) -> dict[tuple[str, str], list[str]]:
    """Fill each cell red with a note; return the undo record by (sheet, cell)."""
    from miedx_xl.form.mark import MARK_AUTHOR

    record = {}
    for m in marks:
        cell = book.sheets[m.sheet][m.cell]
        original = _fill_of(cell, MARK_COLOR)
        cell.color = MARK_COLOR
        ours = ""
        if cell.note is None:
            cell.add_note(m.note)
            ours = NOTE_OURS
        elif _note_text(cell).startswith(MARK_AUTHOR):
            cell.note.text = m.note
            ours = NOTE_OURS
        # Anyone else's note stays as it is: the finding is still on the result sheet.
        record[(m.sheet, m.cell)] = [m.form_fill if original is None else original, ours]
    return record


def _header(sheet: Sheet, columns: int) -> None:
    header = sheet.range((1, 1), (1, columns))
    header.color = HEADER_COLOR
    header.font.bold = True
    header.font.color = "#FFFFFF"


def write_results(
    book: Book, findings: list[Finding], record: dict[tuple[str, str], list[str]]
) -> Sheet:
    """Add the チェック結果 sheet in front, with one row per finding, and activate it."""
    from miedx_xl.form.layout import RESULT_SHEET

    sheet = book.sheets.add(RESULT_SHEET, before=book.sheets[0])
    sheet["A1"].value = [RESULT_HEADER, *result_rows(findings, record)]
    _header(sheet, len(RESULT_HEADER))
    for column, width in enumerate(RESULT_WIDTHS, start=1):
        sheet.range((1, column)).column_width = width
    for r, f in enumerate(findings, start=2):
        if (f.sheet or "", f.cell or "") in record:
            sheet.range((r, 4)).add_hyperlink(f"#'{f.sheet}'!{f.cell}", f.cell)
    sheet.activate()
    return sheet


def remove_marks(book: Book) -> int | None:
    """Undo the marks listed on the チェック結果 sheet and delete it; None if there is none."""
    from miedx_xl.form.layout import RESULT_SHEET

    names = [str(s.name) for s in book.sheets]
    if RESULT_SHEET not in names:
        return None
    cells = marked_cells(sheet_values(book.sheets[RESULT_SHEET]), names)
    for (sheet, cell), (fill, ours) in cells.items():
        rng = book.sheets[sheet][cell]
        rng.color = fill or None
        if ours and rng.note is not None:
            rng.note.delete()
    book.sheets[RESULT_SHEET].delete()
    return len(cells)


# --- the 設定 sheet -------------------------------------------------------------------------


def _base_dir(book: Book) -> Path:
    """The folder of the active workbook, or the user's Documents for an unsaved one."""
    path = Path(str(book.fullname))
    if path.is_absolute() and path.parent.is_dir():
        return path.parent
    documents = Path.home() / "Documents"
    return documents if documents.is_dir() else Path.home()


def ensure_settings(book: Book) -> tuple[Sheet, bool]:
    """The 設定 sheet, created with defaults when missing; True when just created."""
    if SETTINGS_SHEET in [str(s.name) for s in book.sheets]:
        return book.sheets[SETTINGS_SHEET], False
    sheet = book.sheets.add(SETTINGS_SHEET, after=book.sheets[len(book.sheets) - 1])
    sheet["A1"].value = settings_rows(default_settings(_base_dir(book)))
    _header(sheet, 3)
    for column, width in enumerate(SETTINGS_WIDTHS, start=1):
        sheet.range((1, column)).column_width = width
    return sheet, True


def read_settings(book: Book) -> Settings | None:
    """The settings on the 設定 sheet (rows found by label), or None when there is none."""
    if SETTINGS_SHEET not in [str(s.name) for s in book.sheets]:
        return None
    return parse_settings(sheet_values(book.sheets[SETTINGS_SHEET]), _base_dir(book))


def settings_or_explain(book: Book) -> Settings | None:
    """The settings; when the 設定 sheet is missing, create it, show it and explain."""
    found = read_settings(book)
    if found is not None:
        return found
    sheet, _ = ensure_settings(book)
    sheet.activate()
    alert(
        book,
        f"「{SETTINGS_SHEET}」シートを作りました。年度とフォルダを確かめて、"
        "もう一度ボタンを押してください。",
    )
    return None


def open_in_excel(book: Book, path: Path) -> None:
    """Open a written workbook in the user's Excel (desktop Excel only)."""
    if book.app.engine.name == OPENS_FILES:
        book.app.books.open(str(path))


# --- the buttons -------------------------------------------------------------------------


def xl_check(book: Book) -> None:
    """入力チェック: check the live values, mark the cells, list findings, show the counts."""
    from miedx_xl.form.check import check_sheets

    live = LiveSheets(book)
    result = check_sheets(Path(book.fullname), live)
    if result.meta is None:
        raise UsageError(not_a_form_message(result.report))
    remove_marks(book)
    record = paint_marks(book, plan_marks(result, live.sheet_names))
    write_results(book, list(result.report), record)
    alert(book, check_message(result.report))


def xl_clear(book: Book) -> None:
    """チェック表示をクリア: remove the marks and the チェック結果 sheet."""
    alert(book, clear_message(remove_marks(book)))


def xl_forms(book: Book) -> None:
    """様式作成: write one form per 担当課 for the fiscal year of the 設定 sheet."""
    from miedx_xl.cycle import open_year

    settings = settings_or_explain(book)
    if settings is None:
        return
    paths = open_year(settings.fy, settings.forms, settings.plan)
    if book.app.engine.name == OPENS_FILES and hasattr(os, "startfile"):
        os.startfile(settings.forms)
    alert(
        book,
        f"{settings.fy.label_ja()}の様式を {len(paths)} 件作りました。\n{settings.forms}",
    )


def xl_consolidate(book: Book) -> None:
    """取りまとめ: consolidate the 提出フォルダ and write the master workbook, then open it."""
    from miedx_xl.cycle import close_message, close_year

    settings = settings_or_explain(book)
    if settings is None:
        return
    result, master = close_year(
        settings.inbox,
        settings.fy,
        settings.master,
        keep=[Path(str(book.fullname))],
        plan_from=settings.plan,
    )
    open_in_excel(book, master)
    alert(book, close_message(result, master))


def xl_pdf(book: Book) -> None:
    """PDF出力: write the PDF of the master workbook of the 設定 sheet."""
    from miedx_xl.report import write_report

    settings = settings_or_explain(book)
    if settings is None:
        return
    if not settings.master.is_file():
        raise UsageError(
            f"取りまとめ結果「{settings.master}」がありません。先に「取りまとめ」を押してください。"
        )
    pdf = write_report(settings.master, settings.pdf / f"{settings.master.stem}.pdf")
    alert(book, f"PDF を書き出しました。\n{pdf}")


def xl_settings(book: Book) -> None:
    """設定: show the 設定 sheet, creating it with defaults when missing."""
    sheet, created = ensure_settings(book)
    sheet.activate()
    if created:
        alert(book, f"「{SETTINGS_SHEET}」シートを作りました。年度とフォルダを確かめてください。")


BUTTONS: dict[str, Callable[[Book], None]] = {
    "check": xl_check,
    "clear": xl_clear,
    "forms": xl_forms,
    "consolidate": xl_consolidate,
    "pdf": xl_pdf,
    "settings": xl_settings,
}
"""Ribbon button id (macros/customUI14.xml) -> the function it runs."""


# --- dispatch ----------------------------------------------------------------------------


def alert(book: Book, text: str, critical: bool = False) -> None:
    """A message box in the user's Excel."""
    book.app.alert(text, title=ADDIN_TITLE, mode="critical" if critical else "info")


def dispatch(button_id: str, book: Book | None = None) -> None:
    """Run the function of a ribbon button on the active workbook; errors become a message."""
    short_lived = book is None  # called from Excel: a process of its own for this button
    if short_lived:
        from miedx_xl.startup import start_short_lived

        start_short_lived("xlwings")
        import xlwings as xw

        book = xw.Book.caller()
    assert book is not None
    try:
        if short_lived:
            start_short_lived()  # pandas and pandera: a broken install becomes a message
        action = BUTTONS.get(button_id)
        if action is None:
            raise UsageError(
                f"ボタン「{button_id}」に対応する処理がありません。"
                "アドインを作り直してください（miedx-xl addin install）。"
            )
        action(book)
    except Exception as exc:  # the user sees a message box, never a traceback
        alert(book, error_text(exc, write_log(f"button={button_id}", exc)), critical=True)
    finally:
        if short_lived:
            from miedx_xl.startup import end_short_lived

            end_short_lived()
