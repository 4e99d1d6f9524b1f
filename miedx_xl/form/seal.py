"""The form's seal: an HMAC of its hidden metadata, keyed with a secret the secretariat holds.

The meta's plain SHA-256 digest proves nothing against a division that edits a locked cell:
it can recompute the digest (seen). The seal cannot be recomputed without the key. Forms are
sealed when the key exists where they are written; they are verified where it exists when
they are read (the secretariat's PC, the server); a division's PC has no key and checks the
plain digest only. Old forms without a seal are still accepted, with a warning.

The key is a file: `MIEDX_SECRET_FILE`, else `~/.miedx/secret.key` (`miedx-xl secret init`
makes one). Keep it off shared folders; give the server the same file.
"""

from __future__ import annotations

import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

from miedx_xl.errors import UsageError
from miedx_xl.form.layout import FormMeta

SECRET_ENV = "MIEDX_SECRET_FILE"


def secret_path() -> Path:
    """Where the key is: $MIEDX_SECRET_FILE, else ~/.miedx/secret.key."""
    env = os.environ.get(SECRET_ENV)
    return Path(env).expanduser() if env else Path.home() / ".miedx" / "secret.key"


@lru_cache(maxsize=4)
def _read(path: Path, mtime: float) -> bytes | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return bytes.fromhex(text) if len(text) >= 32 else None


def load_secret(path: Path | None = None) -> bytes | None:
    """The key, or None where there is none (a division's PC)."""
    where = path or secret_path()
    try:
        mtime = where.stat().st_mtime
    except OSError:
        return None
    try:
        return _read(where, mtime)
    except ValueError:  # not hex: not our key file
        return None


def create_secret(path: Path | None = None) -> Path:
    """Write a new random key (readable by its owner only); never replace one."""
    where = path or secret_path()
    where.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(where, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise UsageError(
            f"鍵ファイル「{where}」はすでにあります。作り直すと配布済みの様式を確かめられなく"
            "なるため、上書きしません。"
        ) from exc
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return where


def verify(meta: FormMeta, secret: bytes) -> bool:
    """True when the meta's stored seal is its content's seal under `secret`."""
    return hmac.compare_digest(meta.seal, meta.sealed_with(secret))
