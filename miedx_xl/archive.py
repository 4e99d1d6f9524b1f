"""The archive: every input kept by its SHA-256, and the SQLite ledger of runs and files.

Nothing here reads a form; `consolidation` decides what a run's rows say. Import-light (no
pandas): the read pool's workers store their inputs here.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
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
    submitted INTEGER, missing INTEGER, errors INTEGER, warnings INTEGER
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


def append_run(archive: Path, run: RunRow, files: Sequence[FileRow]) -> Path:
    """Append a run and its files to the archive's ledger in one transaction."""
    archive.mkdir(parents=True, exist_ok=True)
    path = archive / LEDGER_NAME
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript(LEDGER_SCHEMA)
        cur = db.execute(
            "INSERT INTO runs (run_at, fy, folder, files, submitted, missing, errors, warnings)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            astuple(run),
        )
        db.executemany(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(cur.lastrowid, *astuple(f)) for f in files],
        )
    return path
