"""Publishing a master workbook: its PDF (LibreOffice headless, A4 landscape)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from miedx_xl.errors import MasterError
from miedx_xl.files import replacing
from miedx_xl.master.read import is_master_file
from miedx_xl.xlsx.office import convert


def write_report(master: Path, pdf: Path) -> Path:
    """Convert the master workbook to a PDF (A4 landscape from its print set-up) at `pdf`."""
    if not is_master_file(master):
        raise MasterError(
            f"「{master.name}」は取りまとめ結果（このツールが書いたマスターブック）ではないため、"
            "PDF にしません。取りまとめ結果のファイルを指定してください。"
        )
    with tempfile.TemporaryDirectory(prefix="miedx-pdf-") as tmp:
        (made,) = convert([master], Path(tmp), to="pdf")
        with replacing(pdf) as part:
            shutil.copyfile(made, part)
    return pdf
