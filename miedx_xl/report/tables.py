"""資料２－２－１: the per-area tables, written from the master's data as a Word document.

Each table's two header rows repeat on every page (`w:tblHeader`) and no row is split across
pages (`w:cantSplit`); Writer and Word both honour these when they paginate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docx.document import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm
from docx.table import _Cell, _Row

from miedx_xl.files import replacing
from miedx_xl.master.layout import INFERRED_MARK, REFERENCE_MARK, RELISTED_MARK, area_label
from miedx_xl.normalize import FiscalYear
from miedx_xl.plan.book import policy_text
from miedx_xl.plan.columns import schedule_column, status_column
from miedx_xl.plan.model import ACTOR_HEADINGS, Plan, records
from miedx_xl.report.style import TABLES_NO
from miedx_xl.report.word import a4_document, add_text, set_font

WIDTHS_MM = (9, 12, 52, 33, 17, 17, 17, 17, 99)
"""NO, 基本方針, 取組内容, 担当課, four schedule years, 取組状況: 273 mm, A4 landscape."""
HEADER_FILL = "D9E2F3"
OVERVIEW_LABELS = (
    ("current", "①現状（令和元(2019)年度までの取組）・課題"),
    ("approach", "②本計画での取組概要"),
)
FONT_PT = 9


def _flag(row: _Row, tag: str) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement(tag)
    el.set(qn("w:val"), "true")
    trpr.append(el)


def _shade(cell: _Cell, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _put(cell: _Cell, text: str, bold: bool = False, center: bool = False) -> None:
    lines = text.split("\n")
    para = cell.paragraphs[0]
    for i, line in enumerate(lines):
        if i:
            para = cell.add_paragraph()
        para.paragraph_format.space_after = 0
        if center:
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_font(para.add_run(line), FONT_PT, bold)


def _cell_text(row: dict[str, Any], key: str, original: dict[str, Any] | None) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value:
        value = original.get(key) if original is not None else ""
    return value if isinstance(value, str) else ""


def _table(
    doc: Document,
    plan: Plan,
    fy: FiscalYear,
    rows: list[dict[str, Any]],
    originals: dict[int, dict[str, Any]],
    inferred: bool,
) -> None:
    years = plan.fiscal_years
    table = doc.add_table(rows=2, cols=len(WIDTHS_MM))
    table.style = doc.styles["Table Grid"]
    table.autofit = False
    head1, head2 = table.rows[0], table.rows[1]
    labels = ("NO", "基本\n方針", "取組内容", "担当課")
    for c, label in enumerate(labels):
        top = head1.cells[c].merge(head2.cells[c])
        _put(top, label, bold=True, center=True)
    sched = head1.cells[4].merge(head1.cells[4 + len(years) - 1])
    _put(sched, "スケジュール（年度）" + (INFERRED_MARK if inferred else ""), True, True)
    for i, y in enumerate(years):
        _put(head2.cells[4 + i], str(y), bold=True, center=True)
    status = head1.cells[-1].merge(head2.cells[-1])
    _put(status, f"取組状況（{fy}までの取組）", bold=True, center=True)
    for row in (head1, head2):
        _flag(row, "w:tblHeader")
        _flag(row, "w:cantSplit")
        for cell in row.cells:
            _shade(cell, HEADER_FILL)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    names = {key: plan.division_name(key, fy) for key in plan.divisions()}
    for m in rows:
        relisted = int(m["relisted_of"])
        original = originals.get(relisted) if relisted else None
        title = str(m["title"]) + (RELISTED_MARK if relisted or m["reference"] else "")
        values = [
            str(int(m["no"])),
            policy_text(m["policy"]),
            title,
            names.get(str(m["division"])) or str(m["division"]),
            *[_cell_text(m, schedule_column(y), original) for y in years],
            _cell_text(m, status_column(fy), original),
        ]
        new = table.add_row()
        _flag(new, "w:cantSplit")
        for c, value in enumerate(values):
            _put(new.cells[c], value, center=c in (0, 1) or 4 <= c < 4 + len(years))
    # Writer takes the widths from the grid (w:gridCol), Word from each cell: set both.
    for c, width in enumerate(WIDTHS_MM):
        table.columns[c].width = Mm(width)
    for row in table.rows:
        for c, width in enumerate(WIDTHS_MM):
            row.cells[c].width = Mm(width)


def write_tables(plan: Plan, fy: FiscalYear, out: Path) -> Path:
    """資料２－２－１ of `fy` (A4 landscape .docx): per area its overview and its tables."""
    doc = a4_document(TABLES_NO, landscape=True, margin_mm=12)
    measures = records(plan.measures.sort_values("order"))
    originals = {int(r["no"]): r for r in records(plan.own_measures())}
    inferred = "schedule_inferred" in plan.measures and bool(
        plan.measures["schedule_inferred"].fillna(False).any()
    )
    for i, area in enumerate(records(plan.areas.sort_values("no"))):
        no = int(area["no"])
        heading = add_text(doc, f"{area_label(no)}{area['title']}", 13, True, keep_with_next=True)
        if i:
            heading.paragraph_format.page_break_before = True
        overviews = records(plan.overviews[plan.overviews["area"] == no])
        if overviews:
            add_text(doc, "【取組の概要】", 10, True, keep_with_next=True)
            for key, label in OVERVIEW_LABELS:
                add_text(doc, label, 9.5, True, keep_with_next=True)
                for ov in overviews:
                    text = ov.get(key)
                    if isinstance(text, str) and text:
                        for j, line in enumerate(text.split("\n")):
                            lead = f"■{ov['actor']}：" if j == 0 else ""
                            add_text(doc, lead + line, 9, indent_mm=4)
        groups: dict[tuple[str, bool], list[dict[str, Any]]] = {}
        for m in (r for r in measures if int(r["area"]) == no):
            groups.setdefault((str(m["actor"]), bool(m["reference"])), []).append(m)
        for (actor, reference), chunk in groups.items():
            text = ACTOR_HEADINGS.get(actor, f"■{actor}の取組")
            add_text(
                doc,
                text + (REFERENCE_MARK if reference else ""),
                10,
                True,
                before_pt=6,
                keep_with_next=True,
            )
            _table(doc, plan, fy, chunk, originals, inferred)
    if inferred:
        add_text(
            doc,
            f"※スケジュール欄の{INFERRED_MARK}：報告書には段階の語だけが記載され年度の区切りが"
            "失われているため、語の順に年度へ割り当て、最後の語を計画の最終年度まで延ばしています。",
            8,
            before_pt=6,
        )
    with replacing(out) as part:
        doc.save(str(part))
    return out
