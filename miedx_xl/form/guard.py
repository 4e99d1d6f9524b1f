"""What a workbook must pass before python-calamine reads a sheet of it.

python-calamine builds the whole rectangle from A1 to the last used cell: one value at
XFD1048576 makes it allocate hundreds of gigabytes and the process aborts in native code
(no exception to catch). So each worksheet's XML is scanned first, in blocks, for its cell
references and its number of cells, and a sheet larger than any form can be is refused
with a finding instead of being read.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass

MAX_FORM_ROWS = 10_000
"""Rows a form sheet may use (a division has at most a few hundred rows of any kind)."""
MAX_FORM_COLUMNS = 200
"""Columns a form sheet may use (a form has about 20)."""
MAX_FORM_CELLS = 500_000
"""Cells a form sheet may hold (also bounds sheets whose cells carry no reference)."""
SCAN_BLOCK = 1 << 20

_CELL_REF = re.compile(rb' r="([A-Z]{1,3})([0-9]{1,7})"')
"""A cell's reference: of a worksheet's elements only cells have an `r` of letters and
digits (rows have digits only; merges, selections and links use `ref`/`sqref`)."""
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@dataclass(frozen=True)
class Extent:
    """The used part of one worksheet, as its XML states it."""

    rows: int
    """The last row with a cell (1-based; 0 for an empty sheet)."""
    columns: int
    """The last column with a cell (1-based)."""
    cells: int

    def too_large(self) -> bool:
        """True when no form sheet can be this large."""
        return (
            self.rows > MAX_FORM_ROWS
            or self.columns > MAX_FORM_COLUMNS
            or self.cells > MAX_FORM_CELLS
        )

    def cell(self) -> str:
        """The last cell, e.g. XFD1048576."""
        return f"{_letters(self.columns)}{self.rows}"


def _letters(column: int) -> str:
    out = ""
    while column > 0:
        column, rem = divmod(column - 1, 26)
        out = chr(65 + rem) + out
    return out or "A"


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its worksheet part in the zip (an unreadable workbook part gives {})."""
    from defusedxml import ElementTree  # safe against entity expansion and external entities

    try:
        with zf.open("xl/workbook.xml") as fh:
            book = ElementTree.parse(fh).getroot()
        with zf.open("xl/_rels/workbook.xml.rels") as fh:
            rels = ElementTree.parse(fh).getroot()
    except Exception:  # missing part, bad XML: calamine will say what is wrong
        return {}
    targets = {
        el.get("Id"): el.get("Target", "") for el in rels if el.tag.endswith("}Relationship")
    }
    out = {}
    for el in book.iter():
        if not el.tag.endswith("}sheet"):
            continue
        target = targets.get(el.get(f"{{{_REL_NS}}}id"))
        name = el.get("name")
        if target and name:
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            out[name] = posixpath.normpath(part)
    return out


def extent(zf: zipfile.ZipFile, part: str) -> Extent:
    """The used extent of one worksheet part, scanned block by block (never read whole)."""
    rows = columns = cells = 0
    tail = b""
    with zf.open(part) as fh:
        while True:
            block = fh.read(SCAN_BLOCK)
            data = tail + block
            # Tags hold no "<": everything before the last one is whole tags, and the
            # rest (maybe a tag cut at the block's end) goes on with the next block.
            cut = data.rfind(b"<") if block else len(data)
            if cut < 0:
                cut = len(data)
            head = data[:cut]
            refs = _CELL_REF.findall(head)
            if refs:
                rows = max(rows, max(map(int, (digits for _, digits in refs))))
                letters = {letters for letters, _ in refs}
                columns = max(columns, max(map(_column_number, letters)))
            cells += head.count(b"<c ") + head.count(b"<c>") + head.count(b"<c/>")
            tail = data[cut:]
            if not block:
                break
    return Extent(rows, columns, cells)


def oversized_sheets(zf: zipfile.ZipFile) -> dict[str, Extent]:
    """The sheets larger than a form can be, by name (unknown parts are left to calamine)."""
    out = {}
    names = set(zf.namelist())
    for sheet, part in sheet_parts(zf).items():
        if part in names:
            found = extent(zf, part)
            if found.too_large():
                out[sheet] = found
    return out
