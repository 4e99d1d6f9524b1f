"""The xlwings bridge on xlwings' JSON-backed Book (the xlwings Server engine), no Excel.

Each payload is built from a real form file the way Excel would send it: every sheet's
values from A1 (read with python-calamine), its visibility, and the cells that carry a note.
The assertions are on the actions the bridge queued (`book.json()`): which function, on
which sheet, at which cell.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import python_calamine as pc
from openpyxl import Workbook, load_workbook

from miedx_xl import xl
from miedx_xl.consolidation import consolidate
from miedx_xl.form.check import check_file
from miedx_xl.form.layout import RESULT_SHEET
from miedx_xl.form.live import NO_FINDINGS, NOTE_OURS, RESULT_HEADER
from miedx_xl.form.mark import MARK_AUTHOR, SEVERITY_JA
from miedx_xl.form.source import column_letter
from miedx_xl.master.write import write_master
from miedx_xl.normalize import FiscalYear
from miedx_xl.plan.model import Plan
from miedx_xl.settings import SETTING_ROWS, SETTINGS_SHEET
from tests.conftest import require_soffice

STATUS = "取組状況"
RED = "#FF9999"
WHITE = "#FFFFFF"  # input cells of a form
GREY = "#E7E6E6"  # locked cells of a form

Action = dict[str, Any]


@pytest.fixture
def xw(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ModuleType:
    """xlwings with its JSON-backed engine: the test, not the library, sets the licence key."""
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "localappdata"))
    import xlwings

    if "remote" not in [engine.name for engine in xlwings.engines]:
        # xlwings registers its PRO engines at import, which may have run without the key.
        from xlwings.pro import _xlremote

        xlwings.engines.add(xlwings.Engine(impl=_xlremote.engine))
    return xlwings


# --- payloads and actions ----------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value


def sheet_payload(
    name: str, values: list[list[Any]], visibility: str = "Visible"
) -> dict[str, Any]:
    """One sheet as the Office.js client sends it."""
    return {
        "name": name,
        "values": values or [[]],
        "visibility": visibility,
        "pictures": [],
        "tables": [],
        "charts": [],
        "shapes": [],
        "pivot_tables": [],
        "notes": [],
    }


def payload_of(path: Path) -> dict[str, Any]:
    """A workbook file as the payload Excel would send: values, visibility and notes."""
    calamine = pc.CalamineWorkbook.from_path(str(path))
    notes = {
        ws.title: [{"address": c.coordinate} for row in ws.iter_rows() for c in row if c.comment]
        for ws in load_workbook(path).worksheets
    }
    sheets = []
    for meta in calamine.sheets_metadata:
        rows = calamine.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
        visibility = str(meta.visible).rsplit(".", 1)[-1]
        sheet = sheet_payload(meta.name, [[_json_value(v) for v in r] for r in rows], visibility)
        sheet["notes"] = notes.get(meta.name, [])
        sheets.append(sheet)
    payload = {
        "client": "Office.js",
        "version": "0.37.8",
        "book": {"name": path.name, "active_sheet_index": 1, "selection": "A1"},
        "names": [],
        "sheets": sheets,
    }
    return json.loads(json.dumps(payload, ensure_ascii=False))


def run(xw: ModuleType, button: str, payload: dict[str, Any]) -> list[Action]:
    """Press a ribbon button on a book made from `payload`; the actions it queued."""
    book = xw.Book(json=copy.deepcopy(payload))  # the engine mutates its payload
    xl.dispatch(button, book)
    actions: list[Action] = book.json()["actions"]
    return actions


def on_sheets(actions: list[Action], names: list[str]) -> Iterator[tuple[str | None, Action]]:
    """Each action with the name of its sheet, following sheets being added and deleted."""
    names = list(names)
    for a in actions:
        position = a["sheet_position"]
        sheet = names[position] if position is not None and position < len(names) else None
        if a["func"] == "addSheet":
            names.insert(a["args"][0], a["args"][1])
        elif a["func"] == "sheetDelete":
            del names[position]
        yield sheet, a


def cell(a: Action) -> str:
    return f"{column_letter(a['start_column'])}{a['start_row'] + 1}"


def note_cell(a: Action) -> str:
    return str(a["args"][0]).replace("$", "")


def funcs(actions: list[Action], func: str, names: list[str]) -> list[tuple[str | None, Action]]:
    return [(s, a) for s, a in on_sheets(actions, names) if a["func"] == func]


def names_of(payload: dict[str, Any]) -> list[str]:
    return [s["name"] for s in payload["sheets"]]


def alerts(actions: list[Action]) -> list[list[Any]]:
    return [a["args"] for a in actions if a["func"] == "alert"]


# --- forms with problems -----------------------------------------------------------------


@pytest.fixture
def bad_form(filled: Callable[..., Path]) -> Path:
    """A form with errors and warnings on three sheets, one of them on a locked cell."""
    path = filled(
        statuses={
            1: {"assessment_R4": "まあまあ"},
            2: {"status_R4": "  "},
            3: {"status_R4": "あ" * 501},
        },
        indicators={"rpa_tasks": {"value": "十数件"}},
        rpa=[{"division": "道路管理課", "task": "橋梁点検", "hours_before": 10, "hours_after": 20}],
    )
    wb = load_workbook(path)
    wb[STATUS]["E4"] = "書き換えた取組内容"  # a locked cell: template-tampered
    wb.save(path)
    return path


def test_check_marks_exactly_the_cells_the_command_line_names(
    xw: ModuleType, bad_form: Path
) -> None:
    expected = check_file(bad_form).report
    cells = {(f.sheet, f.cell) for f in expected if f.cell}
    assert len(cells) >= 5 and {s for s, _ in cells} == {STATUS, "指標", "RPA効果"}
    payload = payload_of(bad_form)
    names = names_of(payload)

    actions = run(xw, "check", payload)

    painted = {
        (s, cell(a)) for s, a in funcs(actions, "setRangeColor", names) if a["args"] == [RED]
    }
    assert painted == cells
    noted = {(s, note_cell(a)): a["args"][1] for s, a in funcs(actions, "addNote", names)}
    assert set(noted) == cells
    for f in expected:
        text = noted[(f.sheet, f.cell)]
        assert text.startswith(MARK_AUTHOR) and f.message_ja in text
    # The marks come first, then the result sheet in front, then the message.
    assert [a["args"] for a in actions if a["func"] == "addSheet"] == [[0, RESULT_SHEET]]
    (written,) = [a for s, a in funcs(actions, "setValues", names) if s == RESULT_SHEET]
    assert cell(written) == "A1"
    header, *rows = written["values"]
    assert header == RESULT_HEADER
    assert [r[:6] for r in rows] == [
        [SEVERITY_JA[f.severity], f.code, f.sheet, f.cell, f.message_ja, f.message_en]
        for f in expected
    ]
    undo = {(r[2], r[3]): r[6:] for r in rows}
    assert undo[(STATUS, "E4")] == [GREY, NOTE_OURS]  # 取組内容 is locked
    assert undo[(STATUS, "K4")] == [WHITE, NOTE_OURS]  # 自己評価 is an input
    links = {cell(a): a["args"][0] for s, a in funcs(actions, "addHyperlink", names)}
    assert links == {f"D{i}": f"#'{f.sheet}'!{f.cell}" for i, f in enumerate(expected, start=2)}
    ((text, title, _, mode, _),) = alerts(actions)
    assert (title, mode) == ("みえDX進捗", "info")
    counts = (
        f"エラー {expected.count('error')} 件、警告 {expected.count('warning')} 件、"
        f"情報 {expected.count('info')} 件"
    )
    assert counts in text and expected.count("error") == 4 and expected.count("warning") == 2


def test_check_reads_unsaved_values_not_the_file(
    xw: ModuleType, filled: Callable[..., Path]
) -> None:
    path = filled()
    payload = payload_of(path)
    status = next(s for s in payload["sheets"] if s["name"] == STATUS)
    status["values"][3][10] = "まあまあ"  # K4, typed in Excel and not saved
    actions = run(xw, "check", payload)
    painted = [(s, cell(a)) for s, a in funcs(actions, "setRangeColor", names_of(payload))]
    assert painted[0] == (STATUS, "K4")
    assert check_file(path).report.valid  # the file on disk is clean
    assert "エラー 1 件" in alerts(actions)[0][0]


def test_check_of_a_clean_form_says_so(xw: ModuleType, filled: Callable[..., Path]) -> None:
    payload = payload_of(filled())
    actions = run(xw, "check", payload)
    assert not [a for a in actions if a["func"] == "addNote" or a["args"] == [RED]]
    (written,) = [a for s, a in funcs(actions, "setValues", names_of(payload)) if s == RESULT_SHEET]
    assert written["values"][1][0] == NO_FINDINGS
    assert "エラー 0 件、警告 0 件、情報 0 件" in alerts(actions)[0][0]


def test_check_refuses_a_workbook_that_is_not_a_form(xw: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "other.xlsx"
    wb = Workbook()
    assert wb.active is not None
    wb.active["A1"] = "売上"
    wb.save(path)
    actions = run(xw, "check", payload_of(path))
    assert [a["func"] for a in actions] == ["alert"]
    text, _, _, mode, _ = alerts(actions)[0]
    assert mode == "critical" and "調査票ではない" in text and "\nTraceback" not in text


def after(payload: dict[str, Any], actions: list[Action]) -> dict[str, Any]:
    """The payload Excel would send once it has applied the actions (sheet added, notes)."""
    out = copy.deepcopy(payload)
    names = names_of(payload)
    for sheet, a in on_sheets(actions, names):
        if a["func"] == "addSheet":
            out["sheets"].insert(a["args"][0], sheet_payload(a["args"][1], []))
        elif a["func"] == "setValues" and sheet == RESULT_SHEET:
            out["sheets"][0]["values"] = a["values"]
        elif a["func"] == "addNote":
            target = next(s for s in out["sheets"] if s["name"] == sheet)
            target["notes"].append({"address": a["args"][0]})
    return out


def test_clear_undoes_exactly_what_check_did(xw: ModuleType, bad_form: Path) -> None:
    payload = payload_of(bad_form)
    checked = run(xw, "check", payload)
    marked = after(payload, checked)
    names = names_of(marked)
    red = [
        (s, a) for s, a in funcs(checked, "setRangeColor", names_of(payload)) if a["args"] == [RED]
    ]
    cells = {(s, cell(a)) for s, a in red}

    actions = run(xw, "clear", marked)

    restored = {(s, cell(a)): a["args"][0] for s, a in funcs(actions, "setRangeColor", names)}
    assert set(restored) == cells
    assert restored[(STATUS, "E4")] == GREY and restored[(STATUS, "K4")] == WHITE
    deleted = {(s, note_cell(a)) for s, a in funcs(actions, "deleteNote", names)}
    assert deleted == cells
    assert [s for s, _ in funcs(actions, "sheetDelete", names)] == [RESULT_SHEET]
    assert alerts(actions)[0][0] == f"チェック表示を消しました（{len(cells)} か所）。"


def test_clear_leaves_notes_it_did_not_add(xw: ModuleType, bad_form: Path) -> None:
    payload = payload_of(bad_form)
    status = next(s for s in payload["sheets"] if s["name"] == STATUS)
    status["notes"].append({"address": "K4"})  # the division's own note on a flagged cell
    checked = run(xw, "check", payload)
    noted = {(s, note_cell(a)) for s, a in funcs(checked, "addNote", names_of(payload))}
    assert (STATUS, "K4") not in noted and (STATUS, "E4") in noted
    marked = after(payload, checked)
    actions = run(xw, "clear", marked)
    deleted = {(s, note_cell(a)) for s, a in funcs(actions, "deleteNote", names_of(marked))}
    assert deleted == noted
    painted = {(s, cell(a)) for s, a in funcs(actions, "setRangeColor", names_of(marked))}
    assert (STATUS, "K4") in painted  # its fill is still restored


def test_check_again_first_removes_the_earlier_marks(xw: ModuleType, bad_form: Path) -> None:
    payload = payload_of(bad_form)
    marked = after(payload, run(xw, "check", payload))
    actions = run(xw, "check", marked)
    order = [a["func"] for a in actions if a["func"] in ("sheetDelete", "addSheet")]
    assert order == ["sheetDelete", "addSheet"]
    first_red = next(i for i, a in enumerate(actions) if a["args"] == [RED])
    assert all(a["func"] != "deleteNote" for a in actions[first_red:])


def test_clear_without_result_sheet_says_so(xw: ModuleType, filled: Callable[..., Path]) -> None:
    actions = run(xw, "clear", payload_of(filled()))
    assert [a["func"] for a in actions] == ["alert"]
    assert "ありません" in alerts(actions)[0][0]


# --- the secretariat's buttons -----------------------------------------------------------


def settings_payload(rows: list[list[Any]]) -> dict[str, Any]:
    """A workbook with a blank first sheet and a 設定 sheet."""
    return {
        "client": "Office.js",
        "version": "0.37.8",
        "book": {"name": "事務局.xlsx", "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": [sheet_payload("Sheet1", [[""]]), sheet_payload(SETTINGS_SHEET, rows)],
    }


def settings_rows(tmp_path: Path, fy: str = "R4") -> list[list[Any]]:
    # Rows found by label, in any order, with full-width text as typed in Excel.
    return [
        ["項目", "値", "説明"],
        ["取りまとめ結果", str(tmp_path / "master.xlsx"), ""],
        ["年度", fy, ""],
        ["提出フォルダ", str(tmp_path / "inbox"), ""],
        ["様式フォルダ", str(tmp_path / "forms"), ""],
        ["ＰＤＦフォルダ", str(tmp_path / "pdf"), ""],
    ]


def test_settings_creates_the_sheet_with_defaults(xw: ModuleType) -> None:
    payload = settings_payload([])
    payload["sheets"].pop()
    actions = run(xw, "settings", payload)
    assert [a["args"] for a in actions if a["func"] == "addSheet"] == [[1, SETTINGS_SHEET]]
    (written,) = [a for s, a in funcs(actions, "setValues", ["Sheet1"]) if s == SETTINGS_SHEET]
    labels = [row[0] for row in written["values"][1:]]
    assert labels == [label for label, _, _ in SETTING_ROWS]
    fy = written["values"][1][1]
    assert fy.startswith("R") and FiscalYear(int(fy[1:]))
    assert any(a["func"] == "activateSheet" for a in actions)


def test_consolidate_without_settings_creates_them_and_stops(
    xw: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    import miedx_xl.consolidation

    def fail(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("consolidate must wait for the settings")

    monkeypatch.setattr(miedx_xl.consolidation, "consolidate", fail)
    payload = settings_payload([])
    payload["sheets"].pop()
    actions = run(xw, "consolidate", payload)
    assert [a["args"][1] for a in actions if a["func"] == "addSheet"] == [SETTINGS_SHEET]
    (text, _, _, mode, _) = alerts(actions)[0]
    assert mode == "info" and "設定" in text and "もう一度" in text


def test_consolidate_uses_the_settings_and_writes_the_master(
    xw: ModuleType,
    plan: Plan,
    filled: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import miedx_xl.consolidation

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    keys = plan.divisions()[:2]
    for key in keys:
        shutil.copy(filled(key, name=f"{key}.xlsx"), inbox / f"{key}.xlsx")
    calls: list[tuple[Path, FiscalYear]] = []
    real = miedx_xl.consolidation.consolidate

    def spy(folder: Path, fy: FiscalYear, *args: Any, **kwargs: Any) -> Any:
        calls.append((folder, fy))
        return real(folder, fy, *args, **kwargs)

    monkeypatch.setattr(miedx_xl.consolidation, "consolidate", spy)
    actions = run(xw, "consolidate", settings_payload(settings_rows(tmp_path, fy="Ｒ４")))

    assert calls == [(inbox, FiscalYear(4))]
    master = tmp_path / "master.xlsx"
    assert master.is_file()
    assert len(pc.CalamineWorkbook.from_path(str(master)).sheet_names) >= 4
    ((text, _, _, mode, _),) = alerts(actions)
    assert mode == "info" and str(master) in text and "提出済 2" in text


def test_consolidate_with_missing_inbox_explains(xw: ModuleType, tmp_path: Path) -> None:
    actions = run(xw, "consolidate", settings_payload(settings_rows(tmp_path)))
    text, _, _, mode, _ = alerts(actions)[0]
    assert mode == "critical" and "提出フォルダ" in text and str(tmp_path / "inbox") in text


def test_forms_writes_one_form_per_division(xw: ModuleType, plan: Plan, tmp_path: Path) -> None:
    actions = run(xw, "forms", settings_payload(settings_rows(tmp_path)))
    written = sorted((tmp_path / "forms").glob("R4_*.xlsx"))
    assert len(written) == len(plan.divisions())
    assert f"{len(written)} 件" in alerts(actions)[0][0]


def test_forms_from_last_years_master(
    xw: ModuleType, plan: Plan, filled: Callable[..., Path], tmp_path: Path
) -> None:
    from miedx_xl.consolidation import consolidate
    from miedx_xl.master.write import write_master

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(filled(), inbox / "form.xlsx")
    master = write_master(consolidate(inbox, FiscalYear(4)), tmp_path / "R4.xlsx")
    rows = [*settings_rows(tmp_path, fy="R5"), ["様式の元にする取りまとめ結果", str(master), ""]]
    actions = run(xw, "forms", settings_payload(rows))
    assert len(list((tmp_path / "forms").glob("R5_*.xlsx"))) == len(plan.divisions())
    assert "令和5年度" in alerts(actions)[0][0]


def test_forms_from_a_file_that_is_not_a_master(xw: ModuleType, tmp_path: Path) -> None:
    other = tmp_path / "他のブック.xlsx"
    Workbook().save(other)
    rows = [*settings_rows(tmp_path), ["様式の元にする取りまとめ結果", str(other), ""]]
    text, _, _, mode, _ = alerts(run(xw, "forms", settings_payload(rows)))[0]
    assert mode == "critical" and "他のブック.xlsx" in text and "Traceback" not in text
    assert not (tmp_path / "forms").exists()


def test_pdf_needs_the_master_first(xw: ModuleType, tmp_path: Path) -> None:
    actions = run(xw, "pdf", settings_payload(settings_rows(tmp_path)))
    text, _, _, mode, _ = alerts(actions)[0]
    assert mode == "critical" and "取りまとめ" in text


def test_pdf_converts_the_master(xw: ModuleType, tmp_path: Path) -> None:
    require_soffice()
    (tmp_path / "empty").mkdir()
    result = consolidate(tmp_path / "empty", FiscalYear(3), archive=tmp_path / "arc")
    write_master(result, tmp_path / "master.xlsx")
    actions = run(xw, "pdf", settings_payload(settings_rows(tmp_path)))
    assert (tmp_path / "pdf" / "master.pdf").is_file()
    assert str(tmp_path / "pdf" / "master.pdf") in alerts(actions)[0][0]


def test_pdf_refuses_a_workbook_that_is_not_a_master(xw: ModuleType, tmp_path: Path) -> None:
    wb = Workbook()
    assert wb.active is not None
    wb.active["A1"] = "取りまとめ"
    wb.save(tmp_path / "master.xlsx")
    actions = run(xw, "pdf", settings_payload(settings_rows(tmp_path)))
    text, _, _, mode, _ = alerts(actions)[0]
    assert mode == "critical" and "取りまとめ結果" in text and "PDF にしません" in text
    assert not (tmp_path / "pdf" / "master.pdf").exists()


# --- errors ------------------------------------------------------------------------------


def test_an_exception_becomes_a_short_message_and_a_log_entry(
    xw: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(book: Any) -> None:
        raise KeyError("列が見つからない")

    monkeypatch.setitem(xl.BUTTONS, "check", broken)
    actions = run(xw, "check", settings_payload([]))
    ((text, _, _, mode, _),) = alerts(actions)
    log = tmp_path / "localappdata" / "miedx" / "miedx.log"
    assert mode == "critical" and "KeyError" in text and str(log) in text
    assert "Traceback" not in text and len(text.splitlines()) <= 3
    assert "button=check" in log.read_text(encoding="utf-8")
    assert "Traceback" in log.read_text(encoding="utf-8")


def test_unknown_button_says_so(xw: ModuleType) -> None:
    actions = run(xw, "nosuchbutton", settings_payload([]))
    assert "nosuchbutton" in alerts(actions)[0][0]


def test_importing_the_bridge_does_not_import_xlwings() -> None:
    import subprocess
    import sys

    code = "import sys, miedx_xl.xl; print('xlwings' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
