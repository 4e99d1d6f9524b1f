"""Where a returned form's values come from: a file opened with python-calamine (sniffed,
size- and zip-bomb-guarded, each sheet's extent checked by `guard` first), or values given
(live from Excel through xlwings, or the JSON the server receives). Every problem becomes a
Finding; nothing here raises for a bad input file.
"""

from __future__ import annotations

import errno
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import python_calamine as pc

from miedx_xl.findings import Finding, finding
from miedx_xl.form.guard import MAX_FORM_COLUMNS, MAX_FORM_ROWS, Extent, oversized_sheets

MAX_BYTES = 20 * 1024 * 1024
"""Files larger than this are refused unread (configurable per call)."""
MAX_UNPACK_RATIO = 100
MAX_UNPACKED_BYTES = 200 * 1024 * 1024

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
    """Sheets of a workbook file read with python-calamine; `refused` sheets (larger than a
    form can be: see `guard`) read as empty and are never handed to calamine."""

    def __init__(self, workbook: pc.CalamineWorkbook, refused: frozenset[str] = frozenset()):
        self.workbook = workbook
        self.refused = refused

    @property
    def sheet_names(self) -> list[str]:
        """The names of all sheets."""
        return list(self.workbook.sheet_names)

    def rows(self, sheet: str) -> list[list[Any]]:
        """All rows of a sheet from A1 (none for a refused sheet)."""
        if sheet in self.refused:
            return []
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


_ADVICE = {
    "format": (
        "Excel で開いて「Excel ブック (*.xlsx)」として保存し直してから提出してください。",
        "Open it in Excel, save it as an Excel workbook (*.xlsx) and submit it again.",
    ),
    "password": (
        "Excel でパスワードを外して保存し直してから提出してください。",
        "Remove its password in Excel, save it and submit it again.",
    ),
    "permission": (
        "ファイルを読む権限がありません。ほかのプログラムで開いていれば閉じ、"
        "フォルダとファイルの権限を確かめてください。",
        "There is no permission to read it: close it in other programs and check the"
        " permissions of the file and its folder.",
    ),
    "missing": (
        "読み込む間にファイルが移動または削除されました。もう一度提出してください。",
        "The file was moved or deleted while it was being read. Submit it again.",
    ),
}


def unreadable(name: str, reason: str, cause: str = "format") -> Finding:
    """A file-unreadable finding whose advice fits its cause (format, password,
    permission, missing)."""
    advice, advice_en = _ADVICE.get(cause, _ADVICE["format"])
    return finding("file-unreadable", name, reason=reason, advice=advice, advice_en=advice_en)


def os_cause(exc: OSError) -> str:
    """The advice kind of an OSError met while reading an input."""
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return "permission"
    if isinstance(exc, FileNotFoundError) or exc.errno == errno.ENOENT:
        return "missing"
    return "format"


def too_large(name: str, size: str, limit: str, limit_en: str) -> Finding:
    """A file-too-large finding."""
    return finding("file-too-large", name, size=size, limit=limit, limit_en=limit_en)


def open_book(path: Path, max_bytes: int = MAX_BYTES) -> Book:
    """Open a returned file, or say in findings why it cannot be read."""
    name = str(path)
    book = Book(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        book.findings.append(unreadable(name, exc.strerror or str(exc), os_cause(exc)))
        return book
    if size > max_bytes:
        limit = _size_text(max_bytes)
        book.findings.append(too_large(name, _size_text(size), f"上限 {limit}", f"limit {limit}"))
        return book
    if head.startswith(OLE_MAGIC):
        book.findings.append(unreadable(name, *_ole_reason(path)))
        return book
    if not head.startswith(b"PK"):
        reason = "空のファイルです" if size == 0 else "Excel ブック（.xlsx）ではありません"
        book.findings.append(unreadable(name, reason))
        return book
    oversized: dict[str, Extent] = {}
    ratio_limit = MAX_UNPACK_RATIO * max(size, 1)
    try:
        with zipfile.ZipFile(path) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
            names = set(zf.namelist())
            if unpacked <= MAX_UNPACKED_BYTES and unpacked <= ratio_limit:
                book.modified = document_time(zf)
                oversized = oversized_sheets(zf)
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, EOFError) as exc:
        book.findings.append(unreadable(name, f"壊れた zip: {exc}"))
        return book
    if unpacked > MAX_UNPACKED_BYTES:
        limit = _size_text(MAX_UNPACKED_BYTES)
        book.findings.append(
            too_large(name, f"展開後 {_size_text(unpacked)}", f"上限 {limit}", f"limit {limit}")
        )
        return book
    if unpacked > ratio_limit:
        book.findings.append(
            too_large(
                name,
                f"展開後 {_size_text(unpacked)}",
                f"ファイルの大きさの {MAX_UNPACK_RATIO} 倍（{_size_text(ratio_limit)}）を超えます",
                f"over {MAX_UNPACK_RATIO} times the file's size ({_size_text(ratio_limit)})",
            )
        )
        return book
    if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
        book.findings.append(unreadable(name, "Excel ブックの構造がありません"))
        return book
    for sheet, found in oversized.items():
        book.findings.append(
            finding(
                "sheet-too-large",
                name,
                sheet,
                None,
                sheet_name=sheet,
                last_cell=found.cell(),
                rows=found.rows,
                columns=found.columns,
                cells=found.cells,
                max_rows=MAX_FORM_ROWS,
                max_columns=MAX_FORM_COLUMNS,
            )
        )
    try:
        workbook = pc.CalamineWorkbook.from_path(str(path))
        book.workbook = CalamineSheets(workbook, refused=frozenset(oversized))
    except Exception as exc:  # calamine raises several unrelated types for broken parts
        book.findings.append(unreadable(name, f"読み込み失敗: {exc}"))
    return book


def core_properties(zf: zipfile.ZipFile) -> dict[str, str]:
    """The workbook's document properties (docProps/core.xml) by local name: creator,
    title, modified, identifier, …; empty when the part is missing or unreadable."""
    from defusedxml import ElementTree  # only here: keeps a one-form check's start light

    try:
        with zf.open("docProps/core.xml") as fh:
            root = ElementTree.parse(fh).getroot()
    except Exception:  # missing part, bad XML; defusedxml has its own exception types
        return {}
    return {el.tag.rsplit("}", 1)[-1]: (el.text or "").strip() for el in root}


def document_time(zf: zipfile.ZipFile) -> str | None:
    """The saved time in a workbook's docProps/core.xml (ISO 8601), or None."""
    text = core_properties(zf).get("modified")
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    except ValueError:
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


def _ole_reason(path: Path) -> tuple[str, str]:
    """Why an OLE file cannot be read, and the advice kind."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return exc.strerror or str(exc), os_cause(exc)
    if "EncryptedPackage".encode("utf-16-le") in data:
        return "パスワードで保護されています", "password"
    return "古い Excel 形式（.xls）です", "format"
