"""取りまとめ: a folder with every kind of bad input; nothing lost, everything reported."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook

from miedx_xl.consolidation import consolidate, saved_time
from miedx_xl.plan.model import Plan
from tests.conftest import FIXED_TIME, R4

SMART, BIZ, STRATEGY = "スマート改革推進課", "デジタル事業推進課", "デジタル戦略企画課"


def set_saved_time(path: Path, iso: str) -> None:
    """Rewrite a workbook's own saved time (docProps/core.xml dcterms:modified)."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = re.sub(
                    r"(<dcterms:modified[^>]*>)[^<]*(<)", rf"\g<1>{iso}\g<2>", data.decode()
                )
                data = text.encode()
            dst.writestr(info, data)
    tmp.replace(path)


def digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()
    }


@pytest.fixture
def inbox(tmp_path: Path, filled: Callable[..., Path]) -> Path:
    """A folder of returned R4 files, with every kind of trouble the secretariat meets."""
    box = tmp_path / "返送"
    box.mkdir()
    newer = filled(SMART, statuses={1: {"status_R4": "新しい版の取組状況"}}, name="smart_new.xlsx")
    older = filled(SMART, statuses={1: {"status_R4": "古い版の取組状況"}}, name="smart_old.xlsx")
    set_saved_time(newer, "2023-04-20T10:00:00Z")
    set_saved_time(older, "2023-04-18T10:00:00Z")
    newer.rename(box / "R4_デジタル改革推進課.xlsx")
    older.rename(box / "R4_デジタル改革推進課（旧）.xlsx")
    biz = filled(BIZ, statuses={17: {"status_R4": "=SUM(A1) と書かれた報告"}}, name="biz.xlsx")
    wb = load_workbook(biz)
    wb["取組状況"]["A4"] = 1  # a row of another division's measure (NO 1)
    wb.save(biz)
    biz.rename(box / "R4_デジタル事業推進課.xlsx")
    (box / "~$R4_デジタル事業推進課.xlsx").write_bytes(b"\x00lock")
    (box / "メモ.xlsx").write_text("これは表ではありません", encoding="utf-8")
    good = (box / "R4_デジタル改革推進課.xlsx").read_bytes()
    (box / "壊れた.xlsx").write_bytes(good[: len(good) // 2])
    (box / "連絡.txt").write_text("提出します", encoding="utf-8")
    return box


@pytest.fixture
def run(inbox: Path, plan: Plan, tmp_path: Path):  # type: ignore[no-untyped-def]
    before = digests(inbox)
    result = consolidate(inbox, R4, plan, archive=tmp_path / "archive", now=FIXED_TIME)
    assert digests(inbox) == before, "inputs must stay unchanged"
    return result


def test_findings_for_each_bad_input(run, inbox: Path) -> None:  # type: ignore[no-untyped-def]
    rows = {(Path(f.file).name, f.code, f.sheet, f.cell) for f in run.report}
    assert ("~$R4_デジタル事業推進課.xlsx", "lock-file-skipped", None, None) in rows
    assert ("メモ.xlsx", "file-unreadable", None, None) in rows
    assert ("壊れた.xlsx", "file-unreadable", None, None) in rows
    assert ("連絡.txt", "file-unreadable", None, None) in rows
    assert ("R4_デジタル改革推進課（旧）.xlsx", "duplicate-submission", None, None) in rows
    assert ("R4_デジタル事業推進課.xlsx", "measure-foreign", "取組状況", "A4") in rows
    assert ("", "submission-missing", None, None) in rows
    assert ("R4_デジタル事業推進課.xlsx", "formula-as-text", "取組状況", "H5") in rows
    missing = next(f for f in run.report if f.code == "submission-missing")
    assert "デジタル戦略企画課" in missing.message_ja
    dup = next(f for f in run.report if f.code == "duplicate-submission")
    assert "R4_デジタル改革推進課.xlsx" in dup.message_ja


def test_submission_states(run) -> None:  # type: ignore[no-untyped-def]
    states = [(s.division, s.state, s.file) for s in run.submissions]
    assert states == [
        ("デジタル改革推進課", "提出済", "R4_デジタル改革推進課.xlsx"),
        ("デジタル事業推進課", "要修正", "R4_デジタル事業推進課.xlsx"),
        ("デジタル戦略企画課", "未提出", ""),
        ("デジタル改革推進課", "重複", "R4_デジタル改革推進課（旧）.xlsx"),
    ]
    smart = run.submissions[0]
    assert smart.received.startswith("2023-04-20T10:00:00")
    assert smart.errors == 0 and smart.rows > 0 and len(smart.digest) == 64


def test_merge_uses_newer_form_valid_rows_and_keeps_missing(run, plan: Plan) -> None:  # type: ignore[no-untyped-def]
    m = run.plan.numbered().set_index("no")
    assert m.loc[1, "status_R4"] == "新しい版の取組状況"
    # Formula-like text is kept as text, exactly as typed.
    assert m.loc[17, "status_R4"] == "=SUM(A1) と書かれた報告"
    # The foreign row was not merged: NO 16 (its original) got nothing for R4.
    assert m.loc[16, "status_R4"] == ""
    # The division that sent nothing keeps last year's content.
    assert m.loc[34, "status_R4"] == ""
    assert m.loc[34, "status_R3"] == plan.numbered().set_index("no").loc[34, "status_R3"]
    # Re-listed NO 7 follows NO 2's new text (it had none for R4).
    assert m.loc[7, "status_R4"] == m.loc[2, "status_R4"] != ""


def test_archive_keeps_every_input_by_digest(run, inbox: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    archive = tmp_path / "archive"
    for name, digest in digests(inbox).items():
        stored = archive / "files" / digest[:2] / f"{digest}{Path(name).suffix}"
        if name.startswith("~$"):
            assert not stored.exists()
        else:
            assert hashlib.sha256(stored.read_bytes()).hexdigest() == digest, name


def test_ledger_records_run_and_files(run, inbox: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with sqlite3.connect(tmp_path / "archive" / "ledger.sqlite") as db:
        runs = db.execute("SELECT fy, files, submitted, missing FROM runs").fetchall()
        files = db.execute(
            "SELECT file, digest, division, fy, state, rows, errors FROM files ORDER BY file"
        ).fetchall()
    assert runs == [("R4", 6, 2, 1)]
    by_name = {f[0]: f for f in files}
    assert set(by_name) == {p for p in digests(inbox) if not p.startswith("~$")}
    assert by_name["R4_デジタル改革推進課.xlsx"][2:5] == ("デジタル改革推進課", "R4", "提出済")
    assert by_name["R4_デジタル改革推進課（旧）.xlsx"][4] == "重複"
    assert by_name["メモ.xlsx"][4] == "対象外"
    assert by_name["R4_デジタル事業推進課.xlsx"][6] >= 1


def test_second_run_same_content_appends_ledger(inbox: Path, plan: Plan, tmp_path: Path) -> None:
    a = consolidate(inbox, R4, plan, archive=tmp_path / "arc", now=FIXED_TIME)
    b = consolidate(inbox, R4, plan, archive=tmp_path / "arc", now=FIXED_TIME)
    assert a.plan.measures.equals(b.plan.measures)
    assert a.report.flatten(["code", "file", "cell"]) == b.report.flatten(["code", "file", "cell"])
    assert [s.__dict__ for s in a.submissions] == [s.__dict__ for s in b.submissions]
    with sqlite3.connect(tmp_path / "arc" / "ledger.sqlite") as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone() == (2,)


def test_other_year_form_is_not_merged(
    plan: Plan, tmp_path: Path, filled: Callable[..., Path]
) -> None:
    box = tmp_path / "box"
    box.mkdir()
    filled(STRATEGY, name="x.xlsx").rename(box / "x.xlsx")
    result = consolidate(box, R4.next(), plan, archive=tmp_path / "a")
    assert [f.code for f in result.report if f.file.endswith("x.xlsx")] == ["template-unknown"]
    unknown = next(f for f in result.report if f.code == "template-unknown")
    assert "R4 の様式です（取りまとめ対象は R5）" in unknown.message_ja


def test_saved_time_falls_back_to_file_time(tmp_path: Path) -> None:
    p = tmp_path / "x.bin"
    p.write_bytes(b"no zip")
    assert saved_time(p)[:4].isdigit()


def test_missing_folder_is_a_usage_error(plan: Plan, tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        consolidate(tmp_path / "nowhere", R4, plan)


def test_master_of_the_troubled_run(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The master shows each division's state, every finding, and keeps formula text as text."""
    from miedx_xl.master.write import write_master

    path = write_master(run, tmp_path / "進捗管理表_R4.xlsx")
    wb = load_workbook(path)
    status = [[c.value for c in row] for row in wb["提出状況"].iter_rows(min_row=3) if row[0].value]
    assert [(r[0], r[1], r[2]) for r in status] == [
        ("デジタル改革推進課", "提出済", "R4_デジタル改革推進課.xlsx"),
        ("デジタル事業推進課", "要修正", "R4_デジタル事業推進課.xlsx"),
        ("デジタル戦略企画課", "未提出", None),
        ("デジタル改革推進課", "重複", "R4_デジタル改革推進課（旧）.xlsx"),
    ]
    codes = [row[1].value for row in wb["チェック結果"].iter_rows(min_row=3) if row[1].value]
    assert sorted(codes) == sorted(f.code for f in run.report)
    formula_cells = [
        c
        for row in wb["進捗管理表"].iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=SUM(A1)")
    ]
    assert [c.data_type for c in formula_cells] == ["s"]
