"""The server's half of xlwings' VBA client (`RunServerPython` in the wheel's Remote.bas).

What the client posts (Remote.bas, xlwings 0.37.8): JSON
`{"client": "VBA", "version", "book": {"name", "active_sheet_index", "selection"},
"names": [...], "sheets": [{"name", "pictures", "tables", "values"}, ...]}` with every
worksheet of the active workbook in order, hidden and very hidden ones included. `values`
runs from A1 to the end of the used range (`[[]]` for an empty sheet); WebHelpers'
ConvertToJson writes an empty cell as null, a date as "yyyy-mm-ddTHH:mm:ss.000Z" (local
time, though marked Z), an error cell as its text ("#N/A"), a number as VBA prints it
(at most 15 significant digits), and a text of 16 to 100 characters made only of
`.0-9Ee` without quotes, as if it were a number.

What it does with a 200 answer: `Application.Run action("func"), wb, action` for each item
of `"actions"`, in order. Cell actions address `wb.Worksheets(sheet_position + 1)` and the
range `start_row`, `start_column` (0-based), `row_count`, `column_count`; `args` is read
1-based in VBA (`action("args")(1)` is `args[0]` here). Any other status: a message box
with the answer's text.

Not used: the client's `addSheet` (it adds before the active sheet, then moves the sheet
after `Worksheets(args(1) + 1)` counted after that insert, so where it lands depends on
which sheet is active) and any note action (Remote.bas has none). Our own VBA module
(`macros/server/MiedxServer.bas`) supplies those as actions whose `func` is one of its Subs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from miedx_xl.server.library import (
    ADDIN_TITLE,
    CELL_REF,
    HEADER_FILL,
    MARK_AUTHOR,
    MARK_COLOR,
    NO_FINDINGS,
    NOTE_OURS,
    RESULT_HEADER,
    RESULT_SHEET,
    RESULT_WIDTHS,
    FormResult,
    Mark,
    check_sheets,
    column_letter,
    plan_marks,
    result_rows,
)

Action = dict[str, Any]

VBA_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
LARGE_NUMBER_TEXT = 16
"""ConvertToJson writes a text of this many characters or more of `.0-9Ee` unquoted."""
VBA_DIGITS = 15
"""VBA prints a Double with at most this many significant digits."""

# Our own VBA Subs (macros/server/MiedxServer.bas), run by the client like its own actions.
ADD_SHEET_FIRST = "miedxAddSheetFirst"
SET_NOTE = "miedxSetNote"
DELETE_NOTE = "miedxDeleteNote"
CLEAR_FILL = "miedxClearFill"
FORMAT_RESULT = "miedxFormatResult"
OWN_SUBS = (ADD_SHEET_FIRST, SET_NOTE, DELETE_NOTE, CLEAR_FILL, FORMAT_RESULT)

NOT_A_FORM = "このブックは取組状況の調査票ではないため、チェックできません。"
NOTHING_TO_CLEAR = "消すチェック表示はありません（「チェック結果」シートがありません）。"
LINK_TIP = "このセルへ移動"


class PayloadError(ValueError):
    """The request is not what RunServerPython sends; the message (Japanese) says why."""


# --- the request ---------------------------------------------------------------------------


def _number_int(text: str) -> Any:
    """An integer token: text when only a long text can look like it (VBA prints ≤ 15 digits)."""
    digits = text.lstrip("-")
    return text if len(digits) >= LARGE_NUMBER_TEXT else float(int(text))


def _number_float(text: str) -> Any:
    """A decimal token: text when it has more significant digits than a Double prints."""
    mantissa = re.split("[eE]", text.lstrip("-"), maxsplit=1)[0].replace(".", "").lstrip("0")
    if len(text) >= LARGE_NUMBER_TEXT and len(mantissa) > VBA_DIGITS:
        return text
    return float(text)


def _constant(text: str) -> Any:
    raise PayloadError(f"JSON に使えない値 {text} があります。")


def parse_payload(body: bytes) -> dict[str, Any]:
    """The posted JSON as RunServerPython sends it, or PayloadError."""
    try:
        data = json.loads(
            body.decode("utf-8"),
            parse_int=_number_int,
            parse_float=_number_float,
            parse_constant=_constant,
        )
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"ブックの内容（JSON）を読めません: {exc}") from exc
    sheets = data.get("sheets") if isinstance(data, dict) else None
    if not isinstance(sheets, list) or not all(
        isinstance(s, dict) and isinstance(s.get("name"), str) for s in sheets
    ):
        raise PayloadError("ブックの内容にシートの一覧がありません（xlwings の RunServerPython）。")
    for sheet in sheets:
        values = sheet.get("values", [[]])
        if not isinstance(values, list) or not all(isinstance(r, list) for r in values):
            raise PayloadError(f"シート「{sheet['name']}」の値が表の形ではありません。")
    book = data.get("book")
    if not isinstance(book, dict) or not isinstance(book.get("name"), str):
        raise PayloadError("ブックの名前がありません（xlwings の RunServerPython）。")
    payload: dict[str, Any] = data
    return payload


def cell_value(value: Any) -> Any:
    """A posted cell as the desktop bridge reads it: '' for empty, dates as datetime."""
    if value is None:
        return ""
    if isinstance(value, str) and VBA_DATE.fullmatch(value):
        return datetime.fromisoformat(value[:19])
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


class PayloadSheets:
    """The reader's Sheets protocol over the posted workbook (unsaved edits included)."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self._rows: dict[str, list[list[Any]]] = {}

    @property
    def sheet_names(self) -> list[str]:
        """All worksheet names in order, very hidden ones included."""
        return [str(s["name"]) for s in self.payload["sheets"]]

    def rows(self, sheet: str) -> list[list[Any]]:
        """A sheet's rows from A1."""
        if sheet not in self._rows:
            found = next(s for s in self.payload["sheets"] if s["name"] == sheet)
            rows = found.get("values") or [[]]
            self._rows[sheet] = [[cell_value(v) for v in row] for row in rows]
        return self._rows[sheet]


def book_name(payload: dict[str, Any]) -> str:
    """The workbook's name as the client sent it."""
    return str(payload["book"]["name"])


# --- the answer ----------------------------------------------------------------------------


def _split(cell: str) -> tuple[int, int]:
    """0-based (row, column) of an A1 reference."""
    letters = cell.rstrip("0123456789")
    column = 0
    for ch in letters:
        column = column * 26 + ord(ch) - 64
    return int(cell[len(letters) :]) - 1, column - 1


@dataclass
class Actions:
    """The actions for the client, with the workbook's sheet order as they change it."""

    names: list[str]
    items: list[Action]

    @classmethod
    def of(cls, payload: dict[str, Any]) -> Actions:
        """An empty answer for the posted workbook."""
        return cls([str(s["name"]) for s in payload["sheets"]], [])

    def answer(self) -> dict[str, Any]:
        """The JSON body of the 200 answer."""
        return {"actions": self.items}

    def add(
        self,
        func: str,
        args: list[Any],
        sheet: str | None = None,
        cell: str | None = None,
        rows: int = 1,
        columns: int = 1,
        values: list[list[Any]] | None = None,
    ) -> None:
        """Queue one action; a cell action names its sheet (by name) and top-left cell."""
        action: Action = {
            "func": func,
            "args": args,
            "values": values,
            "sheet_position": None if sheet is None else self.names.index(sheet),
            "start_row": None,
            "start_column": None,
            "row_count": None,
            "column_count": None,
        }
        if cell is not None:
            row, column = _split(cell)
            action.update(start_row=row, start_column=column, row_count=rows, column_count=columns)
        self.items.append(action)

    def alert(self, text: str, critical: bool = False) -> None:
        """A message box (args: prompt, title, buttons, mode, callback)."""
        self.add("alert", [text, ADDIN_TITLE, "ok", "critical" if critical else "info", ""])

    def set_color(self, sheet: str, cell: str, color: str, rows: int = 1, columns: int = 1) -> None:
        """Fill a range with #RRGGBB, or take its fill away when color is ''."""
        if color:
            self.add("setRangeColor", [color], sheet, cell, rows, columns)
        else:
            self.add(CLEAR_FILL, [], sheet, cell, rows, columns)

    def delete_sheet(self, sheet: str) -> None:
        """Delete a worksheet (later sheets move up)."""
        self.add("sheetDelete", [], sheet)
        self.names.remove(sheet)

    def add_sheet_first(self, sheet: str) -> None:
        """Add a worksheet in front of all others."""
        self.add(ADD_SHEET_FIRST, [sheet])
        self.names.insert(0, sheet)


def _result_sheet_cells(
    payload: dict[str, Any], names: list[str]
) -> dict[tuple[str, str], tuple[str, bool]] | None:
    """The undo record on the チェック結果 sheet: (sheet, cell) -> (fill, note is ours)."""
    if RESULT_SHEET not in names:
        return None
    sheets = PayloadSheets(payload)
    rows = sheets.rows(RESULT_SHEET)
    column = {str(v): i for i, v in enumerate(rows[0] if rows else [])}
    cells: dict[tuple[str, str], tuple[str, bool]] = {}
    if not {"シート", "セル", "元の色", "メモ"} <= column.keys():
        return cells
    width = max(column.values()) + 1
    for raw in rows[1:]:
        row = [*raw, *[""] * (width - len(raw))]
        sheet, cell = str(row[column["シート"]]), str(row[column["セル"]])
        if sheet in names and sheet != RESULT_SHEET and CELL_REF.fullmatch(cell):
            fill = str(row[column["元の色"]])
            cells[(sheet, cell)] = (fill, row[column["メモ"]] == NOTE_OURS)
    return cells


def remove_marks(payload: dict[str, Any], out: Actions) -> int | None:
    """Undo the marks the チェック結果 sheet lists and delete it; None when there is none."""
    cells = _result_sheet_cells(payload, out.names)
    if cells is None:
        return None
    for (sheet, cell), (fill, ours) in cells.items():
        out.set_color(sheet, cell, fill)
        if ours:
            out.add(DELETE_NOTE, [cell, MARK_AUTHOR], sheet, cell)
    out.delete_sheet(RESULT_SHEET)
    return len(cells)


def apply_marks(marks: list[Mark], out: Actions) -> dict[tuple[str, str], list[str]]:
    """Fill each cell red with a note; the undo record by (sheet, cell).

    The posted values carry no fills: the record keeps the fill the form gives the cell
    (as the desktop bridge does where the engine cannot read fills). The note Sub adds a
    note, replaces one that starts with MARK_AUTHOR, and leaves anyone else's alone.
    """
    red = MARK_COLOR
    record = {}
    for m in marks:
        out.set_color(m.sheet, m.cell, red)
        out.add(SET_NOTE, [m.cell, m.note, MARK_AUTHOR], m.sheet, m.cell)
        record[(m.sheet, m.cell)] = [m.form_fill, NOTE_OURS]
    return record


def write_results(
    result: FormResult, record: dict[tuple[str, str], list[str]], out: Actions
) -> None:
    """The チェック結果 sheet in front: one row per finding, links to the cells, activated."""
    findings = list(result.report)
    rows = result_rows(findings, record) or [[NO_FINDINGS] + [""] * (len(RESULT_HEADER) - 1)]
    table = [list(RESULT_HEADER), *rows]
    width = len(RESULT_HEADER)
    out.add_sheet_first(RESULT_SHEET)
    out.add("setValues", [], RESULT_SHEET, "A1", len(table), width, values=table)
    header_fill = "#" + str(HEADER_FILL.fgColor.rgb)[-6:].upper()
    out.set_color(RESULT_SHEET, "A1", header_fill, 1, width)
    out.add(FORMAT_RESULT, [width, *RESULT_WIDTHS], RESULT_SHEET, "A1", 1, width)
    for r, f in enumerate(findings, start=2):
        if (f.sheet or "", f.cell or "") in record:
            link = f"#'{f.sheet}'!{f.cell}"
            out.add("addHyperlink", [link, f.cell, LINK_TIP], RESULT_SHEET, f"D{r}")
    out.add("activateSheet", [0])


def check_payload(payload: dict[str, Any]) -> FormResult:
    """入力チェック of the posted values (the same check as `miedx-xl check`)."""
    return check_sheets(Path(book_name(payload)), PayloadSheets(payload))


def check_actions(payload: dict[str, Any], result: FormResult) -> Actions:
    """The actions that show a check's result in the posted workbook.

    A workbook that is not a form gets only a critical alert (the server refuses it with
    422 before answering, so this is for callers of the protocol alone).
    """
    out = Actions.of(payload)
    if result.meta is None:
        text = "\n".join(f.message_ja for f in result.report)
        out.alert(f"{NOT_A_FORM}\n{text}", critical=True)
        return out
    remove_marks(payload, out)
    names = [n for n in out.names if n != RESULT_SHEET]
    record = apply_marks(plan_marks(result, names), out)
    write_results(result, record, out)
    counts = result.report.counts_ja()
    if result.report.valid:
        advice = "提出できます。" if len(result.report) == 0 else "警告も確認してください。"
    else:
        advice = "赤い欄を直して、もう一度「入力チェック」を押してください。"
    out.alert(f"入力チェックが終わりました。\n{counts}\n{advice}")
    return out


def check_answer(payload: dict[str, Any]) -> tuple[FormResult, Actions]:
    """入力チェック on posted values: the check's result and the actions that show it."""
    result = check_payload(payload)
    return result, check_actions(payload, result)


def clear_answer(payload: dict[str, Any]) -> Actions:
    """チェック表示をクリア on posted values: the actions that remove the marks."""
    out = Actions.of(payload)
    cleared = remove_marks(payload, out)
    if cleared is None:
        out.alert(NOTHING_TO_CLEAR)
    else:
        out.alert(f"チェック表示を消しました（{cleared} か所）。")
    return out


def cell_of(action: Action) -> str:
    """The A1 reference of a cell action's top-left cell."""
    return f"{column_letter(int(action['start_column']))}{int(action['start_row']) + 1}"
