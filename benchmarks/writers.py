"""write_master alone: the XlsxWriter writer against the Grid writer it replaced.

For each N, the cached synthetic forms (`benchmarks/synthetic.py`, made by this tree) are
consolidated in each child process by that child's own library (not timed; both trees read
the same forms into the same 7,275 rows and 7 findings at N = 330), then `write_master` of
that result is timed, one run per fresh process (so its peak memory is its own), the
writers' runs interleaved (so a change of load on the machine falls on all):

- new: this tree's library (XlsxWriter, `miedx_xl/xlsx/book.py`), its master of seven sheets;
- new, five sheets: the same, with the 前年度比較 and データ sheets (issues 13 and 14,
  which the Grid writer's master did not have) left empty: the same content as the Grid's;
- grid: the library at commit 7b6c5e9 (openpyxl + `grid.Grid`, five sheets), checked out
  into a throw-away `git worktree` under /tmp and put first on the child's path.

Each tree builds its synthetic plan with its own `synthetic.build(N)` (the same seed).
Prints a Markdown table: N, writer, seconds (median and each run), peak memory of the
process (MB, the largest of the runs), its memory before writing (the imports and the
consolidated result), the file's size and the 1-minute load average during the runs.

    python benchmarks/writers.py [--sizes 330 3300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TREE = HERE.parent
OLD_COMMIT = "7b6c5e9"
OLD_TREE = Path(tempfile.gettempdir()) / f"miedx-writers-{OLD_COMMIT}"
FIVE = "five"
"""The child's variant that leaves the two sheets the Grid's master did not have empty."""


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def forms_folder(n: int) -> Path:
    """The cached forms of N divisions (generated once, by this tree)."""
    sys.path.insert(0, str(HERE))
    import synthetic

    folder, _ = synthetic.forms(n)
    return folder


def child(tree: Path, folder: Path, n: int, variant: str) -> None:
    """Consolidate the forms with `tree`'s library, time write_master; print one JSON line."""
    sys.path.insert(0, str(tree / "benchmarks"))
    import synthetic

    import miedx_xl
    from miedx_xl.consolidation import consolidate

    if variant == FIVE:
        from miedx_xl.master import write as new_writer

        new_writer._write_year_over_year = lambda sh, result: None  # type: ignore[attr-defined]
        new_writer._write_data = lambda sh, result: None  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory(prefix="miedx-writers-") as tmp:
        plan = synthetic.build(n)[0]
        result = consolidate(
            folder, synthetic.FY, plan, archive=Path(tmp) / "archive", now=synthetic.NOW
        )
        before = _rss_mb()
        out = Path(tmp) / "master.xlsx"
        start = time.perf_counter()
        miedx_xl.write_master(result, out)
        seconds = time.perf_counter() - start
        size = out.stat().st_size
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": _rss_mb(),
                "before_mb": before,
                "bytes": size,
                "rows": sum(s.rows for s in result.submissions),
                "package": str(Path(miedx_xl.__file__).parent),
            }
        )
    )


def old_tree() -> Path:
    """A worktree of the commit before the switch (made once, removed at the end)."""
    if not (OLD_TREE / "miedx_xl" / "grid.py").exists():
        subprocess.run(
            ["git", "-C", str(TREE), "worktree", "add", "--detach", str(OLD_TREE), OLD_COMMIT],
            check=True,
            capture_output=True,
        )
    return OLD_TREE


def remove_old_tree() -> None:
    """Remove the throw-away worktree."""
    if OLD_TREE.exists():
        subprocess.run(
            ["git", "-C", str(TREE), "worktree", "remove", "--force", str(OLD_TREE)],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(OLD_TREE, ignore_errors=True)


def run(tree: Path, folder: Path, n: int, variant: str) -> dict[str, Any]:
    """One child process with `tree` first on its path."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(tree), str(folder), str(n), variant],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),
    )
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if Path(data["package"]) != tree / "miedx_xl":
        raise RuntimeError(f"the child imported {data['package']}, not {tree}")
    return data


def main() -> None:
    """Command line: the table, or one child's measurement with --child."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[330, 3300])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=4, metavar=("TREE", "FOLDER", "N", "VARIANT"))
    parser.add_argument("--keep-tree", action="store_true", help="keep the old worktree")
    args = parser.parse_args()
    if args.child:
        tree, folder, n, variant = args.child
        child(Path(tree), Path(folder), int(n), variant)
        return
    print("| N | writer | seconds (median) | runs | peak MB | MB before writing | file MB | load |")
    print("|---:|---|---:|---|---:|---:|---:|---|")
    try:
        old = old_tree()
        writers = (
            ("XlsxWriter, seven sheets", TREE, "all"),
            ("XlsxWriter, the Grid's five sheets", TREE, FIVE),
            (f"Grid ({OLD_COMMIT}), five sheets", old, "all"),
        )
        for n in args.sizes:
            folder = forms_folder(n)
            got: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in writers}
            loads = []
            for _ in range(args.repeat):
                for name, tree, variant in writers:
                    loads.append(os.getloadavg()[0])
                    got[name].append(run(tree, folder, n, variant))
            load = f"{min(loads):.2f}–{max(loads):.2f}"
            for name, runs in got.items():
                times = [r["seconds"] for r in runs]
                print(
                    f"| {n:,} | {name} | {statistics.median(times):.2f} "
                    f"| {', '.join(f'{t:.2f}' for t in times)} "
                    f"| {max(r['peak_mb'] for r in runs):.0f} "
                    f"| {max(r['before_mb'] for r in runs):.0f} "
                    f"| {runs[0]['bytes'] / 1e6:.1f} | {load} |",
                    flush=True,
                )
    finally:
        if not args.keep_tree:
            remove_old_tree()


if __name__ == "__main__":
    main()
