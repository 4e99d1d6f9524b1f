"""Writing a division's form: the workbook a 担当課 fills in for one fiscal year."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from miedx_xl.errors import UsageError
from miedx_xl.form.layout import (
    GUIDE_SHEET,
    INDICATOR_SHEET,
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
from miedx_xl.normalize import FiscalYear
from miedx_xl.plan.book import policy_text
from miedx_xl.plan.columns import schedule_column
from miedx_xl.plan.model import Plan
from miedx_xl.xlsx.sheets import (
    BODY_FONT,
    BOX,
    HEADER_FILL,
    HEADER_FONT,
    INPUT_FILL,
    LOCKED_FILL,
    WRAP_TOP,
    landscape_a4,
    put,
    save_atomic,
)

EMPTY_REQUIRED_FILL = PatternFill("solid", bgColor="FFF2CC", fgColor="FFF2CC")
TITLE_FONT = Font(name="Yu Gothic", bold=True, size=14)
NOTE_FONT = Font(name="Yu Gothic", size=10, color="595959")
UNLOCKED = Protection(locked=False)
LOCKED = Protection(locked=True)
DATA_TOP = 4
"""First data row of every form sheet (headers are on layout.HEADER_ROW)."""


def make_forms(
    plan: Plan,
    fy: FiscalYear,
    out_dir: Path,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write one form per 担当課 for fiscal year `fy` into `out_dir`; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    keys = plan.divisions()
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
    measures = plan.own_measures(key).sort_values("order")
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
        own_nos=sorted(int(n) for n in plan.numbered().query("division == @key")["no"]),
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
    wb = Workbook()
    guide = wb.active
    assert guide is not None
    guide.title = GUIDE_SHEET
    fields = status_fields(fy, earlier, sched, plan.phases)
    measures = plan.own_measures(key).sort_values("order")
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
        wb.create_sheet(STATUS_SHEET),
        f"{fy.label_ja()} {plan.name} 取組状況調査票（{meta.division}）",
        fields,
        status_rows,
        extra_rows=0,
    )
    ind_fields = indicator_fields(fy)
    ind_rows = [
        [row[f.key] if f.locked else "" for f in ind_fields]
        for row in _indicator_rows(plan, fy, measures)
    ]
    _fill_sheet(
        wb.create_sheet(INDICATOR_SHEET),
        f"{fy.label_ja()} 指標の実績（{meta.division}）",
        ind_fields,
        ind_rows,
        extra_rows=0,
    )
    _fill_sheet(
        wb.create_sheet(RPA_SHEET),
        f"{fy.label_ja()} ＲＰＡ等の導入効果（{meta.division}）",
        RPA_FIELDS,
        [],
        extra_rows=RPA_ROWS,
    )
    _write_guide(guide, meta, fy, fields, ind_fields)
    meta_ws = wb.create_sheet(META_SHEET)
    for i, (k, v) in enumerate(meta.to_rows(), start=1):
        put(meta_ws, i, 1, k)
        put(meta_ws, i, 2, v)
    meta_ws.sheet_state = "veryHidden"
    meta_ws.protection.sheet = True
    wb.active = 1
    wb.properties.creator = "miedx_xl"
    wb.properties.title = f"{fy} 取組状況調査票 {meta.division}"
    save_atomic(wb, path)
    return path


def _fill_sheet(
    ws: Worksheet,
    title: str,
    fields: Sequence[Field],
    rows: Sequence[Sequence[Any]],
    extra_rows: int,
) -> None:
    put(ws, 1, 1, title).font = TITLE_FONT
    put(
        ws, 2, 1, "白い欄に入力してください（※は必須）。灰色の欄は変更できません。"
    ).font = NOTE_FONT
    header = DATA_TOP - 1
    for c, f in enumerate(fields, start=1):
        cell = put(ws, header, c, f"{f.label}※" if f.required else f.label)
        cell.fill = HEADER_FILL if f.locked else PatternFill("solid", fgColor="C65911")
        cell.font = HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = BOX
        ws.column_dimensions[get_column_letter(c)].width = f.width
        if f.hint_ja:
            cell.comment = Comment(f.hint_ja, "miedx_xl")
    n = len(rows) + extra_rows
    last = DATA_TOP + max(n, 1) - 1
    for i in range(n):
        r = DATA_TOP + i
        values = rows[i] if i < len(rows) else [""] * len(fields)
        for c, (f, value) in enumerate(zip(fields, values, strict=True), start=1):
            cell = put(ws, r, c, value if value != "" else None)
            cell.font = BODY_FONT
            cell.alignment = WRAP_TOP
            cell.border = BOX
            cell.fill = LOCKED_FILL if f.locked else INPUT_FILL
            cell.protection = LOCKED if f.locked else UNLOCKED
    for c, f in enumerate(fields, start=1):
        if f.locked or n == 0:
            continue
        col = get_column_letter(c)
        ref = f"{col}{DATA_TOP}:{col}{last}"
        dv = _validation(f)
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(ref)
        if f.required:
            ws.conditional_formatting.add(
                ref,
                FormulaRule(  # type: ignore[no-untyped-call]
                    formula=[f"LEN(TRIM({col}{DATA_TOP}))=0"], fill=EMPTY_REQUIRED_FILL
                ),
            )
    ws.freeze_panes = f"B{DATA_TOP}"
    landscape_a4(ws, f"{header}:{header}")
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.formatCells = False


def _validation(f: Field) -> DataValidation | None:
    if f.kind == "choice":
        dv = DataValidation(type="list", formula1='"' + ",".join(f.choices) + '"', allow_blank=True)
        dv.error = "一覧から選んでください。"
    elif f.kind == "number":
        dv = DataValidation(
            type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True
        )
        dv.error = "0 以上の数値を入力してください。"
    elif f.max_len:
        dv = DataValidation(
            type="textLength", operator="lessThanOrEqual", formula1=str(f.max_len), allow_blank=True
        )
        dv.error = f"{f.max_len} 文字以内で入力してください。"
    else:
        return None
    dv.errorTitle = f.label
    dv.promptTitle = f.label
    dv.prompt = (f.hint_ja or f"{f.max_len} 文字以内で入力してください。")[:255]
    dv.showInputMessage = True
    dv.showErrorMessage = True
    dv.errorStyle = "warning"
    return dv


def _write_guide(
    ws: Worksheet,
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
    for r, text in enumerate(lines, start=1):
        cell = put(ws, r, 1, text)
        cell.font = TITLE_FONT if r == 1 else BODY_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    r = len(lines) + 1
    for sheet, flist in (
        (STATUS_SHEET, fields),
        (INDICATOR_SHEET, ind_fields),
        (RPA_SHEET, RPA_FIELDS),
    ):
        for f in flist:
            kind = "固定" if f.locked else ("必須" if f.required else "任意")
            hint = f.hint_ja or ("" if f.locked else "自由記述")
            if f.max_len:
                hint = f"{hint}（{f.max_len} 文字以内）".lstrip()
            for c, value in enumerate((sheet, f.label, kind, hint), start=1):
                cell = put(ws, r, c, value)
                cell.font = BODY_FONT
                cell.alignment = WRAP_TOP
                cell.border = BOX
            r += 1
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 22
    ws.column_dimensions["C"].width = 8
    ws.column_dimensions["D"].width = 80
    for row in range(1, len(lines) + 1):
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
    landscape_a4(ws)


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

    from miedx_xl.form.read import open_book, read_meta

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
