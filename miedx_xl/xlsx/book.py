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

import io
import math
import os
import re
import sys
import zipfile
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import CellBlankTuple, CellNumberTuple, CellStringTuple, Worksheet

from miedx_xl import collector
from miedx_xl.files import put_in_place, temp_beside

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
EXCEL_MAX_TEXT = 32_767
"""Characters one Excel cell holds (UTF-16 units); Excel repairs (empties) a longer one."""

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

_SURROGATE = re.compile("[\ud800-\udfff]")
_FAST_CELLS = (CellStringTuple, CellNumberTuple, CellBlankTuple)
"""The cells `_Worksheet._write_rows` writes itself."""


class BookError(RuntimeError):
    """A book was used against its contract (a programming error, not a user's input)."""


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


def excel_length(text: str) -> int:
    """Characters as Excel counts them: UTF-16 code units (𠮷 or an emoji counts twice)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def cut_text(text: str) -> str:
    """A text cut to what one Excel cell holds, saying that it was cut and how long it was."""
    mark = f"…（以下省略：全 {excel_length(text):,} 文字。提出ファイルを参照してください）"
    room = EXCEL_MAX_TEXT - excel_length(mark)
    units = text.encode("utf-16-le", "surrogatepass")[: 2 * room]
    # A cut through a surrogate pair leaves half a character: drop it.
    return units.decode("utf-16-le", errors="ignore") + mark


def cell_text(text: str) -> str:
    """A text as one cell can hold it: lone surrogates as U+FFFD, cut when too long."""
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
    if len(text) > EXCEL_MAX_TEXT // 2 and excel_length(text) > EXCEL_MAX_TEXT:
        text = cut_text(text)
    return text


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


class _Worksheet(Worksheet):  # type: ignore[misc]
    """XlsxWriter's worksheet with two changes:

    - it writes fitToWidth="1" too: XlsxWriter leaves out a width of one page (the
      default), which openpyxl then reads as no width at all;
    - `_write_rows` writes the three kinds of cell the master is made of (a shared string,
      a number or a blank, each with a cell format) one f-string a cell, instead of
      XlsxWriter's attribute lists and method calls per cell: the same bytes (a test
      compares every sheet of a master with XlsxWriter's own `_write_rows`), a third of the
      time. Any other cell goes to XlsxWriter's `_write_cell`.
    """

    fast_rows = True
    """False: XlsxWriter's own `_write_rows` (the tests compare the two)."""

    def __init__(self) -> None:
        super().__init__()
        self.direct_rows: dict[int, tuple[int, int, str]] = {}
        """0-based row -> (first column, last column, its cells as XML): the rows of a
        `Sheet(direct=True)`, which never enter XlsxWriter's table."""

    def take_rows(self, rows: dict[int, dict[int, tuple[Any, Format | None]]]) -> None:
        """Turn a sheet's cells (1-based) into the XML XlsxWriter would write for them, a
        string a row, emptying `rows` as it goes: the same shared strings, in the same order,
        and the same style numbers as `write_cell` and XlsxWriter's table would give, without
        an object per cell in memory (N = 3,300: hundreds of MB). Text, numbers, booleans
        and blanks only; no row or column formats on such a sheet."""
        if any(i.column_format is not None for i in self.col_info.values()) or any(
            i.row_format is not None for i in self.row_info.values()
        ):
            raise BookError("a direct sheet takes no row or column formats")
        table = self.str_table
        sst = table._get_shared_string_index
        strings: dict[str, int] = {}
        """A cell's text -> its shared string's number, for texts met again (at N = 330, 4 in
        5): XlsxWriter's table then only counts the use, as `sst` would."""
        again = 0
        styles: dict[Format | None, str] = {None: ""}
        names: list[str] = []
        colmax = self.xls_colmax
        out = self.direct_rows
        for r in sorted(rows):
            cells = rows.pop(r)
            if r < 1 or r > self.xls_rowmax:
                raise BookError(f"row {r} is outside a sheet")
            if not cells:
                continue
            order = sorted(cells)
            if order[0] < 1 or order[-1] > colmax:
                raise BookError(f"a column of row {r} is outside a sheet")
            while len(names) <= order[-1]:
                names.append(xl_col_to_name(len(names) - 1) if names else "")
            ref = str(r)
            parts: list[str] = []
            first = last = -1
            for c in order:
                value, fmt = cells[c]
                cls = value.__class__
                if cls is not str and isinstance(value, str):
                    value, cls = str(value), str  # a str subclass as plain text (write_cell)
                s = styles.get(fmt)
                if s is None:  # a format met first (None is in `styles`)
                    s = styles[fmt] = f' s="{fmt._get_xf_index()}"'  # type: ignore[union-attr]
                if cls is str and value:
                    index = strings.get(value)
                    if index is None:
                        index = strings[value] = sst(cell_text(value))
                    else:
                        again += 1
                    body = f' t="s"><v>{index}</v></c>'
                elif cls is bool:
                    body = f' t="b"><v>{1 if value else 0}</v></c>'
                elif (cls is int or cls is float or isinstance(value, int | float)) and (
                    math.isfinite(value)
                ):
                    body = f"><v>{value:.16G}</v></c>"
                elif value is None or cls is str or isinstance(value, int | float):
                    if fmt is None:
                        continue  # an empty cell without a format is no cell
                    body = "/>"
                else:
                    raise BookError(f"a cell holds text or numbers, not {type(value).__name__}")
                if first < 0:
                    first = c - 1
                last = c - 1
                parts.append(f'<c r="{names[c]}{ref}"{s}{body}')
            if parts:
                self._check_dimensions(r - 1, first)
                self._check_dimensions(r - 1, last)
                out[r - 1] = (first, last, "".join(parts))
        table.count += again

    def claim_styles(self) -> None:
        """Give the formats of the cells in XlsxWriter's table their style numbers now, in
        the order XlsxWriter's `close` would (column formats, then row by row each row's and
        its cells' formats): sheets handed over one by one, direct or not, number their
        styles as one `close` over all of them does."""
        for col in sorted(self.col_info):
            fmt = self.col_info[col].column_format
            if fmt is not None:
                fmt._get_xf_index()
        if self.dim_rowmin is None:
            return
        table, row_info = self.table, self.row_info
        for row_num in range(self.dim_rowmin, self.dim_rowmax + 1):
            info = row_info.get(row_num)
            if info is not None and info.row_format is not None:
                info.row_format._get_xf_index()
            for col_num in sorted(table.get(row_num, ())):
                fmt = table[row_num][col_num].format
                if fmt is not None:
                    fmt._get_xf_index()

    def _calculate_spans(self) -> None:
        super()._calculate_spans()
        if not self.direct_rows:
            return
        blocks: dict[int, tuple[int, int]] = {}
        for row_num, (first, last, _) in self.direct_rows.items():
            if self.table.get(row_num) or row_num in self.comments:
                raise BookError(f"row {row_num + 1} has cells of both kinds")
            block = row_num // 16
            low, high = blocks.get(block, (first, last))
            blocks[block] = (min(low, first), max(high, last))
        for block, (low, high) in blocks.items():
            known = self.row_spans.get(block)
            if known is not None:
                a, b = (int(x) - 1 for x in known.split(":"))
                low, high = min(low, a), max(high, b)
            self.row_spans[block] = f"{low + 1}:{high + 1}"

    def _write_rows(self) -> None:
        if not self.fast_rows:
            if self.direct_rows:
                raise BookError("XlsxWriter's own rows cannot write a direct sheet")
            super()._write_rows()
            return
        self._calculate_spans()
        if self.dim_rowmin is None:
            return
        table, row_info, comments, spans = self.table, self.row_info, self.comments, self.row_spans
        direct = self.direct_rows
        write = self.fh.write
        names = {c: xl_col_to_name(c) for c in range(self.dim_colmin, self.dim_colmax + 1)}
        styles: dict[int, str] = {}
        for row_num in range(self.dim_rowmin, self.dim_rowmax + 1):
            taken = direct.get(row_num)
            if taken is not None:
                self._write_row(row_num, spans.get(row_num // 16), row_info.get(row_num))
                write(taken[2])
                write("</row>")
                continue
            cells = table.get(row_num)
            if not cells and row_num not in row_info and row_num not in comments:
                continue
            span = spans.get(row_num // 16)
            info = row_info.get(row_num)
            if not cells:
                self._write_empty_row(row_num, span, info)
                continue
            self._write_row(row_num, span, info)
            ref = str(row_num + 1)
            parts: list[str] = []
            for col_num in sorted(cells):
                cell = cells[col_num]
                fmt = cell.format
                kind = cell.__class__
                if fmt is None or kind not in _FAST_CELLS:
                    if parts:
                        write("".join(parts))
                        parts = []
                    self._write_cell(row_num, col_num, cell)
                    continue
                key = id(fmt)
                s = styles.get(key)
                if s is None:
                    s = styles[key] = f'" s="{fmt._get_xf_index()}'
                if kind is CellStringTuple:
                    parts.append(f'<c r="{names[col_num]}{ref}{s}" t="s"><v>{cell.string}</v></c>')
                elif kind is CellNumberTuple:
                    parts.append(f'<c r="{names[col_num]}{ref}{s}"><v>{cell.number:.16G}</v></c>')
                else:
                    parts.append(f'<c r="{names[col_num]}{ref}{s}"/>')
            if parts:
                write("".join(parts))
            write("</row>")

    def _xml_empty_tag(self, tag: str, attributes: Any = ()) -> None:
        if tag == "pageSetup" and self.fit_page and self.fit_width == 1:
            attributes = list(attributes)
            at = next(
                (i for i, (k, _) in enumerate(attributes) if k not in ("paperSize", "scale")),
                len(attributes),
            )
            attributes.insert(at, ("fitToWidth", 1))
        super()._xml_empty_tag(tag, attributes)


_SST_SPECIAL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
"""What XlsxWriter's `_escape_control_characters` changes in a shared string."""


_SST_BATCH = 512
"""Shared strings written at a time (not all at once: at N = 3,300 they are 300 MB)."""


class _SharedStrings(SharedStrings):  # type: ignore[misc]
    """XlsxWriter's shared strings part, each plain string written as one f-string instead
    of five regular expressions a string (at N = 330, 38,000 strings: 0.3 s). A string
    with a control character, a literal `_xHHHH_` or the look of a rich string goes to
    XlsxWriter's own `_write_si`; a test compares the bytes of both for any text."""

    fast = True
    """False: XlsxWriter's own `_write_si` for every string (the tests compare the two)."""

    def _write_sst_strings(self) -> None:
        if not self.fast:
            super()._write_sst_strings()
            return
        special = _SST_SPECIAL.search
        write = self.fh.write
        parts: list[str] = []
        for text in self.string_table.string_array:
            if special(text) or (text.startswith("<r>") and text.endswith("</r>")):
                write("".join(parts))
                parts.clear()
                self._write_si(text)
                continue
            # XlsxWriter's ^\s and \s$ are str.isspace of the first and last character.
            space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
            if "&" in text or "<" in text or ">" in text:
                text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            parts.append(f"<si><t{space}>{text}</t></si>")
            if len(parts) >= _SST_BATCH:
                write("".join(parts))
                parts.clear()
        write("".join(parts))


ZIP_LEVEL = 3
"""zlib's level for the parts (XlsxWriter leaves zipfile's default, 6). Measured on the master
of N = 330 (34 MB of XML): level 6 compresses in 0.61 s to 2.8 MB, 3 in 0.25 s to 3.5 MB,
1 in 0.19 s to 4.3 MB; with the zip thread, save takes 0.72 / 0.41 / 0.40 s. Level 3: the
time of 1 at a sixth less size."""

ZIP_CHUNK = 4 << 20
"""Bytes of a part read and compressed at a time by the zip thread: zlib runs without the
GIL, and the thread takes the GIL back once per chunk (each time it may wait a switch
interval, 5 ms, for the writing thread), so chunks are large."""


class _Packager(Packager):  # type: ignore[misc]
    """XlsxWriter's packager with `_SharedStrings` for the shared strings part, zipping the
    parts itself into `target` when it has one (see `_Workbook`).

    XlsxWriter writes every part to a temporary file and then, with all of them written,
    compresses them one after the other (at N = 330, 34 MB of XML: 0.47 s). Here each part
    is compressed as soon as XlsxWriter has written it and begins the next one (XlsxWriter
    writes parts strictly one after the other), by one other thread, while XlsxWriter goes
    on writing: zlib releases the GIL. Same parts in the same order, compressed at
    `ZIP_LEVEL`, the entries dated as XlsxWriter's in-memory mode dates them."""

    def __init__(self, target: str | None = None) -> None:
        super().__init__()
        self.target = target
        self.allow_zip64 = False
        """As the workbook's (`Workbook.use_zip64`)."""
        self._zip: zipfile.ZipFile | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._queued = 0
        self._jobs: list[Future[None]] = []

    def _create_package(self) -> list[Any]:
        if self.target is None:
            return list(super()._create_package())
        self._zip = zipfile.ZipFile(
            self.target,
            "w",
            compression=zipfile.ZIP_DEFLATED,
            allowZip64=self.allow_zip64,
            compresslevel=ZIP_LEVEL,
        )
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="miedx-zip")
        try:
            parts = super()._create_package()
            self._queue(len(parts))
        except BaseException:
            self._finish(failed=True)
            raise
        self._finish(failed=False)
        return []  # nothing left for XlsxWriter to zip

    def _filename(self, xml_filename: str) -> Any:
        if self._pool is not None:
            self._queue(len(self.filenames))  # every part begun so far is written
        return super()._filename(xml_filename)

    def _queue(self, upto: int) -> None:
        assert self._pool is not None
        for entry in self.filenames[self._queued : upto]:
            self._jobs.append(self._pool.submit(self._store, entry[0], entry[1]))
        self._queued = max(self._queued, upto)

    def _store(self, path: str, name: str) -> None:
        assert self._zip is not None
        info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        # ZipFile.open(info, "w") takes the level from the entry, not from the ZipFile.
        if sys.version_info >= (3, 13):
            info.compress_level = ZIP_LEVEL
        else:
            info._compresslevel = ZIP_LEVEL  # type: ignore[attr-defined]
        info.file_size = os.path.getsize(path)
        with open(path, "rb") as src, self._zip.open(info, "w") as dest:
            while chunk := src.read(ZIP_CHUNK):
                dest.write(chunk)
        os.remove(path)

    def _finish(self, failed: bool) -> None:
        """Wait for the zip thread, close the zip and remove what is left of the parts; the
        first error of the zip thread is raised (unless XlsxWriter's own is on its way)."""
        assert self._pool is not None and self._zip is not None
        self._pool.shutdown(wait=True)
        error = next((job.exception() for job in self._jobs if job.exception()), None)
        self._zip.close()
        for path, _, _ in self.filenames:
            if isinstance(path, str) and os.path.exists(path):
                os.remove(path)
        if error is not None and not failed:
            raise error

    def _write_shared_strings_file(self) -> None:
        table = self.workbook.str_table
        if not table.count:
            return
        sst = _SharedStrings()
        sst.string_table = table
        sst._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        sst._assemble_xml_file()


class _Workbook(xlsxwriter.Workbook):  # type: ignore[misc]
    """XlsxWriter's workbook packaged by `_Packager` (`_get_packager` is XlsxWriter's hook
    for that): with `own_zip`, XlsxWriter's own zip goes to a buffer and stays empty, and
    the packager writes the workbook to `target`."""

    own_zip = True
    """False: XlsxWriter zips the parts itself (the tests compare the two)."""

    def __init__(self, target: str, options: Mapping[str, Any]) -> None:
        self.own = self.own_zip and not options.get("in_memory")
        super().__init__(io.BytesIO() if self.own else target, dict(options))
        self.target = target

    def _get_packager(self) -> Packager:
        packager = _Packager(self.target if self.own else None)
        packager.allow_zip64 = self.allow_zip64
        return packager


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
        # Per format (by id): None when it does not wrap, else per (first, last) column the
        # line capacity; and its point size.
        fits: dict[int, dict[tuple[int, int], float] | None] = {}
        sizes: dict[int, float] = {}
        # Per column of an unmerged row: the format last met there and its (capacity, size),
        # or None when it does not wrap (a column's cells mostly share one format).
        columns: dict[int, tuple[Format | None, tuple[float, float] | None]] = {}

        def fit(fmt: Format | None, span: tuple[int, int]) -> tuple[float, float] | None:
            key = id(fmt)
            if key not in fits:
                fits[key] = {} if book.wraps(fmt) else None
                sizes[key] = book.size(fmt)
            by_span = fits[key]
            if by_span is None:
                return None
            capacity = by_span.get(span)
            if capacity is None:
                width = sum(widths.get(c, DEFAULT_WIDTH) for c in range(span[0], span[1] + 1))
                capacity = by_span[span] = line_capacity(width, sizes[key])
            return capacity, sizes[key]

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
                if merged:
                    found = fit(fmt, spans.get((r, col), (col, col)))
                else:
                    known = columns.get(col)
                    if known is not None and known[0] is fmt:
                        found = known[1]
                    else:
                        found = fit(fmt, (col, col))
                        columns[col] = (fmt, found)
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
