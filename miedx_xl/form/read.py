"""Reading one returned form: the hidden meta, the form sheets found by header and parsed,
and the locked cells compared with the form as sent (the file itself: `form.source`).

python-calamine reads; columns are found by their header label, never by position alone.
Every problem becomes a Finding; nothing here raises for a bad input file. No pandas (the
read pool's workers import this module): a DataFrame is made only on request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from miedx_xl.archive import store_input
from miedx_xl.errors import InputUnreadable
from miedx_xl.findings import Finding, Report, finding
from miedx_xl.form.layout import (
    INDICATOR_SHEET,
    META_SHEET,
    STATUS_SHEET,
    TEMPLATE_VERSION,
    Field,
    FormMeta,
    form_fields,
    label_key,
)
from miedx_xl.form.seal import load_secret, verify
from miedx_xl.form.source import (
    Sheets,
    Table,
    column_letter,
    open_book,
    os_cause,
    saved_time,
    unreadable,
)
from miedx_xl.normalize import FiscalYear, cell_text, nfkc, parse_fiscal_year, parse_number

if TYPE_CHECKING:
    import pandas as pd

HEADER_SCAN_ROWS = 10
MAX_NUMBER = 1e12
"""Numbers a form accepts are below this (hours, counts, rates): a larger one is a mistake,
and the master's sums of them stay exact."""


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


def header_row(
    rows: Sequence[Sequence[Any]], wanted: Mapping[str, str], scan: int = HEADER_SCAN_ROWS
) -> tuple[int, dict[str, int]]:
    """The header row among the first `scan` rows: the one holding most of the `wanted`
    labels (label_key -> key), as its 0-based index and each found key's 0-based column;
    (-1, {}) when no row holds any."""
    complete = len(set(wanted.values()))
    best_row, best = -1, dict[str, int]()
    for r, row in enumerate(rows[:scan]):
        found: dict[str, int] = {}
        for c, value in enumerate(row):
            if isinstance(value, str) and value:
                key = wanted.get(_label_key(value))
                if key is not None and key not in found:
                    found[key] = c
        if len(found) > len(best):
            best_row, best = r, found
            if len(found) == complete:
                break  # no later row can have more headers
    return best_row, best


def read_table(
    book: Sheets, file: str, sheet: str, fields: list[Field]
) -> tuple[Table | None, list[Finding]]:
    """Read a form sheet by header labels; findings for a missing sheet or column."""
    if sheet not in book.sheet_names:
        return None, [finding("sheet-missing", file, sheet, None, sheet_name=sheet)]
    if sheet in getattr(book, "refused", ()):
        return None, []  # open_book's sheet-too-large says why
    rows = book.rows(sheet)
    # f.match, without a per-Field cache
    best_row, best = header_row(rows, {_label_key(f.label): f.key for f in fields})
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


# --- one form: parsed sheets, locked cells -------------------------------------------------

LOCKED_KEYS = {STATUS_SHEET: "no", INDICATOR_SHEET: "id"}
"""The sheets whose rows carry locked cells, and the field that names each row."""

Problem = tuple[str, str, int, Any]
"""A cell that failed to parse: (code, field key, position in the sheet's rows, raw value)."""


@dataclass
class SheetData:
    """One form sheet read and parsed: typed values by field key, one per kept row."""

    rows: list[int]
    """Excel row number of each value."""
    columns: dict[str, list[Any]]
    """Field key -> parsed values (None for an empty cell), in the fields' order."""
    letters: dict[str, str]
    """Field key -> Excel column letters, for the fields found."""
    problems: list[Problem] = field(default_factory=list)


@dataclass
class FormResult:
    """One returned form from reading to the merge: its findings, its meta and parsed
    sheets, and (once checked) the Excel rows that hold an error, per sheet."""

    path: Path
    report: Report = field(default_factory=Report)
    meta: FormMeta | None = None
    """Set when the form is one of ours (its sheets then go on to the check)."""
    fiscal_year: FiscalYear | None = None
    """The meta's fiscal year, parsed once."""
    sheets: dict[str, SheetData] = field(default_factory=dict)
    bad: dict[str, set[int]] = field(default_factory=dict)
    """Sheet -> Excel rows with an error finding (those rows are not merged)."""
    digest: str = ""
    """SHA-256 of the file (only when read for consolidation)."""
    saved: str = ""
    """When the file was saved (only when read for consolidation)."""

    def add(self, item: Finding, row: int | None = None) -> None:
        """Add a finding; an error at a row of a sheet keeps that row out of the merge."""
        self.report.add(item)
        if row is not None and item.sheet and item.severity == "error":
            self.bad.setdefault(item.sheet, set()).add(row)

    @property
    def letters(self) -> dict[str, dict[str, str]]:
        """Sheet -> field key -> Excel column letters, for the fields found."""
        return {sheet: data.letters for sheet, data in self.sheets.items()}

    def bad_rows(self, sheet: str) -> set[int]:
        """Excel rows of `sheet` with an error finding."""
        return self.bad.get(sheet, set())

    def frame(self, sheet: str) -> pd.DataFrame:
        """A parsed sheet as a DataFrame indexed by Excel row (empty when not read)."""
        import pandas as pd

        data = self.sheets.get(sheet)
        if data is None:
            return pd.DataFrame()
        index = pd.Index(data.rows, dtype=int, name="row")
        return pd.DataFrame(
            {k: pd.Series(v, index=index, dtype=object) for k, v in data.columns.items()},
            index=index,
        )


# --- one form ------------------------------------------------------------------------------


def load_form(path: Path, sheets: Sheets) -> FormResult:
    """Read a form's meta and its sheets; findings for what is missing or tampered."""
    out = FormResult(path)
    name = str(path)
    loaded = read_meta(sheets)
    if loaded is None:
        out.add(
            finding("template-unknown", name, reason="様式の管理情報（非表示シート）がありません")
        )
        return out
    meta, stored = loaded
    fy = parse_fiscal_year(meta.fiscal_year).value
    if meta.template_version != TEMPLATE_VERSION or fy is None:
        out.add(
            finding("template-unknown", name, reason=f"様式の版 {meta.template_version} は不明です")
        )
        return out
    out.meta = meta
    out.fiscal_year = fy
    if meta.digest() != stored:
        out.add(
            finding(
                "template-tampered",
                name,
                detail="非表示の管理情報が書き換えられています",
                expected="配布した様式",
            )
        )
    secret = load_secret()
    if secret is not None:  # where the secretariat's key is: the seal must hold too
        if not meta.seal:
            out.add(finding("template-unsealed", name))
        elif not verify(meta, secret):
            out.add(
                finding(
                    "template-tampered",
                    name,
                    detail="様式の封印（鍵付きの検証値）が内容と一致しません",
                    expected="配布した様式",
                )
            )
    by_sheet = fields_of(meta)
    for sheet, fields in by_sheet.items():
        table, problems = read_table(sheets, name, sheet, fields)
        out.report.extend(problems)
        if table is not None:
            out.sheets[sheet] = parse_sheet(fields, table.rows, table.columns, table.letters)
    for sheet, key_field in LOCKED_KEYS.items():
        data = out.sheets.get(sheet)
        if data is not None:
            for item, row in locked_findings(name, sheet, by_sheet[sheet], data, meta, key_field):
                out.add(item, row)
    return out


_FIELDS: dict[tuple[Any, ...], dict[str, list[Field]]] = {}


def fields_of(meta: FormMeta) -> dict[str, list[Field]]:
    """The fields of each form sheet of `meta`, shared by forms of one shape (read only)."""
    shape = (meta.earlier_years, meta.schedule_years, meta.phases)
    if not all(type(x) is str for values in shape for x in values):
        return form_fields(meta)  # an odd (tampered) meta: not worth a cache entry
    key = (meta.fiscal_year, *(tuple(values) for values in shape))
    found = _FIELDS.get(key)
    if found is None:
        if len(_FIELDS) > 64:
            _FIELDS.clear()
        found = _FIELDS[key] = form_fields(meta)
    return found


# --- parsing: raw cell values -> typed values; a failure is a Problem ----------------------


def parse_sheet(
    fields: list[Field], rows: list[int], raw: dict[str, list[Any]], letters: dict[str, str]
) -> SheetData:
    """Parse a sheet's raw values field by field (text as typed, choices NFKC, numbers)."""
    columns: dict[str, list[Any]] = {}
    problems: list[Problem] = []
    for f in fields:
        column = raw.get(f.key)
        if column is None:
            continue
        if f.kind == "text":
            values = [None if v is None else cell_text(v) for v in column]
        elif f.kind == "choice":
            values = [None if v is None else nfkc(cell_text(v)) for v in column]
        else:
            values = []
            for pos, value in enumerate(column):
                parsed, code = (None, None) if value is None else parse_cell_number(f, value)
                if code is not None:
                    problems.append((code, f.key, pos, value))
                values.append(parsed)
        columns[f.key] = values
    return SheetData(rows, columns, letters, problems)


def parse_cell_number(f: Field, raw: Any) -> tuple[Any, str | None]:
    """A number cell's value, or the code of why it is not one."""
    number: Any
    if raw.__class__ is float and raw - raw == 0.0:  # finite: what parse_number makes of it
        number = raw + 0.0
    else:
        parsed = parse_number(raw)
        if parsed.value is None:
            return None, "cell-type"
        number = parsed.value.value
    if not 0 <= number < MAX_NUMBER:  # also what sums of many rows must not overflow
        return None, "cell-range"
    if f.kind == "int":
        return (int(number), None) if float(number).is_integer() else (None, "cell-type")
    return number, None


# --- locked cells ----------------------------------------------------------------------------


def locked_findings(
    file: str, sheet: str, fields: list[Field], data: SheetData, meta: FormMeta, key_field: str
) -> list[tuple[Finding, int | None]]:
    """template-tampered for every locked cell that differs from the form as sent, with the
    Excel row of the cell (None for a row that is gone)."""
    if key_field not in data.columns:
        return []
    out: list[tuple[Finding, int | None]] = []
    locked = [f for f in fields if f.locked and f.key in data.columns and f.key != key_field]
    expected_rows = meta.locked.get(sheet, {})
    present: set[str] = set()
    for pos, key in enumerate(data.columns[key_field]):
        expected = expected_rows.get(str(key)) if key is not None else None
        if expected is None:
            continue
        present.add(str(key))
        for f in locked:
            sent = expected.get(f.key)
            got_raw = data.columns[f.key][pos]
            if got_raw == sent and got_raw.__class__ is sent.__class__:
                continue  # the same value of the same type reads the same
            want = "" if sent is None else cell_text(sent)
            got = "" if got_raw is None else cell_text(got_raw)
            if got != want:
                cell = f"{data.letters[f.key]}{data.rows[pos]}"
                shown = want[:40] + ("…" if len(want) > 40 else "")
                out.append((tampered(file, sheet, cell, f"「{f.label}」", shown), data.rows[pos]))
    for key in expected_rows:
        if key not in present:
            detail = f"{key} の行が削除されたか、番号が変えられています"
            out.append((tampered(file, sheet, None, detail, f"{key} の行"), None))
    return out


def tampered(file: str, sheet: str, cell: str | None, detail: str, expected: str) -> Finding:
    """A locked cell or row that differs from the form as sent."""
    return finding("template-tampered", file, sheet, cell, detail=detail, expected=expected)


# --- one file --------------------------------------------------------------------------------


Task = tuple[Path, int, Path | None, bool]
"""(file, size limit in bytes, archive folder or None, lean)."""


def read_file(task: Task) -> FormResult:
    """Read one file (the worker's job): with an archive, also its digest, copy, saved time.

    Whatever goes wrong while reading the file becomes a finding (a file that cannot even
    be opened is neither archived nor read); only writing the archive copy may raise, since
    a run must not go on without keeping its inputs.
    """
    path, max_bytes, archive, lean = task
    digest = ""
    if archive is not None:
        try:
            digest = store_input(archive, path)
        except InputUnreadable as exc:
            reason = exc.strerror or str(exc)
            gone = FormResult(path, Report([unreadable(str(path), reason, os_cause(exc))]))
            gone.saved = saved_time(path)
            return gone
    modified = None
    try:
        book = open_book(path, max_bytes)
        modified = book.modified
        if book.workbook is None:
            loaded = FormResult(path, Report(list(book.findings)))
        else:
            loaded = load_form(path, book.workbook)
            loaded.report.extend(book.findings)
            if lean:
                _make_lean(loaded)
    except Exception as exc:  # a bug or an unforeseen file must not stop the batch
        loaded = FormResult(path, Report([unreadable(str(path), f"読み込み失敗: {exc}")]))
    if archive is not None:
        loaded.digest = digest
        loaded.saved = modified if modified is not None else saved_time(path)
    return loaded


def _make_lean(loaded: FormResult) -> None:
    """Drop the locked content once the locked cells are checked (see `read_forms`)."""
    if loaded.meta is None:
        return
    loaded.meta = replace(loaded.meta, locked={})
    by_sheet = fields_of(loaded.meta)
    for sheet, data in loaded.sheets.items():
        keep = LOCKED_KEYS.get(sheet)
        for f in by_sheet[sheet]:
            if f.locked and f.key != keep:
                data.columns.pop(f.key, None)
