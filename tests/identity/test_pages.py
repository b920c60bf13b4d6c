"""Signing in and out in the browser: the login form, the session cookie, CSRF, expiry."""

from datetime import timedelta

from sqlalchemy import update

from seagreen.app import create_app
from seagreen.identity.models import WebSessionRow
from seagreen.kit.clock import utcnow
from tests.factories.identity import PASSWORD, browser_login, form_csrf, make_user


def test_login_form_is_in_chinese_and_carries_a_csrf_token(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert "用户名" in page.text and "密码" in page.text
    assert form_csrf(page.text)


def test_signing_in_sets_an_http_only_lax_session_cookie_and_goes_to_next(client, session):
    user = make_user(session, password=PASSWORD)
    response = browser_login(client, user.username, next_url="/audit")
    assert response.status_code == 303
    assert response.headers["location"] == "/audit"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("sg_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    me = client.get("/api/v1/me").json()
    assert me["display_name"] == user.display_name
    assert me["kind"] == "user"


def test_the_session_cookie_is_secure_when_the_settings_say_so(settings, session_factory, session):
    from fastapi.testclient import TestClient

    user = make_user(session, password=PASSWORD)
    secure = settings.model_copy(update={"secure_cookies": True})
    client = TestClient(create_app(secure, session_factory=session_factory), base_url="https://testserver")
    response = browser_login(client, user.username)
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("sg_session="))
    assert "Secure" in cookie


def test_the_layout_greets_the_signed_in_user_on_public_pages(client, session):
    user = make_user(session, password=PASSWORD)
    browser_login(client, user.username)
    home = client.get("/")
    assert user.display_name in home.text
    assert "退出" in home.text


def test_a_wrong_password_shows_the_form_again_with_an_error_that_does_not_say_which_part_was_wrong(
    client, session
):
    user = make_user(session, password=PASSWORD)
    wrong_password = browser_login(client, user.username, password="not-the-password")
    unknown_user = browser_login(client, "no.such.user", password=PASSWORD)
    for response in (wrong_password, unknown_user):
        assert response.status_code == 401
        assert "用户名或密码错误" in response.text
        assert 'name="password"' in response.text
        assert "sg_session=" not in response.headers.get("set-cookie", "")
    assert client.get("/api/v1/me").status_code == 401


def test_the_error_is_translated_to_english(client, session):
    client.get("/?lang=en")
    response = browser_login(client, "no.such.user", password=PASSWORD)
    assert "Wrong username or password" in response.text


def test_a_login_post_without_the_forms_token_is_refused(client, session):
    user = make_user(session, password=PASSWORD)
    client.get("/login")
    response = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert client.get("/api/v1/me").status_code == 401


def test_next_cannot_send_the_browser_to_another_site(client, session):
    user = make_user(session, password=PASSWORD)
    for target in ("//evil.example", "https://evil.example/", "/\\evil.example"):
        client.cookies.clear()
        response = browser_login(client, user.username, next_url=target)
        assert response.headers["location"] == "/"


def test_logout_needs_the_sessions_csrf_token(client, session):
    user = make_user(session, password=PASSWORD)
    browser_login(client, user.username)
    refused = client.post("/logout", data={"csrf": "wrong"}, follow_redirects=False)
    assert refused.status_code == 403
    assert client.get("/api/v1/me").status_code == 200
    missing = client.post("/logout", follow_redirects=False)
    assert missing.status_code == 403
    assert client.get("/api/v1/me").status_code == 200


def test_logout_with_the_token_ends_the_session(client, session):
    user = make_user(session, password=PASSWORD)
    browser_login(client, user.username)
    csrf = form_csrf(client.get("/").text)  # the layout's sign-out form
    response = client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/api/v1/me").status_code == 401


def test_an_expired_session_counts_as_signed_out(client, session):
    user = make_user(session, password=PASSWORD)
    browser_login(client, user.username)
    assert client.get("/api/v1/me").status_code == 200
    session.execute(
        update(WebSessionRow)
        .where(WebSessionRow.user_id == user.id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    session.flush()
    assert client.get("/api/v1/me").status_code == 401
    page = client.get("/audit", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Faudit"


def test_a_protected_page_sends_a_signed_out_browser_to_login_and_back(client, session):
    user = make_user(session, ("authority_reviewer",), password=PASSWORD)
    first = client.get("/audit?action=identity.", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=%2Faudit%3Faction%3Didentity."
    response = browser_login(client, user.username, next_url="/audit?action=identity.")
    assert response.headers["location"] == "/audit?action=identity."
    assert client.get("/audit?action=identity.").status_code == 200


def test_a_browser_session_must_send_its_csrf_token_to_change_things_through_the_api(client, session):
    user = make_user(session, password=PASSWORD)
    browser_login(client, user.username)
    body = {"code": "wh-bus", "kind": "data_partner", "name_zh": "威海公交"}
    refused = client.post("/api/v1/orgs", json=body)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "identity_csrf_rejected"
    csrf = form_csrf(client.get("/").text)
    accepted = client.post("/api/v1/orgs", json=body, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 201


def test_the_login_form_sends_a_signed_in_browser_on_to_next(client, session):
    user = make_user(session, password=PASSWORD)
    browser_login(client, user.username)
    response = client.get("/login", params={"next": "/audit"}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/audit")
