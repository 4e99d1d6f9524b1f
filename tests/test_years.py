"""The second and third year (issue 13): R3 from the built-in plan, R4 from its master with
edited forms (a changed schedule, new status text, a renamed division, a new and an ended
measure, new indicator values), then R5; any year rebuilt from the archive.

The R4/R5 input is the invented example (plan/data/examples/R4_example.toml).
"""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from miedx_xl.cli import main
from miedx_xl.consolidation import Consolidation, consolidate, snapshot
from miedx_xl.cycle import open_year
from miedx_xl.demo import run_demo
from miedx_xl.errors import PlanError
from miedx_xl.form.layout import form_file_name
from miedx_xl.form.write import fill_form
from miedx_xl.master.figures import (
    Row,
    measure_marks,
    new_sentences,
    parse_measure_mark,
    percent_change,
    trends,
    year_over_year,
)
from miedx_xl.master.read import read_master_plan
from miedx_xl.master.write import write_master
from miedx_xl.normalize import FiscalYear
from miedx_xl.plan.changes import Change, Rename, apply_changes, apply_renames, read_changes
from miedx_xl.plan.examples import (
    example_changes,
    example_inputs,
    example_renames,
    write_changes_file,
    write_renames_file,
)
from miedx_xl.plan.model import Plan
from miedx_xl.rebuild import rebuild, restore
from miedx_xl.xlsx.book import Sheet
from miedx_xl.xlsx.engine import _SharedStrings, _Workbook, _Worksheet
from tests.conftest import FIXED_TIME

R3, R4, R5 = FiscalYear(3), FiscalYear(4), FiscalYear(5)
BIZ = "デジタル事業推進課"
BIZ_NEW = "デジタル産業振興課（架空）"
SMART = "スマート改革推進課"


@dataclass
class Years:
    root: Path
    archive: Path
    masters: Path
    r3: Consolidation
    r3_master: Path
    forms4: list[Path]
    r4: Consolidation
    r4_master: Path
    forms5: list[Path]
    r5: Consolidation
    r5_master: Path


def _fill(plan: Plan, forms: list[Path], fy: FiscalYear, box: Path) -> None:
    """Fill each form with the example's input of its division (found by its meta)."""
    from miedx_xl.form.read import read_meta
    from miedx_xl.form.source import open_book

    for form in forms:
        book = open_book(form)
        assert book.workbook is not None
        loaded = read_meta(book.workbook)
        assert loaded is not None
        key = loaded[0].division_key
        fill_form(form, box / form.name, **example_inputs(plan, fy, key))


@pytest.fixture(scope="module")
def years(tmp_path_factory: pytest.TempPathFactory) -> Years:
    root = tmp_path_factory.mktemp("years")
    demo = run_demo(root / "r3", now=FIXED_TIME, next_year=False)
    assert demo.master is not None
    archive = root / "r3" / "取りまとめ履歴"
    masters = root / "masters"
    masters.mkdir()
    r3_master = masters / "進捗管理表_R3.xlsx"
    shutil.copy2(demo.master, r3_master)
    # Before R4's forms: a new measure and an ended one (取組の追加・終了.csv beside the master).
    write_changes_file(masters, example_changes())
    forms4 = open_year(R4, root / "様式R4", plan_from=r3_master)
    # After the forms went out, a division is renamed from R4 (改称.csv).
    write_renames_file(masters, example_renames())
    plan4 = read_master_plan(r3_master)
    box4 = root / "返送R4"
    _fill(plan4, forms4, R4, box4)
    r4 = consolidate(box4, R4, plan4, archive=archive, now=FIXED_TIME.replace(year=2023, month=5))
    r4_master = write_master(r4, masters / "進捗管理表_R4.xlsx")
    plan5 = read_master_plan(r4_master)
    forms5 = open_year(R5, root / "様式R5", plan_from=r4_master)
    box5 = root / "返送R5"
    _fill(plan5, forms5, R5, box5)
    r5 = consolidate(box5, R5, plan5, archive=archive, now=FIXED_TIME.replace(year=2024, month=5))
    r5_master = write_master(r5, masters / "進捗管理表_R5.xlsx")
    return Years(
        root, archive, masters, demo.result, demo.master, forms4, r4, r4_master, forms5, r5,
        r5_master,
    )  # fmt: skip


def _own_nos(form: Path) -> set[int]:
    ws = load_workbook(form, read_only=True)["取組状況"]
    return {r[0] for r in ws.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)}


def test_forms_follow_new_and_ended_measures(years: Years) -> None:
    names4 = {p.name for p in years.forms4}
    assert form_file_name(R4, BIZ) in names4  # the rename came after the forms went out
    biz4 = next(p for p in years.forms4 if BIZ in p.name)
    assert 35 in _own_nos(biz4) and 23 not in _own_nos(biz4)
    # R5's forms carry the division's new name, and still no row for the ended measure.
    assert form_file_name(R5, BIZ_NEW) in {p.name for p in years.forms5}
    biz5 = next(p for p in years.forms5 if BIZ_NEW in p.name)
    assert 35 in _own_nos(biz5) and 23 not in _own_nos(biz5)


def test_rename_warning_names_both(years: Years) -> None:
    renamed = [f for f in years.r4.report if f.code == "division-renamed"]
    assert len(renamed) == 1 and renamed[0].severity == "warning"
    assert BIZ in renamed[0].message_ja and BIZ_NEW in renamed[0].message_ja
    assert years.r4.report.valid
    biz = next(s for s in years.r4.submissions if s.division_key == BIZ)
    assert (biz.division, biz.state, biz.warnings) == (BIZ_NEW, "提出済", 1)
    # R5's forms have the new name: no warning.
    assert not [f for f in years.r5.report if f.code == "division-renamed"]
    assert years.r5.report.flatten() == []


def test_r5_history_r3_to_r5(years: Years) -> None:
    m = years.r5.plan.numbered().set_index("no")
    r3 = years.r3.plan.numbered().set_index("no")
    assert m.loc[26, "status_R3"] == r3.loc[26, "status_R3"]
    assert m.loc[26, "status_R4"].endswith("R4年度も取組を継続した。（架空の入力例）")
    assert m.loc[26, "status_R5"].endswith("次期計画へ引き継いだ。（架空の入力例）")
    assert (m.loc[26, "assessment_R4"], m.loc[26, "assessment_R5"]) == ("概ね順調", "順調")
    # The new measure: 新規 in R4, reports from R4; the ended one keeps its R3 history only.
    assert (m.loc[35, "added_in"], m.loc[35, "status_R3"]) == ("R4", "")
    assert m.loc[35, "status_R5"] == "R5年度：相談窓口を開設した。（架空の入力例）"
    assert m.loc[23, "ended_in"] == "R3"
    assert m.loc[23, "status_R3"] == r3.loc[23, "status_R3"] != ""
    assert m.loc[23, "status_R4"] == m.loc[23, "status_R5"] == ""
    # The R5 master holds R3–R5 in its 進捗管理表, and reads back with the same history.
    back = read_master_plan(years.r5_master).numbered().set_index("no")
    for col in ("status_R3", "status_R4", "status_R5", "assessment_R4", "assessment_R5"):
        assert back[col].to_dict() == m[col].to_dict(), col
    for col in ("schedule_R4", "schedule_R5", "division", "area", "title"):
        assert back[col].to_dict() == m[col].to_dict(), col
    assert (back.loc[35, "added_in"], back.loc[23, "ended_in"]) == ("R4", "R3")
    header = next(
        r for r in load_workbook(years.r5_master, read_only=True)["進捗管理表"].iter_rows(
            max_row=2, values_only=True
        ) if r[0] == "NO"
    )  # fmt: skip
    assert [h for h in header if isinstance(h, str) and h.startswith("取組状況")] == [
        "取組状況（R3）",
        "取組状況（R4）",
        "取組状況（R5）",
    ]


def test_marks(years: Years) -> None:
    assert measure_marks(years.r4.plan, R4) == {35: "新規（R4）", 23: "終了（R3）"}
    assert measure_marks(years.r5.plan, R5) == {23: "終了（R3）"}
    assert parse_measure_mark("新規（R4）・移動（（５）→（２）、R4）") == {
        "added_in": "R4",
        "moved_in": "R4",
        "moved_from": 5,
    }


def _row(rows: list[Row], no: int) -> Row:
    return next(r for r in rows if r.no == no)


def test_year_over_year_r4(years: Years) -> None:
    rows = year_over_year(years.r4.plan, R4)
    nos = [r.no for r in rows]
    assert 35 in nos and 23 in nos  # ended in R3: shown once more, against R3
    n25 = _row(rows, 25)
    assert n25.schedule_previous == "R4：順次実施、R5：順次実施"
    assert n25.schedule_current == "R4：検討、R5：順次実施" and n25.schedule_changed
    assert (n25.assessment_previous, n25.assessment_current) == ("", "遅れ")
    assert n25.status_new == (
        "R4年度：行政手続のオンライン化の方針を検討した。",
        "（架空の入力例）",
    )
    n1 = _row(rows, 1)
    hours = {i.id: i for i in n1.indicators}["rpa_hours_before"]
    assert (hours.previous, hours.current, hours.difference) == (
        Decimal(2681),
        Decimal(800),
        Decimal(-1881),
    )
    assert hours.percent == Decimal("-70.2")
    assert _row(rows, 35).mark == "新規（R4）" and _row(rows, 35).status_previous == ""
    assert _row(rows, 23).mark == "終了（R3）" and _row(rows, 23).status_current == ""


def test_year_over_year_r5_against_r4(years: Years) -> None:
    rows = year_over_year(years.r5.plan, R5)
    assert 23 not in [r.no for r in rows]
    n26 = _row(rows, 26)
    assert n26.status_previous == years.r4.plan.numbered().set_index("no").loc[26, "status_R4"]
    # 「（架空の入力例）」 was in R4's text already: only the new sentence is new.
    assert n26.status_new == ("R5年度は取組をまとめ、次期計画へ引き継いだ。",)
    assert (n26.assessment_previous, n26.assessment_current) == ("概ね順調", "順調")
    card = {i.id: i for i in n26.indicators}["mynumber_card_rate_mie"]
    assert (card.previous, card.current) == (Decimal("60"), Decimal("70.5"))
    assert (card.previous_period, card.current_period) == ("2023-03", "2024-03")
    assert card.difference == Decimal("10.5") and card.percent == Decimal("17.5")
    division = _row(rows, 16).division
    assert division == BIZ_NEW


def test_trend_series_grow_with_the_years(years: Years) -> None:
    by_title = {t.title: t for t in trends(years.r5.plan)}
    rpa = by_title["ＲＰＡ導入前後の延べ年間作業時間"]
    assert rpa.periods == ("R3", "R4", "R5")
    assert rpa.series == (("導入前", (2681.0, 800.0, 1000.0)), ("導入後", (1479.0, 380.0, 450.0)))
    card = by_title["マイナンバーカード交付率"]
    assert card.periods[-2:] == ("2023-03", "2024-03") and len(card.periods) == 5
    assert by_title["公開データセット数"].series[0][1] == (89.0, 91.0, 95.0, 101.0)
    assert len(trends(years.r3.plan)[0].periods) == 1


def _values(path: Path) -> dict[str, list[list[object]]]:
    wb = load_workbook(path, read_only=True)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb}


def test_r3_rebuilt_after_r5_equals_the_r3_master(years: Years, tmp_path: Path) -> None:
    again = rebuild(years.archive, R3)
    assert again.run_at == years.r3.run_at
    for name in ("areas", "overviews", "measures", "indicators", "rpa_tasks"):
        pd.testing.assert_frame_equal(getattr(again.plan, name), getattr(years.r3.plan, name))
    assert again.plan.division_names == years.r3.plan.division_names
    pd.testing.assert_frame_equal(again.rpa, years.r3.rpa)
    assert again.submissions == years.r3.submissions
    assert again.report.findings == years.r3.report.findings
    out = write_master(again, tmp_path / "R3_again.xlsx")
    assert _values(out) == _values(years.r3_master)


def test_rebuild_r4_equals_r4(years: Years, tmp_path: Path) -> None:
    again = rebuild(years.archive, R4)
    pd.testing.assert_frame_equal(again.plan.measures, years.r4.plan.measures)
    assert _values(write_master(again, tmp_path / "R4.xlsx")) == _values(years.r4_master)


def test_snapshot_round_trip(years: Years) -> None:
    back = restore(snapshot(years.r5))
    pd.testing.assert_frame_equal(back.plan.measures, years.r5.plan.measures)
    pd.testing.assert_frame_equal(back.plan.indicators, years.r5.plan.indicators)


def test_rebuild_command(years: Years, tmp_path: Path) -> None:
    out = tmp_path / "R3.xlsx"
    argv = ["consolidate", "--rebuild", "--fy", "R3", "--archive", str(years.archive)]
    assert main([*argv, "--out", str(out)]) == 0
    assert _values(out) == _values(years.r3_master)
    assert main(["consolidate", "--rebuild", "--fy", "R2", "--archive", str(years.archive),
                 "--out", str(tmp_path / "R2.xlsx")]) == 2  # fmt: skip
    assert main(["consolidate", "--rebuild", "--fy", "R3", "--out", str(out)]) == 2


# --- the pure pieces -----------------------------------------------------------------------


def test_new_sentences() -> None:
    assert new_sentences("Ａを実施した。Ｂを検討した。", "Aを実施した。Cを始めた。") == [
        "Cを始めた。"
    ]
    assert new_sentences("", "一行目\n二行目") == ["一行目", "二行目"]
    assert new_sentences("同じ。", "同じ。") == []
    # A memo of NFKC forms shared across calls (as 前年度比較 does) answers the same.
    keys: dict[str, str] = {}
    pairs = [("Ａを実施した。", "Aを実施した。Ｂ。"), ("B。", "Ｂ。C。"), ("", "Ａを実施した。")]
    for before, after in pairs:
        assert new_sentences(before, after, keys) == new_sentences(before, after)
    assert keys["Ａを実施した。"] == "Aを実施した。" and keys["Ｂ。"] == "B。"


def test_percent_change_rounds_half_up() -> None:
    assert percent_change(Decimal(8), Decimal(9)) == Decimal("12.5")
    assert percent_change(Decimal(3), Decimal(4)) == Decimal("33.3")
    assert percent_change(Decimal(2000), Decimal(1001)) == Decimal("-50.0")
    assert percent_change(Decimal(0), Decimal(4)) is None
    assert percent_change(None, Decimal(4)) is None


def test_changes_file_round_trip_and_errors(tmp_path: Path, plan: Plan) -> None:
    path = write_changes_file(tmp_path, example_changes())
    assert read_changes(path) == example_changes()
    changed = apply_changes(plan, read_changes(path))
    assert apply_changes(changed, read_changes(path)).measures.equals(changed.measures)
    path.write_text("年度,区分,NO,個別取組\nR4,新規,36,4\n", encoding="cp932")
    with pytest.raises(PlanError, match="2 行目"):
        read_changes(path)
    path.write_text("年度,区分,NO\nR4,廃止,3\n", encoding="utf-8")
    with pytest.raises(PlanError, match="区分"):
        read_changes(path)


def test_move_and_own_measures(plan: Plan) -> None:
    moved = apply_changes(plan, [Change(R4, "移動", 27, 2)])
    row = moved.measures.set_index("no").loc[27]
    assert (row["area"], row["moved_from"], row["moved_in"]) == (2, 5, "R4")
    assert measure_marks(moved, R4) == {27: "移動（（５）→（２）、R4）"}
    ended = apply_changes(plan, [Change(R4, "終了", 1)])
    assert 1 in set(ended.own_measures(SMART, R4)["no"])
    assert 1 not in set(ended.own_measures(SMART, R5)["no"])
    assert len(ended.in_year(R5).measures) == len(plan.measures) - 1
    with pytest.raises(PlanError, match="NO 99"):
        apply_changes(plan, [Change(R4, "終了", 99)])


def test_renames(plan: Plan) -> None:
    renamed = apply_renames(plan, [Rename(R4, "デジタル改革推進課", "デジタル推進課（架空）")])
    assert renamed.division_name(SMART, R3) == "デジタル改革推進課"
    assert renamed.division_name(SMART, R4) == "デジタル推進課（架空）"
    assert renamed.division_name(SMART, FiscalYear(2)) == SMART
    assert renamed.division_key("デジタル推進課（架空）") == SMART
    with pytest.raises(PlanError, match="計画にありません"):
        apply_renames(plan, [Rename(R4, "ない課", "新しい課")])


def test_example_year_after_the_demo(tmp_path: Path) -> None:
    """What `make demo` runs: R3, then R4 on the invented example input."""
    from miedx_xl.cycle import example_year

    demo = run_demo(tmp_path, now=FIXED_TIME, next_year=False)
    assert demo.master is not None
    result, master = example_year(demo.master, tmp_path, R4, now=FIXED_TIME.replace(year=2024))
    assert master == tmp_path / "進捗管理表_R4.xlsx" and master.exists()
    assert result.report.flatten() == []  # the rename was known before the forms: no warning
    assert [s.division for s in result.submissions][1] == BIZ_NEW
    back = read_master_plan(master).numbered().set_index("no")
    assert back.loc[35, "status_R4"] == "R4年度：相談窓口の設置を検討した。（架空の入力例）"
    assert back.loc[1, "status_R3"] == "R2年度：28業務、R3年度：13業務にＲＰＡを導入"


@pytest.mark.parametrize("year", ["r3", "r4", "r5"])
def test_master_read_and_written_again_is_the_same(years: Years, tmp_path: Path, year: str) -> None:
    """Round trip: a master read back into a plan and written again (with the run's own
    提出状況, findings and RPA rows, which are not the plan's) has the same cell values."""
    result: Consolidation = getattr(years, year)
    master: Path = getattr(years, f"{year}_master")
    again = Consolidation(
        plan=read_master_plan(master, beside=False),  # the master alone
        fy=result.fy,
        submissions=result.submissions,
        report=result.report,
        rpa=result.rpa,
        run_at=result.run_at,
    )
    written, before = _values(write_master(again, tmp_path / "again.xlsx")), _values(master)
    assert list(written) == list(before)
    for sheet in before:
        assert written[sheet] == before[sheet], sheet


def test_close_year_from_last_years_master(years: Years, tmp_path: Path) -> None:
    """close_year(plan_from=...) consolidates against the plan the forms were made from."""
    from miedx_xl.cycle import close_year

    box = years.root / "返送R4"
    result, out = close_year(
        box,
        R4,
        tmp_path / "R4.xlsx",
        archive=tmp_path / "arc",
        plan_from=years.masters / "進捗管理表_R3.xlsx",  # the copy with the CSV files beside it
    )
    assert out.exists()
    m = result.plan.numbered().set_index("no")
    assert m.loc[35, "status_R4"] == "R4年度：相談窓口の設置を検討した。（架空の入力例）"
    assert [f.code for f in result.report if f.severity != "info"] == ["division-renamed"]


def test_year_over_year_cells(years: Years) -> None:
    from miedx_xl.master.figures import year_over_year_cells, year_over_year_header

    header = year_over_year_header(R5)
    cells = year_over_year_cells(year_over_year(years.r5.plan, R5))
    assert all(len(row) == len(header) for row in cells)
    n1 = [row for row in cells if row[0] == 1]
    by_name = {row[13].split("（")[0]: row for row in n1}
    hours = by_name["ＲＰＡ導入前の延べ年間作業時間"]
    assert hours[15:] == [800, 1000, 200, 25.0]
    assert n1[0][12] == "R5年度は取組をまとめ、次期計画へ引き継いだ。"
    n25 = next(row for row in cells if row[0] == 25)
    assert n25[6:8] == ["", ""]  # R5's report kept R4's schedule
    r4 = year_over_year_cells(year_over_year(years.r4.plan, R4))
    n25 = next(row for row in r4 if row[0] == 25)
    assert n25[6:8] == ["R4：順次実施、R5：順次実施", "R4：検討、R5：順次実施"]


def test_r5_form_shows_earlier_years_read_only(years: Years) -> None:
    from miedx_xl.form.read import read_meta
    from miedx_xl.form.source import open_book

    form = next(p for p in years.forms5 if BIZ_NEW in p.name)
    book = open_book(form)
    assert book.workbook is not None
    loaded = read_meta(book.workbook)
    assert loaded is not None
    meta = loaded[0]
    assert (meta.earlier_years, meta.schedule_years) == (["R3", "R4"], ["R5"])
    assert (meta.division, meta.division_key) == (BIZ_NEW, BIZ)
    locked = meta.locked["取組状況"]
    assert locked["35"]["status_R4"] == "R4年度：相談窓口の設置を検討した。（架空の入力例）"
    assert (
        locked["16"]["status_R3"] == years.r3.plan.numbered().set_index("no").loc[16, "status_R3"]
    )


# --- what the masters show (issue 13, must show) -------------------------------------------


def _sheet(path: Path, name: str) -> list[list[object]]:
    ws = load_workbook(path, read_only=True)[name]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _by_header(rows: list[list[object]]) -> tuple[list[object], list[dict[object, object]]]:
    """The header row (row 2) and each row after it as {heading: value}."""
    header = rows[1]
    return header, [dict(zip(header, r, strict=False)) for r in rows[2:]]


def test_r5_master_progress_table_holds_r3_to_r5_and_marks(years: Years) -> None:
    header, rows = _by_header(_sheet(years.r5_master, "進捗管理表"))
    texts = [h for h in header if isinstance(h, str)]
    assert [h for h in texts if h.startswith("取組状況")] == [
        f"取組状況（{y}）" for y in (R3, R4, R5)
    ]
    schedules = [h.split("\n")[1] for h in texts if h.startswith("予定\n")]
    assert schedules[-3:] == ["R3", "R4", "R5"]
    assert ["自己評価（R4）", "自己評価（R5）"] == [
        h for h in header if isinstance(h, str) and h.startswith("自己評価")
    ][-2:]
    n26 = next(r for r in rows if r["NO"] == 26)
    assert str(n26["取組状況（R5）"]).endswith("次期計画へ引き継いだ。（架空の入力例）")
    assert (n26["自己評価（R4）"], n26["自己評価（R5）"]) == ("概ね順調", "順調")
    assert next(r for r in rows if r["NO"] == 23)["区分"] == "終了（R3）"
    # R4's master marks the new and the ended measure and keeps NO 25's old schedule.
    _, rows4 = _by_header(_sheet(years.r4_master, "進捗管理表"))
    marks = {r["NO"]: r["区分"] for r in rows4 if isinstance(r["NO"], int) and r["区分"]}
    assert marks == {35: "新規（R4）", 23: "終了（R3）"}
    n25 = next(r for r in rows4 if r["NO"] == 25)
    assert n25["変更前の予定（R4）"] == "R4：順次実施、R5：順次実施"


def test_r5_master_year_over_year_sheet(years: Years) -> None:
    """The 前年度比較 sheet of R5 (against R4), read from the workbook."""
    from miedx_xl.master.figures import year_over_year_cells, year_over_year_header

    rows = _sheet(years.r5_master, "前年度比較")
    assert "前年度比較（R4→R5）" in str(rows[0][0])
    assert rows[1] == year_over_year_header(R5)
    table = [r for r in rows[2:] if isinstance(r[0], int)]
    expected = year_over_year_cells(year_over_year(years.r5.plan, R5))
    # Empty texts read back as None.
    assert table == [[None if v == "" else v for v in row] for row in expected]
    assert 23 not in {r[0] for r in table}  # ended in R3: not in R5's comparison
    n26 = next(r for r in table if r[0] == 26)
    assert n26[12] == "R5年度は取組をまとめ、次期計画へ引き継いだ。"
    assert (n26[8], n26[9]) == ("概ね順調", "順調")
    card = next(r for r in table if r[0] == 26 and str(r[13]).startswith("三重県のマイナンバー"))
    assert card[15:] == [60, 70.5, 10.5, 17.5]
    # R4's sheet marks NO 25's changed schedule (orange) and fills the new sentences (yellow).
    ws = load_workbook(years.r4_master)["前年度比較"]
    r25 = next(r for r in range(3, ws.max_row + 1) if ws.cell(row=r, column=1).value == 25)
    assert ws.cell(row=r25, column=7).value == "R4：順次実施、R5：順次実施"
    assert ws.cell(row=r25, column=7).fill.fgColor.rgb.endswith("FCE4D6")
    assert ws.cell(row=r25, column=13).fill.fgColor.rgb.endswith("FFF2CC")
    assert ws.print_title_rows == "$1:$2" and ws.page_setup.orientation == "landscape"
    r1 = next(r for r in range(3, ws.max_row + 1) if ws.cell(row=r, column=1).value == 1)
    assert ws.cell(row=r1, column=10).value == "概ね順調"
    assert ws.cell(row=r1, column=10).fill.patternType is None  # R3 had no 自己評価: no change
    ws5 = load_workbook(years.r5_master)["前年度比較"]
    r26 = next(r for r in range(3, ws5.max_row + 1) if ws5.cell(row=r, column=1).value == 26)
    assert ws5.cell(row=r26, column=10).fill.fgColor.rgb.endswith("FCE4D6")  # 概ね順調 → 順調
    # R3 has no previous year on record: a note row instead.
    r3 = _sheet(years.r3_master, "前年度比較")
    assert "前年度との比較はありません" in str(r3[2][0]) and len(r3) == 3


def _trend_refs(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Trend chart title -> (categories, values) of each series, from the chart XML."""
    import zipfile

    out: dict[str, list[tuple[str, str]]] = {}
    with zipfile.ZipFile(path) as zf:
        for name in sorted(n for n in zf.namelist() if n.startswith("xl/charts/chart")):
            xml = zf.read(name).decode("utf-8")
            title = "".join(re.findall(r"<a:t>([^<]*)</a:t>", xml.split("</c:title>")[0]))
            cats = re.findall(r"<c:cat>.*?<c:f>([^<]*)</c:f>", xml, re.S)
            vals = re.findall(r"<c:val>.*?<c:f>([^<]*)</c:f>", xml, re.S)
            if "の推移" in title:
                out[title] = list(zip(cats, vals, strict=True))
    return out


def test_trend_charts_grow_with_the_years(years: Years) -> None:
    """Each trend chart's series range is one row per period on record: R3's master has one
    row of RPA hours, R5's three (R3–R5)."""
    rpa = "図5　ＲＰＡ導入前後の延べ年間作業時間の推移"
    r5 = _trend_refs(years.r5_master)
    assert set(r5) == {
        rpa,
        "図6　コピー使用枚数（月平均）の推移",
        "図7　公開データセット数の推移",
    }
    (cats, before), (_, after) = r5[rpa]
    first, last = re.findall(r"\$B\$(\d+)", before)
    assert int(last) - int(first) == 2  # R3, R4, R5
    assert before == f"'指標'!$B${first}:$B${last}" and after == f"'指標'!$C${first}:$C${last}"
    assert cats == f"'指標'!$A${first}:$A${last}"
    ws = load_workbook(years.r5_master, read_only=True)["指標"]
    cells = {
        r: [ws.cell(row=r, column=c).value for c in (1, 2, 3)]
        for r in range(int(first), int(last) + 1)
    }
    assert list(cells.values()) == [
        ["R3年度", 2681, 1479],
        ["R4年度", 800, 380],
        ["R5年度", 1000, 450],
    ]
    (_, sets), *_ = r5["図7　公開データセット数の推移"]
    rows = re.findall(r"\$B\$(\d+)", sets)
    assert int(rows[1]) - int(rows[0]) == 3  # four periods of open data sets
    (_, r3_before), _ = _trend_refs(years.r3_master)[rpa]
    assert len(set(re.findall(r"\$B\$(\d+)", r3_before))) == 1  # R3 alone: one row


def test_rename_warning_in_the_masters_findings_sheet(years: Years) -> None:
    rows = _sheet(years.r4_master, "チェック結果")
    renamed = [r for r in rows[2:] if r[1] == "division-renamed"]
    assert len(renamed) == 1 and renamed[0][0] == "警告"
    assert BIZ in str(renamed[0][5]) and BIZ_NEW in str(renamed[0][5])
    assert not [
        r for r in _sheet(years.r5_master, "チェック結果")[2:] if r[1] == "division-renamed"
    ]


def test_fast_rows_write_the_r5_master_as_xlsxwriter_does(
    years: Years, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every part of a master with all its sheets filled (前年度比較 too) is the same bytes
    whether `_Worksheet._write_rows` and direct sheets or XlsxWriter's own rows and table
    write them."""
    fast = write_master(years.r5, tmp_path / "fast.xlsx")
    monkeypatch.setattr(_Worksheet, "fast_rows", False)
    monkeypatch.setattr(Sheet, "direct_allowed", False)
    monkeypatch.setattr(_SharedStrings, "fast", False)
    monkeypatch.setattr(_Workbook, "own_zip", False)
    slow = write_master(years.r5, tmp_path / "slow.xlsx")
    with zipfile.ZipFile(fast) as a, zipfile.ZipFile(slow) as b:
        assert a.namelist() == b.namelist()
        sheets = [n for n in a.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 7
        for name in a.namelist():
            assert a.read(name) == b.read(name), name
