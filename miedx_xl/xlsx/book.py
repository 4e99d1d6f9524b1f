"""New workbooks written with XlsxWriter: named cell formats, sheets of cells kept until
saved (so rows can be sized from their texts), text always as text, atomic saves.

XlsxWriter is tested against files that Excel itself saved, and writes every part of the
workbook (styles, shared strings, print set-up, validations, charts) without building an
object per cell. A `Sheet` keeps its cells as `(value, format)` tuples with 1-based rows and
columns, so a writer can restyle a cell or size rows before anything is written; `Book.save`
writes them all in row order and renames the file into place.

Text is written with `write_string` only, so text that looks like a formula (`=…`, `+…`)
stays text. XlsxWriter itself writes control characters as Excel's `_xHHHH_` escapes and a
literal `_xHHHH_` as `_x005F_xHHHH_`; a lone surrogate, which no file can hold, becomes
U+FFFD; a text longer than a cell holds is cut with a note (`cut_text`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from miedx_xl import collector
from miedx_xl.files import put_in_place, temp_beside
from miedx_xl.xlsx.engine import EXCEL_MAX_TEXT as EXCEL_MAX_TEXT
from miedx_xl.xlsx.engine import BookError as BookError
from miedx_xl.xlsx.engine import _Workbook, _Worksheet
from miedx_xl.xlsx.engine import cell_text as cell_text
from miedx_xl.xlsx.engine import cut_text as cut_text
from miedx_xl.xlsx.engine import excel_length as excel_length

DEFAULT_PT = 11.0
"""Font size of a format without one (the workbook's default font)."""
DEFAULT_WIDTH = 8.43
"""Width of a column without one, in Excel's character units."""
PX_PER_UNIT = 7.0
"""Pixels per unit of Excel column width (the width of '0' in the default 11 pt font)."""
PADDING_PX = 5
"""Pixels XlsxWriter adds to a column width given in characters (as Excel's dialog does)."""
CJK_EM_PX = 4 / 3
"""Pixels per point of a full-width character (one em, at 96 dpi)."""
LINE_EM = 1.45
"""Line height in em of wrapped CJK text (Noto Sans CJK, which LibreOffice uses, is tall)."""
DEFAULT_HEIGHT = 15.0
"""Points of a row that needs no more than the default height."""
MAX_HEIGHT = 409.0
"""The tallest row Excel allows, in points (a longer text scrolls within its cell)."""
FONT_NAME = "Yu Gothic"
GREY = "#A6A6A6"

BOX: dict[str, Any] = {"border": 1, "border_color": GREY}
"""A thin grey border on all four sides."""
WRAP_TOP: dict[str, Any] = {"text_wrap": True, "valign": "top"}
CENTERED_HEAD: dict[str, Any] = {"text_wrap": True, "valign": "vcenter", "align": "center"}


def fill(rgb: str) -> dict[str, Any]:
    """A solid background of colour `rgb` ("1F4E78")."""
    return {"pattern": 1, "bg_color": f"#{rgb}"}


def font(size: float | None = None, bold: bool = False, color: str | None = None) -> dict[str, Any]:
    """The workbook font (Yu Gothic) at `size` points, optionally bold and coloured."""
    out: dict[str, Any] = {"font_name": FONT_NAME}
    if size is not None:
        out["font_size"] = size
    if bold:
        out["bold"] = True
    if color is not None:
        out["font_color"] = f"#{color}"
    return out


WORKBOOK_OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": False,
}
"""No guessing from text: every write names its type (see `write_cell`). Measured on the
master of 3,300 divisions: `in_memory` (parts assembled in memory, not in temporary files)
was 1.3 s faster (14.7 s against 16.0 s) but peaked 290 MB higher (785 against 498 MB), so
it is not used; nor is `constant_memory`, slower at 330 divisions (1.6–1.8 s against
1.2–1.3 s), and it writes each row before the rows can be sized."""


def display_width(text: str) -> int:
    """Columns a text takes on screen: two per Japanese character, one per ASCII one."""
    # Japanese characters take 3 bytes in UTF-8 and two columns on screen, ASCII 1 and 1:
    # len + (bytes - len) / 2 counts both without a Python loop over the characters.
    n = len(text)
    return n + (len(text.encode("utf-8", "surrogatepass")) - n) // 2


def line_capacity(width: float, size_pt: float) -> float:
    """Half-width characters a line holds in a cell `width` column units wide."""
    return max((width * PX_PER_UNIT - 4) / (size_pt * CJK_EM_PX / 2), 2.0)


def wrapped_lines(text: str, capacity: float) -> int:
    """Lines a text wraps to at `capacity` half-width characters a line."""
    if "\n" not in text:
        if 2 * len(text) <= capacity:
            return 1  # one line whatever the characters
        return max(1, math.ceil(display_width(text) / capacity))
    return sum(max(1, math.ceil(display_width(par) / capacity)) for par in text.split("\n"))


def text_height(text: str, width: float, size_pt: float) -> float:
    """Points a text needs when wrapped in a cell `width` column units wide."""
    return wrapped_lines(text, line_capacity(width, size_pt)) * size_pt * LINE_EM + 3


def raw_width(width: float) -> float:
    """The width to give XlsxWriter so that the file holds `width` itself (XlsxWriter adds
    Excel's 5 px of padding to a width in characters)."""
    if width * PX_PER_UNIT <= PADDING_PX:
        return width
    return (width * PX_PER_UNIT - PADDING_PX) / PX_PER_UNIT


def write_cell(ws: Worksheet, row: int, col: int, value: Any, fmt: Format | None) -> None:
    """Write one value at 0-based (row, col): text as text, numbers as numbers, None, '' and
    NaN or infinite numbers as an empty (formatted) cell.

    It calls XlsxWriter's undecorated `_write_string`/`_write_number`/`_write_blank`, which
    its public `write_*` methods call after turning an "A1" reference into (row, col): the
    cells here always come as numbers, and that check was a tenth of the master's time."""
    cls = value.__class__
    if cls is str:
        if value:
            ws._write_string(row, col, cell_text(value), fmt)
        elif fmt is not None:
            ws._write_blank(row, col, None, fmt)
    elif value is None:
        if fmt is not None:
            ws._write_blank(row, col, None, fmt)
    elif cls is bool:
        ws.write_boolean(row, col, value, fmt)
    elif (
        cls is int
        or cls is float
        or (isinstance(value, int | float) and not isinstance(value, bool))
    ):
        if math.isfinite(value):
            ws._write_number(row, col, value, fmt)
        elif fmt is not None:
            ws._write_blank(row, col, None, fmt)
    elif isinstance(value, str):
        write_cell(ws, row, col, str(value), fmt)
    else:
        raise BookError(f"a cell holds text or numbers, not {type(value).__name__}")


class Book:
    """An XlsxWriter workbook written to a temporary file beside `path`, renamed into place
    by `save` (and removed when saving fails or the `with` block raises).

    Inside `with Book(...)` the garbage collector is off (`collector.paused`): a book's cells
    are ~100,000 tuples without reference cycles (freed by reference counting anyway), and
    the collector's passes over them cost ~0.3 s of the master of 330 divisions, ~3 s of
    3,300.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = temp_beside(path)
        self.wb = _Workbook(str(self.tmp), WORKBOOK_OPTIONS)
        self.sheets: list[Sheet] = []
        self._formats: dict[str, Format] = {}
        self._wraps: dict[int, bool] = {}
        self._sizes: dict[int, float] = {}
        self._paused = collector.paused()

    def __enter__(self) -> Book:
        self._paused.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._paused.__exit__(kind, exc, tb)
        if kind is not None:
            self.discard()

    def style(self, name: str, *parts: Mapping[str, Any]) -> Format:
        """The workbook's cell format named `name`, made once from XlsxWriter format
        properties (later parts override earlier ones)."""
        known = self._formats.get(name)
        if known is not None:
            return known
        props: dict[str, Any] = {}
        for part in parts:
            props.update(part)
        fmt = self.wb.add_format(props)
        self._formats[name] = fmt
        self._wraps[id(fmt)] = bool(props.get("text_wrap"))
        self._sizes[id(fmt)] = float(props.get("font_size") or DEFAULT_PT)
        return fmt

    def wraps(self, fmt: Format | None) -> bool:
        """Whether cells of `fmt` wrap their text."""
        return fmt is not None and self._wraps.get(id(fmt), False)

    def size(self, fmt: Format | None) -> float:
        """The font size of `fmt` in points."""
        return DEFAULT_PT if fmt is None else self._sizes.get(id(fmt), DEFAULT_PT)

    def sheet(self, name: str, direct: bool = False) -> Sheet:
        """A new sheet at the end of the workbook (`direct`: see `Sheet.direct`)."""
        sheet = Sheet(self, self.wb.add_worksheet(name, worksheet_class=_Worksheet), direct)
        self.sheets.append(sheet)
        return sheet

    def properties(self, title: str, created: Any = None) -> None:
        """Title, creator (miedx_xl) and, when given, the created time (naive UTC)."""
        props: dict[str, Any] = {"title": title, "author": "miedx_xl"}
        if created is not None:
            props["created"] = created
        self.wb.set_properties(props)

    def save(self) -> Path:
        """Write every sheet's cells, close the workbook and rename it into place."""
        try:
            for sheet in self.sheets:
                sheet.write()
            self.wb.close()
            put_in_place(self.tmp, self.path)
        except BaseException:
            self.discard()
            raise
        return self.path

    def discard(self) -> None:
        """Remove the temporary file."""
        self.tmp.unlink(missing_ok=True)


class Sheet:
    """The cells of one sheet (1-based rows and columns), kept as tuples until saved."""

    direct_allowed = True
    """False: every sheet's cells go through XlsxWriter's table (the tests compare)."""

    def __init__(self, book: Book, ws: Worksheet, direct: bool = False) -> None:
        self.book = book
        self.ws = ws
        self.direct = direct
        """Cells handed over as XML text (`_Worksheet.take_rows`), not into XlsxWriter's
        table: for large sheets whose cells no chart reads (a chart's cached values come
        from the table)."""
        self.rows: dict[int, dict[int, tuple[Any, Format | None]]] = {}
        self.heights: dict[int, float] = {}
        self.merges: list[tuple[int, int, int]] = []
        """Single-row merged ranges as (row, first column, last column)."""
        self.widths: dict[int, float] = {}
        self.written = False
        """True once the cells are handed to XlsxWriter (`write`)."""

    def set(self, row: int, col: int, value: Any, fmt: Format | None = None) -> None:
        """Put a value (None for an empty, formatted cell) with a format."""
        self._open()
        self.rows.setdefault(row, {})[col] = (value, fmt)

    def _open(self) -> None:
        if self.written:
            raise BookError(f"sheet {self.ws.name} was already handed to XlsxWriter")

    def set_row(
        self, row: int, values: Sequence[Any], formats: Sequence[Format | None], first: int = 1
    ) -> None:
        """Put a row of values from column `first`, each with its format."""
        self._open()
        cells = zip(
            range(first, first + len(values)), zip(values, formats, strict=True), strict=True
        )
        known = self.rows.get(row)
        if known is None:
            self.rows[row] = dict(cells)
        else:
            known.update(cells)

    def merge(self, row: int, first_col: int, last_col: int) -> None:
        """Merge columns `first_col`..`last_col` of one row (each cell keeps its format)."""
        self._open()
        self.merges.append((row, first_col, last_col))

    def set_widths(self, widths: Sequence[float], first: int = 1) -> None:
        """Column widths in Excel's character units, from column `first`."""
        for col, width in enumerate(widths, start=first):
            self.widths[col] = width

    @property
    def max_row(self) -> int:
        """The last row with a cell (0 when empty)."""
        return max((r for r, cells in self.rows.items() if cells), default=0)

    def fit_rows(self, first: int, last: int) -> None:
        """Set each row's height to its tallest wrapped text (neither Excel nor LibreOffice
        sizes rows of a written file, and none sizes merged cells)."""
        widths = self.widths
        book = self.book
        spans = {(r, c1): (c1, c2) for r, c1, c2 in self.merges}
        merged_rows = {r for r, _, _ in self.merges}
        # Per (format id, first column, last column): the line capacity and point size, or
        # None when the format does not wrap.
        fits: dict[tuple[int, int, int], tuple[float, float] | None] = {}
        rows = self.rows
        for r in range(first, last + 1):
            cells = rows.get(r)
            if not cells:
                continue
            merged = r in merged_rows
            need = 0.0
            for col, (value, fmt) in cells.items():
                if value.__class__ is not str:
                    continue
                c1, c2 = spans.get((r, col), (col, col)) if merged else (col, col)
                key = (id(fmt), c1, c2)
                if key not in fits:
                    fits[key] = None
                    if book.wraps(fmt):
                        size = book.size(fmt)
                        width = sum(widths.get(c, DEFAULT_WIDTH) for c in range(c1, c2 + 1))
                        fits[key] = (line_capacity(width, size), size)
                found = fits[key]
                if found is None:
                    continue
                capacity, size = found
                if size <= need and 2 * len(value) <= capacity and "\n" not in value:
                    continue  # one line, and a row this tall already
                tall = wrapped_lines(value, capacity) * size
                if tall > need:
                    need = tall
            height = need * LINE_EM + 3
            if height > DEFAULT_HEIGHT:
                self.heights[r] = round(min(height, MAX_HEIGHT), 1)

    def write(self) -> None:
        """Hand widths, merges, heights and cells to XlsxWriter, once (`Book.save` calls it
        for a sheet not yet handed over); the sheet takes no cells after it."""
        if self.written:
            return
        self.written = True
        ws = self.ws
        for col, width in sorted(self.widths.items()):
            ws.set_column(col - 1, col - 1, raw_width(width))
        for r, c1, c2 in self.merges:
            # No value: the cells of the range are written below, each with its format.
            ws.merge_range(r - 1, c1 - 1, r - 1, c2 - 1, None)
        for r, height in sorted(self.heights.items()):
            ws.set_row(r - 1, height)
        rows = self.rows
        if self.direct and self.direct_allowed:
            ws.take_rows(rows)
            return
        # Each row is dropped once handed over: XlsxWriter's cells (tuples and dicts of the
        # same sizes) then reuse its memory instead of adding to it.
        for r in sorted(rows):
            for col, (value, fmt) in sorted(rows.pop(r).items()):
                write_cell(ws, r - 1, col - 1, value, fmt)
        ws.claim_styles()


PAGE_HEADER_IN = 0.5
"""Inches between the page edge and the page header or footer."""


def landscape_a4(ws: Worksheet, title_rows: tuple[int, int] | None = None) -> None:
    """Print set-up: A4 landscape, fit to one page wide, centred, repeated header rows
    (1-based first and last row), margins of 0.4 in left and right, 1 in top and bottom."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=1.0, bottom=1.0)
    ws.set_header("", margin=PAGE_HEADER_IN)
    ws.set_footer("", margin=PAGE_HEADER_IN)
    if title_rows is not None:
        ws.repeat_rows(title_rows[0] - 1, title_rows[1] - 1)
