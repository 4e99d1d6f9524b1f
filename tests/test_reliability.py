"""No input crashes a run or a check, no command destroys a file, and a killed run leaves
nothing half-written. Each test builds the hostile or careless input it names."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import IllegalCharacterError

from miedx_xl import files
from miedx_xl.cli import main
from miedx_xl.consolidation import consolidate
from miedx_xl.cycle import check_paths
from miedx_xl.form.check import check_file
from miedx_xl.form.guard import MAX_FORM_ROWS
from miedx_xl.master.read import is_master_file
from miedx_xl.master.write import write_master
from tests.conftest import R4

SMART = "スマート改革推進課"
BIZ = "デジタル事業推進課"


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def codes_of(report: Any) -> list[tuple[str, str | None, str | None]]:
    return [(f.code, f.sheet, f.cell) for f in report]


def edit(path: Path, change: Callable[[Any], None]) -> Path:
    wb = load_workbook(path)
    change(wb)
    wb.save(path)
    return path


def rewrite_part(path: Path, part: str, change: Callable[[str], str]) -> Path:
    """Rewrite one XML part of a workbook as text (what openpyxl would refuse to write)."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == part:
                data = change(data.decode("utf-8")).encode("utf-8")
            dst.writestr(info, data)
    tmp.replace(path)
    return path


def status_part(path: Path) -> str:
    """The worksheet part of the 取組状況 sheet."""
    from miedx_xl.form.guard import sheet_parts

    with zipfile.ZipFile(path) as zf:
        return sheet_parts(zf)["取組状況"]


@pytest.fixture
def box(tmp_path: Path) -> Path:
    folder = tmp_path / "提出"
    folder.mkdir()
    return folder


def put(folder: Path, path: Path, name: str) -> Path:
    target = folder / name
    shutil.copyfile(path, target)
    return target


# --- 1. numbers the formatter did not expect -------------------------------------------------


def test_tiny_huge_and_infinite_numbers_never_crash_the_master(
    filled: Callable[..., Path], box: Path, tmp_path: Path
) -> None:
    tiny = filled(SMART, indicators={"rpa_hours_before": {"value": 1e-05}}, name="tiny.xlsx")
    put(box, tiny, "R4_スマート.xlsx")
    huge = filled(
        BIZ,
        rpa=[
            {"division": "道路課", "task": "点検", "hours_before": 9e307, "hours_after": 1},
            {"division": "道路課", "task": "集計", "hours_before": 9e307, "hours_after": 1},
        ],
        name="huge.xlsx",
    )
    put(box, huge, "R4_事業.xlsx")
    result = consolidate(box, R4, archive=tmp_path / "arc")
    master = write_master(result, tmp_path / "master.xlsx")
    found = {(Path(f.file).name, f.code, f.sheet) for f in result.report}
    assert ("R4_事業.xlsx", "cell-range", "RPA効果") in found
    assert is_master_file(master)
    ws = load_workbook(master)["指標"]
    values = [c.value for row in ws.iter_rows() for c in row]
    assert 1e-05 in values
    assert not any(isinstance(v, float) and v > 1e12 for v in values)


def test_an_infinite_number_in_the_xml_is_a_cell_range_finding(
    filled: Callable[..., Path], box: Path, tmp_path: Path
) -> None:
    path = filled(SMART, indicators={"rpa_hours_before": {"value": 1234}}, name="inf.xlsx")
    path = put(box, path, "R4_スマート.xlsx")
    for sheet in ("xl/worksheets/sheet3.xml",):
        rewrite_part(path, sheet, lambda xml: xml.replace("<v>1234</v>", "<v>inf</v>"))
    report = check_file(path).report
    assert [f.code for f in report if f.severity == "error"] in (["cell-range"], ["cell-type"])
    result = consolidate(box, R4, archive=tmp_path / "arc")
    write_master(result, tmp_path / "m.xlsx")  # no exception


def test_a_failing_master_write_records_a_failed_run(
    filled: Callable[..., Path], box: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(box, filled(SMART), "R4_スマート.xlsx")

    def broken(*args: Any, **kwargs: Any) -> Path:
        raise RuntimeError("disk gone")

    monkeypatch.setattr("miedx_xl.master.write.write_master", broken)
    with pytest.raises(RuntimeError):
        main(["consolidate", str(box), "--fy", "R4", "--out", str(tmp_path / "m.xlsx")])
    with sqlite3.connect(box.parent / "取りまとめ履歴" / "ledger.sqlite") as db:
        assert db.execute("SELECT outcome, master FROM runs").fetchall() == [("failed", None)]
    assert not (tmp_path / "m.xlsx").exists()


def test_a_completed_run_names_its_master_in_the_ledger(
    filled: Callable[..., Path], box: Path, tmp_path: Path
) -> None:
    put(box, filled(SMART), "R4_スマート.xlsx")
    assert main(["consolidate", str(box), "--fy", "R4", "--out", str(tmp_path / "m.xlsx")]) == 0
    with sqlite3.connect(box.parent / "取りまとめ履歴" / "ledger.sqlite") as db:
        rows = db.execute("SELECT outcome, master FROM runs").fetchall()
    assert rows == [("completed", str(tmp_path / "m.xlsx"))]


# --- 2. one cell far from the table ------------------------------------------------------------


def far_cell(path: Path, ref: str = "XFD1048576", value: Any = "x") -> Path:
    def change(wb: Any) -> None:
        wb["取組状況"][ref] = value

    return edit(path, change)


def test_a_cell_at_the_last_row_and_column_is_a_finding_not_an_abort(
    filled: Callable[..., Path], box: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = put(box, far_cell(filled(SMART, name="far.xlsx")), "R4_スマート.xlsx")
    put(box, filled(BIZ, name="biz.xlsx"), "R4_事業.xlsx")
    report = check_file(bad).report
    assert ("sheet-too-large", "取組状況", None) in codes_of(report)
    assert "XFD1048576" in next(f.message_ja for f in report if f.code == "sheet-too-large")
    assert main(["check", str(bad), "--mark"]) == 1
    assert "mark-failed" in capsys.readouterr().out
    result = consolidate(box, R4, archive=tmp_path / "arc")
    merged = {s.file: s.rows for s in result.submissions}
    assert merged["R4_事業.xlsx"] > 0 and merged["R4_スマート.xlsx"] == 0


def test_a_space_at_column_xfd_is_refused_cheaply(filled: Callable[..., Path]) -> None:
    path = far_cell(filled(SMART), "XFD2000", " ")
    assert ("sheet-too-large", "取組状況", None) in codes_of(check_file(path).report)


# --- 3. a column filled down by accident -------------------------------------------------------


def fill_down(path: Path, rows: int, value: Any = "まあまあ") -> Path:
    def change(wb: Any) -> None:
        ws = wb["取組状況"]
        for r in range(10, 10 + rows):
            ws.cell(row=r, column=11, value=value)

    return edit(path, change)


def test_findings_are_capped_per_file_and_code(filled: Callable[..., Path]) -> None:
    path = fill_down(filled(SMART), 600)
    report = check_file(path).report
    by_code: dict[str, int] = {}
    for f in report:
        by_code[f.code] = by_code.get(f.code, 0) + 1
    assert max(by_code.values()) <= 100
    omitted = [f for f in report if f.code == "findings-omitted"]
    assert omitted and all("以下" in f.message_ja and "件を省略" in f.message_ja for f in omitted)


def test_a_column_filled_past_any_form_is_one_finding(filled: Callable[..., Path]) -> None:
    path = fill_down(filled(SMART), MAX_FORM_ROWS + 10, 1)
    report = check_file(path).report
    assert [f.code for f in report] == ["sheet-too-large"]


# --- 4. check --mark goes on past files it cannot mark --------------------------------------


def test_check_mark_goes_on_past_files_it_cannot_mark(
    filled: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_choice = {1: {"assessment_R4": "まあまあ"}}

    def merge_inputs(wb: Any) -> None:
        wb["取組状況"].protection.sheet = False
        wb["取組状況"].merge_cells("K4:L4")

    merged = edit(filled(SMART, statuses=bad_choice, name="merged.xlsx"), merge_inputs)
    control = filled(SMART, statuses={1: {"status_R4": "改行\x01制御\x1f文字", **bad_choice[1]}},
                     name="control.xlsx")  # fmt: skip
    doctype = filled(SMART, statuses=bad_choice, name="doctype.xlsx")
    rewrite_part(
        doctype,
        "docProps/core.xml",
        lambda xml: xml.replace("?>", '?><!DOCTYPE x [<!ENTITY a "b">]>', 1),
    )
    long_name = tmp_path / ("長" * 78 + ".xlsx")
    shutil.copyfile(filled(SMART, statuses=bad_choice, name="long.xlsx"), long_name)
    good = filled(BIZ, statuses={17: {"assessment_R4": "まあまあ"}}, name="good.xlsx")
    inputs = [merged, control, doctype, long_name, good]
    before = {p: p.read_bytes() for p in inputs}
    assert main(["check", "--mark", *map(str, inputs)]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert all(p.read_bytes() == before[p] for p in inputs)
    marked = sorted(p.name for p in tmp_path.glob("*_チェック結果*.xlsx"))
    assert "good_チェック結果.xlsx" in marked
    assert "merged_チェック結果.xlsx" in marked and "control_チェック結果.xlsx" in marked
    assert any(n.startswith("長") for n in marked)
    assert all(len(n.encode()) <= 255 for n in marked)
    failed = [line for line in out.splitlines() if "[mark-failed]" in line]
    assert all("doctype.xlsx" in line for line in failed)
    ws = load_workbook(tmp_path / "merged_チェック結果.xlsx")["取組状況"]
    assert ws["K4"].comment is not None


# --- 5. commands that would destroy files ------------------------------------------------------


def test_check_mark_never_overwrites_an_input_named_like_a_marked_copy(
    filled: Callable[..., Path], tmp_path: Path
) -> None:
    form = filled(SMART, statuses={1: {"assessment_R4": "まあまあ"}}, name="a.xlsx")
    fixed = filled(SMART, name="fixed.xlsx")
    returned = tmp_path / "a_チェック結果.xlsx"  # the division fixed its marked copy
    shutil.copyfile(fixed, returned)
    before = returned.read_bytes()
    assert main(["check", "--mark", str(form), str(returned)]) == 1
    assert returned.read_bytes() == before
    assert (tmp_path / "a_チェック結果2.xlsx").is_file()
    names = sorted(p.name for p in tmp_path.glob("*.xlsx"))
    # Run again: our own earlier marked copies of the same inputs are replaced, not stacked.
    assert main(["check", "--mark", str(form), str(returned)]) == 1
    assert sorted(p.name for p in tmp_path.glob("*.xlsx")) == names
    assert returned.read_bytes() == before


def test_consolidate_refuses_to_replace_an_input_or_an_unrelated_workbook(
    filled: Callable[..., Path], box: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    form = put(box, filled(SMART), "R4_スマート.xlsx")
    other = tmp_path / "予算.xlsx"
    wb = Workbook()
    assert wb.active is not None
    wb.active["A1"] = "大事な表"
    wb.save(other)
    before = digests(tmp_path)
    assert main(["consolidate", str(box), "--fy", "R4", "--out", str(form)]) == 2
    assert "提出フォルダ" in capsys.readouterr().err
    assert main(["consolidate", str(box), "--fy", "R4", "--out", str(other)]) == 2
    assert "上書きしません" in capsys.readouterr().err
    assert digests(tmp_path) == before


def test_an_archive_that_holds_the_input_folder_is_refused(
    filled: Callable[..., Path], box: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    put(box, filled(SMART), "R4_スマート.xlsx")
    out = str(tmp_path / "m.xlsx")
    for archive in (box, tmp_path):
        args = ["consolidate", str(box), "--fy", "R4", "--out", out, "--archive", str(archive)]
        assert main(args) == 2
        assert "取りまとめ履歴のフォルダ" in capsys.readouterr().err
    assert not Path(out).exists()


def test_an_earlier_master_is_kept_as_a_backup(
    filled: Callable[..., Path], box: Path, tmp_path: Path
) -> None:
    put(box, filled(SMART), "R4_スマート.xlsx")
    out = tmp_path / "m.xlsx"
    main(["consolidate", str(box), "--fy", "R4", "--out", str(out)])
    first = out.read_bytes()
    main(["consolidate", str(box), "--fy", "R4", "--out", str(out)])
    backups = [p for p in tmp_path.glob("m_*.xlsx")]
    assert len(backups) == 1 and backups[0].read_bytes() == first


# --- 6. what a kill or a full disk leaves behind ------------------------------------------------


def test_a_backup_cut_short_leaves_no_file_under_a_backup_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    master = tmp_path / "m.xlsx"
    master.write_bytes(b"x" * 10_000)

    def disk_full(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        Path(dst).write_bytes(b"x" * 100)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.shutil, "copyfile", disk_full)
    with pytest.raises(OSError):
        files.keep_backup(master)
    assert [p.name for p in tmp_path.iterdir()] == ["m.xlsx"]


def test_temporaries_of_a_killed_run_are_removed_by_the_next(
    filled: Callable[..., Path], box: Path, tmp_path: Path
) -> None:
    put(box, filled(SMART), "R4_スマート.xlsx")
    left = tmp_path / f"{files.temp_prefix(tmp_path / 'm.xlsx')}abc.xlsx"
    left.write_bytes(b"half a master")
    old = time.time() - 3600
    os.utime(left, (old, old))
    main(["consolidate", str(box), "--fy", "R4", "--out", str(tmp_path / "m.xlsx")])
    assert not left.exists()
    assert not list(tmp_path.glob(".~tmp-*"))


KILLED_RUN = """
import sys
from pathlib import Path
from miedx_xl.form import pool
from miedx_xl.form import read

real = read.read_file
def slow(task):
    import time
    time.sleep(0.3)
    return real(task)
pool.read_file = slow
from miedx_xl.consolidation import consolidate
from miedx_xl.cycle import check_paths
from miedx_xl.normalize import FiscalYear
if __name__ == "__main__":
    pool.POOL_MIN_FILES = 1
    consolidate(Path(sys.argv[1]), FiscalYear(4), archive=Path(sys.argv[2]))
"""


def children_of(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_when_their_parent_is_killed(
    filled: Callable[..., Path], box: Path, tmp_path: Path
) -> None:
    form = filled(SMART)
    for i in range(24):
        put(box, form, f"R4_{i:02d}.xlsx")
    script = tmp_path / "run.py"
    script.write_text(KILLED_RUN, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(box), str(tmp_path / "arc")],
        cwd=Path(__file__).resolve().parents[1],
    )
    workers: list[int] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(workers) < 2:
        time.sleep(0.1)
        workers = children_of(proc.pid)
    assert workers, "the run started no workers"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [w for w in workers if Path(f"/proc/{w}").exists() and not _zombie(w)]
    assert alive == []


def _zombie(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


# --- 7. two runs at once ---------------------------------------------------------------------


def test_a_second_run_on_the_same_output_is_refused_while_the_first_holds_it(
    filled: Callable[..., Path], box: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    put(box, filled(SMART), "R4_スマート.xlsx")
    out = tmp_path / "m.xlsx"
    with files.locked(out):
        assert main(["consolidate", str(box), "--fy", "R4", "--out", str(out)]) == 2
    assert "別の取りまとめ" in capsys.readouterr().err
    assert not out.exists()


def test_two_runs_at_once_leave_a_master(filled: Callable[..., Path], tmp_path: Path) -> None:
    boxes = []
    for key in (SMART, BIZ):
        folder = tmp_path / key
        folder.mkdir()
        put(folder, filled(key, name=f"{key}.xlsx"), f"R4_{key}.xlsx")
        boxes.append(folder)
    out = tmp_path / "m.xlsx"
    cmd = [sys.executable, "-m", "miedx_xl", "consolidate"]
    procs = [
        subprocess.Popen(
            [*cmd, str(b), "--fy", "R4", "--out", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for b in boxes
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 0], [0, 2])
    for code, err in results:
        assert "Traceback" not in err
        if code == 2:
            assert "別の取りまとめ" in err
    assert is_master_file(out)
    kept = [out, *tmp_path.glob("m_*.xlsx")]
    assert len(kept) == (2 if codes == [0, 0] else 1)


# --- 8. the folder walk ------------------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_links_out_of_the_folder_are_not_followed(
    filled: Callable[..., Path], box: Path, tmp_path: Path
) -> None:
    put(box, filled(SMART), "R4_スマート.xlsx")
    (box / "passwd.xlsx").symlink_to("/etc/passwd")
    outside = tmp_path / "外"
    outside.mkdir()
    put(outside, filled(BIZ), "R4_事業.xlsx")
    (box / "外へ").symlink_to(outside, target_is_directory=True)
    result = consolidate(box, R4, archive=tmp_path / "arc")
    skipped = {Path(f.file).name for f in result.report if f.code == "link-skipped"}
    assert skipped == {"passwd.xlsx", "外へ"}
    archived = list((tmp_path / "arc" / "files").rglob("*.*"))
    passwd = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()
    assert not any(p.name.startswith(passwd) for p in archived)
    assert [s.file for s in result.submissions if s.file] == ["R4_スマート.xlsx"]


def test_an_unreadable_subfolder_is_a_finding(
    filled: Callable[..., Path], box: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(box, filled(SMART), "R4_スマート.xlsx")
    (box / "課B").mkdir()
    put(box / "課B", filled(BIZ), "R4_事業.xlsx")
    real = os.scandir

    def scandir(path: Any = ".") -> Any:
        if Path(path).name == "課B":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = consolidate(box, R4, archive=tmp_path / "arc")
    found = [(Path(f.file).name, f.code) for f in result.report if f.code == "folder-unreadable"]
    assert found == [("課B", "folder-unreadable")]


# --- 9. smaller ------------------------------------------------------------------------------


def test_the_size_finding_names_the_rule_that_fired(tmp_path: Path) -> None:
    path = tmp_path / "big-text.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/sharedStrings.xml", "あ" * 1_000_000)
    (f,) = check_file(path).report
    assert f.code == "file-too-large"
    assert "100 倍" in f.message_ja and "上限 200.0 MB" not in f.message_ja


def test_a_permission_problem_is_not_called_a_password(
    filled: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = filled(SMART)
    real = Path.open

    def no_access(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", no_access)
    (f,) = check_file(path).report
    assert f.code == "file-unreadable" and "権限" in f.message_ja
    assert "パスワード" not in f.message_ja


def set_saved(path: Path, iso: str) -> None:
    rewrite_part(
        path,
        "docProps/core.xml",
        lambda xml: re.sub(r"(<dcterms:modified[^>]*>)[^<]*(<)", rf"\g<1>{iso}\g<2>", xml),
    )


def test_a_saved_time_in_the_future_yields_to_the_later_arrival(
    filled: Callable[..., Path], box: Path, tmp_path: Path
) -> None:
    liar = put(box, filled(SMART, statuses={1: {"status_R4": "時計が進んだPC"}}, name="a.xlsx"),
               "R4_未来.xlsx")  # fmt: skip
    set_saved(liar, "2099-01-01T00:00:00Z")
    old = time.time() - 7200
    os.utime(liar, (old, old))
    later = put(box, filled(SMART, statuses={1: {"status_R4": "後から届いた版"}}, name="b.xlsx"),
                "R4_後.xlsx")  # fmt: skip
    result = consolidate(box, R4, archive=tmp_path / "arc")
    assert ("saved-time-future", "R4_未来.xlsx") in {
        (f.code, Path(f.file).name) for f in result.report
    }
    used = [s.file for s in result.submissions if s.state == "提出済"]
    assert used == [later.name]


def test_a_year_outside_the_plan_is_refused(
    box: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["consolidate", str(box), "--fy", "R99", "--out", str(tmp_path / "m.xlsx")]) == 2
    assert "計画" in capsys.readouterr().err and not (tmp_path / "m.xlsx").exists()
    assert main(["forms", "--fy", "R99", "--out", str(tmp_path / "f")]) == 2


def test_report_refuses_a_workbook_that_is_not_a_master(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "x.xlsx"
    Workbook().save(other)
    assert main(["report", str(other), "--pdf", str(tmp_path / "x.pdf")]) == 2
    assert "取りまとめ結果" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_masters_and_forms_get_the_umask_mode(
    filled: Callable[..., Path], box: Path, tmp_path: Path
) -> None:
    put(box, filled(SMART), "R4_スマート.xlsx")
    old = os.umask(0o022)
    try:
        main(["consolidate", str(box), "--fy", "R4", "--out", str(tmp_path / "m.xlsx")])
        main(["forms", "--fy", "R4", "--out", str(tmp_path / "forms")])
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.xlsx").stat().st_mode) == 0o644
    form = next((tmp_path / "forms").glob("*.xlsx"))
    assert stat.S_IMODE(form.stat().st_mode) == 0o644


def test_input_folders_are_left_unchanged(
    filled: Callable[..., Path], box: Path, tmp_path: Path
) -> None:
    put(box, far_cell(filled(SMART, name="far.xlsx")), "R4_far.xlsx")
    put(box, filled(BIZ, name="b.xlsx"), "R4_b.xlsx")
    before = digests(box)
    main(["consolidate", str(box), "--fy", "R4", "--out", str(tmp_path / "m.xlsx")])
    after = {k: v for k, v in digests(box).items() if not k.startswith("取りまとめ履歴")}
    assert after == before


# --- property: whatever a cell holds -----------------------------------------------------------


FAR = ["XFD1", "A1048576", "XFD1048576", "Z9999", "CV10001"]
cell_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e-300, max_value=1e-300),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(max_size=60),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=8),
    st.sampled_from(["=1+1", "@x", "+81", "-", "", " ", "\u3000", "1e309", "inf", "NaN"]),
)
places = st.one_of(
    st.tuples(st.integers(4, 30), st.integers(1, 20)).map(lambda rc: f"{chr(64 + rc[1])}{rc[0]}"),
    st.sampled_from(FAR),
)


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    edits=st.lists(
        st.tuples(st.sampled_from(["取組状況", "指標", "RPA効果"]), places, cell_values),
        min_size=1,
        max_size=6,
    )
)
def test_any_cell_value_never_crashes_a_run_and_the_valid_form_is_merged(
    filled: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory, edits: list[Any]
) -> None:
    folder = tmp_path_factory.mktemp("prop")
    box = folder / "提出"
    box.mkdir()
    good = put(box, filled(BIZ, name="good.xlsx"), "R4_good.xlsx")
    bad = put(box, filled(SMART, name="bad.xlsx"), "R4_bad.xlsx")

    def change(wb: Any) -> None:
        for sheet, ref, value in edits:
            ws = wb[sheet]
            ws.protection.sheet = False
            try:
                ws[ref] = value
            except (ValueError, TypeError, IllegalCharacterError):
                ws[ref] = repr(value)  # openpyxl refuses control characters; their escapes
                # (_x0001_) come through the form tests' own escaping

    try:
        edit(bad, change)
    except (ValueError, TypeError):  # openpyxl cannot save it: no such file can arrive
        return
    result = consolidate(box, R4, archive=folder / "arc")
    rows = {s.file: s.rows for s in result.submissions}
    assert rows[good.name] > 0
    write_master(result, folder / "m.xlsx")
    report, _ = check_paths([bad, good], mark=True)
    assert all(f.message_ja for f in report)
