"""Publishing a master workbook: its PDF (LibreOffice headless, A4 landscape)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from miedx_xl.files import replacing
from miedx_xl.xlsx.office import convert


def write_report(master: Path, pdf: Path) -> Path:
    """Convert the master workbook to a PDF (A4 landscape from its print set-up) at `pdf`."""
    with tempfile.TemporaryDirectory(prefix="miedx-pdf-") as tmp:
        (made,) = convert([master], Path(tmp), to="pdf")
        with replacing(pdf) as part:
            shutil.copyfile(made, part)
    return pdf
