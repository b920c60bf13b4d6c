"""Retirement certificates (注销证明) as signed JSON that anyone can check offline.

A certificate is an envelope ``{"certificate": {...}, "signature": {...}}``. The signature is
Ed25519 over the canonical JSON of ``certificate`` (sorted keys, no spaces, UTF-8), so any
re-serialisation of the same content verifies, and any change of a single character does not.
The signature names the key by ``key_id`` (the first 16 hex digits of the SHA-256 of the raw
public key); the key itself is published by the registry, never taken from the envelope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from seagreen.registry.domain.receipts import canonical_json, sha256_hex

CERTIFICATE_TYPE = "seagreen.registry.retirement-certificate/1"
ALGORITHM = "Ed25519"


def key_id(public_key_raw: bytes) -> str:
    return sha256_hex(public_key_raw)[:16]


def signed_bytes(certificate: Mapping[str, Any]) -> bytes:
    """The bytes a signature covers."""
    return canonical_json(certificate)


def envelope(certificate: Mapping[str, Any], *, signature_b64: str, key: str) -> dict[str, Any]:
    return {
        "certificate": dict(certificate),
        "signature": {"algorithm": ALGORITHM, "key_id": key, "value": signature_b64},
    }


def split_envelope(document: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(certificate, signature)`` of an envelope, or ValueError naming what is wrong with it."""
    if not isinstance(document, Mapping):
        raise ValueError("not a JSON object")
    certificate, signature = document.get("certificate"), document.get("signature")
    if not isinstance(certificate, Mapping) or not isinstance(signature, Mapping):
        raise ValueError("expected the keys 'certificate' and 'signature'")
    if certificate.get("type") != CERTIFICATE_TYPE:
        raise ValueError(f"not a SeaGreen retirement certificate (type {certificate.get('type')!r})")
    if signature.get("algorithm") != ALGORITHM:
        raise ValueError(f"unsupported signature algorithm {signature.get('algorithm')!r}")
    for name in ("key_id", "value"):
        if not isinstance(signature.get(name), str):
            raise ValueError(f"the signature has no {name}")
    return dict(certificate), dict(signature)
