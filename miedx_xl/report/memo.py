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
from miedx_xl.report.word import a4_document, add_text


def _digits(text: str) -> str:
    return "".join(
        zenkaku(int(ch), comma=False) if ch.isascii() and ch.isdigit() else ch for ch in text
    )


def date_ja(day: date) -> str:
    """A date as the report prints it: 2022-05-30 -> 令和４年５月３０日."""
    reiwa = day.year - 2018
    era = "元" if reiwa == 1 else zenkaku(reiwa, comma=False)
    return f"令和{era}年{zenkaku(day.month, comma=False)}月{zenkaku(day.day, comma=False)}日"


def write_memo(plan: Plan, fy: FiscalYear, day: date, department: str, out: Path) -> Path:
    """資料２－２ of `fy`: date, department, 要旨, and per area its lead and main results."""
    doc = a4_document(MEMO_NO, margin_mm=22)
    right = WD_ALIGN_PARAGRAPH.RIGHT
    add_text(doc, date_ja(day), 10.5, align=right)
    add_text(doc, department, 10.5, align=right)
    add_text(doc, "")
    add_text(doc, REPORT_TITLE.format(name=plan.name), 14, True, WD_ALIGN_PARAGRAPH.CENTER)
    add_text(
        doc, f"（{_digits(fy.label_ja())}における取組状況）", 12, align=WD_ALIGN_PARAGRAPH.CENTER
    )
    add_text(doc, "")
    add_text(doc, "１　要旨", 11, True, keep_with_next=True)
    established = _digits(plan.established)
    add_text(
        doc,
        f"現行の「{plan.name}」（{established}策定）（以下：「計画」）はＩＣＴやデータを積極的に"
        "活用していくことにより、行政運営の効率化や県民の利便性向上、新たな様相を呈している"
        f"社会のさまざまな課題の解決を目的に策定され、「{HEADQUARTERS}」の推進体制のもと、"
        "計画に基づく取組を進めています。",
        first_line_mm=4,
    )
    add_text(
        doc,
        f"このたび、ＰＤＣＡサイクルに基づき、{_digits(fy.label_ja())}の取組状況をまとめましたので、"
        "庁内で共有を行います。",
        first_line_mm=4,
    )
    add_text(doc, "")
    add_text(doc, f"２　主な個別取組の状況（詳細は{TABLES_NO}）", 11, True, keep_with_next=True)
    add_text(doc, "・主な個別取組", keep_with_next=True)
    lead, head = f"lead_{fy}", f"headline_{fy}"
    for a in plan.areas.sort_values("no").to_dict("records"):
        add_text(
            doc,
            f"{area_label(int(a['no']))}{a['title']}",
            10.5,
            True,
            before_pt=8,
            keep_with_next=True,
        )
        text = a.get(lead)
        if isinstance(text, str) and text:
            add_text(doc, text, indent_mm=4, first_line_mm=4)
        heads = a.get(head)
        if isinstance(heads, str) and heads:
            for i, line in enumerate(heads.split("\n")):
                if i == 0:
                    add_text(doc, f"○{line}", indent_mm=8, first_line_mm=-4)
                else:
                    add_text(doc, line, indent_mm=8)
        if not (isinstance(text, str) and text) and not (isinstance(heads, str) and heads):
            add_text(doc, f"（{fy}のリード文・主な成果は取りまとめ表にありません）", indent_mm=4)
    with replacing(out) as part:
        doc.save(str(part))
    return out
