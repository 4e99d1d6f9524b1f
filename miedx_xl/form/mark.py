"""Marking findings in a copy of a form: red cells with comments and a チェック結果 sheet."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook import Workbook

from miedx_xl.errors import UsageError
from miedx_xl.findings import Finding
from miedx_xl.form.layout import FORM_SHEETS, RESULT_HEADER, RESULT_SHEET
from miedx_xl.xlsx.sheets import INPUT_FILL, LOCKED_FILL, put, save_atomic, write_table

MARK_AUTHOR = "miedx_xl 入力チェック"
MARK_FILL = PatternFill("solid", fgColor="FF9999")
SEVERITY_JA = {"error": "エラー", "warning": "警告", "info": "情報"}


def marked_path(path: Path) -> Path:
    """Where the marked copy of `path` goes: beside it, `<name>_チェック結果.xlsx`.

    A marked copy checked again gets `<name>_チェック結果2.xlsx`, so no input is overwritten.
    """
    target = path.with_name(f"{path.stem}_チェック結果.xlsx")
    if path.stem.endswith("_チェック結果"):
        target = path.with_name(f"{path.stem}2.xlsx")
    return target


def clear_marks(wb: Workbook) -> int:
    """Remove earlier marks (fills, comments, the result sheet); return cells cleared."""
    if RESULT_SHEET in wb.sheetnames:
        del wb[RESULT_SHEET]
    cleared = 0
    for name in FORM_SHEETS:
        if name not in wb.sheetnames:
            continue
        for row in wb[name].iter_rows():
            for cell in row:
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
        cell = wb[sheet][ref]
        cell.fill = MARK_FILL
        cell.comment = Comment("\n".join(texts), MARK_AUTHOR, width=320, height=160)
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


def write_marked_copy(path: Path, findings: Iterable[Finding], out: Path | None = None) -> Path:
    """Write a marked copy of `path` (the original is never changed); return its path."""
    target = out or marked_path(path)
    if target.resolve() == path.resolve():
        raise UsageError(f"元のファイルには書き込みません: {path}")
    wb = load_workbook(path)
    apply_marks(wb, findings)
    save_atomic(wb, target)
    return target
