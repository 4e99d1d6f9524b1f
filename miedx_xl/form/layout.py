"""The division form's layout: sheet names, columns, labels, limits (no Excel library here).

The writer (forms.py), the reader (reader.py) and the check (check.py) all take the form's
shape from this module, so a column is added in one place.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final, Literal

from miedx_xl.normalize import FiscalYear, nfkc, parse_fiscal_year
from miedx_xl.plan.columns import (
    assessment_column,
    issues_column,
    schedule_column,
    status_column,
)

TEMPLATE_VERSION: Final = "miedx-form-2"
META_SHEET: Final = "_meta"
LIST_SHEET: Final = "_lists"
"""The hidden sheet of the dropdown lists (one column per list: an inline list is capped
at 255 characters, a range is not)."""
GUIDE_SHEET: Final = "記入要領"
STATUS_SHEET: Final = "取組状況"
INDICATOR_SHEET: Final = "指標"
RPA_SHEET: Final = "RPA効果"
RESULT_SHEET: Final = "チェック結果"
RESULT_HEADER: Final = ["重要度", "コード", "シート", "セル", "内容", "Message"]
"""Columns of the チェック結果 sheet (a marked copy, and 入力チェック in Excel)."""
FORM_SHEETS: Final = (STATUS_SHEET, INDICATOR_SHEET, RPA_SHEET)

ASSESSMENTS: Final = ("順調", "概ね順調", "遅れ", "未着手")
"""Self-assessment words: on track, mostly on track, behind, not started."""

STATUS_MAX: Final = 500
ISSUES_MAX: Final = 300
NOTE_MAX: Final = 200
RPA_ROWS: Final = 40
HEADER_ROW: Final = 3
"""Row of the column headings in every form sheet (the reader still searches for them)."""

Kind = Literal["int", "text", "number", "choice"]


@dataclass(frozen=True)
class Field:
    """One column of a form sheet."""

    key: str
    label: str
    kind: Kind
    locked: bool
    required: bool = False
    max_len: int | None = None
    choices: tuple[str, ...] = ()
    width: float = 12
    hint_ja: str = ""
    hint_en: str = ""

    @cached_property
    def match(self) -> str:
        """The label as the reader compares it (NFKC, no spaces, no required mark)."""
        return label_key(self.label)


def label_key(text: str) -> str:
    """A header cell's text reduced for comparison."""
    return nfkc(text).replace(" ", "").replace("*", "").replace("※", "")


def status_fields(
    fy: FiscalYear,
    earlier: list[FiscalYear],
    schedule_years: list[FiscalYear],
    phases: tuple[str, ...],
) -> list[Field]:
    """Columns of the 取組状況 sheet for fiscal year `fy`."""
    fixed = [
        Field("no", "NO", "int", True, width=5),
        Field("area", "個別取組", "int", True, width=7),
        Field("actor", "主体", "text", True, width=12),
        Field("policy", "基本方針", "text", True, width=7),
        Field("title", "取組内容", "text", True, width=32),
        Field("division", "担当課", "text", True, width=16),
    ]
    history = [Field(status_column(y), f"取組状況（{y}）", "text", True, width=45) for y in earlier]
    inputs = [
        Field(
            status_column(fy),
            f"取組状況（{fy}）",
            "text",
            False,
            required=True,
            max_len=STATUS_MAX,
            width=55,
            hint_ja=f"{fy.label_ja()}の取組内容と成果を、時期と数値を添えて文章で入力してください。",
            hint_en=f"Describe what was done in FY {fy} and its results, with dates and figures.",
        ),
        *[
            Field(
                schedule_column(y),
                f"スケジュール（{y}）",
                "choice",
                False,
                required=True,
                choices=phases,
                width=11,
                hint_ja="一覧から段階（検討・実施など）を選んでください。",
                hint_en="Pick a phase from the list.",
            )
            for y in schedule_years
        ],
        Field(
            assessment_column(fy),
            "自己評価",
            "choice",
            False,
            choices=ASSESSMENTS,
            width=10,
            hint_ja="順調・概ね順調・遅れ・未着手から選んでください（判断できなければ空欄）。",
            hint_en="Pick one of the self-assessment words.",
        ),
        Field(
            issues_column(fy),
            "課題・今後の方向性",
            "text",
            False,
            max_len=ISSUES_MAX,
            width=40,
        ),
    ]
    return fixed + history + inputs


def indicator_fields(fy: FiscalYear) -> list[Field]:
    """Columns of the 指標 sheet."""
    return [
        Field("id", "指標ID", "text", True, width=14),
        Field("no", "取組NO", "int", True, width=7),
        Field("name", "指標名", "text", True, width=44),
        Field("unit", "単位", "text", True, width=8),
        Field("previous", "前回の値", "text", True, width=14),
        Field(
            "value",
            f"{fy}の値",
            "number",
            False,
            width=14,
            hint_ja="数値だけを入力してください（例: 1234 や 44.8）。単位や「約」は不要です。",
            hint_en="Type a number only (e.g. 1234 or 44.8), without unit or 約.",
        ),
        Field(
            "as_of",
            "時点",
            "text",
            False,
            max_len=40,
            width=14,
            hint_ja="「R5年3月」のように入力してください（年度の値なら空欄）。",
            hint_en="Type a year and month such as R5年3月 (leave empty for a fiscal-year value).",
        ),
        Field("note", "備考", "text", False, max_len=NOTE_MAX, width=30),
    ]


HOURS_HINT_JA = "年間の作業時間を数値で入力してください（例: 120）。"
HOURS_HINT_EN = "Type the hours per year as a number (e.g. 120)."

RPA_FIELDS: Final = [
    Field(
        "division",
        "所属",
        "text",
        False,
        required=True,
        max_len=60,
        width=26,
        hint_ja="RPA を導入した所属名を入力してください。",
        hint_en="Type the name of the office that uses the RPA.",
    ),
    Field(
        "task",
        "業務",
        "text",
        False,
        required=True,
        max_len=100,
        width=48,
        hint_ja="RPA で自動化した業務を入力してください。",
        hint_en="Type the task automated with RPA.",
    ),
    Field(
        "hours_before",
        "導入前時間",
        "number",
        False,
        width=12,
        hint_ja=HOURS_HINT_JA,
        hint_en=HOURS_HINT_EN,
    ),
    Field(
        "hours_after",
        "導入後時間",
        "number",
        False,
        width=12,
        hint_ja=HOURS_HINT_JA,
        hint_en=HOURS_HINT_EN,
    ),
    Field("note", "備考", "text", False, max_len=NOTE_MAX, width=30),
]


def form_file_name(fy: FiscalYear, division: str) -> str:
    """File name of a division's form, e.g. `R4_取組状況調査_デジタル改革推進課.xlsx`."""
    return f"{fy}_取組状況調査_{division}.xlsx"


@dataclass
class FormMeta:
    """The hidden metadata of a form: what it is, for whom, and its locked content."""

    plan_id: str
    plan_name: str
    fiscal_year: str
    division: str
    division_key: str
    created: str
    earlier_years: list[str]
    schedule_years: list[str]
    phases: list[str]
    plan_nos: str
    """Every numbered measure of the plan, as ranges ("1-34"): small whatever the plan's size."""
    own_nos: list[int]
    """The measures of this division (re-listed ones included)."""
    locked: dict[str, dict[str, dict[str, Any]]]
    """sheet -> row key (NO or indicator id) -> locked field -> value as written."""
    template_version: str = TEMPLATE_VERSION
    seal: str = ""
    """The keyed seal stored with the meta (`form.seal`); empty for an unsealed form."""

    def content(self) -> dict[str, Any]:
        """Everything the digest covers."""
        return {
            "template_version": self.template_version,
            "plan_id": self.plan_id,
            "plan_name": self.plan_name,
            "fiscal_year": self.fiscal_year,
            "division": self.division,
            "division_key": self.division_key,
            "created": self.created,
            "earlier_years": self.earlier_years,
            "schedule_years": self.schedule_years,
            "phases": self.phases,
            "plan_nos": self.plan_nos,
            "own_nos": self.own_nos,
            # Sheets without locked rows write no meta row: leave them out here too.
            "locked": {sheet: rows for sheet, rows in self.locked.items() if rows},
        }

    def canonical(self) -> str:
        """The content as canonical JSON (what the digest and the seal cover)."""
        return json.dumps(self.content(), ensure_ascii=False, sort_keys=True)

    def digest(self) -> str:
        """SHA-256 of the content in canonical JSON."""
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()

    def sealed_with(self, secret: bytes) -> str:
        """The keyed seal of the content (see `form.seal`): scheme, key id and HMAC."""
        key_id = hashlib.sha256(secret).hexdigest()[:8]
        mac = hmac.new(secret, self.canonical().encode("utf-8"), hashlib.sha256).hexdigest()
        return f"hmac-sha256:{key_id}:{mac}"

    def to_rows(self, secret: bytes | None = None) -> list[tuple[str, str]]:
        """Key/value rows for the hidden sheet (JSON for anything not a string), sealed
        with `secret` when one is given."""
        rows: list[tuple[str, str]] = []
        for key, value in self.content().items():
            if key == "locked":
                for sheet, by_key in value.items():
                    for row_key, fields in by_key.items():
                        rows.append((f"locked|{sheet}|{row_key}", _dump(fields)))
            else:
                rows.append((key, value if isinstance(value, str) else _dump(value)))
        rows.append(("digest", self.digest()))
        if secret is not None:
            rows.append(("seal", self.sealed_with(secret)))
        return rows

    @classmethod
    def from_rows(cls, rows: list[tuple[str, str]]) -> tuple[FormMeta, str]:
        """Rebuild the meta from its rows; also return the digest stored with it.

        Raises ValueError (or KeyError, TypeError) when the rows are not a form's meta.
        """
        scalars: dict[str, Any] = {}
        locked: dict[str, dict[str, dict[str, Any]]] = {}
        for key, value in rows:
            if key.startswith("locked|"):
                _, sheet, row_key = key.split("|", 2)
                locked.setdefault(sheet, {})[row_key] = json.loads(value)
            elif key in _JSON_KEYS:
                scalars[key] = json.loads(value)
            elif key:
                scalars[key] = value
        stored = str(scalars.pop("digest", ""))
        sealed = str(scalars.pop("seal", ""))
        meta = cls(
            plan_id=str(scalars["plan_id"]),
            plan_name=str(scalars["plan_name"]),
            fiscal_year=str(scalars["fiscal_year"]),
            division=str(scalars["division"]),
            division_key=str(scalars["division_key"]),
            created=str(scalars["created"]),
            earlier_years=list(scalars["earlier_years"]),
            schedule_years=list(scalars["schedule_years"]),
            phases=list(scalars["phases"]),
            plan_nos=str(scalars["plan_nos"]),
            own_nos=[int(n) for n in scalars["own_nos"]],
            locked=locked,
            template_version=str(scalars["template_version"]),
            seal=sealed,
        )
        return meta, stored


_JSON_KEYS = {"earlier_years", "schedule_years", "phases", "own_nos"}


def number_ranges(numbers: Iterable[int]) -> str:
    """Compact text of a set of whole numbers: [1, 2, 3, 5] -> "1-3,5"."""
    out: list[str] = []
    run: list[int] = []
    for n in sorted(set(numbers)):
        if run and n == run[-1] + 1:
            run.append(n)
            continue
        if run:
            out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [n]
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ",".join(out)


def parse_ranges(text: str) -> set[int]:
    """The numbers of `number_ranges` text (raises ValueError on anything else)."""
    out: set[int] = set()
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        out.update(range(int(first), int(last or first) + 1))
    return out


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def form_fields(meta: FormMeta) -> dict[str, list[Field]]:
    """The fields of each form sheet, as the form described by `meta` has them."""
    fy = parse_fiscal_year(meta.fiscal_year).value
    if fy is None:
        raise ValueError(f"様式の年度「{meta.fiscal_year}」を読めません")
    earlier = [y for y in map(_fy_or_none, meta.earlier_years) if y is not None]
    sched = [y for y in map(_fy_or_none, meta.schedule_years) if y is not None]
    return {
        STATUS_SHEET: status_fields(fy, earlier, sched, tuple(meta.phases)),
        INDICATOR_SHEET: indicator_fields(fy),
        RPA_SHEET: list(RPA_FIELDS),
    }


def _fy_or_none(text: str) -> FiscalYear | None:
    return parse_fiscal_year(text).value
