"""Marking findings in a copy of a form: red cells with comments and a チェック結果 sheet."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from miedx_xl.errors import UsageError
from miedx_xl.findings import Finding
from miedx_xl.form.layout import FORM_SHEETS, RESULT_HEADER, RESULT_SHEET
from miedx_xl.form.source import core_properties
from miedx_xl.xlsx.sheets import (
    INPUT_FILL,
    LOCKED_FILL,
    ooxml_escape,
    put,
    save_atomic,
    write_table,
)

MARK_AUTHOR = "miedx_xl 入力チェック"
MARK_FILL = PatternFill("solid", fgColor="FF9999")
SEVERITY_JA = {"error": "エラー", "warning": "警告", "info": "情報"}


MARKED_SUFFIX = "_チェック結果"
MAX_NAME_BYTES = 255
"""The longest file name most file systems allow, in bytes of UTF-8."""


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def marked_id(source: Path) -> str:
    """The identifier a marked copy carries (docProps/core.xml): of which exact input."""
    return f"miedx-marked:{_digest(source)}"


def _is_marked_copy_of(target: Path, ident: str) -> bool:
    """True when `target` is a marked copy this tool wrote from the same input."""
    try:
        with zipfile.ZipFile(target) as zf:
            return core_properties(zf).get("identifier") == ident
    except (OSError, zipfile.BadZipFile, ValueError, RuntimeError):
        return False


def _name_within_limit(stem: str, tail: str) -> str:
    """`stem + tail`, the stem cut so that the name fits the file system's limit."""
    room = MAX_NAME_BYTES - len(tail.encode("utf-8"))
    cut = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return cut + tail


def marked_path(path: Path, inputs: Iterable[Path] = (), ident: str | None = None) -> Path:
    """Where the marked copy of `path` goes: beside it, `<name>_チェック結果.xlsx`.

    Never a file someone else wrote: a name that is taken by any other file (another
    input, a division's fixed marked copy) moves on to `<name>_チェック結果2.xlsx`, 3, …;
    only a marked copy that this tool wrote from the very same input is replaced. A marked
    copy checked again gets `<name>2.xlsx`. Long names are cut to fit.
    """
    taken = {p.resolve() for p in inputs} | {path.resolve()}
    ident = ident or marked_id(path)
    stem = path.stem
    own = stem.removesuffix(MARKED_SUFFIX)
    first = 2 if stem.endswith(MARKED_SUFFIX) else 1
    for n in range(first, 1000):
        tail = MARKED_SUFFIX + ("" if n == 1 else str(n)) + ".xlsx"
        target = path.with_name(_name_within_limit(own, tail))
        if target.resolve() in taken:
            continue
        if not target.exists() or _is_marked_copy_of(target, ident):
            return target
    raise UsageError(
        f"{path.name} のチェック結果の名前が尽きました。古いコピーを整理してください。"
    )


def clear_marks(wb: Workbook) -> int:
    """Remove earlier marks (fills, comments, the result sheet); return cells cleared."""
    if RESULT_SHEET in wb.sheetnames:
        del wb[RESULT_SHEET]
    cleared = 0
    for name in FORM_SHEETS:
        if name not in wb.sheetnames:
            continue
        # The cells that exist, not the rectangle up to the last one (which may be XFD1048576).
        for cell in list(wb[name]._cells.values()):
            if cell.comment is not None and cell.comment.author == MARK_AUTHOR:
                cell.comment = None
                cell.fill = LOCKED_FILL if cell.protection.locked else INPUT_FILL
                cleared += 1
    return cleared


def notes_by_cell(
    findings: Iterable[Finding], sheets: Iterable[str]
) -> dict[tuple[str, str], list[str]]:
    """The note lines of each marked cell (sheet, A1), in finding order."""
    names = set(sheets)
    notes: dict[tuple[str, str], list[str]] = {}
    for f in findings:
        if f.sheet in names and f.cell:
            line = f"【{SEVERITY_JA[f.severity]}】{f.message_ja}"
            notes.setdefault((f.sheet, f.cell), []).append(line)
    return notes


def result_row(f: Finding) -> list[str]:
    """A finding as a row of the チェック結果 sheet (RESULT_HEADER's columns)."""
    return [
        SEVERITY_JA[f.severity],
        f.code,
        f.sheet or "",
        f.cell or "",
        f.message_ja,
        f.message_en,
    ]


def apply_marks(wb: Workbook, findings: Iterable[Finding]) -> None:
    """Fill each finding's cell red with a comment, and list all findings on a new sheet."""
    clear_marks(wb)
    items = list(findings)
    notes = notes_by_cell(items, wb.sheetnames)
    for (sheet, ref), texts in notes.items():
        cell = _writable_cell(wb[sheet], ref)
        cell.fill = MARK_FILL
        note = ooxml_escape("\n".join(texts))
        cell.comment = Comment(note, MARK_AUTHOR, width=320, height=160)
    ws = wb.create_sheet(RESULT_SHEET, 0)
    write_table(
        ws,
        RESULT_HEADER,
        [result_row(f) for f in items],
        widths=[8, 20, 12, 8, 80, 60],
    )
    for r, f in enumerate(items, start=2):
        if f.sheet in wb.sheetnames and f.cell:
            link = ws.cell(row=r, column=4)
            link.hyperlink = f"#'{f.sheet}'!{f.cell}"
            link.font = Font(color="0563C1", underline="single")
    if not items:
        put(ws, 2, 1, "問題は見つかりませんでした。")
    ws.sheet_properties.tabColor = (
        "C00000" if any(f.severity == "error" for f in items) else "00B050"
    )
    wb.active = 0


def _writable_cell(ws: Worksheet, ref: str) -> Any:
    """The cell at `ref`, or the top-left cell of the merged range that covers it."""
    cell = ws[ref]
    if isinstance(cell, MergedCell):
        for rng in ws.merged_cells.ranges:
            if cell.coordinate in rng:
                return ws.cell(row=rng.min_row, column=rng.min_col)
    return cell


def write_marked_copy(
    path: Path, findings: Iterable[Finding], out: Path | None = None, inputs: Iterable[Path] = ()
) -> Path:
    """Write a marked copy of `path` (the original is never changed); return its path."""
    ident = marked_id(path)
    target = out or marked_path(path, inputs, ident)
    if target.resolve() == path.resolve():
        raise UsageError(f"元のファイルには書き込みません: {path}")
    wb = load_workbook(path)
    apply_marks(wb, findings)
    wb.properties.identifier = ident
    save_atomic(wb, target)
    return target
