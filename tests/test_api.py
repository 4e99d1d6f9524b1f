"""The public API mirrors the commands (DESIGN.md)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

import miedx_xl
from tests.conftest import R4


def test_public_functions_are_the_library_ones() -> None:
    from miedx_xl.consolidation import consolidate
    from miedx_xl.form.check import check
    from miedx_xl.form.write import make_forms
    from miedx_xl.master.write import write_master

    assert miedx_xl.make_forms is make_forms
    assert miedx_xl.check is check
    assert miedx_xl.consolidate is consolidate
    assert miedx_xl.write_master is write_master
    assert set(miedx_xl.__all__) >= {
        "load_plan",
        "make_forms",
        "check",
        "consolidate",
        "write_master",
    }


def test_api_cycle(tmp_path: Path) -> None:
    plan = miedx_xl.load_plan()
    forms = miedx_xl.make_forms(plan, R4, tmp_path / "forms")
    report = miedx_xl.check(forms)
    assert report.codes()["cell-required"] == 32  # each own measure's R4 status
    result = miedx_xl.consolidate(tmp_path / "forms", R4, plan, archive=tmp_path / "arc")
    assert [s.state for s in result.submissions] == ["要修正"] * 3
    master = miedx_xl.write_master(result, tmp_path / "m.xlsx")
    assert miedx_xl.read_master_plan(master).numbered()["no"].nunique() == 34


def test_plan_book_has_one_sheet_per_table(tmp_path: Path) -> None:
    path = miedx_xl.write_plan_book(miedx_xl.load_plan(), tmp_path / "plan.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["計画", "個別取組", "取組概要", "取組", "指標", "RPA業務"]
    assert wb["取組"].max_row == 36  # header + 35 rows
    assert wb["取組"]["A2"].value == 1 and wb["取組"]["D2"].value == "1"
