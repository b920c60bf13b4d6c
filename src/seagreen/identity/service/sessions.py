"""Browser sessions (登录会话): password login with lockout, session lookup, logout."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.identity import credentials, repository
from seagreen.identity.domain import (
    DEFAULT_LOCKOUT,
    LockoutPolicy,
    LoginResult,
    OrgKind,
    Principal,
    PrincipalKind,
    after_failed_login,
    effective_roles,
    is_locked,
    normalise_username,
    session_expiry,
)
from seagreen.kit.clock import utcnow


def login(
    session: Session,
    username: str,
    password: str,
    *,
    session_hours: int,
    now: datetime | None = None,
    policy: LockoutPolicy = DEFAULT_LOCKOUT,
) -> LoginResult:
    """Check a username and password; on success open a browser session.

    A failure says nothing about why (unknown user, wrong password, locked, inactive), so that
    the login form does not tell an attacker which usernames exist. The entrypoint must commit
    a failure too: the failure counter and the audit event are part of the result.
    """
    now = now or utcnow()
    name = normalise_username(username)[:64]
    row = repository.login_row(session, name)
    reason = None
    if row is None:
        credentials.verify_password(None, password)  # same time as for a real user
        reason = "unknown_user"
    elif is_locked(row.locked_until, now):
        credentials.verify_password(None, password)
        reason = "locked"
    elif not credentials.verify_password(row.password_hash, password):
        failures, locked_until = after_failed_login(row.failed_logins, now, policy)
        repository.set_login_state(session, row.id, failed_logins=failures, locked_until=locked_until)
        reason = "wrong_password" if locked_until is None else "wrong_password_now_locked"
    elif not row.active or not repository.org_is_active(session, row.org_id):
        reason = "inactive"
    if reason is not None or row is None:
        audit.record(
            session,
            Actor.system("web-login"),
            "identity.session.login_failed",
            "user",
            row.id if row else name,
            details={"username": name, "reason": reason},
            now=now,
        )
        return LoginResult(ok=False)

    assert row.password_hash is not None
    if credentials.password_needs_rehash(row.password_hash):
        repository.set_password_hash(session, row.id, credentials.hash_password(password))
    repository.set_login_state(session, row.id, failed_logins=0, locked_until=None)
    repository.delete_expired_web_sessions(session, row.id, now)
    token = credentials.new_token()
    expires_at = session_expiry(now, session_hours)
    repository.insert_web_session(
        session,
        token_hash=credentials.token_digest(token),
        user_id=row.id,
        csrf_token=credentials.new_token(),
        created_at=now,
        expires_at=expires_at,
    )
    principal = principal_for_session(session, token, now=now)
    assert principal is not None
    audit.record(session, principal.as_actor(), "identity.session.login", "user", row.id, now=now)
    return LoginResult(ok=True, principal=principal, session_token=token, expires_at=expires_at)


def principal_for_session(session: Session, token: str, *, now: datetime | None = None) -> Principal | None:
    """The signed-in user behind a session cookie, or ``None`` if it is unknown, expired or disabled."""
    if not token:
        return None
    row = repository.web_session_for_auth(session, credentials.token_digest(token))
    if row is None or row.expires_at <= (now or utcnow()) or not row.active:
        return None
    if row.org_id is not None and not row.org_active:
        return None
    org_kind = OrgKind(row.org_kind) if row.org_kind else None
    return Principal(
        kind=PrincipalKind.USER,
        user_id=int(row.user_id),
        api_key_id=None,
        org_id=row.org_id,
        org_code=row.org_code,
        org_kind=org_kind,
        roles=effective_roles(org_kind, repository.user_roles(session, int(row.user_id))),
        scopes=frozenset(),
        display_name=row.display_name,
        csrf=row.csrf_token,
        resident_id=row.resident_id,
    )


def logout(session: Session, token: str, *, actor: Actor) -> bool:
    """End a browser session; ``False`` if there was none."""
    ended = repository.delete_web_session(session, credentials.token_digest(token)) > 0
    if ended:
        audit.record(session, actor, "identity.session.logout", "user", actor.id)
    return ended
