"""Every library name the server uses, imported in this one place.

The package is being regrouped into subpackages: when a module moves, only the imports
below change. The rest of `miedx_xl.server` imports from here, never from the library.
"""

from __future__ import annotations

from miedx_xl.archive import archived_path, store_input
from miedx_xl.consolidation import (
    STATE_DUPLICATE,
    STATE_MISSING,
    STATE_NEEDS_FIX,
    STATE_SUBMITTED,
    consolidate,
)
from miedx_xl.cycle import close_year
from miedx_xl.findings import Finding, Report
from miedx_xl.form.check import check_files, check_loaded, check_sheets
from miedx_xl.form.layout import META_SHEET, RESULT_SHEET, FormMeta
from miedx_xl.form.live import (
    ADDIN_TITLE,
    CELL_REF,
    MARK_COLOR,
    NO_FINDINGS,
    NOTE_OURS,
    RESULT_HEADER,
    RESULT_WIDTHS,
    Mark,
    plan_marks,
    result_rows,
)
from miedx_xl.form.mark import MARK_AUTHOR, SEVERITY_JA, write_marked_copy
from miedx_xl.form.pool import read_forms
from miedx_xl.form.read import FormResult, load_form
from miedx_xl.form.source import MAX_BYTES, column_letter
from miedx_xl.master.write import write_master
from miedx_xl.normalize import FiscalYear, parse_fiscal_year
from miedx_xl.plan.model import Plan, load_plan
from miedx_xl.xlsx.sheets import HEADER_FILL

__all__ = [
    "ADDIN_TITLE",
    "CELL_REF",
    "HEADER_FILL",
    "MARK_AUTHOR",
    "MARK_COLOR",
    "MAX_BYTES",
    "META_SHEET",
    "NOTE_OURS",
    "NO_FINDINGS",
    "RESULT_HEADER",
    "RESULT_SHEET",
    "RESULT_WIDTHS",
    "SEVERITY_JA",
    "STATE_DUPLICATE",
    "STATE_MISSING",
    "STATE_NEEDS_FIX",
    "STATE_SUBMITTED",
    "Finding",
    "FiscalYear",
    "FormMeta",
    "FormResult",
    "Mark",
    "Plan",
    "Report",
    "archived_path",
    "check_files",
    "check_loaded",
    "check_sheets",
    "close_year",
    "column_letter",
    "consolidate",
    "load_form",
    "load_plan",
    "parse_fiscal_year",
    "plan_marks",
    "read_forms",
    "result_rows",
    "store_input",
    "write_marked_copy",
    "write_master",
]
