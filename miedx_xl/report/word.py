"""Word documents of the report (python-docx): A4 pages with the 資料 number and page numbers."""

from __future__ import annotations

from pathlib import Path

from docx import Document as new_document
from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from miedx_xl.report.style import japanese_font


def set_font(run: Run, size: float | None = None, bold: bool = False) -> None:
    """The Japanese font on a run, both its Latin and East Asian faces."""
    name = japanese_font()
    run.font.name = name
    run._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)
    if size is not None:
        run.font.size = Pt(size)
    run.font.bold = bold


def from_template(template: Path) -> Document:
    """A document with the template's styles, page set-up, headers and footers, and an empty
    body (the template's own text is removed)."""
    doc = new_document(str(template))
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    return doc


def paragraph_style(
    doc: Document,
    name: str,
    size: float,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent_mm: float = 0,
    first_line_mm: float = 0,
    before_pt: float = 0,
    keep_with_next: bool = False,
) -> str:
    """A named paragraph style, created with these settings unless the document (a template
    a secretariat restyled in Word) already has it, which is then kept as it is."""
    if name in [s.name for s in doc.styles]:
        return name
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.quick_style = True
    font = style.font
    font.name = japanese_font()
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), japanese_font())
    font.size = Pt(size)
    font.bold = bold
    fmt = style.paragraph_format
    if align is not None:
        fmt.alignment = align
    if indent_mm:
        fmt.left_indent = Mm(indent_mm)
    if first_line_mm:
        fmt.first_line_indent = Mm(first_line_mm)
    if before_pt:
        fmt.space_before = Pt(before_pt)
    fmt.keep_with_next = keep_with_next
    return name


def add_styled(doc: Document, text: str, style: str) -> Paragraph:
    """One paragraph in a named style, with no direct formatting (restyling the style in
    Word changes every such paragraph)."""
    return doc.add_paragraph(text, style=style)


def a4_document(stamp: str, landscape: bool = False, margin_mm: float = 20) -> Document:
    """An empty A4 document: the Japanese font in its styles, `stamp` (資料 number) at the top
    right of every page, the page number at the bottom centre."""
    doc = new_document()
    for style_name in ("Normal", "Table Grid"):
        style = doc.styles[style_name]
        style.font.name = japanese_font()
        rpr = style.element.get_or_add_rPr()
        rpr.get_or_add_rFonts().set(qn("w:eastAsia"), japanese_font())
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.paragraph_format.space_after = Pt(2)
    section = doc.sections[0]
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
    else:
        section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Mm(margin_mm))
    section.top_margin = section.bottom_margin = Mm(18)
    section.header_distance = section.footer_distance = Mm(8)
    head = section.header.paragraphs[0]
    head.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    set_font(head.add_run(stamp), 12, bold=True)
    foot = section.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(foot.add_run("－ "), 9)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    foot._p.append(field)
    set_font(foot.add_run(" －"), 9)
    return doc


def add_text(
    doc: Document,
    text: str,
    size: float | None = None,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent_mm: float = 0,
    first_line_mm: float = 0,
    before_pt: float = 0,
    keep_with_next: bool = False,
) -> Paragraph:
    """One paragraph in the Japanese font."""
    para = doc.add_paragraph()
    if align is not None:
        para.alignment = align
    fmt = para.paragraph_format
    if indent_mm:
        fmt.left_indent = Mm(indent_mm)
    if first_line_mm:
        fmt.first_line_indent = Mm(first_line_mm)
    if before_pt:
        fmt.space_before = Pt(before_pt)
    fmt.keep_with_next = keep_with_next
    set_font(para.add_run(text), size, bold)
    return para
