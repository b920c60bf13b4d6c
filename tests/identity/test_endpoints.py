"""The identity API with API keys: who may do what, and what each call leaves in the audit log."""

import pytest
from sqlalchemy import text

from seagreen.audit import service as audit_service
from seagreen.audit.domain import AuditQuery
from seagreen.identity.domain import OrgKind
from tests.factories.identity import (
    PASSWORD,
    bearer,
    browser_login,
    make_api_key,
    make_org,
    make_resident,
    make_user,
)

ADMIN_ROUTES = [
    ("GET", "/api/v1/orgs"),
    ("POST", "/api/v1/orgs"),
    ("GET", "/api/v1/users"),
    ("POST", "/api/v1/users"),
    ("POST", "/api/v1/users/someone/deactivate"),
    ("GET", "/api/v1/api-keys"),
    ("POST", "/api/v1/api-keys"),
    ("POST", "/api/v1/api-keys/abcdefgh/revoke"),
]
OPERATOR_ROUTES = [("POST", "/api/v1/residents"), ("POST", "/api/v1/residents/lookup")]


def last_event(session, action):
    items = audit_service.list_events(session, AuditQuery(action=action, limit=1)).items
    return items[0] if items else None


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES + OPERATOR_ROUTES + [("GET", "/api/v1/me")])
def test_identity_api_answers_401_without_credentials(client, method, path):
    response = client.request(method, path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_identity_admin_api_answers_403_to_an_operator(client, session, method, path):
    key = make_api_key(session, ("operator",))
    assert client.request(method, path, headers=bearer(key)).status_code == 403


@pytest.mark.parametrize(("method", "path"), OPERATOR_ROUTES)
def test_resident_api_answers_403_to_a_bank(client, session, method, path):
    key = make_api_key(session, ("bank_officer",))
    assert client.request(method, path, headers=bearer(key)).status_code == 403


def test_me_describes_an_api_key(client, session):
    org = make_org(session, code="wh-bus")
    key = make_api_key(session, ("operator",), org=org)
    me = client.get("/api/v1/me", headers=bearer(key)).json()
    assert me["kind"] == "api_key"
    assert me["org_code"] == "wh-bus"
    assert me["roles"] == ["operator"]
    assert me["scopes"] == ["*"]


def test_a_malformed_or_unknown_key_is_401(client):
    assert client.get("/api/v1/me", headers=bearer("sg_nope")).status_code == 401
    assert client.get("/api/v1/me", headers=bearer("sg_abcdefgh_" + "x" * 43)).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_a_platform_admin_registers_an_organisation_and_it_is_audited(client, session):
    key = make_api_key(session)
    body = {
        "code": "wh-pbc",
        "kind": "authority",
        "name_zh": "中国人民银行威海市分行",
        "name_en": "PBoC Weihai",
    }
    created = client.post("/api/v1/orgs", json=body, headers=bearer(key))
    assert created.status_code == 201
    assert created.json()["kind"] == "authority"
    assert "wh-pbc" in [org["code"] for org in client.get("/api/v1/orgs", headers=bearer(key)).json()]
    event = last_event(session, "identity.org.create")
    assert (event.object_id, event.actor_kind) == ("wh-pbc", "api_key")
    assert client.post("/api/v1/orgs", json=body, headers=bearer(key)).status_code == 409


def test_a_platform_admin_creates_and_deactivates_a_user(client, session):
    key = make_api_key(session)
    make_org(session, OrgKind.AUTHORITY, code="wh-nfra")
    body = {
        "username": "zhang.san",
        "org_code": "wh-nfra",
        "roles": ["authority_reviewer"],
        "password": "long-enough-1",
    }
    created = client.post("/api/v1/users", json=body, headers=bearer(key))
    assert created.status_code == 201, created.text
    assert created.json()["roles"] == ["authority_reviewer"]
    assert "long-enough-1" not in created.text
    deactivated = client.post(
        "/api/v1/users/zhang.san/deactivate", json={"reason": "调岗"}, headers=bearer(key)
    )
    assert deactivated.json()["active"] is False
    assert last_event(session, "identity.user.deactivate").reason == "调岗"
    listed = client.get("/api/v1/users", params={"org": "wh-nfra"}, headers=bearer(key)).json()
    assert [user["username"] for user in listed] == ["zhang.san"]


def test_a_role_the_organisation_may_not_hold_is_422(client, session):
    key = make_api_key(session)
    make_org(session, code="wh-bus", kind=OrgKind.DATA_PARTNER)
    body = {"username": "bus.admin", "org_code": "wh-bus", "roles": ["platform_admin"]}
    response = client.post("/api/v1/users", json=body, headers=bearer(key))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "identity_role_not_allowed"


def test_an_issued_key_is_shown_once_works_and_stops_working_when_revoked(client, session):
    admin_key = make_api_key(session)
    partner = make_org(session, code="wh-water", kind=OrgKind.DATA_PARTNER)
    issued = client.post(
        "/api/v1/api-keys",
        json={"org_code": partner.code, "roles": ["partner"], "name": "水务数据"},
        headers=bearer(admin_key),
    )
    assert issued.status_code == 201
    new_key, prefix = issued.json()["key"], issued.json()["prefix"]
    listing = client.get("/api/v1/api-keys", params={"org": partner.code}, headers=bearer(admin_key))
    assert new_key not in listing.text
    assert [row["prefix"] for row in listing.json()] == [prefix]
    stored = session.execute(text("SELECT * FROM api_keys WHERE prefix = :p"), {"p": prefix}).mappings().one()
    assert new_key not in " ".join(str(value) for value in stored.values())
    assert client.get("/api/v1/me", headers=bearer(new_key)).json()["roles"] == ["partner"]

    revoked = client.post(
        f"/api/v1/api-keys/{prefix}/revoke", json={"reason": "轮换"}, headers=bearer(admin_key)
    )
    assert revoked.json()["revoked_at"] is not None
    assert client.get("/api/v1/me", headers=bearer(new_key)).status_code == 401
    assert last_event(session, "identity.api_key.revoke").object_id == prefix


def test_an_operator_registers_and_looks_up_a_resident(client, session, settings):
    key = make_api_key(session, ("operator",))
    created = client.post(
        "/api/v1/residents",
        json={"phone": "138 0631 0000", "name": "王海燕", "address": "威海市环翠区"},
        headers=bearer(key),
    )
    assert created.status_code == 201
    ref = created.json()["ref"]
    assert "13806310000" not in created.text
    found = client.post(
        "/api/v1/residents/lookup", json={"phone": "+86 13806310000", "reason": "热线"}, headers=bearer(key)
    )
    assert found.status_code == 200
    assert found.json()["resident"]["ref"] == ref
    assert found.json()["contact"] == {"name": "王海燕", "phone": "13806310000", "address": "威海市环翠区"}
    assert last_event(session, "identity.resident.create").object_id == ref
    assert last_event(session, "identity.resident.lookup").object_id == ref


def test_a_lookup_that_finds_nobody_is_404_and_still_audited(client, session, settings):
    make_resident(session, settings)
    key = make_api_key(session, ("operator",))
    response = client.post("/api/v1/residents/lookup", json={"phone": "13900000000"}, headers=bearer(key))
    assert response.status_code == 404
    event = last_event(session, "identity.resident.lookup")
    assert event.details == {"by": "phone", "found": False}


def test_a_deactivated_user_cannot_use_the_api_through_their_session(client, session):
    user = make_user(session, password=PASSWORD)
    browser_login(client, user.username)
    assert client.get("/api/v1/me").status_code == 200
    admin_key = make_api_key(session)
    client.post(f"/api/v1/users/{user.username}/deactivate", headers=bearer(admin_key))
    assert client.get("/api/v1/me").status_code == 401
