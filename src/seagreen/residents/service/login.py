"""Residents sign in with their phone number and a one-time code (手机号 + 短信验证码).

The code is sent by a pluggable :class:`CodeSender`: ``log`` (the default for development and the
demo) writes it to the server's log; a deployment names its SMS gateway's sender class in
``SEAGREEN_OTP_SENDER`` (``package.module:ClassName``). Only keyed digests of codes and keyed
hashes of phones and clients are stored.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import logging
import secrets
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.identity import service as identity
from seagreen.identity.domain import LoginResult
from seagreen.identity.pii import PiiError, PiiProtector, normalise_phone
from seagreen.kit.clock import from_micros, to_micros, utcnow
from seagreen.residents import repository
from seagreen.residents.domain import (
    DEFAULT_POLICY,
    CodePolicy,
    code_digest,
    mask_phone,
    new_code,
    normalise_code,
    retry_after,
)
from seagreen.residents.errors import CodeRejected, InvalidPhone, TooManyCodeRequests

LOG = "seagreen.residents.codes"


class CodeSender(Protocol):
    """Delivers a sign-in code to a phone (an SMS gateway in production)."""

    def send(self, phone: str, code: str, *, valid_minutes: int) -> None: ...


class LogSender:
    """Writes the code to the server's log (stderr): development and the demo. Never use it in
    production: anyone who reads the log can sign in as anyone."""

    def __init__(self) -> None:
        self.logger = logging.getLogger(LOG)
        self.logger.setLevel(logging.INFO)
        if not any(isinstance(h, logging.StreamHandler) for h in self.logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
            self.logger.addHandler(handler)
            self.logger.propagate = False

    def send(self, phone: str, code: str, *, valid_minutes: int) -> None:
        self.logger.info(
            "【海绿 SeaGreen】登录验证码 sign-in code for %s: %s (valid %d min)",
            mask_phone(phone),
            code,
            valid_minutes,
        )


class MemorySender:
    """Keeps the last code per phone (tests, and demos driven by a script)."""

    def __init__(self) -> None:
        self.sent: dict[str, str] = {}

    def send(self, phone: str, code: str, *, valid_minutes: int) -> None:
        self.sent[phone] = code


def sender_named(name: str) -> CodeSender:
    """``log``, ``memory`` or ``package.module:ClassName`` (constructed without arguments)."""
    if name in ("", "log"):
        return LogSender()
    if name == "memory":
        return MemorySender()
    module_name, _, class_name = name.partition(":")
    sender: CodeSender = getattr(importlib.import_module(module_name), class_name)()
    return sender


def client_hash(pii: PiiProtector, client: str) -> str:
    return hmac.new(pii.hash_key, f"client:{client}".encode(), hashlib.sha256).hexdigest()


def _phone(pii: PiiProtector, raw: str) -> tuple[str, str]:
    try:
        phone = normalise_phone(raw)
    except PiiError as exc:
        raise InvalidPhone(str(exc)) from exc
    return phone, pii.phone_hash(phone)


@dataclass(frozen=True)
class CodeRequested:
    """What the answer to a request says: the same whether or not the phone is registered."""

    masked_phone: str
    valid_minutes: int
    resend_after_s: int


def request_code(
    session: Session,
    *,
    phone: str,
    client: str,
    pii: PiiProtector,
    sender: CodeSender,
    now: datetime | None = None,
    policy: CodePolicy = DEFAULT_POLICY,
) -> CodeRequested:
    """Send a sign-in code to a registered resident's phone (throttled per phone and client)."""
    moment = now or utcnow()
    now_us = to_micros(moment)
    number, phone_hash = _phone(pii, phone)
    client_key = client_hash(pii, client)
    hour_ago = to_micros(moment - timedelta(hours=1))
    wait = retry_after(
        [from_micros(at) for at in repository.phone_requests_since(session, phone_hash, hour_ago)],
        [from_micros(at) for at in repository.client_requests_since(session, client_key, hour_ago)],
        moment,
        policy,
    )
    if wait:
        raise TooManyCodeRequests(f"please wait {wait} s before asking for another code", retry_after=wait)
    resident = identity.resident_by_phone_hash(session, phone_hash)
    code = new_code(secrets.randbelow(10**6)) if resident is not None else None
    repository.insert_code(
        session,
        phone_hash=phone_hash,
        client_hash=client_key,
        code_digest=None if code is None else code_digest(pii.hash_key, phone_hash, code),
        created_at_us=now_us,
        expires_at_us=to_micros(moment + policy.ttl),
        attempts=0,
        consumed_at_us=None,
    )
    minutes = int(policy.ttl.total_seconds() // 60)
    if code is not None:
        sender.send(number, code, valid_minutes=minutes)
    return CodeRequested(mask_phone(number), minutes, int(policy.resend_after.total_seconds()))


def verify_code(
    session: Session,
    *,
    phone: str,
    code: str,
    pii: PiiProtector,
    session_hours: int,
    now: datetime | None = None,
    policy: CodePolicy = DEFAULT_POLICY,
) -> LoginResult:
    """Check a code and open the resident's session. A failure counts against the code (the
    entrypoint commits it) and says nothing about why."""
    moment = now or utcnow()
    now_us = to_micros(moment)
    number, phone_hash = _phone(pii, phone)
    typed = normalise_code(code)
    row = repository.latest_open_code(session, phone_hash, now_us)
    reason = None
    if row is None:
        reason = "no_open_code"
    elif row.attempts >= policy.max_attempts:
        reason = "too_many_attempts"
    else:
        repository.count_attempt(session, int(row.id))
        expected = row.code_digest or ""
        given = code_digest(pii.hash_key, phone_hash, typed) if typed else ""
        if not hmac.compare_digest(expected, given):
            reason = "wrong_code"
    resident = identity.resident_by_phone_hash(session, phone_hash) if reason is None else None
    if reason is None and resident is None:
        reason = "not_a_resident"
    if reason is not None or resident is None:
        audit.record(
            session,
            Actor.system("resident-login"),
            "identity.session.login_failed",
            "phone",
            mask_phone(number),
            details={"method": "phone_code", "reason": reason},
            now=moment,
        )
        return LoginResult(ok=False)
    repository.consume(session, phone_hash, now_us)
    return identity.open_resident_session(
        session,
        resident,
        display_name=mask_phone(number),
        session_hours=session_hours,
        method="phone_code",
        now=moment,
    )


def reject(result: LoginResult) -> None:
    if not result.ok:
        raise CodeRejected("the code is not valid: ask for a new one")


def purge_codes(session: Session, *, now: datetime | None = None, keep_days: int = 7) -> int:
    """Delete sign-in code records older than ``keep_days`` (the job): they serve throttling only."""
    moment = now or utcnow()
    return repository.delete_older_than(session, to_micros(moment - timedelta(days=keep_days)))
