"""The signed-in resident's pages and their JSON equivalents: the six views, the mall, redemption,
vouchers and authorisations; nobody else's data."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from seagreen.app import create_app
from seagreen.carbon_account.service import standing
from seagreen.carbon_account.service.standing import load_shipped_grades
from tests.factories.benefits import make_benefit
from tests.factories.residents import make_active_resident, sign_in


@pytest.fixture()
def client(settings, session_factory):
    with TestClient(create_app(settings, session_factory=session_factory)) as test_client:
        yield test_client


@pytest.fixture()
def resident(session, settings):
    load_shipped_grades(session)
    made = make_active_resident(session, settings, trips=12)
    standing.refresh_ranking(session)
    session.commit()
    return made


@pytest.fixture()
def signed_in(client, resident):
    csrf = sign_in(client, resident)
    client.headers["X-CSRF-Token"] = csrf
    return client


PAGES = {
    "/me": "可用碳积分",
    "/me/records": "按数据来源",
    "/me/reductions": "按行为",
    "/me/points": "积分流水",
    "/me/vouchers": "兑换记录与券",
    "/me/ranking": "排名与成就",
    "/me/grade": "碳信用等级",
    "/me/mall": "权益商城",
    "/me/authorisations": "数据授权",
}


@pytest.mark.parametrize("path", sorted(PAGES))
def test_each_page_shows_the_residents_own_account(signed_in, path):
    response = signed_in.get(path)
    assert response.status_code == 200, response.text[:500]
    assert PAGES[path] in response.text


def test_the_summary_api_gives_balance_reductions_grade_and_rank(signed_in, resident):
    body = signed_in.get("/api/v1/me/summary").json()
    assert body["ref"] == resident.ref
    assert (body["reduction_g"], body["credited_g"], body["points_earned"]) == (1200, 1200, 12)
    assert body["points"]["available"] == 12
    assert body["rank"]["percentile"] is None  # one resident is too few to rank anyone
    assert {a["code"] for a in body["achievements"] if a["earned"]} == {"first_step"}


def test_every_view_has_a_json_equivalent(signed_in):
    records = signed_in.get("/api/v1/me/records?limit=5").json()
    assert len(records["lines"]) == 5 and records["next_before"] is not None
    assert records["lines"][0]["sources"][0]["kind"] == "transit"
    older = signed_in.get(f"/api/v1/me/records?before={records['next_before']}").json()
    assert {line["day"] for line in older["lines"]}.isdisjoint({line["day"] for line in records["lines"]})
    reductions = signed_in.get("/api/v1/me/reductions").json()
    assert reductions["behaviours"][0]["behaviour"]["code"] == "bus_trip"
    assert reductions["months"][-1]["cumulative_credited_g"] == 1200
    points = signed_in.get("/api/v1/me/points").json()
    assert points["flows"]["earned"] == 12
    assert signed_in.get("/api/v1/me/redemptions").json()["redemptions"] == []
    assert signed_in.get("/api/v1/me/ranking").json()["rank"]["credited_g"] == 1200
    grade = signed_in.get("/api/v1/me/grade").json()
    assert [t["code"] for t in grade["scheme"]["tiers"]] == ["light_green", "medium_green", "deep_green"]
    assert signed_in.get("/api/v1/me/mall").json()["available_points"] == 12


def test_a_resident_redeems_through_the_api_and_a_retry_returns_the_same_voucher(session, signed_in):
    benefit = make_benefit(session, price_points=5)
    session.commit()
    body = {"benefit": benefit.code, "request_key": "api-key-0001"}
    first = signed_in.post("/api/v1/me/redemptions", json=body)
    assert first.status_code == 201, first.text
    again = signed_in.post("/api/v1/me/redemptions", json=body)
    assert again.json()["id"] == first.json()["id"]
    assert signed_in.get("/api/v1/me/summary").json()["points"]["available"] == 7
    voucher = signed_in.get(f"/api/v1/me/redemptions/{first.json()['id']}").json()
    assert voucher["code"] and voucher["status"] == "issued"
    poor = signed_in.post(
        "/api/v1/me/redemptions",
        json={"benefit": make_benefit(session, price_points=50).code, "request_key": "api-key-0002"},
    )
    assert poor.status_code == 409 and poor.json()["error"]["code"] == "benefit_insufficient_points"


def test_a_resident_redeems_on_the_page_and_sees_the_voucher(session, signed_in):
    benefit = make_benefit(session, price_points=5)
    session.commit()
    page = signed_in.get(f"/me/mall/{benefit.code}")
    key = page.text.split('name="request_key" value="')[1].split('"')[0]
    done = signed_in.post(
        f"/me/mall/{benefit.code}/redeem", data={"request_key": key}, follow_redirects=False
    )
    assert done.status_code == 303
    voucher = signed_in.get(done.headers["location"])
    assert "兑换成功" in voucher.text and 'data-testid="voucher-code"' in voucher.text


def test_a_refused_redemption_is_explained_on_the_page(session, signed_in):
    benefit = make_benefit(session, price_points=500)
    session.commit()
    refused = signed_in.post(f"/me/mall/{benefit.code}/redeem", data={"request_key": "page-key-0001"})
    assert refused.status_code == 409
    assert "积分不足" in refused.text


def test_a_resident_withdraws_and_grants_an_authorisation(signed_in):
    partner = signed_in.get("/api/v1/me/authorisations").json()[0]
    assert partner["active"]
    after = signed_in.delete(f"/api/v1/me/authorisations/{partner['partner_code']}").json()
    assert not next(a for a in after if a["partner_code"] == partner["partner_code"])["active"]
    page = signed_in.post(
        f"/me/authorisations/{partner['partner_code']}", data={"action": "grant"}, follow_redirects=False
    )
    assert page.status_code == 303
    again = signed_in.get("/api/v1/me/authorisations").json()
    assert next(a for a in again if a["partner_code"] == partner["partner_code"])["active"]


def test_a_resident_cannot_open_another_residents_voucher(session, settings, client, signed_in):
    benefit = make_benefit(session, price_points=5)
    session.commit()
    mine = signed_in.post(
        "/api/v1/me/redemptions", json={"benefit": benefit.code, "request_key": "mine-00001"}
    ).json()
    other = make_active_resident(session, settings, trips=9)
    session.commit()
    client.cookies.clear()
    client.headers["X-CSRF-Token"] = sign_in(client, other)
    assert client.get(f"/api/v1/me/redemptions/{mine['id']}").status_code == 404
    assert client.get(f"/me/vouchers/{mine['id']}").status_code == 404
