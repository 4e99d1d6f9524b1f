"""Shared fixtures: the built-in plan, R4 forms, and forms filled as a division would."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from miedx_xl.form.write import fill_form, make_forms
from miedx_xl.normalize import FiscalYear
from miedx_xl.plan.model import Plan, load_plan

R4 = FiscalYear(4)
FIXED_TIME = datetime(2023, 4, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def plan() -> Plan:
    return load_plan()


@pytest.fixture(scope="session")
def blank_forms(plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The R4 forms of every division, by division key (do not modify: copy first)."""
    out = tmp_path_factory.mktemp("forms")
    paths = make_forms(plan, R4, out, now=FIXED_TIME)
    return {key: path for key, path in zip(plan.divisions(), paths, strict=True)}


def valid_statuses(plan: Plan, key: str) -> dict[int, dict[str, Any]]:
    """R4 input values that pass every check for each measure of one division."""
    return {
        int(r["no"]): {
            "status_R4": f"R4年度：NO {int(r['no'])} の取組を計画どおり実施",
            "assessment_R4": "順調",
            "issues_R4": "引き続き実施",
        }
        for _, r in plan.own_measures(key).iterrows()
    }


@pytest.fixture
def filled(plan: Plan, blank_forms: dict[str, Path], tmp_path: Path) -> Callable[..., Path]:
    """Fill a division's R4 form with valid values, overridden per test."""

    def make(
        key: str = "スマート改革推進課",
        statuses: dict[int, dict[str, Any]] | None = None,
        indicators: dict[str, dict[str, Any]] | None = None,
        rpa: list[dict[str, Any]] | None = None,
        name: str = "filled.xlsx",
    ) -> Path:
        values = valid_statuses(plan, key)
        for no, over in (statuses or {}).items():
            values.setdefault(no, {}).update(over)
        return fill_form(
            blank_forms[key],
            tmp_path / name,
            statuses=values,
            indicators=indicators,
            rpa=rpa or [],
        )

    return make


def require_soffice() -> str:
    """Path of LibreOffice; the test is skipped, saying why, when it is missing, and fails
    instead where MIEDX_REQUIRE_SOFFICE=1 (`make test` and CI, which install it)."""
    found = shutil.which("soffice")
    if found is None:
        why = "LibreOffice (soffice) is not installed: `make sysdeps` installs it"
        if os.environ.get("MIEDX_REQUIRE_SOFFICE"):
            pytest.fail(why)
        pytest.skip(why)
    return found
