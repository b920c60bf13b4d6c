"""Users (用户) and their roles (角色): create, find, deactivate, set a password."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import SYSTEM, Actor, ActorKind
from seagreen.identity import credentials, repository
from seagreen.identity.domain import (
    OrgKind,
    Role,
    User,
    allowed_roles,
    is_valid_username,
    normalise_username,
    password_problem,
    refused_roles,
)
from seagreen.identity.errors import (
    InvalidIdentityInput,
    ResidentNotFound,
    RoleNotAllowed,
    SelfDeactivation,
    UserExists,
    UserNotFound,
)
from seagreen.identity.service.orgs import get_org
from seagreen.kit.clock import utcnow


def get_user(session: Session, username: str) -> User:
    user = repository.user_by_username(session, normalise_username(username))
    if user is None:
        raise UserNotFound(f"no user {username!r}", username=username)
    return user


def list_users(session: Session, org_code: str | None = None) -> list[User]:
    return repository.list_users(session, org_code)


def checked_roles(org_kind: OrgKind | None, roles: Iterable[str]) -> list[str]:
    wanted = sorted({str(role).strip() for role in roles if str(role).strip()})
    if not wanted:
        raise InvalidIdentityInput("give at least one role")
    unknown = sorted(set(wanted) - {str(role) for role in Role})
    if unknown:
        raise InvalidIdentityInput(f"unknown roles: {', '.join(unknown)}", roles=unknown)
    refused = refused_roles(org_kind, wanted)
    if refused:
        allowed = ", ".join(sorted(allowed_roles(org_kind)))
        holder = f"an organisation of kind {org_kind}" if org_kind else "a resident"
        raise RoleNotAllowed(
            f"{holder} may not hold {', '.join(refused)} (allowed: {allowed})",
            refused=refused,
            allowed=sorted(allowed_roles(org_kind)),
        )
    return wanted


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    org_code: str | None,
    roles: Iterable[str],
    password: str | None = None,
    resident_ref: str | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> User:
    """Create a staff user of ``org_code``, or a resident login (``org_code=None``, ``resident_ref``).

    Without a password the user cannot sign in with one (until ``set_password``).
    """
    username = normalise_username(username)
    if not is_valid_username(username):
        raise InvalidIdentityInput(
            "a username is 3-64 lower-case letters, digits or . _ @ -", username=username
        )
    if repository.user_by_username(session, username) is not None:
        raise UserExists(f"user {username!r} already exists", username=username)
    if (org_code is None) == (resident_ref is None):
        raise InvalidIdentityInput("a user belongs to an organisation or is a resident, exactly one")
    org = get_org(session, org_code) if org_code else None
    if org is not None and not org.active:
        raise InvalidIdentityInput(f"organisation {org.code!r} is not active", org=org.code)
    resident_id = _unclaimed_resident_id(session, resident_ref) if resident_ref else None
    checked = checked_roles(org.kind if org else None, roles)
    password_hash = _new_password_hash(password) if password is not None else None
    user_id = repository.insert_user(
        session,
        checked,
        username=username,
        display_name=display_name.strip() or username,
        password_hash=password_hash,
        org_id=org.id if org else None,
        resident_id=resident_id,
        active=True,
        failed_logins=0,
        locked_until=None,
        created_at=now or utcnow(),
    )
    audit.record(
        session,
        actor,
        "identity.user.create",
        "user",
        user_id,
        details={"username": username, "org": org_code, "roles": checked},
    )
    return get_user(session, username)


def ensure_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    org_code: str | None,
    roles: Iterable[str],
    password: str | None = None,
    resident_ref: str | None = None,
    actor: Actor = SYSTEM,
) -> tuple[User, bool]:
    """The user ``username``, created with ``password`` if missing; ``True`` when it was created.

    An existing user is returned unchanged: its password and roles are not touched.
    """
    existing = repository.user_by_username(session, normalise_username(username))
    if existing is not None:
        return existing, False
    user = create_user(
        session,
        username=username,
        display_name=display_name,
        org_code=org_code,
        roles=roles,
        password=password,
        resident_ref=resident_ref,
        actor=actor,
    )
    return user, True


def _new_password_hash(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise InvalidIdentityInput(problem)
    return credentials.hash_password(password)


def _unclaimed_resident_id(session: Session, ref: str) -> int:
    found = repository.resident_by(session, ref=ref)
    if found is None:
        raise ResidentNotFound(f"no resident {ref!r}", ref=ref)
    resident = found[0]
    if repository.resident_has_login(session, resident.id):
        raise UserExists(f"resident {ref!r} already has a login", ref=ref)
    return resident.id


def set_password(session: Session, username: str, password: str, *, actor: Actor) -> None:
    """Give a user a new password (and lift a lockout)."""
    user = get_user(session, username)
    repository.set_password_hash(session, user.id, _new_password_hash(password))
    repository.set_login_state(session, user.id, failed_logins=0, locked_until=None)
    audit.record(session, actor, "identity.user.set_password", "user", user.id)


def deactivate_user(session: Session, username: str, *, actor: Actor, reason: str = "") -> User:
    """Stop a user from signing in; their open browser sessions end at once.

    API keys belong to the organisation, not to the user who created them: revoke them apart.
    """
    user = get_user(session, username)
    if actor.kind is ActorKind.USER and actor.id == str(user.id):
        raise SelfDeactivation("you cannot deactivate your own user", username=user.username)
    if user.active:
        repository.set_user_active(session, user.id, False)
        repository.delete_user_web_sessions(session, user.id)
        audit.record(
            session,
            actor,
            "identity.user.deactivate",
            "user",
            user.id,
            reason=reason,
            details={"username": user.username},
        )
    return get_user(session, user.username)
