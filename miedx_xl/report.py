"""Publishing a master workbook: its PDF (LibreOffice headless, A4 landscape)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from miedx_xl.xlsx.office import convert


def write_report(master: Path, pdf: Path) -> Path:
    """Convert the master workbook to a PDF (A4 landscape from its print set-up) at `pdf`."""
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="miedx-pdf-") as tmp:
        (made,) = convert([master], Path(tmp), to="pdf")
        fd, part = tempfile.mkstemp(prefix=".~tmp-", suffix=".pdf", dir=pdf.parent)
        os.close(fd)
        try:
            shutil.copyfile(made, part)
            os.replace(part, pdf)
        except BaseException:
            Path(part).unlink(missing_ok=True)
            raise
    return pdf
