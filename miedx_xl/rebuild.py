"""Each run's consolidated rows, kept in the ledger (`snapshots`), so that any year's master
can be written again from the archive alone (`consolidate --rebuild`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from miedx_xl.archive import read_snapshot
from miedx_xl.consolidation import PLAN_FRAMES, Consolidation, Submission
from miedx_xl.errors import UsageError
from miedx_xl.findings import Finding, Report
from miedx_xl.normalize import FiscalYear
from miedx_xl.plan.model import Plan


def _frame_of(data: dict[str, Any]) -> pd.DataFrame:
    """The table `_frame_json` wrote, with its dtypes and tuples back."""
    columns = data["columns"]
    rows = data["rows"]
    frame = pd.DataFrame(
        {c: pd.Series([r[i] for r in rows], dtype=object) for i, c in enumerate(columns)},
        columns=columns,
    )
    for c, dtype in zip(columns, data["dtypes"], strict=True):
        if c in data["tuples"]:
            frame[c] = pd.Series(
                [tuple(v) if isinstance(v, list) else v for v in frame[c]], dtype=object
            )
        elif dtype != "object":
            frame[c] = frame[c].astype(dtype)
    return frame


def _fy_of(text: str) -> FiscalYear:
    return FiscalYear(int(text.removeprefix("R")))


def restore(body: bytes) -> Consolidation:
    """The Consolidation a `snapshot` was taken of (archive and run id not set)."""

    data = json.loads(body.decode("utf-8"))
    p = data["plan"]
    plan = Plan(
        id=p["id"],
        name=p["name"],
        established=p["established"],
        first_fy=_fy_of(p["first_fy"]),
        last_fy=_fy_of(p["last_fy"]),
        report_fy=_fy_of(p["report_fy"]),
        actors=tuple(p["actors"]),
        phases=tuple(p["phases"]),
        rpa_totals=p["rpa_totals"],
        division_names={
            key: {_fy_of(y): name for y, name in names.items()}
            for key, names in p["division_names"].items()
        },
        **{name: _frame_of(p[name]) for name in PLAN_FRAMES},
    )
    return Consolidation(
        plan=plan,
        fy=_fy_of(data["fy"]),
        submissions=[Submission(**s) for s in data["submissions"]],
        report=Report([Finding(**f) for f in data["findings"]]),
        rpa=_frame_of(data["rpa"]),
        run_at=data["run_at"],
    )


def rebuild(archive: Path, fy: FiscalYear, run_id: int | None = None) -> Consolidation:
    """A fiscal year's Consolidation again, from the archive's ledger alone: that of its
    latest run whose master was written (or of `run_id`), its time stamp included."""
    found = read_snapshot(archive, str(fy), run_id)
    if found is None:
        raise UsageError(
            f"取りまとめ履歴「{archive}」に{fy.label_ja()}（{fy}）の取りまとめの記録がありません。"
            "履歴のフォルダと年度を確かめてください（この機能より前の版で取りまとめた年度は"
            "作り直せません）。"
        )
    found_id, body = found
    result = restore(body)
    result.archive = archive
    result.run_id = found_id
    return result
