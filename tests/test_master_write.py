"""The master workbook: the report's views, computed figures, native charts, backups, the
round trip back into a plan, and the PDF made by LibreOffice."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.chart import BarChart, LineChart
from openpyxl.worksheet.worksheet import Worksheet

from miedx_xl.consolidation import Consolidation, Submission
from miedx_xl.errors import MasterError
from miedx_xl.findings import Report, finding
from miedx_xl.form.write import make_forms
from miedx_xl.master.figures import percent_reduction
from miedx_xl.master.layout import (
    DATA_SHEET,
    FINDING_SHEET,
    INDICATOR_SHEET,
    MASTER_SHEETS,
    PROGRESS_SHEET,
    SUBMISSION_SHEET,
    SUMMARY_SHEET,
)
from miedx_xl.master.read import read_master_plan
from miedx_xl.master.write import write_master
from miedx_xl.normalize import FiscalYear
from miedx_xl.plan.model import Plan, load_plan
from miedx_xl.report import write_report
from tests.conftest import R4, require_soffice

R3 = FiscalYear(3)
RUN_AT = "2022-05-30T09:00:00+09:00"
DIGEST = "0f" * 32

# 資料２－２－１ as printed: per area, each actor heading with its NOs in order.
REPORT_LAYOUT = {
    1: [("■県の取組", [1, 2, 3, 4]), ("■市町連携（支援）の取組", [5])],
    2: [("■県の取組", [6, 7, 8, 9])],
    3: [("■県の取組", [10, 11, 12, 13]), ("■市町連携（支援）の取組", [14, 15])],
    4: [
        ("■県の取組", [16]),
        ("■市町連携（支援）の取組", [17]),
        ("■産学官連携の取組", [18, 19, 20, 21, 22, 23]),
    ],
    5: [("■県の取組", [24, 25, 26, 27]), ("■市町連携（支援）の取組", [28])],
    6: [("■県の取組", [29])],
    7: [
        ("■県の取組", [30]),
        ("■市町連携（支援）の取組", [31]),
        ("■産学官連携の取組", [32, 33]),
    ],
    8: [("■県の取組", [34]), ("■県の取組（参考）", [4])],
}


def assessment_of(no: int) -> str:
    """Self-assessments for the test: 順調 1-10, 概ね順調 11-20, 遅れ for 26, else blank."""
    if no in (7, 8):
        return ""  # re-listed rows: the master shows their original's (NO 2 and 3)
    return "順調" if no <= 10 else "概ね順調" if no <= 20 else "遅れ" if no == 26 else ""


def r3_result(plan: Plan | None = None, **over: Any) -> Consolidation:
    """The R3 consolidation of the built-in plan with two submissions and two findings."""
    plan = plan or load_plan()
    measures = plan.measures.copy()
    measures["assessment_R3"] = [assessment_of(int(n)) for n in measures["no"]]
    submissions = [
        Submission(
            "スマート改革推進課",
            "デジタル改革推進課",
            "提出済",
            file="R3_取組状況調査_デジタル改革推進課.xlsx",
            received="2022-04-20T10:00:00+09:00",
            digest=DIGEST,
            rows=19,
            errors=0,
            warnings=1,
        ),
        Submission("デジタル事業推進課", "デジタル事業推進課", "未提出"),
    ]
    report = Report(
        [
            finding(
                "cell-required",
                "R3_取組状況調査_デジタル改革推進課.xlsx",
                "取組状況",
                "H5",
                column="取組状況（R3）",
            ),
            finding("submission-missing", "デジタル事業推進課", division="デジタル事業推進課"),
        ]
    )
    args: dict[str, Any] = {
        "plan": replace(plan, measures=measures),
        "fy": R3,
        "submissions": submissions,
        "report": report,
        "run_at": RUN_AT,
    }
    args.update(over)
    return Consolidation(**args)


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_master(r3_result(), tmp_path_factory.mktemp("master") / "取りまとめ表_R3.xlsx")


@pytest.fixture(scope="module")
def book(master: Path) -> Any:
    return load_workbook(master)


def find_row(ws: Worksheet, text: str | int, column: int = 1, start: int = 1) -> int:
    """The first row at or after `start` whose cell in `column` holds exactly `text`."""
    for r in range(start, ws.max_row + 1):
        if ws.cell(row=r, column=column).value == text:
            return r
    raise AssertionError(f"{text!r} not found in column {column} of {ws.title}")


def header_columns(ws: Worksheet, row: int = 2) -> dict[str, int]:
    return {str(c.value): c.column for c in ws[row] if c.value is not None}


def values(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    wb = load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


# --------------------------------------------------------------------------- layout


def test_sheets_print_a4_landscape_one_page_wide_with_repeated_headers(book: Any) -> None:
    assert book.sheetnames == list(MASTER_SHEETS)
    for ws in book.worksheets:
        flat = ws.title == DATA_SHEET  # open data: its header is row 1, no title row
        assert ws.print_title_rows == ("$1:$1" if flat else "$1:$2"), ws.title
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        # LibreOffice ignores table styles: header cells carry their own fill.
        assert ws["A1" if flat else "A2"].fill.fgColor.rgb.endswith("1F4E78"), ws.title


def test_summary_sheet_has_each_areas_lead_and_headline(book: Any, plan: Plan) -> None:
    ws = book[SUMMARY_SHEET]
    assert "みえデジタル戦略推進計画" in ws["A1"].value and "令和3年度" in ws["A1"].value
    assert [ws.cell(row=r, column=1).value for r in range(3, 11)] == [
        "（１）",
        "（２）",
        "（３）",
        "（４）",
        "（５）",
        "（６）",
        "（７）",
        "（８）",
    ]
    assert ws["B3"].value == "ＡＩやＲＰＡの活用等による業務改善及び多様な働き方の推進"
    assert ws["C6"].value.startswith("県が保有するデータについて、原則オープンデータでの公開")
    assert ws["D6"].value == "三重県オープンデータライブラリ：91セット公開（Ｒ４年３月時点）"
    assert ws.cell(row=find_row(ws, "計画ID"), column=2).value == plan.id
    assert ws.cell(row=find_row(ws, "対象年度"), column=2).value == "令和3年度"
    assert ws.cell(row=find_row(ws, "取りまとめ日時"), column=2).value == RUN_AT


def test_summary_of_a_year_without_lead_leaves_it_empty(tmp_path: Path) -> None:
    out = write_master(r3_result(fy=R4), tmp_path / "r4.xlsx")
    ws = load_workbook(out)[SUMMARY_SHEET]
    assert ws["C2"].value == "リード文（R4）"
    assert ws["C3"].value is None and ws["D3"].value is None
    assert "空欄は" in ws["A11"].value


def progress_layout(ws: Worksheet) -> dict[int, list[tuple[str, list[int]]]]:
    """(area -> [(actor heading, [NO, ...])]) as the 進捗管理表 shows it."""
    out: dict[int, list[tuple[str, list[int]]]] = {}
    area = 0
    for r in range(3, ws.max_row + 1):
        a = ws.cell(row=r, column=1).value
        if isinstance(a, str) and (m := re.match(r"^（([１-９])）", a)):
            area = int(m[1])
            out[area] = []
        elif isinstance(a, str) and a.startswith("■"):
            out[area].append((a, []))
        elif isinstance(a, int):
            out[area][-1][1].append(a)
    return out


def test_progress_table_has_the_34_measures_in_report_order(book: Any) -> None:
    assert progress_layout(book[PROGRESS_SHEET]) == REPORT_LAYOUT


def test_progress_table_headers_and_an_areas_overview(book: Any) -> None:
    ws = book[PROGRESS_SHEET]
    cols = header_columns(ws)
    assert list(cols)[:4] == ["NO", "基本方針", "取組内容", "担当課"]
    assert [k for k in cols if k.startswith("予定")] == [
        f"予定\nR{n}\n（推定）" for n in (2, 3, 4, 5)
    ]
    assert "取組状況（R3）" in cols and "自己評価（R3）" in cols
    top = find_row(ws, "（１）ＡＩやＲＰＡの活用等による業務改善及び多様な働き方の推進")
    assert ws.cell(row=top + 1, column=1).value == "①現状・課題\n■県"
    assert ws.cell(row=top + 1, column=5).value.startswith("ＡＩ・ＲＰＡ等の新たな技術の活用")
    assert ws.cell(row=top + 3, column=1).value == "②本計画での取組概要\n■県"
    assert ws.row_dimensions[top + 1].height > 60  # merged text: the height is set, not auto


def test_progress_row_of_no_26_has_its_r3_status(book: Any, plan: Plan) -> None:
    ws = book[PROGRESS_SHEET]
    cols = header_columns(ws)
    r = find_row(ws, 26)
    row = {label: ws.cell(row=r, column=c).value for label, c in cols.items()}
    expected = plan.measures.loc[plan.measures["no"] == 26, "status_R3"].iloc[0]
    assert row["取組状況（R3）"] == expected
    assert "R3：（令和４年３月１日時点）三重県：42.5％、全国：42.4％" in row["取組状況（R3）"]
    assert row["取組内容"] == "マイナンバーカードの利活用促進"
    assert row["基本方針"] == "1,2"
    assert row["担当課"] == "デジタル改革推進課"  # スマート改革推進課's R3 name
    assert row["自己評価（R3）"] == "遅れ"
    assert row["予定\nR2\n（推定）"] == "実施"


def test_relisted_rows_are_marked_where_the_report_shows_them(book: Any) -> None:
    ws = book[PROGRESS_SHEET]
    cols = header_columns(ws)
    area2 = find_row(ws, "（２）県情報通信基盤の整備運用")
    r7 = find_row(ws, 7, start=area2)
    assert ws.cell(row=r7, column=cols["取組内容"]).value == "ペーパーレス化の推進（再掲）"
    assert ws.cell(row=find_row(ws, 8), column=cols["取組内容"]).value.endswith("（再掲）")
    # A re-listed row without its own assessment shows its original's (NO 2: 順調).
    assert ws.cell(row=r7, column=cols["自己評価（R3）"]).value == "順調"
    assert ws.cell(row=find_row(ws, 2), column=cols["取組内容"]).value == "ペーパーレス化の推進"
    area8 = find_row(ws, "（８）新型コロナウイルス感染症拡大を契機としたＤＸの推進")
    ref = find_row(ws, "■県の取組（参考）", start=area8)
    assert ws.cell(row=ref + 1, column=1).value == 4
    title = ws.cell(row=ref + 1, column=cols["取組内容"]).value
    assert title == "モバイルワーク等、多様な働き方の推進（再掲）"


# --------------------------------------------------------------------------- 指標


def test_indicators_by_period_and_computed_reductions_as_values(book: Any) -> None:
    ws = book[INDICATOR_SHEET]
    cols = header_columns(ws)
    r = find_row(ws, "mynumber_card_rate_mie", column=cols["指標ID"])
    assert ws.cell(row=r, column=cols["2022年3月1日時点"]).value == 42.5
    assert ws.cell(row=r, column=cols["2020年4月1日時点"]).value == 13.5
    assert "2021年3月1日時点：交付状況" in ws.cell(row=r, column=cols["備考"]).value
    r = find_row(ws, "copies_reduction_per_month_reported", column=cols["指標ID"])
    assert ws.cell(row=r, column=cols["R3年度"]).number_format == '"約"#,##0'

    before = find_row(ws, "導入前")
    assert [ws.cell(row=before + i, column=2).value for i in range(4)] == [2681, 1479, 1202, 44.8]
    assert ws.cell(row=before + 3, column=1).value == "削減率（%）"
    copies = find_row(ws, "R2年度")
    assert [ws.cell(row=copies + i, column=2).value for i in range(4)] == [
        18392,
        11047,
        7345,
        40,
    ]
    assert ws.cell(row=copies + 3, column=1).value == "削減率（%）"
    for r in (before + 2, before + 3, copies + 3):
        assert ws.cell(row=r, column=2).data_type == "n"  # a value, not a formula


def test_percent_reduction_rounds_half_up() -> None:
    assert percent_reduction(2681, 1479, 1) == 44.8
    assert percent_reduction(18392, 11047, 0) == 40
    assert percent_reduction(8, 7, 1) == 12.5 and percent_reduction(16, 15, 2) == 6.25
    assert percent_reduction(200, 199, 0) == 1  # 0.5 rounds up, not to even


def test_rpa_hours_are_summed_from_this_years_rows(tmp_path: Path) -> None:
    rpa = pd.DataFrame(
        {
            "fy": ["R3", "R3", "R3", "R2"],
            "division": ["a", "b", "c", "d"],
            "task": ["t1", "t2", "t3", "t4"],
            "hours_before": [100.0, 50.0, None, 999.0],
            "hours_after": [40.0, 20.0, 5.0, 1.0],
        }
    )
    out = write_master(r3_result(rpa=rpa), tmp_path / "rpa.xlsx")
    ws = load_workbook(out)[INDICATOR_SHEET]
    r = find_row(ws, "導入前")
    assert [ws.cell(row=r + i, column=2).value for i in range(4)] == [150, 60, 90, 60]
    assert "2業務の合計" in str(ws.cell(row=r - 2, column=1).value)  # the source line


def test_charts_are_native_and_read_the_indicator_sheet(book: Any) -> None:
    ws = book[INDICATOR_SHEET]
    # 図1–図4, then the trend charts (RPA hours, copies, open data sets) over every year.
    charts = ws._charts
    four = [BarChart, BarChart, LineChart, BarChart]
    assert [type(c) for c in charts] == [*four, BarChart, LineChart, LineChart]

    def refs(chart: Any) -> list[tuple[str, str, str]]:
        # Text categories are a string reference (as Excel writes them), numbers a number one.
        cat = [(s.cat.strRef or s.cat.numRef).f for s in chart.series]
        return [(s.tx.strRef.f, c, s.val.numRef.f) for s, c in zip(chart.series, cat, strict=True)]

    r = find_row(ws, "導入前")
    assert refs(charts[0]) == [
        (f"'指標'!B{r - 1}", f"'指標'!$A${r}:$A${r + 1}", f"'指標'!$B${r}:$B${r + 1}")
    ]
    assert ws.cell(row=r - 1, column=2).value == "時間"  # the series name
    r = find_row(ws, "R2年度")
    assert refs(charts[1])[0][2] == f"'指標'!$B${r}:$B${r + 1}"
    r = find_row(ws, "2020年4月1日")
    assert [x[2] for x in refs(charts[2])] == [
        f"'指標'!$B${r}:$B${r + 2}",
        f"'指標'!$C${r}:$C${r + 2}",
    ]
    assert [ws.cell(row=r + 2, column=c).value for c in (2, 3)] == [42.5, 42.4]
    line = charts[2]
    for s in line.series:
        assert s.smooth is False
        assert s.dLbls.showCatName is False and s.dLbls.showSerName is False
        assert s.dLbls.showLegendKey is False

    stacked = charts[3]
    assert stacked.grouping == "stacked" and stacked.overlap == 100
    r = find_row(ws, "（１）")
    assert [ws.cell(row=r - 1, column=c).value for c in range(2, 7)] == [
        "順調",
        "概ね順調",
        "遅れ",
        "未着手",
        "未記入",
    ]
    assert [x[2] for x in refs(stacked)] == [f"'指標'!${col}${r}:${col}${r + 7}" for col in "BCDEF"]
    counts = {
        ws.cell(row=r + i, column=1).value: [
            ws.cell(row=r + i, column=c).value for c in range(2, 7)
        ]
        for i in range(9)
    }
    assert counts["（２）"] == [4, 0, 0, 0, 0]  # NO 6, 9 and re-listed 7, 8 (from NO 2, 3)
    assert counts["（３）"] == [1, 5, 0, 0, 0]
    assert counts["（５）"] == [0, 0, 1, 0, 4]
    assert counts["合計"] == [10, 10, 1, 0, 13]
    assert sum(counts["合計"]) == 34


# --------------------------------------------------------------------------- run record


def test_submission_and_finding_rows(book: Any) -> None:
    ws = book[SUBMISSION_SHEET]
    assert [c.value for c in ws[2]] == [
        "担当課",
        "状態",
        "ファイル",
        "受付日時",
        "SHA-256",
        "反映行数",
        "エラー",
        "警告",
    ]
    assert [c.value for c in ws[3]] == [
        "デジタル改革推進課",
        "提出済",
        "R3_取組状況調査_デジタル改革推進課.xlsx",
        "2022-04-20T10:00:00+09:00",
        DIGEST,
        19,
        0,
        1,
    ]
    assert [c.value for c in ws[4]][:2] == ["デジタル事業推進課", "未提出"]
    ws = book[FINDING_SHEET]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    # Sorted by file, sheet and cell, as Report.sorted() orders them.
    assert rows == [
        [
            "エラー",
            "cell-required",
            "R3_取組状況調査_デジタル改革推進課.xlsx",
            "取組状況",
            "H5",
            "「取組状況（R3）」が未入力です。",
        ],
        [
            "警告",
            "submission-missing",
            "デジタル事業推進課",
            None,
            None,
            "デジタル事業推進課 の様式が提出されていません。前年度までの内容をそのまま残します。",
        ],
    ]
    assert ws["A3"].fill.fgColor.rgb.endswith("FFC7CE")


def test_no_findings_says_so(tmp_path: Path) -> None:
    out = write_master(r3_result(report=Report()), tmp_path / "ok.xlsx")
    assert load_workbook(out)[FINDING_SHEET]["A3"].value == "問題は見つかりませんでした。"


def test_formula_like_division_text_stays_text(tmp_path: Path) -> None:
    plan = load_plan()
    m = plan.measures.copy()
    m.loc[m["no"] == 1, "status_R3"] = "=1+1"
    m.loc[m["no"] == 2, "status_R3"] = "+81"
    m["issues_R3"] = ""
    m.loc[m["no"] == 3, "issues_R3"] = "-"
    subs = [Submission("スマート改革推進課", "@x", "要修正", file="=HYPERLINK(1).xlsx")]
    out = write_master(r3_result(replace(plan, measures=m), submissions=subs), tmp_path / "f.xlsx")
    wb = load_workbook(out)
    ws = wb[PROGRESS_SHEET]
    cols = header_columns(ws)
    cells = [
        ws.cell(row=find_row(ws, 1), column=cols["取組状況（R3）"]),
        ws.cell(row=find_row(ws, 2), column=cols["取組状況（R3）"]),
        ws.cell(row=find_row(ws, 3), column=cols["課題・今後の方向性（R3）"]),
        wb[SUBMISSION_SHEET]["A3"],
        wb[SUBMISSION_SHEET]["C3"],
    ]
    assert [c.value for c in cells] == ["=1+1", "+81", "-", "@x", "=HYPERLINK(1).xlsx"]
    assert all(c.data_type == "s" for c in cells)
    back = read_master_plan(out).measures.set_index("no")
    assert back.loc[1, "status_R3"] == "=1+1"
    assert back.loc[3, "issues_R3"] == "-"


# --------------------------------------------------------------------------- files


def test_second_write_keeps_a_dated_backup_and_never_overwrites_one(tmp_path: Path) -> None:
    out = tmp_path / "master.xlsx"
    write_master(r3_result(), out)
    first = out.read_bytes()
    write_master(r3_result(), out)
    backups = sorted(tmp_path.glob("master_*.xlsx"))
    assert len(backups) == 1
    assert re.fullmatch(r"master_\d{8}-\d{6}\.xlsx", backups[0].name)
    assert backups[0].read_bytes() == first
    write_master(r3_result(), out)
    names = sorted(p.name for p in tmp_path.glob("master_*.xlsx"))
    assert len(names) == 2  # a backup of the same second is named <stamp>-2
    assert not list(tmp_path.glob(".~tmp-*"))


def test_same_input_gives_the_same_content(tmp_path: Path) -> None:
    a = write_master(r3_result(), tmp_path / "a.xlsx")
    b = write_master(r3_result(), tmp_path / "b.xlsx")
    assert values(a) == values(b)


def test_read_master_plan_round_trip(master: Path, plan: Plan) -> None:
    back = read_master_plan(master)
    assert back.id == plan.id and back.report_fy == R3
    original = plan.measures
    assert back.measures[["no", "area", "actor", "relisted_of", "reference", "order"]].equals(
        original[["no", "area", "actor", "relisted_of", "reference", "order"]]
    )
    assert back.measures["title"].tolist() == original["title"].tolist()
    assert back.measures["status_R3"].tolist() == original["status_R3"].tolist()
    for y in plan.fiscal_years:
        col = f"schedule_{y}"
        assert back.measures[col].tolist() == original[col].tolist()
    assert back.measures["policy"].tolist() == original["policy"].tolist()
    assert back.measures["division"].tolist() == original["division"].tolist()
    expected = [
        assessment_of(n) or ("順調" if n in (7, 8) else "") for n in original["no"].tolist()
    ]
    assert back.measures["assessment_R3"].tolist() == expected

    def key(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
        cols = ["id", "period", "fy", "value", "approx", "note", "area", "measure", "unit"]
        return sorted(frame[cols].itertuples(index=False, name=None))

    assert key(back.indicators) == key(plan.indicators)


def test_next_years_forms_can_be_made_from_the_master(master: Path, tmp_path: Path) -> None:
    paths = make_forms(read_master_plan(master), R4, tmp_path)
    assert len(paths) == 3
    ws = load_workbook(paths[0])["取組状況"]
    assert ws["G4"].value == "R2年度：28業務、R3年度：13業務にＲＰＡを導入"


def test_master_with_an_inserted_column_still_reads(master: Path, tmp_path: Path) -> None:
    wb = load_workbook(master)
    ws = wb[PROGRESS_SHEET]
    ws.insert_cols(3)  # a user's memo column before 取組内容: columns are found by label
    ws["C2"] = "メモ"
    wb[INDICATOR_SHEET].insert_cols(1)
    wb.save(tmp_path / "moved.xlsx")
    back = read_master_plan(tmp_path / "moved.xlsx")
    original = load_plan()
    assert back.measures["status_R3"].tolist() == original.measures["status_R3"].tolist()
    assert back.measures["title"].tolist() == original.measures["title"].tolist()
    assert len(back.indicators) == len(original.indicators)


def test_a_value_that_is_no_number_names_its_cell(master: Path, tmp_path: Path) -> None:
    wb = load_workbook(master)
    ws = wb[INDICATOR_SHEET]
    cols = header_columns(ws)
    r = find_row(ws, "rpa_tasks", column=cols["指標ID"])
    ws.cell(row=r, column=cols["R3年度"]).value = "たくさん"
    wb.save(tmp_path / "bad.xlsx")
    with pytest.raises(MasterError, match=r"「指標」シートの [A-Z]+3 の値「たくさん」"):
        read_master_plan(tmp_path / "bad.xlsx")


def test_reading_a_file_that_is_not_a_master_says_so(tmp_path: Path) -> None:
    text = tmp_path / "renamed.xlsx"
    text.write_text("not a workbook", encoding="utf-8")
    with pytest.raises(MasterError, match="取りまとめ表"):
        read_master_plan(text)
    other = tmp_path / "other.xlsx"
    from openpyxl import Workbook

    Workbook().save(other)
    with pytest.raises(MasterError, match="シート「概要」「進捗管理表」「指標」がありません"):
        read_master_plan(other)
    assert issubclass(MasterError, ValueError)


# --------------------------------------------------------------------------- PDF


@pytest.fixture(scope="module")
def pdf(master: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_soffice()
    return write_report(master, tmp_path_factory.mktemp("pdf") / "取りまとめ表_R3.pdf")


def test_pdf_is_a4_landscape_with_pages(pdf: Path) -> None:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)[1])  # type: ignore[index]
    assert pages >= 5  # one page or more per sheet
    size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+)", info.stdout, re.M)
    assert size is not None
    width, height = float(size[1]), float(size[2])
    assert round(width) == 842 and round(height) == 595  # A4, landscape


def test_pdf_shows_the_charts_and_japanese_text(pdf: Path) -> None:
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    # Chart titles exist only inside the charts: LibreOffice drew all four.
    for title in ("図1", "図2", "図3", "図4", "ＲＰＡ導入前後の延べ年間作業時間"):
        assert title in text
    assert "マイナンバーカードの利活用促進" in text
    assert "（再掲）" in text
