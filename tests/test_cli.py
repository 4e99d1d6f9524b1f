"""The command line: exit statuses, JSON findings, marked copies."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook

from miedx_xl.cli import main
from miedx_xl.form.mark import MARK_AUTHOR, marked_path

KEYS = {"code", "severity", "file", "sheet", "cell", "message_ja", "message_en"}


def test_check_clean_form_exits_0(
    filled: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(filled()), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_check_json_lists_findings_and_exits_1(
    filled: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = filled(statuses={1: {"assessment_R4": "まあまあ"}, 3: {"status_R4": "あ" * 600}})
    assert main(["check", str(path), "--format", "json"]) == 1
    items = json.loads(capsys.readouterr().out)
    assert [set(i) for i in items] == [KEYS, KEYS]
    assert [(i["code"], i["severity"], i["sheet"], i["cell"]) for i in items] == [
        ("cell-choice", "error", "取組状況", "K4"),
        ("text-too-long", "warning", "取組状況", "H6"),
    ]
    assert items[0]["file"] == str(path)


def test_warnings_only_exit_0(filled: Callable[..., Path]) -> None:
    assert main(["check", str(filled(statuses={3: {"status_R4": "あ" * 600}}))]) == 0


def test_text_output_names_file_sheet_and_cell(
    filled: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = filled(statuses={2: {"status_R4": ""}})
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:取組状況!H5: error [cell-required]" in out


def test_unreadable_file_is_a_finding_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "x.xlsx"
    bad.write_text("not a workbook")
    assert main(["check", str(bad), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)[0]["code"] == "file-unreadable"


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["forms", "--fy", "来年", "--out", "x"])
    assert exc.value.code == 2
    assert "年度「来年」を読めません" in capsys.readouterr().err


def test_mark_writes_a_copy_and_does_not_stack(filled: Callable[..., Path]) -> None:
    path = filled(statuses={1: {"assessment_R4": "まあまあ"}, 2: {"status_R4": ""}})
    original = path.read_bytes()
    assert main(["check", str(path), "--mark"]) == 1
    assert path.read_bytes() == original
    copy = marked_path(path)
    wb = load_workbook(copy)
    ws = wb["取組状況"]
    assert ws["K4"].fill.fgColor.rgb.endswith("FF9999")
    assert ws["K4"].comment.author == MARK_AUTHOR and "まあまあ" in ws["K4"].comment.text
    assert ws["H5"].comment is not None
    assert ws["H6"].comment is None
    result = wb["チェック結果"]
    assert [result.cell(row=r, column=4).value for r in (2, 3)] == ["K4", "H5"]
    assert result["D2"].hyperlink.location == "'取組状況'!K4" or result["D2"].hyperlink.target
    # Marking again replaces the copy: one result sheet, marks not doubled.
    assert main(["check", str(path), "--mark"]) == 1
    again = load_workbook(copy)
    assert again.sheetnames.count("チェック結果") == 1
    assert again["チェック結果"].max_row == 3
    assert again["取組状況"]["K4"].comment.text.count("まあまあ") == 1
    # A marked copy checked again: its old marks are cleared, and it is not overwritten.
    before = copy.read_bytes()
    assert main(["check", str(copy), "--mark"]) == 1
    assert copy.read_bytes() == before
    second = load_workbook(marked_path(copy))
    assert marked_path(copy).name == "filled_チェック結果2.xlsx"
    assert second["取組状況"]["K4"].comment.text.count("まあまあ") == 1
    assert second["チェック結果"].max_row == 3


def test_python_dash_m_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "miedx_xl", "forms", "--fy", "Ｒ４", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert len(list(tmp_path.glob("R4_*.xlsx"))) == 3


def test_addin_build_and_install_on_linux(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["addin", "build", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "miedx.xlam").stat().st_size > 10_000
    capsys.readouterr()
    if sys.platform != "win32":
        assert main(["addin", "install"]) == 2
        assert "Windows" in capsys.readouterr().err


def test_consolidate_with_plan_reads_new_measures_beside_last_years_master(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from miedx_xl.form.write import fill_form

    (tmp_path / "空").mkdir()
    r3 = tmp_path / "進捗管理表_R3.xlsx"
    assert main(["consolidate", str(tmp_path / "空"), "--fy", "R3", "--out", str(r3)]) == 0
    (tmp_path / "取組の追加・終了.csv").write_text(
        "年度,区分,NO,個別取組,主体,基本方針,取組内容,担当課,スケジュール\n"
        "R4,新規,35,1,県,1,新しい取組の例,スマート改革推進課,実施\n",
        encoding="utf-8",
    )
    forms = tmp_path / "様式"
    assert main(["forms", "--fy", "R4", "--out", str(forms), "--plan", str(r3)]) == 0
    form = next(forms.glob("*デジタル改革推進課.xlsx"))
    box = tmp_path / "返送"
    box.mkdir()
    fill_form(form, box / form.name, statuses={35: {"status_R4": "新しい取組を始めた"}})
    capsys.readouterr()
    out = tmp_path / "進捗管理表_R4.xlsx"
    args = ["consolidate", str(box), "--fy", "R4", "--out", str(out), "--plan", str(r3)]
    assert main(args) in (0, 1)
    ws = load_workbook(out)["進捗管理表"]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "新しい取組の例" in texts and "新しい取組を始めた" in texts
