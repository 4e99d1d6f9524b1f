"""What the report's files share: the Japanese font, names of the 資料, fixed wording."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

SLIDES_NO = "資料２"
MEMO_NO = "資料２－２"
TABLES_NO = "資料２－２－１"
DEPARTMENT = "デジタル戦略企画課"
"""The secretariat that signs 資料２－２ (the built-in report's)."""
HEADQUARTERS = "三重県行財政改革・デジタル戦略推進本部"
"""The body the report goes to; the plan data does not hold it."""
REPORT_TITLE = "現行「{name}」にかかる報告"

WINDOWS_FONT = "BIZ UDゴシック"
LINUX_FONT = "Noto Sans CJK JP"
_WINDOWS_FILES = ("BIZ-UDGothicR.ttc", "BIZ-UDGothicR.ttf")


@cache
def japanese_font() -> str:
    """BIZ UDゴシック where it is installed (Windows 10 and later ship it), else Noto Sans
    CJK JP (Linux); LibreOffice falls back to a CJK font of its own for either name."""
    windir = os.environ.get("WINDIR")
    if windir and any((Path(windir) / "Fonts" / f).exists() for f in _WINDOWS_FILES):
        return WINDOWS_FONT
    fc = shutil.which("fc-list")
    if fc:
        try:
            names = subprocess.run(
                [fc, ":lang=ja", "family"], capture_output=True, text=True, timeout=10
            ).stdout
        except (OSError, subprocess.SubprocessError):
            names = ""
        if "BIZ UDGothic" in names or WINDOWS_FONT in names:
            return WINDOWS_FONT
    return LINUX_FONT
