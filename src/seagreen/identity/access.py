"""Who is calling, and may they? The FastAPI dependencies every module's routes use.

A caller is a ``Principal``: a browser signed in with a session cookie, or a program sending
``Authorization: Bearer sg_…``. Routes declare the roles they accept::

    @router.get("/things")
    def things(principal: RequireAuthority, session: ReadSession) -> ...: ...

With no or bad credentials the route answers 401 (pages redirect to ``/login``), with a role it
does not accept 403. Browser sessions must also send their CSRF token with every change: the
``csrf`` form field (``{{ principal.csrf }}`` in templates) or the ``X-CSRF-Token`` header; API
keys need none, since a browser never sends them on its own.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from seagreen.audit.domain import Actor
from seagreen.db.uow import unit_of_work
from seagreen.errors import Forbidden, Unauthenticated
from seagreen.identity import credentials, service
from seagreen.identity.domain import Principal, PrincipalKind, Role
from seagreen.identity.errors import CsrfRejected
from seagreen.identity.pii import PiiProtector
from seagreen.kit.keys import Keys

__all__ = [
    "Caller",
    "OptionalPrincipal",
    "Pii",
    "Principal",
    "PrincipalCookieMiddleware",
    "PrincipalKind",
    "RequireAuthority",
    "RequireBankOfficer",
    "RequireOperator",
    "RequirePartner",
    "RequirePartnerInThread",
    "RequirePlatformAdmin",
    "RequireResident",
    "RoleRequirement",
    "SignedIn",
    "actor_of",
    "current_principal",
    "new_form_token",
    "pii_protector",
    "require_roles",
    "verify_csrf",
]

SESSION_COOKIE = "sg_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_RESOLVED_FROM_COOKIE = "principal_from_cookie"


def actor_of(principal: Principal) -> Actor:
    """The audit log's ``Actor`` for a principal (a user or an API key, with its organisation)."""
    return principal.as_actor()


def _factory(app: object) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = app.state.session_factory  # type: ignore[attr-defined]
    return factory


def _principal_from_cookie(factory: sessionmaker[Session], token: str) -> Principal | None:
    with unit_of_work(factory, read_only=True) as session:
        return service.principal_for_session(session, token)


def _principal_from_api_key(factory: sessionmaker[Session], raw_key: str) -> Principal | None:
    with unit_of_work(factory, read_only=True) as session:
        found = service.principal_for_api_key(session, raw_key)
    if found is None:
        return None
    principal, touch_due = found
    if touch_due and principal.api_key_id is not None:
        with unit_of_work(factory) as session:
            service.touch_api_key(session, principal.api_key_id)
    return principal


def _bearer_token(connection: HTTPConnection) -> str | None:
    scheme, _, value = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def current_principal(request: Request) -> Principal | None:
    """The caller, from the bearer API key if one is sent, else from the session cookie.

    Resolves in short transactions of its own, so that no session is held open across the
    endpoint; also puts the principal on ``request.state.principal`` for the page layout.
    """
    bearer = _bearer_token(request)
    if bearer is not None:
        principal = _principal_from_api_key(_factory(request.app), bearer)
    elif getattr(request.state, _RESOLVED_FROM_COOKIE, False):
        principal = getattr(request.state, "principal", None)
    else:
        token = request.cookies.get(SESSION_COOKIE)
        principal = _principal_from_cookie(_factory(request.app), token) if token else None
    request.state.principal = principal
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(current_principal)]


def new_form_token() -> str:
    """A random token for a form shown before anyone is signed in (the login form)."""
    return credentials.new_token()


def verify_csrf(principal: Principal, token: str | None) -> None:
    """Refuse a change from a browser session that did not echo the session's CSRF token."""
    if principal.csrf is None:
        return
    if not token or not hmac.compare_digest(principal.csrf.encode(), token.encode()):
        raise CsrfRejected("the form is missing its security token or it has expired; reload and retry")


async def _presented_csrf(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


class RoleRequirement:
    """A dependency that lets a caller through if they hold one of ``roles``.

    ``roles=None`` accepts any signed-in caller. ``scope``, if given, must also be granted to an
    API key. Unsafe requests from browser sessions must carry the CSRF token.
    """

    def __init__(self, roles: Iterable[str] | None, *, scope: str | None = None) -> None:
        self.roles = None if roles is None else frozenset(str(role) for role in roles)
        self.scope = scope

    def __repr__(self) -> str:
        roles = "any role" if self.roles is None else ", ".join(sorted(self.roles))
        return f"RoleRequirement({roles})"

    async def __call__(self, request: Request, principal: OptionalPrincipal) -> Principal:
        return await self.admit_here(request, self.admit(principal))

    def admit(self, principal: Principal | None) -> Principal:
        """The caller if their roles and scopes let them through; else 401 or 403."""
        if principal is None:
            raise Unauthenticated("sign in, or send an API key as 'Authorization: Bearer sg_…'")
        if self.roles is not None and not principal.has_any_role(self.roles):
            raise Forbidden(
                f"this needs one of the roles: {', '.join(sorted(self.roles))}",
                required=sorted(self.roles),
            )
        if self.scope is not None and not principal.has_scope(self.scope):
            raise Forbidden(f"this API key lacks the scope {self.scope!r}", required_scope=self.scope)
        return principal

    @staticmethod
    async def admit_here(request: Request, principal: Principal) -> Principal:
        """A browser session's change must echo its CSRF token (API keys need none)."""
        if principal.csrf is not None and request.method not in SAFE_METHODS:
            verify_csrf(principal, await _presented_csrf(request))
        return principal


@dataclass(frozen=True)
class Caller:
    """A caller admitted by ``InThreadRoleRequirement``: a browser session checked already
    (``principal``), or an API key still to be checked by ``resolve`` in the endpoint's worker
    thread."""

    requirement: RoleRequirement
    request: Request
    principal: Principal | None = None

    def resolve(self) -> Principal:
        """The principal, or 401/403 as ``RoleRequirement`` answers. Blocking: call it in the
        thread pool, before anything else of the endpoint."""
        if self.principal is not None:
            return self.principal
        return self.requirement.admit(current_principal(self.request))  # the key's look-up


class InThreadRoleRequirement(RoleRequirement):
    """``RoleRequirement`` for an endpoint that goes to the thread pool anyway: an API key is looked
    up there, by ``Caller.resolve`` at the start of the endpoint's own trip, not in a trip of its
    own before it (each trip through the pool waited 0.5-2 ms on a busy server; docs/decisions/0005,
    phase 29). A browser session, which the cookie middleware has resolved already, and a caller
    with no credentials at all are answered here, as by ``RoleRequirement``."""

    async def __call__(self, request: Request) -> Caller:  # type: ignore[override]
        if _bearer_token(request) is not None:  # looked up by ``Caller.resolve``
            return Caller(self, request)
        if getattr(request.state, _RESOLVED_FROM_COOKIE, False):
            principal = getattr(request.state, "principal", None)
        else:  # the middleware did not run (an app without it): the cookie's own trip
            principal = await run_in_threadpool(current_principal, request)
        return Caller(self, request, await self.admit_here(request, self.admit(principal)))


def require_roles(*roles: str | Role, scope: str | None = None) -> RoleRequirement:
    """A dependency accepting callers with any of ``roles`` (and ``scope`` for API keys)."""
    if not roles:
        raise ValueError("name at least one role (use SignedIn to accept any signed-in caller)")
    return RoleRequirement(roles, scope=scope)


require_signed_in = RoleRequirement(None)

SignedIn = Annotated[Principal, Depends(require_signed_in)]
RequirePlatformAdmin = Annotated[Principal, Depends(require_roles(Role.PLATFORM_ADMIN))]
RequireOperator = Annotated[Principal, Depends(require_roles(Role.OPERATOR, Role.PLATFORM_ADMIN))]
RequireAuthority = Annotated[Principal, Depends(require_roles(Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN))]
RequirePartner = Annotated[Principal, Depends(require_roles(Role.PARTNER))]
RequirePartnerInThread = Annotated[Caller, Depends(InThreadRoleRequirement({Role.PARTNER}))]
"""``RequirePartner`` for an endpoint that calls ``Caller.resolve`` in its worker thread."""
RequireBankOfficer = Annotated[Principal, Depends(require_roles(Role.BANK_OFFICER))]
RequireResident = Annotated[Principal, Depends(require_roles(Role.RESIDENT))]


def pii_protector(request: Request) -> PiiProtector:
    """The hashing and encryption of residents' personal data, with the platform's keys."""
    keys: Keys = request.app.state.keys
    return PiiProtector.from_keys(keys)


Pii = Annotated[PiiProtector, Depends(pii_protector)]


class PrincipalCookieMiddleware:
    """Knows the signed-in user on every page, public ones too, so the layout can greet them.

    Only the session cookie is read here (one indexed lookup); API keys are checked by the
    routes that need them. ``current_principal`` reuses what this found.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/static/"):
            connection = HTTPConnection(scope)
            token = connection.cookies.get(SESSION_COOKIE)
            principal = None
            if token and "app" in scope:
                principal = await run_in_threadpool(_principal_from_cookie, _factory(scope["app"]), token)
            connection.state.principal = principal
            setattr(connection.state, _RESOLVED_FROM_COOKIE, True)
        await self.app(scope, receive, send)
