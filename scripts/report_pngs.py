"""Render the report's first chart slide, first document page and first table page to PNGs.

Used by `make docs-report`: runs the demo into a temporary folder, then pdftoppm on its PDFs.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from pptx import Presentation

from miedx_xl.demo import run_demo

DPI = "60"


def render(pdf: Path, page: int, out: Path) -> Path:
    """One page of `pdf` as `out` (PNG)."""
    stem = out.with_suffix("")
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            DPI,
            "-png",
            "-singlefile",
            "-f",
            str(page),
            "-l",
            str(page),
            str(pdf),
            str(stem),
        ],
        check=True,
    )
    return out


def main(docs: Path) -> None:
    """Write docs/report_slide.png, docs/report_memo.png and docs/report_tables.png."""
    with tempfile.TemporaryDirectory(prefix="miedx-docs-") as tmp:
        demo = run_demo(Path(tmp))
        files = demo.report
        if files is None or files.pdf is None or files.tables_pdf is None:
            sys.exit("docs-report: LibreOffice is needed (make sysdeps)")
        slides = Presentation(str(files.slides)).slides
        chart = next(n for n, s in enumerate(slides, start=1) if any(x.has_chart for x in s.shapes))
        print(render(files.pdf, chart, docs / "report_slide.png"))
        print(render(files.pdf, len(slides) + 1, docs / "report_memo.png"))
        print(render(files.tables_pdf, 1, docs / "report_tables.png"))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
