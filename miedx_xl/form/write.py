"""Writing a division's form: the workbook a 担当課 fills in for one fiscal year.

A new form is written with XlsxWriter (`xlsx.book`); `fill_form`, which fills a written
form as a division would, edits it with openpyxl.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.worksheet.worksheet import Worksheet
from xlsxwriter.utility import xl_col_to_name, xl_range_abs

from miedx_xl.errors import UsageError
from miedx_xl.form.layout import (
    GUIDE_SHEET,
    INDICATOR_SHEET,
    LIST_SHEET,
    META_SHEET,
    RPA_FIELDS,
    RPA_ROWS,
    RPA_SHEET,
    STATUS_SHEET,
    Field,
    FormMeta,
    form_fields,
    form_file_name,
    indicator_fields,
    number_ranges,
    status_fields,
)
from miedx_xl.form.seal import load_secret
from miedx_xl.normalize import FiscalYear
from miedx_xl.plan.book import policy_text
from miedx_xl.plan.columns import schedule_column
from miedx_xl.plan.model import Plan
from miedx_xl.xlsx.book import (
    BOX,
    CENTERED_HEAD,
    DEFAULT_PT,
    LINE_EM,
    PAGE_HEADER_IN,
    WRAP_TOP,
    Book,
    Sheet,
    fill,
    font,
    landscape_a4,
)
from miedx_xl.xlsx.sheets import put, save_atomic

# Styles are XlsxWriter format properties (see `xlsx.book`).
EMPTY_REQUIRED_FILL = {"bg_color": "#FFF2CC", "fg_color": "#FFF2CC"}
"""Conditional format of an empty required cell (a solid fill: the pattern of a conditional
format's fill is solid unless it says otherwise)."""
TITLE_FONT = font(14, bold=True)
NOTE_FONT = font(10, color="595959")
BODY_FONT = font()
HEADER_FONT = font(bold=True, color="FFFFFF")
HEADER_FILL = fill("1F4E78")
INPUT_HEADER_FILL = fill("C65911")
LOCKED_FILL = fill("E7E6E6")
INPUT_FILL = fill("FFFFFF")
UNLOCKED = {"locked": False}
LOCKED = {"locked": True}
EDITABLE_FORMATS = {
    "format_cells": True,
    "format_columns": True,
    "format_rows": True,
    # Comments (the header hints) and scenarios stay editable, as before.
    "objects": True,
    "scenarios": True,
}
"""What a protected form sheet still allows: formatting cells, columns and rows."""
TITLE_MAX = 32
"""Characters of an input or error message's title (Excel's limit)."""
DATA_TOP = 4
"""First data row of every form sheet (headers are on layout.HEADER_ROW)."""
INPUT_LINES = 5
"""Lines of room a row gives a long text input (取組状況, 課題) before anything is typed."""
LONG_INPUT = 300
"""Characters from which a text input is long (gets INPUT_LINES of room)."""


def make_forms(
    plan: Plan,
    fy: FiscalYear,
    out_dir: Path,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write one form per 担当課 with a measure running in `fy` into `out_dir` (a measure
    ended before `fy` or added after it gets no row); return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    keys = plan.in_year(fy).divisions()
    paths = []
    for i, key in enumerate(keys, start=1):
        path = out_dir / form_file_name(fy, plan.division_name(key, fy))
        paths.append(write_form(plan, fy, key, path, now=now))
        if progress:
            progress(i, len(keys))
    return paths


def form_meta(plan: Plan, fy: FiscalYear, key: str, now: datetime | None = None) -> FormMeta:
    """The metadata of the form of division `key` for `fy` (locked content included)."""
    created = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    measures = plan.own_measures(key, fy).sort_values("order")
    earlier = [y for y in plan.status_years() if y < fy]
    sched = [y for y in plan.fiscal_years if y >= fy]
    name = plan.division_name(key, fy)
    fields = status_fields(fy, earlier, sched, plan.phases)
    locked_status = {
        str(int(r["no"])): {
            f.key: v
            for f, v in zip(fields, _status_values(r, fields, name), strict=True)
            if f.locked
        }
        for _, r in measures.iterrows()
    }
    locked_ind = {
        row["id"]: {f.key: row[f.key] for f in indicator_fields(fy) if f.locked}
        for row in _indicator_rows(plan, fy, measures)
    }
    return FormMeta(
        plan_id=plan.id,
        plan_name=plan.name,
        fiscal_year=str(fy),
        division=name,
        division_key=key,
        created=created,
        earlier_years=[str(y) for y in earlier],
        schedule_years=[str(y) for y in sched],
        phases=list(plan.phases),
        plan_nos=number_ranges(plan.numbered()["no"]),
        own_nos=sorted(int(n) for n in plan.in_year(fy).numbered().query("division == @key")["no"]),
        locked={STATUS_SHEET: locked_status, INDICATOR_SHEET: locked_ind},
    )


def _status_values(r: pd.Series, fields: list[Field], division: str) -> list[Any]:
    out: list[Any] = []
    for f in fields:
        if f.key == "policy":
            out.append(policy_text(r["policy"]))
        elif f.key == "division":
            out.append(division)
        elif f.key in ("no", "area"):
            out.append(int(r[f.key]))
        elif f.key.startswith(("schedule_", "status_")) and f.key in r.index:
            value = r[f.key]
            out.append("" if pd.isna(value) else str(value))
        elif f.key in ("actor", "title"):
            out.append(r[f.key])
        else:
            out.append("")
    return out


def _indicator_rows(plan: Plan, fy: FiscalYear, measures: pd.DataFrame) -> list[dict[str, Any]]:
    ind = plan.indicators
    # Reductions the report printed are derived figures: the master computes them.
    ind = ind[ind["measure"].isin(set(measures["no"])) & ~ind["id"].str.endswith("_reported")]
    rows = []
    for ind_id, group in ind.groupby("id", sort=False):
        before = group[[_fy_lt(s, fy) for s in group["fy"]]]
        previous = ""
        if len(before):
            last = before.iloc[-1]
            previous = f"{_number_text(last['value'], last['approx'])}（{last['period']}）"
        first = group.iloc[0]
        rows.append(
            {
                "id": str(ind_id),
                "no": int(first["measure"]),
                "name": first["name"],
                "unit": first["unit"],
                "previous": previous,
            }
        )
    return rows


def _fy_lt(text: str, fy: FiscalYear) -> bool:
    return int(text.removeprefix("R")) < fy.reiwa


def _number_text(value: float, approx: bool) -> str:
    text = f"{int(value):,}" if float(value).is_integer() else f"{value:,}"
    return ("約" if approx else "") + text


def write_form(
    plan: Plan, fy: FiscalYear, key: str, path: Path, now: datetime | None = None
) -> Path:
    """Write the form of division `key` for `fy` to `path`."""
    meta = form_meta(plan, fy, key, now)
    earlier = [FiscalYear(int(y[1:])) for y in meta.earlier_years]
    sched = [FiscalYear(int(y[1:])) for y in meta.schedule_years]
    with Book(path) as book:
        guide = book.sheet(GUIDE_SHEET)
        fields = status_fields(fy, earlier, sched, plan.phases)
        lists = _choice_lists(fields)
        measures = plan.own_measures(key, fy).sort_values("order")
        status_rows = []
        for _, r in measures.iterrows():
            values = _status_values(r, fields, meta.division)
            prefill = {schedule_column(y): r.get(schedule_column(y), "") for y in sched}
            status_rows.append(
                [
                    prefill.get(f.key, v) if not f.locked else v
                    for f, v in zip(fields, values, strict=True)
                ]
            )
        _fill_sheet(
            book.sheet(STATUS_SHEET),
            f"{fy.label_ja()} {plan.name} 取組状況調査票（{meta.division}）",
            fields,
            status_rows,
            extra_rows=0,
            lists=lists,
        )
        ind_fields = indicator_fields(fy)
        ind_rows = [
            [row[f.key] if f.locked else "" for f in ind_fields]
            for row in _indicator_rows(plan, fy, measures)
        ]
        _fill_sheet(
            book.sheet(INDICATOR_SHEET),
            f"{fy.label_ja()} 指標の実績（{meta.division}）",
            ind_fields,
            ind_rows,
            extra_rows=0,
        )
        _fill_sheet(
            book.sheet(RPA_SHEET),
            f"{fy.label_ja()} ＲＰＡ等の導入効果（{meta.division}）",
            RPA_FIELDS,
            [],
            extra_rows=RPA_ROWS,
        )
        _write_guide(guide, meta, fy, fields, ind_fields)
        meta_sheet = book.sheet(META_SHEET)
        for i, (k, v) in enumerate(meta.to_rows(load_secret()), start=1):
            meta_sheet.set(i, 1, k)
            meta_sheet.set(i, 2, v)
        meta_sheet.ws.very_hidden()
        meta_sheet.ws.protect("", {"objects": True, "scenarios": True})
        # The margins a sheet without a print set-up had before (openpyxl's defaults).
        meta_sheet.ws.set_margins(left=0.75, right=0.75, top=1.0, bottom=1.0)
        meta_sheet.ws.set_header("", margin=PAGE_HEADER_IN)
        meta_sheet.ws.set_footer("", margin=PAGE_HEADER_IN)
        _write_lists(book.sheet(LIST_SHEET), lists)
        book.sheets[1].ws.activate()
        book.properties(f"{fy} 取組状況調査票 {meta.division}")
        book.save()
    return path


def _fill_sheet(
    sheet: Sheet,
    title: str,
    fields: Sequence[Field],
    rows: Sequence[Sequence[Any]],
    extra_rows: int,
    lists: dict[tuple[str, ...], str] | None = None,
) -> None:
    book, ws = sheet.book, sheet.ws
    sheet.set(1, 1, title, book.style("form-title", TITLE_FONT))
    note = book.style("form-note", NOTE_FONT)
    sheet.set(2, 1, "白い欄に入力してください（※は必須）。灰色の欄は変更できません。", note)
    header = DATA_TOP - 1
    locked_head = book.style("form-head", HEADER_FONT, HEADER_FILL, CENTERED_HEAD, BOX)
    input_head = book.style("form-input-head", HEADER_FONT, INPUT_HEADER_FILL, CENTERED_HEAD, BOX)
    locked_cell = book.style("form-locked", BODY_FONT, WRAP_TOP, BOX, LOCKED_FILL, LOCKED)
    input_cell = book.style("form-input", BODY_FONT, WRAP_TOP, BOX, INPUT_FILL, UNLOCKED)
    for c, f in enumerate(fields, start=1):
        label = f"{f.label}※" if f.required else f.label
        sheet.set(header, c, label, locked_head if f.locked else input_head)
        sheet.widths[c] = f.width
        if f.hint_ja:
            ws.write_comment(header - 1, c - 1, f.hint_ja, {"author": "miedx_xl"})
    n = len(rows) + extra_rows
    last = DATA_TOP + max(n, 1) - 1
    for i in range(n):
        r = DATA_TOP + i
        values = rows[i] if i < len(rows) else [""] * len(fields)
        for c, (f, value) in enumerate(zip(fields, values, strict=True), start=1):
            sheet.set(r, c, value if value != "" else None, locked_cell if f.locked else input_cell)
    empty = book.style("form-empty-required", EMPTY_REQUIRED_FILL)
    for c, f in enumerate(fields, start=1):
        if f.locked or n == 0:
            continue
        col = xl_col_to_name(c - 1)
        ref = f"{col}{DATA_TOP}:{col}{last}"
        dv = _validation(f, (lists or {}).get(f.choices))
        if dv is not None:
            ws.data_validation(ref, dv)
        if f.required:
            ws.conditional_format(
                ref,
                {"type": "formula", "criteria": f"LEN(TRIM({col}{DATA_TOP}))=0", "format": empty},
            )
    # Rows sized for their longest read-only text (and the header for its labels); a row with
    # a long text input gets room for several lines even when its read-only texts are short.
    sheet.fit_rows(header, last)
    if n and any(not f.locked and (f.max_len or 0) >= LONG_INPUT for f in fields):
        room = round(INPUT_LINES * DEFAULT_PT * LINE_EM + 3, 1)
        for r in range(DATA_TOP, DATA_TOP + n):
            sheet.heights[r] = max(sheet.heights.get(r, 0.0), room)
    ws.freeze_panes(DATA_TOP - 1, 1)
    landscape_a4(ws, (header, header))
    ws.protect("", EDITABLE_FORMATS)


def _choice_lists(fields: Sequence[Field]) -> dict[tuple[str, ...], str]:
    """Each distinct dropdown list of `fields` -> its range on the list sheet
    (`'_lists'!$A$1:$A$11`), one column per list."""
    out: dict[tuple[str, ...], str] = {}
    for f in fields:
        if f.kind == "choice" and f.choices and f.choices not in out:
            col = len(out)
            cells = xl_range_abs(0, col, len(f.choices) - 1, col)
            out[f.choices] = f"='{LIST_SHEET}'!{cells}"
    return out


def _write_lists(sheet: Sheet, lists: dict[tuple[str, ...], str]) -> None:
    """The hidden, protected sheet the dropdown lists read."""
    for col, choices in enumerate(lists, start=1):
        for row, word in enumerate(choices, start=1):
            sheet.set(row, col, word)
    sheet.ws.very_hidden()
    sheet.ws.protect("", {"objects": True, "scenarios": True})


def _validation(f: Field, source: str | None = None) -> dict[str, Any] | None:
    """XlsxWriter data validation options of an input column (None when it needs none);
    a dropdown reads `source` (a range on the list sheet) when given, else an inline list."""
    dv: dict[str, Any]
    if f.kind == "choice":
        dv = {"validate": "list", "source": source or list(f.choices)}
        error = "一覧から選んでください。"
    elif f.kind == "number":
        dv = {"validate": "decimal", "criteria": ">=", "value": 0}
        error = "0 以上の数値を入力してください。"
    elif f.max_len:
        dv = {"validate": "length", "criteria": "<=", "value": f.max_len}
        error = f"{f.max_len} 文字以内で入力してください。"
    else:
        return None
    dv |= {
        "ignore_blank": True,
        "input_title": f.label[:TITLE_MAX],
        "input_message": (f.hint_ja or f"{f.max_len} 文字以内で入力してください。")[:255],
        "error_title": f.label[:TITLE_MAX],
        "error_message": error,
        "error_type": "warning",
        "show_input": True,
        "show_error": True,
    }
    return dv


def _write_guide(
    sheet: Sheet,
    meta: FormMeta,
    fy: FiscalYear,
    fields: Sequence[Field],
    ind_fields: Sequence[Field],
) -> None:
    lines = [
        f"{fy.label_ja()} {meta.plan_name} 取組状況調査票 記入要領",
        f"担当課: {meta.division}",
        "",
        "1. 「取組状況」シートの白い欄に、今年度の取組状況・スケジュール・自己評価を入力して"
        "ください。灰色の欄（NO・取組内容・前年度までの取組状況など）は変更できません。",
        "2. 「指標」シートに、今年度の指標の値を数値で入力してください（単位や「約」は不要）。",
        "3. 「RPA効果」シートに、RPA 等を導入した業務と導入前・導入後の年間作業時間を"
        "入力してください（該当がなければ空欄のまま）。",
        "4. 入力が終わったら、リボンの「入力チェック」を押して（またはコマンド"
        "「miedx-xl check ファイル名」で）確認し、赤く示された欄を直してください。",
        "5. シート名・見出し・列は変更しないでください。ファイルは .xlsx のまま、"
        "パスワードを付けずに事務局（デジタル戦略企画課）へ提出してください。",
        "",
        "自己評価の選び方: 順調（計画どおり）／概ね順調（一部遅れがあるが年度内に回復見込み）"
        "／遅れ（計画より遅れている）／未着手（まだ着手していない）",
        "",
        "列の説明",
    ]
    book = sheet.book
    title = book.style("guide-title", TITLE_FONT, WRAP_TOP)
    text = book.style("guide-text", BODY_FONT, WRAP_TOP)
    cell = book.style("guide-cell", BODY_FONT, WRAP_TOP, BOX)
    for r, line in enumerate(lines, start=1):
        sheet.set(r, 1, line, title if r == 1 else text)
    r = len(lines) + 1
    for sheet_name, flist in (
        (STATUS_SHEET, fields),
        (INDICATOR_SHEET, ind_fields),
        (RPA_SHEET, RPA_FIELDS),
    ):
        for f in flist:
            kind = "固定" if f.locked else ("必須" if f.required else "任意")
            hint = f.hint_ja or ("" if f.locked else "自由記述")
            if f.max_len:
                hint = f"{hint}（{f.max_len} 文字以内）".lstrip()
            sheet.set_row(r, [sheet_name, f.label, kind, hint], [cell] * 4)
            r += 1
    sheet.set_widths([14, 22, 8, 80])
    for row in range(1, len(lines) + 1):
        sheet.merge(row, 1, 4)
    sheet.fit_rows(1, r)
    landscape_a4(sheet.ws)


def fill_form(
    path: Path,
    out: Path,
    statuses: dict[int, dict[str, Any]] | None = None,
    indicators: dict[str, dict[str, Any]] | None = None,
    rpa: Sequence[dict[str, Any]] = (),
) -> Path:
    """Fill a form's input cells as a division would, writing the result to `out`.

    `statuses` maps a NO to field values (`status_R4`, `assessment_R4`, ...); `indicators`
    maps an indicator id to field values (`value`, `as_of`, `note`); `rpa` gives RPA rows.
    Columns are found by their header label, so a form with moved columns fills the same.
    """
    from openpyxl import load_workbook

    from miedx_xl.form.read import read_meta
    from miedx_xl.form.source import open_book

    book = open_book(path)
    loaded = read_meta(book.workbook) if book.workbook is not None else None
    if loaded is None:
        raise UsageError(f"{path} は様式ではありません")
    fields = form_fields(loaded[0])
    wb = load_workbook(path)
    for sheet, by_key, key_field in (
        (STATUS_SHEET, {str(k): v for k, v in (statuses or {}).items()}, "no"),
        (INDICATOR_SHEET, indicators or {}, "id"),
    ):
        ws = wb[sheet]
        cols = _header_columns(ws, fields[sheet])
        for r in range(DATA_TOP, ws.max_row + 1):
            key = ws.cell(row=r, column=cols[key_field]).value
            values = by_key.get(str(key)) if key is not None else None
            for field_key, value in (values or {}).items():
                put(ws, r, cols[field_key], value)
    ws = wb[RPA_SHEET]
    cols = _header_columns(ws, fields[RPA_SHEET])
    for i, row in enumerate(rpa):
        for field_key, value in row.items():
            put(ws, DATA_TOP + i, cols[field_key], value)
    save_atomic(wb, out)
    return out


def _header_columns(ws: Worksheet, fields: Sequence[Field]) -> dict[str, int]:
    """Field key -> 1-based column of the form sheet's header cells."""
    from miedx_xl.form.layout import HEADER_ROW
    from miedx_xl.form.read import header_row

    rows = [list(r) for r in ws.iter_rows(max_row=HEADER_ROW, values_only=True)]
    _, found = header_row(rows, {f.match: f.key for f in fields})
    return {key: c + 1 for key, c in found.items()}
