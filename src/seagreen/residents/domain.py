"""Pure rules of residents' sign-in by phone number and one-time code (短信验证码登录).

A code is six digits, valid for five minutes, usable once and for five attempts at most; only
its keyed digest is stored. Requests are throttled per phone number and per client, so that
nobody can flood a phone with messages or guess codes at scale. The answer to a request never
says whether the phone number belongs to a resident.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

CODE_DIGITS = 6


@dataclass(frozen=True)
class CodePolicy:
    ttl: timedelta = timedelta(minutes=5)
    max_attempts: int = 5
    resend_after: timedelta = timedelta(seconds=60)
    per_phone_per_hour: int = 5
    per_client_per_hour: int = 20


DEFAULT_POLICY = CodePolicy()


def new_code(randbelow: int) -> str:
    """A code from a random number below ``10 ** CODE_DIGITS`` (the caller draws it securely)."""
    if not 0 <= randbelow < 10**CODE_DIGITS:
        raise ValueError("out of range")
    return f"{randbelow:0{CODE_DIGITS}d}"


def code_digest(key: bytes, phone_hash: str, code: str) -> str:
    """The keyed digest stored for a code: worthless without the platform's key."""
    return hmac.new(key, f"otp:{phone_hash}:{code}".encode(), hashlib.sha256).hexdigest()


def normalise_code(raw: str) -> str | None:
    digits = "".join(ch for ch in raw if not ch.isspace())
    digits = digits.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    return digits if len(digits) == CODE_DIGITS and digits.isdigit() else None


def retry_after(
    phone_requests: Sequence[datetime],
    client_requests: Sequence[datetime],
    now: datetime,
    policy: CodePolicy = DEFAULT_POLICY,
) -> int:
    """Seconds to wait before another code may be sent (0: send now), given the earlier
    requests of this phone and this client within the last hour."""
    hour = now - timedelta(hours=1)
    waits = [0]
    phone = sorted(moment for moment in phone_requests if moment > hour)
    client = sorted(moment for moment in client_requests if moment > hour)
    if phone and now - phone[-1] < policy.resend_after:
        waits.append(int((phone[-1] + policy.resend_after - now).total_seconds()) + 1)
    if len(phone) >= policy.per_phone_per_hour:
        waits.append(int((phone[-policy.per_phone_per_hour] + timedelta(hours=1) - now).total_seconds()) + 1)
    if len(client) >= policy.per_client_per_hour:
        oldest = client[-policy.per_client_per_hour]
        waits.append(int((oldest + timedelta(hours=1) - now).total_seconds()) + 1)
    return max(waits)


def mask_phone(phone: str) -> str:
    """``139****0001``: enough for a resident to recognise their number, not to read it."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"
