"""Render the second year for the docs (`make docs-years`): the demo's R4 on the invented
example input, one page of an R4 form (its 取組状況 sheet) and the R4 master's 前年度比較
sheet, each as a PNG (LibreOffice → PDF → pdftoppm) under docs/.

Usage: python benchmarks/docs_years.py [--out docs] [--dpi 60] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from miedx_xl.demo import run_demo
from miedx_xl.xlsx.office import convert

NOW = datetime(2023, 5, 30, tzinfo=UTC)
FORM_DIVISION = "デジタル改革推進課"
"""The division whose R4 form is shown (NO 1–5: long 取組内容 and R3 取組状況)."""


def page_with(pdf: Path, *texts: str) -> int:
    """The first page (1-based) of `pdf` whose text holds every one of `texts`."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(next(x for x in info.stdout.splitlines() if x.startswith("Pages:")).split()[1])
    for page in range(1, pages + 1):
        cmd = ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"]
        shown = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        if all(t in shown for t in texts):
            return page
    raise SystemExit(f"{pdf.name}: no page shows {texts!r}")


def render(workbook: Path, texts: tuple[str, ...], png: Path, dpi: int, work: Path) -> Path:
    """The first page of `workbook` that shows all `texts`, as `png`."""
    (pdf,) = convert([workbook], work / "pdf")
    page = page_with(pdf, *texts)
    stem = png.with_suffix("")
    cmd = ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-png", "-singlefile"]
    subprocess.run([*cmd, str(pdf), str(stem)], check=True)
    return png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--dpi", type=int, default=60)
    parser.add_argument("--keep", type=Path, help="write the demo here (kept) instead")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="miedx-docs-"))
    try:
        summary = run_demo(work / "demo", now=NOW)
        assert summary.next_master is not None
        forms = sorted((work / "demo" / "様式" / "R4").glob("*.xlsx"))
        form = next(p for p in forms if p.stem.endswith(FORM_DIVISION))
        args.out.mkdir(parents=True, exist_ok=True)
        done = [
            render(form, ("取組状況調査票（",), args.out / "years_r4_form.png", args.dpi, work),
            # The page with the new measure (区分 新規（R4）).
            render(
                summary.next_master,
                ("前年度比較（R3→R4）", "新規（R4）"),
                args.out / "years_r4_year_over_year.png",
                args.dpi,
                work,
            ),
        ]
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    for png in done:
        print(f"{png} ({png.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
