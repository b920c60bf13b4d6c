"""One translation catalogue for every user-facing text: zh-CN first, English second.

The catalogue is ``messages.toml`` beside this file plus one ``messages/<module>.toml`` per
capability (so modules add their texts without touching each other's): a table per key with
``zh`` and ``en``. A key defined twice is an error.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"
CATALOGUE_FILE = Path(__file__).with_name("messages.toml")
MODULE_CATALOGUES = Path(__file__).with_name("messages")


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, dict[str, str]]:
    flat: dict[str, dict[str, str]] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and ("zh" in value or "en" in value):
            flat[key] = {"zh-CN": value.get("zh", ""), "en": value.get("en", "")}
            nested = {k: v for k, v in value.items() if k not in ("zh", "en")}
            flat.update(_flatten(nested, key + "."))
        elif isinstance(value, dict):
            flat.update(_flatten(value, key + "."))
    return flat


def catalogue_files() -> list[Path]:
    return [CATALOGUE_FILE, *sorted(MODULE_CATALOGUES.glob("*.toml"))]


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for path in catalogue_files():
        with path.open("rb") as handle:
            entries = _flatten(tomllib.load(handle))
        clashes = sorted(entries.keys() & merged.keys())
        if clashes:
            raise ValueError(f"{path.name} defines keys already defined elsewhere: {', '.join(clashes)}")
        merged.update(entries)
    return merged


def normalise_locale(value: str | None) -> str:
    if not value:
        return DEFAULT_LOCALE
    value = value.strip().lower()
    if value.startswith("en"):
        return "en"
    return DEFAULT_LOCALE


def translate(key: str, locale: str = DEFAULT_LOCALE, **params: Any) -> str:
    """The text for ``key`` in ``locale`` (falling back to Chinese, then to the key itself)."""
    entry = catalogue().get(key)
    text = (entry.get(locale) or entry.get(DEFAULT_LOCALE) or key) if entry else key
    return text.format(**params) if params else text


def key(*parts: str) -> str:
    """A key built from a group and a value (``key("resident.status", "used")``), for templates
    that translate a value: ``t(key("benefits.kind", b.kind))``."""
    return ".".join(parts)
