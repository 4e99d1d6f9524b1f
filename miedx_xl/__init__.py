"""miedx_xl: the PDCA progress cycle of a prefecture's digital strategy plan, in Excel.

Public API: `load_plan`, `make_forms`, `check`, `consolidate`, `write_master` (mirroring the
commands), plus `read_master_plan`, `write_report`, `write_plan_book`. Imports are lazy so
that a ribbon button's cold start stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_API = {
    "load_plan": "miedx_xl.plan.model",
    "Plan": "miedx_xl.plan.model",
    "make_forms": "miedx_xl.form.write",
    "check": "miedx_xl.form.check",
    "consolidate": "miedx_xl.consolidation",
    "write_master": "miedx_xl.master.write",
    "read_master_plan": "miedx_xl.master.read",
    "write_report": "miedx_xl.report",
    "Finding": "miedx_xl.findings",
    "Report": "miedx_xl.findings",
    "FiscalYear": "miedx_xl.normalize",
    "write_plan_book": "miedx_xl.plan.book",
}

__all__ = sorted(_API)

if TYPE_CHECKING:
    from miedx_xl.consolidation import consolidate
    from miedx_xl.findings import Finding, Report
    from miedx_xl.form.check import check
    from miedx_xl.form.write import make_forms
    from miedx_xl.master.read import read_master_plan
    from miedx_xl.master.write import write_master
    from miedx_xl.normalize import FiscalYear
    from miedx_xl.plan.book import write_plan_book
    from miedx_xl.plan.model import Plan, load_plan
    from miedx_xl.report import write_report


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'miedx_xl' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
