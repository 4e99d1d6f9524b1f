"""Low-level openpyxl writing for workbooks that are edited or kept in openpyxl: the marked
copy of a form (`mark`), the plan book (`planbook`) and a filled form (`forms.fill_form`).
New forms and the master are written with XlsxWriter (`miedx_xl.xlsx.book`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from copy import copy
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from miedx_xl.files import replacing
from miedx_xl.normalize import is_formula_like

FONT_NAME = "Yu Gothic"
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(name=FONT_NAME, bold=True, color="FFFFFF")
BODY_FONT = Font(name=FONT_NAME)
LOCKED_FILL = PatternFill("solid", fgColor="E7E6E6")
INPUT_FILL = PatternFill("solid", fgColor="FFFFFF")
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
THIN = Side(style="thin", color="A6A6A6")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


# XML 1.0 forbids these characters; OOXML writes them as _xHHHH_ (and a literal `_xHHHH_`
# in a text as `_x005F_xHHHH_`, so that it is not read as an escape).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_LITERAL_ESCAPE = re.compile("_(x[0-9A-Fa-f]{4}_)")


def ooxml_escape(text: str) -> str:
    """Characters XML forbids as `_xHHHH_`, and a literal `_xHHHH_` kept literal, as Excel
    writes them (openpyxl refuses the characters; Excel and python-calamine decode both)."""
    if "_x" in text:
        text = _LITERAL_ESCAPE.sub(r"_x005F_\1", text)
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub(lambda m: f"_x{ord(m[0]):04X}_", text)
    return text


_STYLES: WeakKeyDictionary[Workbook, dict[str, StyleArray]] = WeakKeyDictionary()


def style(cell: Any, name: str, **attrs: Any) -> None:
    """Give a cell a named set of styles (font=, fill=, alignment=, border=, ...).

    The first cell of a workbook with this name is styled attribute by attribute; later
    ones copy its style ids, which skips openpyxl's hashing of every style object (the
    bulk of the time when a sheet has thousands of styled cells).
    """
    cache = _STYLES.setdefault(cell.parent.parent, {})
    known = cache.get(name)
    if known is None:
        for attr, value in attrs.items():
            setattr(cell, attr, value)
        cache[name] = copy(cell._style)
    else:
        cell._style = copy(known)


def put(ws: Worksheet, row: int, col: int, value: Any) -> Any:  # returns the Cell
    """Write a value; text that looks like a formula stays text, and characters a workbook
    cannot hold as such (control characters) are written as Excel's `_xHHHH_` escapes."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        value = ooxml_escape(value)
    cell.value = value
    if isinstance(value, str) and value and is_formula_like(value):
        cell.data_type = "s"
    return cell


def write_table(
    ws: Worksheet,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    widths: Sequence[float] | None = None,
    top: int = 1,
) -> int:
    """Write a header row and data rows with readable styles; return the last row written."""
    for c, label in enumerate(headers, start=1):
        cell = put(ws, top, c, label)
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = BOX
    r = top
    for r, values in enumerate(rows, start=top + 1):
        for c, value in enumerate(values, start=1):
            style(
                put(ws, r, c, value), "table-body", font=BODY_FONT, alignment=WRAP_TOP, border=BOX
            )
    for c, width in enumerate(widths or (), start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = f"A{top + 1}"
    return r


def landscape_a4(ws: Worksheet, title_rows: str | None = None) -> None:
    """Print set-up: A4 landscape, fit to one page wide, repeated header rows."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if ws.sheet_properties.pageSetUpPr is None:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties()
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    if title_rows:
        ws.print_title_rows = title_rows


def save_atomic(wb: Workbook, path: Path) -> None:
    """Save to a temporary file beside `path`, then rename it into place."""
    with replacing(path) as tmp:
        wb.save(tmp)
