"""The server root: its settings file, the secretariat's credential, division keys, sessions.

`<root>/config.json` holds the fiscal year being collected, a random server secret and the
secretariat's password as a salted scrypt hash (never the password). A division's key is
an HMAC of its division key (the plan's stable name) with the server secret: the
secretariat hands it out, the server recomputes it, nothing per division is stored.
A browser session is a cookie signed with the same secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONFIG_NAME = "config.json"
KEY_PREFIX = "dk-"
KEY_HEX = 32
SESSION_SECONDS = 8 * 3600
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
ROLE_DIVISION = "division"
ROLE_SECRETARIAT = "secretariat"


class ConfigError(ValueError):
    """The server root's settings cannot be used; the message (Japanese) says why."""


@dataclass(frozen=True)
class Principal:
    """Who a request speaks for: the secretariat, or one division (by its plan key)."""

    role: str
    division_key: str = ""

    @property
    def secretariat(self) -> bool:
        """True for the secretariat's credential."""
        return self.role == ROLE_SECRETARIAT


def hash_password(password: str, salt: bytes | None = None) -> str:
    """A salted scrypt hash: scrypt$<salt hex>$<hash hex>."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """True when the password matches the stored hash (constant-time comparison)."""
    try:
        kind, salt, _ = stored.split("$")
        expected = hash_password(password, bytes.fromhex(salt))
    except ValueError:
        return False
    return kind == "scrypt" and hmac.compare_digest(expected, stored)


@dataclass
class Config:
    """The settings in `<root>/config.json`."""

    root: Path
    fy: str
    secret: str
    secretariat_hash: str
    max_mb: float = 20.0

    @property
    def path(self) -> Path:
        """The settings file."""
        return self.root / CONFIG_NAME

    @property
    def max_bytes(self) -> int:
        """The largest request body accepted."""
        return int(self.max_mb * 1024 * 1024)

    def save(self) -> None:
        """Write the settings (readable by the server's own account only)."""
        data = {
            "fy": self.fy,
            "secret": self.secret,
            "secretariat_hash": self.secretariat_hash,
            "max_mb": self.max_mb,
        }
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def division_key(self, division: str) -> str:
        """The key the secretariat gives one division (HMAC of its name with the secret)."""
        mac = hmac.new(bytes.fromhex(self.secret), f"division:{division}".encode(), "sha256")
        return KEY_PREFIX + mac.hexdigest()[:KEY_HEX]

    def division_of_key(self, key: str, divisions: list[str]) -> str | None:
        """The division a key belongs to, or None."""
        found = None
        for division in divisions:
            if hmac.compare_digest(self.division_key(division).encode(), key.encode()):
                found = division
        return found

    def _sign(self, body: bytes) -> str:
        mac = hmac.new(bytes.fromhex(self.secret), b"session:" + body, "sha256")
        return mac.hexdigest()

    def session_cookie(self, who: Principal, now: float | None = None) -> str:
        """A signed session cookie value for a principal."""
        data = {
            "r": who.role,
            "d": who.division_key,
            "e": int((now or time.time()) + SESSION_SECONDS),
        }
        body = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")
        return f"{body.decode()}.{self._sign(body)}"

    def session_of(self, cookie: str, now: float | None = None) -> Principal | None:
        """The principal of a valid, unexpired session cookie, or None."""
        body, _, mac = cookie.partition(".")
        if not body or not hmac.compare_digest(self._sign(body.encode()), mac):
            return None
        try:
            data: dict[str, Any] = json.loads(
                base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            )
        except ValueError:
            return None
        if int(data.get("e", 0)) < (now or time.time()):
            return None
        return Principal(str(data.get("r", "")), str(data.get("d", "")))


def load_config(root: Path) -> Config | None:
    """The settings of a server root, or None when it has none yet."""
    path = root / CONFIG_NAME
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Config(
            root,
            str(data["fy"]),
            str(data["secret"]),
            str(data["secretariat_hash"]),
            float(data.get("max_mb", 20.0)),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path} を読めません: {exc}") from exc


def init_config(root: Path, fy: str, password: str | None = None) -> tuple[Config, str | None]:
    """The root's settings, created when missing; the new password when one was made."""
    found = load_config(root)
    if found is not None:
        return found, None
    new_password = password or secrets.token_urlsafe(12)
    config = Config(root, fy, secrets.token_hex(32), hash_password(new_password))
    config.save()
    return config, None if password else new_password
