"""The identity API under ``/api/v1``: who am I, organisations, users, API keys, residents."""

from __future__ import annotations

from fastapi import APIRouter, status

from seagreen.identity import service
from seagreen.identity.access import (
    Pii,
    RequireOperator,
    RequirePlatformAdmin,
    SignedIn,
    actor_of,
)
from seagreen.identity.domain import ApiKey, Organisation, OrgKind, Principal, ResidentContact, User
from seagreen.identity.errors import ResidentNotFound
from seagreen.identity.schemas import (
    ApiKeyCreate,
    ApiKeyIssued,
    ApiKeyRead,
    DeactivateUser,
    OrgCreate,
    OrgRead,
    PrincipalRead,
    ResidentContactRead,
    ResidentCreate,
    ResidentFound,
    ResidentLookup,
    ResidentRead,
    RevokeApiKey,
    UserCreate,
    UserRead,
)
from seagreen.web.deps import ReadSession, WriteSession

router = APIRouter(prefix="/api/v1", tags=["identity"])


def _principal(principal: Principal) -> PrincipalRead:
    return PrincipalRead(
        kind=str(principal.kind),
        display_name=principal.display_name,
        org_code=principal.org_code,
        org_kind=principal.org_kind,
        roles=sorted(principal.roles),
        scopes=sorted(principal.scopes),
        resident_id=principal.resident_id,
    )


def _org(org: Organisation) -> OrgRead:
    return OrgRead.model_validate(org)


def _user(user: User) -> UserRead:
    return UserRead.model_validate(user).model_copy(update={"roles": sorted(user.roles)})


def _key(api_key: ApiKey) -> ApiKeyRead:
    return ApiKeyRead.model_validate(api_key).model_copy(
        update={"roles": sorted(api_key.roles), "scopes": sorted(api_key.scopes)}
    )


@router.get("/me", response_model=PrincipalRead, summary="Who am I? (any signed-in caller)")
def me(principal: SignedIn) -> PrincipalRead:
    return _principal(principal)


@router.get("/orgs", response_model=list[OrgRead], summary="Organisations (platform admin)")
def list_orgs(
    principal: RequirePlatformAdmin, session: ReadSession, kind: OrgKind | None = None
) -> list[OrgRead]:
    return [_org(org) for org in service.list_orgs(session, kind)]


@router.post(
    "/orgs", response_model=OrgRead, status_code=status.HTTP_201_CREATED, summary="Register an organisation"
)
def create_org(body: OrgCreate, principal: RequirePlatformAdmin, session: WriteSession) -> OrgRead:
    org = service.create_org(
        session,
        code=body.code,
        kind=body.kind,
        name_zh=body.name_zh,
        name_en=body.name_en,
        parent_code=body.parent_code,
        actor=actor_of(principal),
    )
    session.commit()
    return _org(org)


@router.get("/users", response_model=list[UserRead], summary="Users (platform admin)")
def list_users(
    principal: RequirePlatformAdmin, session: ReadSession, org: str | None = None
) -> list[UserRead]:
    return [_user(user) for user in service.list_users(session, org)]


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED, summary="Create a user")
def create_user(body: UserCreate, principal: RequirePlatformAdmin, session: WriteSession) -> UserRead:
    user = service.create_user(
        session,
        username=body.username,
        display_name=body.display_name,
        org_code=body.org_code,
        roles=body.roles,
        password=body.password.get_secret_value() if body.password else None,
        actor=actor_of(principal),
    )
    session.commit()
    return _user(user)


@router.post("/users/{username}/deactivate", response_model=UserRead, summary="Deactivate a user")
def deactivate_user(
    username: str, principal: RequirePlatformAdmin, session: WriteSession, body: DeactivateUser | None = None
) -> UserRead:
    user = service.deactivate_user(
        session, username, actor=actor_of(principal), reason=body.reason if body else ""
    )
    session.commit()
    return _user(user)


@router.get("/api-keys", response_model=list[ApiKeyRead], summary="API keys (platform admin)")
def list_api_keys(
    principal: RequirePlatformAdmin, session: ReadSession, org: str | None = None
) -> list[ApiKeyRead]:
    return [_key(api_key) for api_key in service.list_api_keys(session, org)]


@router.post(
    "/api-keys",
    response_model=ApiKeyIssued,
    status_code=status.HTTP_201_CREATED,
    summary="Issue an API key (the full key is shown once)",
)
def create_api_key(
    body: ApiKeyCreate, principal: RequirePlatformAdmin, session: WriteSession
) -> ApiKeyIssued:
    issued = service.create_api_key(
        session,
        org_code=body.org_code,
        roles=body.roles,
        scopes=body.scopes,
        name=body.name,
        created_by_user_id=principal.user_id,
        actor=actor_of(principal),
    )
    session.commit()
    return ApiKeyIssued(**_key(issued.api_key).model_dump(), key=issued.key)


@router.post("/api-keys/{prefix}/revoke", response_model=ApiKeyRead, summary="Revoke an API key")
def revoke_api_key(
    prefix: str, principal: RequirePlatformAdmin, session: WriteSession, body: RevokeApiKey | None = None
) -> ApiKeyRead:
    api_key = service.revoke_api_key(
        session, prefix, actor=actor_of(principal), reason=body.reason if body else ""
    )
    session.commit()
    return _key(api_key)


@router.post(
    "/residents",
    response_model=ResidentRead,
    status_code=status.HTTP_201_CREATED,
    summary="Register a resident (phone and ID number are kept only as keyed hashes)",
)
def register_resident(
    body: ResidentCreate, principal: RequireOperator, session: WriteSession, pii: Pii
) -> ResidentRead:
    resident = service.register_resident(
        session,
        phone=body.phone,
        national_id=body.national_id,
        contact=ResidentContact(name=body.name, address=body.address),
        pii=pii,
        actor=actor_of(principal),
    )
    session.commit()
    return ResidentRead.model_validate(resident)


@router.post(
    "/residents/lookup",
    response_model=ResidentFound,
    summary="Find a resident by phone or ID number (recorded in the audit log)",
)
def lookup_resident(
    body: ResidentLookup, principal: RequireOperator, session: WriteSession, pii: Pii
) -> ResidentFound:
    found = service.find_resident(
        session,
        pii=pii,
        actor=actor_of(principal),
        phone=body.phone,
        national_id=body.national_id,
        reason=body.reason,
    )
    session.commit()  # the lookup's audit event, found or not
    if found is None:
        raise ResidentNotFound("no resident with this phone or ID number")
    resident, contact = found
    return ResidentFound(
        resident=ResidentRead.model_validate(resident), contact=ResidentContactRead.model_validate(contact)
    )
