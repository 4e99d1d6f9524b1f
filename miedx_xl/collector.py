"""The garbage collector paused around the library's two bulk steps, `consolidate` and writing
a workbook (`xlsx.book.Book`).

Both make hundreds of thousands of objects (parsed rows, merged records, cells as tuples)
that reference counting frees, and the collector's passes over them, and over everything
the process holds already (pandas, the plan), find nothing: at N = 330 they cost about 0.2 s
of the consolidation and 0.3 s of the master (3 s at N = 3,300). The collector runs again as
soon as the step ends, so cycles made meanwhile are collected then.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """The collector off inside, and back on after if it was on (a step inside another, or
    two in threads, leave it as they found it once all have ended)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
