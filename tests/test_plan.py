"""The built-in R3 plan reproduces the report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from miedx_xl.normalize import FiscalYear
from miedx_xl.plan.model import MEASURE_COLUMNS, Plan, expand_schedule

SEED = Path(__file__).resolve().parent / "data" / "source_report_R3.txt"
"""The source report's text, kept in the repository (origin in tests/data/README.md)."""


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def seed() -> str:
    if not SEED.exists():
        pytest.fail(f"source report not found at {SEED}")
    return squash(SEED.read_text(encoding="utf-8"))


def test_measures_table_has_design_columns(plan: Plan) -> None:
    cols = list(plan.measures.columns)
    assert cols[: len(MEASURE_COLUMNS)] == MEASURE_COLUMNS
    assert {"schedule_R2", "schedule_R5", "status_R3"} <= set(cols)


def test_34_distinct_measures_plus_relisted_rows(plan: Plan) -> None:
    numbered = plan.numbered()
    assert sorted(numbered["no"]) == list(range(1, 35))
    assert len(plan.measures) == 35
    relisted = plan.measures[plan.measures["relisted_of"] > 0]
    assert sorted(zip(relisted["no"], relisted["area"], relisted["relisted_of"], strict=True)) == [
        (4, 8, 4),
        (7, 2, 2),
        (8, 2, 3),
    ]
    ref = plan.measures[plan.measures["reference"]]
    assert ref[["no", "area"]].values.tolist() == [[4, 8]]


@pytest.mark.parametrize(
    ("no", "area", "actor", "policy", "division", "title"),
    [
        (
            1,
            1,
            "県",
            (1,),
            "スマート改革推進課",
            "ＡＩ・ＲＰＡ等の新たな技術の導入による業務改善の推進",
        ),
        (5, 1, "市町連携（支援）", (1,), "スマート改革推進課", None),
        (14, 3, "市町連携（支援）", (1,), "スマート改革推進課", None),
        (16, 4, "県", (3,), "デジタル事業推進課", "オープンデータ化の推進"),
        (18, 4, "産学官連携", (3,), "デジタル事業推進課", None),
        (24, 5, "県", (1, 2), "スマート改革推進課", "行政手続オンライン化の推進"),
        (27, 5, "県", (1, 2), "デジタル事業推進課", "キャッシュレス決済の導入検討"),
        (29, 6, "県", (2,), "デジタル事業推進課", None),
        (
            31,
            7,
            "市町連携（支援）",
            (1, 3),
            "スマート改革推進課",
            "市町におけるスマート人材の育成支援",
        ),
        (33, 7, "産学官連携", (3,), "デジタル事業推進課", None),
        (
            34,
            8,
            "県",
            (1, 2, 3),
            "デジタル戦略企画課",
            "各部局で実施する施策の進捗管理と必要な投資の検討",
        ),
    ],
)
def test_measure_rows_match_report(
    plan: Plan,
    no: int,
    area: int,
    actor: str,
    policy: tuple[int, ...],
    division: str,
    title: str | None,
) -> None:
    row = plan.numbered().set_index("no").loc[no]
    assert (row["area"], row["actor"], row["policy"], row["division"]) == (
        area,
        actor,
        policy,
        division,
    )
    if title is not None:
        assert row["title"] == title


def test_every_text_occurs_in_the_report(plan: Plan, seed: str) -> None:
    """Status texts, titles and divisions match the report once broken lines are joined."""
    missing = []
    for _, r in plan.measures.iterrows():
        for line in str(r["status_R3"]).split("\n"):
            if squash(line) not in seed:
                missing.append((r["no"], line))
        for text in (r["title"], r["division"]):
            if squash(text) not in seed:
                missing.append((r["no"], text))
    for text in list(plan.overviews["current"]) + list(plan.overviews["approach"]):
        for para in text.split("\n"):
            if squash(para) not in seed:
                missing.append(("overview", para[:30]))
    assert missing == []


def test_status_lines_are_whole_entries(plan: Plan) -> None:
    # NO 10: two entries, one per line, no stray schedule words glued to the front.
    text = plan.numbered().set_index("no").loc[10, "status_R3"]
    assert text.split("\n") == [
        "R2年：職員向けセキュリティ研修及び標的型攻撃メール訓練を実施",
        "R3年：コロナ禍により、オンライン形式による職員研修を実施",
    ]
    assert plan.numbered().set_index("no").loc[30, "status_R3"].startswith("R2年度：希望者20名")


def test_areas_and_overviews(plan: Plan) -> None:
    assert plan.areas["no"].tolist() == list(range(1, 9))
    assert plan.areas.set_index("no").loc[2, "title"] == "県情報通信基盤の整備運用"
    actors = plan.overviews.groupby("area")["actor"].apply(list).to_dict()
    assert actors[4] == ["県", "市町連携（支援）", "産学官連携"]
    assert actors[2] == ["県"]
    assert "13業務にＲＰＡを導入" in plan.areas.set_index("no").loc[1, "headline_R3"]


def value(plan: Plan, ind: str, period: str) -> float:
    rows = plan.indicators[(plan.indicators["id"] == ind) & (plan.indicators["period"] == period)]
    assert len(rows) == 1, (ind, period)
    return float(rows["value"].iloc[0])


def test_rpa_totals_reproduce_report(plan: Plan) -> None:
    before = value(plan, "rpa_hours_before", "R3")
    after = value(plan, "rpa_hours_after", "R3")
    assert (before, after) == (2681, 1479)
    assert before - after == 1202 == value(plan, "rpa_hours_reduction_reported", "R3")
    pct = round((before - after) / before * 100, 1)
    assert pct == 44.8 == value(plan, "rpa_hours_reduction_pct_reported", "R3")
    assert len(plan.rpa_tasks) == 13
    assert set(plan.rpa_tasks.columns) == {"fy", "division", "task"}  # no per-task hours


def test_copies_reduction_reproduces_report(plan: Plan) -> None:
    ids = plan.indicators["id"]
    copies = plan.indicators[ids.str.startswith("copies") & ~ids.str.contains("reduction")]
    by_fy = dict(zip(copies["fy"], copies["value"], strict=True))
    assert by_fy == {"R2": 18392, "R3": 11047}
    assert round((by_fy["R2"] - by_fy["R3"]) / by_fy["R2"] * 100) == 40


def test_mynumber_rates(plan: Plan) -> None:
    ind = plan.indicators
    rates = ind[ind["unit"].isin(["%", "％"]) & ind["name"].str.contains("マイナンバー")]
    assert {round(v, 1) for v in rates["value"]} >= {25.5, 26.3, 42.5, 42.4}


def test_schedule_rule_and_inferred_flag(plan: Plan) -> None:
    years = plan.fiscal_years
    assert [str(y) for y in years] == ["R2", "R3", "R4", "R5"]
    assert expand_schedule(["検討", "構築", "安定運用"], years) == {
        FiscalYear(2): "検討",
        FiscalYear(3): "構築",
        FiscalYear(4): "安定運用",
        FiscalYear(5): "安定運用",
    }
    row = plan.numbered().set_index("no").loc[14]
    assert [row[f"schedule_R{n}"] for n in (2, 3, 4, 5)] == ["検討", "構築", "安定運用", "安定運用"]
    assert bool(plan.measures["schedule_inferred"].all())


def test_division_renamed_between_years(plan: Plan) -> None:
    assert plan.division_name("スマート改革推進課", FiscalYear(2)) == "スマート改革推進課"
    assert plan.division_name("スマート改革推進課", FiscalYear(4)) == "デジタル改革推進課"
    assert plan.division_key("デジタル改革推進課") == "スマート改革推進課"


def test_load_plan_returns_independent_copies(plan: Plan) -> None:
    from miedx_xl import load_plan

    a = load_plan()
    a.measures.loc[0, "title"] = "changed"
    assert load_plan().measures.loc[0, "title"] != "changed"
