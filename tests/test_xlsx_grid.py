"""Grid sheets: cells serialised as text into a workbook openpyxl writes, read back by
openpyxl, python-calamine and LibreOffice."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import python_calamine as pc
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from miedx_xl.xlsx.grid import (
    EXCEL_MAX_TEXT,
    MAX_HEIGHT,
    Grid,
    GridError,
    excel_length,
    save,
    text_height,
    xml_text,
)
from miedx_xl.xlsx.office import convert
from miedx_xl.xlsx.sheets import put
from tests.conftest import require_soffice

TEXTS = [
    "=SUM(A1)",  # formula-like: stays text
    " 先頭の空白",
    "一行目\n二行目",
    "制御\x0b文字",
    "そのまま _x0041_ と書いた",
    "a & <b> > c",
    "タブ\t末尾 ",
]


def grid_book(tmp_path: Path) -> tuple[Path, Grid]:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "表"
    ws.column_dimensions["A"].width = 20
    ws.freeze_panes = "A2"
    grid = Grid(ws)
    thin = Side(style="thin")
    bold = grid.style(
        "bold",
        font=Font(bold=True, sz=12),
        fill=PatternFill("solid", fgColor="BDD7EE"),
        border=Border(left=thin, right=thin, top=thin, bottom=thin),
        alignment=Alignment(wrap_text=True, vertical="top"),
    )
    money = grid.style("money", number_format='"約"#,##0')
    for r, text in enumerate(TEXTS, start=1):
        grid.set(r, 1, text, bold)
    grid.set_row(1, [3, 2.5, True, None], [0, money, 0, bold], first=2)
    grid.merge(3, 2, 4)
    grid.heights[2] = 33.3
    path = tmp_path / "grid.xlsx"
    save(wb, path, [grid])
    return path, grid


def test_style_names_register_once(tmp_path: Path) -> None:
    grid = Grid(Workbook().create_sheet("x"))
    first = grid.style("a", font=Font(bold=True))
    assert grid.style("a") == first
    assert grid.style("b", font=Font(italic=True)) != first


def test_values_styles_merges_and_heights_read_back_by_openpyxl(tmp_path: Path) -> None:
    path, _ = grid_book(tmp_path)
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
    assert ws.row_dimensions[2].height == 33.3
    assert ws.dimensions == "A1:E7"
    assert ws.freeze_panes == "A2"


def test_every_text_round_trips_through_calamine(tmp_path: Path) -> None:
    path, _ = grid_book(tmp_path)
    rows = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("表").to_python()
    assert [row[0] for row in rows] == TEXTS
    assert rows[0][1:4] == [3, 2.5, True]


def test_xml_escapes() -> None:
    assert xml_text("a&b<c>d") == "a&amp;b&lt;c&gt;d"
    assert xml_text("x\x0by") == "x_x000B_y"
    assert xml_text("_x0041_") == "_x005F_x0041_"
    assert xml_text("行1\r\n行2") == "行1&#13;\n行2"


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
    ws = Workbook().active
    assert ws is not None
    grid = Grid(ws)
    for r, text in enumerate(texts, start=1):
        grid.set(r, 1, text)
    path = tmp_path_factory.mktemp("any") / "t.xlsx"
    save(ws.parent, path, [grid])
    sheet = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(ws.title)
    rows = sheet.to_python(skip_empty_area=False)
    # XML cannot keep a lone CR (it reads as LF) unless written as &#13;, which we do.
    assert [r[0] for r in rows] + [""] * (len(texts) - len(rows)) == texts


def test_a_sheet_with_openpyxl_cells_beside_a_grid_is_refused(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    grid = Grid(ws)
    ws["A1"] = "x"
    with pytest.raises(GridError, match="openpyxl cells"):
        save(wb, tmp_path / "x.xlsx", [grid])
    assert not (tmp_path / "x.xlsx").exists()


def test_other_parts_are_copied_unchanged(tmp_path: Path) -> None:
    path, grid = grid_book(tmp_path)
    plain = tmp_path / "plain.xlsx"
    grid.wb.save(plain)  # the same workbook as openpyxl alone writes it (no cells in 表)
    with zipfile.ZipFile(path) as zf, zipfile.ZipFile(plain) as ref:
        assert zf.namelist() == ref.namelist()
        for name in ("xl/styles.xml", "xl/workbook.xml", "[Content_Types].xml"):
            assert zf.read(name) == ref.read(name)
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count("<sheetData>") == 1 and '<dimension ref="A1:E7"/>' in sheet
    assert sheet.index("</sheetData>") < sheet.index("<mergeCells") < sheet.index("<pageMargins")


def test_text_height_counts_wrapped_lines() -> None:
    one = text_height("短い", 20, 10)
    # 20 units = 136 px = 20.4 half-width columns of 10 pt: 10 Japanese characters a line
    assert text_height("あ" * 40, 20, 10) == pytest.approx(4 * (one - 3) + 3)
    assert text_height("あ" * 10, 20, 10) == one
    assert text_height("一\n二\n三", 20, 10) == pytest.approx(3 * (one - 3) + 3)


def test_libreoffice_keeps_values_merges_and_heights(tmp_path: Path) -> None:
    require_soffice()
    path, _ = grid_book(tmp_path)
    (resaved,) = convert([path], tmp_path / "lo", to="xlsx")
    ws = load_workbook(resaved)["表"]
    rows = pc.CalamineWorkbook.from_path(str(resaved)).get_sheet_by_name("表").to_python()
    assert [row[0] for row in rows] == TEXTS
    assert [str(r) for r in ws.merged_cells.ranges] == ["B3:D3"]
    assert ws.row_dimensions[2].height == pytest.approx(33.3, abs=0.5)  # LibreOffice rounds
    assert ws["A1"].font.b


def test_a_text_longer_than_a_cell_holds_is_cut_with_a_note(tmp_path: Path) -> None:
    ws = Workbook().active
    assert ws is not None
    grid = Grid(ws)
    grid.set(1, 1, "あ" * 40_000)
    grid.set(2, 1, "い" * EXCEL_MAX_TEXT)  # exactly what fits: kept whole
    save(ws.parent, tmp_path / "long.xlsx", [grid])
    rows = pc.CalamineWorkbook.from_path(str(tmp_path / "long.xlsx")).get_sheet_by_name(ws.title)
    cut, whole = (r[0] for r in rows.to_python())
    assert len(cut) == EXCEL_MAX_TEXT and cut.startswith("ああ")
    assert cut.endswith("…（以下省略：全 40,000 文字。提出ファイルを参照してください）")
    assert whole == "い" * EXCEL_MAX_TEXT


def test_excel_counts_utf16_units_and_a_cut_never_splits_a_character(tmp_path: Path) -> None:
    text = "𠮷" * 20_000  # 20,000 characters, 40,000 UTF-16 units: over the limit
    ws = Workbook().active
    assert ws is not None
    grid = Grid(ws)
    grid.set(1, 1, text)
    grid.set(3, 1, "あ" * 2000, grid.style("wrap", alignment=Alignment(wrap_text=True)))
    grid.set_row(5, [], [])  # an empty row changes nothing
    grid.fit_rows(1, 5)
    save(ws.parent, tmp_path / "u.xlsx", [grid])
    rows = pc.CalamineWorkbook.from_path(str(tmp_path / "u.xlsx")).get_sheet_by_name(ws.title)
    cut = rows.to_python()[0][0]
    assert excel_length(cut) <= EXCEL_MAX_TEXT and cut.startswith("𠮷𠮷")
    assert "\ufffd" not in cut and cut.endswith("全 40,000 文字。提出ファイルを参照してください）")
    assert grid.heights[3] == MAX_HEIGHT  # Excel's tallest row
    assert load_workbook(tmp_path / "u.xlsx")[ws.title].dimensions == "A1:A3"
