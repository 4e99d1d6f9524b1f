"""Pure parsing helpers for values that division staff type into Excel.

Keys, numbers and dates are compared after NFKC (Ｒ３ = R3, １，２３４ = 1234); free text is
never normalised. Every `parse_*` function accepts any object and never raises: it returns a
`Parsed` whose `value` is None exactly when `reason` (short, Japanese) says why.

Only the eras 令和 (and 平成, to recognise 平成31年度 = 令和元年度 and to explain older
dates) are known; the tool covers the fiscal years 令和元年度 (R1) .. 令和99年度 (R99).
"""

from __future__ import annotations

import calendar
import datetime
import functools
import math
import numbers
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, NamedTuple, TypeVar

__all__ = [
    "FiscalYear",
    "Number",
    "Parsed",
    "YearMonth",
    "is_formula_like",
    "nfkc",
    "parse_fiscal_year",
    "parse_number",
    "parse_year_month",
]

T = TypeVar("T")

REIWA_OFFSET = 2018
"""令和N年 = western year 2018 + N; 令和 began on 2019-05-01."""
HEISEI_OFFSET = 1988
"""平成N年 = western year 1988 + N; 平成 ended on 2019-04-30 (平成31年)."""
MAX_REIWA = 99
"""Largest fiscal year the parsers accept (R99 = April 2117 .. March 2118)."""

_FIRST_YM = (REIWA_OFFSET + 1, 4)  # first month of R1 (2019-04)
_LAST_YM = (REIWA_OFFSET + MAX_REIWA + 1, 3)  # last month of R99 (2118-03)


class Parsed(NamedTuple, Generic[T]):
    """Result of a parse: a value, or None and a short Japanese reason."""

    value: T | None
    reason: str | None


def _ok(value: T) -> Parsed[T]:
    return Parsed(value, None)


def _fail(reason: str) -> Parsed[T]:
    return Parsed(None, reason)


def nfkc(text: str) -> str:
    """NFKC-normalise, strip and collapse whitespace runs to one space (for keys, not free text)."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def is_formula_like(text: str) -> bool:
    """True if Excel would take the text for a formula (first char, after NFKC, is = + - @)."""
    return unicodedata.normalize("NFKC", text[:1])[:1] in ("=", "+", "-", "@")


# --------------------------------------------------------------------------- cell values


def is_blank(value: object) -> bool:
    """None, NaN, pandas' NA / NaT (empty cells) or a string of only whitespace."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def is_number(value: object) -> bool:
    """An int or float cell value (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def cell_text(value: object) -> str:
    """A cell value as text: '' for an empty cell (None, NaN, pandas' NA), integral floats
    without '.0' (python-calamine reads 12 as 12.0), text as typed with CRLF as LF."""
    if value.__class__ is str:  # the common case first: a text as it is
        return value.replace("\r\n", "\n")
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    if isinstance(value, str):
        return value.replace("\r\n", "\n")
    return str(value)


# --------------------------------------------------------------------------- shared input checks

_EMPTY = "空欄です"


def _compact(text: str) -> str:
    """NFKC with every whitespace removed: for short codes like 年度 and 年月."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def _whole_number(value: object) -> int | float | None:
    """An int for integral numbers (int, numpy ints, 2021.0), a float otherwise, None if no number.

    Booleans, NaN, infinities and non-numbers give None.
    """
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return None
    try:
        if isinstance(value, numbers.Integral):
            return int(value)
        if isinstance(value, numbers.Real | Decimal):
            f = float(value)
            if not math.isfinite(f):
                return None
            return int(f) if f.is_integer() else f
    except (TypeError, ValueError, OverflowError, ArithmeticError):
        return None
    return None


def _era_year(era: str, year_text: str) -> tuple[str, int]:
    """('R' or 'H', era year) from a matched era name and year ('元' is 1)."""
    kind = "R" if era.upper() in ("R", "令和") else "H"
    return kind, 1 if year_text == "元" else int(year_text)


# --------------------------------------------------------------------------- fiscal year


@dataclass(frozen=True, order=True)
class FiscalYear:
    """令和N年度: April (2018+N) .. March (2019+N)."""

    reiwa: int

    def __post_init__(self) -> None:
        """Reject R0, negatives and non-integers."""
        if isinstance(self.reiwa, bool) or not isinstance(self.reiwa, int) or self.reiwa < 1:
            raise ValueError(f"FiscalYear needs reiwa >= 1, got {self.reiwa!r}")

    @property
    def year(self) -> int:
        """Western year in which the fiscal year starts (2018 + reiwa)."""
        return REIWA_OFFSET + self.reiwa

    def __str__(self) -> str:
        """Short code, e.g. "R3"."""
        return f"R{self.reiwa}"

    @classmethod
    def of_year(cls, year: int) -> FiscalYear:
        """Fiscal year starting in April of the given western year (2021 -> R3)."""
        return cls(year - REIWA_OFFSET)

    def next(self) -> FiscalYear:
        """The following fiscal year."""
        return FiscalYear(self.reiwa + 1)

    def label_ja(self) -> str:
        """Japanese label, e.g. "令和3年度" ("令和元年度" for R1)."""
        return f"令和{'元' if self.reiwa == 1 else self.reiwa}年度"


_FY_BAD = "年度として読めません"
_FY_EARLY = "令和より前の年度です"
_FY_LATE = "年度が大きすぎます"

_FY_ERA = re.compile(r"(?P<era>令和|平成|R|H)(?P<year>元|[0-9]{1,3})(?:年度)?", re.IGNORECASE)
_FY_WESTERN = re.compile(r"(?:FY)?(?P<year>[0-9]{4})(?:\.0+)?(?:年度)?", re.IGNORECASE)


def _fy_from_western(year: int) -> Parsed[FiscalYear]:
    if year <= REIWA_OFFSET:
        return _fail(_FY_EARLY)
    if year > REIWA_OFFSET + MAX_REIWA:
        return _fail(_FY_LATE)
    return _ok(FiscalYear(year - REIWA_OFFSET))


def parse_fiscal_year(value: object) -> Parsed[FiscalYear]:
    """Read a fiscal year: R3, 令和3年度, 令和元年度, 2021年度, FY2021, 2021, 2021.0 ..."""
    if isinstance(value, FiscalYear):
        return _ok(value)
    if is_blank(value):
        return _fail(_EMPTY)
    if not isinstance(value, str):
        number = _whole_number(value)
        if isinstance(number, float):
            return _fail("年度が整数ではありません")
        if number is None or number < 1000:
            return _fail(_FY_BAD)
        return _fy_from_western(number)
    return _parse_fiscal_year_text(str(value))


@functools.lru_cache(maxsize=1024)
def _parse_fiscal_year_text(value: str) -> Parsed[FiscalYear]:
    """`parse_fiscal_year` of a text, kept per text: a plan's tables repeat a few years'
    names thousands of times (the result is immutable)."""
    text = _compact(value)
    m = _FY_ERA.fullmatch(text)
    if m:
        era, n = _era_year(m["era"], m["year"])
        if n == 0:
            return _fail(f"{'令和' if era == 'R' else '平成'}0年度はありません")
        if era == "H":
            if n > 31:
                return _fail("平成は31年度までです")
            return _fy_from_western(HEISEI_OFFSET + n)
        return _ok(FiscalYear(n)) if n <= MAX_REIWA else _fail(_FY_LATE)
    m = _FY_WESTERN.fullmatch(text)
    if m:
        return _fy_from_western(int(m["year"]))
    return _fail(_FY_BAD)


# --------------------------------------------------------------------------- year and month


@dataclass(frozen=True, order=True)
class YearMonth:
    """A calendar month from 2019-04 (the first month of R1) on."""

    year: int
    month: int

    def __post_init__(self) -> None:
        """Reject months outside 1..12 and months before fiscal year R1."""
        for part in (self.year, self.month):
            if isinstance(part, bool) or not isinstance(part, int):
                raise ValueError(f"YearMonth needs ints, got {part!r}")
        if not 1 <= self.month <= 12 or (self.year, self.month) < _FIRST_YM:
            raise ValueError(f"YearMonth out of range: {self.year}-{self.month}")

    def __str__(self) -> str:
        """ISO-like text, e.g. "2021-08"."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def fiscal_year(self) -> FiscalYear:
        """Fiscal year the month belongs to (April .. March)."""
        return FiscalYear.of_year(self.year if self.month >= 4 else self.year - 1)


_YM_BAD = "年月として読めません"

_YM = re.compile(
    r"(?:(?P<era>令和|平成|R|H)(?P<ey>元|[0-9]{1,3})|(?P<wy>[0-9]{4}))"
    r"(?:年|[./-])(?P<month>[0-9]{1,2})"
    r"(?:月(?:(?P<d1>[0-9]{1,2})日)?|[./-](?P<d2>[0-9]{1,2})日?)?"
    r"(?:末日?)?(?:時点|現在|分)?",
    re.IGNORECASE,
)
_TIME_OF_DAY = re.compile(r"(?:\s+|T)[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?$")
_RANGE_MARK = re.compile(r"[~〜]|から|[0-9]月?[-ー−][0-9]+月")


def _year_month(year: int, month: int, day: int | None) -> Parsed[YearMonth]:
    if not 1 <= month <= 12:
        return _fail("月は1〜12で入力してください")
    if day is not None and not 1 <= day <= calendar.monthrange(year, month)[1]:
        return _fail("日付が正しくありません")
    if (year, month) < _FIRST_YM:
        return _fail("令和より前の年月です")
    if (year, month) > _LAST_YM:
        return _fail("年が大きすぎます")
    return _ok(YearMonth(year, month))


def parse_year_month(value: object) -> Parsed[YearMonth]:
    """Read a month: R3年8月, R4.3月時点, 令和元年5月, 2022年3月, 2022-03, 2022/3, a date ..."""
    if isinstance(value, YearMonth):
        return _ok(value)
    if is_blank(value):
        return _fail(_EMPTY)
    if isinstance(value, datetime.date):
        # Guard against date look-alikes (pandas.NaT is a datetime whose year is NaN).
        year, month = getattr(value, "year", None), getattr(value, "month", None)
        if not isinstance(year, int) or not isinstance(month, int):
            return _fail(_EMPTY)
        return _year_month(year, month, None)
    if not isinstance(value, str):
        return _fail(_YM_BAD)
    text = _compact(_TIME_OF_DAY.sub("", nfkc(value)))
    m = _YM.fullmatch(text)
    if not m:
        return _fail("範囲ではなく1か月を入力してください" if _RANGE_MARK.search(text) else _YM_BAD)
    month = int(m["month"])
    day_text = m["d1"] or m["d2"]
    day = int(day_text) if day_text else None
    if m["wy"]:
        return _year_month(int(m["wy"]), month, day)
    era, n = _era_year(m["era"], m["ey"])
    if n == 0:
        return _fail(f"{'令和' if era == 'R' else '平成'}0年はありません")
    if era == "R":
        if (n, month) < (1, 5):
            return _fail("令和は元年5月からです")
        return _year_month(REIWA_OFFSET + n, month, day)
    if (n, month) > (31, 4):
        return _fail("平成は31年4月までです")
    return _year_month(HEISEI_OFFSET + n, month, day)


# --------------------------------------------------------------------------- numbers


class Number(NamedTuple):
    """A number typed by staff, with its 約-style approximation flag and trailing unit."""

    value: float
    approx: bool
    unit: str | None


_NUM_BAD = "数値として読めません"

_NUMBER = re.compile(
    r"(?P<pre>約|およそ|おおよそ|概ね|おおむね|ほぼ)?\s?"
    r"(?P<sign>[-+−△▲])?\s?"
    r"(?P<digits>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)"
    r"(?P<mid>余(?!り))?\s?"
    # A unit starts with a letter (kanji, kana, Latin) or a symbol; digits only as in m2 / km3.
    r"(?P<unit>(?:[^\W\d_]|[%‰°/・])+?(?:(?<=m)[23])?)??\s?"
    r"(?P<post>程度|余り|超|強|弱|前後|ほど|くらい|ぐらい)?"
)
_BOUND_WORD = re.compile(r"(?:以上|以下|未満)$")
_NUMBER_RANGE = re.compile(r"[0-9]\s?(?:[-~〜−]|から)\s?[-+−△▲]?[0-9]")


def parse_number(value: object) -> Parsed[Number]:
    """Read a number: 1234, "１，２３４", "2,681時間", "４４．８％", "約7,000", "△5" ..."""
    if isinstance(value, Number):
        return _ok(value)
    if is_blank(value):
        return _fail(_EMPTY)
    if not isinstance(value, str):
        number = _whole_number(value)
        if number is None:
            return _fail(_NUM_BAD)
        try:
            return _ok(Number(float(number) + 0.0, False, None))
        except OverflowError:
            return _fail("数値が大きすぎます")
    text = nfkc(value)
    m = _NUMBER.fullmatch(text)
    if not m:
        if _NUMBER_RANGE.search(text):
            return _fail("範囲ではなく1つの数値を入力してください")
        return _fail(_NUM_BAD)
    unit = m["unit"]
    if unit and _BOUND_WORD.search(unit):
        return _fail("以上・以下・未満は数値として読めません")
    number = float(m["digits"].replace(",", ""))
    if not math.isfinite(number):
        return _fail("数値が大きすぎます")
    if m["sign"] in ("-", "−", "△", "▲"):
        number = -number
    approx = bool(m["pre"] or m["mid"] or m["post"])
    return _ok(Number(number + 0.0, approx, unit or None))
