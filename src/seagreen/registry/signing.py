"""The registry's Ed25519 signing key: sign certificates, publish the public key, verify offline.

The private key is a 32-byte seed from ``SEAGREEN_REGISTRY_SIGNING_KEY`` in production, or from
the development key file (``seagreen.kit.keys``). Verification needs only the public key, as raw
base64 or PEM, so ``seagreen registry verify-certificate`` works on a machine with no database,
no network and no private key.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from seagreen.registry.domain.certificates import envelope, key_id, signed_bytes, split_envelope
from seagreen.registry.domain.receipts import canonical_json


@dataclass(frozen=True)
class PublicKey:
    raw: bytes

    @property
    def key_id(self) -> str:
        return key_id(self.raw)

    @property
    def base64(self) -> str:
        return base64.b64encode(self.raw).decode()

    @property
    def pem(self) -> str:
        key = Ed25519PublicKey.from_public_bytes(self.raw)
        return key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    @classmethod
    def parse(cls, text: str) -> PublicKey:
        """A public key given as PEM or as the base64 of its 32 raw bytes."""
        text = text.strip()
        if text.startswith("-----BEGIN"):
            loaded = serialization.load_pem_public_key(text.encode())
            if not isinstance(loaded, Ed25519PublicKey):
                raise ValueError("not an Ed25519 public key")
            return cls(loaded.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
        try:
            raw = base64.b64decode(text, validate=True)
        except binascii.Error as exc:
            raise ValueError("not base64 or PEM") from exc
        if len(raw) != 32:
            raise ValueError("an Ed25519 public key has 32 bytes")
        return cls(raw)


class Signer:
    def __init__(self, seed_b64: str) -> None:
        seed = base64.b64decode(seed_b64)
        if len(seed) != 32:
            raise ValueError("the registry signing key must be the base64 of 32 bytes")
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key = PublicKey(
            self._key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )

    def sign(self, certificate: dict[str, Any]) -> dict[str, Any]:
        return self.sign_to_text(certificate)[0]

    def sign_to_text(self, certificate: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """The signed envelope, and its canonical JSON text (what the registry stores and serves)."""
        body = signed_bytes(certificate)
        signature = base64.b64encode(self._key.sign(body)).decode()
        signed = envelope(certificate, signature_b64=signature, key=self.public_key.key_id)
        # sorted keys put "certificate" before "signature": the text json.dumps(signed, sort_keys) gives
        text = f'{{"certificate":{body.decode()},"signature":{canonical_json(signed["signature"]).decode()}}}'
        return signed, text


@dataclass(frozen=True)
class Verification:
    valid: bool
    reason: str
    key_id: str = ""
    certificate: dict[str, Any] | None = None


def verify(document: Any, public_key: PublicKey) -> Verification:
    """Whether ``document`` (a parsed envelope) is signed by ``public_key`` and unchanged since."""
    try:
        certificate, signature = split_envelope(document)
    except ValueError as exc:
        return Verification(False, str(exc))
    if signature["key_id"] != public_key.key_id:
        return Verification(
            False,
            f"signed with key {signature['key_id']}, not with this registry's key {public_key.key_id}",
            signature["key_id"],
            certificate,
        )
    try:
        value = base64.b64decode(signature["value"], validate=True)
        Ed25519PublicKey.from_public_bytes(public_key.raw).verify(value, signed_bytes(certificate))
    except (binascii.Error, InvalidSignature):
        return Verification(
            False, "the signature does not match the content: it was altered", public_key.key_id, certificate
        )
    return Verification(
        True, "valid: signed by the registry, unchanged since", public_key.key_id, certificate
    )


def verify_text(text: str | bytes, public_key: PublicKey) -> Verification:
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return Verification(False, f"not JSON: {exc}")
    return verify(document, public_key)
