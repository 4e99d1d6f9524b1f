"""Peak memory of checking one form, whatever one cell of it holds.

Each row checks one form in a fresh process (`miedx-xl check`, and `check --mark`) and reads
the child's peak resident memory (`ru_maxrss`). The baseline is the same form untouched; the
other rows put one hostile or careless thing into it: a value at XFD1048576, a space at
column XFD, a column filled down by accident (9,000 rows: under the sheet limit, so every
row is checked), 20,000 junk rows (over it), and a 30,000-character text. Goal: every row
under 300 MB.

    python benchmarks/check_memory.py
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_one import make_form

LIMIT_MB = 300


def edited(base: Path, folder: Path, name: str, change: Callable[[Any], None]) -> Path:
    path = folder / f"{name}.xlsx"
    shutil.copyfile(base, path)
    wb = load_workbook(path)
    change(wb["取組状況"])
    wb.save(path)
    return path


def cases(base: Path, folder: Path) -> dict[str, Path]:
    def far(ws: Any) -> None:
        ws["XFD1048576"] = "x"

    def space(ws: Any) -> None:
        ws["XFD2000"] = " "

    def filled_down(rows: int) -> Callable[[Any], None]:
        def change(ws: Any) -> None:
            for r in range(30, 30 + rows):
                ws.cell(row=r, column=11, value="まあまあ")

        return change

    def long_text(ws: Any) -> None:
        ws["H4"] = "あ" * 30_000

    return {
        "the filled form, untouched (baseline)": base,
        "one value at XFD1048576": edited(base, folder, "far", far),
        "one space at XFD2000": edited(base, folder, "space", space),
        "a column filled down 9,000 rows": edited(base, folder, "down9k", filled_down(9_000)),
        "a column filled down 20,000 rows": edited(base, folder, "down20k", filled_down(20_000)),
        "a 30,000-character text": edited(base, folder, "long", long_text),
    }


def peak_mb(args: list[str]) -> tuple[float, float, int]:
    """Peak RSS (MB) and seconds of one child process, and its exit status."""
    script = (
        "import resource, subprocess, sys;"
        "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)"
    )
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - start
    kb, code = done.stdout.split()
    return int(kb) / 1024, seconds, int(code)


def main() -> None:
    exe = str(Path(sys.executable).with_name("miedx-xl"))
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="miedx-mem-") as tmp:
        folder = Path(tmp)
        base = make_form(folder)
        print(f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; load {load:.2f}")
        print()
        print("| what one form holds | check: MB | s | exit | check --mark: MB | s | exit |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        worst = 0.0
        for label, path in cases(base, folder).items():
            mb, s, code = peak_mb([exe, "check", str(path)])
            mmb, ms, mcode = peak_mb([exe, "check", "--mark", str(path)])
            worst = max(worst, mb, mmb)
            print(f"| {label} | {mb:.0f} | {s:.2f} | {code} | {mmb:.0f} | {ms:.2f} | {mcode} |")
        print()
        verdict = "met" if worst < LIMIT_MB else "MISSED"
        print(f"Worst peak {worst:.0f} MB (goal < {LIMIT_MB} MB): {verdict}.")
    _ = resource  # the parent's own usage is not part of the table


if __name__ == "__main__":
    main()
