"""資料２－２: the dated document of the secretariat (python-docx), editable before publishing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH

from miedx_xl.files import replacing
from miedx_xl.master.layout import area_label
from miedx_xl.normalize import FiscalYear
from miedx_xl.plan.model import Plan
from miedx_xl.report.figures import zenkaku
from miedx_xl.report.style import HEADQUARTERS, MEMO_NO, REPORT_TITLE, TABLES_NO
from miedx_xl.report.word import a4_document, add_styled, from_template, paragraph_style


def _digits(text: str) -> str:
    return "".join(
        zenkaku(int(ch), comma=False) if ch.isascii() and ch.isdigit() else ch for ch in text
    )


def date_ja(day: date) -> str:
    """A date as the report prints it: 2022-05-30 -> 令和４年５月３０日."""
    reiwa = day.year - 2018
    era = "元" if reiwa == 1 else zenkaku(reiwa, comma=False)
    return f"令和{era}年{zenkaku(day.month, comma=False)}月{zenkaku(day.day, comma=False)}日"


STYLES = {
    "報告書 日付": {"size": 10.5, "align": WD_ALIGN_PARAGRAPH.RIGHT},
    "報告書 表題": {"size": 14, "bold": True, "align": WD_ALIGN_PARAGRAPH.CENTER, "before_pt": 12},
    "報告書 副題": {"size": 12, "align": WD_ALIGN_PARAGRAPH.CENTER},
    "報告書 見出し": {"size": 11, "bold": True, "before_pt": 12, "keep_with_next": True},
    "報告書 本文": {"size": 10.5, "first_line_mm": 4},
    "報告書 項目": {"size": 10.5, "keep_with_next": True},
    "報告書 個別取組": {"size": 10.5, "bold": True, "before_pt": 8, "keep_with_next": True},
    "報告書 リード": {"size": 10.5, "indent_mm": 4, "first_line_mm": 4},
    "報告書 成果": {"size": 10.5, "indent_mm": 8, "first_line_mm": -4},
    "報告書 成果続き": {"size": 10.5, "indent_mm": 8},
}
"""The document's paragraph styles: restyle them in Word, save the file, and give it as the
template next time (`--memo-template`): the text is written again, the styles are kept."""


def write_memo(
    plan: Plan,
    fy: FiscalYear,
    day: date,
    department: str,
    out: Path,
    template: Path | None = None,
) -> Path:
    """資料２－２ of `fy`: date, department, 要旨, and per area its lead and main results
    (on the styles, page set-up and headers of `template` when one is given)."""
    doc = from_template(template) if template is not None else a4_document(MEMO_NO, margin_mm=22)
    for name, spec in STYLES.items():
        paragraph_style(doc, name, **spec)  # type: ignore[arg-type]

    def put(style: str, text: str) -> None:
        add_styled(doc, text, f"報告書 {style}")

    put("日付", date_ja(day))
    put("日付", department)
    put("表題", REPORT_TITLE.format(name=plan.name))
    put("副題", f"（{_digits(fy.label_ja())}における取組状況）")
    put("見出し", "１　要旨")
    established = _digits(plan.established)
    put(
        "本文",
        f"現行の「{plan.name}」（{established}策定）（以下：「計画」）はＩＣＴやデータを積極的に"
        "活用していくことにより、行政運営の効率化や県民の利便性向上、新たな様相を呈している"
        f"社会のさまざまな課題の解決を目的に策定され、「{HEADQUARTERS}」の推進体制のもと、"
        "計画に基づく取組を進めています。",
    )
    put(
        "本文",
        f"このたび、ＰＤＣＡサイクルに基づき、{_digits(fy.label_ja())}の取組状況をまとめましたので、"
        "庁内で共有を行います。",
    )
    put("見出し", f"２　主な個別取組の状況（詳細は{TABLES_NO}）")
    put("項目", "・主な個別取組")
    lead, head = f"lead_{fy}", f"headline_{fy}"
    for a in plan.areas.sort_values("no").to_dict("records"):
        put("個別取組", f"{area_label(int(a['no']))}{a['title']}")
        text = a.get(lead)
        if isinstance(text, str) and text:
            put("リード", text)
        heads = a.get(head)
        if isinstance(heads, str) and heads:
            for i, line in enumerate(heads.split("\n")):
                put("成果" if i == 0 else "成果続き", f"○{line}" if i == 0 else line)
        if not (isinstance(text, str) and text) and not (isinstance(heads, str) and heads):
            put("リード", f"（{fy}のリード文・主な成果は取りまとめ表にありません）")
    with replacing(out) as part:
        doc.save(str(part))
    return out
