"""Start-up of a process that runs one action and exits: a ribbon button or one command.

Such a process spends much of its life importing pandas and pandera and, at exit, sweeping
their objects. Measured by `benchmarks/check_one.py` (one form checked from a cold process):
the garbage collector scans the ~140,000 objects those imports leave again and again while
they load, and once more at exit; importing them with the collector off and then freezing
them out of later collections takes about 0.15 s off a 0.67 s check.

Only the entry points call this (`xl.dispatch` from Excel, `cli.main` as a command), never
the library, so a long-lived process (a test run, a notebook) keeps the default collector.
"""

from __future__ import annotations

import gc
import importlib
import os

PRELOAD = ("miedx_xl.form.check",)
"""What every data button and command needs: pandas and pandera come in with it."""


def start_short_lived(*modules: str) -> None:
    """Import `modules` (default PRELOAD) with the collector off, then freeze what they made."""
    # No typeguard plugins are installed: skip its search of the package metadata. The check
    # does no linear algebra: no pool of BLAS threads. Both must be set before the import.
    os.environ.setdefault("TYPEGUARD_DISABLE_PLUGIN_AUTOLOAD", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    enabled = gc.isenabled()
    gc.disable()
    try:
        for name in modules or PRELOAD:
            importlib.import_module(name)
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def end_short_lived() -> None:
    """Freeze what is alive, so that the interpreter's exit does not sweep it once more."""
    gc.freeze()
