"""Tests for miedx_xl.normalize: accepted and rejected forms, and hypothesis properties."""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from miedx_xl.normalize import (
    FiscalYear,
    Number,
    Parsed,
    YearMonth,
    is_formula_like,
    nfkc,
    parse_fiscal_year,
    parse_number,
    parse_year_month,
)

PARSERS: list[Callable[[object], Parsed[Any]]] = [
    parse_fiscal_year,
    parse_year_month,
    parse_number,
]


def to_full_width(text: str) -> str:
    """ASCII '!'..'~' to U+FF01..U+FF5E and space to U+3000; other characters unchanged."""
    return "".join(
        "\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text
    )


def assert_one_of(result: Parsed[Any]) -> None:
    assert isinstance(result, tuple)
    assert (result.value is None) != (result.reason is None), result
    if result.reason is not None:
        assert isinstance(result.reason, str) and result.reason


# --------------------------------------------------------------------------- nfkc, formulas


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ｒ３", "R3"),
        ("１，２３４", "1,234"),
        ("　総務部　 デジタル推進局 ", "総務部 デジタル推進局"),
        ("a\t\n b", "a b"),
        ("", ""),
        ("ｶﾞ", "ガ"),
    ],
)
def test_nfkc(text: str, expected: str) -> None:
    assert nfkc(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=SUM(A1:A3)", True),
        ("＝SUM(A1:A3)", True),
        ("+81", True),
        ("＋81", True),
        ("-1", True),
        ("－1", True),
        ("@x", True),
        ("＠x", True),
        ("a=b", False),
        (" =1", False),
        ("令和3年度", False),
        ("", False),
    ],
)
def test_is_formula_like(text: str, expected: bool) -> None:
    assert is_formula_like(text) is expected


# --------------------------------------------------------------------------- FiscalYear


def test_fiscal_year_class() -> None:
    fy = FiscalYear(3)
    assert fy.year == 2021
    assert str(fy) == "R3"
    assert fy.label_ja() == "令和3年度"
    assert FiscalYear(1).label_ja() == "令和元年度"
    assert FiscalYear.of_year(2021) == fy
    assert fy.next() == FiscalYear(4)
    assert FiscalYear(2) < fy < FiscalYear(10)
    assert sorted([FiscalYear(10), FiscalYear(2)]) == [FiscalYear(2), FiscalYear(10)]
    assert len({FiscalYear(3), FiscalYear(3)}) == 1


@pytest.mark.parametrize("bad", [0, -1, True, 3.0])
def test_fiscal_year_constructor_rejects(bad: object) -> None:
    with pytest.raises(ValueError):
        FiscalYear(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "reiwa"),
    [
        ("R3", 3),
        ("Ｒ３", 3),
        ("r3", 3),
        ("ｒ３", 3),
        ("R3年度", 3),
        ("R 3 年度", 3),
        ("令和3年度", 3),
        ("令和３年度", 3),
        ("令和元年度", 1),
        ("R元年度", 1),
        ("令和3", 3),
        ("R03", 3),
        ("2021年度", 3),
        ("２０２１年度", 3),
        ("2021", 3),
        ("FY2021", 3),
        ("FY 2021", 3),
        ("fy2021", 3),
        ("ＦＹ２０２１", 3),
        ("2021.0", 3),
        (2021, 3),
        (2021.0, 3),
        (Decimal("2021"), 3),
        (FiscalYear(3), 3),
        ("  R3  ", 3),
        ("\u3000令和3年度\u3000", 3),
        ("R99", 99),
        ("2117", 99),
        ("2019年度", 1),
        ("平成31年度", 1),
        ("H31", 1),
        ("㋿3年度", 3),
    ],
)
def test_parse_fiscal_year_accepts(value: object, reiwa: int) -> None:
    parsed = parse_fiscal_year(value)
    assert parsed == Parsed(FiscalYear(reiwa), None)
    assert parsed.value is not None and str(parsed.value) == f"R{reiwa}"


def test_parse_fiscal_year_gannen() -> None:
    assert parse_fiscal_year("令和元年度").value == FiscalYear(1)
    assert str(parse_fiscal_year("令和元年度").value) == "R1"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("R0", "令和0年度はありません"),
        ("令和0年度", "令和0年度はありません"),
        (True, "年度として読めません"),
        (False, "年度として読めません"),
        (2021.5, "年度が整数ではありません"),
        (2018, "令和より前の年度です"),
        ("2018年度", "令和より前の年度です"),
        ("平成30年度", "令和より前の年度です"),
        ("H30", "令和より前の年度です"),
        ("平成32年度", "平成は31年度までです"),
        ("R100", "年度が大きすぎます"),
        ("2118", "年度が大きすぎます"),
        (3000, "年度が大きすぎます"),
        ("", "空欄です"),
        ("　", "空欄です"),
        (None, "空欄です"),
        (float("nan"), "空欄です"),
        (float("inf"), "年度として読めません"),
        (3, "年度として読めません"),
        ("令和3年", "年度として読めません"),
        ("R3.5", "年度として読めません"),
        ("2021-03", "年度として読めません"),
        ("20210", "年度として読めません"),
        ("R1000", "年度として読めません"),
        ("昭和60年度", "年度として読めません"),
        ("abc", "年度として読めません"),
        (b"R3", "年度として読めません"),
        (datetime.date(2021, 4, 1), "年度として読めません"),
        ([2021], "年度として読めません"),
    ],
)
def test_parse_fiscal_year_rejects(value: object, reason: str) -> None:
    assert parse_fiscal_year(value) == Parsed(None, reason)


# --------------------------------------------------------------------------- YearMonth


def test_year_month_class() -> None:
    ym = YearMonth(2021, 8)
    assert str(ym) == "2021-08"
    assert ym.fiscal_year == FiscalYear(3)
    assert YearMonth(2022, 3).fiscal_year == FiscalYear(3)
    assert YearMonth(2022, 4).fiscal_year == FiscalYear(4)
    assert YearMonth(2019, 4).fiscal_year == FiscalYear(1)
    assert YearMonth(2021, 12) < YearMonth(2022, 1)


@pytest.mark.parametrize(("year", "month"), [(2021, 0), (2021, 13), (2019, 3), (2021, True)])
def test_year_month_constructor_rejects(year: int, month: int) -> None:
    with pytest.raises(ValueError):
        YearMonth(year, month)


@pytest.mark.parametrize(
    ("value", "year", "month"),
    [
        ("R3年8月", 2021, 8),
        ("Ｒ３年８月", 2021, 8),
        ("Ｒ４.３月時点", 2022, 3),
        ("R4.3月", 2022, 3),
        ("R4.3", 2022, 3),
        ("r4/3", 2022, 3),
        ("令和4年2月", 2022, 2),
        ("令和元年5月", 2019, 5),
        ("令和４年３月１日時点", 2022, 3),
        ("令和4年3月31日", 2022, 3),
        ("令和4年3月末時点", 2022, 3),
        ("令和4年3月現在", 2022, 3),
        ("令和 4年 3月", 2022, 3),
        ("2022年3月", 2022, 3),
        ("２０２２年３月", 2022, 3),
        ("2022-03", 2022, 3),
        ("2022/3", 2022, 3),
        ("2022.3", 2022, 3),
        ("2022/3/15", 2022, 3),
        ("2022-03-01", 2022, 3),
        ("2022-03-01 00:00:00", 2022, 3),
        ("2022-03-01T12:30:00", 2022, 3),
        ("2019-04", 2019, 4),
        ("平成31年4月", 2019, 4),
        ("H31.4", 2019, 4),
        (" 2021-08 ", 2021, 8),
        (datetime.date(2022, 3, 5), 2022, 3),
        (datetime.datetime(2021, 8, 1, 10, 30), 2021, 8),
        (YearMonth(2021, 8), 2021, 8),
    ],
)
def test_parse_year_month_accepts(value: object, year: int, month: int) -> None:
    assert parse_year_month(value) == Parsed(YearMonth(year, month), None)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("R3.1～3月", "範囲ではなく1か月を入力してください"),
        ("R3.1~3月", "範囲ではなく1か月を入力してください"),
        ("R3.1-3月", "範囲ではなく1か月を入力してください"),
        ("令和3年1月〜3月", "範囲ではなく1か月を入力してください"),
        ("令和元年4月", "令和は元年5月からです"),
        ("令和0年5月", "令和0年はありません"),
        ("R3年13月", "月は1〜12で入力してください"),
        ("2022年0月", "月は1〜12で入力してください"),
        ("2022-02-30", "日付が正しくありません"),
        ("平成31年5月", "平成は31年4月までです"),
        ("平成30年3月", "令和より前の年月です"),
        ("2019-03", "令和より前の年月です"),
        (datetime.date(2018, 12, 1), "令和より前の年月です"),
        ("2118-04", "年が大きすぎます"),
        ("R3", "年月として読めません"),
        ("2022", "年月として読めません"),
        ("R3年度", "年月として読めません"),
        ("3月", "年月として読めません"),
        ("令和3年8月頃", "年月として読めません"),
        ("abc", "年月として読めません"),
        ("", "空欄です"),
        (None, "空欄です"),
        (float("nan"), "空欄です"),
        (202203, "年月として読めません"),
        (44621.0, "年月として読めません"),
        (True, "年月として読めません"),
        (b"2022-03", "年月として読めません"),
    ],
)
def test_parse_year_month_rejects(value: object, reason: str) -> None:
    assert parse_year_month(value) == Parsed(None, reason)


# --------------------------------------------------------------------------- Number


@pytest.mark.parametrize(
    ("value", "number", "approx", "unit"),
    [
        (1234, 1234.0, False, None),
        (-7, -7.0, False, None),
        (12.5, 12.5, False, None),
        (Decimal("2.5"), 2.5, False, None),
        (Fraction(1, 4), 0.25, False, None),
        ("１，２３４", 1234.0, False, None),
        ("1,234,567", 1234567.0, False, None),
        ("1234567", 1234567.0, False, None),
        ("2,681時間", 2681.0, False, "時間"),
        ("４４．８％", 44.8, False, "%"),
        ("44.8%", 44.8, False, "%"),
        ("約7,000", 7000.0, True, None),
        ("約 7,000", 7000.0, True, None),
        ("およそ300件", 300.0, True, "件"),
        ("概ね50名", 50.0, True, "名"),
        ("100人程度", 100.0, True, "人"),
        ("100人余り", 100.0, True, "人"),
        ("100余人", 100.0, True, "人"),
        ("1万人超", 1.0, True, "万人"),
        ("1,202 時間", 1202.0, False, "時間"),
        ("1,202時間", 1202.0, False, "時間"),
        ("30枚", 30.0, False, "枚"),
        ("1.5億円", 1.5, False, "億円"),
        ("120㎡", 120.0, False, "m2"),
        ("-5", -5.0, False, None),
        ("－５", -5.0, False, None),
        ("−5", -5.0, False, None),
        ("△5", -5.0, False, None),
        ("▲5", -5.0, False, None),
        ("▲ 1,000千円", -1000.0, False, "千円"),
        ("+3", 3.0, False, None),
        ("＋３", 3.0, False, None),
        (" 12 ", 12.0, False, None),
        ("\u300012\u3000", 12.0, False, None),
        ("0", 0.0, False, None),
        ("-0", 0.0, False, None),
        ("0.5", 0.5, False, None),
        (Number(3.0, True, "件"), 3.0, True, "件"),
    ],
)
def test_parse_number_accepts(value: object, number: float, approx: bool, unit: str | None) -> None:
    parsed = parse_number(value)
    assert parsed == Parsed(Number(number, approx, unit), None)
    assert parsed.value is not None and math.copysign(1.0, parsed.value.value) == math.copysign(
        1.0, number
    )


def test_parse_number_integers_exact() -> None:
    parsed = parse_number("9,007,199,254,740,992")
    assert parsed.value is not None and parsed.value.value == 2**53
    assert parse_number(2**53).value == Number(float(2**53), False, None)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "空欄です"),
        ("  ", "空欄です"),
        (None, "空欄です"),
        (float("nan"), "空欄です"),
        (float("inf"), "数値として読めません"),
        (float("-inf"), "数値として読めません"),
        (Decimal("NaN"), "数値として読めません"),
        (True, "数値として読めません"),
        (False, "数値として読めません"),
        ("abc", "数値として読めません"),
        ("1,2,3,4", "数値として読めません"),
        ("12,34", "数値として読めません"),
        ("1234,567", "数値として読めません"),
        (",123", "数値として読めません"),
        ("約", "数値として読めません"),
        ("1.2.3", "数値として読めません"),
        ("1.5e3", "数値として読めません"),
        ("1e5", "数値として読めません"),
        ("nan", "数値として読めません"),
        ("inf", "数値として読めません"),
        ("1_000", "数値として読めません"),
        (".5", "数値として読めません"),
        ("5.", "数値として読めません"),
        ("--5", "数値として読めません"),
        ("△-5", "数値として読めません"),
        ("5-", "数値として読めません"),
        ("100(見込み)", "数値として読めません"),
        ("100〜200", "範囲ではなく1つの数値を入力してください"),
        ("100～200", "範囲ではなく1つの数値を入力してください"),
        ("100-200", "範囲ではなく1つの数値を入力してください"),
        ("100から200", "範囲ではなく1つの数値を入力してください"),
        ("100~200人", "範囲ではなく1つの数値を入力してください"),
        ("100以上", "以上・以下・未満は数値として読めません"),
        ("100人未満", "以上・以下・未満は数値として読めません"),
        ("1" * 400, "数値が大きすぎます"),
        (10**400, "数値が大きすぎます"),
        (b"12", "数値として読めません"),
        (datetime.date(2022, 3, 1), "数値として読めません"),
        (object(), "数値として読めません"),
    ],
)
def test_parse_number_rejects(value: object, reason: str) -> None:
    assert parse_number(value) == Parsed(None, reason)


# --------------------------------------------------------------------------- pandas / numpy inputs


def test_pandas_and_numpy_values() -> None:
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    assert parse_fiscal_year(np.int64(2021)).value == FiscalYear(3)
    assert parse_fiscal_year(np.float64(2021.0)).value == FiscalYear(3)
    assert parse_fiscal_year(np.bool_(True)).value is None
    assert parse_number(np.int64(7)).value == Number(7.0, False, None)
    assert parse_number(np.float32(0.5)).value == Number(0.5, False, None)
    assert parse_number(np.bool_(True)).reason == "数値として読めません"
    assert parse_number(np.float64("nan")).reason == "空欄です"
    assert parse_year_month(pd.Timestamp("2022-03-15")).value == YearMonth(2022, 3)
    for parse in PARSERS:
        assert parse(pd.NaT) == Parsed(None, "空欄です")
        assert parse(pd.NA) == Parsed(None, "空欄です")


# --------------------------------------------------------------------------- properties

ANY_VALUE = st.one_of(
    st.text(),
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.fractions(),
    st.binary(),
    st.dates(),
    st.datetimes(),
    st.builds(object),
)

JP_WORDS = [
    *"令和 平成 元 年 年度 月 日 時点 現在 末 約 程度".split(),
    *"余 余り 超 時間 件 億円 △ ▲ 〜 から 以上 \u3000".split(" "),
]

# Pieces that reach deep into the grammars; ASCII pieces get a full-width twin below.
TOKENS = st.one_of(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.sampled_from("0123456789" * 3 + "RrHhFY.,-/+~%"),
    st.sampled_from(JP_WORDS),
)
JP_TEXT = st.lists(TOKENS, max_size=12).map("".join)


@given(ANY_VALUE)
def test_parsers_never_raise_any_value(value: object) -> None:
    for parse in PARSERS:
        assert_one_of(parse(value))


@given(JP_TEXT)
def test_parsers_never_raise_japanese_text(text: str) -> None:
    for parse in PARSERS:
        assert_one_of(parse(text))
        assert_one_of(parse(to_full_width(text)))


@given(JP_TEXT)
def test_full_width_and_half_width_agree(text: str) -> None:
    full = to_full_width(text)
    assert nfkc(full) == nfkc(text)
    assert is_formula_like(full) == is_formula_like(text)
    for parse in PARSERS:
        assert parse(full) == parse(text)


@pytest.mark.parametrize("reiwa", range(1, 100))
def test_fiscal_year_round_trip(reiwa: int) -> None:
    fy = FiscalYear(reiwa)
    assert parse_fiscal_year(str(fy)).value == fy
    assert parse_fiscal_year(fy.label_ja()).value == fy
    assert parse_fiscal_year(to_full_width(str(fy))).value == fy
    assert parse_fiscal_year(f"{fy.year}年度").value == fy
    assert parse_fiscal_year(fy.year).value == fy
    assert FiscalYear.of_year(fy.year) == fy


YEAR_MONTHS = (
    st.tuples(st.integers(2019, 2118), st.integers(1, 12))
    .filter(lambda t: (2019, 4) <= t <= (2118, 3))
    .map(lambda t: YearMonth(*t))
)


@given(YEAR_MONTHS)
def test_year_month_round_trip(ym: YearMonth) -> None:
    assert parse_year_month(str(ym)).value == ym
    assert parse_year_month(to_full_width(str(ym))).value == ym
    assert parse_year_month(f"{ym.year}年{ym.month}月").value == ym
    assert parse_year_month(datetime.date(ym.year, ym.month, 28)).value == ym
    assert 1 <= ym.fiscal_year.reiwa <= 99


@given(YEAR_MONTHS)
def test_year_month_era_text_agrees(ym: YearMonth) -> None:
    if (ym.year, ym.month) >= (2019, 5):
        n = ym.year - 2018
        era = f"令和{'元' if n == 1 else n}年{ym.month}月"
        assert parse_year_month(era).value == ym
        assert parse_year_month(f"R{n}.{ym.month}月時点").value == ym
    else:
        assert parse_year_month("平成31年4月").value == ym


@given(st.integers(min_value=-(10**15), max_value=10**15), st.booleans())
def test_number_thousands_round_trip(n: int, full_width: bool) -> None:
    text = f"{n:,}" if n >= 0 else f"△{-n:,}"
    if full_width:
        text = to_full_width(text)
    assert parse_number(text).value == Number(float(n), False, None)
    assert parse_number(f"約{text}人").value == Number(float(n), True, "人")
