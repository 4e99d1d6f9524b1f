"""The whole cycle: the R3 demo reproduces the report; its master seeds next year's forms."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from miedx_xl.cli import main
from miedx_xl.consolidation import consolidate
from miedx_xl.demo import DemoSummary, run_demo
from miedx_xl.form.write import fill_form, make_forms
from miedx_xl.master.read import read_master_plan
from miedx_xl.master.write import write_master
from miedx_xl.plan.model import Plan
from tests.conftest import FIXED_TIME, R4, require_soffice


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    return run_demo(tmp_path_factory.mktemp("demo"), now=FIXED_TIME)


def values(path: Path, sheet: str) -> list[list[object]]:
    ws = load_workbook(path, read_only=True)[sheet]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_demo_consolidates_every_division_cleanly(demo: DemoSummary) -> None:
    assert [s.state for s in demo.result.submissions] == ["提出済"] * 3
    assert demo.result.report.flatten() == []
    assert len(demo.forms) == len(demo.returned) == 3


def test_master_reproduces_the_report(demo: DemoSummary, plan: Plan) -> None:
    assert demo.master is not None
    # The master alone: the demo's R4 wrote the example's 取組の追加・終了.csv beside it.
    back = read_master_plan(demo.master, beside=False).numbered().set_index("no")
    ours = plan.numbered().set_index("no")
    assert sorted(back.index) == list(range(1, 35))
    for col in ("area", "actor", "title", "status_R3"):
        assert back[col].to_dict() == ours[col].to_dict(), col
    rows = values(demo.master, "進捗管理表")
    nos = [r[0] for r in rows if isinstance(r[0], int)]
    assert nos == [int(n) for n in plan.measures.sort_values("order")["no"]]


def test_master_indicator_figures(demo: DemoSummary) -> None:
    assert demo.master is not None
    cells = {v for row in values(demo.master, "指標") for v in row if isinstance(v, int | float)}
    assert {2681, 1479, 1202, 44.8, 18392, 11047, 40} <= cells


def test_demo_pdf_has_pages(demo: DemoSummary) -> None:
    require_soffice()
    assert demo.pdf is not None and demo.pdf.read_bytes()[:5] == b"%PDF-"
    info = subprocess.run(["pdfinfo", str(demo.pdf)], capture_output=True, text=True, check=True)
    pages = int(next(x for x in info.stdout.splitlines() if x.startswith("Pages:")).split()[1])
    assert pages >= 5
    assert "841.89 x 595.3" in info.stdout  # A4 landscape


def test_next_year_from_the_master(demo: DemoSummary, tmp_path: Path) -> None:
    """R4 forms from the R3 master carry R3 statuses; the R4 master keeps both years."""
    assert demo.master is not None
    plan = read_master_plan(demo.master)
    forms = make_forms(plan, R4, tmp_path / "forms", now=FIXED_TIME)
    box = tmp_path / "返送"
    for key, form in zip(plan.divisions(), forms, strict=True):
        statuses = {
            int(no): {"status_R4": f"R4：NO {int(no)} を実施", "assessment_R4": "概ね順調"}
            for no in plan.own_measures(key)["no"]
        }
        fill_form(form, box / form.name, statuses=statuses)
    result = consolidate(box, R4, plan, archive=tmp_path / "arc", now=FIXED_TIME)
    assert result.report.flatten() == []
    master = write_master(result, tmp_path / "進捗管理表_R4.xlsx")
    back = read_master_plan(master).numbered().set_index("no")
    assert back.loc[26, "status_R4"] == "R4：NO 26 を実施"
    assert back.loc[26, "status_R3"].startswith("マイナンバー制度の理解促進")
    assert back.loc[7, "status_R4"] == "R4：NO 2 を実施"  # re-listed row follows NO 2
    assert back.loc[1, "assessment_R4"] == "概ね順調"


def test_demo_writes_r3_and_r4_with_its_year_over_year(demo: DemoSummary) -> None:
    """After R3, the demo runs R4 on the invented example input: both masters exist, and
    R4's 前年度比較 sheet has a row per measure of R3 or R4 (against R3)."""
    assert demo.master is not None and demo.master.exists()
    assert demo.next_master is not None and demo.next_master.exists()
    assert demo.next_master.name == "進捗管理表_R4.xlsx"
    assert demo.next_result is not None and demo.next_result.report.flatten() == []
    rows = values(demo.next_master, "前年度比較")
    assert rows[1][:4] == ["NO", "取組内容", "担当課", "区分"]
    nos = {r[0] for r in rows[2:] if isinstance(r[0], int)}
    assert {1, 23, 34, 35} <= nos  # 23 ended in R3 (shown once more), 35 new in R4
    assert "R4" in demo.text() and str(demo.next_master) in demo.text()
    # R3 has no previous year on record: its sheet says so.
    r3 = values(demo.master, "前年度比較")
    assert any(isinstance(r[0], str) and "前年度との比較はありません" in r[0] for r in r3)


def test_demo_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "取組 34 件" in out and "提出済 3" in out
    assert (tmp_path / "out" / "進捗管理表_R3.xlsx").exists()
    assert (tmp_path / "out" / "進捗管理表_R4.xlsx").exists()
