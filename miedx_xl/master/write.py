"""The master workbook (取りまとめ表) of a fiscal year, its PDF, and reading it back as a plan.

Sheets: 概要 (資料２－２), 進捗管理表 (資料２－２－１), 前年度比較 (what changed since the
previous year), 指標 with native charts (資料２), 提出状況 and チェック結果. Every sheet
prints A4 landscape, one page wide, with its title and header rows repeated. Computed
figures are written as values (a formula written without its cached value shows nothing to
a reader), and every cell goes through `xlsx.book.write_cell`, so text that looks like a
formula stays text. The workbook is written with XlsxWriter.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from miedx_xl.consolidation import (
    STATE_DUPLICATE,
    STATE_MISSING,
    STATE_NEEDS_FIX,
    STATE_SUBMITTED,
    Consolidation,
)
from miedx_xl.files import keep_backup
from miedx_xl.form.layout import ASSESSMENTS
from miedx_xl.form.mark import SEVERITY_JA
from miedx_xl.master.figures import (
    TREND_CHARTS,
    indicator_value,
    measure_marks,
    percent_reduction,
    trends,
    year_over_year,
    year_over_year_cells,
    year_over_year_header,
)
from miedx_xl.master.layout import (
    BLANK_ASSESSMENT,
    CARD_MIE,
    CARD_NATIONAL,
    COPIES,
    DATA_SHEET,
    FINDING_SHEET,
    FY_LABEL,
    INDICATOR_FIXED,
    INDICATOR_SHEET,
    INDICATOR_TAIL,
    INFERRED_MARK,
    MARK_LABEL,
    MASTER_SHEETS,
    MISSING_NOTE,
    OTHER_ASSESSMENT,
    PLAN_ID_LABEL,
    PLANNED_LABEL,
    PROGRESS_SHEET,
    REFERENCE_MARK,
    RELISTED_MARK,
    RPA_AFTER,
    RPA_BEFORE,
    SCHEDULE_LABEL,
    SUBMISSION_SHEET,
    SUMMARY_SHEET,
    TABLE_HEADER_ROW,
    TITLE_ROW,
    YEAR_OVER_YEAR_SHEET,
    area_label,
    period_key,
    period_label,
)
from miedx_xl.normalize import FiscalYear, cell_text, parse_fiscal_year
from miedx_xl.plan.book import policy_text
from miedx_xl.plan.columns import (
    assessment_column,
    issues_column,
    planned_column,
    schedule_column,
    status_column,
)
from miedx_xl.plan.model import ACTOR_HEADINGS, Plan, planned_text, records
from miedx_xl.xlsx.book import (
    BOX,
    CENTERED_HEAD,
    PAGE_HEADER_IN,
    WRAP_TOP,
    Book,
    Sheet,
    fill,
    font,
    landscape_a4,
)
from miedx_xl.xlsx.charts import CHART_HEIGHT_CM, Block, bar_chart, line_chart

FONT_PT = 10
# Explicit sizes: a font without one prints in LibreOffice at its own default size.
# Styles are XlsxWriter format properties (`xlsx.book.font`, `fill`, `BOX`, ...).
TEXT_FONT = font(FONT_PT)
HEAD_FONT = font(FONT_PT, bold=True, color="FFFFFF")
TITLE_FONT = font(14, bold=True)
BOLD_FONT = font(FONT_PT, bold=True)
NOTE_FONT = font(9, color="595959")
HEADER_FILL = fill("1F4E78")
AREA_FILL = fill("BDD7EE")
ACTOR_FILL = fill("DDEBF7")
LABEL_FILL = fill("F2F2F2")
STATE_FILLS = {
    STATE_SUBMITTED: fill("E2EFDA"),
    STATE_MISSING: fill("D9D9D9"),
    STATE_NEEDS_FIX: fill("FFC7CE"),
    STATE_DUPLICATE: fill("FFEB9C"),
}
SEVERITY_FILLS = {
    "error": fill("FFC7CE"),
    "warning": fill("FFEB9C"),
}
BAND_ROWS = math.ceil(CHART_HEIGHT_CM / 2.54 * 72 / 15) + 2
"""Rows of one chart band on the 指標 sheet (a chart's height in 15 pt rows, and a gap)."""
CENTER = {"align": "center", "valign": "top", "text_wrap": True}
MIDDLE = {"valign": "vcenter"}


# --------------------------------------------------------------------------- small helpers


_DIRECT_SHEETS = {PROGRESS_SHEET, YEAR_OVER_YEAR_SHEET, DATA_SHEET}


class _Sheet:
    """A master sheet: its cells in an `xlsx.book.Sheet`, with the master's formats by name."""

    def __init__(self, book: Book, name: str) -> None:
        self.book = book
        self.name = name
        # The three large sheets as XML text (no chart reads them; see `Sheet.direct`).
        self.cells: Sheet = book.sheet(name, direct=name in _DIRECT_SHEETS)
        self.ws = self.cells.ws
        self.breaks: list[int] = []
        """Rows after which a printed page ends."""
        self.body = book.style("body", TEXT_FONT, WRAP_TOP, BOX)
        self.header_style = book.style("header", HEAD_FONT, HEADER_FILL, BOX, CENTERED_HEAD)
        self.note_style = book.style("note", NOTE_FONT)
        self.bold = book.style("bold", BOLD_FONT)
        self.box = book.style("box", BOX)

    def filled(self, colour: dict[str, Any]) -> Format:
        """The body style on a coloured background."""
        return self.book.style(f"body:{colour['bg_color']}", TEXT_FONT, WRAP_TOP, BOX, colour)

    def number(self, fmt: str) -> Format:
        """The body style with a number format."""
        return self.book.style(f"number:{fmt}", TEXT_FONT, WRAP_TOP, BOX, {"num_format": fmt})

    def title(self, text: str) -> None:
        # Not merged: the title overflows to the right over the empty cells of row 1.
        style = self.book.style("title", TITLE_FONT, MIDDLE)
        self.cells.set(TITLE_ROW, 1, text, style)
        self.cells.heights[TITLE_ROW] = 24

    def header(self, row: int, labels: Sequence[str], first_col: int = 1) -> None:
        self.cells.set_row(row, labels, [self.header_style] * len(labels), first_col)

    def row(self, row: int, values: Sequence[Any], first_col: int = 1) -> None:
        """A table row in the body style."""
        self.cells.set_row(row, values, [self.body] * len(values), first_col)

    def restyle(self, row: int, col: int, style: Format) -> None:
        """Give a written cell another style."""
        value, _ = self.cells.rows[row][col]
        self.cells.set(row, col, value, style)

    def note(self, row: int, text: str) -> None:
        self.cells.set(row, 1, text, self.note_style)

    def widths(self, widths: Sequence[float]) -> None:
        self.cells.set_widths(widths)

    def page(self, title: str) -> None:
        """Row heights from the texts, then the print set-up."""
        self.cells.fit_rows(TABLE_HEADER_ROW, self.cells.max_row)
        _page_setup(self.ws, title)
        if self.breaks:
            self.ws.set_h_pagebreaks(self.breaks)


def _page_setup(ws: Worksheet, title: str, header_row: int = TABLE_HEADER_ROW) -> None:
    """A4 landscape with repeated title rows, frozen header and page header and footer."""
    landscape_a4(ws, (TITLE_ROW, header_row))
    ws.freeze_panes(header_row, 0)
    # &A sheet name, &P page, &N pages; a literal & is written &&.
    ws.set_header(f"&L{title.replace('&', '&&')}&R&A", margin=PAGE_HEADER_IN)
    ws.set_footer("&C&P / &N", margin=PAGE_HEADER_IN)


# --------------------------------------------------------------------------- writing


def write_master(result: Consolidation, out: Path) -> Path:
    """Write the master workbook of `result` to `out` (an earlier file is kept as a backup)."""
    with Book(out) as book:
        sheets = {name: _Sheet(book, name) for name in MASTER_SHEETS}
        for name, write in (
            (SUMMARY_SHEET, _write_summary),
            (PROGRESS_SHEET, _write_progress),
            (YEAR_OVER_YEAR_SHEET, _write_year_over_year),
            (INDICATOR_SHEET, _write_indicators),
            (SUBMISSION_SHEET, _write_submissions),
            (FINDING_SHEET, _write_findings),
            (DATA_SHEET, _write_data),
        ):
            write(sheets[name], result)
            # Handed to XlsxWriter at once: one sheet's cells held twice at a time, not all
            # (N = 3,300: the master's peak memory − 190 MB).
            sheets[name].cells.write()
        book.properties(
            f"{result.plan.name} {result.fy.label_ja()} 取りまとめ表", _run_time(result.run_at)
        )
        if out.exists():
            keep_backup(out)
        book.save()
    return out


def _run_time(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when


# ----------------------------------------------------------------------------------- 概要


def _write_summary(sh: _Sheet, result: Consolidation) -> None:
    plan, fy = result.plan, result.fy
    lead, head = f"lead_{fy}", f"headline_{fy}"
    sh.title(f"{plan.name}　{fy.label_ja()}の取組状況（概要）")
    sh.header(TABLE_HEADER_ROW, ["番号", "個別取組", f"リード文（{fy}）", f"主な成果（{fy}）"])
    row = TABLE_HEADER_ROW
    missing = 0
    for _, area in plan.areas.sort_values("no").iterrows():
        row += 1
        lead_text = cell_text(area.get(lead))
        head_text = cell_text(area.get(head))
        if not lead_text or not head_text:
            missing += 1
        sh.row(row, [area_label(int(area["no"])), area["title"], lead_text, head_text])
    if missing:
        row += 1
        sh.note(
            row,
            f"※空欄は、{fy.label_ja()}のリード文・主な成果が計画データにないことを示します。",
        )
    row += 2
    counts = {state: 0 for state in STATE_FILLS}
    for sub in result.submissions:
        counts[sub.state] = counts.get(sub.state, 0) + 1
    report = result.report
    facts = [
        ("計画名", plan.name),
        (PLAN_ID_LABEL, plan.id),
        ("計画期間", f"{plan.first_fy.label_ja()}～{plan.last_fy.label_ja()}"),
        (FY_LABEL, fy.label_ja()),
        ("取りまとめ日時", result.run_at),
        ("提出状況", "、".join(f"{state} {n} 件" for state, n in counts.items())),
        (
            "チェック結果",
            report.counts_ja(),
        ),
    ]
    label_style = sh.filled(LABEL_FILL)
    for label, value in facts:
        sh.cells.set_row(row, [label, value, None, None], [label_style, *[sh.body] * 3])
        sh.cells.merge(row, 2, 4)
        row += 1
    sh.widths([12, 34, 64, 64])
    sh.page(plan.name)


# ------------------------------------------------------------------------------ 進捗管理表


@dataclass(frozen=True)
class _Column:
    key: str
    label: str
    width: float
    centered: bool = False


def _progress_columns(
    plan: Plan, fy: FiscalYear, marked: bool = False, replanned: bool = False
) -> list[_Column]:
    """The progress table's columns; `marked` adds 区分, `replanned` 変更前の予定（fy）."""
    m = plan.measures
    inferred = "schedule_inferred" in m and bool(m["schedule_inferred"].fillna(False).any())
    mark = f"\n{INFERRED_MARK}" if inferred else ""
    # 自己評価 of the year always has a column (empty until divisions report); earlier
    # years' 自己評価 and any year's 課題 only when the plan holds them.
    assessed = sorted(_years_of(m.columns, "assessment") | {fy})
    issues = sorted(_years_of(m.columns, "issues"))
    return [
        _Column("no", "NO", 5, True),
        _Column("policy", "基本方針", 8, True),
        _Column("title", "取組内容", 28),
        _Column("division", "担当課", 13),
        *([_Column(_MARK_KEY, MARK_LABEL, 9, True)] if marked else []),
        *[
            _Column(schedule_column(y), f"{SCHEDULE_LABEL}\n{y}{mark}", 7.5, True)
            for y in plan.fiscal_years
        ],
        *([_Column(planned_column(fy), f"{PLANNED_LABEL}（{fy}）", 14)] if replanned else []),
        *[_Column(status_column(y), f"取組状況（{y}）", 50) for y in plan.status_years()],
        *[_Column(assessment_column(y), f"自己評価（{y}）", 9, True) for y in assessed],
        *[_Column(issues_column(y), f"課題・今後の方向性（{y}）", 30) for y in issues],
    ]


_MARK_KEY = "mark"
"""Key of the 区分 column (新規・終了・移動 marks, `figures.measure_marks`)."""


def _replanned(
    row: Mapping[Any, Any],
    planned_col: str,
    later: Sequence[tuple[FiscalYear, str]],
    original: Mapping[Any, Any] | None,
) -> str:
    """The schedule of the year and later (`later`: the plan's schedule years from it on, each
    with its column) before this year's report when the report changed it ('' when unchanged
    or unknown), for the 変更前の予定 column (`planned_col`)."""
    planned = _cell_of(row, planned_col, original)
    if not planned:
        return ""
    now = planned_text({y: _cell_of(row, col, original) for y, col in later})
    return planned if planned != now else ""


def _later_schedule_years(columns: Iterable[str], fy: FiscalYear) -> list[tuple[FiscalYear, str]]:
    """The schedule years of the measures table from `fy` on, oldest first, with their
    columns."""
    return [(y, schedule_column(y)) for y in sorted(_years_of(columns, "schedule")) if y >= fy]


def _years_of(columns: Iterable[str], kind: str) -> set[FiscalYear]:
    """Fiscal years of the `<kind>_R<n>` columns of the measures table."""
    years = set()
    for column in columns:
        if column.startswith(f"{kind}_"):
            fy = parse_fiscal_year(column.removeprefix(f"{kind}_")).value
            if fy is not None:
                years.add(fy)
    return years


def _cell_of(row: Mapping[Any, Any], key: str, original: Mapping[Any, Any] | None) -> str:
    """A text field of a measure row; a re-listed row shows its original's when it has none."""
    value = cell_text(row.get(key))
    if not value and original is not None:
        value = cell_text(original.get(key))
    return value


class _ProgressStyles:
    """The progress table's own cell styles (beside `_Sheet`'s body and box)."""

    def __init__(self, book: Book) -> None:
        self.center = book.style("center", TEXT_FONT, CENTER, BOX)
        self.area = book.style("area", AREA_FILL, BOX)
        self.actor = book.style("actor", ACTOR_FILL, BOX)
        self.area_head = book.style("area-head", BOLD_FONT, AREA_FILL, BOX, MIDDLE)
        self.actor_head = book.style("actor-head", BOLD_FONT, ACTOR_FILL, BOX, MIDDLE)
        self.label = book.style("label", BOLD_FONT, LABEL_FILL, BOX, WRAP_TOP)


def _write_progress(sh: _Sheet, result: Consolidation) -> None:
    """The progress table (資料２－２－１): the master's one large sheet."""
    plan, fy = result.plan, result.fy
    table = sh.cells
    st = _ProgressStyles(sh.book)
    marks = measure_marks(plan, fy)
    originals = {int(r["no"]): r for r in records(plan.own_measures())}
    later = _later_schedule_years(plan.measures.columns, fy)
    planned_col = planned_column(fy)
    replanned = any(_replanned(r, planned_col, later, None) for r in originals.values())
    columns = _progress_columns(plan, fy, marked=bool(marks), replanned=replanned)
    last = len(columns)
    sh.widths([c.width for c in columns])
    sh.title(f"{plan.name}　進捗管理表（{fy.label_ja()}）")
    sh.header(TABLE_HEADER_ROW, [c.label for c in columns])
    row_styles = [st.center if c.centered else sh.body for c in columns]
    keys = [c.key for c in columns]
    # The columns not copied from the measure's own text (`_cell_of`).
    special = {"no", "policy", "title", "division", _MARK_KEY, planned_col}
    measures = plan.measures.sort_values("order")
    rows = records(measures)
    names = {key: plan.division_name(key, fy) for key in plan.divisions()}
    row = TABLE_HEADER_ROW

    def band(text: str, head: int, rest: int) -> None:
        table.set_row(row, [text, *[None] * (last - 1)], [head, *[rest] * (last - 1)])
        table.merge(row, 1, last)

    for _, area in plan.areas.sort_values("no").iterrows():
        no = int(area["no"])
        row += 1
        band(f"{area_label(no)}{area['title']}", st.area_head, st.area)
        overviews = plan.overviews[plan.overviews["area"] == no]
        for key, label in (("current", "①現状・課題"), ("approach", "②本計画での取組概要")):
            for _, ov in overviews.iterrows():
                text = cell_text(ov[key])
                if not text:
                    continue
                row += 1
                cells = [f"{label}\n■{ov['actor']}", None, None, None, text]
                styles = [st.label, sh.box, sh.box, sh.box, sh.body]
                table.set_row(row, cells + [None] * (last - 5), styles + [sh.box] * (last - 5))
                table.merge(row, 1, 4)
                table.merge(row, 5, last)
        group: tuple[str, bool] | None = None
        for m in (r for r in rows if r["area"] == no):
            reference = bool(m["reference"])
            if (m["actor"], reference) != group:
                group = (m["actor"], reference)
                heading = ACTOR_HEADINGS.get(m["actor"], f"■{m['actor']}の取組")
                row += 1
                band(heading + (REFERENCE_MARK if reference else ""), st.actor_head, st.actor)
            row += 1
            relisted = int(m["relisted_of"])
            original = originals.get(relisted) if relisted else None
            values: list[Any] = []
            for key in keys:
                if key not in special:
                    values.append(_cell_of(m, key, original))
                elif key == "no":
                    values.append(int(m["no"]))
                elif key == "policy":
                    values.append(policy_text(m["policy"]))
                elif key == "title":
                    values.append(m["title"] + (RELISTED_MARK if relisted or reference else ""))
                elif key == "division":
                    values.append(names.get(m["division"]) or m["division"])
                elif key == _MARK_KEY:
                    own = not relisted and not reference
                    values.append(marks.get(int(m["no"]), "") if own else "")
                else:  # the planned column
                    values.append(_replanned(m, planned_col, later, original))
            table.set_row(row, values, row_styles)
    if any(INFERRED_MARK in c.label for c in columns):
        row += 2
        sh.note(
            row,
            f"※スケジュール欄の{INFERRED_MARK}：報告書には段階の語だけが記載され年度の区切りが"
            "失われているため、語の順に年度へ割り当て、最後の語を計画の最終年度まで延ばしています。",
        )
    sh.page(plan.name)


# ------------------------------------------------------------------------------ 前年度比較

NEW_TEXT_FILL = fill("FFF2CC")
"""The 新たに加わった記述 column: a light yellow."""
CHANGED_FILL = fill("FCE4D6")
"""A schedule or 自己評価 word that differs from the previous year's: a light orange."""
_YOY_WIDTHS = (5, 22, 14, 9, 6.5, 6.5, 13, 13, 7, 7, 32, 32, 28, 24, 6, 9, 9, 8, 7.5)
"""Column widths of the 前年度比較 sheet (`figures.year_over_year_header`)."""
_YOY_CENTERED = {1, 4, 5, 6, 9, 10, 15}
"""Its 1-based columns written centred (NO, 区分, phase words, 自己評価, 単位)."""
_YOY_NUMBERS = range(16, 20)
_YOY_NEW_COL = 13
_YOY_SCHEDULE_COLS = (7, 8)
_YOY_ASSESSMENT_COLS = (9, 10)


def _write_year_over_year(sh: _Sheet, result: Consolidation) -> None:
    """前年度比較: per measure what changed between the previous year and this one."""
    plan, fy = result.plan, result.fy
    prev = FiscalYear(fy.reiwa - 1) if fy.reiwa > 1 else fy
    header = year_over_year_header(fy)
    sh.widths(_YOY_WIDTHS)
    sh.title(f"{plan.name}　前年度比較（{prev}→{fy}）")
    sh.header(TABLE_HEADER_ROW, header)
    row = TABLE_HEADER_ROW
    if prev == fy or prev not in plan.status_years():
        sh.note(
            row + 1,
            f"※前年度（{prev}）の取組状況が計画データにないため、前年度との比較はありません"
            "（2年目の取りまとめから表示されます）。",
        )
        sh.page(plan.name)
        return
    center = sh.book.style("center", TEXT_FONT, CENTER, BOX)
    new_text = sh.filled(NEW_TEXT_FILL)
    changed = sh.filled(CHANGED_FILL)
    changed_center = sh.book.style(
        f"center:{CHANGED_FILL['bg_color']}", TEXT_FONT, CENTER, BOX, CHANGED_FILL
    )
    base = [center if c in _YOY_CENTERED else sh.body for c in range(1, len(header) + 1)]
    measures = year_over_year(plan, fy)
    cells = year_over_year_cells(measures)
    at = 0
    for m in measures:
        # A first 自己評価 (none the year before) is no change: only a different word is.
        before, now = m.assessment_previous, m.assessment_current
        assessed = bool(before and now and before != now)
        for n in range(max(1, len(m.indicators))):
            values = cells[at]
            at += 1
            row += 1
            styles = list(base)
            for c in _YOY_NUMBERS:
                value = values[c - 1]
                if value is not None:
                    fmt = "0.0" if c == _YOY_NUMBERS[-1] else _number_format(float(value), False)
                    styles[c - 1] = sh.number(fmt)
            styles[_YOY_NEW_COL - 1] = new_text
            if n == 0 and m.schedule_changed:
                for c in _YOY_SCHEDULE_COLS:
                    styles[c - 1] = changed
            if n == 0 and assessed:
                for c in _YOY_ASSESSMENT_COLS:
                    styles[c - 1] = changed_center
            sh.cells.set_row(row, values, styles)
    if not measures:
        row += 1
        sh.note(row, "※比較する取組がありません。")
    row += 2
    sh.note(
        row,
        "※黄色の欄：今年度の取組状況のうち前年度にない記述。橙色の欄：予定または自己評価が"
        "前年度から変わった取組。指標は前年度・今年度それぞれの最後の値を比べています"
        "（差＝今年度－前年度、増減率＝差÷前年度×100）。",
    )
    sh.page(plan.name)


# ----------------------------------------------------------------------------------- 指標


def _number_format(value: float, approx: bool) -> str:
    """A thousands-separated format with the value's own decimals (at most 3), for any
    float: 1e-05 or 1e+300 have no "." in their repr, and inf or NaN no digits at all."""
    number = float(value)
    if not math.isfinite(number):
        return "General"
    exponent = Decimal(repr(number)).normalize().as_tuple().exponent
    decimals = min(max(-exponent, 0), 3) if isinstance(exponent, int) else 0
    fmt = "#,##0" + ("." + "0" * decimals if decimals else "")
    return f'"約"{fmt}' if approx else fmt


def _write_indicators(sh: _Sheet, result: Consolidation) -> None:
    plan, fy = result.plan, result.fy
    ind = plan.indicators
    periods = sorted(set(ind["period"].astype(str)), key=period_key) if len(ind) else []
    labels = [*INDICATOR_FIXED, *[period_label(p) for p in periods], *INDICATOR_TAIL]
    first_period_col = len(INDICATOR_FIXED) + 1
    sh.title(f"{plan.name}　指標（{fy.label_ja()}まで）")
    sh.header(TABLE_HEADER_ROW, labels)
    sh.widths([40, 8, *[10] * len(periods), 36, 7, 7, 30])
    id_style = sh.book.style("indicator-id", NOTE_FONT, BOX, {"valign": "top", "shrink": True})
    row = TABLE_HEADER_ROW
    groups: dict[str, list[dict[Any, Any]]] = {}
    for rec in records(ind):
        groups.setdefault(str(rec["id"]), []).append(rec)
    for ind_id, group in groups.items():
        row += 1
        first = group[0]
        values = [
            (str(v["period"]), float(v["value"]), bool(v["approx"]), cell_text(v["note"]))
            for v in group
        ]
        by_period = {period: (value, approx) for period, value, approx, _ in values}
        notes = [f"{period_label(period)}：{note}" for period, _, _, note in values if note]
        area = int(first["area"])
        measure = int(first["measure"])
        sh.row(
            row,
            [
                first["name"],
                first["unit"],
                *[None] * len(periods),
                "\n".join(notes),
                area_label(area) if area else "",
                measure or "",
                str(ind_id),
            ],
        )
        sh.restyle(row, len(labels), id_style)
        for i, period in enumerate(periods):
            if period not in by_period:
                continue
            value, approx = by_period[period]
            number = sh.number(_number_format(value, approx))
            sh.cells.set(row, first_period_col + i, value, number)
    last_table_row = row
    sh.breaks.append(last_table_row + 1)
    row = last_table_row + 2
    big = sh.book.style("big", font(12, bold=True))
    sh.cells.set(row, 1, "■ 集計（計算値）と図　※図はそれぞれ左の表の値を参照しています", big)
    # One band per chart: its value table on the left, the chart beside it; two bands a page.
    tops = [row + 2 + i * BAND_ROWS for i in range(4)]
    _, rpa = _rpa_block(sh, tops[0], result)
    _, copies = _copies_block(sh, tops[1], result)
    _, card = _card_block(sh, tops[2], result)
    _, assess = _assessment_block(sh, tops[3], result)
    # Break one row above the band: LibreOffice draws a chart's frame on both pages otherwise.
    sh.breaks.append(tops[2] - 2)
    wb = sh.book.wb
    charts = [
        bar_chart(
            wb,
            rpa,
            "図1　ＲＰＡ導入前後の延べ年間作業時間",
            "時間",
            num_format=_axis_format(sh, rpa),
        ),
        bar_chart(
            wb, copies, "図2　コピー使用枚数（月平均）", "枚", num_format=_axis_format(sh, copies)
        ),
        line_chart(
            wb, card, "図3　マイナンバーカード交付率", "%", num_format=_axis_format(sh, card)
        ),
        bar_chart(
            wb,
            assess,
            f"図4　自己評価別の取組数（{fy}）",
            "取組数",
            stacked=True,
            num_format=_axis_format(sh, assess),
        ),
    ]
    chart_col = max(b.last_col for b in (rpa, copies, card, assess)) + 2
    for top, chart in zip(tops, charts, strict=True):
        # Moved, not sized, with the cells (as a chart anchored at one cell).
        sh.ws.insert_chart(top - 1, chart_col - 1, chart, {"object_position": 2})
    _write_trends(sh, result, tops[-1] + BAND_ROWS, chart_col, first_figure=len(charts) + 1)
    sh.page(plan.name)


# ------------------------------------------------------------------------ 指標: trend charts

_CARD_IDS = frozenset({CARD_MIE, CARD_NATIONAL})
"""The マイナンバーカード trend is 図3 already (its periods down, both rates)."""
_TREND_IDS = {title: frozenset(i for _, i in members) for title, _, members in TREND_CHARTS}
"""Trend title -> the indicator ids of its series."""


def _trend_label(period: str) -> str:
    """A trend table's category: R3年度 for a fiscal year, 2022年3月1日 for a date."""
    return period_label(period) if period.upper().startswith("R") else _date_label(period)


def _write_trends(
    sh: _Sheet, result: Consolidation, top: int, chart_col: int, first_figure: int
) -> None:
    """One band per `figures.trends` item (but 図3's): a table of its periods down with one
    column per series, and a native chart over it, so the chart grows with the years."""
    figure = first_figure
    bands = 0
    for trend in trends(result.plan):
        if _TREND_IDS.get(trend.title, frozenset()) <= _CARD_IDS:
            continue
        if bands % 2 == 0:
            sh.breaks.append(top - 2)  # two bands a page, as above
        bands += 1
        title = f"図{figure}　{trend.title}の推移"
        _block_title(
            sh,
            top,
            f"{trend.title}の推移（{trend.unit}）",
            "出典：指標シートの各年度・各時点の値（年度が進むと行が増え、図の範囲も広がります）",
        )
        header = top + 2
        sh.header(header, ["年度・時点", *[name for name, _ in trend.series]])
        for i, period in enumerate(trend.periods):
            _value_row(sh, header + 1 + i, _trend_label(period), [v[i] for _, v in trend.series])
        rows = len(trend.periods)
        if rows:
            block = Block(sh.name, header, header + 1, header + rows, 1, 2, 1 + len(trend.series))
            axis = _axis_format(sh, block)
            chart = (
                bar_chart(sh.book.wb, block, title, trend.unit, num_format=axis)
                if len(trend.series) > 1
                else line_chart(sh.book.wb, block, title, trend.unit, num_format=axis)
            )
            sh.ws.insert_chart(top - 1, chart_col - 1, chart, {"object_position": 2})
            figure += 1
        else:
            sh.note(header + 1, "値がありません。")
        top += max(BAND_ROWS, rows + 5)


def _axis_format(sh: _Sheet, block: Block) -> str:
    """A chart's value axis format: that of its first value cell (as a linked axis shows)."""
    _, fmt = sh.cells.rows.get(block.first_row, {}).get(block.first_col, (None, None))
    return str(getattr(fmt, "num_format", None) or "General")


def _block_title(sh: _Sheet, row: int, text: str, note: str = "") -> None:
    sh.cells.set(row, 1, text, sh.bold)
    if note:
        sh.note(row + 1, note)


def _value_row(sh: _Sheet, row: int, label: str, values: Sequence[float | int | None]) -> None:
    styles = [sh.body if v is None else sh.number(_number_format(float(v), False)) for v in values]
    sh.cells.set_row(row, [label, *values], [sh.filled(LABEL_FILL), *styles])


def _rpa_totals(result: Consolidation) -> tuple[float | None, float | None, str]:
    """Hours before/after this year: summed from this year's RPA rows, else the indicators."""
    rpa = result.rpa
    fy = str(result.fy)
    if len(rpa) and {"hours_before", "hours_after"} <= set(rpa.columns):
        rows = rpa[rpa["fy"].astype(str) == fy] if "fy" in rpa.columns else rpa
        before = pd.to_numeric(rows["hours_before"], errors="coerce")
        after = pd.to_numeric(rows["hours_after"], errors="coerce")
        both = before.notna() & after.notna()
        if both.any():
            return (
                float(before[both].sum()),
                float(after[both].sum()),
                f"{int(both.sum())}業務の合計（{fy}の提出から集計）",
            )
    before_v = indicator_value(result.plan, RPA_BEFORE, fy)
    after_v = indicator_value(result.plan, RPA_AFTER, fy)
    return before_v, after_v, f"指標「{RPA_BEFORE}」「{RPA_AFTER}」の{fy}の値"


def _rpa_block(sh: _Sheet, row: int, result: Consolidation) -> tuple[int, Block]:
    before, after, source = _rpa_totals(result)
    gap = "" if before is not None and after is not None else MISSING_NOTE
    title = f"ＲＰＡ導入の効果（延べ年間作業時間、{result.fy}）"
    _block_title(sh, row, title, f"出典：{source}{gap}")
    header = row + 2
    sh.header(header, ["区分", "時間"])
    _value_row(sh, header + 1, "導入前", [before])
    _value_row(sh, header + 2, "導入後", [after])
    saved = pct = None
    if before is not None and after is not None:
        saved = before - after
        pct = percent_reduction(before, after, 1) if before else None
    _value_row(sh, header + 3, "削減時間", [saved])
    _value_row(sh, header + 4, "削減率（%）", [pct])
    block = Block(sh.name, header, header + 1, header + 2, 1, 2, 2)
    return header + 4, block


def _copies_block(sh: _Sheet, row: int, result: Consolidation) -> tuple[int, Block]:
    fy = result.fy
    prev = FiscalYear(fy.reiwa - 1) if fy.reiwa > 1 else fy
    before = indicator_value(result.plan, COPIES, str(prev))
    after = indicator_value(result.plan, COPIES, str(fy))
    names = result.plan.indicators.loc[result.plan.indicators["id"] == COPIES, "name"]
    name = str(names.iloc[0]) if len(names) else COPIES
    gap = "" if before is not None and after is not None else MISSING_NOTE
    _block_title(sh, row, f"コピー使用枚数（月平均、{prev}・{fy}）", f"出典：指標「{name}」{gap}")
    header = row + 2
    sh.header(header, ["年度", "枚数"])
    _value_row(sh, header + 1, f"{prev}年度", [before])
    _value_row(sh, header + 2, f"{fy}年度", [after])
    saved = pct = None
    if before is not None and after is not None:
        saved = before - after
        pct = percent_reduction(before, after, 0) if before else None
    _value_row(sh, header + 3, "削減枚数", [saved])
    _value_row(sh, header + 4, "削減率（%）", [None if pct is None else int(pct)])
    return header + 4, Block(sh.name, header, header + 1, header + 2, 1, 2, 2)


def _date_label(period: str) -> str:
    return period_label(period).removesuffix("時点")


def _card_block(sh: _Sheet, row: int, result: Consolidation) -> tuple[int, Block]:
    ind = result.plan.indicators
    series = {
        key: {
            str(p): float(v)
            for p, v in zip(
                ind.loc[ind["id"] == key, "period"], ind.loc[ind["id"] == key, "value"], strict=True
            )
        }
        for key in (CARD_MIE, CARD_NATIONAL)
    }
    periods = sorted(set(series[CARD_MIE]) | set(series[CARD_NATIONAL]), key=period_key)
    _block_title(
        sh,
        row,
        "マイナンバーカード交付率（%）",
        "出典：指標「三重県のマイナンバーカード普及率・交付率」「全国のマイナンバーカード交付率」"
        "（2020年4月1日の三重県の値は普及率）",
    )
    header = row + 2
    sh.header(header, ["時点", "三重県", "全国"])
    r = header
    for period in periods:
        r += 1
        _value_row(
            sh,
            r,
            _date_label(period),
            [series[CARD_MIE].get(period), series[CARD_NATIONAL].get(period)],
        )
    last = max(r, header + 1)
    return last, Block(sh.name, header, header + 1, last, 1, 2, 3)


def assessment_counts(result: Consolidation) -> tuple[list[str], list[tuple[int, list[int]]]]:
    """Measures per area by self-assessment of the year (blank counts as 未記入), of the
    measures that run in the year."""
    fy = result.fy
    plan = result.plan.in_year(fy)
    col = assessment_column(fy)
    originals = {int(r["no"]): r for r in records(plan.own_measures())}
    words: list[str] = []
    for m in records(plan.numbered()):
        relisted = int(m["relisted_of"])
        word = _cell_of(m, col, originals.get(relisted) if relisted else None).strip()
        words.append(word)
    kinds = [*ASSESSMENTS, BLANK_ASSESSMENT]
    if any(w and w not in ASSESSMENTS for w in words):
        kinds.append(OTHER_ASSESSMENT)
    rows: list[tuple[int, list[int]]] = []
    areas = [int(a) for a in plan.numbered()["area"]]
    for area in sorted(int(a) for a in plan.areas["no"]):
        counts = dict.fromkeys(kinds, 0)
        for a, w in zip(areas, words, strict=True):
            if a != area:
                continue
            key = w if w in ASSESSMENTS else (BLANK_ASSESSMENT if not w else OTHER_ASSESSMENT)
            counts[key] += 1
        rows.append((area, [counts[k] for k in kinds]))
    return kinds, rows


def _assessment_block(sh: _Sheet, row: int, result: Consolidation) -> tuple[int, Block]:
    kinds, rows = assessment_counts(result)
    _block_title(
        sh,
        row,
        f"自己評価別の取組数（{result.fy}、個別取組別）",
        f"NO 1～{int(result.plan.numbered()['no'].max())} のうち{result.fy}に実施中の取組を"
        "数えています"
        "（再掲の取組は再掲元の自己評価、（参考）の行は数えません）。",
    )
    header = row + 2
    sh.header(header, ["個別取組", *kinds])
    r = header
    for area, counts in rows:
        r += 1
        _value_row(sh, r, area_label(area), counts)
    totals = [sum(c[i] for _, c in rows) for i in range(len(kinds))]
    _value_row(sh, r + 1, "合計", totals)
    return r + 1, Block(sh.name, header, header + 1, max(r, header + 1), 1, 2, 1 + len(kinds))


# ------------------------------------------------------------------------ 提出状況, チェック結果


def _write_submissions(sh: _Sheet, result: Consolidation) -> None:
    labels = ["担当課", "状態", "ファイル", "受付日時", "SHA-256", "反映行数", "エラー", "警告"]
    sh.title(f"提出状況（{result.fy.label_ja()}）")
    sh.header(TABLE_HEADER_ROW, labels)
    row = TABLE_HEADER_ROW
    for sub in result.submissions:
        row += 1
        sh.row(
            row,
            [
                sub.division,
                sub.state,
                sub.file,
                sub.received,
                sub.digest,
                sub.rows,
                sub.errors,
                sub.warnings,
            ],
        )
        fill = STATE_FILLS.get(sub.state)
        if fill is not None:
            sh.restyle(row, 2, sh.filled(fill))
    if not result.submissions:
        sh.note(row + 1, "提出の記録はありません。")
    sh.widths([22, 9, 40, 24, 36, 9, 7, 7])
    sh.page(result.plan.name)


EXCEL_MAX_ROWS = 1_048_576
"""The rows a sheet holds: a sheet written past them is a file Excel must repair."""


def _write_findings(sh: _Sheet, result: Consolidation) -> None:
    labels = ["重要度", "コード", "ファイル", "シート", "セル", "内容"]
    sh.title(f"チェック結果（{result.fy.label_ja()}の取りまとめ）")
    sh.header(TABLE_HEADER_ROW, labels)
    row = TABLE_HEADER_ROW
    findings = result.report.sorted().findings
    room = EXCEL_MAX_ROWS - TABLE_HEADER_ROW - 1
    if len(findings) > room:
        cut = len(findings) - room + 1
        findings = findings[: room - 1]
        sh.note(EXCEL_MAX_ROWS, f"※以下 {cut:,} 件は省略しました（シートの行数の上限）。")
    for f in findings:
        row += 1
        sh.row(
            row,
            [SEVERITY_JA[f.severity], f.code, f.file, f.sheet or "", f.cell or "", f.message_ja],
        )
        fill = SEVERITY_FILLS.get(f.severity)
        if fill is not None:
            sh.restyle(row, 1, sh.filled(fill))
    if not len(result.report):
        sh.note(row + 1, "問題は見つかりませんでした。")
    sh.widths([8, 22, 40, 12, 8, 80])
    sh.page(result.plan.name)


def _write_data(sh: _Sheet, result: Consolidation) -> None:
    """データ: the progress table as one header row and one record a row, one value a cell,
    no merged cells (the records of the report's CSV; 総務省「統計表における機械判読可能な
    データの表記方法の統一ルール」)."""
    from miedx_xl.report.opendata import progress_records

    records = progress_records(result.plan, result.fy)
    header = list(records[0]) if records else ["NO"]
    sh.header(1, header)
    # One line a cell: a table for machines, so no wrapping and no row sizing (a person
    # reads the 進捗管理表).
    plain = [sh.book.style("data", TEXT_FONT)] * len(header)
    for row, rec in enumerate(records, start=2):
        sh.cells.set_row(row, list(rec.values()), plain)
    sh.widths([min(max(len(h) * 1.8, 8), 40) for h in header])
    _page_setup(sh.ws, result.plan.name, header_row=1)
