"""Residents' personal data (个人信息): normalise, hash with a key, encrypt. No database here.

SeaGreen keeps a resident's phone number and national ID number (身份证号) only as keyed hashes
(HMAC-SHA256 with ``SEAGREEN_PII_HASH_KEY``), enough to find a resident again when they present
them, never enough to read them back. Contact details (name, phone, address) that staff may need
are encrypted with Fernet (``SEAGREEN_PII_ENCRYPTION_KEY``). Without the keys a copy of the
database says nothing about who the residents are.

The encryption key setting may list several Fernet keys separated by commas: the first encrypts,
all of them decrypt, so a key can be replaced without losing what the old one encrypted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from seagreen.identity.domain import ResidentContact

if TYPE_CHECKING:
    from seagreen.kit.keys import Keys

RESIDENT_REF_PREFIX = "R"
RESIDENT_REF_LENGTH = 12  # base32 characters after the prefix: 60 random bits

_SEPARATORS = re.compile(r"[\s\-()（）.]")
_MOBILE = re.compile(r"^1\d{10}$")
_NATIONAL_ID = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


class PiiError(ValueError):
    """A phone or ID number that cannot be one, or a ciphertext that cannot be read."""


def normalise_phone(raw: str) -> str:
    """A mainland mobile number as 11 digits: full-width digits, spaces, dashes and +86 removed."""
    value = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
            break
    else:
        if len(value) == 13 and value.startswith("86"):
            value = value[2:]
    if not _MOBILE.match(value):
        raise PiiError("not a mainland mobile number (11 digits starting with 1)")
    return value


def national_id_check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of a national ID number."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalise_national_id(raw: str) -> str:
    """An 18-character national ID number with an upper-case X, its check digit verified."""
    value = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw)).upper()
    if not _NATIONAL_ID.match(value) or national_id_check_digit(value[:17]) != value[17]:
        raise PiiError("not a valid 18-character national ID number")
    return value


def new_resident_ref() -> str:
    """A resident's public reference: ``R`` and 12 random base32 characters (no personal data)."""
    raw = base64.b32encode(secrets.token_bytes(10)).decode()
    return RESIDENT_REF_PREFIX + raw[:RESIDENT_REF_LENGTH]


@dataclass(frozen=True)
class PiiProtector:
    """Hashes and encrypts personal data with the platform's keys (see ``seagreen.kit.keys``)."""

    hash_key: bytes
    encryption_key: str

    @classmethod
    def from_keys(cls, keys: Keys) -> PiiProtector:
        return cls(keys.pii_hash_key, keys.pii_encryption_key)

    def _keyed_hash(self, kind: str, value: str) -> str:
        # the kind keeps a phone number and an ID number with the same digits apart
        return hmac.new(self.hash_key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    def phone_hash(self, raw_phone: str) -> str:
        return self._keyed_hash("phone", normalise_phone(raw_phone))

    def national_id_hash(self, raw_id: str) -> str:
        return self._keyed_hash("national_id", normalise_national_id(raw_id))

    def _fernet(self) -> MultiFernet:
        keys = [key.strip() for key in self.encryption_key.split(",") if key.strip()]
        return MultiFernet([Fernet(key) for key in keys])

    def encrypt_contact(self, contact: ResidentContact) -> str:
        payload = json.dumps(asdict(contact), ensure_ascii=False, sort_keys=True).encode()
        return self._fernet().encrypt(payload).decode()

    def decrypt_contact(self, token: str) -> ResidentContact:
        try:
            data = json.loads(self._fernet().decrypt(token.encode()))
        except InvalidToken as exc:
            raise PiiError("contact details cannot be decrypted with the configured keys") from exc
        return ResidentContact(**data)

    def reencrypt(self, token: str) -> str:
        """The same contact encrypted with the first (newest) key, for key rotation."""
        return self._fernet().rotate(token.encode()).decode()
