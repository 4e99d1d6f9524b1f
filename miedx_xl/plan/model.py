"""The plan model and the built-in R3 plan (package data in miedx_xl/plan/data/*.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache, cached_property
from importlib import resources
from typing import Any

import pandas as pd

from miedx_xl.errors import PlanError
from miedx_xl.normalize import FiscalYear, parse_fiscal_year, parse_year_month
from miedx_xl.plan.columns import (
    schedule_column,
    status_column,
    years_of,
)

MEASURE_COLUMNS = ["no", "area", "actor", "policy", "title", "division", "relisted_of"]
"""The fixed columns of the measures table (docs/design.md); schedule_R*/status_R* follow."""

LIFECYCLE_DEFAULTS: dict[str, Any] = {
    "added_in": "",
    "ended_in": "",
    "moved_in": "",
    "moved_from": 0,
}
"""A measure's years in the plan: `added_in` the fiscal year it was added (新規; "" for the
plan's own measures), `ended_in` the last year it reports (終了; "" while it runs), `moved_in`
the year it moved to another area from area `moved_from`."""

ACTOR_HEADINGS = {
    "県": "■県の取組",
    "市町連携（支援）": "■市町連携（支援）の取組",
    "産学官連携": "■産学官連携の取組",
}


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of Python values, like `to_dict("records")` at a fraction of its cost
    (which boxes every value one by one)."""
    keys = [str(k) for k in frame.columns]
    columns = [frame[k].tolist() for k in frame.columns]
    return [dict(zip(keys, values, strict=True)) for values in zip(*columns, strict=True)]


def expand_schedule(words: list[str], years: list[FiscalYear]) -> dict[FiscalYear, str]:
    """Spread the printed schedule words over the plan's years.

    The source report lost which years each phase spans. Rule: word i falls in year i of the
    plan, and the last word runs on to the plan's last year.
    """
    if not words:
        return {}
    return {fy: words[min(i, len(words) - 1)] for i, fy in enumerate(years)}


@dataclass(frozen=True)
class Plan:
    """A digital strategy plan: areas, measures by fiscal year, indicators, RPA register."""

    id: str
    name: str
    established: str
    first_fy: FiscalYear
    last_fy: FiscalYear
    report_fy: FiscalYear
    actors: tuple[str, ...]
    phases: tuple[str, ...]
    areas: pd.DataFrame
    overviews: pd.DataFrame
    measures: pd.DataFrame
    indicators: pd.DataFrame
    rpa_tasks: pd.DataFrame
    rpa_totals: dict[str, Any]
    division_names: dict[str, dict[FiscalYear, str]] = field(default_factory=dict)

    @property
    def fiscal_years(self) -> list[FiscalYear]:
        """The plan's fiscal years in order (R2..R5 for the built-in plan)."""
        return [FiscalYear(n) for n in range(self.first_fy.reiwa, self.last_fy.reiwa + 1)]

    def status_years(self) -> list[FiscalYear]:
        """Fiscal years for which the measures table holds a 取組状況 column."""
        return years_of(self.measures.columns, "status")

    def division_name(self, key: str, fy: FiscalYear) -> str:
        """The name a division has in a fiscal year (the latest name known at or before it)."""
        names = self.division_names.get(key)
        if not names:
            return key
        known = [y for y in names if y <= fy]
        return names[max(known)] if known else names[min(names)]

    def division_key(self, name: str, fy: FiscalYear | None = None) -> str | None:
        """The plan's key of a division from any of its names (None when unknown)."""
        if name in self.division_names or name in set(self.measures["division"]):
            return name
        for key, names in self.division_names.items():
            if fy is not None and names.get(fy) == name:
                return key
            if name in names.values():
                return key
        return None

    def divisions(self) -> list[str]:
        """Division keys owning at least one measure, in the order they first appear."""
        return list(self._divisions)

    @cached_property
    def _divisions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.measures["division"].tolist()))

    def numbered(self) -> pd.DataFrame:
        """The measures with their own NO (each NO once; the （参考） rows left out)."""
        return self.measures[~self.measures["reference"]]

    def own_measures(
        self, division: str | None = None, fy: FiscalYear | None = None
    ) -> pd.DataFrame:
        """Measures a division reports on: re-listed rows left out, optionally of one division,
        and with `fy` only those that run in that year (not ended before it, not added after)."""
        m = self.measures
        own = m[(m["relisted_of"] == 0) & ~m["reference"]]
        if division is not None:
            own = own[own["division"] == division]
        if fy is not None:
            own = own[active_mask(own, fy)]
        return own

    def in_year(self, fy: FiscalYear) -> Plan:
        """The plan as the forms of `fy` show it: measures ended before `fy` or added after
        it left out (with their re-listed rows); every earlier year's content kept."""
        m = self.measures
        keep = active_mask(m, fy)
        gone = set(m.loc[~keep & (m["relisted_of"] == 0), "no"].tolist())
        keep &= ~m["relisted_of"].isin(gone) | (m["relisted_of"] == 0)
        if bool(keep.all()):
            return self
        return replace(self, measures=m[keep].reset_index(drop=True))


def planned_text(words: dict[FiscalYear, str]) -> str:
    """A schedule as one text, e.g. `R4：実施、R5：運用` (years without a word left out)."""
    return "、".join(f"{y}：{w}" for y, w in sorted(words.items()) if w)


def fiscal_year_or_none(text: Any) -> FiscalYear | None:
    """A fiscal year from a table cell ("" or None give None)."""
    if text is None or (isinstance(text, float) and text != text) or str(text) == "":
        return None
    return parse_fiscal_year(str(text)).value


def active_mask(measures: pd.DataFrame, fy: FiscalYear) -> pd.Series:
    """True for the measures that run in `fy` (added in or before it, not ended before it)."""
    added = measures.get("added_in", pd.Series("", index=measures.index))
    ended = measures.get("ended_in", pd.Series("", index=measures.index))
    ok = [
        (a is None or a <= fy) and (e is None or fy <= e)
        for a, e in zip(
            map(fiscal_year_or_none, added), map(fiscal_year_or_none, ended), strict=True
        )
    ]
    return pd.Series(ok, index=measures.index, dtype=bool)


def with_lifecycle(measures: pd.DataFrame) -> pd.DataFrame:
    """The measures table with every lifecycle column (added_in, ended_in, …) present."""
    missing = [c for c in LIFECYCLE_DEFAULTS if c not in measures.columns]
    if not missing:
        return measures
    out = measures.copy()
    for c in missing:
        out[c] = LIFECYCLE_DEFAULTS[c]
    return out


def _read_toml(name: str) -> dict[str, Any]:
    ref = resources.files("miedx_xl.plan") / "data" / name
    with ref.open("rb") as fh:
        return tomllib.load(fh)


def _fy(text: str) -> FiscalYear:
    parsed = parse_fiscal_year(text)
    if parsed.value is None:
        raise PlanError(f"bad fiscal year in plan data: {text!r} ({parsed.reason})")
    return parsed.value


def period_fiscal_year(period: str) -> FiscalYear:
    """Fiscal year of an indicator period: `R3`, `2022-03` or `2022-03-01`."""
    fy = parse_fiscal_year(period).value
    if fy is not None:
        return fy
    if len(period) == 10:
        d = date.fromisoformat(period)
        period = f"{d.year:04d}-{d.month:02d}"
    ym = parse_year_month(period).value
    if ym is None:
        raise PlanError(f"bad indicator period: {period!r}")
    return ym.fiscal_year


def _measures_frame(rows: list[dict[str, Any]], years: list[FiscalYear]) -> pd.DataFrame:
    records = []
    for order, row in enumerate(rows, start=1):
        rec: dict[str, Any] = {
            "no": int(row["no"]),
            "area": int(row["area"]),
            "actor": row["actor"],
            "policy": tuple(sorted(int(p) for p in row["policy"])),
            "title": row["title"],
            "division": row["division"],
            "relisted_of": int(row.get("relisted_of", 0)),
            "reference": bool(row.get("reference", False)),
            "order": order,
            "schedule_printed": tuple(row.get("schedule_printed", ())),
            "schedule_inferred": True,
            **LIFECYCLE_DEFAULTS,
        }
        expanded = expand_schedule(list(rec["schedule_printed"]), years)
        for fy in years:
            rec[schedule_column(fy)] = expanded.get(fy, "")
        for fy_text, text in sorted(row.get("status", {}).items()):
            rec[status_column(_fy(fy_text))] = text
        records.append(rec)
    return pd.DataFrame.from_records(records)


def _indicators_frame(items: list[dict[str, Any]]) -> pd.DataFrame:
    records = []
    for item in items:
        for v in item["values"]:
            period = str(v["period"])
            records.append(
                {
                    "id": item["id"],
                    "name": item["name"],
                    "unit": item["unit"],
                    "area": int(item.get("area", 0)),
                    "measure": int(item.get("measure", 0)),
                    "period": period,
                    "fy": str(period_fiscal_year(period)),
                    "value": float(v["value"]),
                    "approx": bool(v.get("approx", False)),
                    "note": v.get("note", ""),
                    "source": item.get("source", ""),
                }
            )
    return pd.DataFrame.from_records(records)


@cache
def _builtin() -> Plan:
    meta = _read_toml("plan.toml")
    first, last = (_fy(p) for p in meta["period"])
    years = [FiscalYear(n) for n in range(first.reiwa, last.reiwa + 1)]
    areas, overviews = [], []
    for a in meta["area"]:
        rec: dict[str, Any] = {"no": int(a["no"]), "title": a["title"]}
        for fy_text, lead in a.get("lead", {}).items():
            rec[f"lead_{_fy(fy_text)}"] = lead
        for fy_text, heads in a.get("headline", {}).items():
            rec[f"headline_{_fy(fy_text)}"] = "\n".join(heads)
        areas.append(rec)
        for ov in a.get("overview", []):
            overviews.append(
                {
                    "area": rec["no"],
                    "actor": ov["actor"],
                    "current": ov.get("current", ""),
                    "approach": ov.get("approach", ""),
                }
            )
    rpa = _read_toml("rpa.toml")
    rpa_fy = str(_fy(rpa["fy"]))
    tasks = pd.DataFrame.from_records(
        [{"fy": rpa_fy, "division": t["division"], "task": t["task"]} for t in rpa["task"]]
    )
    names: dict[str, dict[FiscalYear, str]] = {}
    for d in _read_toml("divisions.toml").get("division", []):
        names[d["key"]] = {_fy(k): v for k, v in d.get("names", {}).items()}
    plan = Plan(
        id=meta["id"],
        name=meta["name"],
        established=meta.get("established", ""),
        first_fy=first,
        last_fy=last,
        report_fy=_fy(meta["report_fy"]),
        actors=tuple(meta["actors"]),
        phases=tuple(meta["phases"]),
        areas=pd.DataFrame.from_records(areas),
        overviews=pd.DataFrame.from_records(overviews),
        measures=_measures_frame(_read_toml("measures.toml")["measure"], years),
        indicators=_indicators_frame(_read_toml("indicators.toml")["indicator"]),
        rpa_tasks=tasks,
        rpa_totals={k: v for k, v in rpa.items() if k != "task"},
        division_names=names,
    )
    from miedx_xl.plan.schema import validate_plan

    validate_plan(plan)
    return plan


def load_plan() -> Plan:
    """The built-in plan: Mie Prefecture's みえデジタル戦略推進計画 with its FY R3 progress."""
    plan = _builtin()
    # Frames are mutable: hand out copies so a caller cannot change the cached plan.
    return replace(
        plan,
        areas=plan.areas.copy(),
        overviews=plan.overviews.copy(),
        measures=plan.measures.copy(),
        indicators=plan.indicators.copy(),
        rpa_tasks=plan.rpa_tasks.copy(),
    )
