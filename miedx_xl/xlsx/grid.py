"""Large sheets serialised as XML text inside a workbook that openpyxl writes.

openpyxl keeps a Python object per cell and serialises each one through an XML tree writer
(about 20 µs a cell here); the master's progress table of a whole prefecture has ~100,000
cells. A `Grid` keeps its cells as plain tuples with style ids registered in the workbook,
and `save` writes them as text into the sheet part that openpyxl wrote without cells.
Everything else of the sheet (column widths, panes, print set-up, headers, print titles) and
the workbook's styles still come from openpyxl.

Text is always written as an inline string, so text that looks like a formula stays text.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from openpyxl.styles import Alignment, Border, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.numbers import BUILTIN_FORMATS_MAX_SIZE, BUILTIN_FORMATS_REVERSE
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

DEFAULT_PT = 11.0
"""Font size of a style without one (openpyxl's default font)."""
DEFAULT_WIDTH = 8.43
"""Width of a column without one, in Excel's character units."""
PX_PER_UNIT = 7.0
"""Pixels per unit of Excel column width (the width of '0' in the default 11 pt font)."""
CJK_EM_PX = 4 / 3
"""Pixels per point of a full-width character (one em, at 96 dpi)."""
LINE_EM = 1.45
"""Line height in em of wrapped CJK text (Noto Sans CJK, which LibreOffice uses, is tall)."""
DEFAULT_HEIGHT = 15.0
"""Points of a row that needs no more than the default height."""
MAX_HEIGHT = 409.0
"""The tallest row Excel allows, in points (a longer text scrolls within its cell)."""

ZIP_LEVEL = 3
"""Deflate level: a large sheet's XML packs in 0.08 s at 3 against 0.18 s at the default 6
(14 MB of XML: 1.45 MB against 1.14 MB)."""
EXCEL_MAX_TEXT = 32_767
"""Characters one Excel cell holds; Excel repairs (empties) a file with a longer one."""
CHUNK_ROWS = 2000
"""Rows serialised per write into the zip stream."""

# XML 1.0 forbids these characters; OOXML writes them as _xHHHH_ (and a literal `_xHHHH_`
# in a text as `_x005F_xHHHH_`, so that it is not read as an escape).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_LITERAL_ESCAPE = re.compile("_(x[0-9A-Fa-f]{4}_)")
_SPACE = " \t\n\r\u3000"
# Elements a worksheet may hold between sheetData and mergeCells (ECMA-376 CT_Worksheet).
_BEFORE_MERGES = (
    "<sheetCalcPr",
    "<sheetProtection",
    "<protectedRanges",
    "<scenarios",
    "<autoFilter",
    "<sortState",
    "<dataConsolidate",
    "<customSheetViews",
    "<mergeCells",
)
_EMPTY_SHEET_DATA = re.compile(r"<sheetData\s*/>|<sheetData>\s*</sheetData>")
_DIMENSION = re.compile(r"<dimension ref=\"[^\"]*\"\s*/>")


class GridError(RuntimeError):
    """A Grid was used against its contract (a programming error, not a user's input)."""


def display_width(text: str) -> int:
    """Columns a text takes on screen: two per Japanese character, one per ASCII one."""
    # Japanese characters take 3 bytes in UTF-8 and two columns on screen, ASCII 1 and 1:
    # len + (bytes - len) / 2 counts both without a Python loop over the characters.
    n = len(text)
    return n + (len(text.encode("utf-8")) - n) // 2


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
    return len(text.encode("utf-16-le")) // 2


def cut_text(text: str) -> str:
    """A text cut to what one Excel cell holds, saying that it was cut and how long it was."""
    mark = f"…（以下省略：全 {excel_length(text):,} 文字。提出ファイルを参照してください）"
    room = EXCEL_MAX_TEXT - excel_length(mark)
    units = text.encode("utf-16-le")[: 2 * room]
    # A cut through a surrogate pair leaves half a character: drop it.
    return units.decode("utf-16-le", errors="ignore") + mark


def ooxml_escape(text: str) -> str:
    """Characters XML forbids as `_xHHHH_`, and a literal `_xHHHH_` kept literal, as Excel
    writes them (openpyxl refuses the characters; Excel and python-calamine decode both)."""
    if "_x" in text:
        text = _LITERAL_ESCAPE.sub(r"_x005F_\1", text)
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub(lambda m: f"_x{ord(m[0]):04X}_", text)
    return text


def xml_text(text: str) -> str:
    """A text escaped for an XML element of a cell."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return ooxml_escape(text)


class Grid:
    """The cells of one sheet, kept as tuples and serialised by `save`.

    The openpyxl sheet `ws` must get no cells and no row heights of its own: the Grid writes
    the whole of its sheetData and its merged ranges.
    """

    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws
        self.wb: Any = ws.parent
        self.rows: dict[int, dict[int, tuple[Any, int]]] = {}
        self.heights: dict[int, float] = {}
        self.merges: list[tuple[int, int, int]] = []
        """Single-row merged ranges as (row, first column, last column)."""
        self._styles: dict[str, int] = {}
        self._wraps: dict[int, bool] = {}
        self._sizes: dict[int, float] = {}

    def style(
        self,
        name: str,
        *,
        font: Font | None = None,
        fill: PatternFill | None = None,
        border: Border | None = None,
        alignment: Alignment | None = None,
        number_format: str | None = None,
    ) -> int:
        """The workbook's cell style id for a named set of styles (registered once)."""
        known = self._styles.get(name)
        if known is not None:
            return known
        wb = self.wb
        array = StyleArray()
        if font is not None:
            array.fontId = wb._fonts.add(font)
        if fill is not None:
            array.fillId = wb._fills.add(fill)
        if border is not None:
            array.borderId = wb._borders.add(border)
        if alignment is not None:
            array.alignmentId = wb._alignments.add(alignment)
        if number_format is not None:
            fmt_id = BUILTIN_FORMATS_REVERSE.get(number_format)
            if fmt_id is None:
                fmt_id = wb._number_formats.add(number_format) + BUILTIN_FORMATS_MAX_SIZE
            array.numFmtId = fmt_id
        style_id: int = wb._cell_styles.add(array)
        self._styles[name] = style_id
        self._wraps[style_id] = bool(alignment and alignment.wrap_text)
        self._sizes[style_id] = float(font.sz) if font is not None and font.sz else DEFAULT_PT
        return style_id

    def set(self, row: int, col: int, value: Any, style: int = 0) -> None:
        """Put a value (None for an empty, styled cell) with a style id from `style`."""
        self.rows.setdefault(row, {})[col] = (value, style)

    def set_row(
        self, row: int, values: Sequence[Any], styles: Sequence[int], first: int = 1
    ) -> None:
        """Put a row of values from column `first`, each with its style id."""
        cells = self.rows.setdefault(row, {})
        for col, (value, style) in enumerate(zip(values, styles, strict=True), start=first):
            cells[col] = (value, style)

    def merge(self, row: int, first_col: int, last_col: int) -> None:
        """Merge columns `first_col`..`last_col` of one row."""
        self.merges.append((row, first_col, last_col))

    @property
    def max_row(self) -> int:
        """The last row with a cell (0 when empty)."""
        return max((r for r, cells in self.rows.items() if cells), default=0)

    def fit_rows(self, first: int, last: int) -> None:
        """Set each row's height to its tallest wrapped text (neither Excel nor LibreOffice
        sizes rows of a written file, and none sizes merged cells)."""
        dims = self.ws.column_dimensions
        widths = {c: float(d.width or DEFAULT_WIDTH) for c, d in _numbered(dims).items()}
        spans = {(r, c1): (c1, c2) for r, c1, c2 in self.merges}
        # Line capacity and point size by (first column, last column, style).
        fits: dict[tuple[int, int, int], tuple[float, float]] = {}
        for r in range(first, last + 1):
            cells = self.rows.get(r)
            if not cells:
                continue
            need = 0.0
            for col, (value, style) in cells.items():
                if value.__class__ is not str or not self._wraps.get(style):
                    continue
                c1, c2 = spans.get((r, col), (col, col))
                fit = fits.get((c1, c2, style))
                if fit is None:
                    width = sum(widths.get(c, DEFAULT_WIDTH) for c in range(c1, c2 + 1))
                    size = self._sizes.get(style, DEFAULT_PT)
                    fit = fits[(c1, c2, style)] = (line_capacity(width, size), size)
                need = max(need, wrapped_lines(value, fit[0]) * fit[1])
            height = need * LINE_EM + 3
            if height > DEFAULT_HEIGHT:
                self.heights[r] = round(min(height, MAX_HEIGHT), 1)

    def dimension(self) -> str:
        """The sheet's used range, e.g. A1:N7300."""
        used = {r: cells for r, cells in self.rows.items() if cells}
        if not used:
            return "A1"
        last_col = max(max(cells) for cells in used.values())
        first_row = min(used)
        first_col = min(min(cells) for cells in used.values())
        return f"{get_column_letter(first_col)}{first_row}:{get_column_letter(last_col)}{max(used)}"

    def xml_chunks(self) -> Iterator[str]:
        """The sheetData element, in pieces of `CHUNK_ROWS` rows."""
        letters: dict[int, str] = {}
        out: list[str] = ["<sheetData>"]
        for n, r in enumerate(sorted(self.rows.keys() | self.heights.keys()), start=1):
            height = self.heights.get(r)
            head = f'<row r="{r}"' + (f' ht="{height}" customHeight="1">' if height else ">")
            out.append(head)
            for col, (value, style) in sorted(self.rows.get(r, {}).items()):
                letter = letters.get(col)
                if letter is None:
                    letter = letters[col] = get_column_letter(col)
                out.append(_cell_xml(f"{letter}{r}", value, style))
            out.append("</row>")
            if n % CHUNK_ROWS == 0:
                yield "".join(out)
                out = []
        out.append("</sheetData>")
        if self.merges:
            out.append(f'<mergeCells count="{len(self.merges)}">')
            for r, c1, c2 in self.merges:
                ref = f"{get_column_letter(c1)}{r}:{get_column_letter(c2)}{r}"
                out.append(f'<mergeCell ref="{ref}"/>')
            out.append("</mergeCells>")
        yield "".join(out)


def _numbered(dims: Any) -> dict[int, Any]:
    """Column dimensions by column number."""
    return {column_index_from_string(letter): dim for letter, dim in dims.items()}


def _cell_xml(ref: str, value: Any, style: int) -> str:
    s = f' s="{style}"' if style else ""
    if value is None or value == "":
        return f'<c r="{ref}"{s}/>'  # an empty text is an empty cell, as in openpyxl
    if isinstance(value, str):
        if len(value) > EXCEL_MAX_TEXT // 2 and excel_length(value) > EXCEL_MAX_TEXT:
            value = cut_text(value)
        padded = value and (value[0] in _SPACE or value[-1] in _SPACE)
        space = ' xml:space="preserve"' if padded else ""
        return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{xml_text(value)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"{s}><v>{value}</v></c>'
    if isinstance(value, float):
        if math.isfinite(value):
            return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
        return f'<c r="{ref}"{s}/>'
    raise GridError(f"a Grid cell holds text or numbers, not {type(value).__name__}")


def save(wb: Workbook, target: Path | io.BytesIO, grids: Sequence[Grid]) -> None:
    """Save `wb` to `target` with each Grid's cells in its sheet's part."""
    if not grids:
        wb.save(target)
        return
    for grid in grids:
        if grid.ws._cells or grid.ws.merged_cells.ranges:
            raise GridError(f"sheet {grid.ws.title} has openpyxl cells beside its Grid")
    staged = io.BytesIO()
    wb.save(staged)
    # openpyxl sets each sheet's part name (ws.path) while saving.
    parts = {str(grid.ws.path).lstrip("/"): grid for grid in grids}
    with (
        zipfile.ZipFile(staged) as src,
        zipfile.ZipFile(
            target, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=ZIP_LEVEL
        ) as dst,
    ):
        for info in src.infolist():
            data = src.read(info)
            target_grid = parts.get(info.filename)
            if target_grid is None:
                dst.writestr(info.filename, data)
                continue
            head, tail = _split_sheet(data.decode("utf-8"), info.filename)
            ref = target_grid.dimension()
            head = _DIMENSION.sub(f'<dimension ref="{ref}"/>', head, count=1)
            with dst.open(info.filename, "w") as fh:
                fh.write(head.encode("utf-8"))
                for chunk in target_grid.xml_chunks():
                    fh.write(chunk.encode("utf-8"))
                fh.write(tail.encode("utf-8"))


def _split_sheet(xml: str, part: str) -> tuple[str, str]:
    """The sheet part's text before and after its empty sheetData."""
    found = list(_EMPTY_SHEET_DATA.finditer(xml))
    if len(found) != 1:
        raise GridError(f"{part}: expected one empty sheetData, found {len(found)}")
    head, tail = xml[: found[0].start()], xml[found[0].end() :]
    # The Grid writes mergeCells right after sheetData: nothing may stand between them.
    for tag in _BEFORE_MERGES:
        if tag in tail:
            raise GridError(f"{part}: {tag[1:]} after sheetData is not supported beside a Grid")
    return head, tail
