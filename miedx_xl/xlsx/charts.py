"""Native Excel charts (XlsxWriter) built over small value tables on a worksheet.

Every chart reads its numbers from cells (the cached copies XlsxWriter adds come from the same
cells), so a user can edit the chart in Excel and LibreOffice renders it from the cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MethodType
from typing import Any

from xlsxwriter.utility import xl_range_abs, xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook

CHART_WIDTH_CM = 16
CHART_HEIGHT_CM = 9
PX_PER_CM = 96 / 2.54
TITLE_PT = 12
"""Chart titles in bold 12 pt (the default is too large for A4 pages)."""


@dataclass(frozen=True)
class Block:
    """A value table for one chart (1-based rows and columns of sheet `sheet`): a header row,
    categories in the first column, series in the columns after it (one series per column,
    its name in the header row)."""

    sheet: str
    header_row: int
    first_row: int
    last_row: int
    cat_col: int
    first_col: int
    last_col: int

    def _ref(self, cells: str) -> str:
        # The sheet name always quoted ('指標'!$B$5:$B$6), as openpyxl wrote it before;
        # XlsxWriter keeps a reference given as a formula as it is.
        return "='" + self.sheet.replace("'", "''") + "'!" + cells

    def categories(self) -> str:
        """The category labels (first column, data rows)."""
        c = self.cat_col - 1
        return self._ref(xl_range_abs(self.first_row - 1, c, self.last_row - 1, c))

    def series(self) -> list[dict[str, Any]]:
        """One series per column: its header cell as the name (a relative reference, as
        before), its data rows as values."""
        out = []
        for c in range(self.first_col - 1, self.last_col):
            name = self._ref(xl_rowcol_to_cell(self.header_row - 1, c))
            values = self._ref(xl_range_abs(self.first_row - 1, c, self.last_row - 1, c))
            out.append({"name": name, "categories": self.categories(), "values": values})
        return out


_FLAGS = (
    ("c:showLegendKey", "legend_key"),
    ("c:showVal", "value"),
    ("c:showCatName", "category"),
    ("c:showSerName", "series_name"),
    ("c:showPercent", "percentage"),
    ("c:showBubbleSize", "bubble_size"),
)


def _write_d_lbls(self: Any, labels: dict[str, Any] | None) -> None:
    """XlsxWriter's data labels with every flag written, 0 or 1: LibreOffice shows every
    label kind that is not explicitly switched off (PITFALLS.md), and Excel writes them all."""
    if not labels:
        return
    self._xml_start_tag("c:dLbls")
    if labels.get("position"):
        self._write_d_lbl_pos(labels["position"])
    for tag, key in _FLAGS:
        self._xml_empty_tag(tag, [("val", 1 if labels.get(key) else 0)])
    self._xml_empty_tag("c:showLeaderLines", [("val", 0)])
    self._xml_end_tag("c:dLbls")


def _write_c_smooth(self: Any, smooth: bool | None) -> None:
    """A line's smoothing written as 0 or 1 (XlsxWriter leaves out 0, which LibreOffice and
    openpyxl do not read as "not smooth")."""
    self._xml_empty_tag("c:smooth", [("val", 1 if smooth else 0)])


def _chart(wb: Workbook, options: dict[str, Any]) -> Any:
    chart = wb.add_chart(options)
    # Only data labels and smoothing are written our way; everything else is XlsxWriter's.
    chart._write_d_lbls = MethodType(_write_d_lbls, chart)
    chart._write_c_smooth = MethodType(_write_c_smooth, chart)
    return chart


def _finish(chart: Any, title: str, y_title: str, legend: bool, num_format: str) -> None:
    chart.set_title(
        {"name": title, "name_font": {"size": TITLE_PT, "bold": True}, "overlay": False}
    )
    # The value axis in the cells' number format: LibreOffice does not follow a linked one.
    chart.set_x_axis({"major_tick_mark": "none"})
    chart.set_y_axis(
        {"name": y_title, "min": 0, "major_tick_mark": "none", "num_format": num_format}
    )
    chart.set_size(
        {
            "width": round(CHART_WIDTH_CM * PX_PER_CM),
            "height": round(CHART_HEIGHT_CM * PX_PER_CM),
        }
    )
    chart.set_legend({"position": "bottom"} if legend else {"none": True})


def bar_chart(
    wb: Workbook,
    block: Block,
    title: str,
    y_title: str,
    stacked: bool = False,
    legend: bool | None = None,
    num_format: str = "General",
) -> Any:
    """A clustered (or stacked) vertical bar chart of the block's series (`num_format`: the
    value axis's number format)."""
    options: dict[str, Any] = {"type": "column"}
    if stacked:
        options["subtype"] = "stacked"
    chart = _chart(wb, options)
    for series in block.series():
        series["gap"] = 80
        if stacked:
            series["overlap"] = 100
        else:
            series["data_labels"] = {"value": True}
        chart.add_series(series)
    n_series = block.last_col - block.first_col + 1
    _finish(chart, title, y_title, legend if legend is not None else n_series > 1, num_format)
    return chart


def line_chart(
    wb: Workbook, block: Block, title: str, y_title: str, num_format: str = "General"
) -> Any:
    """A line chart with markers, one line per series of the block."""
    chart = _chart(wb, {"type": "line"})
    for i, series in enumerate(block.series()):
        series["smooth"] = False
        series["marker"] = {"type": "circle", "size": 7}
        # Close values (42.5 vs 42.4) would overprint: first series above, others below.
        series["data_labels"] = {"value": True, "position": "above" if i == 0 else "below"}
        chart.add_series(series)
    _finish(chart, title, y_title, True, num_format)
    return chart
