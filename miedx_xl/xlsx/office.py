"""LibreOffice headless: re-save workbooks and convert them to PDF (each run its own profile)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path, PurePath

from miedx_xl.errors import OfficeError

CHUNK = 200
"""soffice silently stops after 247 inputs in one call: convert in smaller chunks."""
TIMEOUT_S = 300


def soffice_path() -> str | None:
    """The soffice executable, or None when LibreOffice is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def profile_uri(profile: PurePath) -> str:
    """The `file:` URI of a LibreOffice profile folder (`file:///C:/…` on Windows, where
    `file://C:\\…` is rejected without a word)."""
    return profile.as_uri()


FILTERS = {"pdf": "pdf:calc_pdf_Export", "xlsx": "xlsx:Calc MS Excel 2007 XML"}
"""Calc's export filters; `document=True` lets LibreOffice pick the filter by document."""


def convert(
    files: Sequence[Path],
    out_dir: Path,
    to: str = "pdf",
    document: bool = False,
    timeout_s: float = TIMEOUT_S,
    hint: str = "PDF 出力には LibreOffice が必要です。",
) -> list[Path]:
    """Convert files with LibreOffice (`to` is `pdf` or `xlsx`; with `document`, slides and
    documents too) in runs of its own profile; return the outputs in the order of `files`."""
    exe = soffice_path()
    if exe is None:
        raise OfficeError(f"LibreOffice（soffice）が見つかりません。{hint}")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = to if document else FILTERS[to]
    outputs = []
    with tempfile.TemporaryDirectory(prefix="miedx-lo-") as profile:
        for start in range(0, len(files), CHUNK):
            chunk = files[start : start + CHUNK]
            cmd = [
                exe,
                f"-env:UserInstallation={profile_uri(Path(profile))}",
                "--headless",
                "--norestore",
                "--convert-to",
                target,
                "--outdir",
                str(out_dir),
                *[str(f) for f in chunk],
            ]
            try:
                done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
            except subprocess.TimeoutExpired as exc:
                raise OfficeError(
                    f"LibreOffice が {timeout_s:.0f} 秒以内に変換を終えませんでした。"
                    "ほかの LibreOffice を閉じてからやり直してください。"
                ) from exc
            for f in chunk:
                out = out_dir / f"{f.stem}.{to}"
                if not out.exists():
                    detail = done.stderr.strip()[:300]
                    raise OfficeError(
                        f"LibreOffice が {f.name} を変換できませんでした（{detail}）。{hint}"
                    )
                outputs.append(out)
    return outputs
