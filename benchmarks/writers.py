"""write_master alone: the XlsxWriter writer against the Grid writer it replaced.

For each N, the cached synthetic forms (`benchmarks/synthetic.py`) are consolidated once (by
this tree's library, in a child process) and the result pickled beside the cache. Then
`write_master` of that same result is timed `--repeat` times with each writer, one run per
fresh process (so its peak memory is its own), the two writers' runs interleaved (so a
change of load on the machine falls on both):

- new: this tree's library (XlsxWriter, `miedx_xl/xlsx/book.py`);
- grid: the library at commit 7b6c5e9 (openpyxl + `grid.Grid`), checked out into a
  throw-away `git worktree` under /tmp and put first on the child's PYTHONPATH.

Prints a Markdown table: N, writer, seconds (median and each run), peak memory of the
process (MB, the largest of the runs), its memory before writing (the imports and the loaded
result), the file's size and the 1-minute load average during the runs.

    python benchmarks/writers.py [--sizes 330 3300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
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


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def consolidated(n: int) -> Path:
    """The pickled consolidation of the N cached forms (made once, by this tree)."""
    sys.path.insert(0, str(HERE))
    import synthetic

    folder, _ = synthetic.forms(n)
    target = synthetic.cache_dir(n) / "consolidation.pickle"
    if not target.exists():
        from miedx_xl.consolidation import consolidate

        with tempfile.TemporaryDirectory(prefix="miedx-writers-") as tmp:
            result = consolidate(
                folder, synthetic.FY, synthetic.cached_plan(n), archive=Path(tmp) / "archive"
            )
        with target.open("wb") as fh:
            pickle.dump(result, fh)
    return target


def child(pickled: Path, repeat: int) -> None:
    """Time write_master of the pickled result `repeat` times; print one JSON line."""
    import miedx_xl
    from miedx_xl.master.write import write_master

    with pickled.open("rb") as fh:
        result = pickle.load(fh)
    before = _rss_mb()
    times = []
    with tempfile.TemporaryDirectory(prefix="miedx-writers-") as tmp:
        for i in range(repeat):
            out = Path(tmp) / f"master-{i}.xlsx"
            start = time.perf_counter()
            write_master(result, out)
            times.append(time.perf_counter() - start)
            size = out.stat().st_size
            out.unlink()
    print(
        json.dumps(
            {
                "seconds": statistics.median(times),
                "runs": times,
                "peak_mb": _rss_mb(),
                "before_mb": before,
                "bytes": size,
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


def run(tree: Path, pickled: Path, repeat: int) -> dict[str, Any]:
    """One child process with `tree` first on its path."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(pickled), "--repeat", str(repeat)],
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
    parser.add_argument("--child", type=Path)
    parser.add_argument("--keep-tree", action="store_true", help="keep the old worktree")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.repeat)
        return
    print("| N | writer | seconds (median) | runs | peak MB | MB before writing | file MB | load |")
    print("|---:|---|---:|---|---:|---:|---:|---|")
    try:
        old = old_tree()
        writers = (("new (XlsxWriter)", TREE), (f"grid ({OLD_COMMIT})", old))
        for n in args.sizes:
            pickled = consolidated(n)
            got: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in writers}
            loads = []
            for _ in range(args.repeat):
                for name, tree in writers:
                    loads.append(os.getloadavg()[0])
                    got[name].append(run(tree, pickled, 1))
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
