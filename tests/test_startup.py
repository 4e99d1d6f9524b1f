"""The start-up of a short-lived process (ribbon button, command), run in a process of its
own: it freezes objects out of the collector, which a test process must not do to itself."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import gc, sys
from miedx_xl.startup import end_short_lived, start_short_lived
start_short_lived()
assert "pandas" in sys.modules and "pandera" in sys.modules and "miedx_xl.form.check" in sys.modules
assert gc.isenabled()
frozen = gc.get_freeze_count()
end_short_lived()
print(frozen, gc.get_freeze_count() >= frozen)
"""


def test_start_imports_with_the_collector_off_then_freezes_and_reenables_it() -> None:
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    frozen, grew = out.stdout.split()
    assert int(frozen) > 50_000  # pandas + pandera leave ~140,000 objects
    assert grew == "True"


def test_a_disabled_collector_stays_disabled() -> None:
    code = (
        "import gc; gc.disable(); from miedx_xl.startup import start_short_lived as s; s('json');"
        " print(gc.isenabled())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
