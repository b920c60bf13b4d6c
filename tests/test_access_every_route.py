"""Every route of the whole application refuses callers without credentials (401, or a redirect
to the login page) and callers whose role it does not accept (403).

The walk covers whatever routers ``create_app`` includes, so a module added later is checked
without touching this file. A route that is public must be named in ``PUBLIC``; a route that
accepts every signed-in caller whatever the role must be named in ``ANY_SIGNED_IN``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Mount

from seagreen.app import create_app
from seagreen.config import Settings
from seagreen.identity import service
from seagreen.identity.access import RoleRequirement
from seagreen.identity.domain import Role
from tests.factories.identity import TEST_ACTOR, cheap_password_hashing, make_api_key, make_resident

PUBLIC = {
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),  # without a session it only clears the cookie
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/green-branch/list"),  # the public list of green sub-branches (公开名单)
    ("GET", "/green-branch/list/{number}/certificate.pdf"),
    ("GET", "/api/v1/branches/public"),
    ("GET", "/api/v1/branches/public/{number}/certificate.pdf"),
    # The public ocean carbon-sink registry: reads anyone may make. A project, its documents and its
    # reports are public once its notice starts (before that the route answers 404 to others);
    # verifying a certificate stores nothing.
    ("GET", "/registry"),
    ("GET", "/registry/serials"),
    ("GET", "/registry/public-key"),
    ("GET", "/registry/verify"),
    ("POST", "/registry/verify"),
    ("GET", "/registry/projects/{code}"),
    ("GET", "/registry/projects/{code}/documents/{document_id}"),
    ("GET", "/registry/reports/{report_id}"),
    ("GET", "/registry/retirements/{number}"),
    ("GET", "/registry/retirements/{number}/certificate.json"),
    ("GET", "/registry/retirements/{number}/certificate.pdf"),
    ("GET", "/api/v1/registry/methodologies"),
    ("GET", "/api/v1/registry/parameter-sets/{code}"),
    ("GET", "/api/v1/registry/projects"),
    ("GET", "/api/v1/registry/projects/{code}"),
    ("GET", "/api/v1/registry/projects/{code}/record"),
    ("GET", "/api/v1/registry/projects/{code}/documents/{document_id}"),
    ("GET", "/api/v1/registry/projects/{code}/reports"),
    ("GET", "/api/v1/registry/reports/{report_id}"),
    ("GET", "/api/v1/registry/overview"),
    ("GET", "/api/v1/registry/issuances"),
    ("GET", "/api/v1/registry/holdings"),
    ("GET", "/api/v1/registry/prices"),
    ("GET", "/api/v1/registry/retirements"),
    ("GET", "/api/v1/registry/retirements/{number}"),
    ("GET", "/api/v1/registry/certificates/{number}.json"),
    ("GET", "/api/v1/registry/certificates/{number}.pdf"),
    ("POST", "/api/v1/registry/certificates/verify"),
    ("GET", "/api/v1/registry/public-key"),
    ("GET", "/api/v1/registry/serials/{serial}"),
    # residents sign in by phone and one-time code (throttled; see residents/service/login.py)
    ("GET", "/me/login"),
    ("POST", "/me/login"),
    ("POST", "/me/login/verify"),
    ("POST", "/api/v1/resident-login/code"),
    ("POST", "/api/v1/resident-login/verify"),
}
ANY_SIGNED_IN = {("GET", "/api/v1/me")}
PUBLIC_MOUNTS = {"/static"}

# Roles an organisation's API key can hold, tried in this order to find one a route refuses.
KEY_ROLES = [
    Role.BUYER,
    Role.BENEFIT_PROVIDER,
    Role.PROJECT_OWNER,
    Role.PARTNER,
    Role.BANK_OFFICER,
    Role.AUTHORITY_REVIEWER,
    Role.OPERATOR,
    Role.PLATFORM_ADMIN,
]
PATH_PARAM = re.compile(r"\{[^}]+\}")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    dependant: Any

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _requirements(dependant) -> list[RoleRequirement]:
    found = [dependant.call] if isinstance(dependant.call, RoleRequirement) else []
    for sub in dependant.dependencies:
        found.extend(_requirements(sub))
    return found


def _accepted_roles(endpoint: Endpoint) -> frozenset[str] | bool | None:
    """The roles a route lets through; ``None`` for any signed-in caller, ``False`` if unchecked."""
    requirements = _requirements(endpoint.dependant)
    if not requirements:
        return False
    accepted: frozenset[str] | None = None
    for requirement in requirements:
        if requirement.roles is not None:
            accepted = requirement.roles if accepted is None else accepted & requirement.roles
    return accepted


def _app():
    # only to list the routes; the fixtures build the app that serves the requests
    return create_app(Settings(database_url="sqlite://"))


def _all_routes() -> list[tuple[str, set[str] | None, Any, BaseRoute]]:
    """(path, methods, dependant, original route) of every route, routers included at any depth."""
    return [
        (context.path, context.methods, getattr(context, "dependant", None), context.original_route)
        for context in iter_route_contexts(_app().routes)
    ]


def _protected_endpoints() -> list[Endpoint]:
    endpoints = []
    for path, methods, dependant, original in _all_routes():
        if isinstance(original, Mount):
            assert path in PUBLIC_MOUNTS, f"mount {path} is not known to be public"
            continue
        for method in sorted((methods or set()) - {"HEAD"}):
            if (method, path) in PUBLIC:
                continue
            assert dependant is not None, f"{method} {path}: not an API route and not public"
            endpoints.append(Endpoint(method, path, dependant))
    return endpoints


PROTECTED = _protected_endpoints()
__all__ = ["cheap_password_hashing"]  # a fixture used below
IDS = [str(endpoint) for endpoint in PROTECTED]


def _url(path: str) -> str:
    return PATH_PARAM.sub("1", path)


def _is_page(path: str) -> bool:
    return not path.startswith("/api/")


def test_the_public_allow_list_names_only_routes_that_exist():
    present = {(method, path) for path, methods, _, _ in _all_routes() for method in methods or ()}
    assert present >= PUBLIC, PUBLIC - present


def test_every_route_checks_a_role_or_is_explicitly_open_to_any_signed_in_caller():
    unchecked = [str(endpoint) for endpoint in PROTECTED if _accepted_roles(endpoint) is False]
    assert not unchecked, f"routes without require_roles(...): {unchecked}"
    open_to_all = {(e.method, e.path) for e in PROTECTED if _accepted_roles(e) is None}
    assert open_to_all == ANY_SIGNED_IN


@pytest.fixture()
def client(settings, session_factory):
    with TestClient(create_app(settings, session_factory=session_factory)) as test_client:
        yield test_client


@pytest.mark.parametrize("endpoint", PROTECTED, ids=IDS)
def test_without_credentials_a_route_answers_401_or_sends_the_browser_to_login(client, endpoint):
    response = client.request(endpoint.method, _url(endpoint.path), follow_redirects=False)
    if _is_page(endpoint.path):
        assert response.status_code in (401, 303), response.text[:300]
        if response.status_code == 303:
            assert response.headers["location"].startswith("/login?next=")
    else:
        assert response.status_code == 401, response.text[:300]
        assert response.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("endpoint", PROTECTED, ids=IDS)
def test_with_an_api_key_of_a_role_it_does_not_accept_a_route_answers_403(client, session, endpoint):
    accepted = _accepted_roles(endpoint)
    if accepted is None:
        pytest.skip("open to every signed-in caller (ANY_SIGNED_IN)")
    refused = next((role for role in KEY_ROLES if role not in accepted), None)
    if refused is None:
        pytest.skip("accepts every role an organisation may hold")
    key = make_api_key(session, (str(refused),))
    response = client.request(
        endpoint.method,
        _url(endpoint.path),
        headers={"Authorization": f"Bearer {key}"},
        follow_redirects=False,
    )
    assert response.status_code == 403, f"{refused}: {response.status_code} {response.text[:300]}"


@pytest.mark.parametrize("endpoint", PROTECTED, ids=IDS)
@pytest.mark.usefixtures("cheap_password_hashing")
def test_with_a_residents_browser_session_a_route_for_others_answers_403(client, session, settings, endpoint):
    accepted = _accepted_roles(endpoint)
    if accepted is None:
        pytest.skip("open to every signed-in caller (ANY_SIGNED_IN)")
    if Role.RESIDENT in accepted:
        pytest.skip("residents are let in")
    ref, _ = make_resident(session, settings)
    service.create_user(
        session,
        username="resident.walker",
        display_name="居民",
        org_code=None,
        roles=["resident"],
        resident_ref=ref,
        password="resident-password",
        actor=TEST_ACTOR,
    )
    result = service.login(session, "resident.walker", "resident-password", session_hours=1)
    session.flush()
    client.cookies.set("sg_session", result.session_token)
    headers = {"X-CSRF-Token": result.principal.csrf}  # so that only the role can refuse
    response = client.request(endpoint.method, _url(endpoint.path), headers=headers, follow_redirects=False)
    assert response.status_code == 403, response.text[:300]
