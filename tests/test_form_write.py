"""The division form: structure, Excel-native help, LibreOffice round trip, fuzzed input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from miedx_xl.form.check import check_file
from miedx_xl.form.layout import META_SHEET, form_file_name
from miedx_xl.form.write import fill_form
from miedx_xl.plan.model import Plan
from miedx_xl.xlsx.office import convert
from tests.conftest import R4, require_soffice

SMART = "スマート改革推進課"


def test_one_form_per_division_named_by_year_and_division(
    plan: Plan, blank_forms: dict[str, Path]
) -> None:
    names = sorted(p.name for p in blank_forms.values())
    assert names == sorted(
        [
            "R4_取組状況調査_デジタル改革推進課.xlsx",
            "R4_取組状況調査_デジタル事業推進課.xlsx",
            "R4_取組状況調査_デジタル戦略企画課.xlsx",
        ]
    )
    assert form_file_name(R4, "デジタル改革推進課") in names


def test_form_rows_are_the_divisions_own_measures(blank_forms: dict[str, Path]) -> None:
    ws = load_workbook(blank_forms[SMART])["取組状況"]
    nos = [ws.cell(row=r, column=1).value for r in range(4, ws.max_row + 1)]
    # Re-listed NO 7 and 8 appear once, under NO 2 and 3; NO 4 once (not its （参考） row).
    assert nos == [1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 28, 30, 31]
    assert ws["F4"].value == "デジタル改革推進課"  # the division's R4 name
    assert ws["G4"].value == "R2年度：28業務、R3年度：13業務にＲＰＡを導入"
    assert ws["I4"].value == "実施"  # schedule pre-filled from the plan


def test_locked_and_input_cells_protection_and_help(blank_forms: dict[str, Path]) -> None:
    wb = load_workbook(blank_forms[SMART])
    ws = wb["取組状況"]
    assert ws.protection.sheet is True
    assert ws["E4"].protection.locked is True
    assert ws["H4"].protection.locked is False and ws["K4"].protection.locked is False
    assert ws["E4"].fill.fgColor.rgb.endswith("E7E6E6")
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    # Dropdowns read a range of the hidden list sheet (an inline list is capped at 255 chars).
    assert lists["K4:K22"] == "'_lists'!$B$1:$B$4"
    assert lists["H4:H22"] == "500"
    assert lists["I4:I22"] == lists["J4:J22"] == "'_lists'!$A$1:$A$11"
    words = wb["_lists"]
    assert [c.value for c in words["B"] if c.value] == ["順調", "概ね順調", "遅れ", "未着手"]
    assert [c.value for c in words["A"]][:2] == ["検討", "実施"]
    assert words.sheet_state == "veryHidden" and words.protection.sheet
    prompts = [dv.prompt for dv in ws.data_validations.dataValidation]
    assert all(prompts)
    cf = [str(rng.sqref) for rng in ws.conditional_formatting]
    assert "H4:H22" in cf and "I4:I22" in cf and "K4:K22" not in cf
    assert ws.freeze_panes == "B4"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.print_title_rows == "$3:$3"
    assert wb[META_SHEET].sheet_state == "veryHidden"
    assert wb.sheetnames[:4] == ["記入要領", "取組状況", "指標", "RPA効果"]


def test_indicator_sheet_holds_previous_values(blank_forms: dict[str, Path]) -> None:
    ws = load_workbook(blank_forms[SMART])["指標"]
    rows = {ws.cell(row=r, column=1).value: r for r in range(4, ws.max_row + 1)}
    r = rows["rpa_hours_before"]
    assert ws.cell(row=r, column=4).value == "時間"
    assert ws.cell(row=r, column=5).value == "2,681（R3）"
    assert not any(str(k).endswith("_reported") for k in rows)


def test_forms_round_trip_through_libreoffice(filled: Callable[..., Path], tmp_path: Path) -> None:
    require_soffice()
    src = filled(
        statuses={1: {"assessment_R4": "まあまあ"}, 2: {"status_R4": ""}},
        indicators={"rpa_hours_before": {"value": "１，２３４"}, "rpa_tasks": {"value": "多数"}},
        rpa=[{"division": "道路管理課", "task": "橋梁点検", "hours_before": 10, "hours_after": 12}],
    )
    (resaved,) = convert([src], tmp_path / "lo", to="xlsx")
    ours, theirs = check_file(src), check_file(resaved)
    assert theirs.report.flatten() == ours.report.flatten()
    assert ["cell-choice", "取組状況", "K4"] in theirs.report.flatten()
    for sheet in ours.sheets:
        frame = ours.frame(sheet)
        assert theirs.frame(sheet).astype(str).equals(frame.astype(str)), sheet


cell_values = st.one_of(
    st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=60),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)),
    st.sampled_from(["=1+1", "=A1", "+81", "-5", "@SUM(A1)", '=HYPERLINK("x")', "#N/A"]),
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    status=st.dictionaries(
        st.sampled_from(["status_R4", "schedule_R4", "schedule_R5", "assessment_R4", "issues_R4"]),
        cell_values,
    ),
    value=cell_values,
    rpa=st.fixed_dictionaries(
        {
            "division": cell_values,
            "task": cell_values,
            "hours_before": cell_values,
            "hours_after": cell_values,
        }
    ),
)
def test_check_never_raises_and_every_problem_has_a_cell(
    blank_forms: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
    status: dict[str, Any],
    value: Any,
    rpa: dict[str, Any],
) -> None:
    out = tmp_path_factory.mktemp("fuzz") / "f.xlsx"
    fill_form(
        blank_forms["デジタル戦略企画課"],
        out,
        statuses={34: status},
        indicators={"dx_projects": {"value": value, "as_of": value}},
        rpa=[rpa],
    )
    report = check_file(out).report
    assert all(f.cell for f in report), report.flatten()
    assert all(f.message_ja and f.message_en for f in report)


def test_formula_cells_are_read_by_their_cached_values(
    filled: Callable[..., Path], tmp_path: Path
) -> None:
    """Excel (here LibreOffice) caches formula results; the check reads those values."""
    require_soffice()
    path = filled(rpa=[{"division": "道路管理課", "task": "橋梁点検", "hours_after": 3}])
    wb = load_workbook(path)
    wb["RPA効果"]["C4"] = "=1200+3"  # a live formula, not text
    wb["取組状況"]["K4"] = '="順"&"調"'
    wb.save(path)
    (resaved,) = convert([path], tmp_path / "lo", to="xlsx")
    result = check_file(resaved)
    assert result.report.flatten() == []
    assert result.frame("RPA効果").loc[4, "hours_before"] == 1203
    assert result.frame("取組状況").loc[4, "assessment_R4"] == "順調"


def test_rows_fit_their_read_only_texts_and_give_input_room(
    blank_forms: dict[str, Path],
) -> None:
    """A long 取組内容 or last year's 取組状況 is not cut to one line; the header fits."""
    from miedx_xl.xlsx.book import LINE_EM, text_height

    ws = load_workbook(blank_forms[SMART])["取組状況"]
    header = {c.value: c.column_letter for c in ws[3] if c.value}
    history = header["取組状況（R3）"]
    heights = {r: ws.row_dimensions[r].height for r in range(3, ws.max_row + 1)}
    assert heights[3] is not None and heights[3] >= 2 * 11 * LINE_EM  # 「スケジュール（R4）※」
    width = ws.column_dimensions[history].width
    for r in range(4, ws.max_row + 1):
        text = ws[f"{history}{r}"].value or ""
        need = text_height(text, width - 0.72, 11)  # the file holds XlsxWriter's padded width
        assert heights[r] is not None and heights[r] >= min(need, 409) - 1, r
        assert heights[r] >= 5 * 11 * LINE_EM  # room for several lines of 取組状況（R4）


def test_many_phase_words_keep_a_valid_dropdown(plan: Plan, tmp_path: Path) -> None:
    """Phase words of more than 255 characters in all: the list range still holds them all,
    and a fresh form has no finding but its empty required inputs."""
    from dataclasses import replace

    from miedx_xl.form.write import make_forms

    words = tuple(f"段階{i:02d}の長い名前の語" for i in range(30))
    assert len(",".join(words)) > 255
    grown = replace(plan, phases=(*plan.phases, *words))
    form = make_forms(grown, R4, tmp_path)[0]
    wb = load_workbook(form)
    lists = {str(dv.sqref): dv.formula1 for dv in wb["取組状況"].data_validations.dataValidation}
    n = len(grown.phases)
    assert lists["I4:I22"] == f"'_lists'!$A$1:$A${n}"
    assert [c.value for c in wb["_lists"]["A"]] == list(grown.phases)
    # Only the empty required inputs of a form nobody filled in: the list sheet is no finding.
    assert {f.code for f in check_file(form).report} == {"cell-required"}
