"""Finding codes: severity and the Japanese and English message templates, keyed by code.

Both templates of a code use the same placeholders. Codes are a contract (DESIGN.md): add
new ones freely, never rename one.
"""

from __future__ import annotations

from typing import Final, Literal, NamedTuple

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
        "ファイルを開けません（{reason}）。Excel で開いて「Excel ブック (*.xlsx)」として"
        "保存し直し、パスワードを外してから提出してください。",
        "The file cannot be opened ({reason}). Open it in Excel, save it as an Excel workbook"
        " (*.xlsx) without a password, and submit it again.",
    ),
    "file-too-large": Code(
        "error",
        "大きすぎるファイル",
        "ファイルが大きすぎるため読み込みません（{size}、上限 {limit}）。"
        "様式以外のシートや画像を削除してから提出してください。",
        "The file is too large to read ({size}; limit {limit}). Remove sheets and pictures"
        " that are not part of the form and submit it again.",
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
    "submission-missing": Code(
        "warning",
        "未提出",
        "{division} の様式が提出されていません。前年度までの内容をそのまま残します。",
        "No form from {division}. Earlier years' content is kept as it was.",
    ),
}


def severity_of(code: str) -> Severity:
    """Severity of a finding code."""
    return CODES[code].severity
