"""What a secretariat changes in the plan between years without code: division renames and
measures added, ended or moved, each a small CSV file kept beside the master workbook.

- `改称.csv`: 年度, 旧名称, 新名称 — a division's name from that fiscal year on.
- `取組の追加・終了.csv`: 年度, 区分 (新規 / 終了 / 移動), NO, 個別取組, 主体, 基本方針,
  取組内容, 担当課, スケジュール. 新規 needs NO, 個別取組, 主体, 取組内容 and 担当課 (its
  スケジュール words run from that year, separated by 「・」); 終了's 年度 is the last year the
  measure reports (no form row from the year after); 移動 gives the new 個別取組 (and 主体).

Both files list every year's rows (they grow by a few lines a year), and applying them twice
gives the same plan, so a master that already holds a change reads the same.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from miedx_xl.errors import PlanError
from miedx_xl.normalize import FiscalYear, nfkc, parse_fiscal_year
from miedx_xl.plan.columns import schedule_column
from miedx_xl.plan.model import Plan, expand_schedule, with_lifecycle

RENAMES_FILE = "改称.csv"
CHANGES_FILE = "取組の追加・終了.csv"
RENAME_HEADER = ("年度", "旧名称", "新名称")
CHANGE_HEADER = (
    "年度",
    "区分",
    "NO",
    "個別取組",
    "主体",
    "基本方針",
    "取組内容",
    "担当課",
    "スケジュール",
)
ADDED, ENDED, MOVED = "新規", "終了", "移動"


@dataclass(frozen=True)
class Rename:
    """A division's new name from fiscal year `fy` on (`old` is any name it had before)."""

    fy: FiscalYear
    old: str
    new: str


@dataclass(frozen=True)
class Change:
    """A measure added (新規), ended (終了: `fy` is its last year) or moved (移動) in `fy`."""

    fy: FiscalYear
    kind: str
    no: int
    area: int | None = None
    actor: str = ""
    policy: tuple[int, ...] = ()
    title: str = ""
    division: str = ""
    schedule: tuple[str, ...] = ()


def _decode(data: bytes) -> str:
    """CSV text as Excel saves it: UTF-8 (with or without BOM), else Shift_JIS (cp932)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp932")


def _rows(path: Path, header: tuple[str, ...], required: int) -> list[tuple[int, dict[str, str]]]:
    """The data rows of a CSV file as (line, label -> text); its first `required` headings
    must be there (found by label, in any order)."""
    text = _decode(path.read_bytes())
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return []
    labels = [nfkc(c).strip() for c in rows[0]]
    missing = [h for h in header[:required] if h not in labels]
    if missing:
        raise PlanError(
            f"{path.name} の 1 行目に見出し「{'」「'.join(missing)}」がありません"
            f"（見出しは {','.join(header)}）。"
        )
    out = []
    for line, row in enumerate(rows[1:], start=2):
        values = {label: (row[i].strip() if i < len(row) else "") for i, label in enumerate(labels)}
        if any(values.values()):
            out.append((line, values))
    return out


def _fy(path: Path, line: int, text: str) -> FiscalYear:
    parsed = parse_fiscal_year(text)
    if parsed.value is None:
        raise PlanError(f"{path.name} の {line} 行目: 年度「{text}」を読めません（例: R4）。")
    return parsed.value


def _int(path: Path, line: int, label: str, text: str) -> int | None:
    if not text:
        return None
    digits = re.sub(r"[()（）\s]", "", nfkc(text))
    if not digits.isdigit():
        raise PlanError(f"{path.name} の {line} 行目: {label}「{text}」を数として読めません。")
    return int(digits)


def read_renames(path: Path) -> list[Rename]:
    """The renames of a `改称.csv` file (PlanError names the line of a bad row)."""
    out = []
    for line, row in _rows(path, RENAME_HEADER, 3):
        old, new = row["旧名称"], row["新名称"]
        if not old or not new:
            raise PlanError(f"{path.name} の {line} 行目: 旧名称と新名称の両方を書いてください。")
        out.append(Rename(_fy(path, line, row["年度"]), old, new))
    return out


def read_changes(path: Path) -> list[Change]:
    """The measure changes of a `取組の追加・終了.csv` file (PlanError names a bad line)."""
    out = []
    for line, row in _rows(path, CHANGE_HEADER, 3):
        kind = nfkc(row["区分"])
        if kind not in (ADDED, ENDED, MOVED):
            raise PlanError(
                f"{path.name} の {line} 行目: 区分「{row['区分']}」は {ADDED}・{ENDED}・{MOVED}"
                " のどれかにしてください。"
            )
        no = _int(path, line, "NO", row["NO"])
        if no is None:
            raise PlanError(f"{path.name} の {line} 行目: NO がありません。")
        change = Change(
            fy=_fy(path, line, row["年度"]),
            kind=kind,
            no=no,
            area=_int(path, line, "個別取組", row.get("個別取組", "")),
            actor=row.get("主体", ""),
            policy=tuple(
                sorted({int(d) for d in re.findall(r"\d", nfkc(row.get("基本方針", "")))})
            ),
            title=row.get("取組内容", ""),
            division=row.get("担当課", ""),
            schedule=tuple(w for w in re.split(r"[・、,，\s]+", row.get("スケジュール", "")) if w),
        )
        needed = {"個別取組": change.area, "主体": change.actor, "取組内容": change.title}
        needed["担当課"] = change.division
        if kind == ADDED and (empty := [k for k, v in needed.items() if not v]):
            raise PlanError(
                f"{path.name} の {line} 行目: 新規の取組 NO {no} には「{'」「'.join(empty)}」"
                "が必要です。"
            )
        if kind == MOVED and change.area is None:
            raise PlanError(f"{path.name} の {line} 行目: 移動先の個別取組がありません。")
        out.append(change)
    return out


def read_beside(master: Path) -> tuple[list[Rename], list[Change]]:
    """The renames and measure changes kept beside a master workbook (none when absent)."""
    folder = master.parent
    renames = read_renames(folder / RENAMES_FILE) if (folder / RENAMES_FILE).is_file() else []
    changes = read_changes(folder / CHANGES_FILE) if (folder / CHANGES_FILE).is_file() else []
    return renames, changes


def apply_renames(plan: Plan, renames: list[Rename]) -> Plan:
    """The plan with each division's new name from its year on (history stays under the
    division's key, so measures keep their rows)."""
    if not renames:
        return plan
    names = {key: dict(by_year) for key, by_year in plan.division_names.items()}
    for r in sorted(renames, key=lambda r: r.fy):
        key = _division_key(plan, names, r.old) or _division_key(plan, names, r.new)
        if key is None:
            raise PlanError(f"{RENAMES_FILE}: 旧名称「{r.old}」の担当課は計画にありません。")
        by_year = names.setdefault(key, {})
        if not by_year:
            by_year[plan.first_fy] = key  # the name it had until now
        by_year[r.fy] = r.new
    return replace(plan, division_names=names)


def _division_key(plan: Plan, names: dict[str, dict[FiscalYear, str]], name: str) -> str | None:
    if name in names or name in set(plan.measures["division"]):
        return name
    for key, by_year in names.items():
        if name in by_year.values():
            return key
    return None


def apply_changes(plan: Plan, changes: list[Change]) -> Plan:
    """The plan with measures added, ended and moved (each change applied once: a master
    that already holds a new measure only gets its 新規 year)."""
    if not changes:
        return plan
    m = with_lifecycle(plan.measures).copy()
    for c in sorted(changes, key=lambda c: (c.fy, c.no)):
        own = (m["no"] == c.no) & (m["relisted_of"] == 0) & ~m["reference"]
        if c.kind == ADDED:
            if own.any():
                m.loc[own, "added_in"] = str(c.fy)
                continue
            m = _insert(m, _new_row(plan, c, m))
            continue
        if not own.any():
            raise PlanError(f"{CHANGES_FILE}: {c.kind}の取組 NO {c.no} は計画にありません。")
        if c.kind == ENDED:
            m.loc[own, "ended_in"] = str(c.fy)
        elif c.kind == MOVED and c.area is not None:
            idx = m.index[own][0]
            row: dict[str, Any] = dict(m.loc[idx])
            if int(row["area"]) != c.area:
                row.update(moved_in=str(c.fy), moved_from=int(row["area"]), area=c.area)
                if c.actor:
                    row["actor"] = c.actor
                m = _insert(m.drop(index=idx), row)
    out = replace(plan, measures=m.reset_index(drop=True))
    from miedx_xl.plan.schema import validate_plan

    validate_plan(out)
    return out


def _new_row(plan: Plan, c: Change, m: pd.DataFrame) -> dict[str, Any]:
    """A measures row for a 新規 change."""
    if c.area not in set(plan.areas["no"].tolist()):
        raise PlanError(f"{CHANGES_FILE}: NO {c.no} の個別取組「{c.area}」は計画にありません。")
    if c.actor not in plan.actors:
        raise PlanError(
            f"{CHANGES_FILE}: NO {c.no} の主体「{c.actor}」は {'・'.join(plan.actors)} の"
            "どれかにしてください。"
        )
    unknown = [w for w in c.schedule if w not in plan.phases]
    if unknown:
        raise PlanError(
            f"{CHANGES_FILE}: NO {c.no} のスケジュール「{'・'.join(unknown)}」は段階の語"
            f"（{'・'.join(plan.phases)}）ではありません。"
        )
    later = [y for y in plan.fiscal_years if y >= c.fy]
    expanded = expand_schedule(list(c.schedule), later)
    row: dict[str, Any] = {col: _blank(m[col]) for col in m.columns}
    row.update(
        no=c.no,
        area=c.area,
        actor=c.actor,
        policy=c.policy,
        title=c.title,
        division=plan.division_key(c.division, c.fy) or c.division,
        relisted_of=0,
        reference=False,
        schedule_printed=c.schedule,
        schedule_inferred=False,
        added_in=str(c.fy),
        ended_in="",
        moved_in="",
        moved_from=0,
    )
    for y in plan.fiscal_years:
        row[schedule_column(y)] = expanded.get(y, "")
    return row


def _blank(column: pd.Series) -> Any:
    """An empty value of a column's kind (a new measure has no earlier years' content)."""
    if column.dtype == bool:
        return False
    if pd.api.types.is_numeric_dtype(column.dtype):
        return 0
    return ""


def _insert(m: pd.DataFrame, row: dict[str, Any]) -> pd.DataFrame:
    """`m` with `row` placed after the last measure of its area and actor (else of its
    area), orders renumbered from 1."""
    m = m.sort_values("order").reset_index(drop=True)
    same = (m["area"] == row["area"]) & ~m["reference"]
    group = same & (m["actor"] == row["actor"])
    anchor = m.index[group][-1] if group.any() else (m.index[same][-1] if same.any() else None)
    if anchor is None:
        before = m["area"] < row["area"]
        anchor = m.index[before][-1] if before.any() else -1
    at = int(anchor) + 1
    new = pd.DataFrame([row]).reindex(columns=m.columns)
    for col in m.columns:
        new[col] = new[col].astype(m[col].dtype) if m[col].dtype != object else new[col]
    out = pd.concat([m.iloc[:at], new, m.iloc[at:]], ignore_index=True)
    out["order"] = range(1, len(out) + 1)
    return out
