"""The platform's secrets: where they come from and how they are created on a fresh machine.

Production gives every key in the environment (``SEAGREEN_SESSION_SECRET``,
``SEAGREEN_PII_HASH_KEY``, ``SEAGREEN_PII_ENCRYPTION_KEY``, ``SEAGREEN_REGISTRY_SIGNING_KEY``).
A development machine that gives none gets a key file (mode 0600, outside version control)
created on first use, so ``make run`` needs nothing but Python and no secret ever lives in the
repository. A key file written before a key existed gets that key added on first use.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from seagreen.config import Settings


@dataclass(frozen=True)
class Keys:
    session_secret: str
    pii_hash_key: bytes
    pii_encryption_key: str  # a Fernet key (url-safe base64 of 32 bytes)
    registry_signing_key: str  # an Ed25519 private key's 32-byte seed, standard base64


def _new_fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _new_ed25519_seed() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


_GENERATORS: dict[str, Callable[[], str]] = {
    "session_secret": lambda: secrets.token_urlsafe(48),
    "pii_hash_key": lambda: secrets.token_urlsafe(48),
    "pii_encryption_key": _new_fernet_key,
    "registry_signing_key": _new_ed25519_seed,
}


def _write_private(path: Path, data: dict[str, str], *, replace: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    target = path.with_suffix(path.suffix + ".new") if replace else path
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)
    if replace:
        os.replace(target, path)  # atomic: a reader sees the old file or the new one


def _read_or_create(path: Path) -> dict[str, str]:
    if path.exists():
        data: dict[str, str] = json.loads(path.read_text())
        missing = [name for name in _GENERATORS if name not in data]
        if missing:  # a key added to SeaGreen after this file was made: add it, keep the others
            data.update({name: _GENERATORS[name]() for name in missing})
            _write_private(path, data, replace=True)
        return data
    data = {name: make() for name, make in _GENERATORS.items()}
    _write_private(path, data, replace=False)
    return data


def load_keys(settings: Settings) -> Keys:
    given = {
        "session_secret": settings.session_secret,
        "pii_hash_key": settings.pii_hash_key,
        "pii_encryption_key": settings.pii_encryption_key,
        "registry_signing_key": settings.registry_signing_key,
    }
    values = {name: secret.get_secret_value() for name, secret in given.items() if secret is not None}
    if len(values) < len(given):
        stored = _read_or_create(settings.key_file)
        values = {**stored, **values}
    return Keys(
        session_secret=values["session_secret"],
        pii_hash_key=values["pii_hash_key"].encode(),
        pii_encryption_key=values["pii_encryption_key"],
        registry_signing_key=values["registry_signing_key"],
    )
