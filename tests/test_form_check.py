"""入力チェック: one test per finding code, each asserting code, sheet and cell."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from miedx_xl.form.check import check, check_file, check_files
from miedx_xl.plan.model import Plan

STATUS = "取組状況"
SMART = "スマート改革推進課"  # its R4 form: NO 1 on row 4, NO 2 on row 5, ...


def found(path: Path) -> list[list[object]]:
    return check_file(path).report.flatten(["code", "sheet", "cell"])


def edit(path: Path, change: Callable[[Workbook], None]) -> Path:
    wb = load_workbook(path)
    change(wb)
    wb.save(path)
    return path


def test_every_r4_form_filled_by_its_division_checks_clean(
    plan: Plan, filled: Callable[..., Path]
) -> None:
    for key in plan.divisions():
        path = filled(key, name=f"{key}.xlsx")
        result = check_file(path)
        assert result.report.flatten(["code", "sheet", "cell"]) == [], key
        assert len(result.frame(STATUS)) == len(plan.own_measures(key))


def test_blank_form_asks_for_every_required_cell(plan: Plan, blank_forms: dict[str, Path]) -> None:
    report = check_file(blank_forms["デジタル戦略企画課"]).report
    assert report.flatten() == [["cell-required", STATUS, "H4"]]
    assert "取組状況（R4）" in report.findings[0].message_ja


def test_cell_required(filled: Callable[..., Path]) -> None:
    path = filled(statuses={2: {"status_R4": "  "}})
    assert found(path) == [["cell-required", STATUS, "H5"]]


def test_cell_choice(filled: Callable[..., Path]) -> None:
    path = filled(statuses={1: {"assessment_R4": "まあまあ"}, 2: {"schedule_R5": "完了"}})
    assert found(path) == [["cell-choice", STATUS, "K4"], ["cell-choice", STATUS, "J5"]]
    msg = check_file(path).report.findings[0].message_ja
    assert "まあまあ" in msg and "順調" in msg


def test_choice_accepts_full_width_and_spaces(filled: Callable[..., Path]) -> None:
    path = filled(statuses={1: {"assessment_R4": " 順調　"}})
    assert found(path) == []


def test_text_too_long(filled: Callable[..., Path]) -> None:
    path = filled(statuses={3: {"status_R4": "あ" * 501}})
    report = check_file(path).report
    assert report.flatten(["code", "severity", "cell"]) == [["text-too-long", "warning", "H6"]]
    assert report.valid


def test_cell_type_and_range_on_indicator_and_rpa(filled: Callable[..., Path]) -> None:
    path = filled(
        indicators={
            "rpa_tasks": {"value": "十数件"},
            "rpa_hours_before": {"value": "１，２３４時間"},
        },
        rpa=[{"division": "道路管理課", "task": "橋梁点検", "hours_before": -5, "hours_after": 1}],
    )
    assert found(path) == [
        ["cell-range", "RPA効果", "C4"],
        ["cell-type", "指標", "F4"],
    ]


def test_bad_as_of_date_is_cell_type(filled: Callable[..., Path]) -> None:
    path = filled(indicators={"rpa_tasks": {"value": 12, "as_of": "そのうち"}})
    assert found(path) == [["cell-type", "指標", "G4"]]


def test_hours_increase(filled: Callable[..., Path]) -> None:
    path = filled(
        rpa=[
            {"division": "道路管理課", "task": "橋梁点検", "hours_before": 100, "hours_after": 40},
            {
                "division": "県立病院課",
                "task": "例月出納",
                "hours_before": "10",
                "hours_after": "２０",
            },
        ]
    )
    report = check_file(path).report
    assert report.flatten(["code", "sheet", "cell"]) == [["hours-increase", "RPA効果", "D5"]]
    assert "20" in report.findings[0].message_ja and "10" in report.findings[0].message_ja


def test_rpa_row_needs_division_and_task(filled: Callable[..., Path]) -> None:
    path = filled(rpa=[{"hours_before": 10, "hours_after": 5}])
    assert found(path) == [["cell-required", "RPA効果", "A4"], ["cell-required", "RPA効果", "B4"]]


def test_measure_unknown_and_foreign(filled: Callable[..., Path]) -> None:
    path = filled()

    def change(wb: Workbook) -> None:
        wb[STATUS]["A4"] = 99  # not in the plan
        wb[STATUS]["A5"] = 16  # デジタル事業推進課's measure

    report = check_file(edit(path, change)).report
    rows = report.flatten(["code", "cell"])
    assert ["measure-unknown", "A4"] in rows
    assert ["measure-foreign", "A5"] in rows
    foreign = next(f for f in report if f.code == "measure-foreign")
    assert "他の担当課" in foreign.message_ja
    # Given the plan's owners (as 取りまとめ does), the message names the owner.
    (named,) = check_files([path], owners={16: "デジタル事業推進課"})
    foreign = next(f for f in named.report if f.code == "measure-foreign")
    assert "NO 16 は デジタル事業推進課 の取組です" in foreign.message_ja


def test_duplicate_row(filled: Callable[..., Path]) -> None:
    path = edit(filled(), lambda wb: wb[STATUS].__setitem__("A5", 1))
    report = check_file(path).report
    dup = [f for f in report if f.code == "duplicate-row"]
    assert [(f.sheet, f.cell) for f in dup] == [(STATUS, "A5")]
    assert "4 行目" in dup[0].message_ja


def test_template_tampered_names_the_cell(filled: Callable[..., Path]) -> None:
    path = edit(filled(), lambda wb: wb[STATUS].__setitem__("E4", "書き換えた取組内容"))
    report = check_file(path).report
    assert report.flatten() == [["template-tampered", STATUS, "E4"]]
    assert "ＡＩ・ＲＰＡ等の新たな技術" in report.findings[0].message_ja


def test_deleted_row_is_tampering(filled: Callable[..., Path]) -> None:
    path = edit(filled(), lambda wb: wb[STATUS].delete_rows(5))
    rows = check_file(path).report.flatten()
    assert rows == [["template-tampered", STATUS, None]]


def test_sheet_missing(filled: Callable[..., Path]) -> None:
    path = edit(filled(), lambda wb: wb.remove(wb["指標"]))
    assert found(path) == [["sheet-missing", "指標", None]]


def test_header_missing_after_column_deleted(filled: Callable[..., Path]) -> None:
    path = edit(filled(), lambda wb: wb[STATUS].delete_cols(11))  # 自己評価
    rows = found(path)
    assert rows == [["header-missing", STATUS, "A3"]]
    assert "自己評価" in check_file(path).report.findings[0].message_ja


def test_moved_columns_still_read(filled: Callable[..., Path]) -> None:
    path = filled(statuses={1: {"assessment_R4": "遅れ"}})

    def swap(wb: Workbook) -> None:
        ws = wb[STATUS]
        for row in range(1, ws.max_row + 1):
            a, k = ws.cell(row=row, column=1), ws.cell(row=row, column=11)
            a.value, k.value = k.value, a.value

    result = check_file(edit(path, swap))
    assert result.report.flatten() == []
    assert result.frame(STATUS).loc[4, "assessment_R4"] == "遅れ"
    assert result.letters[STATUS]["no"] == "K"


def test_template_unknown(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active["A1"] = "自作の表"  # type: ignore[index]
    wb.save(tmp_path / "own.xlsx")
    assert found(tmp_path / "own.xlsx") == [["template-unknown", None, None]]


def test_meta_edit_is_tampering(filled: Callable[..., Path]) -> None:
    def change(wb: Workbook) -> None:
        ws = wb["_meta"]
        for row in ws.iter_rows():
            if row[0].value == "division":
                row[1].value = "デジタル事業推進課"

    rows = found(edit(filled(), change))
    assert ["template-tampered", None, None] in rows


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("notes.xlsx", b"just text, renamed", "ではありません"),
        ("empty.xlsx", b"", "空のファイル"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
        (
            "locked.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"),
            "パスワード",
        ),
    ],
)
def test_file_unreadable(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    report = check_file(path).report
    assert report.flatten(["code", "file", "sheet", "cell"]) == [
        ["file-unreadable", str(path), None, None]
    ]
    assert reason in report.findings[0].message_ja


def test_broken_zip_is_unreadable(filled: Callable[..., Path], tmp_path: Path) -> None:
    src = filled()
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(src.read_bytes()[:3000])
    assert found(broken) == [["file-unreadable", None, None]]


def test_zip_bomb_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", b"<" + b" " * (50 * 1024 * 1024))
    assert path.stat().st_size < 200_000
    assert found(path) == [["file-too-large", None, None]]


def test_size_limit(filled: Callable[..., Path]) -> None:
    result = check_file(filled(), max_bytes=1000)
    assert result.report.flatten() == [["file-too-large", None, None]]


def test_check_keeps_input_unchanged(filled: Callable[..., Path]) -> None:
    path = filled(statuses={1: {"assessment_R4": "?"}})
    before = path.read_bytes()
    check([path])
    assert path.read_bytes() == before


def test_real_password_protected_file(filled: Callable[..., Path], tmp_path: Path) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    src = filled()
    out = tmp_path / "pw.xlsx"
    with src.open("rb") as fin, out.open("wb") as fout:
        OOXMLFile(fin).encrypt("secret", fout)
    report = check_file(out).report
    assert report.flatten() == [["file-unreadable", None, None]]
    assert "パスワード" in report.findings[0].message_ja


def test_copy_of_form_keeps_working(filled: Callable[..., Path], tmp_path: Path) -> None:
    src = filled()
    copy = tmp_path / "コピー.xlsx"
    shutil.copy(src, copy)
    assert found(copy) == []
