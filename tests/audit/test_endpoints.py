"""Authorities read the audit log through the API and the /audit page; others may not."""

from seagreen.audit import service
from seagreen.audit.domain import Actor, ActorKind
from seagreen.identity.domain import OrgKind
from tests.factories.identity import PASSWORD, bearer, browser_login, make_api_key, make_org, make_user

REVIEWER = Actor(ActorKind.USER, "99", "审核员甲", "wh-pbc")


def test_an_authority_key_reads_the_log_newest_first(client, session):
    service.record(session, REVIEWER, "greenbranch.application.approve", "application", 5, reason="材料齐全")
    key = make_api_key(session, ("authority_reviewer",))
    body = client.get("/api/v1/audit", params={"action": "greenbranch."}, headers=bearer(key)).json()
    [event] = body["items"]
    assert (event["action"], event["object_id"], event["reason"]) == (
        "greenbranch.application.approve",
        "5",
        "材料齐全",
    )
    assert body["next_before"] is None


def test_a_platform_admin_reads_the_log_too(client, session):
    key = make_api_key(session, ("platform_admin",))
    assert client.get("/api/v1/audit", headers=bearer(key)).status_code == 200


def test_a_partner_key_may_not_read_the_log(client, session):
    key = make_api_key(session, ("partner",))
    response = client.get("/api/v1/audit", headers=bearer(key))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert client.get("/audit", headers=bearer(key)).status_code == 403


def test_reading_the_log_needs_credentials(client):
    assert client.get("/api/v1/audit").status_code == 401
    page = client.get("/audit", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login?next=")


def test_the_api_pages_with_next_before(client, session):
    for n in range(5):
        service.record(session, REVIEWER, "test.paging.step", "step", n)
    key = make_api_key(session, ("authority_reviewer",))
    first = client.get(
        "/api/v1/audit", params={"action": "test.paging", "limit": 3}, headers=bearer(key)
    ).json()
    second = client.get(
        "/api/v1/audit",
        params={"action": "test.paging", "limit": 3, "before": first["next_before"]},
        headers=bearer(key),
    ).json()
    assert [e["object_id"] for e in first["items"]] == ["4", "3", "2"]
    assert [e["object_id"] for e in second["items"]] == ["1", "0"]
    assert second["next_before"] is None


def test_a_time_without_a_zone_is_beijing_time(client, session):
    from datetime import UTC, datetime

    service.record(
        session, REVIEWER, "test.zone.check", "thing", "x", now=datetime(2026, 11, 1, 16, 30, tzinfo=UTC)
    )
    key = make_api_key(session, ("authority_reviewer",))
    # 16:30 UTC is 00:30 on 2 November in Beijing
    inside = client.get(
        "/api/v1/audit", params={"action": "test.zone", "since": "2026-11-02T00:00:00"}, headers=bearer(key)
    )
    outside = client.get(
        "/api/v1/audit", params={"action": "test.zone", "until": "2026-11-02T00:00:00"}, headers=bearer(key)
    )
    assert [e["object_id"] for e in inside.json()["items"]] == ["x"]
    assert outside.json()["items"] == []


def test_the_audit_page_shows_a_chinese_table_to_a_signed_in_reviewer(client, session):
    authority = make_org(session, OrgKind.AUTHORITY, code="wh-pbc")
    user = make_user(session, ("authority_reviewer",), org=authority, password=PASSWORD)
    service.record(session, REVIEWER, "identity.user.deactivate", "user", 3, reason="调岗")
    browser_login(client, user.username)
    page = client.get("/audit", params={"action": "identity.user.deactivate"})
    assert page.status_code == 200
    assert "审计日志" in page.text and "停用用户" in page.text and "调岗" in page.text
    assert 'name="viewport"' in page.text


def test_the_audit_page_filters_by_day_and_refuses_a_bad_date(client, session):
    key = make_api_key(session, ("authority_reviewer",))
    assert (
        client.get(
            "/audit", params={"since": "2026-11-01", "until": "2026-11-30"}, headers=bearer(key)
        ).status_code
        == 200
    )
    assert client.get("/audit", params={"since": "yesterday"}, headers=bearer(key)).status_code == 422


def test_the_audit_page_links_to_older_events(client, session):
    for n in range(55):
        service.record(session, REVIEWER, "test.many.rows", "row", n)
    key = make_api_key(session, ("authority_reviewer",))
    page = client.get("/audit", params={"action": "test.many"}, headers=bearer(key))
    assert "/audit?action=test.many&amp;before=" in page.text
