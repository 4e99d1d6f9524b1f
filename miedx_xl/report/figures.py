"""The report's headline figures, computed from a plan (a master read back): nothing typed in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from miedx_xl.master.figures import indicator_value, percent_reduction
from miedx_xl.master.layout import (
    CARD_MIE,
    CARD_NATIONAL,
    COPIES,
    RPA_AFTER,
    RPA_BEFORE,
    period_key,
    period_label,
)
from miedx_xl.normalize import FiscalYear
from miedx_xl.plan.model import Plan, records

CHAT_TRIAL = "business_chat_trial_divisions"
CHAT_TOTAL = "business_chat_divisions_total"
SPECIAL = {RPA_BEFORE, RPA_AFTER, COPIES, CARD_MIE, CARD_NATIONAL, CHAT_TRIAL, CHAT_TOTAL}
"""Indicators that have a chart of their own; the others are charted per area by period."""

_FULL = str.maketrans("0123456789.,/%-", "０１２３４５６７８９．，／％－")

ChartKind = Literal["bar", "line", "doughnut"]


def zenkaku(value: float, digits: int = 0, comma: bool = True) -> str:
    """A number as the report prints it in prose: 1202 -> １，２０２, 44.8 -> ４４．８."""
    text = f"{value:,.{digits}f}" if comma else f"{value:.{digits}f}"
    return text.translate(_FULL)


@dataclass(frozen=True)
class ChartSpec:
    """One chart of the slides: categories, series of values, and the sentence beside it."""

    title: str
    unit: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[float | None, ...]], ...]
    kind: ChartKind
    headline: str
    source: str
    number_format: str = "#,##0"


@dataclass(frozen=True)
class Reduction:
    """A before/after pair and what it saved, in percent rounded half up as the report does."""

    before: float
    after: float
    digits: int

    @property
    def saved(self) -> float:
        """Before minus after."""
        return self.before - self.after

    @property
    def percent(self) -> float:
        """(before − after) / before in percent, rounded half up to `digits` decimals."""
        return percent_reduction(self.before, self.after, self.digits)


def indicator_name(plan: Plan, ind_id: str) -> str:
    """An indicator's name (its id when the plan does not hold it)."""
    names = plan.indicators.loc[plan.indicators["id"] == ind_id, "name"]
    return str(names.iloc[0]) if len(names) else ind_id


def rpa_reduction(plan: Plan, fy: FiscalYear) -> Reduction | None:
    """RPA hours before and after in `fy` (延べ年間作業時間), from the master's indicators."""
    before = indicator_value(plan, RPA_BEFORE, str(fy))
    after = indicator_value(plan, RPA_AFTER, str(fy))
    if before is None or after is None or not before:
        return None
    return Reduction(before, after, 1)


def rpa_headline(r: Reduction) -> str:
    """「４４．８％の削減（１，２０２時間の削減）」."""
    return f"{zenkaku(r.percent, 1)}％の削減（{zenkaku(r.saved)}時間の削減）"


def copies_reduction(plan: Plan, fy: FiscalYear) -> Reduction | None:
    """Copies per month in the year before `fy` and in `fy`."""
    before = indicator_value(plan, COPIES, str(FiscalYear(fy.reiwa - 1)))
    after = indicator_value(plan, COPIES, str(fy))
    if before is None or after is None or not before:
        return None
    return Reduction(before, after, 0)


def copies_headline(r: Reduction) -> str:
    """「対前年比４０％の削減（月平均：７，３４５枚の削減）」 (the saving as computed)."""
    return f"対前年比{zenkaku(r.percent)}％の削減（月平均：{zenkaku(r.saved)}枚の削減）"


def chat_divisions(plan: Plan, fy: FiscalYear) -> tuple[int, int] | None:
    """Divisions trying the business chat, and all divisions, in `fy`."""
    trial = indicator_value(plan, CHAT_TRIAL, str(fy))
    total = indicator_value(plan, CHAT_TOTAL, str(fy))
    if trial is None or total is None:
        return None
    return int(trial), int(total)


def chat_headline(trial: int, total: int) -> str:
    """「６６所属にてビジネスチャットを試行（６６／３３０所属）」."""
    t, n = zenkaku(trial, comma=False), zenkaku(total, comma=False)
    return f"{t}所属にてビジネスチャットを試行（{t}／{n}所属）"


def _label(fy_or_period: str) -> str:
    text = period_label(fy_or_period)
    return text.removesuffix("時点")


def _fy_label(fy: FiscalYear) -> str:
    return fy.label_ja().replace(str(fy.reiwa), zenkaku(fy.reiwa, comma=False))


def area_charts(plan: Plan, fy: FiscalYear) -> dict[int, list[ChartSpec]]:
    """The charts of each area's slide, every value read from the plan's indicators."""
    charts: dict[int, list[ChartSpec]] = {}
    rpa = rpa_reduction(plan, fy)
    if rpa is not None:
        charts.setdefault(1, []).append(
            ChartSpec(
                f"ＲＰＡ導入の効果　延べ年間作業時間数（{_fy_label(fy)}）",
                "時間",
                ("導入前", "導入後"),
                (("延べ年間作業時間（時間）", (rpa.before, rpa.after)),),
                "bar",
                rpa_headline(rpa),
                f"指標「{indicator_name(plan, RPA_BEFORE)}」「{indicator_name(plan, RPA_AFTER)}」",
            )
        )
    copies = copies_reduction(plan, fy)
    if copies is not None:
        prev = FiscalYear(fy.reiwa - 1)
        charts.setdefault(2, []).append(
            ChartSpec(
                "コピー使用枚数（月平均）",
                "枚",
                (_fy_label(prev), _fy_label(fy)),
                (("コピー使用枚数（枚・月平均）", (copies.before, copies.after)),),
                "bar",
                copies_headline(copies),
                f"指標「{indicator_name(plan, COPIES)}」",
            )
        )
    chat = chat_divisions(plan, fy)
    if chat is not None:
        trial, total = chat
        charts.setdefault(2, []).append(
            ChartSpec(
                "ビジネスチャット試行所属",
                "所属",
                ("試行所属", "その他の所属"),
                (("所属数", (float(trial), float(total - trial))),),
                "doughnut",
                chat_headline(trial, total),
                f"指標「{indicator_name(plan, CHAT_TRIAL)}」「{indicator_name(plan, CHAT_TOTAL)}」",
            )
        )
    card = _card_chart(plan)
    if card is not None:
        charts.setdefault(5, []).append(card)
    for area in sorted(int(a) for a in plan.areas["no"]):
        if area in charts:
            continue
        spec = _period_chart(plan, area)
        if spec is not None:
            charts[area] = [spec]
    return charts


def _card_chart(plan: Plan) -> ChartSpec | None:
    ind = plan.indicators
    mie = {str(p): float(v) for p, v in zip(*_values(plan, CARD_MIE), strict=True)}
    nat = {str(p): float(v) for p, v in zip(*_values(plan, CARD_NATIONAL), strict=True)}
    both = sorted(set(mie) & set(nat), key=period_key)
    if not both or not len(ind):
        return None
    last = both[-1]
    return ChartSpec(
        "マイナンバーカード交付率",
        "%",
        tuple(_label(p) for p in both),
        (("三重県", tuple(mie[p] for p in both)), ("全国", tuple(nat[p] for p in both))),
        "line",
        f"{_label(last)}時点　三重県：{mie[last]:g}％、全国：{nat[last]:g}％",
        f"指標「{indicator_name(plan, CARD_MIE)}」「{indicator_name(plan, CARD_NATIONAL)}」",
        "0.0",
    )


def _values(plan: Plan, ind_id: str) -> tuple[list[str], list[float]]:
    ind = plan.indicators[plan.indicators["id"] == ind_id]
    return [str(p) for p in ind["period"]], [float(v) for v in ind["value"]]


def _period_chart(plan: Plan, area: int) -> ChartSpec | None:
    """The area's indicators that have two periods or more and share the first one's unit."""
    groups: dict[str, list[dict[str, object]]] = {}
    for rec in records(plan.indicators[plan.indicators["area"] == area]):
        ind_id = str(rec["id"])
        if ind_id in SPECIAL or ind_id.endswith("_reported"):
            continue
        groups.setdefault(ind_id, []).append(rec)
    multi = [g for g in groups.values() if len(g) >= 2]
    if not multi:
        return None
    unit = str(multi[0][0]["unit"])
    chosen = [g for g in multi if str(g[0]["unit"]) == unit]
    periods = sorted({str(r["period"]) for g in chosen for r in g}, key=period_key)
    series = []
    for g in chosen:
        by = {str(r["period"]): float(str(r["value"])) for r in g}
        series.append((str(g[0]["name"]), tuple(by.get(p) for p in periods)))
    first = chosen[0]
    a, b = first[0], first[-1]
    fmt = "#,##0.0" if any(float(str(r["value"])) % 1 for g in chosen for r in g) else "#,##0"
    return ChartSpec(
        str(first[0]["name"]),
        unit,
        tuple(_label(p) for p in periods),
        tuple(series),
        "bar",
        f"{first[0]['name']}：{_label(str(a['period']))} {float(str(a['value'])):,g}{unit}"
        f" → {_label(str(b['period']))} {float(str(b['value'])):,g}{unit}",
        "指標「" + "」「".join(str(g[0]["name"]) for g in chosen) + "」",
        fmt,
    )
