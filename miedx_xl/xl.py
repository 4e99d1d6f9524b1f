"""The xlwings bridge: one short function per ribbon button, each the twin of a library call.

The ribbon's one VBA callback runs `dispatch("<button id>")`; `BUTTONS` maps every button
id of `macros/customUI14.xml` to its function, so a new button is one XML element and one
function here. Only this module imports xlwings, and only inside functions, so importing
it stays cheap. Works on any xlwings engine: desktop Excel (COM) and the JSON-backed book
of xlwings Server, which the tests use.
"""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from miedx_xl.form.layout import RESULT_HEADER as FORM_RESULT_HEADER

if TYPE_CHECKING:
    from xlwings import Book, Range, Sheet

    from miedx_xl.findings import Finding
    from miedx_xl.form.check import FormResult
    from miedx_xl.normalize import FiscalYear

TITLE = "みえDX進捗"
SETTINGS_SHEET = "設定"
RESULT_HEADER = [*FORM_RESULT_HEADER, "元の色", "メモ"]
"""mark.py's columns, then the undo record: each marked cell's fill before marking, and
whether the note on it is ours (チェック表示をクリア reads these back)."""
RESULT_WIDTHS = [8, 20, 12, 8, 80, 60, 10, 6]
NOTE_OURS = "追加"
NO_FINDINGS = "問題は見つかりませんでした。"
CELL_REF = re.compile(r"[A-Z]{1,3}[1-9][0-9]{0,6}")
LOG_LIMIT = 1_000_000
OPENS_FILES = "excel"
"""The xlwings engine that can open a file in the user's Excel (Windows and macOS)."""


class XlError(Exception):
    """A problem the user can fix; its message (Japanese) is shown as it is."""


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


# --- marks: what 入力チェック writes, as plain data ----------------------------------------


@dataclass(frozen=True)
class Mark:
    """One cell to mark: the note text and the fill the form gives the cell."""

    sheet: str
    cell: str
    note: str
    form_fill: str
    """#RRGGBB the form writer gives this cell; restored when Excel cannot tell the fill."""


def _hex(fill: Any) -> str:
    """#RRGGBB of an openpyxl PatternFill (its rgb is AARRGGBB)."""
    return "#" + str(fill.fgColor.rgb)[-6:].upper()


def mark_color() -> str:
    """The fill of a marked cell (the same as mark.py's marked copies)."""
    from miedx_xl.form.mark import MARK_FILL

    return _hex(MARK_FILL)


def plan_marks(result: FormResult, sheet_names: list[str]) -> list[Mark]:
    """The cells to mark for a checked form, one per cell, messages joined as mark.py does."""
    from miedx_xl.form.layout import form_fields
    from miedx_xl.form.mark import MARK_AUTHOR, notes_by_cell
    from miedx_xl.xlsx.sheets import HEADER_FILL, INPUT_FILL, LOCKED_FILL

    fields = form_fields(result.meta) if result.meta else {}
    texts = notes_by_cell(result.report, sheet_names)
    header_cells = {(f.sheet, f.cell) for f in result.report if f.code == "header-missing"}
    marks = []
    for (sheet, cell), lines in texts.items():
        column = cell.rstrip("0123456789")
        key = {v: k for k, v in result.letters.get(sheet, {}).items()}.get(column)
        field = next((x for x in fields.get(sheet, []) if x.key == key), None)
        if (sheet, cell) in header_cells:
            fill = _hex(HEADER_FILL)
        else:
            fill = _hex(LOCKED_FILL if field is not None and field.locked else INPUT_FILL)
        marks.append(Mark(sheet, cell, "\n".join([MARK_AUTHOR, *lines]), fill))
    return marks


def result_rows(
    findings: list[Finding], marked: dict[tuple[str, str], list[str]]
) -> list[list[str]]:
    """The チェック結果 rows: mark.py's columns, then the undo record of the finding's cell."""
    from miedx_xl.form.mark import result_row

    rows = []
    for f in findings:
        undo = marked.get((f.sheet or "", f.cell or ""), ["", ""])
        rows.append([*map(_text, result_row(f)), *undo])
    return rows


def _text(value: str) -> str:
    """Text that Excel must not take for a formula gets a leading apostrophe."""
    from miedx_xl.normalize import is_formula_like

    return "'" + value if value and is_formula_like(value) else value


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


def apply_marks(book: Book, marks: list[Mark]) -> dict[tuple[str, str], list[str]]:
    """Fill each cell red with a note; return the undo record by (sheet, cell)."""
    from miedx_xl.form.mark import MARK_AUTHOR

    red = mark_color()
    record = {}
    for m in marks:
        cell = book.sheets[m.sheet][m.cell]
        original = _fill_of(cell, red)
        cell.color = red
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


def write_results(
    book: Book, findings: list[Finding], record: dict[tuple[str, str], list[str]]
) -> Sheet:
    """Add the チェック結果 sheet in front, with one row per finding, and activate it."""
    from miedx_xl.form.layout import RESULT_SHEET
    from miedx_xl.xlsx.sheets import HEADER_FILL

    sheet = book.sheets.add(RESULT_SHEET, before=book.sheets[0])
    rows = result_rows(findings, record) or [[NO_FINDINGS] + [""] * (len(RESULT_HEADER) - 1)]
    sheet["A1"].value = [RESULT_HEADER, *rows]
    header = sheet.range((1, 1), (1, len(RESULT_HEADER)))
    header.color = _hex(HEADER_FILL)
    header.font.bold = True
    header.font.color = "#FFFFFF"
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
    rows = sheet_values(book.sheets[RESULT_SHEET])
    column = {str(v): i for i, v in enumerate(rows[0] if rows else [])}
    cells: dict[tuple[str, str], tuple[str, bool]] = {}
    if {"シート", "セル", "元の色", "メモ"} <= column.keys():
        for row in rows[1:]:
            sheet, cell = str(row[column["シート"]]), str(row[column["セル"]])
            if sheet in names and sheet != RESULT_SHEET and CELL_REF.fullmatch(cell):
                fill = str(row[column["元の色"]])
                cells[(sheet, cell)] = (fill, row[column["メモ"]] == NOTE_OURS)
    for (sheet, cell), (fill, ours) in cells.items():
        rng = book.sheets[sheet][cell]
        rng.color = fill or None
        if ours and rng.note is not None:
            rng.note.delete()
    book.sheets[RESULT_SHEET].delete()
    return len(cells)


# --- the buttons -------------------------------------------------------------------------


def xl_check(book: Book) -> None:
    """入力チェック: check the live values, mark the cells, list findings, show the counts."""
    from miedx_xl.form.check import check_sheets

    live = LiveSheets(book)
    result = check_sheets(Path(book.fullname), live)
    if result.meta is None:
        text = "\n".join(f.message_ja for f in result.report)
        raise XlError(f"このブックは取組状況の調査票ではないため、チェックできません。\n{text}")
    remove_marks(book)
    record = apply_marks(book, plan_marks(result, live.sheet_names))
    write_results(book, list(result.report), record)
    counts = result.report.counts_ja()
    if result.report.valid:
        advice = "提出できます。" if len(result.report) == 0 else "警告も確認してください。"
    else:
        advice = "赤い欄を直して、もう一度「入力チェック」を押してください。"
    alert(book, f"入力チェックが終わりました。\n{counts}\n{advice}")


def xl_clear(book: Book) -> None:
    """チェック表示をクリア: remove the marks and the チェック結果 sheet."""
    cleared = remove_marks(book)
    if cleared is None:
        alert(book, "消すチェック表示はありません（「チェック結果」シートがありません）。")
    else:
        alert(book, f"チェック表示を消しました（{cleared} か所）。")


@dataclass(frozen=True)
class Settings:
    """What the secretariat's buttons need: the fiscal year and where files go."""

    fy: FiscalYear
    forms: Path
    inbox: Path
    master: Path
    pdf: Path
    plan: Path | None = None
    """Last year's master workbook to write the forms from (None: the built-in plan)."""


SETTING_ROWS = [
    ("年度", "fy", "対象の年度（例: R4、令和4年度、2022）"),
    ("様式フォルダ", "forms", "「様式作成」が担当課ごとの調査票を書き出すフォルダ"),
    (
        "提出フォルダ",
        "inbox",
        "担当課から返ってきた調査票を集めるフォルダ（「取りまとめ」が読みます）",
    ),
    ("取りまとめ結果", "master", "「取りまとめ」が書き出すマスターブック（.xlsx）"),
    ("PDFフォルダ", "pdf", "「PDF出力」が PDF を書き出すフォルダ"),
    (
        "様式の元にする取りまとめ結果",
        "plan",
        "前年度の取りまとめ結果（.xlsx）から様式を作るときに指定（空欄なら組み込みの計画）",
    ),
]


def _base_dir(book: Book) -> Path:
    """The folder of the active workbook, or the user's Documents for an unsaved one."""
    path = Path(str(book.fullname))
    if path.is_absolute() and path.parent.is_dir():
        return path.parent
    documents = Path.home() / "Documents"
    return documents if documents.is_dir() else Path.home()


def default_settings(book: Book, today: date | None = None) -> dict[str, str]:
    """Settings for a new 設定 sheet: last fiscal year, folders beside the workbook."""
    from miedx_xl.normalize import FiscalYear

    today = today or date.today()
    current = FiscalYear.of_year(today.year if today.month >= 4 else today.year - 1)
    base = _base_dir(book)
    return {
        "fy": str(FiscalYear(max(current.reiwa - 1, 1))),
        "forms": str(base / "様式"),
        "inbox": str(base / "提出"),
        "master": str(base / "取りまとめ結果.xlsx"),
        "pdf": str(base / "PDF"),
        "plan": "",
    }


def ensure_settings(book: Book) -> tuple[Sheet, bool]:
    """The 設定 sheet, created with defaults when missing; True when just created."""
    from miedx_xl.xlsx.sheets import HEADER_FILL

    if SETTINGS_SHEET in [str(s.name) for s in book.sheets]:
        return book.sheets[SETTINGS_SHEET], False
    defaults = default_settings(book)
    sheet = book.sheets.add(SETTINGS_SHEET, after=book.sheets[len(book.sheets) - 1])
    sheet["A1"].value = [["項目", "値", "説明"]] + [
        [label, defaults[key], hint] for label, key, hint in SETTING_ROWS
    ]
    header = sheet.range((1, 1), (1, 3))
    header.color = _hex(HEADER_FILL)
    header.font.bold = True
    header.font.color = "#FFFFFF"
    for column, width in enumerate((16, 60, 70), start=1):
        sheet.range((1, column)).column_width = width
    return sheet, True


def read_settings(book: Book) -> Settings | None:
    """The settings on the 設定 sheet (rows found by label), or None when there is none."""
    from miedx_xl.normalize import nfkc, parse_fiscal_year

    if SETTINGS_SHEET not in [str(s.name) for s in book.sheets]:
        return None
    by_label = {
        nfkc(str(row[0])): row[1] if len(row) > 1 else ""
        for row in sheet_values(book.sheets[SETTINGS_SHEET])
        if row
    }
    defaults = default_settings(book)
    values = {}
    for label, key, _ in SETTING_ROWS:
        # Explorer's "copy as path" wraps a path in double quotes.
        value = str(by_label.get(nfkc(label), "")).strip().strip('"')
        values[key] = value or defaults[key]
    fy = parse_fiscal_year(values["fy"]).value
    if fy is None:
        raise XlError(f"「{SETTINGS_SHEET}」シートの年度「{values['fy']}」を読めません（例: R4）。")
    base = _base_dir(book)
    paths = {
        key: base / Path(values[key]).expanduser() for key in ("forms", "inbox", "master", "pdf")
    }
    plan = base / Path(values["plan"]).expanduser() if values["plan"] else None
    return Settings(fy, paths["forms"], paths["inbox"], paths["master"], paths["pdf"], plan)


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


def xl_forms(book: Book) -> None:
    """様式作成: write one form per 担当課 for the fiscal year of the 設定 sheet."""
    from miedx_xl.form.write import make_forms
    from miedx_xl.master.write import read_master_plan
    from miedx_xl.plan.model import load_plan

    settings = settings_or_explain(book)
    if settings is None:
        return
    plan = read_master_plan(settings.plan) if settings.plan else load_plan()
    paths = make_forms(plan, settings.fy, settings.forms)
    if book.app.engine.name == OPENS_FILES and hasattr(os, "startfile"):
        os.startfile(settings.forms)
    alert(
        book,
        f"{settings.fy.label_ja()}の様式を {len(paths)} 件作りました。\n{settings.forms}",
    )


def xl_consolidate(book: Book) -> None:
    """取りまとめ: consolidate the 提出フォルダ and write the master workbook, then open it."""
    from miedx_xl.consolidation import consolidate
    from miedx_xl.master.write import write_master

    settings = settings_or_explain(book)
    if settings is None:
        return
    if not settings.inbox.is_dir():
        raise XlError(
            f"提出フォルダ「{settings.inbox}」がありません。"
            f"「{SETTINGS_SHEET}」シートの提出フォルダを確かめてください。"
        )
    if Path(str(book.fullname)) == settings.master:
        raise XlError(
            "開いているこのブックが取りまとめ結果のため、書き直せません。"
            f"「{SETTINGS_SHEET}」シートは別のブック（例: 事務局.xlsx）に置いてください。"
        )
    result = consolidate(settings.inbox, settings.fy)
    master = write_master(result, settings.master)
    open_in_excel(book, master)
    alert(
        book,
        f"取りまとめが終わりました。\n{result.summary_ja()}\n"
        f"{result.report.counts_ja()}\nマスターブック: {master}",
    )


def xl_pdf(book: Book) -> None:
    """PDF出力: write the PDF of the master workbook of the 設定 sheet."""
    from miedx_xl.master.write import write_report

    settings = settings_or_explain(book)
    if settings is None:
        return
    if not settings.master.is_file():
        raise XlError(
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


# --- dispatch, messages, log -------------------------------------------------------------


def alert(book: Book, text: str, critical: bool = False) -> None:
    """A message box in the user's Excel."""
    book.app.alert(text, title=TITLE, mode="critical" if critical else "info")


def log_path() -> Path:
    """The log file: %LOCALAPPDATA%\\miedx\\miedx.log, or ~/.miedx/miedx.log elsewhere."""
    base = os.environ.get("LOCALAPPDATA")
    return (Path(base) / "miedx" if base else Path.home() / ".miedx") / "miedx.log"


def write_log(button_id: str, exc: BaseException) -> Path | None:
    """Append the exception's traceback to the log; None when the log cannot be written."""
    path = log_path()
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    text = "".join(traceback.format_exception(exc))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > LOG_LIMIT:
            os.replace(path, path.with_suffix(".log.1"))
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {stamp} button={button_id}\n{text}\n")
    except OSError:
        return None
    return path


def error_text(exc: BaseException, log: Path | None) -> str:
    """A short Japanese message for an exception (details stay in the log)."""
    from miedx_xl.master.write import MasterError
    from miedx_xl.xlsx.office import OfficeError

    if isinstance(exc, XlError | OfficeError | MasterError):
        return str(exc)
    if isinstance(exc, PermissionError):
        name = exc.filename or ""
        return (
            f"ファイルに書き込めません: {name}\n"
            "Excel などで開いていれば閉じて、もう一度押してください。"
        )
    where = f"\n詳しい記録: {log}" if log else ""
    return f"処理を続けられませんでした（{type(exc).__name__}: {str(exc)[:200]}）。{where}"


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
            raise XlError(
                f"ボタン「{button_id}」に対応する処理がありません。"
                "アドインを作り直してください（miedx-xl addin install）。"
            )
        action(book)
    except Exception as exc:  # the user sees a message box, never a traceback
        alert(book, error_text(exc, write_log(button_id, exc)), critical=True)
    finally:
        if short_lived:
            from miedx_xl.startup import end_short_lived

            end_short_lived()
