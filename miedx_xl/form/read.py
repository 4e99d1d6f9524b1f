"""Reading returned forms with python-calamine: file sniffing, the hidden meta, form sheets.

Columns are found by their header label, never by position alone. Every problem becomes a
Finding; nothing here raises for a bad input file.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import python_calamine as pc

from miedx_xl.findings import Finding, finding
from miedx_xl.form.layout import META_SHEET, Field, FormMeta, label_key

MAX_BYTES = 20 * 1024 * 1024
"""Files larger than this are refused unread (configurable per call)."""
MAX_UNPACK_RATIO = 100
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
HEADER_SCAN_ROWS = 10

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Table:
    """One form sheet read: raw values by field key, with the Excel row of each."""

    sheet: str
    columns: dict[str, list[Any]]
    """Field key -> cell values of the non-blank rows (None for an empty cell)."""
    rows: list[int]
    """Excel row number of each value."""
    letters: dict[str, str]
    header_row: int


class Sheets(Protocol):
    """Any source of sheet values: a file read by calamine, or live values from Excel."""

    @property
    def sheet_names(self) -> list[str]:
        """The names of all sheets, hidden ones included."""
        ...

    def rows(self, sheet: str) -> list[list[Any]]:
        """All rows of a sheet from A1 (empty cells are '' or None)."""
        ...


class CalamineSheets:
    """Sheets of a workbook file read with python-calamine."""

    def __init__(self, workbook: pc.CalamineWorkbook) -> None:
        self.workbook = workbook

    @property
    def sheet_names(self) -> list[str]:
        """The names of all sheets."""
        return list(self.workbook.sheet_names)

    def rows(self, sheet: str) -> list[list[Any]]:
        """All rows of a sheet from A1."""
        rows: list[list[Any]] = self.workbook.get_sheet_by_name(sheet).to_python(
            skip_empty_area=False
        )
        return rows


@dataclass
class ValueSheets:
    """Sheets given as values (e.g. read from a live Excel workbook through xlwings)."""

    values: dict[str, list[list[Any]]]

    @property
    def sheet_names(self) -> list[str]:
        """The names of all sheets."""
        return list(self.values)

    def rows(self, sheet: str) -> list[list[Any]]:
        """All rows of a sheet from A1."""
        return self.values[sheet]


@dataclass
class Book:
    """A workbook opened for checking, or the findings that say why it could not be."""

    path: Path
    workbook: Sheets | None = None
    findings: list[Finding] = field(default_factory=list)
    modified: str | None = None
    """The workbook's own saved time (docProps/core.xml), read while the zip is open."""

    @property
    def ok(self) -> bool:
        """True when the workbook could be opened."""
        return self.workbook is not None


def column_letter(index: int) -> str:
    """Excel column letters of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _size_text(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def open_book(path: Path, max_bytes: int = MAX_BYTES) -> Book:
    """Open a returned file, or say in findings why it cannot be read."""
    name = str(path)
    book = Book(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        book.findings.append(finding("file-unreadable", name, reason=exc.strerror or str(exc)))
        return book
    if size > max_bytes:
        book.findings.append(
            finding("file-too-large", name, size=_size_text(size), limit=_size_text(max_bytes))
        )
        return book
    if head.startswith(OLE_MAGIC):
        reason = _ole_reason(path)
        book.findings.append(finding("file-unreadable", name, reason=reason))
        return book
    if not head.startswith(b"PK"):
        reason = "空のファイルです" if size == 0 else "Excel ブック（.xlsx）ではありません"
        book.findings.append(finding("file-unreadable", name, reason=reason))
        return book
    try:
        with zipfile.ZipFile(path) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
            names = set(zf.namelist())
            if unpacked <= MAX_UNPACKED_BYTES and unpacked <= MAX_UNPACK_RATIO * max(size, 1):
                book.modified = document_time(zf)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        book.findings.append(finding("file-unreadable", name, reason=f"壊れた zip: {exc}"))
        return book
    if unpacked > MAX_UNPACKED_BYTES or unpacked > MAX_UNPACK_RATIO * max(size, 1):
        book.findings.append(
            finding(
                "file-too-large",
                name,
                size=f"展開後 {_size_text(unpacked)}",
                limit=_size_text(MAX_UNPACKED_BYTES),
            )
        )
        return book
    if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
        book.findings.append(
            finding("file-unreadable", name, reason="Excel ブックの構造がありません")
        )
        return book
    try:
        book.workbook = CalamineSheets(pc.CalamineWorkbook.from_path(str(path)))
    except Exception as exc:  # calamine raises several unrelated types for broken parts
        book.findings.append(finding("file-unreadable", name, reason=f"読み込み失敗: {exc}"))
    return book


def document_time(zf: zipfile.ZipFile) -> str | None:
    """The saved time in a workbook's docProps/core.xml (ISO 8601), or None."""
    from defusedxml import ElementTree  # only here: keeps a one-form check's start light

    try:
        with zf.open("docProps/core.xml") as fh:
            root = ElementTree.parse(fh).getroot()
        for el in root:
            if el.tag.endswith("}modified") and el.text:
                return datetime.fromisoformat(el.text.strip().replace("Z", "+00:00")).isoformat()
    except Exception:  # missing part, bad XML or date; defusedxml has its own exception types
        return None
    return None


def saved_time(path: Path) -> str:
    """When the workbook was last saved: its own document time, else the file's time."""
    try:
        with zipfile.ZipFile(path) as zf:
            found = document_time(zf)
        if found is not None:
            return found
    except Exception:  # not a zip, unreadable: the file's time says it
        pass
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return ""  # gone since it was listed: the file-unreadable finding says so
    return datetime.fromtimestamp(mtime, UTC).isoformat(timespec="seconds")


def _ole_reason(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return exc.strerror or str(exc)
    if "EncryptedPackage".encode("utf-16-le") in data:
        return "パスワードで保護されています"
    return "古い Excel 形式（.xls）です"


def read_meta(book: Sheets) -> tuple[FormMeta, str] | None:
    """The form's hidden meta and its stored digest, or None when absent or unreadable."""
    if META_SHEET not in book.sheet_names:
        return None
    try:
        rows = book.rows(META_SHEET)
        pairs = [(str(r[0]), str(r[1]) if len(r) > 1 else "") for r in rows if r and r[0]]
        return FormMeta.from_rows(pairs)
    except (ValueError, KeyError, TypeError, IndexError):
        return None


_label_key = lru_cache(maxsize=4096)(label_key)
_BLANK_CHARS = " \u3000\t\r\n"


def read_table(
    book: Sheets, file: str, sheet: str, fields: list[Field]
) -> tuple[Table | None, list[Finding]]:
    """Read a form sheet by header labels; findings for a missing sheet or column."""
    if sheet not in book.sheet_names:
        return None, [finding("sheet-missing", file, sheet, None, sheet_name=sheet)]
    rows = book.rows(sheet)
    wanted = {_label_key(f.label): f for f in fields}  # f.match, without a per-Field cache
    complete = len({f.key for f in wanted.values()})
    best_row, best = -1, dict[str, int]()
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        found: dict[str, int] = {}
        for c, value in enumerate(row):
            if isinstance(value, str) and value:
                f = wanted.get(_label_key(value))
                if f is not None and f.key not in found:
                    found[f.key] = c
        if len(found) > len(best):
            best_row, best = r, found
            if len(found) == complete:
                break  # no later row can have more headers
    if best_row < 0:
        return None, [
            finding("header-missing", file, sheet, None, sheet_name=sheet, header=fields[0].label)
        ]
    findings = [
        finding("header-missing", file, sheet, f"A{best_row + 1}", sheet_name=sheet, header=f.label)
        for f in fields
        if f.key not in best
    ]
    keys = list(best)
    cols = [best[k] for k in keys]
    width = max(cols) + 1
    kept: list[list[Any]] = []
    index: list[int] = []
    for r in range(best_row + 1, len(rows)):
        row = rows[r]
        if len(row) < width:
            row = [*row, *[""] * (width - len(row))]
        values = [row[c] for c in cols]
        blank = 0
        for i, v in enumerate(values):
            if v is None:
                blank += 1
            elif isinstance(v, str):
                if not v.strip(_BLANK_CHARS):
                    values[i] = None
                    blank += 1
            elif isinstance(v, float) and v != v:
                values[i] = None
                blank += 1
        if blank == len(values):
            continue
        index.append(r + 1)
        kept.append(values)
    data: dict[str, list[Any]] = {k: [row[i] for row in kept] for i, k in enumerate(keys)}
    letters = {k: column_letter(c) for k, c in best.items()}
    return Table(sheet, data, index, letters, best_row + 1), findings
