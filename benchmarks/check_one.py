"""Cold-process 入力チェック of one form, as a ribbon button runs it.

Prints a Markdown table: the bare interpreter start (baseline), `import miedx_xl.checking`,
and a whole check of one filled form, each the median of repeated cold processes, plus the
import-time breakdown of the heaviest modules (`python -X importtime`).

    python benchmarks/check_one.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHECK = (
    "import sys; from pathlib import Path; from miedx_xl.checking import check_file; "
    "check_file(Path(sys.argv[1]))"
)


def make_form(folder: Path) -> Path:
    """The R4 form of the division with the most measures, filled as the division would."""
    from miedx_xl.forms import fill_form, make_forms
    from miedx_xl.normalize import FiscalYear
    from miedx_xl.plan import load_plan

    plan = load_plan()
    key = "スマート改革推進課"
    form = make_forms(plan, FiscalYear(4), folder)[plan.divisions().index(key)]
    statuses = {
        int(no): {"status_R4": "R4年度：計画どおり実施", "assessment_R4": "順調"}
        for no in plan.own_measures(key)["no"]
    }
    return fill_form(form, folder / "filled.xlsx", statuses=statuses)


def cold(code: str, *args: str, runs: int) -> float:
    """Median wall time of `runs` fresh interpreters running `code`."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, *args], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def import_breakdown(top: int = 6) -> list[tuple[str, float]]:
    """The heaviest imports of `miedx_xl.checking` (cumulative seconds)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import miedx_xl.checking"],
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
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        form = make_form(Path(tmp))
        base = cold("pass", runs=runs)
        imp = cold("import miedx_xl.checking", runs=runs)
        full = cold(CHECK, str(form), runs=runs)
    print(f"| step (median of {runs} cold processes) | seconds | over bare interpreter |")
    print("|---|---:|---:|")
    print(f"| bare interpreter (`python -c pass`, baseline) | {base:.3f} | — |")
    print(f"| `import miedx_xl.checking` | {imp:.3f} | {imp - base:.3f} |")
    print(f"| check one filled form (19 measures) | {full:.3f} | {full - base:.3f} |")
    print()
    print("| heaviest imports (cumulative) | seconds |")
    print("|---|---:|")
    for name, secs in import_breakdown():
        print(f"| `{name}` | {secs:.3f} |")


if __name__ == "__main__":
    main()
