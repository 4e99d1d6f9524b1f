"""入力チェック: returned forms -> cell-exact findings.

Files are read and their cells parsed one by one (python-calamine, `form.read`; by
`form.pool` in a pool of processes when there are many), then each form sheet of all files
is validated in one batch: one pandera run per sheet kind, however many files. A row's
Excel row number and its file travel with it, so every failure becomes a cell such as `E12`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from miedx_xl.findings import Report, finding
from miedx_xl.form.layout import (
    INDICATOR_SHEET,
    RPA_SHEET,
    STATUS_SHEET,
    Field,
    FormMeta,
    parse_ranges,
)
from miedx_xl.form.pool import read_forms
from miedx_xl.form.read import FormResult, fields_of, load_form
from miedx_xl.form.source import MAX_BYTES, Sheets
from miedx_xl.normalize import cell_text, parse_year_month

NOT_NULL = "not_nullable"
OWN_KEY = 1_000_000
"""(form, NO) pairs are checked as form * OWN_KEY + NO."""
FORM = "_form"
ROW = "_row"


@dataclass
class _Form:
    """A form of the batch: its result (one of ours, so with a meta) and its fields."""

    result: FormResult
    meta: FormMeta
    fields: dict[str, list[Field]]


def check(paths: Iterable[Path | str]) -> Report:
    """Check returned forms; all findings of all files (never raises for a bad file)."""
    report = Report()
    for result in check_files([Path(p) for p in paths]):
        report.extend(result.report)
    return report


def check_file(path: Path, max_bytes: int = MAX_BYTES) -> FormResult:
    """Read and check one form."""
    return check_files([path], max_bytes)[0]


def check_sheets(path: Path, sheets: Sheets, owners: Mapping[int, str] | None = None) -> FormResult:
    """Check a form given as sheet values (from a file, or live from Excel)."""
    return check_loaded([load_form(path, sheets)], owners)[0]


def check_files(
    paths: Sequence[Path],
    max_bytes: int = MAX_BYTES,
    progress: Callable[[int, int], None] | None = None,
    owners: Mapping[int, str] | None = None,
) -> list[FormResult]:
    """Read and check many forms; one result per path, in order.

    `owners` (NO -> 担当課 name) lets a measure-foreign message name the owner.
    """
    return check_loaded(read_forms(paths, max_bytes, progress=progress), owners)


def check_loaded(
    loaded: Sequence[FormResult], owners: Mapping[int, str] | None = None
) -> list[FormResult]:
    """Check forms already read (`pool.read_forms`): their findings and bad rows are added
    to them; returns them, in order."""
    forms = [_Form(r, r.meta, fields_of(r.meta)) for r in loaded if r.meta is not None]
    _check_batch(forms, owners or {})
    for result in loaded:
        result.report = result.report.sorted().capped()
    return list(loaded)


# --- one batch per sheet kind -----------------------------------------------------------


@dataclass
class _Batch:
    """The rows of one sheet kind from several forms, flat-indexed, with their origin."""

    sheet: str
    fields: list[Field]
    forms: list[_Form]
    raw: pd.DataFrame
    """`_form` (index into forms) and `_row` (Excel row) of each flat row."""
    owners: Mapping[int, str]
    """NO -> its 担当課's name, for messages (empty when checked without the plan)."""
    form_of: list[int]
    row_of: list[int]
    starts: list[int]
    """Flat position of each form's first row (plus the total at the end)."""

    def cell(self, pos: int, key: str) -> tuple[_Form, int, str]:
        """The form, Excel row and A1 cell of a field in flat row `pos`."""
        form = self.forms[self.form_of[pos]]
        row = self.row_of[pos]
        return form, row, f"{form.result.sheets[self.sheet].letters[key]}{row}"


def _check_batch(forms: list[_Form], owners: Mapping[int, str]) -> None:
    checkers: dict[str, Callable[[_Batch, pd.DataFrame], list[tuple[str, str, int, Any]]]] = {
        STATUS_SHEET: _status_failures,
        INDICATOR_SHEET: _indicator_failures,
        RPA_SHEET: _rpa_failures,
    }
    for sheet, checker in checkers.items():
        groups: dict[tuple[Any, ...], list[_Form]] = {}
        for form in forms:
            if sheet in form.result.sheets:
                present = tuple(sorted(form.result.sheets[sheet].letters))
                sig = (form.meta.plan_id, *(f.key for f in form.fields[sheet]), "|", *present)
                groups.setdefault(sig, []).append(form)
        for group in groups.values():
            batch, parsed, problems = _make_batch(sheet, group, owners)
            failures = checker(batch, parsed)
            _report(batch, parsed, [*problems, *failures])


def _make_batch(
    sheet: str, forms: list[_Form], owners: Mapping[int, str]
) -> tuple[_Batch, pd.DataFrame, list[tuple[str, str, int, Any]]]:
    """The group's rows in one frame of parsed values, and the cells that did not parse."""
    keys = list(forms[0].result.sheets[sheet].columns)
    columns: dict[str, list[Any]] = {k: [] for k in keys}
    form_of: list[int] = []
    row_of: list[int] = []
    starts: list[int] = []
    problems: list[tuple[str, str, int, Any]] = []
    for i, form in enumerate(forms):
        data = form.result.sheets[sheet]
        start = len(row_of)
        starts.append(start)
        for k in keys:
            columns[k].extend(data.columns[k])
        row_of.extend(data.rows)
        form_of.extend([i] * len(data.rows))
        problems.extend((code, key, start + pos, raw) for code, key, pos, raw in data.problems)
    starts.append(len(row_of))
    raw = pd.DataFrame(
        {ROW: pd.Series(row_of, dtype=object), FORM: pd.Series(form_of, dtype=object)}
    )
    parsed = pd.DataFrame(index=raw.index)
    for k in keys:
        parsed[k] = pd.Series(columns[k], index=raw.index, dtype=object)
    batch = _Batch(sheet, forms[0].fields[sheet], forms, raw, owners, form_of, row_of, starts)
    return batch, parsed, problems


# --- pandera models, built from the form's fields --------------------------------------


def _schema(
    fields: list[Field],
    present: Iterable[str],
    extra: dict[str, list[pa.Check]] | None = None,
    frame_checks: list[pa.Check] | None = None,
) -> pa.DataFrameSchema:
    """A schema for the input columns (and any locked column given extra checks)."""
    columns = {}
    keys = set(present)
    for f in fields:
        if f.key not in keys or (f.locked and f.key not in (extra or {})):
            continue
        checks = list((extra or {}).get(f.key, []))
        if f.kind == "choice":
            checks.append(pa.Check.isin(list(f.choices), error="cell-choice"))
        if f.max_len:
            checks.append(pa.Check(lambda s, n=f.max_len: s.str.len() <= n, error="text-too-long"))
        columns[f.key] = pa.Column(None, checks, nullable=not f.required)
    return pa.DataFrameSchema(columns, checks=frame_checks or [], strict=False)


def warm_up() -> None:
    """Load what pandera imports on its first validation and first failure (its pandas
    backends, ~0.15 s): `consolidate` does it while the pool's workers read the forms."""
    schema = pa.DataFrameSchema({"x": pa.Column(None, [pa.Check.isin(["a"])], nullable=True)})
    _failures(schema, pd.DataFrame({"x": ["a", "b"]}))


def _failures(
    schema: pa.DataFrameSchema, parsed: pd.DataFrame, blame: dict[str, str] | None = None
) -> list[tuple[str, str, int, Any]]:
    """Run a schema lazily; each failure case as (code, field key, flat row, value)."""
    try:
        schema.validate(parsed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return []
    out = []
    for code, column, index in zip(cases["check"], cases["column"], cases["index"], strict=True):
        if index is None or index != index:
            continue
        code = "cell-required" if code == NOT_NULL else str(code)
        key = (blame or {}).get(code) or str(column)
        if key in parsed.columns:
            out.append((code, key, int(index), parsed[key].iat[int(index)]))
    return out


def _report(batch: _Batch, parsed: pd.DataFrame, failures: list[tuple[str, str, int, Any]]) -> None:
    """Turn failures into findings on each form's report (one per code and cell)."""
    by_key = {f.key: f for f in batch.fields}
    seen: set[tuple[int, str, str]] = set()
    for code, key, pos, value in failures:
        form, row, cell = batch.cell(pos, key)
        if (pos, code, key) in seen:
            continue
        seen.add((pos, code, key))
        f = by_key[key]
        shown = "" if value is None else cell_text(value)
        params = {
            "column": f.label,
            "value": shown[:30] + ("…" if len(shown) > 30 else ""),
            "expected": {"int": "整数", "number": "数値"}.get(f.kind, "文字列"),
            "expected_en": {"int": "whole number", "number": "number"}.get(f.kind, "text"),
            "hint": f.hint_ja or "0 以上 1 兆未満の値を入力してください。",
            "hint_en": f.hint_en or "Type a value of 0 or more and below a trillion.",
            "choices": "・".join(f.choices),
            "length": len(shown),
            "limit": f.max_len or "",
            **_context(batch, parsed, code, pos, form, value),
        }
        form.result.add(finding(code, str(form.result.path), batch.sheet, cell, **params), row)


def _context(
    batch: _Batch, parsed: pd.DataFrame, code: str, pos: int, form: _Form, value: Any
) -> dict[str, Any]:
    """Message details that need the row's neighbours or the plan."""
    if code == "measure-foreign":
        owner = batch.owners.get(int(value), "他の担当課")
        return {"owner": owner, "division": form.meta.division}
    if code == "duplicate-row":
        same_form = batch.raw[FORM] == batch.raw[FORM].iat[pos]
        if batch.sheet == RPA_SHEET:
            mask = (
                same_form
                & (parsed["division"] == parsed["division"].iat[pos])
                & (parsed["task"] == parsed["task"].iat[pos])
            )
            value = parsed["task"].iat[pos]
        else:
            mask = same_form & (parsed["no"] == value)
        return {"value": value, "first": int(batch.raw[ROW][mask].min())}
    if code == "hours-increase":
        return {
            "before": _num(parsed["hours_before"].iat[pos]),
            "after": _num(parsed["hours_after"].iat[pos]),
        }
    return {}


# --- the three sheets -------------------------------------------------------------------


def _status_failures(batch: _Batch, parsed: pd.DataFrame) -> list[tuple[str, str, int, Any]]:
    plan_nos = _ranges(batch.forms[0].meta.plan_nos)
    own = {i * OWN_KEY + n for i, f in enumerate(batch.forms) for n in f.meta.own_nos}
    form_of = batch.raw[FORM]
    no_checks = [pa.Check(lambda s: s.isin(plan_nos), error="measure-unknown")]
    frame_checks = [
        pa.Check(
            lambda df: (
                ~df["no"].isin(plan_nos)
                | (form_of * OWN_KEY + pd.to_numeric(df["no"], errors="coerce")).isin(own)
            ),
            error="measure-foreign",
        ),
        pa.Check(
            lambda df: df["no"].isna() | ~pd.DataFrame({"f": form_of, "n": df["no"]}).duplicated(),
            error="duplicate-row",
        ),
    ]
    fields = [Field("no", "NO", "int", False, required=True), *batch.fields[1:]]
    schema = _schema(fields, parsed.columns, extra={"no": no_checks}, frame_checks=frame_checks)
    blame = {"measure-foreign": "no", "duplicate-row": "no"}
    failures = _failures(schema, parsed, blame) if "no" in parsed.columns else []
    return failures


def _indicator_failures(batch: _Batch, parsed: pd.DataFrame) -> list[tuple[str, str, int, Any]]:
    failures = _failures(_schema(batch.fields, parsed.columns), parsed)
    if "as_of" in parsed.columns:
        for pos, value in enumerate(parsed["as_of"].tolist()):
            if value is not None and parse_year_month(value).value is None:
                failures.append(("cell-type", "as_of", pos, value))
    return failures


def _rpa_failures(batch: _Batch, parsed: pd.DataFrame) -> list[tuple[str, str, int, Any]]:
    frame_checks = []
    if {"hours_before", "hours_after"} <= set(parsed.columns):
        frame_checks.append(
            pa.Check(
                lambda df: (
                    ~(
                        (_hours(df["hours_after"]) > _hours(df["hours_before"]))
                        & (_hours(df["hours_before"]) >= 0)
                    )
                ),
                error="hours-increase",
            )
        )
    if {"division", "task"} <= set(parsed.columns):
        form_of = batch.raw[FORM]
        frame_checks.append(
            pa.Check(
                lambda df: (
                    df["task"].isna()
                    | ~pd.DataFrame(
                        {"f": form_of, "d": df["division"], "t": df["task"]}
                    ).duplicated()
                ),
                error="duplicate-row",
            )
        )
    schema = _schema(batch.fields, parsed.columns, frame_checks=frame_checks)
    return _failures(schema, parsed, {"hours-increase": "hours_after", "duplicate-row": "task"})


def _hours(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce")


def _num(value: Any) -> str:
    if value is None:
        return ""
    v = float(value)
    return f"{int(v):,}" if v.is_integer() else f"{v:,}"


def _ranges(text: str) -> set[int]:
    try:
        return parse_ranges(text)
    except ValueError:
        return set()
