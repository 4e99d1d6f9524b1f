"""Every library name the server uses, imported in this one place.

The package is being regrouped into subpackages: when a module moves, only the imports
below change. The rest of `miedx_xl.server` imports from here, never from the library.
"""

from __future__ import annotations

from miedx_xl.checking import FormResult, check_files, check_loaded, check_sheets
from miedx_xl.consolidation import (
    STATE_DUPLICATE,
    STATE_MISSING,
    STATE_NEEDS_FIX,
    STATE_SUBMITTED,
    consolidate,
)
from miedx_xl.findings import Finding, Report
from miedx_xl.layout import META_SHEET, RESULT_SHEET, FormMeta
from miedx_xl.mark import MARK_AUTHOR, SEVERITY_JA, write_marked_copy
from miedx_xl.master import write_master
from miedx_xl.normalize import FiscalYear, parse_fiscal_year
from miedx_xl.plan import Plan, load_plan
from miedx_xl.reader import MAX_BYTES, column_letter
from miedx_xl.readpool import LoadedForm, archived_path, load_form, read_forms, store_input
from miedx_xl.sheets import HEADER_FILL
from miedx_xl.xl import (
    CELL_REF,
    NO_FINDINGS,
    NOTE_OURS,
    RESULT_HEADER,
    RESULT_WIDTHS,
    TITLE,
    Mark,
    mark_color,
    plan_marks,
    result_rows,
)

__all__ = [
    "CELL_REF",
    "HEADER_FILL",
    "MARK_AUTHOR",
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
    "TITLE",
    "Finding",
    "FiscalYear",
    "FormMeta",
    "FormResult",
    "LoadedForm",
    "Mark",
    "Plan",
    "Report",
    "archived_path",
    "check_files",
    "check_loaded",
    "check_sheets",
    "column_letter",
    "consolidate",
    "load_form",
    "load_plan",
    "mark_color",
    "parse_fiscal_year",
    "plan_marks",
    "read_forms",
    "result_rows",
    "store_input",
    "write_marked_copy",
    "write_master",
]
