"""Operators keep the catalogue and stock (API and pages); providers check and confirm vouchers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from seagreen.app import create_app
from seagreen.benefits import service
from seagreen.identity import service as identity
from seagreen.identity.domain import OrgKind
from tests.factories.benefits import (
    VOUCHER_KEY,
    make_benefit,
    make_funded_resident,
    make_provider,
    transactions,
)
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
def client(settings, session_factory):
    with TestClient(create_app(settings, session_factory=session_factory)) as test_client:
        yield test_client


@pytest.fixture()
def operator_key(session):
    return make_api_key(session, ("operator",))


def test_an_operator_adds_changes_and_restocks_a_benefit_through_the_api(client, session, operator_key):
    provider = make_provider(session)
    session.commit()
    body = {
        "code": "api-ebook",
        "provider": provider,
        "kind": "ebook",
        "name_zh": "电子书",
        "name_en": "E-book",
        "price_points": 100,
        "stock": 10,
    }
    created = client.post("/api/v1/benefits", json=body, headers=bearer(operator_key))
    assert created.status_code == 201, created.text
    changed = client.patch(
        "/api/v1/benefits/api-ebook", json={"price_points": 80}, headers=bearer(operator_key)
    )
    assert changed.json()["price_points"] == 80
    restocked = client.post(
        "/api/v1/benefits/api-ebook/stock", json={"quantity": 5}, headers=bearer(operator_key)
    )
    assert restocked.json()["stock_left"] == 15
    bad = client.post(
        "/api/v1/benefits", json={**body, "code": "x y", "price_points": 0}, headers=bearer(operator_key)
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["error"]["details"]["errors"]} >= {"code", "price_points"}
    listed = client.get("/api/v1/benefits", headers=bearer(operator_key)).json()
    assert "api-ebook" in {b["code"] for b in listed}


def test_a_benefits_provider_must_be_a_benefit_provider(session):
    from seagreen.benefits.errors import BenefitInvalid
    from tests.factories.benefits import terms

    bank = make_org(session, OrgKind.BANK)
    with pytest.raises(BenefitInvalid, match="not a benefit provider"):
        service.create_benefit(session, terms(), provider=bank.code, actor=TEST_ACTOR)


def test_the_provider_checks_and_confirms_its_voucher_through_the_api(client, session, session_factory):
    provider = make_provider(session)
    benefit = make_benefit(session, provider)
    _, rid = make_funded_resident(session, 100)
    session.commit()
    view = service.redeem(
        transactions(session_factory),
        resident_id=rid,
        benefit_code=benefit.code,
        request_key="prov-1",
        key=VOUCHER_KEY,
        actor=TEST_ACTOR,
    )
    key = make_api_key(session, ("benefit_provider",), org=identity.get_org(session, provider))
    session.commit()
    checked = client.post("/api/v1/vouchers/check", json={"code": view.code}, headers=bearer(key))
    assert checked.status_code == 200 and checked.json()["status"] == "issued"
    confirmed = client.post("/api/v1/vouchers/confirm", json={"code": view.code}, headers=bearer(key))
    assert confirmed.json()["status"] == "used"
    twice = client.post("/api/v1/vouchers/confirm", json={"code": view.code}, headers=bearer(key))
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "voucher_already_used"
    other = make_api_key(
        session, ("benefit_provider",), org=identity.get_org(session, make_provider(session))
    )
    session.commit()
    assert (
        client.post("/api/v1/vouchers/check", json={"code": view.code}, headers=bearer(other)).status_code
        == 404
    )


@pytest.mark.usefixtures("cheap_password_hashing")
def test_the_operator_pages_add_and_restock_a_benefit(client, session):
    provider = make_provider(session)
    make_user(session, ("operator",), username="ops.benefits", password=PASSWORD)
    session.commit()
    browser_login(client, "ops.benefits", PASSWORD)
    csrf = form_csrf(client.get("/benefits/admin").text)
    assert "权益与库存管理" in client.get("/benefits/admin").text
    form = {
        "csrf": csrf,
        "code": "page-coffee",
        "provider": provider,
        "kind": "merchant",
        "name_zh": "咖啡券",
        "name_en": "Coffee",
        "price_points": "40",
        "stock": "3",
        "per_resident_limit": "2",
        "limit_period": "week",
        "validity_days": "14",
    }
    created = client.post("/benefits/admin", data=form, follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"] == "/benefits/admin/page-coffee"
    detail = client.get("/benefits/admin/page-coffee")
    assert detail.status_code == 200 and "咖啡券" in detail.text
    assert (
        client.post(
            "/benefits/admin/page-coffee/stock", data={"csrf": csrf, "quantity": "7"}, follow_redirects=False
        ).status_code
        == 303
    )
    assert service.get_benefit(session, "page-coffee").stock_left == 10
    bad = client.post("/benefits/admin", data={**form, "code": "page-tea", "price_points": "many"})
    assert bad.status_code == 422


@pytest.mark.usefixtures("cheap_password_hashing")
def test_the_providers_cashier_checks_and_confirms_a_voucher_at_the_desk(client, session, session_factory):
    provider = make_provider(session)
    benefit = make_benefit(session, provider)
    _, rid = make_funded_resident(session, 100)
    make_user(
        session,
        ("benefit_provider",),
        org=identity.get_org(session, provider),
        username="desk.cashier",
        password=PASSWORD,
    )
    session.commit()
    view = service.redeem(
        transactions(session_factory),
        resident_id=rid,
        benefit_code=benefit.code,
        request_key="desk-1",
        key=VOUCHER_KEY,
        actor=TEST_ACTOR,
    )
    browser_login(client, "desk.cashier", PASSWORD)
    desk = client.get("/benefits/vouchers")
    assert desk.status_code == 200 and "核销台" in desk.text
    csrf = form_csrf(desk.text)
    checked = client.post(
        "/benefits/vouchers", data={"csrf": csrf, "code": view.code.lower(), "action": "check"}
    )
    assert checked.status_code == 200 and "可使用" in checked.text
    confirmed = client.post("/benefits/vouchers", data={"csrf": csrf, "code": view.code, "action": "confirm"})
    assert "已使用" in confirmed.text
    again = client.post("/benefits/vouchers", data={"csrf": csrf, "code": view.code, "action": "confirm"})
    assert again.status_code == 409
