"""Making and checking credentials: passwords, API keys, browser session tokens.

Two kinds of hash, on purpose. Passwords are chosen by people and guessable, so they get argon2
(slow and memory-hard; a stolen table costs an attacker dearly per guess). API keys and session
tokens are 256-bit random strings that nobody can guess, so a single SHA-256 is as safe and costs
microseconds on every request; a slow hash there would only slow the platform down.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from seagreen.identity.domain import API_KEY_PREFIX_ALPHABET, API_KEY_PREFIX_LENGTH, format_api_key

TOKEN_BYTES = 32


@lru_cache(maxsize=1)
def password_hasher() -> PasswordHasher:
    """argon2id with argon2-cffi's defaults (RFC 9106's low-memory profile)."""
    return PasswordHasher()


def hash_password(password: str) -> str:
    return password_hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; without a stored hash, spend the same time and say no.

    Spending the time even for unknown usernames keeps response times from telling an
    attacker which usernames exist.
    """
    try:
        return password_hasher().verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return password_hasher().check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def token_digest(token: str) -> str:
    """SHA-256 of a high-entropy token (API key, session token), as stored in the database."""
    return hashlib.sha256(token.encode()).hexdigest()


def digests_match(stored: str, token: str) -> bool:
    """Constant-time comparison of a stored digest with a presented token's digest."""
    return hmac.compare_digest(stored, token_digest(token))


def new_api_key() -> tuple[str, str]:
    """A fresh ``(prefix, full key)``; the key has 256 bits of secret after its public prefix."""
    prefix = "".join(secrets.choice(API_KEY_PREFIX_ALPHABET) for _ in range(API_KEY_PREFIX_LENGTH))
    return prefix, format_api_key(prefix, secrets.token_urlsafe(TOKEN_BYTES))


def new_token() -> str:
    """A random token for a browser session or a CSRF check."""
    return secrets.token_urlsafe(TOKEN_BYTES)
