"""The form's layout and hidden metadata."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from miedx_xl.form.layout import FormMeta, number_ranges, parse_ranges
from miedx_xl.form.write import form_meta
from miedx_xl.plan.model import Plan
from tests.conftest import FIXED_TIME, R4


@given(st.sets(st.integers(min_value=1, max_value=100_000), max_size=300))
def test_number_ranges_round_trip(numbers: set[int]) -> None:
    assert parse_ranges(number_ranges(numbers)) == numbers


def test_number_ranges_are_compact() -> None:
    assert number_ranges([5, 1, 2, 3, 7, 8]) == "1-3,5,7-8"
    assert number_ranges(range(1, 66_001)) == "1-66000"


def test_meta_rows_round_trip_and_digest(plan: Plan) -> None:
    meta = form_meta(plan, R4, "スマート改革推進課", now=FIXED_TIME)
    back, digest = FormMeta.from_rows(meta.to_rows())
    assert back == meta and digest == meta.digest()
    assert meta.plan_nos == "1-34"
    assert meta.own_nos[:9] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    # Every meta cell stays within Excel's 32,767 characters.
    assert max(len(v) for _, v in meta.to_rows()) < 32_767


def test_meta_of_a_division_without_indicators_keeps_its_digest(plan: Plan) -> None:
    meta = form_meta(plan, R4, "デジタル戦略企画課", now=FIXED_TIME)
    meta.locked["指標"] = {}
    back, digest = FormMeta.from_rows(meta.to_rows())
    assert digest == back.digest() == meta.digest()
