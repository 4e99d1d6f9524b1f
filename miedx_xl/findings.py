"""Findings: data problems collected, never raised, each with a file, sheet and cell.

The code table gives each finding code its severity and its Japanese and English message
templates; both templates of a code use the same placeholders. Codes are a contract (the
README's 入力チェック table): add new ones freely, never rename one.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final, Literal, NamedTuple

Severity = Literal["error", "warning", "info"]


class Code(NamedTuple):
    """One finding code: its severity, title and message templates."""

    severity: Severity
    title_ja: str
    message_ja: str
    message_en: str


CODES: Final[dict[str, Code]] = {
    "file-unreadable": Code(
        "error",
        "読めないファイル",
        "ファイルを開けません（{reason}）。{advice}",
        "The file cannot be opened ({reason}). {advice_en}",
    ),
    "file-too-large": Code(
        "error",
        "大きすぎるファイル",
        "ファイルが大きすぎるため読み込みません（{size}、{limit}）。"
        "様式以外のシートや画像を削除してから提出してください。",
        "The file is too large to read ({size}; {limit_en}). Remove sheets and pictures"
        " that are not part of the form and submit it again.",
    ),
    "sheet-too-large": Code(
        "error",
        "使われている範囲が広すぎるシート",
        "「{sheet_name}」シートは {last_cell} まで使われていて（{rows:,} 行・{columns:,} 列・"
        "{cells:,} セル）、様式の大きさ（{max_rows:,} 行・{max_columns:,} 列）を超えるため"
        "読み込みませんでした。離れたセルの値や空白、下までコピーした入力を削除して"
        "保存し直してください。",
        "Sheet '{sheet_name}' is used up to {last_cell} ({rows:,} rows, {columns:,} columns,"
        " {cells:,} cells), more than a form holds ({max_rows:,} rows, {max_columns:,}"
        " columns), so it was not read. Delete values far from the table, or input copied"
        " down the sheet, and save it again.",
    ),
    "findings-omitted": Code(
        "info",
        "省略した指摘",
        "「{code_title}」の指摘が多いため、以下 {omitted:,} 件を省略しました（全 {total:,} 件）。"
        "表示された指摘を直すと、残りも同じように直せるはずです。",
        "There are many '{of_code}' findings: {omitted:,} more were left out ({total:,} in all)."
        " Fixing the ones shown should show how to fix the rest.",
    ),
    "folder-unreadable": Code(
        "error",
        "読めないフォルダ",
        "フォルダを読めないため、中のファイルを取りまとめていません（{reason}）。"
        "フォルダの権限を確かめてください。",
        "The folder cannot be read, so its files were not consolidated ({reason}). Check"
        " the folder's permissions.",
    ),
    "link-skipped": Code(
        "warning",
        "リンク（ショートカット）",
        "リンクはたどりません（{where}の「{target}」を指しています）。"
        "提出する様式そのものを提出フォルダに置いてください。",
        "Links are not followed (this one points to '{target}'). Put the form itself in the"
        " submission folder.",
    ),
    "saved-time-future": Code(
        "warning",
        "未来の保存日時",
        "ファイルの保存日時 {saved} が取りまとめの日時 {now} より後です（パソコンの時計が"
        "ずれている可能性があります）。同じ担当課の様式が複数あるときは、提出フォルダに"
        "届いた日時 {arrived} で新旧を判断しました。",
        "The file says it was saved at {saved}, after this run ({now}): the PC's clock may be"
        " wrong. Among several forms of one division, its arrival time {arrived} was used.",
    ),
    "mark-failed": Code(
        "warning",
        "チェック結果のコピーを作れない",
        "チェック結果を書き込んだコピーを作れませんでした（{reason}）。上の指摘を見て、"
        "元のファイルを直してください。",
        "No marked copy could be written ({reason}). Use the findings above to fix the file.",
    ),
    "lock-file-skipped": Code(
        "info",
        "Excel の一時ファイル",
        "Excel の一時ファイル（~$ で始まるファイル）なので読み飛ばしました。",
        "Skipped an Excel lock file (its name starts with ~$).",
    ),
    "template-unknown": Code(
        "error",
        "様式ではないファイル",
        "このファイルは配布した様式ではありません（{reason}）。配布した様式に記入して"
        "提出してください。",
        "This file is not one of the distributed forms ({reason}). Fill in the form you"
        " received and submit it.",
    ),
    "template-tampered": Code(
        "error",
        "固定欄の変更",
        "変更できない欄が書き換えられています（{detail}）。配布時の内容「{expected}」に"
        "戻してください。",
        "A locked cell was changed ({detail}). Restore the original content '{expected}'.",
    ),
    "template-unsealed": Code(
        "warning",
        "封印のない様式",
        "この様式には事務局の鍵による封印がありません（鍵を導入する前に配布した様式か、"
        "鍵のないパソコンで作られた様式です）。固定欄の書き換えは確かめられる範囲で確かめました。",
        "This form carries no seal of the secretariat's key (made before the key, or on a PC"
        " without it). Locked cells were checked as far as possible.",
    ),
    "sheet-missing": Code(
        "error",
        "シートがない",
        "シート「{sheet_name}」が見つかりません。シート名を変えたり削除したりせず、配布した"
        "様式のまま提出してください。",
        "Sheet '{sheet_name}' is missing. Do not rename or delete the form's sheets.",
    ),
    "header-missing": Code(
        "error",
        "見出しがない",
        "シート「{sheet_name}」に見出し「{header}」の列がありません。列を削除せず、見出しを"
        "配布時のまま残してください。",
        "Sheet '{sheet_name}' has no column headed '{header}'. Do not delete columns or change"
        " their headings.",
    ),
    "cell-required": Code(
        "error",
        "未入力",
        "「{column}」が未入力です。{hint}",
        "'{column}' is empty. {hint_en}",
    ),
    "cell-type": Code(
        "error",
        "数値として読めない",
        "「{column}」の「{value}」は{expected}として読めません。{hint}",
        "'{column}': '{value}' is not a valid {expected_en}. {hint_en}",
    ),
    "cell-range": Code(
        "error",
        "範囲外の値",
        "「{column}」の「{value}」は範囲外です。{hint}",
        "'{column}': '{value}' is out of range. {hint_en}",
    ),
    "cell-choice": Code(
        "error",
        "選択肢にない値",
        "「{column}」の「{value}」は選択肢にありません。一覧から選んでください（{choices}）。",
        "'{column}': '{value}' is not one of the choices ({choices}). Pick one from the list.",
    ),
    "text-too-long": Code(
        "warning",
        "文字数超過",
        "「{column}」が {length} 文字あります（上限 {limit} 文字）。{limit} 文字以内に"
        "要約してください。",
        "'{column}' has {length} characters (limit {limit}). Shorten it to {limit} characters.",
    ),
    "measure-unknown": Code(
        "error",
        "計画にない取組",
        "NO「{value}」の取組は計画にありません。配布した様式の NO のまま記入してください。",
        "Measure NO '{value}' is not in the plan. Keep the NO printed in the form.",
    ),
    "measure-foreign": Code(
        "error",
        "他課の取組",
        "NO {value} は {owner} の取組です（この様式は {division}）。この行を削除し、"
        "{owner} に連絡してください。",
        "Measure NO {value} belongs to {owner}, not to {division}. Delete this row and tell"
        " {owner}.",
    ),
    "duplicate-row": Code(
        "error",
        "重複した行",
        "NO {value} の行が重複しています（{first} 行目と同じ）。どちらか一方を削除してください。",
        "Measure NO {value} appears twice (same as row {first}). Delete one of the rows.",
    ),
    "hours-increase": Code(
        "warning",
        "導入後の時間が増加",
        "導入後時間（{after}）が導入前時間（{before}）より多くなっています。"
        "時間の入れ違いがないか確認してください。",
        "Hours after ({after}) exceed hours before ({before}). Check that the two are not swapped.",
    ),
    "formula-as-text": Code(
        "info",
        "数式のような文字列",
        "「{column}」が「{first}」で始まるため、数式ではなく文字列として扱います。",
        "'{column}' starts with '{first}'; it is kept as text, not as a formula.",
    ),
    "duplicate-submission": Code(
        "warning",
        "重複提出",
        "{division} の様式が複数あります。新しい「{kept}」を使い、このファイルは使いません。",
        "{division} submitted more than one form. The newer '{kept}' is used, not this file.",
    ),
    "division-renamed": Code(
        "warning",
        "旧名称の担当課",
        "様式の担当課名「{old}」は{fy_ja}から「{new}」に改称されています。"
        "「{new}」の様式として取りまとめました（次回からは新しい名称の様式を使ってください）。",
        "The form names the division '{old}', which is called '{new}' from FY {fy}. It was"
        " consolidated as the form of '{new}' (use a form with the new name next time).",
    ),
    "submission-missing": Code(
        "warning",
        "未提出",
        "{division} の様式が提出されていません。前年度までの内容をそのまま残します。",
        "No form from {division}. Earlier years' content is kept as it was.",
    ),
}


class _Blank(dict[str, Any]):
    """Format mapping that leaves unknown placeholders empty instead of failing."""

    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True)
class Finding:
    """One problem: its stable code and where it is, with a message in Japanese and English."""

    code: str
    severity: Severity
    file: str
    sheet: str | None
    cell: str | None
    message_ja: str
    message_en: str

    def as_dict(self) -> dict[str, Any]:
        """The finding as the JSON object of docs/design.md."""
        return asdict(self)


def finding(
    code: str,
    file: str,
    sheet: str | None = None,
    cell: str | None = None,
    **params: Any,
) -> Finding:
    """Make a finding of `code`, filling its message templates with `params`."""
    spec = CODES[code]
    values = _Blank({k: ("" if v is None else v) for k, v in params.items()})
    return Finding(
        code=code,
        severity=spec.severity,
        file=file,
        sheet=sheet,
        cell=cell,
        message_ja=spec.message_ja.format_map(values).strip(),
        message_en=spec.message_en.format_map(values).strip(),
    )


_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


MAX_PER_CODE = 100
"""Findings of one code kept per file; the rest are counted in one findings-omitted."""


@dataclass
class Report:
    """All findings of one check or one run."""

    findings: list[Finding] = field(default_factory=list)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def add(self, item: Finding) -> None:
        """Append one finding."""
        self.findings.append(item)

    def extend(self, items: Iterable[Finding]) -> None:
        """Append findings."""
        self.findings.extend(items)

    @property
    def valid(self) -> bool:
        """True when no finding is an error."""
        return not any(f.severity == "error" for f in self.findings)

    def count(self, severity: Severity) -> int:
        """Number of findings of one severity."""
        return sum(1 for f in self.findings if f.severity == severity)

    def counts_ja(self) -> str:
        """The counts line shown by every face: エラー 2 件、警告 0 件、情報 1 件."""
        return (
            f"エラー {self.count('error')} 件、警告 {self.count('warning')} 件、"
            f"情報 {self.count('info')} 件"
        )

    def codes(self) -> Counter[str]:
        """How many findings of each code."""
        return Counter(f.code for f in self.findings)

    def flatten(self, fields: Sequence[str] = ("code", "sheet", "cell")) -> list[list[Any]]:
        """The findings as rows of the named fields (for tests and tables)."""
        return [[getattr(f, name) for name in fields] for f in self.findings]

    def sorted(self) -> Report:
        """A copy ordered by file, sheet, row, column, then severity."""
        return Report(sorted(self.findings, key=_sort_key))

    def capped(self, per_code: int = MAX_PER_CODE) -> Report:
        """A copy with at most `per_code` findings of each code per file, each code past
        that summed up in one findings-omitted finding (a column filled down by accident
        must not become a million findings)."""
        counts = Counter((f.file, f.code) for f in self.findings)
        if all(n <= per_code for n in counts.values()):
            return self
        kept: list[Finding] = []
        seen: Counter[tuple[str, str]] = Counter()
        for f in self.findings:
            key = (f.file, f.code)
            seen[key] += 1
            if seen[key] <= per_code:
                kept.append(f)
            elif seen[key] == per_code + 1:
                total = counts[key]
                kept.append(
                    finding(
                        "findings-omitted",
                        f.file,
                        of_code=f.code,
                        code_title=CODES[f.code].title_ja if f.code in CODES else f.code,
                        omitted=total - per_code,
                        total=total,
                    )
                )
        return Report(kept)

    def to_json(self) -> str:
        """The findings as a JSON list (docs/design.md)."""
        return json.dumps([f.as_dict() for f in self.findings], ensure_ascii=False, indent=1)


def _sort_key(f: Finding) -> tuple[str, str, int, str, int, str]:
    row, col = _split_cell(f.cell)
    return (f.file, f.sheet or "", row, col, _SEVERITY_ORDER[f.severity], f.code)


def _split_cell(cell: str | None) -> tuple[int, str]:
    if not cell:
        return (0, "")
    letters = cell.rstrip("0123456789")
    digits = cell[len(letters) :]
    return (int(digits) if digits else 0, letters.rjust(3))
