"""Submissions: the archive copy and a ledger row, written together by one writer.

The archive and ledger are the ones `consolidate` writes (`<root>/archive/files/...` by
SHA-256, `<root>/archive/ledger.sqlite`): the server adds a `submissions` table beside the
`runs` and `files` of each 取りまとめ and sets the database to WAL mode, so the pages read
while a submission is written. A newer submission of a division supersedes the older one,
which stays archived and listed.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from miedx_xl.server.library import (
    STATE_DUPLICATE,
    STATE_MISSING,
    STATE_NEEDS_FIX,
    STATE_SUBMITTED,
    FiscalYear,
    FormResult,
    Plan,
    archived_path,
    close_year,
    store_input,
)

ARCHIVE = "archive"
LEDGER = "ledger.sqlite"
INBOX = "inbox"
MASTERS = "masters"

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY, received_at TEXT, fy TEXT, division_key TEXT, division TEXT,
    digest TEXT, size INTEGER, name TEXT, errors INTEGER, warnings INTEGER, infos INTEGER,
    state TEXT, superseded_by INTEGER REFERENCES submissions(id), archived_as TEXT
);
CREATE INDEX IF NOT EXISTS submissions_division ON submissions (fy, division_key);
"""


@dataclass(frozen=True)
class Submission:
    """One stored submission."""

    id: int
    received_at: str
    fy: str
    division_key: str
    division: str
    digest: str
    size: int
    name: str
    errors: int
    warnings: int
    state: str
    superseded_by: int | None

    def as_dict(self) -> dict[str, Any]:
        """The submission as JSON for the pages."""
        return {
            "id": self.id,
            "received_at": self.received_at,
            "fy": self.fy,
            "division": self.division,
            "digest": self.digest,
            "size": self.size,
            "name": self.name,
            "errors": self.errors,
            "warnings": self.warnings,
            "state": self.state,
            "current": self.superseded_by is None,
        }


class Store:
    """The archive and ledger under a server root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.archive = root / ARCHIVE
        self.archive.mkdir(parents=True, exist_ok=True)
        with self.connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    @property
    def ledger(self) -> Path:
        """The SQLite ledger shared with 取りまとめ."""
        return self.archive / LEDGER

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in a transaction (committed on success)."""
        with closing(sqlite3.connect(self.ledger, timeout=30)) as db, db:
            db.execute("PRAGMA busy_timeout=30000")
            yield db

    def submit(self, upload: Path, name: str, result: FormResult, fy: str) -> Submission:
        """Archive an uploaded form and record it; older ones of the division are superseded."""
        assert result.meta is not None
        digest = store_input(self.archive, upload)
        stored = archived_path(self.archive, digest, ".xlsx")
        report = result.report
        state = STATE_SUBMITTED if report.valid else STATE_NEEDS_FIX
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self.connect() as db:
            cur = db.execute(
                "INSERT INTO submissions (received_at, fy, division_key, division, digest, size,"
                " name, errors, warnings, infos, state, archived_as)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    now,
                    fy,
                    result.meta.division_key,
                    result.meta.division,
                    digest,
                    stored.stat().st_size,
                    name[:200],
                    report.count("error"),
                    report.count("warning"),
                    report.count("info"),
                    state,
                    str(stored.relative_to(self.archive)),
                ),
            )
            new_id = int(cur.lastrowid or 0)
            db.execute(
                "UPDATE submissions SET superseded_by = ? WHERE fy = ? AND division_key = ?"
                " AND id != ? AND superseded_by IS NULL",
                (new_id, fy, result.meta.division_key, new_id),
            )
        found = self.submissions(fy, submission_id=new_id)
        return found[0]

    def submissions(
        self, fy: str, division_key: str | None = None, submission_id: int | None = None
    ) -> list[Submission]:
        """Submissions of a fiscal year, newest first (of one division, or one by id)."""
        sql = (
            "SELECT id, received_at, fy, division_key, division, digest, size, name, errors,"
            " warnings, state, superseded_by FROM submissions WHERE fy = ?"
        )
        params: list[Any] = [fy]
        if division_key is not None:
            sql += " AND division_key = ?"
            params.append(division_key)
        if submission_id is not None:
            sql += " AND id = ?"
            params.append(submission_id)
        with self.connect() as db:
            rows = db.execute(sql + " ORDER BY id DESC", params).fetchall()
        return [Submission(*row) for row in rows]

    def status(self, plan: Plan, fy: FiscalYear) -> list[dict[str, Any]]:
        """提出状況: one row per division of the plan, with its current submission."""
        by_division: dict[str, list[Submission]] = {}
        for s in self.submissions(str(fy)):
            by_division.setdefault(s.division_key, []).append(s)
        rows = []
        for key in plan.divisions():
            items = by_division.get(key, [])
            current = next((s for s in items if s.superseded_by is None), None)
            row: dict[str, Any] = {
                "division": plan.division_name(key, fy),
                "state": current.state if current else STATE_MISSING,
                "count": len(items),
                "superseded": len(items) - (1 if current else 0),
                "duplicate": STATE_DUPLICATE if len(items) > 1 else "",
            }
            if current:
                row.update(
                    received_at=current.received_at,
                    name=current.name,
                    errors=current.errors,
                    warnings=current.warnings,
                    digest=current.digest,
                )
            rows.append(row)
        return rows

    def consolidate(self, plan: Plan, fy: FiscalYear) -> tuple[str, Path]:
        """取りまとめ of the current submissions: the summary and the master workbook."""
        inbox = self.root / INBOX / str(fy)
        if inbox.exists():
            shutil.rmtree(inbox)
        inbox.mkdir(parents=True)
        for s in self.submissions(str(fy)):
            if s.superseded_by is None:
                source = archived_path(self.archive, s.digest, ".xlsx")
                shutil.copyfile(source, inbox / f"{s.digest}.xlsx")
        out = self.root / MASTERS / f"取りまとめ結果_{fy}.xlsx"
        result, master = close_year(inbox, fy, out, archive=self.archive, plan=plan)
        summary = f"{result.summary_ja()}\n{result.report.counts_ja()}"
        return summary, master

    def master(self, fy: FiscalYear) -> Path | None:
        """The master workbook of the last 取りまとめ, when there is one."""
        path = self.root / MASTERS / f"取りまとめ結果_{fy}.xlsx"
        return path if path.is_file() else None


STATES = (STATE_SUBMITTED, STATE_NEEDS_FIX, STATE_MISSING, STATE_DUPLICATE)
