"""Writing files so that nobody's file is lost: a temporary file beside the target, renamed
into place only when it is complete; dated backups that are never overwritten and never
half-written; and a lock so that two runs cannot write one output at once."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO

from miedx_xl.errors import UsageError

TEMP_PREFIX = ".~tmp-"
"""Name prefix of the temporary files (a killed run leaves nothing under a real name)."""
LOCK_PREFIX = ".~lock-"
STALE_TEMP_S = 60
"""A temporary file of a target this old, found while holding the target's lock, is what a
killed run left: removed."""


def _umask() -> int:
    """The process's umask (read by setting it and setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def temp_prefix(path: Path) -> str:
    """The name prefix of the temporary files written for `path` (its name cut to leave
    room within the file system's 255 bytes)."""
    name = path.name.encode("utf-8")[:120].decode("utf-8", errors="ignore")
    return f"{TEMP_PREFIX}{name}-"


def temp_beside(path: Path) -> Path:
    """A new, empty temporary file beside `path`, named for it (see `remove_stale_temporaries`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=temp_prefix(path), suffix=path.suffix, dir=path.parent)
    os.close(fd)
    return Path(name)


def put_in_place(tmp: Path, path: Path) -> None:
    """Rename a complete temporary file onto `path` (atomic on one file system).

    mkstemp makes the file 0600: it gets the mode a plain open() would give (the user's
    umask), or the mode of the file it replaces, so colleagues can still read it.
    """
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        mode = 0o666 & ~_umask()
    os.chmod(tmp, mode)
    os.replace(tmp, path)


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write to; when the block ends without an error it
    is renamed onto `path`, otherwise it is removed."""
    tmp = temp_beside(path)
    try:
        yield tmp
        put_in_place(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def remove_stale_temporaries(path: Path, older_than_s: float = STALE_TEMP_S) -> list[Path]:
    """Remove the temporary files a killed run left for `path` (call it holding the lock)."""
    removed = []
    now = time.time()
    for tmp in path.parent.glob(f"{temp_prefix(path)}*"):
        try:
            if now - tmp.stat().st_mtime >= older_than_s:
                tmp.unlink()
                removed.append(tmp)
        except OSError:
            continue  # gone already, or not ours to remove
    return removed


def _publish(tmp: Path, target: Path) -> bool:
    """Give a complete temporary file its final name unless that name exists (atomic)."""
    if hasattr(os, "link"):
        try:
            os.link(tmp, target)
        except FileExistsError:
            return False
        except OSError:
            pass  # a file system without hard links: rename below
        else:
            return True
    if target.exists():
        return False
    try:
        os.rename(tmp, target)  # refuses an existing target on Windows
    except FileExistsError:
        return False
    return True


def keep_backup(path: Path) -> Path:
    """Copy `path` to `<stem>_YYYYMMDD-HHMMSS<suffix>` beside it (its own time); never
    overwrite a backup, and never leave a half-copied one under a backup's name."""
    stamp = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y%m%d-%H%M%S")
    fd, name = tempfile.mkstemp(prefix=temp_prefix(path), suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        shutil.copyfile(path, tmp)
        shutil.copystat(path, tmp)
        for n in range(1, 10_000):
            extra = "" if n == 1 else f"-{n}"
            backup = path.with_name(f"{path.stem}_{stamp}{extra}{path.suffix}")
            if _publish(tmp, backup):
                return backup
    finally:
        tmp.unlink(missing_ok=True)
    raise UsageError(
        f"{path.name} のバックアップ名が尽きました。古いバックアップを整理してください。"
    )


def _try_lock(fh: IO[bytes]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


@contextmanager
def locked(path: Path, what: str = "取りまとめ") -> Iterator[None]:
    """Hold the lock of an output for the block; another holder makes it a UsageError.

    The operating system drops the lock when its process ends, killed or not, so a lock
    is never stale. The lock file `.~lock-<name>` stays beside the output (it is empty).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(f"{LOCK_PREFIX}{path.name}")
    with lock.open("a+b") as fh:
        if not _try_lock(fh):
            raise UsageError(
                f"「{path.name}」には別の{what}が書き出し中です。終わってから、"
                "もう一度実行してください。"
            )
        yield  # closing the file releases the lock
