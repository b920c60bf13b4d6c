"""API keys (接口密钥): issue, list, revoke, and find the caller behind a key."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.identity import credentials, repository
from seagreen.identity.domain import (
    ALL_SCOPES,
    ApiKey,
    IssuedApiKey,
    OrgKind,
    Principal,
    PrincipalKind,
    effective_roles,
    is_valid_scope,
    parse_api_key,
    touch_due,
)
from seagreen.identity.errors import (
    ApiKeyNotFound,
    InvalidIdentityInput,
)
from seagreen.identity.service.orgs import get_org
from seagreen.identity.service.users import checked_roles
from seagreen.kit.clock import utcnow


def create_api_key(
    session: Session,
    *,
    org_code: str,
    roles: Iterable[str],
    scopes: Iterable[str] = (ALL_SCOPES,),
    name: str = "",
    created_by_user_id: int | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> IssuedApiKey:
    """Issue an API key for an organisation. The full key is in the result and nowhere else.

    Its roles must be ones the organisation's kind may hold; ``scopes`` narrow it further
    (``*``, the default, narrows nothing).
    """
    org = get_org(session, org_code)
    if not org.active:
        raise InvalidIdentityInput(f"organisation {org.code!r} is not active", org=org.code)
    checked = checked_roles(org.kind, roles)
    scope_list = sorted({scope.strip() for scope in scopes if scope.strip()}) or [ALL_SCOPES]
    bad = [scope for scope in scope_list if not is_valid_scope(scope)]
    if bad:
        raise InvalidIdentityInput(f"invalid scopes: {', '.join(bad)}", scopes=bad)
    prefix, key = credentials.new_api_key()
    while repository.api_key_hash(session, prefix) is not None:
        prefix, key = credentials.new_api_key()
    repository.insert_api_key(
        session,
        checked,
        prefix=prefix,
        key_hash=credentials.token_digest(key),
        name=name.strip()[:200],
        org_id=org.id,
        created_by_user_id=created_by_user_id,
        scopes=" ".join(scope_list),
        created_at=now or utcnow(),
        revoked_at=None,
        last_used_at=None,
    )
    audit.record(
        session,
        actor,
        "identity.api_key.create",
        "api_key",
        prefix,
        details={"org": org.code, "roles": checked, "scopes": scope_list, "name": name},
    )
    api_key = repository.api_key_by_prefix(session, prefix)
    assert api_key is not None
    return IssuedApiKey(key=key, api_key=api_key)


def list_api_keys(session: Session, org_code: str | None = None) -> list[ApiKey]:
    return repository.list_api_keys(session, org_code)


def revoke_api_key(
    session: Session, prefix: str, *, actor: Actor, reason: str = "", now: datetime | None = None
) -> ApiKey:
    """Revoke a key for good (a revoked key is refused from the next request on)."""
    prefix = prefix.removeprefix("sg_").split("_")[0]
    api_key = repository.api_key_by_prefix(session, prefix)
    if api_key is None:
        raise ApiKeyNotFound(f"no API key with prefix {prefix!r}", prefix=prefix)
    if api_key.active:
        repository.revoke_api_key(session, api_key.id, now or utcnow())
        audit.record(session, actor, "identity.api_key.revoke", "api_key", prefix, reason=reason)
    revoked = repository.api_key_by_prefix(session, prefix)
    assert revoked is not None
    return revoked


def principal_for_api_key(
    session: Session, raw_key: str, *, now: datetime | None = None
) -> tuple[Principal, bool] | None:
    """The caller behind an API key and whether its ``last_used_at`` is due for an update.

    The key is found by its public prefix and checked by a constant-time comparison of hashes.
    A revoked key, or a key of an inactive organisation, is no key.
    """
    prefix = parse_api_key(raw_key)
    if prefix is None:
        return None
    row = repository.api_key_for_auth(session, prefix)
    if row is None or not credentials.digests_match(row.key_hash, raw_key.strip()):
        return None
    if row.revoked_at is not None or not row.org_active:
        return None
    org_kind = OrgKind(row.org_kind)
    principal = Principal(
        kind=PrincipalKind.API_KEY,
        user_id=None,
        api_key_id=int(row.id),
        org_id=int(row.org_id),
        org_code=row.org_code,
        org_kind=org_kind,
        roles=effective_roles(org_kind, repository.api_key_roles(session, int(row.id))),
        scopes=frozenset(row.scopes.split()),
        display_name=f"{row.name} (sg_{prefix})" if row.name else f"sg_{prefix}",
    )
    return principal, touch_due(row.last_used_at, now or utcnow())


def touch_api_key(session: Session, api_key_id: int, *, now: datetime | None = None) -> None:
    """Note that a key was used (the caller does this at most once a minute per key)."""
    repository.touch_api_key(session, api_key_id, now or utcnow())
