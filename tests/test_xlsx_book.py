"""XlsxWriter books (`miedx_xl.xlsx.book`): cells read back by openpyxl, python-calamine and
LibreOffice; and the master and a form checked cell for cell against what the openpyxl and
Grid writers wrote before the switch (values recorded from their output at commit 7b6c5e9).
"""

from __future__ import annotations

import math
import tempfile
import zipfile
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import python_calamine as pc
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from xlsxwriter.exceptions import FileCreateError

from miedx_xl.form.layout import META_SHEET
from miedx_xl.form.write import make_forms
from miedx_xl.master.layout import DATA_SHEET, INDICATOR_SHEET, MASTER_SHEETS, PROGRESS_SHEET
from miedx_xl.master.write import write_master
from miedx_xl.plan.model import Plan
from miedx_xl.xlsx import engine
from miedx_xl.xlsx.book import (
    BOX,
    EXCEL_MAX_TEXT,
    MAX_HEIGHT,
    Book,
    BookError,
    Sheet,
    excel_length,
    fill,
    text_height,
)
from miedx_xl.xlsx.engine import _SharedStrings, _Workbook, _Worksheet
from miedx_xl.xlsx.office import convert
from miedx_xl.xlsx.sheets import put
from tests.conftest import R4, require_soffice
from tests.test_master_write import r3_result

TEXTS = [
    "=SUM(A1)",  # formula-like: stays text
    " 先頭の空白",
    "一行目\n二行目",
    "制御\x0b文字",
    "そのまま _x0041_ と書いた",
    "a & <b> > c",
    "タブ\t末尾 ",
]


def book_with(path: Path) -> tuple[Book, Sheet]:
    book = Book(path)
    return book, book.sheet("表")


def sample_book(tmp_path: Path) -> tuple[Path, Sheet]:
    path = tmp_path / "book.xlsx"
    book, sheet = book_with(path)
    sheet.widths[1] = 20
    sheet.ws.freeze_panes(1, 0)
    bold = book.style(
        "bold",
        {"bold": True, "font_size": 12},
        fill("BDD7EE"),
        {"border": 1},
        {"text_wrap": True, "valign": "top"},
    )
    money = book.style("money", {"num_format": '"約"#,##0'})
    for r, text in enumerate(TEXTS, start=1):
        sheet.set(r, 1, text, bold)
    sheet.set_row(1, [3, 2.5, True, None], [None, money, None, bold], first=2)
    sheet.merge(3, 2, 4)
    sheet.heights[2] = 33.75  # 45 px: XlsxWriter keeps heights in whole pixels
    book.save()
    return path, sheet


def test_style_names_register_once(tmp_path: Path) -> None:
    book = Book(tmp_path / "x.xlsx")
    first = book.style("a", {"bold": True})
    assert book.style("a") is first
    assert book.style("b", {"italic": True}) is not first
    book.discard()
    assert not list(tmp_path.iterdir())


def test_values_styles_merges_and_heights_read_back_by_openpyxl(tmp_path: Path) -> None:
    path, _ = sample_book(tmp_path)
    ws = load_workbook(path)["表"]
    plain = {1: "=SUM(A1)", 2: " 先頭の空白", 3: "一行目\n二行目", 6: "a & <b> > c"}
    for r, text in plain.items():
        assert ws.cell(row=r, column=1).value == text
        assert ws.cell(row=r, column=1).data_type == "s"
    assert [ws["B1"].value, ws["C1"].value, ws["D1"].value, ws["E1"].value] == [3, 2.5, True, None]
    assert ws["C1"].number_format == '"約"#,##0'
    a1 = ws["A1"]
    assert a1.font.b and a1.font.sz == 12 and a1.fill.fgColor.rgb.endswith("BDD7EE")
    assert a1.border.left.style == "thin" and a1.alignment.wrap_text
    assert ws["E1"].font.b  # an empty, styled cell keeps its style
    assert [str(r) for r in ws.merged_cells.ranges] == ["B3:D3"]
    assert ws.row_dimensions[2].height == 33.75
    assert ws.column_dimensions["A"].width == 20  # the width itself, not XlsxWriter's + 5 px
    assert ws.dimensions == "A1:E7"
    assert ws.freeze_panes == "A2"


def test_every_text_round_trips_through_calamine(tmp_path: Path) -> None:
    path, _ = sample_book(tmp_path)
    rows = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("表").to_python()
    assert [row[0] for row in rows] == TEXTS
    assert rows[0][1:4] == [3, 2.5, True]


def test_xml_escapes_are_xlsxwriters_and_not_doubled(tmp_path: Path) -> None:
    path, _ = sample_book(tmp_path)
    with zipfile.ZipFile(path) as zf:
        strings = zf.read("xl/sharedStrings.xml").decode()
    assert "制御_x000B_文字" in strings
    assert "そのまま _x005F_x0041_ と書いた" in strings
    assert "a &amp; &lt;b&gt; &gt; c" in strings
    assert "_x005F_x005F" not in strings
    assert '<t xml:space="preserve"> 先頭の空白</t>' in strings


def test_put_escapes_what_openpyxl_would_refuse(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    put(ws, 1, 1, "制御\x0b文字")
    put(ws, 2, 1, "_x0041_")
    wb.save(tmp_path / "p.xlsx")
    rows = pc.CalamineWorkbook.from_path(str(tmp_path / "p.xlsx")).get_sheet_by_name("Sheet")
    assert [r[0] for r in rows.to_python()] == ["制御\x0b文字", "_x0041_"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=6))
def test_any_text_round_trips(tmp_path_factory: pytest.TempPathFactory, texts: list[str]) -> None:
    path = tmp_path_factory.mktemp("any") / "t.xlsx"
    book, sheet = book_with(path)
    for r, text in enumerate(texts, start=1):
        sheet.set(r, 1, text)
    book.save()
    rows = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("表")
    got = rows.to_python(skip_empty_area=False)
    # A lone CR is written as _x000D_ and read back as CR.
    assert [r[0] for r in got] + [""] * (len(texts) - len(got)) == texts


def test_numbers_nan_surrogates_and_unknown_types(tmp_path: Path) -> None:
    path = tmp_path / "n.xlsx"
    book, sheet = book_with(path)
    boxed = book.style("box", BOX)
    sheet.set_row(1, [math.nan, math.inf, 7, "半\ud800端"], [boxed, None, None, None])
    book.save()
    ws = load_workbook(path)["表"]
    assert ws["A1"].value is None and ws["A1"].border.left.style == "thin"  # empty, styled
    assert ws["B1"].value is None and ws["C1"].value == 7
    assert ws["D1"].value == "半\ufffd端"  # no file can hold a lone surrogate
    failing = tmp_path / "bad.xlsx"
    book, sheet = book_with(failing)
    sheet.set(1, 1, datetime(2022, 4, 1))
    with pytest.raises(BookError, match="not datetime"):
        book.save()
    assert not failing.exists() and not list(tmp_path.glob(".~tmp-*"))


def test_a_failed_with_block_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="stop"), Book(tmp_path / "w.xlsx") as book:
        book.sheet("s").set(1, 1, "x")
        raise RuntimeError("stop")
    assert not list(tmp_path.iterdir())


def test_text_height_counts_wrapped_lines() -> None:
    one = text_height("短い", 20, 10)
    # 20 units = 136 px = 20.4 half-width columns of 10 pt: 10 Japanese characters a line
    assert text_height("あ" * 40, 20, 10) == pytest.approx(4 * (one - 3) + 3)
    assert text_height("あ" * 10, 20, 10) == one
    assert text_height("一\n二\n三", 20, 10) == pytest.approx(3 * (one - 3) + 3)


def test_libreoffice_keeps_values_merges_and_heights(tmp_path: Path) -> None:
    require_soffice()
    path, _ = sample_book(tmp_path)
    (resaved,) = convert([path], tmp_path / "lo", to="xlsx")
    ws = load_workbook(resaved)["表"]
    rows = pc.CalamineWorkbook.from_path(str(resaved)).get_sheet_by_name("表").to_python()
    assert [row[0] for row in rows] == TEXTS
    assert [str(r) for r in ws.merged_cells.ranges] == ["B3:D3"]
    assert ws.row_dimensions[2].height == pytest.approx(33.75, abs=0.5)  # LibreOffice rounds
    assert ws["A1"].font.b


def test_a_text_longer_than_a_cell_holds_is_cut_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "long.xlsx"
    book, sheet = book_with(path)
    sheet.set(1, 1, "あ" * 40_000)
    sheet.set(2, 1, "い" * EXCEL_MAX_TEXT)  # exactly what fits: kept whole
    book.save()
    rows = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("表")
    cut, whole = (r[0] for r in rows.to_python())
    assert len(cut) == EXCEL_MAX_TEXT and cut.startswith("ああ")
    assert cut.endswith("…（以下省略：全 40,000 文字。提出ファイルを参照してください）")
    assert whole == "い" * EXCEL_MAX_TEXT


def test_excel_counts_utf16_units_and_a_cut_never_splits_a_character(tmp_path: Path) -> None:
    text = "𠮷" * 20_000  # 20,000 characters, 40,000 UTF-16 units: over the limit
    path = tmp_path / "u.xlsx"
    book, sheet = book_with(path)
    sheet.set(1, 1, text)
    sheet.set(3, 1, "あ" * 2000, book.style("wrap", {"text_wrap": True}))
    sheet.set_row(5, [], [])  # an empty row changes nothing
    sheet.fit_rows(1, 5)
    book.save()
    rows = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("表")
    cut = rows.to_python()[0][0]
    assert excel_length(cut) <= EXCEL_MAX_TEXT and cut.startswith("𠮷𠮷")
    assert "\ufffd" not in cut and cut.endswith("全 40,000 文字。提出ファイルを参照してください）")
    assert sheet.heights[3] == MAX_HEIGHT  # Excel's tallest row
    assert load_workbook(path)["表"].dimensions == "A1:A3"


# ------------------------------------------------------------- the master, cell for cell

BORDER = [["thin", "A6A6A6"]] * 4


def cell_spec(cell: Any) -> dict[str, Any]:
    """The parts of a cell's style the master sets (as openpyxl reads them)."""
    f, fl, a = cell.font, cell.fill, cell.alignment
    sides = (cell.border.left, cell.border.right, cell.border.top, cell.border.bottom)
    return {
        "font": [
            f.name,
            float(f.sz),
            bool(f.b),
            f.color.rgb[-6:] if f.color is not None and f.color.type == "rgb" else None,
        ],
        "fill": fl.fgColor.rgb[-6:] if fl.fill_type == "solid" else None,
        "border": [[s.style, s.color.rgb[-6:] if s.color is not None else None] for s in sides],
        "align": [a.horizontal, a.vertical, bool(a.wrap_text)],
        "numfmt": cell.number_format,
    }


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_master(r3_result(), tmp_path_factory.mktemp("spec") / "master.xlsx")


def test_master_values_are_calamines(master: Path) -> None:
    wb = load_workbook(master)
    book = pc.CalamineWorkbook.from_path(str(master))
    assert wb.sheetnames == list(MASTER_SHEETS) == book.sheet_names
    for ws in wb.worksheets:
        ours = [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)]
        theirs = book.get_sheet_by_name(ws.title).to_python(skip_empty_area=False)
        width = max(len(r) for r in ours)
        assert [r + [""] * (width - len(r)) for r in theirs] == ours, ws.title


def test_master_styles_layout_and_print_setup_as_before(master: Path) -> None:
    wb = load_workbook(master)
    ws = wb[PROGRESS_SHEET]
    header = {
        "font": ["Yu Gothic", 10.0, True, "FFFFFF"],
        "fill": "1F4E78",
        "border": BORDER,
        "align": ["center", "center", True],
        "numfmt": "General",
    }
    assert ws["A2"].value == "NO" and cell_spec(ws["A2"]) == header
    # An area band: bold on BDD7EE, merged across the row.
    assert ws["A3"].value.startswith("（１）ＡＩやＲＰＡの活用等")
    assert cell_spec(ws["A3"]) | {"font": None} == {
        "font": None,
        "fill": "BDD7EE",
        "border": BORDER,
        "align": [None, "center", False],
        "numfmt": "General",
    }
    assert ws["A3"].font.b and ws["A3"].font.sz == 10
    merges = {str(m) for m in ws.merged_cells.ranges}
    assert {"A3:J3", "A4:D4", "E4:J4", "A13:J13"} <= merges
    # An actor band (■県の取組) on DDEBF7, and a body cell of long text.
    actor = next(r for r in range(3, 20) if ws.cell(row=r, column=1).value == "■県の取組")
    assert ws.cell(row=actor, column=1).fill.fgColor.rgb.endswith("DDEBF7")
    assert f"A{actor}:J{actor}" in merges
    body = cell_spec(ws["E5"])
    assert body == {
        "font": ["Yu Gothic", 10.0, False, None],
        "fill": None,
        "border": BORDER,
        "align": [None, "top", True],
        "numfmt": "General",
    }
    # Row heights from the texts (before: 24, 61, 104.5, 90; now in whole pixels).
    heights = {r: ws.row_dimensions[r].height for r in (1, 2, 4, 5)}
    assert heights == {1: 24.0, 2: 60.75, 4: 104.25, 5: 90.0}
    assert ws.column_dimensions["C"].width == 28 and ws.column_dimensions["A"].width == 5
    ind = wb[INDICATOR_SHEET]
    assert ind["D3"].value == 28 and cell_spec(ind["D3"]) == {
        "font": ["Yu Gothic", 10.0, False, None],
        "fill": None,
        "border": BORDER,
        "align": [None, "top", True],
        "numfmt": "#,##0",
    }
    # The table, the first two bands; then two trend bands a page (R3: 128, 168).
    assert [b.id for b in ind.row_breaks.brk] == [47, 88, 128, 168]
    for sheet in wb.worksheets:
        flat = sheet.title == DATA_SHEET  # open data: one header row, no title row
        assert sheet.freeze_panes == ("A2" if flat else "A3")
        assert sheet.print_title_rows == ("$1:$1" if flat else "$1:$2")
        ps = sheet.page_setup
        assert (ps.orientation, int(ps.paperSize), ps.fitToWidth, ps.fitToHeight) == (
            "landscape",
            9,
            1,
            0,
        )
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
        assert sheet.print_options.horizontalCentered is True
        m = sheet.page_margins
        assert [m.left, m.right, m.top, m.bottom, m.header, m.footer] == [0.4, 0.4, 1, 1, 0.5, 0.5]
        assert sheet.oddHeader.left.text == "みえデジタル戦略推進計画"
        assert sheet.oddHeader.right.text == "&A" and sheet.oddFooter.center.text == "&P / &N"
    props = wb.properties
    assert props.title == "みえデジタル戦略推進計画 令和3年度 取りまとめ表"
    assert props.creator == "miedx_xl" and props.created == datetime(2022, 5, 30, 0, 0)


def test_master_charts_read_the_same_ranges_as_before(master: Path) -> None:
    ws = load_workbook(master)[INDICATOR_SHEET]

    def refs(chart: Any) -> list[tuple[str, str, str]]:
        return [
            (s.tx.strRef.f, (s.cat.strRef or s.cat.numRef).f, s.val.numRef.f) for s in chart.series
        ]

    q = "'指標'!"
    # The four charts of before (the trend charts after them: test_years, test_master_write).
    assert [
        (c.tagname, refs(c), [c.anchor._from.col, c.anchor._from.row]) for c in ws._charts[:4]
    ] == [
        ("barChart", [(f"{q}B52", f"{q}$A$53:$A$54", f"{q}$B$53:$B$54")], [7, 49]),
        ("barChart", [(f"{q}B72", f"{q}$A$73:$A$74", f"{q}$B$73:$B$74")], [7, 69]),
        (
            "lineChart",
            [
                (f"{q}B92", f"{q}$A$93:$A$95", f"{q}$B$93:$B$95"),
                (f"{q}C92", f"{q}$A$93:$A$95", f"{q}$C$93:$C$95"),
            ],
            [7, 89],
        ),
        (
            "barChart",
            [(f"{q}{c}112", f"{q}$A$113:$A$120", f"{q}${c}$113:${c}$120") for c in "BCDEF"],
            [7, 109],
        ),
    ]
    bar, _, line, stacked = ws._charts[:4]
    assert bar.series[0].dLbls.showVal is True and bar.series[0].dLbls.showCatName is False
    assert [s.dLbls.dLblPos for s in line.series] == ["t", "b"]
    assert [s.marker.symbol for s in line.series] == ["circle", "circle"]
    assert stacked.grouping == "stacked" and stacked.overlap == 100
    assert bar.y_axis.scaling.min == 0 and line.legend.position == "b" and bar.legend is None


# --------------------------------------------------------------- a form, cell for cell


@pytest.fixture(scope="module")
def form(plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    paths = make_forms(plan, R4, tmp_path_factory.mktemp("form"))
    return next(p for p in paths if p.name.endswith("デジタル改革推進課.xlsx"))


def test_form_help_and_protection_as_before(form: Path) -> None:
    wb = load_workbook(form)
    ws = wb["取組状況"]
    got = sorted(
        [str(dv.sqref), dv.type, dv.operator, dv.formula1, dv.promptTitle, dv.prompt]
        for dv in ws.data_validations.dataValidation
    )
    phases = "'_lists'!$A$1:$A$11"  # the hidden list sheet's column of phase words
    pick = "一覧から段階（検討・実施など）を選んでください。"
    assert got == [
        ["H4:H22", "textLength", "lessThanOrEqual", "500", "取組状況（R4）",
         "令和4年度の取組内容と成果を、時期と数値を添えて文章で入力してください。"],
        ["I4:I22", "list", None, phases, "スケジュール（R4）", pick],
        ["J4:J22", "list", None, phases, "スケジュール（R5）", pick],
        ["K4:K22", "list", None, "'_lists'!$B$1:$B$4", "自己評価",
         "順調・概ね順調・遅れ・未着手から選んでください（判断できなければ空欄）。"],
        ["L4:L22", "textLength", "lessThanOrEqual", "300", "課題・今後の方向性",
         "300 文字以内で入力してください。"],
    ]  # fmt: skip
    for dv in ws.data_validations.dataValidation:
        assert dv.errorStyle == "warning" and dv.showInputMessage and dv.showErrorMessage
        assert dv.allow_blank and dv.errorTitle == dv.promptTitle and dv.error
    p = ws.protection
    assert p.sheet and not p.formatCells and not p.formatColumns and not p.formatRows
    assert p.insertRows and p.deleteRows and not p.objects
    assert ws["H4"].protection.locked is False and ws["E4"].protection.locked is True
    assert ws["H4"].fill.fgColor.rgb.endswith("FFFFFF")
    assert ws["E4"].fill.fgColor.rgb.endswith("E7E6E6")
    cf = {str(c.sqref): [r.formula for r in c.rules] for c in ws.conditional_formatting}
    assert cf == {
        "H4:H22": [["LEN(TRIM(H4))=0"]],
        "I4:I22": [["LEN(TRIM(I4))=0"]],
        "J4:J22": [["LEN(TRIM(J4))=0"]],
    }
    rule = next(iter(ws.conditional_formatting)).rules[0]
    assert rule.dxf.fill.bgColor.rgb.endswith("FFF2CC")
    notes = {c.coordinate: (c.comment.text, c.comment.author) for c in ws[3] if c.comment}
    assert notes == {
        "H3": (
            "令和4年度の取組内容と成果を、時期と数値を添えて文章で入力してください。",
            "miedx_xl",
        ),
        "I3": (pick, "miedx_xl"),
        "J3": (pick, "miedx_xl"),
        "K3": (
            "順調・概ね順調・遅れ・未着手から選んでください（判断できなければ空欄）。",
            "miedx_xl",
        ),
    }
    assert ws.freeze_panes == "B4" and ws.print_title_rows == "$3:$3"
    assert wb[META_SHEET].sheet_state == "veryHidden" and wb[META_SHEET].protection.sheet
    assert wb.active is not None and wb.active.title == "取組状況"
    assert wb.properties.title == "R4 取組状況調査票 デジタル改革推進課"
    guide = {str(m) for m in wb["記入要領"].merged_cells.ranges}
    assert guide == {f"A{r}:D{r}" for r in range(1, 13)}


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def _richer_book(path: Path) -> None:
    """Every kind of cell: strings, numbers, blanks with formats, and cells without one
    (numbers, booleans) under a column format, rows with a height and no cell, a comment."""
    book, sheet = book_with(path)
    money = book.style("money", {"num_format": '"約"#,##0.0'})
    wrap = book.style("wrap", {"text_wrap": True, "valign": "top"})
    sheet.ws.set_column(5, 5, 12, money)
    for r in range(1, 40):
        sheet.set_row(
            r, [f"行{r}", r * 1.25, None, -(10**r), 1e-7 * r], [wrap, money, wrap, None, money]
        )
        if r % 3 == 0:
            sheet.set(r, 6, r % 2 == 0)
    sheet.set(41, 30, "遠い列", wrap)
    sheet.heights[50] = 30
    sheet.ws.write_comment(44, 2, "メモ")
    sheet.ws.write_formula(45, 0, "=1+1", wrap, 2)
    # A direct sheet (cells as XML text) between two table sheets: the same strings and
    # style numbers in the same order as through XlsxWriter's table.
    direct = book.sheet("直接", direct=True)
    bold = book.style("bold", {"bold": True})
    for r in range(1, 40):
        direct.set_row(r, [f"行{r}", f"行{r + 1}", r / 3, None, "", True, math.inf, "x"],
                       [bold, None, money, bold, wrap, None, money, None])  # fmt: skip
    direct.merge(41, 1, 3)
    direct.set(41, 1, "結合", bold)
    direct.set(60, 40, -2.5)
    direct.heights[45] = 20
    direct.heights[2] = 30
    last = book.sheet("後")
    last.set(1, 1, "行3", book.style("late", {"italic": True}))
    book.properties("t", datetime(2023, 4, 1))
    book.save()


def test_fast_rows_write_xlsxwriters_own_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow = tmp_path / "fast", tmp_path / "slow"
    fast.mkdir(), slow.mkdir()
    _richer_book(fast / "b.xlsx")
    monkeypatch.setattr(_Worksheet, "fast_rows", False)
    monkeypatch.setattr(Sheet, "direct_allowed", False)
    monkeypatch.setattr(_SharedStrings, "fast", False)
    monkeypatch.setattr(_Workbook, "own_zip", False)
    _richer_book(slow / "b.xlsx")
    a, b = _parts(fast / "b.xlsx"), _parts(slow / "b.xlsx")
    assert list(a) == list(b) and "xl/worksheets/sheet3.xml" in a
    for name in a:
        assert a[name] == b[name], name
    direct = a["xl/worksheets/sheet2.xml"]
    assert (
        b'<c r="A1" s="3" t="s"><v>0</v></c><c r="B1" t="s">' in direct
        and b'<c r="F1" t="b"><v>1</v></c>' in direct
    )
    assert b'<c r="G1" s="1"/><c r="H1" t="s">' in direct  # inf: a formatted blank
    assert b'<row r="60" spans="40:40"><c r="AN60"><v>-2.5</v></c></row>' in direct
    xml = a["xl/worksheets/sheet1.xml"]
    # A string, a number and a blank of the fast path; a boolean under a column format and a
    # formula written by XlsxWriter's _write_cell; a row with a height and no cell.
    assert b'<c r="A39" s="2" t="s"><v>38</v></c><c r="B39" s="1"><v>48.75</v></c>' in xml
    assert b'<c r="C39" s="2"/>' in xml and b'<c r="F39" s="1" t="b"><v>0</v></c>' in xml
    assert b'<c r="A46" s="2"><f>1+1</f><v>2</v></c>' in xml
    assert b'<row r="50" ht="30" customHeight="1"/>' in xml


_SST_TEXTS = st.text(
    st.sampled_from(["あ", "a", " ", "\u3000", "\n", "\t", "&", "<", ">", '"', "_", "x", "0",
                     "F", "\x01", "\x1f", "\ufffe", "\uffff", "\x85", "r", "/", "\U00020bb7"])
    | st.characters(),
    max_size=12,
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(_SST_TEXTS, max_size=8))
def test_shared_strings_are_xlsxwriters_own_bytes(
    texts: list[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Any text (whitespace at either end, &<>, control characters, a literal _x0041_ or
    <r>…</r>) is the same bytes in the shared strings part as XlsxWriter writes it."""
    texts = [*texts, "_x0041_", "<r>rich?</r>", " lead", "trail\n", "a&b<c>d", "\x02", "a\ufffeb"]
    folder = tmp_path_factory.mktemp("sst")
    parts = []
    for fast in (True, False):
        _SharedStrings.fast = fast
        try:
            book, sheet = book_with(folder / f"{fast}.xlsx")
            for r, text in enumerate(texts, start=1):
                sheet.set(r, 1, text)
            book.save()
        finally:
            _SharedStrings.fast = True
        parts.append(_parts(folder / f"{fast}.xlsx")["xl/sharedStrings.xml"])
    assert parts[0] == parts[1]
    assert b"<si><t>_x005F_x0041_</t></si>" in parts[0]
    assert b'<si><t xml:space="preserve"> lead</t></si>' in parts[0]


def test_own_zip_holds_xlsxwriters_parts_in_its_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parts zipped by the zip thread are XlsxWriter's, in its order, dated as its
    in-memory mode dates them; the temporary parts are gone."""
    monkeypatch.setattr(engine, "ZIP_CHUNK", 1000)  # parts of several chunks
    parts_dir = tmp_path / "parts"
    parts_dir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(parts_dir))
    _richer_book(tmp_path / "own.xlsx")
    monkeypatch.setattr(_Workbook, "own_zip", False)
    _richer_book(tmp_path / "theirs.xlsx")
    with (
        zipfile.ZipFile(tmp_path / "own.xlsx") as own,
        zipfile.ZipFile(tmp_path / "theirs.xlsx") as theirs,
    ):
        assert own.testzip() is None
        assert own.namelist() == theirs.namelist()
        assert all(own.read(n) == theirs.read(n) for n in own.namelist())
        assert {i.date_time for i in own.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.compress_type for i in own.infolist()} == {zipfile.ZIP_DEFLATED}
        for info in own.infolist():  # compressed at ZIP_LEVEL, whatever the chunks
            packer = zlib.compressobj(engine.ZIP_LEVEL, zlib.DEFLATED, -15)
            data = own.read(info)
            assert len(packer.compress(data) + packer.flush()) == info.compress_size
    assert list(parts_dir.iterdir()) == []


@pytest.mark.parametrize("where", ["zip thread", "packager"])
def test_a_failed_zip_leaves_no_file_and_no_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    parts_dir = tmp_path / "parts"
    parts_dir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(parts_dir))

    def broken(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    if where == "zip thread":
        monkeypatch.setattr(engine._Packager, "_store", broken)
    else:
        monkeypatch.setattr(engine._Packager, "_write_styles_file", broken)
    with pytest.raises(FileCreateError, match="No space left"):  # XlsxWriter's, as before
        _richer_book(tmp_path / "b.xlsx")
    assert list(tmp_path.glob("*.xlsx*")) == [] and list(parts_dir.iterdir()) == []


def test_a_sheet_handed_over_takes_no_more_cells(tmp_path: Path) -> None:
    book, sheet = book_with(tmp_path / "b.xlsx")
    sheet.set(1, 1, "一")
    sheet.write()
    assert sheet.rows == {} and sheet.ws.table[0][0].string == 0
    with pytest.raises(BookError, match="already handed"):
        sheet.set(2, 1, "二")
    with pytest.raises(BookError):
        sheet.merge(1, 1, 2)
    book.save()  # writes it once, not twice
    assert pc.CalamineWorkbook.from_path(str(tmp_path / "b.xlsx")).get_sheet_by_index(
        0
    ).to_python() == [["一"]]
