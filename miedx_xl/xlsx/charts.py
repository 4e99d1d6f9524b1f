"""Native Excel charts (openpyxl.chart) built over small value tables on a worksheet.

Every chart reads its numbers from cells (no cached copies, no pictures), so a user can edit
the chart in Excel and LibreOffice renders it from the same cells.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.layout import Layout, ManualLayout
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import (
    CharacterProperties,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
)
from openpyxl.worksheet.worksheet import Worksheet

CHART_WIDTH_CM = 16
CHART_HEIGHT_CM = 9


@dataclass(frozen=True)
class Block:
    """A value table for one chart: a header row, categories in the first column, series
    in the columns after it (one series per column, its name in the header row)."""

    ws: Worksheet
    header_row: int
    first_row: int
    last_row: int
    cat_col: int
    first_col: int
    last_col: int

    def categories(self) -> Reference:
        """The category labels (first column, data rows)."""
        return Reference(
            self.ws, min_col=self.cat_col, min_row=self.first_row, max_row=self.last_row
        )

    def series_refs(self) -> list[Reference]:
        """One reference per series column, from its header cell to the last data row."""
        return [
            Reference(self.ws, min_col=c, min_row=self.header_row, max_row=self.last_row)
            for c in range(self.first_col, self.last_col + 1)
        ]


def _labels(show_value: bool) -> DataLabelList:
    # LibreOffice shows every label kind that is not explicitly switched off (docs/pitfalls.md).
    return DataLabelList(
        showVal=show_value,
        showCatName=False,
        showSerName=False,
        showLegendKey=False,
        showPercent=False,
        showBubbleSize=False,
        showLeaderLines=False,
    )


def chart_title(text: str, size_pt: int = 12) -> Title:
    """A chart title in bold `size_pt` points (the default is too large for A4 pages)."""
    props = CharacterProperties(sz=size_pt * 100, b=True)
    para = Paragraph(pPr=ParagraphProperties(defRPr=props), r=[RegularTextRun(rPr=props, t=text)])
    return Title(tx=Text(rich=RichText(p=[para])), overlay=False)


def _finish(chart: BarChart | LineChart, title: str, y_title: str, legend: bool) -> None:
    chart.title = chart_title(title)
    chart.y_axis.title = y_title
    chart.width = CHART_WIDTH_CM
    chart.height = CHART_HEIGHT_CM
    # openpyxl 3.1 writes delete=None, which Excel reads as "axis deleted": say no explicitly.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.scaling.min = 0
    if legend and chart.legend is not None:
        chart.legend.position = "b"
    else:
        chart.legend = None
    chart.plot_area.layout = Layout(manualLayout=ManualLayout(x=0.08, y=0.12, w=0.88, h=0.62))


def bar_chart(
    block: Block,
    title: str,
    y_title: str,
    stacked: bool = False,
    legend: bool | None = None,
) -> BarChart:
    """A clustered (or stacked) vertical bar chart of the block's series."""
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "stacked" if stacked else "clustered"
    if stacked:
        chart.overlap = 100
    chart.gapWidth = 80
    for ref in block.series_refs():
        chart.add_data(ref, titles_from_data=True)
    chart.set_categories(block.categories())
    chart.dataLabels = _labels(show_value=not stacked)
    n_series = block.last_col - block.first_col + 1
    _finish(chart, title, y_title, legend if legend is not None else n_series > 1)
    return chart


def line_chart(block: Block, title: str, y_title: str) -> LineChart:
    """A line chart with markers, one line per series of the block."""
    chart = LineChart()
    for ref in block.series_refs():
        chart.add_data(ref, titles_from_data=True)
    chart.set_categories(block.categories())
    for i, series in enumerate(chart.series):
        series.smooth = False
        series.marker.symbol = "circle"
        series.marker.size = 7
        series.dLbls = _labels(show_value=True)
        # Close values (42.5 vs 42.4) would overprint: first series above, others below.
        series.dLbls.position = "t" if i == 0 else "b"
    chart.dataLabels = _labels(show_value=True)
    _finish(chart, title, y_title, legend=True)
    return chart
