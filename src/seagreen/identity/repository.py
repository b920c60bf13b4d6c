"""All SQL of identity and access."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session, aliased

from seagreen.identity.domain import ApiKey, Organisation, OrgKind, Resident, User
from seagreen.identity.models import (
    ApiKeyRoleRow,
    ApiKeyRow,
    OrganisationRow,
    ResidentRow,
    UserRoleRow,
    UserRow,
    WebSessionRow,
)

# organisations

_parent = aliased(OrganisationRow)
_ORG_COLUMNS = (OrganisationRow, _parent.code.label("parent_code"))


def _organisation(row: Any) -> Organisation:
    org: OrganisationRow = row[0]
    return Organisation(
        id=int(org.id),
        code=org.code,
        kind=OrgKind(org.kind),
        name_zh=org.name_zh,
        name_en=org.name_en,
        parent_id=org.parent_id,
        parent_code=row.parent_code,
        active=org.active,
        created_at=org.created_at,
    )


def _orgs_query() -> Any:
    return select(*_ORG_COLUMNS).outerjoin(_parent, _parent.id == OrganisationRow.parent_id)


def org_by_code(session: Session, code: str) -> Organisation | None:
    row = session.execute(_orgs_query().where(OrganisationRow.code == code)).one_or_none()
    return _organisation(row) if row else None


def list_orgs(session: Session, kind: OrgKind | None = None) -> list[Organisation]:
    query = _orgs_query()
    if kind is not None:
        query = query.where(OrganisationRow.kind == str(kind))
    return [_organisation(row) for row in session.execute(query.order_by(OrganisationRow.code))]


def insert_org(session: Session, **values: Any) -> int:
    row = OrganisationRow(**values)
    session.add(row)
    session.flush()
    return int(row.id)


# users

_USER_COLUMNS = (UserRow, OrganisationRow.code.label("org_code"), OrganisationRow.kind.label("org_kind"))


def _roles_of_users(session: Session, user_ids: Sequence[int]) -> dict[int, frozenset[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    if user_ids:
        query = select(UserRoleRow.user_id, UserRoleRow.role).where(UserRoleRow.user_id.in_(user_ids))
        for user_id, role in session.execute(query):
            found[int(user_id)].add(role)
    return {user_id: frozenset(roles) for user_id, roles in found.items()}


def _users(session: Session, rows: Sequence[Any]) -> list[User]:
    roles = _roles_of_users(session, [int(row[0].id) for row in rows])
    users = []
    for row in rows:
        user: UserRow = row[0]
        users.append(
            User(
                id=int(user.id),
                username=user.username,
                display_name=user.display_name,
                org_id=user.org_id,
                org_code=row.org_code,
                org_kind=OrgKind(row.org_kind) if row.org_kind else None,
                roles=roles.get(int(user.id), frozenset()),
                active=user.active,
                resident_id=user.resident_id,
                created_at=user.created_at,
                has_password=user.password_hash is not None,
            )
        )
    return users


def _users_query() -> Any:
    return select(*_USER_COLUMNS).outerjoin(OrganisationRow, OrganisationRow.id == UserRow.org_id)


def user_by_username(session: Session, username: str) -> User | None:
    rows = session.execute(_users_query().where(UserRow.username == username)).all()
    return _users(session, rows)[0] if rows else None


def list_users(session: Session, org_code: str | None = None) -> list[User]:
    query = _users_query()
    if org_code is not None:
        query = query.where(OrganisationRow.code == org_code)
    return _users(session, session.execute(query.order_by(UserRow.username)).all())


def insert_user(session: Session, roles: Iterable[str], **values: Any) -> int:
    row = UserRow(**values)
    session.add(row)
    session.flush()
    user_id = int(row.id)
    rows = [{"user_id": user_id, "role": str(role)} for role in roles]
    if rows:
        session.execute(insert(UserRoleRow), rows)
    return user_id


def set_user_active(session: Session, user_id: int, active: bool) -> None:
    session.execute(update(UserRow).where(UserRow.id == user_id).values(active=active))


def login_row(session: Session, username: str) -> UserRow | None:
    """The user row a password login checks, locked against a concurrent login's counter update."""
    return session.scalars(select(UserRow).where(UserRow.username == username).with_for_update()).first()


def set_login_state(
    session: Session, user_id: int, *, failed_logins: int, locked_until: datetime | None
) -> None:
    session.execute(
        update(UserRow)
        .where(UserRow.id == user_id)
        .values(failed_logins=failed_logins, locked_until=locked_until)
    )


def set_password_hash(session: Session, user_id: int, password_hash: str) -> None:
    session.execute(update(UserRow).where(UserRow.id == user_id).values(password_hash=password_hash))


def org_is_active(session: Session, org_id: int | None) -> bool:
    if org_id is None:
        return True
    return bool(session.scalar(select(OrganisationRow.active).where(OrganisationRow.id == org_id)))


# browser sessions


def insert_web_session(session: Session, **values: Any) -> None:
    session.execute(insert(WebSessionRow).values(**values))


_CALLER_ORG = (
    OrganisationRow.id.label("org_id"),
    OrganisationRow.code.label("org_code"),
    OrganisationRow.kind.label("org_kind"),
    OrganisationRow.active.label("org_active"),
)
"""The caller's organisation, as the key and session checks read it."""


_SESSION_FOR_AUTH = (
    select(
        WebSessionRow.csrf_token,
        WebSessionRow.expires_at,
        UserRow.id.label("user_id"),
        UserRow.display_name,
        UserRow.active,
        UserRow.resident_id,
        *_CALLER_ORG,
    )
    .join(UserRow, UserRow.id == WebSessionRow.user_id)
    .outerjoin(OrganisationRow, OrganisationRow.id == UserRow.org_id)
    .where(WebSessionRow.token_hash == bindparam("token_hash"))
)
_USER_ROLES = select(UserRoleRow.role).where(UserRoleRow.user_id == bindparam("user_id"))
"""The session check's statements, built once with their values bound (every signed-in request
runs them; as for the API key check, building them cost more than running them)."""


def web_session_for_auth(session: Session, token_hash: str) -> Any | None:
    """A session with its user and organisation in one row (read on every signed-in request)."""
    return session.execute(_SESSION_FOR_AUTH, {"token_hash": token_hash}).one_or_none()


def user_roles(session: Session, user_id: int) -> frozenset[str]:
    return frozenset(session.scalars(_USER_ROLES, {"user_id": user_id}))


def delete_web_session(session: Session, token_hash: str) -> int:
    result = session.execute(delete(WebSessionRow).where(WebSessionRow.token_hash == token_hash))
    return int(result.rowcount)  # type: ignore[attr-defined]


def delete_user_web_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == user_id))


def delete_expired_web_sessions(session: Session, user_id: int, now: datetime) -> None:
    session.execute(
        delete(WebSessionRow).where(WebSessionRow.user_id == user_id, WebSessionRow.expires_at <= now)
    )


# API keys

_API_KEY_COLUMNS = (ApiKeyRow, OrganisationRow.code.label("org_code"))


def _api_keys(session: Session, rows: Sequence[Any]) -> list[ApiKey]:
    ids = [int(row[0].id) for row in rows]
    roles: dict[int, set[str]] = defaultdict(set)
    if ids:
        query = select(ApiKeyRoleRow.api_key_id, ApiKeyRoleRow.role).where(ApiKeyRoleRow.api_key_id.in_(ids))
        for key_id, role in session.execute(query):
            roles[int(key_id)].add(role)
    keys = []
    for row in rows:
        key: ApiKeyRow = row[0]
        keys.append(
            ApiKey(
                id=int(key.id),
                prefix=key.prefix,
                name=key.name,
                org_id=int(key.org_id),
                org_code=row.org_code,
                roles=frozenset(roles.get(int(key.id), ())),
                scopes=frozenset(key.scopes.split()),
                created_by_user_id=key.created_by_user_id,
                created_at=key.created_at,
                revoked_at=key.revoked_at,
                last_used_at=key.last_used_at,
            )
        )
    return keys


def _api_keys_query() -> Any:
    return select(*_API_KEY_COLUMNS).join(OrganisationRow, OrganisationRow.id == ApiKeyRow.org_id)


def insert_api_key(session: Session, roles: Iterable[str], **values: Any) -> int:
    row = ApiKeyRow(**values)
    session.add(row)
    session.flush()
    key_id = int(row.id)
    rows = [{"api_key_id": key_id, "role": str(role)} for role in roles]
    if rows:
        session.execute(insert(ApiKeyRoleRow), rows)
    return key_id


def api_key_by_prefix(session: Session, prefix: str) -> ApiKey | None:
    rows = session.execute(_api_keys_query().where(ApiKeyRow.prefix == prefix)).all()
    return _api_keys(session, rows)[0] if rows else None


_KEY_FOR_AUTH = (
    select(
        ApiKeyRow.id,
        ApiKeyRow.key_hash,
        ApiKeyRow.name,
        ApiKeyRow.scopes,
        ApiKeyRow.revoked_at,
        ApiKeyRow.last_used_at,
        *_CALLER_ORG,
    )
    .join(OrganisationRow, OrganisationRow.id == ApiKeyRow.org_id)
    .where(ApiKeyRow.prefix == bindparam("prefix"))
)
_KEY_ROLES = select(ApiKeyRoleRow.role).where(ApiKeyRoleRow.api_key_id == bindparam("key_id"))
"""The statements of every API request's key check, built once with their values bound: built
anew for each request, their construction cost more than the queries (docs/decisions/0005,
phase 28)."""


def api_key_for_auth(session: Session, prefix: str) -> Any | None:
    """A key's hash and state with its organisation in one row (read on every API request)."""
    return session.execute(_KEY_FOR_AUTH, {"prefix": prefix}).one_or_none()


def api_key_roles(session: Session, key_id: int) -> frozenset[str]:
    return frozenset(session.scalars(_KEY_ROLES, {"key_id": key_id}))


def api_key_hash(session: Session, prefix: str) -> str | None:
    return session.scalar(select(ApiKeyRow.key_hash).where(ApiKeyRow.prefix == prefix))


def list_api_keys(session: Session, org_code: str | None = None) -> list[ApiKey]:
    query = _api_keys_query()
    if org_code is not None:
        query = query.where(OrganisationRow.code == org_code)
    return _api_keys(session, session.execute(query.order_by(ApiKeyRow.created_at, ApiKeyRow.id)).all())


def revoke_api_key(session: Session, key_id: int, now: datetime) -> None:
    session.execute(
        update(ApiKeyRow).where(ApiKeyRow.id == key_id, ApiKeyRow.revoked_at.is_(None)).values(revoked_at=now)
    )


def touch_api_key(session: Session, key_id: int, now: datetime) -> None:
    session.execute(update(ApiKeyRow).where(ApiKeyRow.id == key_id).values(last_used_at=now))


# residents


def _resident(row: ResidentRow) -> Resident:
    return Resident(
        id=int(row.id),
        ref=row.ref,
        active=row.active,
        created_at=row.created_at,
        has_national_id=row.national_id_hash is not None,
    )


def insert_resident(session: Session, **values: Any) -> Resident:
    row = ResidentRow(**values)
    session.add(row)
    session.flush()
    return _resident(row)


def resident_by(
    session: Session,
    *,
    ref: str | None = None,
    phone_hash: str | None = None,
    national_id_hash: str | None = None,
) -> tuple[Resident, str] | None:
    """A resident and their encrypted contact, found by exactly one of the keyword arguments."""
    query = select(ResidentRow)
    if ref is not None:
        query = query.where(ResidentRow.ref == ref)
    elif phone_hash is not None:
        query = query.where(ResidentRow.phone_hash == phone_hash)
    elif national_id_hash is not None:
        query = query.where(ResidentRow.national_id_hash == national_id_hash)
    else:
        raise ValueError("give ref, phone_hash or national_id_hash")
    row = session.scalars(query).first()
    return (_resident(row), row.contact_encrypted) if row else None


def resident_ref_taken(session: Session, ref: str) -> bool:
    return session.scalar(select(ResidentRow.id).where(ResidentRow.ref == ref)) is not None


def resident_has_login(session: Session, resident_id: int) -> bool:
    return session.scalar(select(UserRow.id).where(UserRow.resident_id == resident_id)) is not None


def resident_ids_by_ref(session: Session, refs: Sequence[str]) -> dict[str, int]:
    """The ids of the residents with these refs (unknown refs are absent). Driver-level: the
    intake asks this for a thousand refs per request."""
    found: dict[str, int] = {}
    unique = list(dict.fromkeys(refs))
    connection = session.connection()
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    cursor = connection.connection.cursor()  # the driver's own: no result wrapping per row
    for start in range(0, len(unique), 5_000):
        chunk = unique[start : start + 5_000]
        statement = f"SELECT ref, id FROM residents WHERE ref IN ({', '.join([marker] * len(chunk))})"  # noqa: S608
        cursor.execute(statement, tuple(chunk))
        found.update((ref, int(resident_id)) for ref, resident_id in cursor.fetchall())
    return found


def insert_ref_residents(session: Session, refs: Sequence[str], created_at: datetime) -> None:
    """Residents known by a reference alone: no phone, no ID number, no contact details."""
    if refs:
        session.execute(
            insert(ResidentRow),
            [
                {
                    "ref": ref,
                    "phone_hash": None,
                    "contact_encrypted": "",
                    "active": True,
                    "created_at": created_at,
                }
                for ref in refs
            ],
        )


def login_user_of_resident(session: Session, resident_id: int) -> tuple[int, bool] | None:
    """``(user id, active)`` of a resident's login, if they have one."""
    row = session.execute(
        select(UserRow.id, UserRow.active).where(UserRow.resident_id == resident_id)
    ).first()
    return None if row is None else (int(row[0]), bool(row[1]))
