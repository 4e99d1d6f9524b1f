"""Reading returned forms file by file, in a pool of processes when there are many.

Everything done here for one file needs no pandas: its digest and archive copy, opening it,
the hidden meta, the three form sheets read by header and their cells parsed, and the
locked cells compared with the form as sent. The checks across rows and files (pandera,
one run per sheet kind) stay in `checking`. Keep this module free of pandas and pandera:
on Windows every worker process starts by importing it.
"""

from __future__ import annotations

import hashlib
import math
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from miedx_xl.errors import InputUnreadable
from miedx_xl.findings import Finding, finding
from miedx_xl.form.layout import (
    INDICATOR_SHEET,
    STATUS_SHEET,
    TEMPLATE_VERSION,
    Field,
    FormMeta,
    form_fields,
)
from miedx_xl.form.read import MAX_BYTES, Sheets, open_book, read_meta, read_table, saved_time
from miedx_xl.normalize import cell_text, nfkc, parse_fiscal_year, parse_number

if TYPE_CHECKING:
    from concurrent.futures import Future

POOL_MIN_FILES = 200
"""From this many files on, files are read by a pool of processes (see `read_forms`)."""
MAX_WORKERS = 2
COPY_BLOCK = 1 << 20
"""Bytes read at a time while an input is copied into the archive and hashed."""
CHUNKS_PER_WORKER = 8
"""Files are sent to the workers in about this many chunks each (progress moves per chunk)."""
START_METHOD: str | None = None
"""multiprocessing start method; None: 'fork' on Linux, the platform's default elsewhere."""
PARENT_READS = True
"""With a pool, this process also reads chunks (from the back; the workers from the front)."""
IN_FLIGHT_PER_WORKER = 2
"""Chunks handed to the pool at a time per worker (one running, one waiting)."""

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
class LoadedForm:
    """One file as read: its findings so far and, for a known form, its meta and sheets."""

    path: Path
    findings: list[Finding] = field(default_factory=list)
    meta: FormMeta | None = None
    """Set when the form is one of ours (its sheets then go on to the check)."""
    sheets: dict[str, SheetData] = field(default_factory=dict)
    digest: str = ""
    """SHA-256 of the file (only when read for consolidation)."""
    saved: str = ""
    """When the file was saved (only when read for consolidation)."""


# --- one form ------------------------------------------------------------------------------


def load_form(path: Path, sheets: Sheets) -> LoadedForm:
    """Read a form's meta and its sheets; findings for what is missing or tampered."""
    out = LoadedForm(path)
    name = str(path)
    loaded = read_meta(sheets)
    if loaded is None:
        out.findings.append(
            finding("template-unknown", name, reason="様式の管理情報（非表示シート）がありません")
        )
        return out
    meta, stored = loaded
    fy = parse_fiscal_year(meta.fiscal_year).value
    if meta.template_version != TEMPLATE_VERSION or fy is None:
        out.findings.append(
            finding("template-unknown", name, reason=f"様式の版 {meta.template_version} は不明です")
        )
        return out
    out.meta = meta
    if meta.digest() != stored:
        out.findings.append(
            finding(
                "template-tampered",
                name,
                detail="非表示の管理情報が書き換えられています",
                expected="配布した様式",
            )
        )
    by_sheet = fields_of(meta)
    for sheet, fields in by_sheet.items():
        table, problems = read_table(sheets, name, sheet, fields)
        out.findings.extend(problems)
        if table is not None:
            out.sheets[sheet] = parse_sheet(fields, table.rows, table.columns, table.letters)
    for sheet, key_field in LOCKED_KEYS.items():
        data = out.sheets.get(sheet)
        if data is not None:
            out.findings.extend(
                locked_findings(name, sheet, by_sheet[sheet], data, meta, key_field)
            )
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
    if f.kind == "int":
        return (int(number), None) if float(number).is_integer() else (None, "cell-type")
    return number, ("cell-range" if number < 0 else None)


# --- locked cells ----------------------------------------------------------------------------


def locked_findings(
    file: str, sheet: str, fields: list[Field], data: SheetData, meta: FormMeta, key_field: str
) -> list[Finding]:
    """template-tampered for every locked cell that differs from the form as sent."""
    if key_field not in data.columns:
        return []
    out: list[Finding] = []
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
                out.append(tampered(file, sheet, cell, f"「{f.label}」", shown))
    for key in expected_rows:
        if key not in present:
            detail = f"{key} の行が削除されたか、番号が変えられています"
            out.append(tampered(file, sheet, None, detail, f"{key} の行"))
    return out


def tampered(file: str, sheet: str, cell: str | None, detail: str, expected: str) -> Finding:
    """A locked cell or row that differs from the form as sent."""
    return finding("template-tampered", file, sheet, cell, detail=detail, expected=expected)


# --- one file, many files ------------------------------------------------------------------


Task = tuple[Path, int, Path | None, bool]
"""(file, size limit in bytes, archive folder or None, lean)."""


def read_file(task: Task) -> LoadedForm:
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
            gone = LoadedForm(path, [finding("file-unreadable", str(path), reason=reason)])
            gone.saved = saved_time(path)
            return gone
    modified = None
    try:
        book = open_book(path, max_bytes)
        modified = book.modified
        if book.workbook is None:
            loaded = LoadedForm(path, list(book.findings))
        else:
            loaded = load_form(path, book.workbook)
            if lean:
                _make_lean(loaded)
    except Exception as exc:  # a bug or an unforeseen file must not stop the batch
        reason = f"読み込み失敗: {exc}"
        loaded = LoadedForm(path, [finding("file-unreadable", str(path), reason=reason)])
    if archive is not None:
        loaded.digest = digest
        loaded.saved = modified if modified is not None else saved_time(path)
    return loaded


def _make_lean(loaded: LoadedForm) -> None:
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


def read_forms(
    paths: Sequence[Path],
    max_bytes: int = MAX_BYTES,
    archive: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    min_pool: int | None = None,
    start_method: str | None = None,
    lean: bool = False,
) -> list[LoadedForm]:
    """Read every file: one result per path, in order. `progress(done, total)` moves as
    files are done.

    From `min_pool` files on (default `POOL_MIN_FILES`) a pool of worker processes reads
    them; this process reads too, taking chunks from the back while the workers take them
    from the front (so a slow worker start costs little). Without a working pool everything
    is read here, and so is whatever a worker that died left.

    With an archive, each file's digest and saved time are set and a copy is archived.
    `lean` leaves out what only the locked-cell check needs once it is done (the meta's
    locked content, the locked columns but the row key): less to send back from a worker.
    """
    tasks: list[Task] = [(path, max_bytes, archive, lean) for path in paths]
    workers = min(MAX_WORKERS, os.cpu_count() or 1)
    threshold = POOL_MIN_FILES if min_pool is None else min_pool
    size = max(1, math.ceil(len(tasks) / (workers * CHUNKS_PER_WORKER)))
    chunks = [tasks[i : i + size] for i in range(0, len(tasks), size)]
    parts: list[list[LoadedForm] | None] = [None] * len(chunks)
    tally = _Tally(len(tasks), progress)
    if workers > 1 and len(chunks) > 1 and len(tasks) >= threshold:
        _read_in_pool(chunks, parts, workers, start_method or START_METHOD, tally)
    for i, chunk in enumerate(chunks):
        if parts[i] is None:
            parts[i] = _read_chunk(chunk, tally)
    return [loaded for part in parts if part for loaded in part]


@dataclass
class _Tally:
    """Files done so far, passed on to a progress callback."""

    total: int
    progress: Callable[[int, int], None] | None
    done: int = 0

    def add(self, n: int) -> None:
        self.done += n
        if self.progress and n:
            self.progress(self.done, self.total)


def read_chunk(chunk: list[Task]) -> list[LoadedForm]:
    """Read a few files (one job of a worker process)."""
    return [read_file(task) for task in chunk]


def _read_chunk(chunk: list[Task], tally: _Tally) -> list[LoadedForm]:
    out = []
    for task in chunk:
        out.append(read_file(task))
        tally.add(1)
    return out


def _read_in_pool(
    chunks: list[list[Task]],
    parts: list[list[LoadedForm] | None],
    workers: int,
    start_method: str | None,
    tally: _Tally,
) -> None:
    """Fill `parts` with what a pool of processes (and this one) read; a part stays None
    where the pool failed, to be read here.

    Chunks go to the workers from the front, a few at a time, and this process reads from
    the back. Nothing handed to the pool is ever cancelled: on Python 3.11 a worker dying
    while a cancelled job waits crashes the pool's manager thread (CPython gh-107219), and
    the process then hangs at exit waiting for the other worker.
    """
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    method = start_method or ("fork" if sys.platform.startswith("linux") else None)
    try:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))
    except (OSError, ValueError):
        return  # no processes here: everything is read in this process
    pending: dict[Future[list[LoadedForm]], int] = {}
    front, back = 0, len(chunks) - 1  # the next chunk for the pool, and for this process
    in_flight = IN_FLIGHT_PER_WORKER * workers
    broken = False
    try:
        while True:
            while not broken and front <= back and len(pending) < in_flight:
                try:
                    pending[pool.submit(read_chunk, chunks[front])] = front
                except (BrokenProcessPool, OSError, RuntimeError):
                    broken = True  # cannot start a worker: the rest is read here
                    break
                front += 1
            for future in [f for f in pending if f.done()]:
                i = pending.pop(future)
                try:
                    parts[i] = future.result()
                except BrokenProcessPool:
                    broken = True  # a worker died: its chunks are read here
                    continue
                tally.add(len(parts[i] or []))
            if broken and not pending:
                break
            if PARENT_READS and front <= back:
                parts[back] = _read_chunk(chunks[back], tally)
                back -= 1
            elif pending:
                wait(pending, return_when=FIRST_COMPLETED)
            elif front > back:
                break
    finally:
        if broken:
            _stop_workers(pool)
        # Every part is in (or will be read here): do not wait for workers still starting.
        pool.shutdown(wait=False, cancel_futures=False)


def _stop_workers(pool: Any) -> None:
    """End the worker processes a broken pool may have left running."""
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        if process.is_alive():
            process.terminate()


# --- the archive -----------------------------------------------------------------------------


def archived_path(archive: Path, digest: str, suffix: str) -> Path:
    """Where the archive keeps the content with this SHA-256."""
    return archive / "files" / digest[:2] / f"{digest}{suffix.lower()}"


def store_input(archive: Path, source: Path) -> str:
    """Copy an input into the archive while hashing it; return its SHA-256.

    The copy is stored under the hash of exactly the bytes copied, so a file saved again
    meanwhile cannot end up under another content's name. Safe when two processes store the
    same content at once (each writes its own temporary file; the rename is atomic). Raises
    InputUnreadable when the input cannot be read, another OSError when the archive cannot
    be written.
    """
    folder = archive / "files"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        src = source.open("rb")
    except OSError as exc:
        raise InputUnreadable(exc.errno, exc.strerror or str(exc)) from exc
    with src:
        fd, tmp = tempfile.mkstemp(prefix=".in-", suffix=".tmp", dir=folder)
        try:
            sha = hashlib.sha256()
            with os.fdopen(fd, "wb") as dst:
                while True:
                    try:
                        block = src.read(COPY_BLOCK)
                    except OSError as exc:
                        raise InputUnreadable(exc.errno, exc.strerror or str(exc)) from exc
                    if not block:
                        break
                    sha.update(block)
                    dst.write(block)
            digest = sha.hexdigest()
            target = archived_path(archive, digest, source.suffix)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.replace(tmp, target)
                except PermissionError:
                    # Windows refuses to replace a file another process holds open (a
                    # virus scanner, another run): the same content is there already.
                    if not target.exists():
                        raise
            return digest
        finally:
            Path(tmp).unlink(missing_ok=True)
