"""The report's headline figures are computed from the master, rounded as the report prints."""

from __future__ import annotations

import pytest

from miedx_xl.master.read import read_master_plan
from miedx_xl.master.write import write_master
from miedx_xl.normalize import FiscalYear
from miedx_xl.plan.model import Plan
from miedx_xl.report.figures import (
    area_charts,
    chat_divisions,
    chat_headline,
    copies_headline,
    copies_reduction,
    rpa_headline,
    rpa_reduction,
    zenkaku,
)
from tests.test_master_write import r3_result

R3 = FiscalYear(3)


@pytest.fixture(scope="module")
def master_plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    master = write_master(r3_result(), tmp_path_factory.mktemp("m") / "進捗管理表_R3.xlsx")
    return read_master_plan(master)


def test_zenkaku_prints_numbers_as_the_report_does() -> None:
    assert zenkaku(1202) == "１，２０２"
    assert zenkaku(44.8, 1) == "４４．８"
    assert zenkaku(330, comma=False) == "３３０"


def test_rpa_figure_from_the_master(master_plan: Plan) -> None:
    r = rpa_reduction(master_plan, R3)
    assert r is not None
    assert (r.before, r.after, r.saved, r.percent) == (2681, 1479, 1202, 44.8)
    assert rpa_headline(r) == "４４．８％の削減（１，２０２時間の削減）"


def test_copies_figure_from_the_master(master_plan: Plan) -> None:
    r = copies_reduction(master_plan, R3)
    assert r is not None
    assert (r.before, r.after, r.percent) == (18392, 11047, 40)
    # The report rounds the saving to 約7,000; we print the exact difference.
    assert copies_headline(r) == "対前年比４０％の削減（月平均：７，３４５枚の削減）"


def test_business_chat_from_the_master(master_plan: Plan) -> None:
    assert chat_divisions(master_plan, R3) == (66, 330)
    assert chat_headline(66, 330) == "６６所属にてビジネスチャットを試行（６６／３３０所属）"


def test_every_area_has_a_chart_of_master_values(master_plan: Plan) -> None:
    charts = area_charts(master_plan, R3)
    assert sorted(charts) == list(range(1, 9))
    assert charts[1][0].series == (("延べ年間作業時間（時間）", (2681.0, 1479.0)),)
    assert [c.kind for c in charts[2]] == ["bar", "doughnut"]
    assert charts[2][1].series[0][1] == (66.0, 264.0)


def test_a_year_without_the_figures_has_no_such_chart(master_plan: Plan) -> None:
    r4 = FiscalYear(4)
    assert rpa_reduction(master_plan, r4) is None
    assert copies_reduction(master_plan, r4) is None
    charts = area_charts(master_plan, r4)
    assert all(c.unit != "時間" for c in charts.get(1, []))  # no hours chart without hours
    assert [c.kind for c in charts.get(2, [])] == []  # neither copies nor chat in R4
