"""Reading in a pool of processes gives exactly what reading in one process gives."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from miedx_xl.consolidation import Consolidation, consolidate
from miedx_xl.form import pool as readpool
from miedx_xl.form import read as form_read
from miedx_xl.form.check import check_files
from miedx_xl.form.pool import read_forms
from miedx_xl.form.read import FormResult
from miedx_xl.plan.model import Plan
from tests.conftest import FIXED_TIME, R4

SMART, BIZ, STRATEGY = "スマート改革推進課", "デジタル事業推進課", "デジタル戦略企画課"
ONE_PROCESS = 10**9
"""A pool threshold no test reaches."""

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork start method")


@pytest.fixture
def inbox(tmp_path: Path, filled: Callable[..., Path], blank_forms: dict[str, Path]) -> list[Path]:
    """A few returned files: good, with findings, tampered, a copy, and broken ones."""
    box = tmp_path / "返送"
    box.mkdir()
    smart = filled(SMART, statuses={2: {"assessment_R4": "まあまあ"}}, name="smart.xlsx")
    shutil.move(smart, box / "R4_スマート.xlsx")
    shutil.copyfile(box / "R4_スマート.xlsx", box / "R4_スマート（写し）.xlsx")
    biz = filled(
        BIZ,
        rpa=[
            {"division": "道路管理課", "task": "橋梁点検", "hours_before": 10, "hours_after": 12},
            {"division": "道路管理課", "task": "台帳整理", "hours_before": 30, "hours_after": 5},
        ],
        indicators={"rpa_hours_before": {"value": "約100"}},
        name="biz.xlsx",
    )
    wb = load_workbook(biz)
    wb["取組状況"]["E4"] = "書き換えた取組内容"  # a locked cell
    wb.save(biz)
    shutil.move(biz, box / "R4_事業.xlsx")
    shutil.copyfile(blank_forms[STRATEGY], box / "R4_戦略.xlsx")
    (box / "~$R4_事業.xlsx").write_bytes(b"\x00lock")
    (box / "メモ.xlsx").write_text("これは表ではありません", encoding="utf-8")
    (box / "空.xlsx").write_bytes(b"")
    good = (box / "R4_事業.xlsx").read_bytes()
    (box / "壊れた.xlsx").write_bytes(good[: len(good) // 2])
    return sorted(p for p in box.iterdir() if not p.name.startswith("~$"))


@pytest.fixture
def two_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pool of two workers whatever the machine, doing all the reading."""
    monkeypatch.setattr(readpool, "MAX_WORKERS", 2)
    monkeypatch.setattr(readpool.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(readpool, "PARENT_READS", False)


@pytest.fixture
def read_here(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files this process read itself (not a worker)."""
    seen: list[Path] = []
    real = readpool._read_chunk

    def spy(chunk: list[form_read.Task], tally: Any) -> list[FormResult]:
        seen.extend(task[0] for task in chunk)
        return real(chunk, tally)

    monkeypatch.setattr(readpool, "_read_chunk", spy)
    return seen


def test_spawned_pool_reads_exactly_as_one_process(
    inbox: list[Path], tmp_path: Path, two_workers: None, read_here: list[Path]
) -> None:
    alone = read_forms(inbox, archive=tmp_path / "a1", min_pool=ONE_PROCESS)
    assert read_here == inbox
    read_here.clear()
    pooled = read_forms(inbox, archive=tmp_path / "a2", min_pool=1, start_method="spawn")
    assert read_here == [], "the workers read every file"
    assert pooled == alone
    codes = {f.code for item in alone for f in item.report}
    assert {"file-unreadable", "template-tampered"} <= codes
    assert all(len(item.digest) == 64 and item.saved for item in pooled)


def test_meanwhile_runs_once_while_the_workers_read(
    inbox: list[Path], tmp_path: Path, two_workers: None
) -> None:
    calls: list[int] = []
    alone = read_forms(inbox, min_pool=ONE_PROCESS, meanwhile=lambda: calls.append(1))
    assert calls == [], "without a pool there is no meanwhile"
    pooled = read_forms(
        inbox, min_pool=1, start_method="fork", meanwhile=lambda: calls.append(len(calls))
    )
    assert calls == [0] and pooled == alone


@linux_only
def test_forked_workers_read_everything_by_default(
    inbox: list[Path], monkeypatch: pytest.MonkeyPatch, read_here: list[Path]
) -> None:
    """Forked workers start at once: this process leaves the reading to them."""
    monkeypatch.setattr(readpool, "MAX_WORKERS", 2)
    monkeypatch.setattr(readpool.os, "cpu_count", lambda: 2)
    assert readpool.PARENT_READS is None
    pooled = read_forms(inbox, min_pool=1, start_method="fork")
    assert read_here == [] and [r.path for r in pooled] == inbox


def test_check_files_in_a_pool_matches_one_process(
    inbox: list[Path], two_workers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = check_files(inbox)
    monkeypatch.setattr(readpool, "POOL_MIN_FILES", 1)
    monkeypatch.setattr(readpool, "START_METHOD", "spawn")
    pooled = check_files(inbox)
    assert [r.report.findings for r in pooled] == [r.report.findings for r in alone]
    assert [r.meta for r in pooled] == [r.meta for r in alone]
    assert [r.letters for r in pooled] == [r.letters for r in alone]
    for ours, theirs in zip(pooled, alone, strict=True):
        assert ours.sheets.keys() == theirs.sheets.keys()
        for sheet in ours.sheets:
            pd.testing.assert_frame_equal(ours.frame(sheet), theirs.frame(sheet))
    flat = [(Path(f.file).name, f.code, f.cell) for r in alone for f in r.report]
    assert ("R4_事業.xlsx", "template-tampered", "E4") in flat
    assert ("R4_スマート.xlsx", "cell-choice", "K5") in flat


def ledger(archive: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(archive / "ledger.sqlite") as db:
        return db.execute("SELECT * FROM files ORDER BY rowid").fetchall()


def same_consolidation(ours: Consolidation, theirs: Consolidation) -> None:
    assert ours.report.findings == theirs.report.findings
    assert ours.submissions == theirs.submissions
    for name in ("measures", "indicators", "rpa_tasks"):
        pd.testing.assert_frame_equal(getattr(ours.plan, name), getattr(theirs.plan, name))
    pd.testing.assert_frame_equal(ours.rpa, theirs.rpa)


@pytest.mark.parametrize("method", ["spawn", pytest.param("fork", marks=linux_only)])
def test_consolidate_in_a_pool_matches_one_process(
    inbox: list[Path],
    plan: Plan,
    tmp_path: Path,
    two_workers: None,
    read_here: list[Path],
    monkeypatch: pytest.MonkeyPatch,
    method: str,
) -> None:
    folder = inbox[0].parent
    alone = consolidate(folder, R4, plan, archive=tmp_path / "a1", now=FIXED_TIME)
    read_here.clear()
    monkeypatch.setattr(readpool, "POOL_MIN_FILES", 1)
    monkeypatch.setattr(readpool, "START_METHOD", method)
    progress: list[tuple[int, int]] = []
    pooled = consolidate(
        folder,
        R4,
        plan,
        archive=tmp_path / "a2",
        now=FIXED_TIME,
        progress=lambda done, total: progress.append((done, total)),
    )
    assert read_here == []
    same_consolidation(pooled, alone)
    assert ledger(tmp_path / "a2") == ledger(tmp_path / "a1")
    assert progress[-1] == (len(inbox) + 1, len(inbox) + 1)  # the lock file counts as done
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    rpa = pooled.rpa[["task", "hours_before", "hours_after"]].values.tolist()
    assert rpa == [["橋梁点検", 10.0, 12.0], ["台帳整理", 30.0, 5.0]]


def test_same_content_twice_is_archived_once(
    inbox: list[Path], tmp_path: Path, two_workers: None
) -> None:
    many = inbox * 4  # the same files again and again, read by two workers at once
    read_forms(many, archive=tmp_path / "archive", min_pool=1, start_method="spawn")
    stored = sorted((tmp_path / "archive").rglob("*"))
    files = [p for p in stored if p.is_file()]
    assert len(files) == len(inbox) - 1  # the copy of スマート has the same content
    assert not [p for p in files if p.name.endswith(".tmp")]
    for p in files:  # each copy is named by the hash of its own bytes
        assert hashlib.sha256(p.read_bytes()).hexdigest() == p.stem


def test_a_file_that_breaks_the_reader_becomes_a_finding(
    inbox: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = form_read.load_form

    def broken(path: Path, sheets: Any) -> FormResult:
        if path.name == "R4_戦略.xlsx":
            raise RuntimeError("想定外")
        return real(path, sheets)

    monkeypatch.setattr(form_read, "load_form", broken)
    by_name = {r.path.name: r.report for r in check_files(inbox)}
    assert by_name["R4_戦略.xlsx"].flatten() == [["file-unreadable", None, None]]
    assert "想定外" in by_name["R4_戦略.xlsx"].findings[0].message_ja
    assert by_name["R4_事業.xlsx"].codes()["template-tampered"] == 1  # the others as usual


def test_a_file_that_cannot_be_opened_is_a_finding_and_the_run_goes_on(
    inbox: list[Path], tmp_path: Path, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Path.open

    def locked(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == "R4_戦略.xlsx":
            raise PermissionError(13, "アクセスが拒否されました")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", locked)  # root reads any file: simulate the refusal
    folder = inbox[0].parent
    archive = tmp_path / "archive"
    result = consolidate(folder, R4, plan, archive=archive, now=FIXED_TIME)
    found = [f for f in result.report if f.file.endswith("R4_戦略.xlsx")]
    assert [(f.code, f.sheet, f.cell) for f in found] == [("file-unreadable", None, None)]
    assert "アクセスが拒否されました" in found[0].message_ja
    states: dict[str, str] = {}
    for sub in result.submissions:  # a division's own row first, then its duplicates
        states.setdefault(sub.division_key, sub.state)
    assert states[SMART] == "要修正" and states[BIZ] == "要修正"  # the others as usual
    with sqlite3.connect(archive / "ledger.sqlite") as db:
        row = db.execute(
            "SELECT digest, archived_as, state FROM files WHERE file = ?", ("R4_戦略.xlsx",)
        ).fetchone()
    assert row == ("", None, "対象外")
    assert (folder / "R4_戦略.xlsx").exists()  # never touched


@linux_only
def test_a_worker_that_dies_leaves_its_files_to_this_process(
    inbox: list[Path],
    tmp_path: Path,
    two_workers: None,
    read_here: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alone = read_forms(inbox, archive=tmp_path / "a1", min_pool=ONE_PROCESS)
    read_here.clear()

    parent, real = os.getpid(), readpool.read_file

    def die_in_a_worker(task: form_read.Task) -> FormResult:
        if os.getpid() != parent:
            os._exit(3)
        return real(task)

    monkeypatch.setattr(readpool, "read_file", die_in_a_worker)  # forked workers inherit it
    pooled = read_forms(inbox, archive=tmp_path / "a2", min_pool=1, start_method="fork")
    assert pooled == alone
    assert sorted(read_here) == inbox


DIE_IN_A_WORKER = """
import os, sys
from pathlib import Path
from miedx_xl.form import pool as readpool
parent, real = os.getpid(), readpool.read_file
def read_file(task):
    if os.getpid() != parent and task[0].name == "f0001.xlsx":
        os._exit(3)  # one worker dies early, while this process reads chunks of its own
    return real(task)
readpool.read_file = read_file
readpool.PARENT_READS = True
files = sorted(Path(sys.argv[1]).iterdir())
got = readpool.read_forms(files, min_pool=1, start_method="fork")
print(len(got), [r.path for r in got] == files, sum(r.meta is None for r in got))
"""


@linux_only
def test_a_dead_worker_while_this_process_reads_too_does_not_hang_the_exit(
    inbox: list[Path], tmp_path: Path
) -> None:
    # The pool must never hold a cancelled job when a worker dies: on Python 3.11 that
    # crashes its manager thread and the exit waits for the other worker for ever
    # (CPython gh-107219).
    many = tmp_path / "many"
    many.mkdir()
    for i in range(60):
        shutil.copyfile(inbox[0].parent / "R4_スマート.xlsx", many / f"f{i:04d}.xlsx")
    done = subprocess.run(
        [sys.executable, "-c", DIE_IN_A_WORKER, str(many)],
        capture_output=True,
        text=True,
        timeout=30,  # a few seconds when it works; the old hang never ended
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["60", "True", "0"]  # all read, in order, none lost


def test_worker_module_imports_no_pandas() -> None:
    code = (
        "import sys, miedx_xl.form.pool; "
        "print(sorted(m for m in ('pandas', 'pandera', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
