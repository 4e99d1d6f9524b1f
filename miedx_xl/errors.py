"""The package's exceptions: one base, and one kind per thing that cannot go on.

Problems in a user's data are findings (`findings.py`), never exceptions. An exception here
means "this step cannot go on"; its message is Japanese and names what to do, and the faces
(command line, ribbon, server) show it as it is. Each kind also inherits the builtin it
means, so callers that catch `ValueError` or `OSError` keep working.
"""

from __future__ import annotations

import os
import traceback
from datetime import datetime
from pathlib import Path


class MiedxError(Exception):
    """A step cannot go on; the message (Japanese) tells the user what to do."""


class UsageError(MiedxError, ValueError):
    """A command, button or request was given something it cannot use (a bad fiscal year,
    a folder that does not exist, an output that would replace someone's file)."""


class PlanError(MiedxError, ValueError):
    """The plan's tables are inconsistent or fail their schema."""


class MasterError(MiedxError, ValueError):
    """The file is not a master workbook written by `write_master`, or cannot be used as one."""


class InputUnreadable(MiedxError, OSError):
    """An input file could not be read (as against the archive not being writable)."""


class OfficeError(MiedxError, RuntimeError):
    """LibreOffice is missing or a conversion produced no file."""


class AddinError(MiedxError, RuntimeError):
    """The add-in cannot be built or installed here."""


def message_ja(exc: BaseException) -> str:
    """The text a user is shown for an exception that stopped a step.

    Our own exceptions carry their message; a file-system error names the file and the
    reason in Japanese; anything else is a programming error, shown as such (the details
    go to the log or the traceback, not to the user's screen).
    """
    if isinstance(exc, MiedxError):
        return str(exc)
    if isinstance(exc, OSError):
        where = f"「{exc.filename}」" if exc.filename else "ファイル"
        if isinstance(exc, NotADirectoryError):
            return f"{where}というフォルダが見つかりません。場所と名前を確かめてください。"
        if isinstance(exc, FileNotFoundError):
            return f"{where}が見つかりません。場所と名前を確かめてください。"
        if isinstance(exc, PermissionError):
            return (
                f"{where}を読み書きする権限がありません。ほかのプログラムで開いていれば閉じ、"
                "権限を確かめてください。"
            )
        reason = exc.strerror or str(exc)
        return f"{where}を読み書きできませんでした（{reason}）。空き容量と場所を確かめてください。"
    return f"内部エラーが起きました（{type(exc).__name__}）。管理者に連絡してください。"


LOG_LIMIT = 1_000_000
"""Bytes of the log before it is rotated to `miedx.log.1`."""


def log_path() -> Path:
    """The log file: %LOCALAPPDATA%\\miedx\\miedx.log, or ~/.miedx/miedx.log elsewhere."""
    base = os.environ.get("LOCALAPPDATA")
    return (Path(base) / "miedx" if base else Path.home() / ".miedx") / "miedx.log"


def write_log(where: str, exc: BaseException) -> Path | None:
    """Append the exception's traceback to the log; None when the log cannot be written."""
    path = log_path()
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    text = "".join(traceback.format_exception(exc))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > LOG_LIMIT:
            os.replace(path, path.with_suffix(".log.1"))
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {stamp} {where}\n{text}\n")
    except OSError:
        return None
    return path


def error_text(exc: BaseException, log: Path | None) -> str:
    """A short Japanese message for an exception that stopped a button (details in the log)."""
    if isinstance(exc, MiedxError | OSError):
        return message_ja(exc)
    where = f"\n詳しい記録: {log}" if log else ""
    return f"{message_ja(exc)}{where}"
