"""Open data: the flat CSVs read back into the master's values and keep the 総務省 rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import xlsxwriter

from miedx_xl.master.read import read_master_plan
from miedx_xl.master.write import write_master
from miedx_xl.normalize import FiscalYear
from miedx_xl.plan.model import Plan
from miedx_xl.report import ReportFiles, write_report_files
from miedx_xl.report.opendata import (
    ENCODING,
    LINE_JOIN,
    RULES,
    Table,
    _flat,
    check_rules,
    indicator_records,
    progress_records,
    read_csv_table,
    read_sheet_table,
)
from tests.test_master_write import r3_result

R3 = FiscalYear(3)


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_master(r3_result(), tmp_path_factory.mktemp("m") / "進捗管理表_R3.xlsx")


@pytest.fixture(scope="module")
def files(master: Path, tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    return write_report_files(master, tmp_path_factory.mktemp("out"), pdf=False)


@pytest.fixture(scope="module")
def data_sheet(master: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A データ sheet written as master/write.py is to write it (XlsxWriter, one header row,
    the records' values as they are)."""
    records = progress_records(read_master_plan(master), R3)
    out = tmp_path_factory.mktemp("data") / "data.xlsx"
    wb = xlsxwriter.Workbook(str(out))
    ws = wb.add_worksheet("データ")
    ws.write_row(0, 0, list(records[0]))
    for i, rec in enumerate(records, start=1):
        ws.write_row(i, 0, ["" if v is None else v for v in rec.values()])
    wb.close()
    return out


def test_files_are_named_by_year(files: ReportFiles) -> None:
    assert files.progress_csv.name == "進捗管理表_R3.csv"
    assert files.indicators_csv.name == "指標_R3.csv"
    assert files.progress_csv.read_bytes()[:3] == b"\xef\xbb\xbf"  # UTF-8 (with BOM for Excel)


def test_progress_csv_reads_back_into_the_masters_values(files: ReportFiles, master: Path) -> None:
    plan = read_master_plan(master)
    frame = pd.read_csv(files.progress_csv, encoding=ENCODING, keep_default_na=False)
    rows = plan.measures.sort_values("order")
    assert frame["NO"].tolist() == rows["no"].tolist()
    assert frame["NO"].dtype.kind == "i" and frame["年度（西暦）"].eq(2021).all()
    assert frame["取組内容"].tolist() == rows["title"].tolist()
    back = dict(zip(frame["NO"], frame["取組状況 2021年度（令和3年度）"], strict=False))
    for no, text in zip(rows["no"], rows["status_R3"], strict=True):
        if isinstance(text, str) and text:
            # One line: entries joined by ／, the layout spaces at a line's start dropped
            # (NO 34's text starts with 「　」).
            assert back[no] == LINE_JOIN.join(x.strip() for x in text.split("\n")), no
    policy = frame.set_index("NO").loc[34, ["基本方針1（該当は1）", "基本方針2（該当は1）"]]
    assert policy.tolist() == [1, 1]


def test_indicator_csv_reads_back_into_the_masters_values(files: ReportFiles, master: Path) -> None:
    plan = read_master_plan(master)
    frame = pd.read_csv(files.indicators_csv, encoding=ENCODING, keep_default_na=False)
    assert frame["値"].dtype.kind == "f" or frame["値"].dtype.kind == "i"
    ours = {(r.id, r.fy, r.period): float(r.value) for r in plan.indicators.itertuples(index=False)}
    back = {}
    for r in frame.itertuples(index=False):
        period = r[6] or f"R{int(r[4]) - 2018}"
        back[(r[0], f"R{int(r[4]) - 2018}", period)] = float(r[8])
    assert back == ours
    rpa = frame[frame["指標ID"].isin(["rpa_hours_before", "rpa_hours_after"])]
    assert rpa["値"].tolist() == [2681, 1479] and set(rpa["単位"]) == {"時間"}


def test_indicator_dates_carry_western_and_japanese_years() -> None:
    from miedx_xl.plan.model import load_plan

    recs = {(r["指標ID"], r["時点（西暦）"]): r for r in indicator_records(load_plan())}
    card = recs[("mynumber_card_rate_mie", "2022-03-01")]
    assert card["時点（和暦）"] == "令和4年3月1日" and card["年度（西暦）"] == 2021
    assert card["年度（和暦）"] == "令和3年度" and card["値"] == 42.5


@pytest.mark.parametrize("code", sorted(RULES))
def test_progress_csv_keeps_rule(code: str, files: ReportFiles) -> None:
    assert check_rules(read_csv_table(files.progress_csv))[code] == []


@pytest.mark.parametrize("code", sorted(RULES))
def test_indicator_csv_keeps_rule(code: str, files: ReportFiles) -> None:
    assert check_rules(read_csv_table(files.indicators_csv))[code] == []


@pytest.mark.parametrize("code", sorted(RULES))
def test_data_sheet_keeps_rule(code: str, data_sheet: Path) -> None:
    assert check_rules(read_sheet_table(data_sheet, "データ"))[code] == []


def test_masters_own_data_sheet_keeps_every_rule(master: Path) -> None:
    """The master's データ sheet: the same records as the CSV, every rule kept."""
    table = read_sheet_table(master, "データ")
    assert {code: p for code, p in check_rules(table).items() if p} == {}
    assert table.header == list(progress_records(read_master_plan(master), R3)[0])


def _table(header: list[str], *rows: list[Any], merged: int = 0) -> Table:
    return Table(header, [list(r) for r in rows], merged=merged)


@pytest.mark.parametrize(
    ("code", "table"),
    [
        ("1-2", _table(["NO", "基本方針"], [1, 1], [2, "1,2"])),
        ("1-3", _table(["NO", "値"], [1, 3], [2, "約7,000"])),
        ("1-4", _table(["年度（西暦）", "年度（和暦）"], [2021, "令和3年度"], merged=1)),
        ("1-5", _table(["取組内容"], ["三　重"], ["R3年8月：開始\nR4年2月：拡大"])),
        ("1-6", _table(["NO", ""], [1, "a"])),
        ("1-6", _table(["NO", "取組内容"], [1, "a"], [None, None])),
        ("1-7", _table(["NO", "取組内容"], [1, "=SUM(A1:A3)"])),
        ("1-9", _table(["NO", "時間"], [1, 2681])),
        ("1-10", _table(["取組内容"], ["①現状"])),
        ("2-2", _table(["年度"], ["令和3年度"])),
    ],
)
def test_each_rule_catches_what_it_forbids(code: str, table: Table) -> None:
    assert check_rules(table)[code] != []


def test_flat_text_is_one_line_of_stripped_lines() -> None:
    assert _flat("  一行 ") == "一行" and _flat("") == _flat(None) == _flat(" \n ") == ""
    assert _flat(" 一\r\n\n 二 \u2028三") == LINE_JOIN.join(["一", "二", "三"])
    assert _flat("①の件") == "1の件"


def test_flat_text_has_no_machine_dependent_characters(plan: Plan) -> None:
    notes = [r["備考"] for r in indicator_records(plan)]
    assert any("取組の概要1" in n for n in notes) and not any("①" in n for n in notes)
