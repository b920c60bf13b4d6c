"""Programme statistics: live totals, the monthly roll-up, redemptions by benefit, the page and
its exports, and partner administration."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from seagreen.app import create_app
from seagreen.benefits import service as benefits
from seagreen.statistics import service
from tests.factories.benefits import VOUCHER_KEY, make_benefit, transactions
from tests.factories.identity import TEST_ACTOR, bearer, make_api_key
from tests.factories.residents import make_active_resident


@pytest.fixture()
def client(settings, session_factory):
    with TestClient(create_app(settings, session_factory=session_factory)) as test_client:
        yield test_client


@pytest.fixture()
def programme(session, settings, session_factory):
    resident = make_active_resident(session, settings, trips=10)
    benefit = make_benefit(session, price_points=4)
    session.commit()
    benefits.redeem(
        transactions(session_factory),
        resident_id=resident.id,
        benefit_code=benefit.code,
        request_key="stats-1",
        key=VOUCHER_KEY,
        actor=TEST_ACTOR,
    )
    service.refresh(session)
    session.commit()
    return resident, benefit


def test_live_totals_and_the_monthly_roll_up(session, programme):
    _, benefit = programme
    view = service.statistics(session)
    assert view.live.residents_with_account >= 1 and view.live.points_issued >= 10
    assert view.points_redeemed >= 4 and view.redemptions >= 1
    june = next(m for m in view.months if m.month.isoformat() == "2024-06-01")
    assert june.credited_g >= 1000 and june.residents_active >= 1
    assert any(m.points_issued >= 10 for m in view.months)
    line = next(b for b in view.benefits if b.code == benefit.code)
    assert (line.redemptions, line.points) == (1, 4)
    assert view.refreshed_at is not None


def test_the_statistics_api_page_and_exports(client, session, programme):
    key = make_api_key(session, ("authority_reviewer",))
    session.commit()
    body = client.get("/api/v1/statistics", headers=bearer(key)).json()
    assert {"live", "months", "benefits", "points_redeemed", "refreshed_at"} <= set(body)
    page = client.get("/statistics", headers=bearer(key))
    assert page.status_code == 200 and "svg" in page.text
    csv = client.get("/statistics/export?format=csv", headers=bearer(key))
    assert csv.content.startswith("\ufeff".encode()) and b"points_redeemed" in csv.content
    xlsx = client.get("/statistics/export?format=xlsx", headers=bearer(key))
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["months", "benefits", "totals"]
    assert book["months"]["A1"].value == "month"
    resident = make_api_key(session, ("partner",))
    session.commit()
    assert client.get("/api/v1/statistics", headers=bearer(resident)).status_code == 403


def test_partner_administration_lists_partners_and_issues_a_key_once(client, session, programme):
    key = make_api_key(session, ("operator",))
    session.commit()
    partners = client.get("/api/v1/partners", headers=bearer(key)).json()
    assert any(p["consents"] >= 1 and p["accepted"] >= 10 for p in partners)
    created = client.post(
        "/api/v1/partners", json={"code": "adm-ferry", "kind": "transit", "name": "渡轮"}, headers=bearer(key)
    )
    assert created.status_code == 201 and created.json()["api_key"].startswith("sg_")
    page = client.get("/carbon-account/partners", headers=bearer(key))
    assert page.status_code == 200 and "adm-ferry" in page.text
