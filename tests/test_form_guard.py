"""A sheet's used extent, read from its XML in blocks, whatever the block boundaries cut."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from miedx_xl.form import guard

SHEET = (
    '<worksheet><dimension ref="A1"/><sheetData>'
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="N1"/></row>'
    '<row r="7"><c r="C7"><v>3</v></c></row>'
    '<row r="1048576"><c s="1" r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    '</sheetData><mergeCells><mergeCell ref="A1:ZZ9"/></mergeCells></worksheet>'
)


@pytest.mark.parametrize("block", [7, 13, 64, 1 << 20])
def test_extent_is_the_same_for_any_block_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    path = tmp_path / "s.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/worksheets/sheet1.xml", SHEET)
    monkeypatch.setattr(guard, "SCAN_BLOCK", block)
    with zipfile.ZipFile(path) as zf:
        found = guard.extent(zf, "xl/worksheets/sheet1.xml")
    assert (found.rows, found.columns, found.cells) == (1_048_576, 16_384, 4)
    assert found.cell() == "XFD1048576" and found.too_large()
