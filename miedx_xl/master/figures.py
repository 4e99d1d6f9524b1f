"""Figures of the master computed from the plan alone (no Excel library): 前年度比較 rows,
each measure's 新規 / 終了 / 移動 mark, and the trend series of every indicator.

The writer lays these out; whatever it writes, the numbers and texts are decided here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from miedx_xl.master.layout import (
    CARD_MIE,
    CARD_NATIONAL,
    COPIES,
    RPA_AFTER,
    RPA_BEFORE,
    area_label,
    period_key,
)
from miedx_xl.master.layout import YEAR_OVER_YEAR_SHEET as YEAR_OVER_YEAR_SHEET
from miedx_xl.normalize import FiscalYear, cell_text, nfkc
from miedx_xl.plan.columns import (
    assessment_column,
    planned_column,
    schedule_column,
    status_column,
)
from miedx_xl.plan.model import Plan, fiscal_year_or_none, period_fiscal_year, planned_text, records

ADDED_MARK = "新規"
ENDED_MARK = "終了"
MOVED_MARK = "移動"


def percent_reduction(before: float, after: float, digits: int) -> float:
    """(before − after) / before in percent, rounded half up to `digits` decimals."""
    exact = (Decimal(str(before)) - Decimal(str(after))) / Decimal(str(before)) * 100
    return float(exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def indicator_value(plan: Plan, ind_id: str, period: str) -> float | None:
    """The value of one indicator in one period (None when the plan holds none)."""
    ind = plan.indicators
    hit = ind[(ind["id"] == ind_id) & (ind["period"].astype(str) == period)]
    return float(hit["value"].to_numpy(dtype=float)[0]) if len(hit) else None


def measure_mark(row: dict[str, Any], fy: FiscalYear) -> str:
    """A measure's mark in the master of `fy`: 新規（R4）in its first year, 終了（R4）from its
    last year on, 移動（(5)→(2)、R4）in the year it moved; '' otherwise."""
    marks = []
    added = fiscal_year_or_none(row.get("added_in"))
    ended = fiscal_year_or_none(row.get("ended_in"))
    moved = fiscal_year_or_none(row.get("moved_in"))
    if added is not None and added == fy:
        marks.append(f"{ADDED_MARK}（{added}）")
    if moved is not None and moved == fy:
        source = int(row.get("moved_from") or 0)
        marks.append(
            f"{MOVED_MARK}（{area_label(source)}→{area_label(int(row['area']))}、{moved}）"
        )
    if ended is not None and ended <= fy:
        marks.append(f"{ENDED_MARK}（{ended}）")
    return "・".join(marks)


def measure_marks(plan: Plan, fy: FiscalYear) -> dict[int, str]:
    """NO -> its mark in the master of `fy`, for the measures that have one."""
    out = {}
    for row in records(plan.own_measures()):
        mark = measure_mark(row, fy)
        if mark:
            out[int(row["no"])] = mark
    return out


_MARK = re.compile(r"(新規|終了|移動)\((?:\((\d+)\)→\(\d+\)、)?(R\d+)\)")
"""A mark after NFKC (full-width brackets and digits become ASCII)."""


def parse_measure_mark(text: str) -> dict[str, Any]:
    """The lifecycle fields (added_in, ended_in, moved_in, moved_from) a mark stands for."""
    out: dict[str, Any] = {}
    for kind, source, fy in _MARK.findall(nfkc(text)):
        if kind == ADDED_MARK:
            out["added_in"] = fy
        elif kind == ENDED_MARK:
            out["ended_in"] = fy
        else:
            out["moved_in"] = fy
            out["moved_from"] = int(source) if source else 0
    return out


_SENTENCE_END = re.compile(r"(?<=。)|\n")


def sentences(text: str) -> list[str]:
    """A status text split into sentences: after each 「。」 and at each line break."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def new_sentences(before: str, after: str, keys: dict[str, str] | None = None) -> list[str]:
    """The sentences of `after` that `before` does not have (compared after NFKC).

    `keys` keeps each sentence's NFKC form for the next call (a sentence met again, in
    another measure or year, is not normalised again)."""
    keys = {} if keys is None else keys

    def key(sentence: str) -> str:
        found = keys.get(sentence)
        if found is None:
            found = keys[sentence] = nfkc(sentence)
        return found

    old = {key(s) for s in sentences(before)}
    return [s for s in sentences(after) if key(s) not in old]


@dataclass(frozen=True)
class IndicatorChange:
    """One indicator of a measure in 前年度比較: last year's and this year's value."""

    id: str
    name: str
    unit: str
    previous: Decimal | None
    previous_period: str
    current: Decimal | None
    current_period: str
    difference: Decimal | None
    """current − previous."""
    percent: Decimal | None
    """difference ÷ previous × 100, rounded half up to one decimal (None when previous is 0)."""


@dataclass(frozen=True)
class Row:
    """One measure of 前年度比較: what changed between the previous year and `fy`."""

    no: int
    area: int
    title: str
    division: str
    """The division's name in `fy`."""
    mark: str
    """新規（R4）/ 終了（R4）/ 移動（…）or ''."""
    phase_previous: str
    """The schedule word of the previous year (e.g. 検討)."""
    phase_current: str
    """The schedule word of `fy` (e.g. 実施)."""
    schedule_previous: str
    """The schedule of `fy` and later before this year's report (`R4：実施、R5：運用`)."""
    schedule_current: str
    """The schedule of `fy` and later now."""
    assessment_previous: str
    assessment_current: str
    status_previous: str
    status_current: str
    status_new: tuple[str, ...]
    """The sentences of this year's status that last year's does not have."""
    indicators: tuple[IndicatorChange, ...]

    @property
    def schedule_changed(self) -> bool:
        """True when the division changed the schedule of this or a later year."""
        return self.schedule_previous != self.schedule_current

    @property
    def changed(self) -> bool:
        """True when anything of the measure differs from last year."""
        return (
            self.schedule_changed
            or self.assessment_previous != self.assessment_current
            or bool(self.status_new)
            or self.status_previous != self.status_current
            or any(i.difference for i in self.indicators)
        )


def _decimal(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return Decimal(repr(float(value))).normalize() if isinstance(value, float) else Decimal(value)


def percent_change(previous: Decimal | None, current: Decimal | None) -> Decimal | None:
    """(current − previous) ÷ previous in percent, rounded half up to one decimal."""
    if previous is None or current is None or previous == 0:
        return None
    exact = (current - previous) / previous * 100
    return exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _last_in(values: list[tuple[str, float]], fy: FiscalYear) -> tuple[str, Decimal | None]:
    """The last (period, value) of a fiscal year among an indicator's values."""
    found = [(p, v) for p, v in values if _fiscal_year_of(p) == fy]
    if not found:
        return "", None
    period, value = found[-1]
    return period, _decimal(value)


def _fiscal_year_of(period: str) -> FiscalYear:
    return period_fiscal_year(period)


def indicator_changes(plan: Plan, fy: FiscalYear) -> dict[int, list[IndicatorChange]]:
    """Measure NO -> its indicators' previous-year and `fy` values, difference and percent
    (the report's own derived *_reported figures left out)."""
    prev = FiscalYear(fy.reiwa - 1) if fy.reiwa > 1 else fy
    series = trend_series(plan)
    out: dict[int, list[IndicatorChange]] = {}
    ind = plan.indicators
    firsts = ind.drop_duplicates("id") if len(ind) else ind
    for rec in records(firsts):
        ind_id = str(rec["id"])
        if ind_id.endswith("_reported") or not int(rec["measure"]):
            continue
        values = series.get(ind_id, [])
        before_period, before = _last_in(values, prev)
        now_period, now = _last_in(values, fy)
        if before is None and now is None:
            continue
        diff = now - before if now is not None and before is not None else None
        out.setdefault(int(rec["measure"]), []).append(
            IndicatorChange(
                id=ind_id,
                name=str(rec["name"]),
                unit=str(rec["unit"]),
                previous=before,
                previous_period=before_period,
                current=now,
                current_period=now_period,
                difference=diff,
                percent=percent_change(before, now),
            )
        )
    return out


def year_over_year(plan: Plan, fy: FiscalYear) -> list[Row]:
    """前年度比較 of `fy`: one row per measure reported in `fy` or the year before (re-listed
    and （参考） rows left out), in the progress table's order."""
    prev = FiscalYear(fy.reiwa - 1) if fy.reiwa > 1 else fy
    later = [y for y in plan.fiscal_years if y >= fy]
    indicators = indicator_changes(plan, fy)
    names = {key: plan.division_name(key, fy) for key in set(plan.measures["division"])}
    # Column names and fiscal years once, not once per measure.
    later_columns = [(y, schedule_column(y)) for y in later]
    phase_before, phase_now = schedule_column(prev), schedule_column(fy)
    planned_col = planned_column(fy)
    assessed_before, assessed_now = assessment_column(prev), assessment_column(fy)
    status_before_col, status_now_col = status_column(prev), status_column(fy)
    keys: dict[str, str] = {}
    text = cell_text  # '' for an empty cell (None, NaN, pandas' NA)
    rows = []
    for m in records(plan.own_measures().sort_values("order")):
        added = fiscal_year_or_none(m.get("added_in"))
        ended = fiscal_year_or_none(m.get("ended_in"))
        if (added is not None and added > fy) or (ended is not None and ended < prev):
            continue
        schedule_now = planned_text({y: text(m.get(col)) for y, col in later_columns})
        planned = text(m.get(planned_col))
        status_before, status_now = text(m.get(status_before_col)), text(m.get(status_now_col))
        rows.append(
            Row(
                no=int(m["no"]),
                area=int(m["area"]),
                title=str(m["title"]),
                division=names.get(m["division"]) or plan.division_name(str(m["division"]), fy),
                mark=measure_mark(m, fy),
                phase_previous=text(m.get(phase_before)),
                phase_current=text(m.get(phase_now)),
                schedule_previous=planned or schedule_now,
                schedule_current=schedule_now,
                assessment_previous=text(m.get(assessed_before)),
                assessment_current=text(m.get(assessed_now)),
                status_previous=status_before,
                status_current=status_now,
                status_new=tuple(new_sentences(status_before, status_now, keys)),
                indicators=tuple(indicators.get(int(m["no"]), [])),
            )
        )
    return rows


def trend_series(plan: Plan) -> dict[str, list[tuple[str, float]]]:
    """Indicator id -> its (period, value) over every year on record, oldest first."""
    out: dict[str, list[tuple[str, float]]] = {}
    for rec in records(plan.indicators):
        out.setdefault(str(rec["id"]), []).append((str(rec["period"]), float(rec["value"])))
    for values in out.values():
        values.sort(key=lambda pv: period_key(pv[0]))
    return out


@dataclass(frozen=True)
class Trend:
    """One trend chart's table: categories (periods) down, one column per series."""

    title: str
    unit: str
    periods: tuple[str, ...]
    series: tuple[tuple[str, tuple[float | None, ...]], ...]
    """(series name, one value or None per period)."""


TREND_CHARTS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("ＲＰＡ導入前後の延べ年間作業時間", "時間", (("導入前", RPA_BEFORE), ("導入後", RPA_AFTER))),
    ("コピー使用枚数（月平均）", "枚", (("枚数", COPIES),)),
    ("マイナンバーカード交付率", "%", (("三重県", CARD_MIE), ("全国", CARD_NATIONAL))),
    ("公開データセット数", "セット", (("データセット数", "open_data_sets"),)),
)
"""The trend charts of the 指標 sheet: title, unit, (series name, indicator id)."""


def trends(plan: Plan) -> list[Trend]:
    """The trend charts' tables over every period on record: a chart's series range is
    one row per period, so it grows with the years."""
    series = trend_series(plan)
    out = []
    for title, unit, members in TREND_CHARTS:
        by_name = {name: dict(series.get(ind_id, [])) for name, ind_id in members}
        periods = sorted({p for values in by_name.values() for p in values}, key=period_key)
        out.append(
            Trend(
                title=title,
                unit=unit,
                periods=tuple(periods),
                series=tuple(
                    (name, tuple(values.get(p) for p in periods))
                    for name, values in by_name.items()
                ),
            )
        )
    return out


def year_over_year_header(fy: FiscalYear) -> list[str]:
    """Column headings of the 前年度比較 sheet of `fy`."""
    prev = FiscalYear(fy.reiwa - 1) if fy.reiwa > 1 else fy
    return [
        "NO",
        "取組内容",
        "担当課",
        "区分",
        f"予定（{prev}）",
        f"予定（{fy}）",
        f"{fy}以降の予定（変更前）",
        f"{fy}以降の予定（変更後）",
        f"自己評価（{prev}）",
        f"自己評価（{fy}）",
        f"取組状況（{prev}）",
        f"取組状況（{fy}）",
        "新たに加わった記述",
        "指標",
        "単位",
        "前年度の値",
        "今年度の値",
        "差",
        "増減率（%）",
    ]


def _number(value: Decimal | None) -> int | float | None:
    """A Decimal as the number a cell holds (whole numbers as int)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def year_over_year_cells(rows: list[Row]) -> list[list[Any]]:
    """The 前年度比較 sheet's rows for `year_over_year_header`: a measure's row holds its
    first indicator, each further indicator a row of its own under it (NO repeated, so a
    filter on NO keeps them together); '' for an empty text, None for a missing number."""
    out: list[list[Any]] = []
    for r in rows:
        measure = [
            r.no,
            r.title,
            r.division,
            r.mark,
            r.phase_previous,
            r.phase_current,
            r.schedule_previous if r.schedule_changed else "",
            r.schedule_current if r.schedule_changed else "",
            r.assessment_previous,
            r.assessment_current,
            r.status_previous,
            r.status_current,
            "\n".join(r.status_new),
        ]
        blank = [r.no, *[""] * (len(measure) - 1)]
        indicators = [
            [
                f"{i.name}（{i.previous_period or '－'} → {i.current_period or '－'}）",
                i.unit,
                _number(i.previous),
                _number(i.current),
                _number(i.difference),
                _number(i.percent),
            ]
            for i in r.indicators
        ] or [["", "", None, None, None, None]]
        for n, ind in enumerate(indicators):
            out.append([*(measure if n == 0 else blank), *ind])
    return out
