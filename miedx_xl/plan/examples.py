"""Invented example input for the years after R3 (data/examples/R4_example.toml).

架空の入力例（報告書の数値ではありません）: what a secretariat and its divisions might
type in R4 and R5, so that the demo and the tests can run the second and third year. None
of it is a figure of the source report.
"""

from __future__ import annotations

import csv
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from miedx_xl.normalize import FiscalYear
from miedx_xl.plan.changes import (
    CHANGE_HEADER,
    CHANGES_FILE,
    RENAME_HEADER,
    RENAMES_FILE,
    Change,
    Rename,
)
from miedx_xl.plan.columns import assessment_column, schedule_column, status_column
from miedx_xl.plan.model import Plan, records

EXAMPLE_FILE = "R4_example.toml"
EXAMPLE_MARK = "（架空の入力例）"
RPA_MEASURE = 1
"""NO 1 (ＡＩ・ＲＰＡ等の新たな技術の導入): its division reports the RPA register."""


@cache
def _example() -> dict[str, Any]:
    ref = resources.files("miedx_xl.plan") / "data" / "examples" / EXAMPLE_FILE
    with ref.open("rb") as fh:
        return tomllib.load(fh)


def _fy(text: str) -> FiscalYear:
    return FiscalYear(int(text.removeprefix("R")))


def example_renames() -> list[Rename]:
    """The example's division renames (an invented name)."""
    return [Rename(_fy(r["fy"]), r["old"], r["new"]) for r in _example().get("rename", [])]


def example_changes() -> list[Change]:
    """The example's measures added and ended."""
    return [
        Change(
            fy=_fy(c["fy"]),
            kind=c["kind"],
            no=int(c["no"]),
            area=c.get("area"),
            actor=c.get("actor", ""),
            policy=tuple(c.get("policy", ())),
            title=c.get("title", ""),
            division=c.get("division", ""),
            schedule=tuple(c.get("schedule", ())),
        )
        for c in _example().get("change", [])
    ]


def write_changes_file(folder: Path, changes: list[Change]) -> Path:
    """Write `取組の追加・終了.csv` into `folder` (UTF-8 with BOM, as Excel saves it)."""
    path = folder / CHANGES_FILE
    folder.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(CHANGE_HEADER)
        for c in changes:
            out.writerow(
                [
                    str(c.fy),
                    c.kind,
                    c.no,
                    c.area or "",
                    c.actor,
                    ",".join(str(p) for p in c.policy),
                    c.title,
                    c.division,
                    "・".join(c.schedule),
                ]
            )
    return path


def write_renames_file(folder: Path, renames: list[Rename]) -> Path:
    """Write `改称.csv` into `folder` (UTF-8 with BOM, as Excel saves it)."""
    path = folder / RENAMES_FILE
    folder.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(RENAME_HEADER)
        for r in renames:
            out.writerow([str(r.fy), r.old, r.new])
    return path


def _previous_status(row: dict[str, Any], plan: Plan, fy: FiscalYear) -> str:
    for y in reversed([y for y in plan.status_years() if y < fy]):
        text = row.get(status_column(y))
        if isinstance(text, str) and text:
            return text
    return ""


def example_inputs(plan: Plan, fy: FiscalYear, key: str) -> dict[str, Any]:
    """What division `key` types into its form of `fy` in the invented example (the
    `fill_form` arguments: statuses, indicators, rpa); empty for a year it has no data of."""
    year = _example().get("year", {}).get(str(fy))
    if year is None:
        return {"statuses": {}, "indicators": {}, "rpa": []}
    own = plan.own_measures(key, fy)
    per_measure = year.get("measure", {})
    statuses: dict[int, dict[str, Any]] = {}
    for row in records(own):
        no = int(row["no"])
        over = per_measure.get(str(no), {})
        text = over.get("status")
        if text is None:
            before = _previous_status(row, plan, fy)
            text = f"{before}\n{year['status_suffix']}" if before else year["status_suffix"]
            if len(text) > 500:
                text = year["status_suffix"]
        values: dict[str, Any] = {status_column(fy): text}
        values[assessment_column(fy)] = over.get("assessment", year.get("assessment"))
        for y, word in over.get("schedule", {}).items():
            values[schedule_column(_fy(y))] = word
        statuses[no] = values
    measures = set(own["no"].tolist())
    by_measure = dict(zip(plan.indicators["id"], plan.indicators["measure"], strict=True))
    indicators = {
        ind_id: dict(values)
        for ind_id, values in year.get("indicator", {}).items()
        if by_measure.get(ind_id) in measures
    }
    rpa = list(year.get("rpa", [])) if RPA_MEASURE in measures else []
    return {"statuses": statuses, "indicators": indicators, "rpa": rpa}
