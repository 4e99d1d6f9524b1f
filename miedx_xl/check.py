"""入力チェック: a returned form -> cell-exact findings (pandera models indexed by Excel row)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from miedx_xl.findings import Finding, Report, finding
from miedx_xl.layout import (
    INDICATOR_SHEET,
    RPA_FIELDS,
    RPA_SHEET,
    STATUS_SHEET,
    TEMPLATE_VERSION,
    Field,
    FormMeta,
    indicator_fields,
    status_fields,
)
from miedx_xl.normalize import (
    FiscalYear,
    nfkc,
    parse_fiscal_year,
    parse_number,
    parse_year_month,
)
from miedx_xl.reader import (
    MAX_BYTES,
    Sheets,
    Table,
    is_blank,
    open_book,
    read_meta,
    read_table,
)

NOT_NULL = "not_nullable"


@dataclass
class FormResult:
    """One checked form: its meta, the parsed sheets (indexed by Excel row) and findings."""

    path: Path
    meta: FormMeta | None = None
    sheets: dict[str, pd.DataFrame] = field(default_factory=dict)
    letters: dict[str, dict[str, str]] = field(default_factory=dict)
    report: Report = field(default_factory=Report)

    @property
    def fiscal_year(self) -> FiscalYear | None:
        """The form's fiscal year, from its meta."""
        return parse_fiscal_year(self.meta.fiscal_year).value if self.meta else None

    def bad_rows(self, sheet: str) -> set[int]:
        """Excel rows of `sheet` with an error finding."""
        out = set()
        for f in self.report:
            if f.sheet == sheet and f.cell and f.severity == "error":
                out.add(int(f.cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")))
        return out


def check(paths: Iterable[Path | str]) -> Report:
    """Check returned forms; all findings of all files (never raises for a bad file)."""
    report = Report()
    for p in paths:
        report.extend(check_file(Path(p)).report)
    return report


def check_file(path: Path, max_bytes: int = MAX_BYTES) -> FormResult:
    """Read and check one form."""
    book = open_book(path, max_bytes)
    if book.workbook is None:
        return FormResult(path, report=Report(list(book.findings)))
    return check_sheets(path, book.workbook)


def check_sheets(path: Path, sheets: Sheets) -> FormResult:
    """Check a form given as sheet values (from a file, or live from Excel)."""
    result = FormResult(path)
    name = str(path)
    loaded = read_meta(sheets)
    if loaded is None:
        result.report.add(
            finding("template-unknown", name, reason="様式の管理情報（非表示シート）がありません")
        )
        return result
    meta, stored = loaded
    fy = parse_fiscal_year(meta.fiscal_year).value
    if meta.template_version != TEMPLATE_VERSION or fy is None:
        result.report.add(
            finding("template-unknown", name, reason=f"様式の版 {meta.template_version} は不明です")
        )
        return result
    result.meta = meta
    if meta.digest() != stored:
        result.report.add(
            finding(
                "template-tampered",
                name,
                detail="非表示の管理情報が書き換えられています",
                expected="配布した様式",
            )
        )
    years = [y for y in (parse_fiscal_year(t).value for t in meta.earlier_years) if y]
    sched = [y for y in (parse_fiscal_year(t).value for t in meta.schedule_years) if y]
    specs: list[tuple[str, list[Field], Callable[..., list[Finding]]]] = [
        (STATUS_SHEET, status_fields(fy, years, sched, tuple(meta.phases)), _check_status),
        (INDICATOR_SHEET, indicator_fields(fy), _check_indicators),
        (RPA_SHEET, RPA_FIELDS, _check_rpa),
    ]
    for sheet, fields, checker in specs:
        table, problems = read_table(sheets, name, sheet, fields)
        result.report.extend(problems)
        if table is None:
            continue
        parsed, found = _parse(table, fields, name)
        found += checker(parsed, table, fields, meta, name)
        result.report.extend(found)
        result.sheets[sheet] = parsed
        result.letters[sheet] = table.letters
    result.report = result.report.sorted()
    return result


# --- parsing: raw cell values -> typed columns, type failures become findings ------------


def cell_text(value: Any) -> str:
    """A cell value as text: integral floats lose their '.0', text is kept as typed."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value.replace("\r\n", "\n")
    return str(value)


def _parse(table: Table, fields: list[Field], file: str) -> tuple[pd.DataFrame, list[Finding]]:
    frame = table.frame
    out = pd.DataFrame(index=frame.index)
    findings: list[Finding] = []
    for f in fields:
        if f.key not in frame.columns:
            continue
        values: list[Any] = []
        for row, raw in zip(frame.index, frame[f.key], strict=True):
            if raw is None:
                values.append(None)
                continue
            value, problem = _parse_value(f, raw)
            if problem is not None:
                findings.append(_cell_finding(problem, f, table, int(row), file, raw))
            values.append(value)
        out[f.key] = pd.Series(values, index=frame.index, dtype=object)
    return out, findings


def _parse_value(f: Field, raw: Any) -> tuple[Any, str | None]:
    if f.kind == "text":
        return cell_text(raw), None
    if f.kind == "choice":
        return nfkc(cell_text(raw)), None
    parsed = parse_number(raw)
    if parsed.value is None:
        return None, "cell-type"
    number = parsed.value.value
    if f.kind == "int":
        if not float(number).is_integer():
            return None, "cell-type"
        return int(number), None
    if number < 0:
        return number, "cell-range"
    return number, None


_EXPECTED = {"int": ("整数", "whole number"), "number": ("数値", "number")}


def _cell_finding(code: str, f: Field, table: Table, row: int, file: str, raw: Any) -> Finding:
    expected = _EXPECTED.get(f.kind, ("文字列", "text"))
    shown = cell_text(raw) if raw is not None else ""
    if len(shown) > 30:
        shown = shown[:30] + "…"
    return finding(
        code,
        file,
        table.sheet,
        f"{table.letters[f.key]}{row}",
        column=f.label,
        value=shown,
        expected=expected[0],
        expected_en=expected[1],
        hint=f.hint_ja or "0 以上の値を入力してください。",
        hint_en=f.hint_en or "Type a value of 0 or more.",
        choices="・".join(f.choices),
        length=len(shown),
        limit=f.max_len or "",
    )


# --- pandera models, built from the form's fields --------------------------------------


def _column_checks(f: Field) -> list[pa.Check]:
    checks = []
    if f.kind == "choice":
        checks.append(pa.Check.isin(list(f.choices), error="cell-choice"))
    if f.max_len:
        checks.append(pa.Check(lambda s, n=f.max_len: s.str.len() <= n, error="text-too-long"))
    return checks


def _schema(
    fields: list[Field],
    present: Iterable[str],
    extra: dict[str, list[pa.Check]] | None = None,
    frame_checks: list[pa.Check] | None = None,
) -> pa.DataFrameSchema:
    columns = {}
    keys = set(present)
    for f in fields:
        if f.key not in keys or (f.locked and f.key not in (extra or {})):
            continue
        checks = _column_checks(f) + (extra or {}).get(f.key, [])
        columns[f.key] = pa.Column(None, checks, nullable=not f.required)
    return pa.DataFrameSchema(columns, checks=frame_checks or [], strict=False)


def _validate(
    schema: pa.DataFrameSchema,
    parsed: pd.DataFrame,
    table: Table,
    fields: list[Field],
    file: str,
    blame: dict[str, str] | None = None,
    context: Callable[[str, str, int, Any], dict[str, Any]] | None = None,
) -> list[Finding]:
    """Run a schema lazily and turn every failure case into a cell finding."""
    try:
        schema.validate(parsed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return []
    by_key = {f.key: f for f in fields}
    out: list[Finding] = []
    seen: set[tuple[str, str, int]] = set()
    for rec in cases.to_dict("records"):
        code = str(rec["check"])
        if code == NOT_NULL:
            code = "cell-required"
        index = rec["index"]
        if index is None or index != index:
            continue
        row = int(index)
        key = (blame or {}).get(code) or str(rec["column"])
        if key not in by_key or (code, key, row) in seen:
            continue
        seen.add((code, key, row))
        f = by_key[key]
        raw = parsed.at[row, key] if key in parsed.columns else None
        base = _cell_finding(code, f, table, row, file, raw)
        params = context(code, key, row, raw) if context else {}
        if params:
            base = finding(code, file, base.sheet, base.cell, **{**_params(f, raw), **params})
        out.append(base)
    return out


def _params(f: Field, raw: Any) -> dict[str, Any]:
    shown = "" if raw is None else cell_text(raw)
    return {"column": f.label, "value": shown, "hint": f.hint_ja, "hint_en": f.hint_en}


# --- the three sheets -------------------------------------------------------------------


def _locked_findings(
    parsed: pd.DataFrame,
    table: Table,
    fields: list[Field],
    expected_rows: dict[str, dict[str, Any]],
    key_field: str,
    file: str,
) -> list[Finding]:
    """template-tampered for every locked cell that differs from the form as sent."""
    out = []
    seen_keys = set()
    for row, rec in zip(parsed.index, parsed.to_dict("records"), strict=True):
        key = rec.get(key_field)
        if key is None:
            continue
        expected = expected_rows.get(str(key))
        if expected is None:
            continue
        seen_keys.add(str(key))
        for f in fields:
            if not f.locked or f.key not in parsed.columns or f.key == key_field:
                continue
            want = "" if expected.get(f.key) is None else cell_text(expected.get(f.key))
            got = "" if rec[f.key] is None else cell_text(rec[f.key])
            if got != want:
                out.append(
                    finding(
                        "template-tampered",
                        file,
                        table.sheet,
                        f"{table.letters[f.key]}{row}",
                        detail=f"「{f.label}」",
                        expected=want[:40] + ("…" if len(want) > 40 else ""),
                    )
                )
    for key in expected_rows:
        if key not in seen_keys:
            out.append(
                finding(
                    "template-tampered",
                    file,
                    table.sheet,
                    None,
                    detail=f"{key} の行が削除されたか、番号が変えられています",
                    expected=f"{key} の行",
                )
            )
    return out


def _check_status(
    parsed: pd.DataFrame, table: Table, fields: list[Field], meta: FormMeta, file: str
) -> list[Finding]:
    owner = {int(no): str(div) for no, div in meta.plan_measures}
    mine = {no for no, div in owner.items() if div == meta.division_key}
    no_checks = [
        pa.Check(lambda s: s.isin(list(owner)), error="measure-unknown"),
        pa.Check(lambda s: ~s.isin(list(owner)) | s.isin(list(mine)), error="measure-foreign"),
        pa.Check(lambda s: ~s.duplicated(keep="first"), error="duplicate-row"),
    ]
    nos = parsed["no"] if "no" in parsed.columns else pd.Series(dtype=object)

    def context(code: str, key: str, row: int, raw: Any) -> dict[str, Any]:
        if code == "measure-foreign":
            return {"owner": owner.get(int(raw), ""), "division": meta.division}
        if code == "duplicate-row":
            first = nos[nos == raw].index.min()
            return {"first": int(first)}
        return {}

    no_field = next(f for f in fields if f.key == "no")
    schema = _schema(
        [Field("no", no_field.label, "int", False, required=True), *fields[1:]],
        parsed.columns,
        extra={"no": no_checks},
    )
    out = _validate(schema, parsed, table, fields, file, context=context)
    out += _locked_findings(parsed, table, fields, meta.locked.get(STATUS_SHEET, {}), "no", file)
    return out


def _check_indicators(
    parsed: pd.DataFrame, table: Table, fields: list[Field], meta: FormMeta, file: str
) -> list[Finding]:
    out = _validate(_schema(fields, parsed.columns), parsed, table, fields, file)
    if "as_of" in parsed.columns:
        f = next(f for f in fields if f.key == "as_of")
        for row, value in zip(parsed.index, parsed["as_of"], strict=True):
            if value is not None and parse_year_month(value).value is None:
                out.append(_cell_finding("cell-type", f, table, int(row), file, value))
    locked = meta.locked.get(INDICATOR_SHEET, {})
    out += _locked_findings(parsed, table, fields, locked, "id", file)
    return out


def _check_rpa(
    parsed: pd.DataFrame, table: Table, fields: list[Field], meta: FormMeta, file: str
) -> list[Finding]:
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
        frame_checks.append(
            pa.Check(
                lambda df: ~df.duplicated(["division", "task"], keep="first") | df["task"].isna(),
                error="duplicate-row",
            )
        )

    def context(code: str, key: str, row: int, raw: Any) -> dict[str, Any]:
        if code == "hours-increase":
            return {
                "before": _num(parsed.at[row, "hours_before"]),
                "after": _num(parsed.at[row, "hours_after"]),
            }
        if code == "duplicate-row":
            same = parsed[
                (parsed["division"] == parsed.at[row, "division"])
                & (parsed["task"] == parsed.at[row, "task"])
            ]
            return {"value": parsed.at[row, "task"], "first": int(same.index.min())}
        return {}

    schema = _schema(fields, parsed.columns, frame_checks=frame_checks)
    blame = {"hours-increase": "hours_after", "duplicate-row": "task"}
    return _validate(schema, parsed, table, fields, file, blame=blame, context=context)


def _hours(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce")


def _num(value: Any) -> str:
    if value is None or is_blank(value):
        return ""
    v = float(value)
    return f"{int(v):,}" if v.is_integer() else f"{v:,}"
