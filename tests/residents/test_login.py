"""Residents sign in with phone and one-time code: codes are sent only to residents, throttled,
stored as digests, usable once, for a few attempts; the answer never tells who is registered."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from seagreen.app import create_app
from seagreen.identity.domain import Role
from seagreen.residents import service
from seagreen.residents.domain import CodePolicy, mask_phone, normalise_code, retry_after
from seagreen.residents.errors import InvalidPhone, TooManyCodeRequests
from tests.factories.residents import make_phone_resident, pii_of, sign_in

NOW = datetime.fromisoformat("2026-05-14T10:00:00+08:00")


@pytest.fixture()
def sender():
    return service.MemorySender()


def ask(session, settings, sender, phone, *, now=NOW, client="10.0.0.1"):
    return service.request_code(
        session, phone=phone, client=client, pii=pii_of(settings), sender=sender, now=now
    )


def verify(session, settings, phone, code, *, now=NOW):
    return service.verify_code(
        session, phone=phone, code=code, pii=pii_of(settings), session_hours=1, now=now
    )


def test_a_registered_resident_gets_a_code_that_signs_them_in_once(session, settings, sender):
    resident = make_phone_resident(session, settings)
    answer = ask(session, settings, sender, resident.phone)
    assert answer.masked_phone == mask_phone(resident.phone)
    code = sender.sent[resident.phone]
    result = verify(session, settings, resident.phone, code, now=NOW + timedelta(minutes=1))
    assert result.ok and result.principal is not None
    assert result.principal.resident_id == resident.id
    assert Role.RESIDENT in result.principal.roles
    assert not verify(session, settings, resident.phone, code, now=NOW + timedelta(minutes=2)).ok


def test_the_same_login_is_used_on_every_sign_in(session, settings, sender):
    resident = make_phone_resident(session, settings)
    users = set()
    for minute in (0, 2):
        ask(session, settings, sender, resident.phone, now=NOW + timedelta(minutes=minute))
        result = verify(
            session,
            settings,
            resident.phone,
            sender.sent[resident.phone],
            now=NOW + timedelta(minutes=minute),
        )
        users.add(result.principal.user_id)
    assert len(users) == 1


def test_an_unknown_phone_gets_the_same_answer_and_no_code(session, settings, sender):
    answer = ask(session, settings, sender, "13912345678")
    assert answer.masked_phone == "139****5678"
    assert sender.sent == {}
    assert not verify(session, settings, "13912345678", "000000").ok


def test_codes_expire_and_only_their_digest_is_stored(session, settings, sender):
    resident = make_phone_resident(session, settings)
    ask(session, settings, sender, resident.phone)
    code = sender.sent[resident.phone]
    stored = session.execute(text("SELECT code_digest, phone_hash FROM resident_login_codes")).all()
    assert all(code not in row[0] and resident.phone not in row[1] for row in stored)
    assert not verify(session, settings, resident.phone, code, now=NOW + timedelta(minutes=6)).ok


def test_a_code_survives_five_wrong_attempts_only(session, settings, sender):
    resident = make_phone_resident(session, settings)
    ask(session, settings, sender, resident.phone)
    code = sender.sent[resident.phone]
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert not verify(session, settings, resident.phone, wrong).ok
    assert not verify(session, settings, resident.phone, code).ok


def test_requests_are_throttled_per_phone_and_per_client(session, settings, sender):
    resident = make_phone_resident(session, settings)
    ask(session, settings, sender, resident.phone)
    with pytest.raises(TooManyCodeRequests) as again:
        ask(session, settings, sender, resident.phone, now=NOW + timedelta(seconds=30))
    assert 0 < again.value.details["retry_after"] <= 31
    ask(session, settings, sender, resident.phone, now=NOW + timedelta(seconds=61))


def test_throttling_rules():
    policy = CodePolicy()
    now = NOW
    phone = [now - timedelta(minutes=m) for m in (50, 40, 30, 20, 10)]
    assert retry_after(phone, [], now, policy) == 10 * 60 + 1  # the oldest of five leaves the hour
    clients = [now - timedelta(minutes=2, seconds=s) for s in range(20)]
    assert retry_after([], clients, now, policy) > 0
    assert retry_after([now - timedelta(hours=2)], [], now, policy) == 0


def test_a_phone_that_cannot_be_one_is_refused(session, settings, sender):
    with pytest.raises(InvalidPhone):
        ask(session, settings, sender, "12345")


def test_codes_are_read_as_typed():
    assert normalise_code(" 12 34 56 ") == "123456"
    assert normalise_code("１２３４５６") == "123456"
    assert normalise_code("12345") is None


@pytest.fixture()
def client(settings, session_factory):
    with TestClient(create_app(settings, session_factory=session_factory)) as test_client:
        yield test_client


def test_the_api_signs_a_resident_in_and_refuses_a_wrong_code(client, session, settings):
    resident = make_phone_resident(session, settings)
    session.commit()
    csrf = sign_in(client, resident)
    assert csrf
    assert client.get("/api/v1/me/summary").json()["ref"] == resident.ref
    other = make_phone_resident(session, settings)
    session.commit()
    client.cookies.clear()
    client.post("/api/v1/resident-login/code", json={"phone": other.phone})
    response = client.post("/api/v1/resident-login/verify", json={"phone": other.phone, "code": "999999"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "resident_code_rejected"


def test_the_login_page_takes_a_phone_then_a_code(client, session, settings):
    resident = make_phone_resident(session, settings)
    session.commit()
    sender = service.MemorySender()
    client.app.state.code_sender = sender
    page = client.get("/me/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    sent = client.post("/me/login", data={"phone": resident.phone, "csrf": csrf, "next": "/me/points"})
    assert sent.status_code == 200 and 'name="code"' in sent.text
    csrf = sent.text.split('name="csrf" value="')[1].split('"')[0]
    wrong = client.post("/me/login/verify", data={"phone": resident.phone, "code": "12", "csrf": csrf})
    assert wrong.status_code == 401
    csrf = wrong.text.split('name="csrf" value="')[1].split('"')[0]
    done = client.post(
        "/me/login/verify",
        data={
            "phone": resident.phone,
            "code": sender.sent[resident.phone],
            "csrf": csrf,
            "next": "/me/points",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/me/points"


def test_a_login_form_without_its_token_is_refused(client):
    response = client.post("/me/login", data={"phone": "13800138000", "csrf": "forged"})
    assert response.status_code == 403
