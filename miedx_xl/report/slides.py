"""資料２: the slides (python-pptx), with native charts whose values come from the master."""

from __future__ import annotations

from pathlib import Path

from pptx import Presentation as new_presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION
from pptx.enum.shapes import MSO_CONNECTOR
from pptx.enum.text import PP_ALIGN
from pptx.oxml.ns import qn
from pptx.presentation import Presentation
from pptx.slide import Slide
from pptx.text.text import Font, TextFrame
from pptx.util import Emu, Mm, Pt

from miedx_xl.files import replacing
from miedx_xl.master.layout import area_label
from miedx_xl.normalize import FiscalYear
from miedx_xl.plan.model import Plan
from miedx_xl.report.figures import ChartSpec, area_charts, zenkaku
from miedx_xl.report.style import HEADQUARTERS, MEMO_NO, REPORT_TITLE, SLIDES_NO, japanese_font

WIDTH, HEIGHT = Emu(16838 * 635), Emu(11906 * 635)
"""A4 landscape as Word and Writer store it (16838 × 11906 twips, 841.9 × 595.3 pt), so that
every page of the combined PDF has the same size."""
MARGIN = Mm(12)
NAVY = RGBColor(0x1F, 0x3A, 0x68)
ACCENT = RGBColor(0xC0, 0x00, 0x00)
SERIES_COLOURS = (
    RGBColor(0x2E, 0x75, 0xB6),
    RGBColor(0xED, 0x7D, 0x31),
    RGBColor(0x70, 0xAD, 0x47),
)
_KINDS = {
    "bar": XL_CHART_TYPE.COLUMN_CLUSTERED,
    "line": XL_CHART_TYPE.LINE_MARKERS,
    "doughnut": XL_CHART_TYPE.DOUGHNUT,
}


def _font(font: Font, size: float, bold: bool = False, colour: RGBColor | None = None) -> None:
    font.size = Pt(size)
    font.bold = bold
    font.name = japanese_font()
    if colour is not None:
        font.color.rgb = colour
    # python-pptx sets only the Latin face; Japanese text takes the East Asian one (a:ea).
    rpr = font._rPr
    latin = rpr.find(qn("a:latin"))
    ea = rpr.find(qn("a:ea"))
    if ea is None:
        ea = rpr.makeelement(qn("a:ea"), {})
        if latin is not None:
            latin.addnext(ea)
        else:
            rpr.append(ea)
    ea.set("typeface", japanese_font())


def _text(
    slide: Slide,
    left: int,
    top: int,
    width: int,
    height: int,
    lines: list[str],
    size: float,
    bold: bool = False,
    colour: RGBColor | None = None,
    align: PP_ALIGN | None = None,
) -> TextFrame:
    frame: TextFrame = slide.shapes.add_textbox(
        Emu(left), Emu(top), Emu(width), Emu(height)
    ).text_frame
    frame.word_wrap = True
    for i, line in enumerate(lines):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        if align is not None:
            para.alignment = align
        run = para.add_run()
        run.text = line
        _font(run.font, size, bold, colour)
    return frame


def _page(prs: Presentation, heading: str, title: str) -> Slide:
    """A blank slide with the report's title line, the 資料 number and a page number."""
    slide: Slide = prs.slides.add_slide(prs.slide_layouts[6])
    no = len(prs.slides)
    _text(slide, MARGIN, Mm(6), Mm(200), Mm(8), [title], 11, colour=NAVY)
    _text(
        slide,
        WIDTH - MARGIN - Mm(50),
        Mm(6),
        Mm(50),
        Mm(9),
        [SLIDES_NO],
        14,
        True,
        align=PP_ALIGN.RIGHT,
    )
    _text(
        slide,
        WIDTH - MARGIN - Mm(30),
        HEIGHT - Mm(12),
        Mm(30),
        Mm(8),
        [f"－{no}－"],
        10,
        align=PP_ALIGN.RIGHT,
    )
    if heading:
        _text(slide, MARGIN, Mm(16), WIDTH - 2 * MARGIN, Mm(12), [heading], 17, True, NAVY)
        line = slide.shapes.add_connector(
            MSO_CONNECTOR.STRAIGHT, Emu(MARGIN), Mm(29), Emu(WIDTH - MARGIN), Mm(29)
        )
        line.line.color.rgb = NAVY
    return slide


def _chart(slide: Slide, spec: ChartSpec, left: int, top: int, width: int, height: int) -> None:
    data = CategoryChartData(number_format=spec.number_format)
    data.categories = list(spec.categories)
    for name, values in spec.series:
        data.add_series(name, list(values))
    frame = slide.shapes.add_chart(
        _KINDS[spec.kind],
        Emu(left),
        Emu(top),
        Emu(width),
        Emu(height),
        data,  # type: ignore[arg-type]
    )
    chart = frame.chart  # type: ignore[attr-defined]  # a GraphicFrame, typed as Chart
    chart.font.size = Pt(11)
    chart.font.name = japanese_font()
    chart.has_title = True
    chart.chart_title.text_frame.text = f"{spec.title}（{spec.unit}）"
    _font(chart.chart_title.text_frame.paragraphs[0].runs[0].font, 13, True)
    plot = chart.plots[0]
    plot.has_data_labels = True
    labels = plot.data_labels
    labels.number_format = spec.number_format
    labels.number_format_is_linked = False
    labels.font.size = Pt(12)
    labels.show_value = True
    if spec.kind == "doughnut":
        labels.show_category_name = True
        labels.font.bold = True
        chart.has_legend = True
        chart.legend.position = XL_LEGEND_POSITION.RIGHT
        chart.legend.include_in_layout = False
        for point, colour in zip(plot.series[0].points, SERIES_COLOURS, strict=False):
            point.format.fill.solid()
            point.format.fill.fore_color.rgb = colour
        return
    chart.has_legend = len(spec.series) > 1
    if chart.has_legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
    if spec.kind == "bar":
        labels.position = XL_LABEL_POSITION.OUTSIDE_END
        plot.gap_width = 80
    for series, colour in zip(plot.series, SERIES_COLOURS, strict=False):
        if spec.kind == "bar":
            series.format.fill.solid()
            series.format.fill.fore_color.rgb = colour
        else:
            series.format.line.color.rgb = colour
            series.smooth = False
            # Two lines close together: the first series' labels below, the others' above.
            own = series.data_labels
            own.show_value = True
            own.number_format = spec.number_format
            own.number_format_is_linked = False
            own.font.size = Pt(12)
            own.font.color.rgb = colour
            first = series.index == 0
            own.position = XL_LABEL_POSITION.BELOW if first else XL_LABEL_POSITION.ABOVE
    value_axis = chart.value_axis
    value_axis.has_major_gridlines = True
    if spec.kind == "bar":
        value_axis.minimum_scale = 0  # a bar's length is its value: never cut the axis
    value_axis.tick_labels.number_format = spec.number_format
    value_axis.tick_labels.number_format_is_linked = False


def write_slides(plan: Plan, fy: FiscalYear, out: Path) -> Path:
    """資料２ of `fy`: title, areas, one slide per area with its charts, the RPA tasks."""
    prs = new_presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    title = REPORT_TITLE.format(name=plan.name)
    established = plan.established
    # Title slide: the report's own opening paragraph, with the plan's name and year.
    slide = _page(prs, "", title)
    _text(
        slide, MARGIN, Mm(45), WIDTH - 2 * MARGIN, Mm(25), [title], 28, True, NAVY, PP_ALIGN.CENTER
    )
    _text(
        slide,
        MARGIN,
        Mm(72),
        WIDTH - 2 * MARGIN,
        Mm(12),
        [f"（{fy.label_ja()}の取組状況）"],
        18,
        align=PP_ALIGN.CENTER,
    )
    _text(
        slide,
        Mm(30),
        Mm(100),
        WIDTH - Mm(60),
        Mm(60),
        [
            f"「{plan.name}」（{established}策定）は、「{HEADQUARTERS}」の推進体制のもと、"
            "同計画に基づく取組を進めています。このたび、ＰＤＣＡサイクルに基づき、"
            f"{fy.label_ja()}の主な取組状況について取りまとめましたので、ご報告いたします。",
            f"※詳細は、{MEMO_NO}。",
        ],
        14,
    )
    # The areas.
    slide = _page(prs, "１．概　要", title)
    areas = plan.areas.sort_values("no")
    _text(
        slide,
        Mm(25),
        Mm(38),
        WIDTH - Mm(50),
        Mm(140),
        ["＜個別取組＞", *[f"{area_label(int(str(a.no)))}{a.title}" for a in areas.itertuples()]],
        18,
    )
    charts = area_charts(plan, fy)
    lead = f"lead_{fy}"
    for a in areas.itertuples():
        no = int(str(a.no))
        specs = charts.get(no, [])
        if not specs:
            continue
        slide = _page(prs, f"２．個別取組（{area_label(no)}{a.title}）", title)
        text = getattr(a, lead, None) if lead in plan.areas.columns else None
        if isinstance(text, str) and text:
            _text(slide, MARGIN, Mm(32), WIDTH - 2 * MARGIN, Mm(22), [f"■・{text}"], 14)
        n = len(specs)
        gap = Mm(8)
        box_w = (WIDTH - 2 * MARGIN - (n - 1) * gap) // n
        for i, spec in enumerate(specs):
            left = MARGIN + i * (box_w + gap)
            _chart(slide, spec, left, Mm(58), box_w, Mm(105))
            _text(
                slide,
                left,
                Mm(165),
                box_w,
                Mm(14),
                [spec.headline],
                16 if n == 1 else 13,
                True,
                ACCENT,
                PP_ALIGN.CENTER,
            )
            _text(slide, left, Mm(181), box_w, Mm(10), [f"出典：取りまとめ表の{spec.source}"], 9)
        if no == 1:
            _rpa_tasks(prs, plan, fy, f"２．個別取組（{area_label(no)}{a.title}）", title)
    with replacing(out) as part:
        prs.save(str(part))
    return out


def _rpa_tasks(prs: Presentation, plan: Plan, fy: FiscalYear, heading: str, title: str) -> None:
    """The slide of this year's RPA tasks (所属 and 業務)."""
    tasks = plan.rpa_tasks[plan.rpa_tasks["fy"].astype(str) == str(fy)]
    if not len(tasks):
        return
    slide = _page(prs, heading, title)
    count = zenkaku(len(tasks), comma=False)
    _text(
        slide,
        MARGIN,
        Mm(32),
        WIDTH - 2 * MARGIN,
        Mm(10),
        [f"○{fy.label_ja()}ＲＰＡ等導入所属及び業務（{count}業務）"],
        16,
        True,
    )
    rows, cols = len(tasks) + 1, 2
    table = slide.shapes.add_table(
        rows, cols, Emu(MARGIN), Mm(44), Emu(WIDTH - 2 * MARGIN), Emu(Mm(8) * rows)
    ).table
    table.columns[0].width = Mm(80)
    table.columns[1].width = WIDTH - 2 * MARGIN - Mm(80)
    for c, label in enumerate(("所属", "業務")):
        cell = table.cell(0, c)
        cell.text = label
        _font(cell.text_frame.paragraphs[0].runs[0].font, 12, True, RGBColor(255, 255, 255))
    for r, t in enumerate(tasks.itertuples(), start=1):
        for c, value in enumerate((t.division, t.task)):
            cell = table.cell(r, c)
            cell.text = str(value)
            _font(cell.text_frame.paragraphs[0].runs[0].font, 11)
            cell.margin_top = cell.margin_bottom = Mm(0.8)
