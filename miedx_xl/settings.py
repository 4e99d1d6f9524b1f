"""The secretariat's settings: the fiscal year and folders its buttons use (the 設定 sheet).

The sheet is a table of label / value / hint rows, found by label, so a user may reorder it.
This module holds its rows and their parsing; the faces read and write the sheet itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from miedx_xl.errors import UsageError
from miedx_xl.normalize import FiscalYear, nfkc, parse_fiscal_year

SETTINGS_SHEET = "設定"
SETTINGS_HEADER = ["項目", "値", "説明"]
SETTINGS_WIDTHS = (16, 60, 70)
SETTING_ROWS = [
    ("年度", "fy", "対象の年度（例: R4、令和4年度、2022）"),
    ("様式フォルダ", "forms", "「様式作成」が担当課ごとの調査票を書き出すフォルダ"),
    (
        "提出フォルダ",
        "inbox",
        "担当課から返ってきた調査票を集めるフォルダ（「取りまとめ」が読みます）",
    ),
    ("取りまとめ結果", "master", "「取りまとめ」が書き出すマスターブック（.xlsx）"),
    ("PDFフォルダ", "pdf", "「PDF出力」が PDF を書き出すフォルダ"),
    (
        "様式の元にする取りまとめ結果",
        "plan",
        "前年度の取りまとめ結果（.xlsx）：様式作成と取りまとめの元の計画（空欄なら組み込みの計画）",
    ),
]
"""(label, key, hint) of each row of the 設定 sheet."""


@dataclass(frozen=True)
class Settings:
    """What the secretariat's buttons need: the fiscal year and where files go."""

    fy: FiscalYear
    forms: Path
    inbox: Path
    master: Path
    pdf: Path
    plan: Path | None = None
    """Last year's master workbook to write the forms from (None: the built-in plan)."""


def default_settings(base: Path, today: date | None = None) -> dict[str, str]:
    """Settings for a new 設定 sheet: last fiscal year, folders under `base`."""
    today = today or date.today()
    current = FiscalYear.of_year(today.year if today.month >= 4 else today.year - 1)
    return {
        "fy": str(FiscalYear(max(current.reiwa - 1, 1))),
        "forms": str(base / "様式"),
        "inbox": str(base / "提出"),
        "master": str(base / "取りまとめ結果.xlsx"),
        "pdf": str(base / "PDF"),
        "plan": "",
    }


def settings_rows(defaults: Mapping[str, str]) -> list[list[str]]:
    """The rows of a new 設定 sheet, its header first."""
    return [SETTINGS_HEADER] + [[label, defaults[key], hint] for label, key, hint in SETTING_ROWS]


def parse_settings(rows: Sequence[Sequence[Any]], base: Path) -> Settings:
    """The settings in a 設定 sheet's rows; empty values take the defaults, relative paths
    are under `base`. A fiscal year that cannot be read is a UsageError."""
    by_label = {nfkc(str(row[0])): row[1] if len(row) > 1 else "" for row in rows if row}
    defaults = default_settings(base)
    values = {}
    for label, key, _ in SETTING_ROWS:
        # Explorer's "copy as path" wraps a path in double quotes.
        value = str(by_label.get(nfkc(label), "")).strip().strip('"')
        values[key] = value or defaults[key]
    fy = parse_fiscal_year(values["fy"]).value
    if fy is None:
        raise UsageError(
            f"「{SETTINGS_SHEET}」シートの年度「{values['fy']}」を読めません（例: R4）。"
        )
    paths = {
        key: base / Path(values[key]).expanduser() for key in ("forms", "inbox", "master", "pdf")
    }
    plan = base / Path(values["plan"]).expanduser() if values["plan"] else None
    return Settings(fy, paths["forms"], paths["inbox"], paths["master"], paths["pdf"], plan)
