"""The names of the measures table's per-year columns, once for every module.

A fiscal year's values live in columns named `<kind>_<year>` (`status_R3`, `schedule_R4`).
No pandas here: the form layout, which the read pool's workers import, names them too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from miedx_xl.normalize import FiscalYear, parse_fiscal_year

Kind = Literal["schedule", "status", "assessment", "issues", "planned"]


def year_column(kind: Kind, fy: FiscalYear) -> str:
    """The column of one kind of value of a fiscal year, e.g. `status_R3`."""
    return f"{kind}_{fy}"


def schedule_column(fy: FiscalYear) -> str:
    """Column name of the schedule word of a fiscal year, e.g. `schedule_R4`."""
    return year_column("schedule", fy)


def status_column(fy: FiscalYear) -> str:
    """Column name of the 取組状況 text of a fiscal year, e.g. `status_R3`."""
    return year_column("status", fy)


def assessment_column(fy: FiscalYear) -> str:
    """Column name of the self-assessment of a fiscal year, e.g. `assessment_R4`."""
    return year_column("assessment", fy)


def issues_column(fy: FiscalYear) -> str:
    """Column name of 課題・今後の方向性 of a fiscal year, e.g. `issues_R4`."""
    return year_column("issues", fy)


def planned_column(fy: FiscalYear) -> str:
    """Column name of the schedule of `fy` and later years as it stood before that year's
    report (`R4：実施、R5：運用`), e.g. `planned_R4`: what 前年度比較 shows as the old schedule."""
    return year_column("planned", fy)


def column_year(column: str, kind: Kind) -> FiscalYear | None:
    """The fiscal year of a `<kind>_<year>` column (None for any other column)."""
    prefix = f"{kind}_"
    if not column.startswith(prefix):
        return None
    return parse_fiscal_year(column.removeprefix(prefix)).value


def years_of(columns: Iterable[str], kind: Kind) -> list[FiscalYear]:
    """The fiscal years that have a `<kind>_<year>` column, in order."""
    return sorted({fy for c in columns if (fy := column_year(c, kind)) is not None})


def is_schedule_column(column: str) -> bool:
    """True for a `schedule_<year>` column."""
    return column_year(column, "schedule") is not None
