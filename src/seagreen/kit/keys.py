"""The platform's secrets: where they come from and how they are created on a fresh machine.

Production gives every key in the environment (``SEAGREEN_SESSION_SECRET``,
``SEAGREEN_PII_HASH_KEY``, ``SEAGREEN_PII_ENCRYPTION_KEY``). A development machine that gives
none gets a key file (mode 0600, outside version control) created on first use, so ``make run``
needs nothing but Python and no secret ever lives in the repository.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from seagreen.config import Settings


@dataclass(frozen=True)
class Keys:
    session_secret: str
    pii_hash_key: bytes
    pii_encryption_key: str  # a Fernet key (url-safe base64 of 32 bytes)


def _new_fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _read_or_create(path: Path) -> dict[str, str]:
    if path.exists():
        data: dict[str, str] = json.loads(path.read_text())
        return data
    data = {
        "session_secret": secrets.token_urlsafe(48),
        "pii_hash_key": secrets.token_urlsafe(48),
        "pii_encryption_key": _new_fernet_key(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)
    return data


def load_keys(settings: Settings) -> Keys:
    given = {
        "session_secret": settings.session_secret,
        "pii_hash_key": settings.pii_hash_key,
        "pii_encryption_key": settings.pii_encryption_key,
    }
    values = {name: secret.get_secret_value() for name, secret in given.items() if secret is not None}
    if len(values) < len(given):
        stored = _read_or_create(settings.key_file)
        values = {**stored, **values}
    return Keys(
        session_secret=values["session_secret"],
        pii_hash_key=values["pii_hash_key"].encode(),
        pii_encryption_key=values["pii_encryption_key"],
    )
