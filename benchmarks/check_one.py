"""Cold-process 入力チェック of one form, as a ribbon button runs it.

Prints a Markdown table, each row the median of repeated cold processes, interleaved so that
a change of machine load hits every row alike: the bare interpreter start (baseline), the
plain `import miedx_xl.form.check`, the import as an entry point does it
(`startup.start_short_lived`: collector off while importing, then frozen), and a whole check
of one filled form both ways. "runtime install" rows hide hypothesis, a development tool that
pandera imports at its first validation when it is installed (users' installs have no dev
tools). Our modules are compiled to bytecode first, as pip does when it installs the package
(this repository's editable install and PYTHONDONTWRITEBYTECODE would recompile them on every
start). Then the import-time breakdown of the heaviest modules (`python -X importtime`).

    python benchmarks/check_one.py [--runs 9]
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLAIN_IMPORT = "import miedx_xl.form.check"
PLAIN_CHECK = (
    "import sys; from pathlib import Path; from miedx_xl.form.check import check_file; "
    "check_file(Path(sys.argv[1]))"
)
ENTRY_IMPORT = "from miedx_xl.startup import start_short_lived as s; s()"
ENTRY_CHECK = (
    "import sys; from pathlib import Path; from miedx_xl import startup; "
    "startup.start_short_lived(); from miedx_xl.form.check import check_file; "
    "check_file(Path(sys.argv[1])); startup.end_short_lived()"
)
NO_DEV_TOOLS = "import sys; sys.modules['hypothesis'] = None; "
"""A runtime install: importing hypothesis fails as if it were not installed."""
ROWS = {
    "`import miedx_xl.form.check` (plain)": PLAIN_IMPORT,
    "import as an entry point does (`start_short_lived`)": ENTRY_IMPORT,
    "entry-point import, runtime install": NO_DEV_TOOLS + ENTRY_IMPORT,
    "check one filled form (19 measures), plain": PLAIN_CHECK,
    "check one form as the ribbon does (entry point)": ENTRY_CHECK,
    "ribbon check, runtime install": NO_DEV_TOOLS + ENTRY_CHECK,
}


def make_form(folder: Path) -> Path:
    """The R4 form of the division with the most measures, filled as the division would."""
    from miedx_xl.form.write import fill_form, make_forms
    from miedx_xl.normalize import FiscalYear
    from miedx_xl.plan.model import load_plan

    plan = load_plan()
    key = "スマート改革推進課"
    form = make_forms(plan, FiscalYear(4), folder)[plan.divisions().index(key)]
    statuses = {
        int(no): {"status_R4": "R4年度：計画どおり実施", "assessment_R4": "順調"}
        for no in plan.own_measures(key)["no"]
    }
    return fill_form(form, folder / "filled.xlsx", statuses=statuses)


def cold(codes: dict[str, str], form: Path, runs: int) -> dict[str, float]:
    """Median wall time of `runs` fresh interpreters per code, the codes interleaved."""
    times: dict[str, list[float]] = {label: [] for label in codes}
    for _ in range(runs):
        for label, code in codes.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code, str(form)], check=True)
            times[label].append(time.perf_counter() - start)
    return {label: statistics.median(t) for label, t in times.items()}


def import_breakdown(top: int = 6) -> list[tuple[str, float]]:
    """The heaviest imports of `miedx_xl.form.check` (cumulative seconds)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import miedx_xl.form.check"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].rstrip()
            depth = (len(name) - len(name.lstrip())) // 2
            if depth <= 1:
                rows.append((name.strip(), int(parts[1]) / 1e6))
    return sorted(rows, key=lambda r: -r[1])[:top]


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    package = Path(__file__).resolve().parent.parent / "miedx_xl"
    compileall.compile_dir(package, quiet=1)
    labels = {f"row{i}": label for i, label in enumerate(ROWS)}
    codes = {"base": "pass", **{f"row{i}": code for i, code in enumerate(ROWS.values())}}
    with tempfile.TemporaryDirectory() as tmp:
        form = make_form(Path(tmp))
        medians = cold(codes, form, runs)
    base = medians.pop("base")
    print(f"| step (median of {runs} cold processes) | seconds | over bare interpreter |")
    print("|---|---:|---:|")
    print(f"| bare interpreter (`python -c pass`, baseline) | {base:.3f} | — |")
    for key, secs in medians.items():
        print(f"| {labels[key]} | {secs:.3f} | {secs - base:.3f} |")
    print()
    print("| heaviest imports (cumulative) | seconds |")
    print("|---|---:|")
    for name, secs in import_breakdown():
        print(f"| `{name}` | {secs:.3f} |")


if __name__ == "__main__":
    main()
