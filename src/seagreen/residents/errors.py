"""Errors of the residents' side."""

from __future__ import annotations

from seagreen.errors import DomainError, InvalidInput


class InvalidPhone(InvalidInput):
    code = "resident_invalid_phone"


class TooManyCodeRequests(DomainError):
    """Codes are throttled per phone and per client; ``details['retry_after']`` in seconds."""

    status = 429
    code = "resident_code_throttled"


class CodeRejected(DomainError):
    """The code is wrong, expired, used, or tried too often (never says which)."""

    status = 401
    code = "resident_code_rejected"


class ResidentNotRegistered(DomainError):
    """Signed in, but not as a resident with a carbon account."""

    status = 403
    code = "resident_not_registered"
