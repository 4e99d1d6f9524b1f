"""Open data of the report: the progress table and the indicators as flat tables (CSV).

Flat as 総務省「統計表における機械判読可能なデータの表記方法の統一ルール」 asks: one header
line, one record a line, one value per cell, numbers as numbers with their unit in the header
(or in a 単位 column beside a 値 column), 西暦 beside 和暦, no merged cells, no spaces or line
breaks for layout, no machine-dependent characters. `check_rules` checks a table against
those rules; the tests run it on our CSV and on the master's データ sheet.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from miedx_xl.files import replacing
from miedx_xl.master.layout import period_key
from miedx_xl.normalize import FiscalYear, parse_fiscal_year
from miedx_xl.plan.columns import assessment_column, schedule_column, status_column
from miedx_xl.plan.model import Plan, period_fiscal_year, records

LINE_JOIN = "／"
"""Line breaks inside a text (one 取組状況 entry a line) become this in the flat tables."""
ENCODING = "utf-8-sig"
"""UTF-8; the byte-order mark lets Excel on Japanese Windows open the CSV without mojibake."""
POLICIES = (1, 2, 3)
_DEPENDENT = re.compile(
    "[\u2160-\u217f\u2460-\u24ff\u2776-\u2793\u3200-\u33ff\uff61-\uff9f\ue000-\uf8ff]"
)


def _year_label(fy: FiscalYear) -> str:
    return f"{fy.year}年度（{fy.label_ja()}）"


def _flat(text: Any) -> str:
    """A text on one line, machine-dependent characters (①, Ⅱ, ㈱) by their NFKC form."""
    if not isinstance(text, str):
        return ""
    text = _DEPENDENT.sub(lambda m: unicodedata.normalize("NFKC", m[0]), text)
    lines = text.splitlines()
    if len(lines) <= 1:
        return lines[0].strip() if lines else ""
    return LINE_JOIN.join(line for line in map(str.strip, lines) if line)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def progress_records(plan: Plan, fy: FiscalYear) -> list[dict[str, Any]]:
    """The progress table (進捗管理表) of `fy` as flat records, one per table row."""
    titles = {int(a["no"]): str(a["title"]) for a in records(plan.areas)}
    originals = {int(r["no"]): r for r in records(plan.own_measures())}
    # Per-year labels and columns once, not once per measure.
    schedules = [(f"予定 {_year_label(y)}", schedule_column(y)) for y in plan.fiscal_years]
    statuses = [
        (f"取組状況 {_year_label(y)}", status_column(y)) for y in plan.status_years() if y <= fy
    ]
    assessment = (f"自己評価 {_year_label(fy)}", assessment_column(fy))
    names = {key: plan.division_name(key, fy) for key in set(plan.measures["division"])}
    out = []
    for m in records(plan.measures.sort_values("order")):
        relisted = int(m["relisted_of"])
        original = originals.get(relisted) if relisted else None

        def value(key: str, m: dict[str, Any] = m, original: Any = original) -> str:
            own = _flat(m.get(key))
            return own or (_flat(original.get(key)) if original is not None else "")

        rec: dict[str, Any] = {
            "年度（西暦）": fy.year,
            "年度（和暦）": fy.label_ja(),
            "個別取組番号": int(m["area"]),
            "個別取組": titles.get(int(m["area"]), ""),
            "主体": str(m["actor"]),
            "NO": int(m["no"]),
            "掲載区分": "参考" if m["reference"] else ("再掲" if relisted else "本掲"),
            "再掲元NO": relisted if relisted else None,
        }
        for p in POLICIES:
            rec[f"基本方針{p}（該当は1）"] = 1 if p in tuple(m["policy"]) else 0
        rec["取組内容"] = str(m["title"])
        rec["担当課"] = names.get(m["division"]) or plan.division_name(str(m["division"]), fy)
        for label, column in (*schedules, *statuses, assessment):
            rec[label] = value(column)
        out.append(rec)
    return out


def _period_ja(period: str) -> str:
    parts = [int(p) for p in period.split("-")]
    fy_of = FiscalYear.of_year(parts[0]) if parts[0] > 2018 else None
    era = f"令和{'元' if parts[0] == 2019 else parts[0] - 2018}年" if fy_of else f"{parts[0]}年"
    return era + f"{parts[1]}月" + (f"{parts[2]}日" if len(parts) == 3 else "")


def indicator_records(plan: Plan) -> list[dict[str, Any]]:
    """Every indicator value as one flat record (value as a number, its unit beside it)."""
    ind = records(plan.indicators)
    ind.sort(key=lambda r: (str(r["id"]), period_key(str(r["period"]))))
    order = {k: i for i, k in enumerate(dict.fromkeys(plan.indicators["id"]))}
    ind.sort(key=lambda r: order[str(r["id"])])
    out = []
    for r in ind:
        period = str(r["period"])
        is_fy = parse_fiscal_year(period).value is not None and period.upper().startswith("R")
        fy = period_fiscal_year(period)
        out.append(
            {
                "指標ID": str(r["id"]),
                "指標名": str(r["name"]),
                "個別取組番号": int(r["area"]) or None,
                "取組NO": int(r["measure"]) or None,
                "年度（西暦）": fy.year,
                "年度（和暦）": fy.label_ja(),
                "時点（西暦）": "" if is_fy else period,
                "時点（和暦）": "" if is_fy else _period_ja(period),
                "値": _number(float(r["value"])),
                "単位": str(r["unit"]),
                "概数（概数は1）": 1 if r["approx"] else 0,
                "備考": _flat(r["note"]),
            }
        )
    return out


def write_csv(rows: Sequence[dict[str, Any]], out: Path) -> Path:
    """Flat records as CSV: UTF-8, one header line, one record a line (CRLF), blanks empty."""
    if not rows:
        raise ValueError("no records")
    header = list(rows[0])
    with replacing(out) as part, part.open("w", encoding=ENCODING, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(header)
        for rec in rows:
            writer.writerow(["" if rec[k] is None else rec[k] for k in header])
    return out


# ------------------------------------------------------------------------ the rules' checks


@dataclass(frozen=True)
class Table:
    """A table as read back from a file: header, rows of cell values, and what the file
    itself says about merged cells and formulas (always none for CSV)."""

    header: list[str]
    rows: list[list[Any]]
    merged: int = 0
    formulas: int = 0


def read_csv_table(path: Path) -> Table:
    """A CSV as text cells, numbers parsed back where the text is a number."""
    with path.open(encoding=ENCODING, newline="") as fh:
        lines = list(csv.reader(fh))
    return Table(lines[0], [[_parse(c) for c in row] for row in lines[1:]])


_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _parse(cell: str) -> Any:
    if cell == "":
        return None
    if _NUMBER.match(cell):
        return float(cell) if "." in cell else int(cell)
    return cell


def read_sheet_table(path: Path, sheet: str) -> Table:
    """A worksheet as a table (row 1 the header), with its merged ranges and formulas."""
    from openpyxl import load_workbook

    ws = load_workbook(path)[sheet]
    cells = [list(r) for r in ws.iter_rows()]
    formulas = sum(1 for r in cells for c in r if c.data_type == "f")
    values = [[c.value for c in r] for r in cells]
    return Table(
        [str(v) if v is not None else "" for v in values[0]],
        values[1:],
        merged=len(ws.merged_cells.ranges),
        formulas=formulas,
    )


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and not math.isnan(v)


def _numeric_columns(t: Table) -> list[int]:
    return [c for c in range(len(t.header)) if any(_is_number(r[c]) for r in t.rows if c < len(r))]


def _rule_one_value(t: Table) -> list[str]:
    # 1-2: no cell lists several numbers (「1,2」「１、２」) in a column of numbers.
    bad = []
    for c in _numeric_columns(t):
        for i, r in enumerate(t.rows, start=2):
            v = r[c]
            if isinstance(v, str):
                bad.append(f"{i}行目「{t.header[c]}」: {v!r}")
    return bad


def _rule_numbers(t: Table) -> list[str]:
    # 1-3 / 2-1: a number column holds numbers or blanks, never 「約7,000」「13業務」.
    bad = []
    for c in _numeric_columns(t):
        for i, r in enumerate(t.rows, start=2):
            v = r[c]
            if v is not None and not _is_number(v):
                bad.append(f"{i}行目「{t.header[c]}」: {v!r}")
    return bad


def _rule_merged(t: Table) -> list[str]:
    # 1-4: no merged cells.
    return [f"結合セル {t.merged} 箇所"] if t.merged else []


_LAYOUT = re.compile(r"^[\s\u3000]|[\s\u3000]$|[\r\n\t]|[ \u3000]{2,}")


def _rule_layout(t: Table) -> list[str]:
    # 1-5: no spaces or line breaks used for layout.
    bad = []
    for i, r in enumerate([t.header, *t.rows], start=1):
        for c, v in enumerate(r):
            if isinstance(v, str) and _LAYOUT.search(v):
                bad.append(f"{i}行目{c + 1}列目: {v[:20]!r}")
    return bad


def _rule_headers(t: Table) -> list[str]:
    # 1-6 / 1-11 / 1-12: every column named once; every record as long as the header; one
    # table (no blank line or second header inside).
    bad = [f"{c + 1}列目の見出しが空" for c, h in enumerate(t.header) if not h.strip()]
    if len(set(t.header)) != len(t.header):
        bad.append("同じ見出しの列がある")
    for i, r in enumerate(t.rows, start=2):
        if len(r) != len(t.header):
            bad.append(f"{i}行目の列数 {len(r)} が見出しの {len(t.header)} と異なる")
        elif all(v is None or v == "" for v in r):
            bad.append(f"{i}行目が空行")
        elif [str(v) for v in r] == t.header:
            bad.append(f"{i}行目に見出しの繰り返し")
    return bad


_ID_HEADER = re.compile(r"(NO|番号|ID)$")


def _rule_units(t: Table) -> list[str]:
    # 1-9: a number column names its unit in the header (「（時間）」), or is 値 beside a
    # 単位 column, or is an identifier (NO, 番号, ID).
    bad = []
    for c in _numeric_columns(t):
        h = t.header[c]
        if ("（" in h and "）" in h) or _ID_HEADER.search(h):
            continue
        if h == "値" and "単位" in t.header:
            continue
        bad.append(f"「{h}」に単位がない")
    return bad


def _rule_characters(t: Table) -> list[str]:
    # 1-10: no machine-dependent characters (丸数字, ローマ数字, ㈱, ㍻, 半角カナ, 外字).
    bad = []
    for i, r in enumerate([t.header, *t.rows], start=1):
        for c, v in enumerate(r):
            if isinstance(v, str) and (m := _DEPENDENT.search(v)):
                bad.append(f"{i}行目{c + 1}列目: 「{m[0]}」")
    return bad


def _rule_formulas(t: Table) -> list[str]:
    # 1-7: values, not formulas.
    bad = [f"数式 {t.formulas} 個"] if t.formulas else []
    for i, r in enumerate(t.rows, start=2):
        for c, v in enumerate(r):
            if isinstance(v, str) and v.startswith("="):
                bad.append(f"{i}行目{c + 1}列目が数式のように見える")
    return bad


def _rule_western_year(t: Table) -> list[str]:
    # 2-2: 西暦 beside 和暦 — a 年度（西暦） column of four-digit years next to 年度（和暦）.
    if "年度（西暦）" not in t.header or "年度（和暦）" not in t.header:
        return ["「年度（西暦）」「年度（和暦）」の列がない"]
    c = t.header.index("年度（西暦）")
    if abs(c - t.header.index("年度（和暦）")) != 1:
        return ["西暦と和暦の列が隣り合っていない"]
    return [
        f"{i}行目の西暦「{r[c]}」"
        for i, r in enumerate(t.rows, start=2)
        if not (_is_number(r[c]) and 1900 < r[c] < 2200)
    ]


RULES: dict[str, tuple[str, Callable[[Table], list[str]]]] = {
    "1-2": ("1セル1データ", _rule_one_value),
    "1-3": ("数値データは数値属性", _rule_numbers),
    "1-4": ("セルの結合をしない", _rule_merged),
    "1-5": ("スペースや改行で体裁を整えない", _rule_layout),
    "1-6": ("項目名を省略しない・表を分断しない", _rule_headers),
    "1-7": ("数式ではなく値", _rule_formulas),
    "1-9": ("データの単位を記載する", _rule_units),
    "1-10": ("機種依存文字を使用しない", _rule_characters),
    "2-2": ("西暦表記又は西暦併記", _rule_western_year),
}
"""総務省「統計表における機械判読可能なデータの表記方法の統一ルール」: the rules a flat
table of ours can break, by the rule's チェック項目 number."""


def check_rules(table: Table) -> dict[str, list[str]]:
    """The problems of `table` per rule (an empty list for a rule it keeps)."""
    return {code: check(table) for code, (_, check) in RULES.items()}
