"""pandera schemas: the plan's own tables (checked when the plan loads)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandera.pandas as pa

from miedx_xl.errors import PlanError

if TYPE_CHECKING:
    from miedx_xl.plan.model import Plan


def _measures_schema(plan: Plan) -> pa.DataFrameSchema:
    n_max = int(plan.numbered()["no"].max())
    phases = [*plan.phases, ""]
    nonempty = pa.Check(lambda s: s.str.len() > 0, error="text-empty")
    return pa.DataFrameSchema(
        {
            "no": pa.Column(int, pa.Check.in_range(1, n_max)),
            "area": pa.Column(int, pa.Check.isin(plan.areas["no"].tolist())),
            "actor": pa.Column(str, pa.Check.isin(plan.actors)),
            # A measure added in a later year may come without 基本方針 (empty tuple).
            "policy": pa.Column(
                object,
                pa.Check(
                    lambda s: s.map(lambda p: set(p) <= {1, 2, 3}),
                    element_wise=False,
                    error="policy-not-in-1-3",
                ),
            ),
            "title": pa.Column(str, nonempty),
            "division": pa.Column(str, nonempty),
            "relisted_of": pa.Column(int, pa.Check.in_range(0, n_max)),
            "reference": pa.Column(bool),
            r"^schedule_R\d+$": pa.Column(str, pa.Check.isin(phases), regex=True),
            r"^status_R\d+$": pa.Column(str, regex=True, nullable=True),
        },
        checks=[
            pa.Check(
                lambda df: ~df.duplicated(["no", "area"], keep=False),
                error="measure-duplicated-in-area",
            ),
            pa.Check(
                lambda df: (
                    df["policy"].map(bool) | (df.get("added_in", "").astype(str) != "")
                    if "added_in" in df
                    else df["policy"].map(bool)
                ),
                error="policy-empty",
            ),
        ],
        strict=False,
    )


_INDICATORS = pa.DataFrameSchema(
    {
        "id": pa.Column(str, pa.Check.str_matches(r"^[a-z0-9_]+$")),
        "unit": pa.Column(str),
        "value": pa.Column(float, pa.Check(lambda s: s.notna(), error="value-missing")),
        "fy": pa.Column(str, pa.Check.str_matches(r"^R\d+$")),
    },
    checks=[pa.Check(lambda df: ~df.duplicated(["id", "period"]), error="indicator-period-twice")],
)


def validate_plan(plan: Plan) -> None:
    """Check the plan's tables; raise PlanError listing every failure."""

    problems: list[str] = []
    for label, schema, frame in (
        ("measures", _measures_schema(plan), plan.measures),
        ("indicators", _INDICATORS, plan.indicators),
    ):
        try:
            schema.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as exc:
            cases = exc.failure_cases
            for rec in cases.head(20).to_dict("records"):
                problems.append(f"{label}: {rec['column']} {rec['check']} at {rec['index']}")
    own = plan.numbered()
    if own["no"].duplicated().any():
        problems.append("measures: a NO appears twice outside （参考） rows")
    missing = set(range(1, int(own["no"].max()) + 1)) - set(own["no"])
    if missing:
        problems.append(f"measures: NO missing: {sorted(missing)}")
    known = set(own["no"])
    bad_links = set(plan.measures["relisted_of"]) - known - {0}
    if bad_links:
        problems.append(f"measures: relisted_of names unknown NO {sorted(bad_links)}")
    if problems:
        raise PlanError("; ".join(problems))
