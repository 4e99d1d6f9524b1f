"""取りまとめ of N divisions' forms: ours end to end against a naive baseline and the read floor.

For each N (担当課), on the same cached synthetic forms (`benchmarks/synthetic.py`), each run
in a fresh process so its peak memory is its own:

- ours: `consolidate` + `write_master` (read, check, archive into a fresh archive, ledger,
  master workbook with charts);
- baseline: `pandas.read_excel(engine="openpyxl")` of every sheet, the same pandera checks
  (`check_sheets` one file at a time), `pd.concat` of the status rows, `DataFrame.to_excel`;
- floor: python-calamine reading every sheet of every file, nothing else.

Prints Markdown tables (medians of `--repeat` runs; peak memory is the largest of the runs),
then profiles ours at N = 330 with cProfile into `benchmarks/profile_330.txt`.

    python benchmarks/consolidate.py [--sizes 33 330 3300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import atexit
import cProfile
import io
import json
import math
import os
import platform
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PIN = "MIEDX_BENCH_PACKAGE"
"""Environment variable naming the package copy every process of one run imports."""


def pin_package() -> None:
    """Import one copy of miedx_xl in every process of this run: others edit the tree live,
    and a run must not mix versions. The copy is made once and removed at exit."""
    copy = os.environ.get(PIN)
    if not copy:
        copy = tempfile.mkdtemp(prefix="miedx-bench-package-")
        shutil.copytree(
            HERE.parent / "miedx_xl",
            Path(copy) / "miedx_xl",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        os.environ[PIN] = copy
        atexit.register(shutil.rmtree, copy, ignore_errors=True)
    # Ahead of the editable install, whose finder comes after the path finder.
    sys.path[:0] = [copy, str(HERE)]


pin_package()

import synthetic  # noqa: E402

KINDS = ("floor", "ours", "baseline")
LIMIT = 600.0
"""Seconds: a pipeline is skipped at a size where one run would take longer than this."""
PROBE_FILES = 100
"""The baseline's cost per file is measured on this many files before a large size."""
PROFILE_N = 330
PROFILE_TOP = 15


# --- the three pipelines (run inside a child process) ------------------------------------


FILES: int | None = None
"""Only the first this many forms (the baseline's probe run); None for all."""


def form_paths(folder: Path) -> list[Path]:
    """The forms of a folder, in name order."""
    return sorted(folder.glob("*.xlsx"))[:FILES]


def run_ours(n: int, folder: Path, tmp: Path) -> Callable[[], dict[str, Any]]:
    """consolidate + write_master into a fresh archive and master in `tmp`."""
    from miedx_xl.consolidation import consolidate
    from miedx_xl.master.write import write_master

    plan = synthetic.cached_plan(n)

    def work() -> dict[str, Any]:
        start = time.perf_counter()
        result = consolidate(folder, synthetic.FY, plan, archive=tmp / "archive", now=synthetic.NOW)
        middle = time.perf_counter()
        write_master(result, tmp / "取りまとめ表.xlsx")
        return {
            "consolidate": middle - start,
            "master": time.perf_counter() - middle,
            "findings": len(result.report),
            "rows": sum(s.rows for s in result.submissions),
        }

    return work


def _values(frame: Any) -> list[list[Any]]:
    """A sheet read by pandas as rows of cell values (None for an empty cell)."""
    return [[None if v != v else v for v in row] for row in frame.itertuples(index=False)]


def run_baseline(n: int, folder: Path, tmp: Path) -> Callable[[], dict[str, Any]]:
    """pandas + openpyxl read, the same pandera checks per file, concat, to_excel."""
    import pandas as pd

    from miedx_xl.form.check import check_sheets
    from miedx_xl.form.layout import HEADER_ROW, STATUS_SHEET
    from miedx_xl.form.source import ValueSheets

    def work() -> dict[str, Any]:
        findings = 0
        status_rows = []
        for path in form_paths(folder):
            frames = pd.read_excel(path, engine="openpyxl", sheet_name=None, header=None)
            result = check_sheets(
                path, ValueSheets({name: _values(df) for name, df in frames.items()})
            )
            findings += len(result.report)
            status = frames[STATUS_SHEET]
            body = status.iloc[HEADER_ROW:].copy()
            body.columns = [str(c) for c in status.iloc[HEADER_ROW - 1]]
            body.insert(0, "file", path.name)
            status_rows.append(body)
        merged = pd.concat(status_rows, ignore_index=True)
        merged.to_excel(tmp / "baseline.xlsx", index=False)
        return {"findings": findings, "rows": len(merged)}

    return work


def run_floor(n: int, folder: Path, tmp: Path) -> Callable[[], dict[str, Any]]:
    """python-calamine reading every sheet of every file."""
    from python_calamine import CalamineWorkbook

    def work() -> dict[str, Any]:
        cells = 0
        for path in form_paths(folder):
            wb = CalamineWorkbook.from_path(str(path))
            for name in wb.sheet_names:
                cells += sum(len(r) for r in wb.get_sheet_by_name(name).to_python())
        return {"cells": cells}

    return work


RUNNERS = {"ours": run_ours, "baseline": run_baseline, "floor": run_floor}


def child(kind: str, n: int, profile_to: Path | None, files: int | None) -> None:
    """Run one pipeline once and print its time and peak memory as one JSON line."""
    global FILES
    FILES = files
    folder, _ = synthetic.forms(n)
    with tempfile.TemporaryDirectory(prefix="miedx-bench-") as tmp:
        work = RUNNERS[kind](n, folder, Path(tmp))
        profiler = cProfile.Profile() if profile_to else None
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        extra = work()
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - start
    if profiler and profile_to:
        write_profile(profiler, profile_to, n, seconds)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        json.dumps({"seconds": seconds, "peak_mb": peak, "library": synthetic.library(), **extra})
    )


def commit() -> str:
    """The checked-out commit, marked when the package has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "miedx_xl"],
            capture_output=True,
            text=True,
            cwd=HERE,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return head + (" + uncommitted changes in miedx_xl/" if dirty else "")


def write_profile(profiler: cProfile.Profile, out: Path, n: int, seconds: float) -> None:
    """The top functions by cumulative and by own time, as pstats prints them."""
    text = io.StringIO()
    text.write(
        f"cProfile of ours (consolidate + write_master) at N = {n}: {seconds:.2f} s under "
        f"the profiler; load average {os.getloadavg()[0]:.2f}\n\n"
    )
    for order in ("cumulative", "tottime"):
        text.write(f"== top {PROFILE_TOP} by {order} ==\n")
        stats = pstats.Stats(profiler, stream=text)
        stats.strip_dirs().sort_stats(order).print_stats(PROFILE_TOP)
    out.write_text(text.getvalue(), encoding="utf-8")


# --- the parent: generate, run children, print tables -----------------------------------


def spawn(
    kind: str, n: int, profile_to: Path | None = None, files: int | None = None
) -> dict[str, Any]:
    """One fresh process running one pipeline once; its JSON answer plus the load before it."""
    load = os.getloadavg()[0]
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, str(n)]
    if profile_to:
        cmd += ["--profile-to", str(profile_to)]
    if files:
        cmd += ["--files", str(files)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} N={n} failed:\n{done.stderr[-3000:]}")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    answer["load"] = load
    return answer


def fmt(x: float | None, digits: int = 2) -> str:
    """A number for the table, or a dash."""
    return "–" if x is None else f"{x:,.{digits}f}"


def machine() -> str:
    """CPU, cores and versions, one line."""
    from importlib.metadata import version

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    libs = ", ".join(
        f"{p} {version(p)}" for p in ("pandas", "openpyxl", "pandera", "python-calamine")
    )
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {libs}"


def main() -> None:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[33, 330, 3300])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--limit",
        type=float,
        default=LIMIT,
        help="skip a pipeline at a size where one run would take longer (seconds)",
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the N = 330 profile")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--files", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.profile_to, args.files)
        return

    print(f"Machine: {machine()}")
    print(
        f"Library: commit {commit()}, source fingerprint {synthetic.library()} (copied at "
        "start; every process of this run imports that copy)\n"
    )
    results: dict[int, dict[str, list[dict[str, Any]]]] = {}
    skipped: dict[tuple[int, str], float] = {}
    made: dict[int, float] = {}
    for n in dict.fromkeys([*args.sizes, *([] if args.no_profile else [PROFILE_N])]):
        _, made[n] = synthetic.forms(n)
    notes: list[str] = []
    for n in args.sizes:
        gen = made[n]
        info = synthetic.stats(n)
        print(
            f"N={n}: {n} forms, {info['measures']:,} measures, {info['indicators']:,} "
            f"indicators, {info['rpa_rows']} RPA rows, forms with findings {info['findings']}, "
            f"{info['bytes'] / 1e6:.1f} MB, made with library {info.get('library', '?')}; "
            "generation "
            + (f"{gen:.1f} s (2 processes)" if gen else f"cached ({info['seconds']} s when made)"),
            flush=True,
        )
        runs: dict[str, list[dict[str, Any]]] = {k: [] for k in KINDS}
        repeat = {k: args.repeat for k in KINDS}
        for kind, (estimate, how) in estimates(n, results).items():
            if estimate > args.limit:
                repeat[kind] = 0
                skipped[(n, kind)] = estimate
                notes.append(
                    f"{kind} skipped at N={n}: one run would take about {estimate / 60:.0f} min "
                    f"(> {args.limit / 60:.0f} min; {how})."
                )
            elif estimate * args.repeat > args.limit:
                repeat[kind] = 1
                notes.append(
                    f"{kind} at N={n} run once, not the median of {args.repeat} (about "
                    f"{estimate / 60:.0f} min a run; {how})."
                )
        for i in range(args.repeat):
            for kind in KINDS:
                if i >= repeat[kind]:
                    continue
                answer = spawn(kind, n)
                runs[kind].append(answer)
                print(
                    f"  run {i + 1} {kind:8s} {answer['seconds']:8.2f} s "
                    f"{answer['peak_mb']:7.0f} MB  load {answer['load']:.2f}",
                    flush=True,
                )
        results[n] = runs

    def med(n: int, kind: str, key: str = "seconds") -> float | None:
        done = results[n][kind]
        return statistics.median(r[key] for r in done) if done else None

    def peak(n: int, kind: str) -> float | None:
        done = results[n][kind]
        return max(r["peak_mb"] for r in done) if done else None

    reps = args.repeat
    print(f"\n### 取りまとめ, ours end to end (median of {reps} runs)\n")
    print(
        f"| N | seconds (median of {reps}) | ms per form | peak memory (MB) "
        "| speed-up over baseline | ours ÷ read floor |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for n in results:
        ours, base, floor = med(n, "ours"), med(n, "baseline"), med(n, "floor")
        if ours is None:
            est = skipped.get((n, "ours"), 0)
            print(f"| {n:,} | skipped (about {est / 60:,.0f} min estimated) | | | | |")
            continue
        assert floor is not None
        speed = f"{base / ours:.1f}×" if base else "baseline skipped"
        print(
            f"| {n:,} | {fmt(ours)} | {fmt(ours / n * 1000, 1)} | {fmt(peak(n, 'ours'), 0)} "
            f"| {speed} | {ours / floor:.0f}× |"
        )
    print(f"\n### All three pipelines (median of {reps} runs; peak = largest of the runs)\n")
    print(
        f"| N | pipeline | seconds (median of {reps}) | ms per form | peak memory (MB) "
        "| load average (1 min) |"
    )
    print("|---:|---|---:|---:|---:|---|")
    for n in results:
        for kind in ("ours", "baseline", "floor"):
            kind_runs = results[n][kind]
            if not kind_runs:
                est = skipped.get((n, kind), 0)
                print(f"| {n:,} | {kind} | skipped (≈ {est:,.0f} s estimated) | | | |")
                continue
            s = med(n, kind)
            assert s is not None
            loads = [r["load"] for r in kind_runs]
            print(
                f"| {n:,} | {kind} | {fmt(s)} | {fmt(s / n * 1000, 1)} | {fmt(peak(n, kind), 0)} "
                f"| {min(loads):.2f}–{max(loads):.2f} |"
            )
    print("\n### Ours split (medians, seconds)\n")
    print("| N | consolidate | write_master | findings (ours / baseline) | rows merged |")
    print("|---:|---:|---:|---|---:|")
    for n in results:
        if not results[n]["ours"]:
            continue
        base_findings = results[n]["baseline"][0]["findings"] if results[n]["baseline"] else "–"
        first = results[n]["ours"][0]
        print(
            f"| {n:,} | {fmt(med(n, 'ours', 'consolidate'))} | {fmt(med(n, 'ours', 'master'))} "
            f"| {first['findings']} / {base_findings} | {first['rows']:,} |"
        )
    print(targets(results, med, peak))
    for note in notes:
        print(f"\n{note}")
    seen = {r["library"] for runs in results.values() for rs in runs.values() for r in rs}
    if seen != {synthetic.library()} or len(seen) > 1:
        print(
            f"\nWARNING: the package changed during the run (fingerprints {sorted(seen)}, now "
            f"{synthetic.library()}): the numbers mix versions; run again."
        )
    if not args.no_profile:
        out = HERE / f"profile_{PROFILE_N}.txt"
        synthetic.forms(PROFILE_N)
        answer = spawn("ours", PROFILE_N, profile_to=out)
        print(
            f"\nProfile of ours at N={PROFILE_N} ({answer['seconds']:.2f} s under cProfile, "
            f"load {answer['load']:.2f}) written to {out.relative_to(HERE.parent)}"
        )


def targets(
    results: dict[int, Any],
    med: Callable[[int, str], float | None],
    peak: Callable[[int, str], float | None],
) -> str:
    """The issue's targets, each met or missed, for the sizes that ran."""
    lines = ["\n### Targets\n"]

    def line(ok: bool, text: str) -> None:
        lines.append(f"- {'met' if ok else 'MISSED'}: {text}")

    if 330 in results:
        ours, base = med(330, "ours"), med(330, "baseline")
        assert ours is not None
        line(ours <= 2.0, f"N=330 end to end ≤ 2 s (measured {ours:.2f} s)")
        if base:
            line(base / ours >= 5, f"N=330 ≥ 5× faster than baseline ({base / ours:.1f}×)")
    if 330 in results and 3300 in results:
        small, big = med(330, "ours"), med(3300, "ours")
        mem = peak(3300, "ours")
        if small is None or big is None or mem is None:
            lines.append("- not measured: N=3300 ≤ 12 × N=330 time, peak memory < 1 GB (skipped)")
        else:
            line(big <= 12 * small, f"N=3300 ≤ 12 × N=330 time ({big / small:.1f}×)")
            line(mem < 1024, f"N=3300 peak memory < 1 GB ({mem:.0f} MB)")
    return "\n".join(lines)


def estimates(n: int, results: dict[int, Any]) -> dict[str, tuple[float, str]]:
    """Expected seconds of one run at size `n`, for the pipelines that may be too slow.

    Ours grows faster than linearly where it merges or lays out row by row, so its estimate
    follows the power law of the two largest sizes measured. The baseline handles each file
    on its own: it is timed on the first PROBE_FILES files and scaled to N.
    """
    out: dict[str, tuple[float, str]] = {}
    done = sorted(m for m in results if results[m]["ours"])
    if len(done) >= 2:
        (n1, n2) = done[-2:]
        t1, t2 = (statistics.median(r["seconds"] for r in results[m]["ours"]) for m in (n1, n2))
        k = max(1.0, math.log(t2 / t1) / math.log(n2 / n1))
        out["ours"] = (t2 * (n / n2) ** k, f"N^{k:.2f} from N={n1} and N={n2}")
    if n >= 10 * PROBE_FILES:
        probe = spawn("baseline", n, files=PROBE_FILES)
        out["baseline"] = (
            probe["seconds"] * n / PROBE_FILES,
            f"{probe['seconds']:.1f} s on the first {PROBE_FILES} files, load {probe['load']:.2f}",
        )
    return out


if __name__ == "__main__":
    main()
