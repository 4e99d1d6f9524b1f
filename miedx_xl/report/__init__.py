"""The report of a master workbook: 資料２ slides, 資料２－２ memo, 資料２－２－１ tables, one
PDF of all three, and the open data.

The names load on first use, so that `miedx_xl.report.opendata` (which the master's writer
uses for its データ sheet) can be imported without the slides and documents, and without
importing the master's writer back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from miedx_xl.report.build import (
        ReportFiles,
        write_report,
        write_report_files,
        write_report_pdf,
    )

__all__ = ["ReportFiles", "write_report", "write_report_files", "write_report_pdf"]


def __getattr__(name: str) -> Any:
    """`ReportFiles` and the `write_report*` functions, imported from `build` when asked for."""
    if name in __all__:
        from miedx_xl.report import build

        return getattr(build, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
