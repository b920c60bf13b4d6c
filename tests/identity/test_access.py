"""The access dependencies other modules build on: forms and CSRF, scopes, the principal."""

from typing import Annotated

import pytest
from fastapi import Depends, Form
from fastapi.testclient import TestClient
from starlette.concurrency import run_in_threadpool

from seagreen.app import create_app
from seagreen.identity import service
from seagreen.identity.access import (
    Caller,
    InThreadRoleRequirement,
    Principal,
    RequirePlatformAdmin,
    actor_of,
    require_roles,
)
from seagreen.identity.domain import OrgKind
from tests.factories.identity import (
    PASSWORD,
    TEST_ACTOR,
    bearer,
    browser_login,
    form_csrf,
    make_api_key,
    make_org,
    make_user,
)


@pytest.fixture()
def app(settings, session_factory):
    app = create_app(settings, session_factory=session_factory)

    def note(principal: RequirePlatformAdmin, text: Annotated[str, Form()]) -> dict[str, str]:
        return {"by": principal.display_name, "text": text}

    def report(
        principal: Annotated[Principal, Depends(require_roles("partner", scope="carbon:report"))],
    ) -> dict[str, str]:
        return {"org": principal.org_code}

    async def report_in_thread(
        caller: Annotated[Caller, Depends(InThreadRoleRequirement({"partner"}, scope="carbon:report"))],
    ) -> dict[str, str]:
        principal = await run_in_threadpool(caller.resolve)  # as the events API does, in its trip
        return {"org": principal.org_code or ""}

    app.add_api_route("/notes", note, methods=["POST"])
    app.add_api_route("/api/v1/test-report", report, methods=["POST"])
    app.add_api_route("/api/v1/test-report-in-thread", report_in_thread, methods=["POST"])
    return app


def test_a_form_from_a_browser_session_is_accepted_only_with_the_sessions_csrf_field(app, session):
    client = TestClient(app)
    user = make_user(session, password=PASSWORD)
    browser_login(client, user.username)
    csrf = form_csrf(client.get("/").text)
    refused = client.post("/notes", data={"text": "海草床"})
    assert refused.status_code == 403
    assert "安全令牌" in refused.text
    assert client.post("/notes", data={"text": "海草床", "csrf": "forged"}).status_code == 403
    accepted = client.post("/notes", data={"text": "海草床", "csrf": csrf})
    assert accepted.status_code == 200
    assert accepted.json() == {"by": user.display_name, "text": "海草床"}


def test_an_api_key_needs_no_csrf_token(app, session):
    key = make_api_key(session)
    assert TestClient(app).post("/notes", data={"text": "x"}, headers=bearer(key)).status_code == 200


def test_require_roles_needs_at_least_one_role():
    with pytest.raises(ValueError):
        require_roles()


def test_a_principal_turns_into_the_audit_actor_of_its_organisation(session):
    user = make_user(session, password=PASSWORD)
    principal = service.login(session, user.username, PASSWORD, session_hours=1).principal
    actor = actor_of(principal)
    assert (actor.kind, actor.id, actor.label, actor.org_code) == (
        "user",
        str(user.id),
        user.display_name,
        user.org_code,
    )


def test_a_route_can_ask_an_api_key_for_a_scope_and_a_check_in_the_endpoints_thread_answers_alike(
    app, session
):
    org = make_org(session, OrgKind.DATA_PARTNER)
    allowed = service.create_api_key(
        session, org_code=org.code, roles=["partner"], scopes=["carbon:*"], actor=TEST_ACTOR
    ).key
    narrow = service.create_api_key(
        session, org_code=org.code, roles=["partner"], scopes=["credits:issue"], actor=TEST_ACTOR
    ).key
    other_role = make_api_key(session, ("bank_officer",))
    client = TestClient(app)
    for path in ("/api/v1/test-report", "/api/v1/test-report-in-thread"):
        assert client.post(path, headers=bearer(allowed)).json() == {"org": org.code}, path
        assert client.post(path).status_code == 401, path  # no credentials at all
        assert client.post(path, headers=bearer("sg_not-a-key")).status_code == 401, path
        refused = client.post(path, headers=bearer(narrow))
        assert refused.status_code == 403, path
        assert refused.json()["error"]["details"] == {"required_scope": "carbon:report"}
        wrong = client.post(path, headers=bearer(other_role))
        assert wrong.status_code == 403, path
        assert wrong.json()["error"]["details"] == {"required": ["partner"]}


def test_a_browser_session_checked_for_the_endpoints_thread_still_needs_its_csrf_token(app, session):
    user = make_user(session, ("partner",), password=PASSWORD)
    client = TestClient(app)
    browser_login(client, user.username)
    csrf = form_csrf(client.get("/").text)
    path = "/api/v1/test-report-in-thread"
    assert client.post(path).status_code == 403  # a change without the session's token
    assert client.post(path, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post(path, headers={"X-CSRF-Token": csrf}).json() == {"org": user.org_code}
