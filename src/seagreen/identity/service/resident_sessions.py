"""Residents' sign-in (居民登录) once they proved they hold their phone (a one-time code checked by
``seagreen.residents``): find the resident by the keyed hash of the phone, and open a browser
session for their login, created on first sign-in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.identity import credentials, repository
from seagreen.identity.domain import LoginResult, Resident, Role, session_expiry
from seagreen.identity.service.sessions import principal_for_session
from seagreen.identity.service.users import create_user
from seagreen.kit.clock import utcnow


def resident_by_phone_hash(session: Session, phone_hash: str) -> Resident | None:
    """The active resident registered with this phone (its keyed hash), or ``None``."""
    found = repository.resident_by(session, phone_hash=phone_hash)
    if found is None or not found[0].active:
        return None
    return found[0]


def open_resident_session(
    session: Session,
    resident: Resident,
    *,
    display_name: str,
    session_hours: int,
    method: str,
    now: datetime | None = None,
) -> LoginResult:
    """A browser session for the resident's login (created with the ``resident`` role the first
    time; it has no password). The caller has authenticated the resident by ``method``."""
    moment = now or utcnow()
    actor = Actor.system("resident-login")
    login = repository.login_user_of_resident(session, resident.id)
    if login is None:
        user = create_user(
            session,
            username=f"resident.{resident.id}",
            display_name=display_name,
            org_code=None,
            roles=[Role.RESIDENT],
            resident_ref=resident.ref,
            actor=actor,
            now=moment,
        )
        login = (user.id, user.active)
    user_id, active = login
    if not active:
        audit.record(
            session, actor, "identity.session.login_failed", "user", user_id, details={"reason": "inactive"}
        )
        return LoginResult(ok=False)
    repository.delete_expired_web_sessions(session, user_id, moment)
    token = credentials.new_token()
    expires_at = session_expiry(moment, session_hours)
    repository.insert_web_session(
        session,
        token_hash=credentials.token_digest(token),
        user_id=user_id,
        csrf_token=credentials.new_token(),
        created_at=moment,
        expires_at=expires_at,
    )
    principal = principal_for_session(session, token, now=moment)
    assert principal is not None
    audit.record(
        session,
        principal.as_actor(),
        "identity.session.login",
        "user",
        user_id,
        details={"method": method},
        now=moment,
    )
    return LoginResult(ok=True, principal=principal, session_token=token, expires_at=expires_at)
