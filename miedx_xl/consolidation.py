"""取りまとめ: a folder of returned forms -> the plan for one fiscal year, with every input
archived, a ledger row per file, and a finding for every file that could not be used."""

from __future__ import annotations

import errno
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from miedx_xl import collector
from miedx_xl.archive import FileRow, RunRow, append_run, archived_as
from miedx_xl.errors import UsageError
from miedx_xl.findings import Report, finding
from miedx_xl.form.check import check_loaded, warm_up
from miedx_xl.form.layout import INDICATOR_SHEET, RPA_SHEET, STATUS_SHEET
from miedx_xl.form.pool import read_forms
from miedx_xl.form.read import FormResult, SheetData, fields_of
from miedx_xl.form.source import MAX_BYTES
from miedx_xl.form.source import saved_time as saved_time
from miedx_xl.inputs import check_year, default_archive, input_files
from miedx_xl.normalize import FiscalYear, cell_text, is_formula_like, parse_year_month
from miedx_xl.plan.columns import (
    assessment_column,
    is_schedule_column,
    issues_column,
    planned_column,
    schedule_column,
    status_column,
)
from miedx_xl.plan.model import Plan, load_plan, planned_text

STATE_SUBMITTED = "提出済"
STATE_MISSING = "未提出"
STATE_NEEDS_FIX = "要修正"
STATE_DUPLICATE = "重複"


@dataclass
class Submission:
    """One row of 提出状況: a division's form (or its absence) in this run."""

    division_key: str
    division: str
    """The division's name in the fiscal year."""
    state: str
    """提出済 / 未提出 / 要修正 / 重複."""
    file: str = ""
    received: str = ""
    """When the form was saved (its own document time, else the file time), ISO 8601."""
    digest: str = ""
    """SHA-256 of the file as received."""
    rows: int = 0
    """Rows merged from this file."""
    errors: int = 0
    warnings: int = 0


@dataclass
class Consolidation:
    """The result of 取りまとめ: the plan with this year's content merged, and the run's record."""

    plan: Plan
    """measures gain/refresh status_<fy>, schedule_<fy..>, assessment_<fy>, issues_<fy>;
    indicators gain this year's values; rpa_tasks gains this year's rows with hours."""
    fy: FiscalYear
    submissions: list[Submission] = field(default_factory=list)
    report: Report = field(default_factory=Report)
    rpa: pd.DataFrame = field(default_factory=pd.DataFrame)
    """This year's RPA rows: fy, division, task, hours_before, hours_after, note, submitted_by."""
    run_at: str = ""
    """When the run happened (ISO 8601); the master's own time stamp."""
    archive: Path | None = None
    run_id: int | None = None
    """The run's row in the archive's ledger."""

    def summary_ja(self) -> str:
        """One paragraph for the terminal: submitted, missing, with errors, rows merged."""
        states = [s.state for s in self.submissions]
        rows = sum(s.rows for s in self.submissions)
        return (
            f"{self.fy.label_ja()} 取りまとめ: 提出済 {states.count(STATE_SUBMITTED)}・"
            f"要修正 {states.count(STATE_NEEDS_FIX)}・未提出 {states.count(STATE_MISSING)}・"
            f"重複 {states.count(STATE_DUPLICATE)}、反映 {rows} 行、"
            f"エラー {self.report.count('error')} 件・警告 {self.report.count('warning')} 件"
        )


LOCK_PREFIX = "~$"


@dataclass
class _Input:
    """A returned form in this run: what happened to it besides reading and checking."""

    form: FormResult
    state: str = ""
    rows: int = 0
    """Rows of the form merged into the plan."""


@collector.paused()
def consolidate(
    folder: Path,
    fy: FiscalYear,
    plan: Plan | None = None,
    archive: Path | None = None,
    max_bytes: int = MAX_BYTES,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
    any_year: bool = False,
) -> Consolidation:
    """Read, check, archive and merge every returned form in `folder` for fiscal year `fy`
    (a year of the plan's period or the next one, unless `any_year`)."""
    plan = plan or load_plan()
    if not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "フォルダが見つかりません", str(folder))
    if not any_year:
        check_year(plan, fy)
    archive = archive or default_archive(folder)
    if folder.resolve().is_relative_to(archive.resolve()):
        raise UsageError(
            f"取りまとめ履歴のフォルダ「{archive}」が提出フォルダ「{folder}」と同じか、"
            "その上にあります。提出された様式がすべて履歴とみなされて読み飛ばされるため、"
            "提出フォルダの外（または中の別のフォルダ）を指定してください。"
        )
    started = now or datetime.now(UTC)
    run_at = started.isoformat(timespec="seconds")
    report = Report()
    files = input_files(folder, archive, report)
    paths = []
    for path in files:
        if path.name.startswith(LOCK_PREFIX):
            report.add(finding("lock-file-skipped", str(path)))
        else:
            paths.append(path)
    skipped = len(files) - len(paths)
    if progress and skipped:
        progress(skipped, len(files))
    loaded: list[FormResult] = read_forms(
        paths,
        max_bytes,
        archive=archive,
        lean=True,
        progress=(lambda done, _: progress(skipped + done, len(files))) if progress else None,
        meanwhile=warm_up,
    )
    owners = {
        int(no): plan.division_name(div, fy)
        for no, div in plan.numbered()[["no", "division"]].itertuples(index=False)
    }
    inputs = [_Input(form) for form in check_loaded(loaded, owners=owners)]
    for item in inputs:
        report.extend(item.form.report)
        _refuse_other_plan(item.form, plan, fy, report)
        _renamed(item.form, plan, fy, report)
    # A saved time is in the future against this machine's clock, not the run's stamp.
    chosen = _choose(inputs, plan, report, datetime.now(UTC))
    used = [chosen[key] for key in plan.divisions() if key in chosen]
    merged, rpa_all = _merge(plan, fy, used, report)
    for item in used:
        errors = item.form.report.count("error")
        item.state = STATE_NEEDS_FIX if errors else STATE_SUBMITTED
    if len(rpa_all):
        keep = merged.rpa_tasks[merged.rpa_tasks["fy"] != str(fy)]
        merged = replace(merged, rpa_tasks=pd.concat([keep, rpa_all], ignore_index=True))
    submissions = _submissions(plan.in_year(fy), fy, inputs, chosen, report)
    result = Consolidation(
        plan=merged,
        fy=fy,
        submissions=submissions,
        report=report.sorted(),
        rpa=rpa_all,
        run_at=run_at,
    )
    result.archive = archive
    result.run_id = write_ledger(archive, folder, result, inputs)
    return result


def _refuse_other_plan(form: FormResult, plan: Plan, fy: FiscalYear, report: Report) -> None:
    """A form of another plan, year or unknown division is reported and not merged."""
    meta = form.meta
    if meta is None:
        return
    reason = None
    if meta.plan_id != plan.id:
        reason = f"別の計画（{meta.plan_name}）の様式です"
    elif form.fiscal_year != fy:
        reason = f"{meta.fiscal_year} の様式です（取りまとめ対象は {fy}）"
    elif meta.division_key not in plan.divisions():
        reason = f"計画にない担当課（{meta.division}）の様式です"
    if reason:
        report.add(finding("template-unknown", str(form.path), reason=reason))
        form.meta = None


def _renamed(form: FormResult, plan: Plan, fy: FiscalYear, report: Report) -> None:
    """division-renamed for a form that names its division by a name it had before `fy`
    (the form is used, under the division's current name)."""
    meta = form.meta
    if meta is None:
        return
    current = plan.division_name(meta.division_key, fy)
    if meta.division == current or plan.division_key(meta.division) != meta.division_key:
        return
    names = plan.division_names.get(meta.division_key, {})
    since = min((y for y, n in names.items() if n == current and y <= fy), default=fy)
    item = finding(
        "division-renamed",
        str(form.path),
        old=meta.division,
        new=current,
        fy=str(since),
        fy_ja=since.label_ja(),
    )
    form.report.add(item)
    report.add(item)


FUTURE_SLACK = timedelta(days=1)
"""A saved time later than the run by more than this is taken for a PC clock that is wrong."""


def _instant(text: str) -> datetime | None:
    """An ISO 8601 time as an aware datetime (a naive one is taken as UTC)."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _when(item: _Input, now: datetime, report: Report) -> datetime:
    """When a form was saved, for the newest-copy rule: its own saved time, or the time it
    arrived in the folder when its saved time lies in the future (a wrong clock)."""
    arrived = datetime.fromtimestamp(_mtime(item.form.path), UTC)
    saved = _instant(item.form.saved)
    if saved is None:
        return arrived
    if saved > now + FUTURE_SLACK:
        report.add(
            finding(
                "saved-time-future",
                str(item.form.path),
                saved=saved.isoformat(timespec="seconds"),
                now=now.isoformat(timespec="seconds"),
                arrived=arrived.isoformat(timespec="seconds"),
            )
        )
        return arrived
    return saved


def _choose(inputs: list[_Input], plan: Plan, report: Report, now: datetime) -> dict[str, _Input]:
    """The form used per division: the newest by its own saved time, then file time."""
    by_key: dict[str, list[_Input]] = {}
    for item in inputs:
        if item.form.meta is not None:
            by_key.setdefault(item.form.meta.division_key, []).append(item)
    chosen = {}
    for key, items in by_key.items():
        when = {id(x): _when(x, now, report) for x in items} if len(items) > 1 else {}
        items.sort(
            key=lambda x: (when.get(id(x)), _mtime(x.form.path), x.form.path.name),
            reverse=True,
        )
        chosen[key] = items[0]
        for other in items[1:]:
            other.state = STATE_DUPLICATE
            meta = other.form.meta
            report.add(
                finding(
                    "duplicate-submission",
                    str(other.form.path),
                    division=meta.division if meta else key,
                    kept=items[0].form.path.name,
                )
            )
    return chosen


def _fy_columns(plan: Plan, fy: FiscalYear) -> list[str]:
    later = [schedule_column(y) for y in plan.fiscal_years if y >= fy]
    return [status_column(fy), *later, assessment_column(fy), issues_column(fy)]


def _merge(
    plan: Plan, fy: FiscalYear, used: list[_Input], report: Report
) -> tuple[Plan, pd.DataFrame]:
    """Merge the rows without errors of every used form into the plan, in one pass.

    Sets each input's `rows`; returns the merged plan and this year's RPA rows.
    """
    columns = _fy_columns(plan, fy)
    measures = plan.measures.copy()
    for col in columns:
        if col not in measures.columns:
            measures[col] = ""
    # The schedule as it stood before this year's forms, for 前年度比較.
    later = [y for y in plan.fiscal_years if y >= fy]
    words = [
        measures[schedule_column(y)].tolist()
        if schedule_column(y) in measures.columns
        else [None] * len(measures)
        for y in later
    ]
    measures[planned_column(fy)] = (
        [
            planned_text({y: str(w or "") for y, w in zip(later, row, strict=True)})
            for row in zip(*words, strict=True)
        ]
        if later
        else [planned_text({})] * len(measures)
    )
    base = (measures["relisted_of"] == 0) & ~measures["reference"]
    nos = measures.loc[base, "no"].tolist()
    position = dict(zip(nos, measures.index[base].tolist(), strict=True))
    owner = dict(zip(nos, measures.loc[base, "division"].tolist(), strict=True))
    current = {
        col: dict(zip(measures.index, measures[col].tolist(), strict=True)) for col in columns
    }
    schedule_columns = {col for col in columns if is_schedule_column(col)}
    updates: dict[str, dict[int, Any]] = {col: {} for col in columns}
    changed_schedule: set[int] = set()
    values: list[dict[str, Any]] = []
    rpa_parts: list[pd.DataFrame] = []
    any_empty_rpa = False
    touched: set[int] = set()
    for item in used:
        result = item.form
        meta = result.meta
        assert meta is not None
        status = result.sheets.get(STATUS_SHEET)
        if status is not None and "no" in status.columns:
            bad = result.bad_rows(STATUS_SHEET)
            labels = {f.key: f.label for f in fields_of(meta)[STATUS_SHEET]}
            letters = result.letters[STATUS_SHEET]
            for row, rec in zip(status.rows, _records(status), strict=True):
                no = rec.get("no")
                if row in bad or no is None or owner.get(no) != meta.division_key:
                    continue
                idx = position[int(no)]
                touched.add(int(no))
                for col in columns:
                    value = rec.get(col)
                    if value is None:
                        continue
                    updates[col][idx] = value
                    if col in schedule_columns and current[col][idx] != value:
                        changed_schedule.add(idx)  # the division's own word, no longer inferred
                    if isinstance(value, str) and is_formula_like(value):
                        letter = letters.get(col, "")
                        report.add(
                            finding(
                                "formula-as-text",
                                str(result.path),
                                STATUS_SHEET,
                                f"{letter}{row}" if letter else None,
                                column=labels.get(col, col),
                                first=value[0],
                            )
                        )
                item.rows += 1
        ind = result.sheets.get(INDICATOR_SHEET)
        if ind is not None and {"id", "value"} <= set(ind.columns):
            bad = result.bad_rows(INDICATOR_SHEET)
            for row, rec in zip(ind.rows, _records(ind), strict=True):
                if row not in bad and rec.get("value") is not None:
                    values.append(rec)
                    item.rows += 1
        rpa = _rpa_rows(result, fy)
        if rpa is None:
            any_empty_rpa = True
        else:
            item.rows += len(rpa)
            rpa_parts.append(rpa)
    for col, by_index in updates.items():
        if by_index:
            measures.loc[list(by_index), col] = pd.Series(by_index, dtype=object)
    if changed_schedule:
        measures.loc[sorted(changed_schedule), "schedule_inferred"] = False
    _follow_originals(plan, measures, base, columns, touched)
    indicators = _put_indicators(plan.indicators, fy, values)
    if any_empty_rpa:
        # One empty part stands for all of them: they add no rows, only their dtypes count.
        rpa_parts.insert(0, _empty_rpa())
    rpa_all = pd.concat(rpa_parts, ignore_index=True) if rpa_parts else _empty_rpa()
    return replace(plan, measures=measures, indicators=indicators), rpa_all


def _records(sheet: SheetData) -> list[dict[str, Any]]:
    """A parsed sheet's rows as dicts (field key -> value)."""
    keys = list(sheet.columns)
    rows = zip(*sheet.columns.values(), strict=True)
    return [dict(zip(keys, values, strict=True)) for values in rows]


def _follow_originals(
    plan: Plan, measures: pd.DataFrame, base: pd.Series, columns: list[str], touched: set[int]
) -> None:
    """Re-listed rows (NO 7, 8, area 8's （参考） NO 4) follow their original's new content,
    unless they had their own wording (the R3 report words NO 7 unlike NO 2)."""
    before = plan.measures.reindex(columns=measures.columns)[base].set_index("no")
    originals = measures[base].set_index("no")
    relisted = measures.index[measures["relisted_of"] > 0]
    for idx, src in zip(relisted, measures.loc[relisted, "relisted_of"], strict=True):
        if src not in touched:
            continue
        for col in columns:
            mine: Any = measures.at[idx, col]
            if cell_text(mine) == "" or mine == before.at[src, col]:
                new: Any = originals.at[src, col]
                measures.at[idx, col] = new


def _rpa_rows(result: FormResult, fy: FiscalYear) -> pd.DataFrame | None:
    """The RPA rows of a form that have no error (None when its sheet has no rows)."""
    sheet = result.sheets.get(RPA_SHEET)
    if sheet is None or not sheet.rows or result.meta is None:
        return None
    bad = result.bad_rows(RPA_SHEET)
    frame = result.frame(RPA_SHEET)
    ok = frame[~frame.index.isin(list(bad))].reindex(
        columns=["division", "task", "hours_before", "hours_after", "note"]
    )
    return pd.DataFrame(
        {
            "fy": str(fy),
            "division": ok["division"],
            "task": ok["task"],
            "hours_before": pd.to_numeric(ok["hours_before"], errors="coerce"),
            "hours_after": pd.to_numeric(ok["hours_after"], errors="coerce"),
            "note": ok["note"],
            "submitted_by": result.meta.division,
        }
    ).reset_index(drop=True)


def _put_indicators(
    indicators: pd.DataFrame, fy: FiscalYear, submitted: list[dict[str, Any]]
) -> pd.DataFrame:
    """Replace indicators' values for `fy` with the submitted ones (in the plan's order)."""
    if not submitted:
        return indicators
    last = {r["id"]: r for r in indicators.groupby("id", sort=False).tail(1).to_dict("records")}
    periods = indicators.groupby("id")["period"].apply(list).to_dict()
    rows = []
    for rec in submitted:
        if rec["id"] not in last:
            continue
        period = str(fy)
        as_of = parse_year_month(rec["as_of"]).value if rec.get("as_of") is not None else None
        if as_of is not None:
            period = str(as_of)
            for known in periods.get(rec["id"], []):
                if str(known).startswith(period):
                    period = str(known)  # keep the day the plan already states (2022-03-01)
        rows.append(
            {
                **last[rec["id"]],
                "id": rec["id"],
                "period": period,
                "fy": str(fy) if as_of is None else str(as_of.fiscal_year),
                "value": float(rec["value"]),
                "approx": False,
                "note": rec.get("note") or "",
            }
        )
    if not rows:
        return indicators
    new = pd.DataFrame(rows, columns=indicators.columns)
    replaced = set(zip(new["id"], new["fy"], strict=True))
    keys = list(zip(indicators["id"], indicators["fy"], strict=True))
    keep = indicators[[k not in replaced for k in keys]]
    out = pd.concat([keep, new], ignore_index=True)
    first = {ind_id: i for i, ind_id in reversed(list(enumerate(indicators["id"])))}
    order = out["id"].map(first).astype(int) * 1000 + out["fy"].str[1:].astype(int)
    result: pd.DataFrame = out.iloc[order.argsort(kind="stable")].reset_index(drop=True)
    return result


def _empty_rpa() -> pd.DataFrame:
    return pd.DataFrame(
        columns=["fy", "division", "task", "hours_before", "hours_after", "note", "submitted_by"]
    )


def _submissions(
    plan: Plan,
    fy: FiscalYear,
    inputs: list[_Input],
    chosen: dict[str, _Input],
    report: Report,
) -> list[Submission]:
    """提出状況: a row per division, then a row per duplicate that was not used."""
    rows = []
    for key in plan.divisions():
        name = plan.division_name(key, fy)
        item = chosen.get(key)
        if item is None:
            report.add(finding("submission-missing", "", division=name))
            rows.append(Submission(key, name, STATE_MISSING))
            continue
        rows.append(_submission_row(key, name, item))
    for item in inputs:
        if item.state == STATE_DUPLICATE and item.form.meta:
            key = item.form.meta.division_key
            rows.append(_submission_row(key, plan.division_name(key, fy), item))
    return rows


def _submission_row(key: str, name: str, item: _Input) -> Submission:
    rep = item.form.report
    return Submission(
        division_key=key,
        division=name,
        state=item.state,
        file=item.form.path.name,
        received=item.form.saved,
        digest=item.form.digest,
        rows=item.rows,
        errors=rep.count("error"),
        warnings=rep.count("warning"),
    )


def write_ledger(archive: Path, folder: Path, result: Consolidation, inputs: list[_Input]) -> int:
    """Append this run and one row per input file to the archive's ledger."""
    states = [s.state for s in result.submissions]
    run = RunRow(
        run_at=result.run_at,
        fy=str(result.fy),
        folder=str(folder.resolve()),
        files=len(inputs),
        submitted=sum(s in (STATE_SUBMITTED, STATE_NEEDS_FIX) for s in states),
        missing=states.count(STATE_MISSING),
        errors=result.report.count("error"),
        warnings=result.report.count("warning"),
    )
    files = []
    for item in inputs:
        form, meta = item.form, item.form.meta
        files.append(
            FileRow(
                file=str(form.path.relative_to(folder)),
                digest=form.digest,
                size=_size(form.path),
                division=meta.division if meta else None,
                fy=meta.fiscal_year if meta else None,
                saved=form.saved,
                state=item.state or ("対象外" if meta is None else ""),
                rows=item.rows,
                errors=form.report.count("error"),
                warnings=form.report.count("warning"),
                infos=form.report.count("info"),
                archived_as=archived_as(archive, form.digest, form.path.suffix),
            )
        )
    return append_run(archive, run, files, snapshot=snapshot(result))


def _mtime(path: Path) -> float:
    """A file's modification time (0 when it is gone)."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _size(path: Path) -> int | None:
    """A file's size in bytes (None when it is gone)."""
    try:
        return path.stat().st_size
    except OSError:
        return None


# --- each run's consolidated rows, kept in the ledger (see `rebuild`) -----------------------

PLAN_FRAMES = ("areas", "overviews", "measures", "indicators", "rpa_tasks")


def _frame_json(frame: pd.DataFrame) -> dict[str, Any]:
    """A table as JSON: its columns, their dtypes, which hold tuples, and the rows."""
    tuples = [str(c) for c in frame.columns if any(isinstance(v, tuple) for v in frame[c].tolist())]
    # Tuples (json writes a tuple as a list) of each row's values; pd.NA by `_json_default`.
    rows = list(zip(*(frame[c].tolist() for c in frame.columns), strict=True))
    return {
        "columns": [str(c) for c in frame.columns],
        "dtypes": [str(frame[c].dtype) for c in frame.columns],
        "tuples": tuples,
        "rows": rows,
    }


def _json_default(value: Any) -> Any:
    """pd.NA as null (json calls this only for what it cannot write itself). NaN stays NaN
    (Python's json writes and reads it): an object column may hold both None and NaN, and
    the tables must come back equal."""
    if value is pd.NA:
        return None
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def snapshot(result: Consolidation) -> bytes:
    """A run's consolidated content as JSON (UTF-8): the merged plan, this year's RPA rows,
    提出状況 and the findings; what `rebuild` needs to write the same master again."""
    plan = result.plan
    body = {
        "fy": str(result.fy),
        "run_at": result.run_at,
        "plan": {
            "id": plan.id,
            "name": plan.name,
            "established": plan.established,
            "first_fy": str(plan.first_fy),
            "last_fy": str(plan.last_fy),
            "report_fy": str(plan.report_fy),
            "actors": list(plan.actors),
            "phases": list(plan.phases),
            "rpa_totals": plan.rpa_totals,
            "division_names": {
                key: {str(y): name for y, name in names.items()}
                for key, names in plan.division_names.items()
            },
            **{name: _frame_json(getattr(plan, name)) for name in PLAN_FRAMES},
        },
        "rpa": _frame_json(result.rpa),
        "submissions": [asdict(s) for s in result.submissions],
        "findings": [f.as_dict() for f in result.report],
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, default=_json_default).encode(
        "utf-8"
    )
