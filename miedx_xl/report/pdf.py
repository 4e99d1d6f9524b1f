"""PDFs of the report: LibreOffice headless converts the slides and documents, pypdf joins them.

pypdf (pure Python, BSD) joins the three 資料 into one file without a second conversion; the
page stamps (資料 number, page number) are already in each document.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from miedx_xl.errors import UsageError
from miedx_xl.files import replacing
from miedx_xl.xlsx.office import convert

TIMEOUT_S = 180
"""One conversion of the three files takes about 10 s; past this LibreOffice is stuck."""
INSTALL_HINT = (
    "PDF の作成には LibreOffice（Calc・Impress・Writer）と日本語フォントが必要です。"
    "Linux では `sudo apt-get install libreoffice-calc libreoffice-impress libreoffice-writer"
    " fonts-noto-cjk`、Windows では https://ja.libreoffice.org/ から LibreOffice を"
    "インストールしてください。"
)


def to_pdf(files: Sequence[Path], out_dir: Path) -> list[Path]:
    """Convert slides and documents (.pptx, .docx, .xlsx) to PDF in one LibreOffice run with
    its own profile; return the PDFs in the order of `files`."""
    stems = [f.stem for f in files]
    if len(set(stems)) != len(stems):
        # soffice writes one <stem>.pdf per input: a second file of the same stem overwrites it.
        raise UsageError("同じ名前（拡張子を除く）のファイルは一度に PDF にできません。")
    return convert(files, out_dir, "pdf", document=True, timeout_s=TIMEOUT_S, hint=INSTALL_HINT)


def join_pdfs(parts: Sequence[Path], out: Path) -> Path:
    """One PDF of `parts` in order (written atomically)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(str(part))
    with replacing(out) as tmp, tmp.open("wb") as fh:
        writer.write(fh)
    return out


def copy_into(made: Path, target: Path) -> Path:
    """Put a converted file at `target` atomically."""
    with replacing(target) as part:
        shutil.copyfile(made, part)
    return target
