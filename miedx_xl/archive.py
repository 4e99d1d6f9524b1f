"""The archive: every input kept by its SHA-256, and the SQLite ledger of runs and files.

Nothing here reads a form; `consolidation` decides what a run's rows say. Import-light (no
pandas): the read pool's workers store their inputs here.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
import zlib
from collections.abc import Sequence
from contextlib import closing
from dataclasses import astuple, dataclass
from pathlib import Path

from miedx_xl.errors import InputUnreadable

COPY_BLOCK = 1 << 20
"""Bytes read at a time while an input is copied into the archive and hashed."""
LEDGER_NAME = "ledger.sqlite"


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


# --- the ledger ------------------------------------------------------------------------------

LEDGER_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, run_at TEXT, fy TEXT, folder TEXT, files INTEGER,
    submitted INTEGER, missing INTEGER, errors INTEGER, warnings INTEGER,
    outcome TEXT, master TEXT
);
CREATE TABLE IF NOT EXISTS snapshots (
    run_id INTEGER PRIMARY KEY REFERENCES runs(id), format TEXT, body BLOB
);
CREATE TABLE IF NOT EXISTS files (
    run_id INTEGER REFERENCES runs(id), file TEXT, digest TEXT, size INTEGER,
    division TEXT, fy TEXT, saved TEXT, state TEXT, rows INTEGER,
    errors INTEGER, warnings INTEGER, infos INTEGER, archived_as TEXT
);
"""


@dataclass(frozen=True)
class RunRow:
    """One run of the ledger (the `runs` table)."""

    run_at: str
    fy: str
    folder: str
    files: int
    submitted: int
    missing: int
    errors: int
    warnings: int


@dataclass(frozen=True)
class FileRow:
    """One input of a run (the `files` table, without the run id)."""

    file: str
    digest: str
    size: int | None
    division: str | None
    fy: str | None
    saved: str
    state: str
    rows: int
    errors: int
    warnings: int
    infos: int
    archived_as: str | None


def archived_as(archive: Path, digest: str, suffix: str) -> str | None:
    """An input's archive copy, relative to the archive (None: it could not be read)."""
    if not digest:
        return None
    return str(archived_path(archive, digest, suffix).relative_to(archive))


OUTCOME_CONSOLIDATED = "consolidated"
"""A run whose forms were read and merged; no master written (yet)."""
OUTCOME_COMPLETED = "completed"
OUTCOME_FAILED = "failed"


def _connect(archive: Path) -> sqlite3.Connection:
    """The ledger, created or brought up to date (columns added by later versions)."""
    archive.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(archive / LEDGER_NAME, timeout=30)
    db.executescript(LEDGER_SCHEMA)
    have = {row[1] for row in db.execute("PRAGMA table_info(runs)")}
    for column in ("outcome", "master"):
        if column not in have:
            db.execute(f"ALTER TABLE runs ADD COLUMN {column} TEXT")
    return db


SNAPSHOT_FORMAT = "miedx-consolidation-1+zlib-json"
"""How a run's consolidated rows are stored (`snapshots.body`): zlib-compressed JSON
(level 1: a tenth of level 6's time on 7,000 measures, the text still about 25 times smaller)."""


def append_run(
    archive: Path, run: RunRow, files: Sequence[FileRow], snapshot: bytes | None = None
) -> int:
    """Append a run (outcome: consolidated), its files and its consolidated rows
    (`snapshot`, JSON text) in one transaction; its id."""
    with closing(_connect(archive)) as db, db:
        cur = db.execute(
            "INSERT INTO runs (run_at, fy, folder, files, submitted, missing, errors, warnings,"
            " outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*astuple(run), OUTCOME_CONSOLIDATED),
        )
        run_id = int(cur.lastrowid or 0)
        db.executemany(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(run_id, *astuple(f)) for f in files],
        )
        if snapshot is not None:
            db.execute(
                "INSERT INTO snapshots VALUES (?, ?, ?)",
                (run_id, SNAPSHOT_FORMAT, zlib.compress(snapshot, 1)),
            )
    return run_id


def read_snapshot(archive: Path, fy: str, run_id: int | None = None) -> tuple[int, bytes] | None:
    """The consolidated rows of a fiscal year's run: `run_id`'s, else those of the latest
    run whose master was written (else the latest run of the year); None when the ledger
    holds none."""
    if not (archive / LEDGER_NAME).is_file():
        return None
    with closing(_connect(archive)) as db:
        query = (
            "SELECT runs.id, snapshots.format, snapshots.body FROM runs"
            " JOIN snapshots ON snapshots.run_id = runs.id WHERE runs.fy = ?"
        )
        params: tuple[object, ...] = (fy,)
        if run_id is not None:
            query += " AND runs.id = ?"
            params = (fy, run_id)
        query += " ORDER BY (runs.outcome = ?) DESC, runs.id DESC LIMIT 1"
        row = db.execute(query, (*params, OUTCOME_COMPLETED)).fetchone()
    if row is None:
        return None
    found_id, fmt, body = row
    if fmt != SNAPSHOT_FORMAT:
        return None
    return int(found_id), zlib.decompress(body)


def run_time(archive: Path, run_id: int) -> str | None:
    """When a run of the ledger happened (ISO 8601), or None for an unknown run."""
    with closing(_connect(archive)) as db:
        row = db.execute("SELECT run_at FROM runs WHERE id = ?", (run_id,)).fetchone()
    return None if row is None else str(row[0])


def set_outcome(archive: Path, run_id: int, outcome: str, master: Path | None = None) -> None:
    """Record how a run ended: its master written (completed) or not (failed)."""
    with closing(_connect(archive)) as db, db:
        db.execute(
            "UPDATE runs SET outcome = ?, master = ? WHERE id = ?",
            (outcome, str(master) if master else None, run_id),
        )
