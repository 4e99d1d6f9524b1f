"""The report of a master workbook: 資料２ slides, 資料２－２ memo, 資料２－２－１ tables, one
PDF of all three, and the open data."""

from __future__ import annotations

from miedx_xl.report.build import (
    ReportFiles,
    write_report,
    write_report_files,
    write_report_pdf,
)

__all__ = ["ReportFiles", "write_report", "write_report_files", "write_report_pdf"]
