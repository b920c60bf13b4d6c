"""The operator's overview page of the personal carbon account."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from seagreen.app import create_app
from seagreen.audit.domain import Actor
from seagreen.carbon_account import service
from seagreen.carbon_account.domain import PartnerKind
from seagreen.carbon_account.pages import bars, label_key
from seagreen.identity import service as identity
from seagreen.web.i18n import catalogue
from tests.factories.identity import PASSWORD, bearer, browser_login, make_api_key, make_user

ACTOR = Actor.system("test")
NOW = datetime(2026, 5, 6, 4, 0, tzinfo=UTC)


@pytest.fixture()
def client(settings, session_factory):
    with TestClient(create_app(settings, session_factory=session_factory)) as test_client:
        yield test_client


@pytest.fixture()
def accounted(session):
    service.load_shipped(session)
    service.add_partner(session, "pg-bus", kind="transit", name="测试公交", actor=ACTOR)
    service.add_partner(session, "pg-recycle", kind="recycler", name="测试回收", actor=ACTOR)
    identity.ensure_resident_refs(
        session, ["pg-r1", "pg-r2"], actor=ACTOR, now=datetime(2026, 1, 1, tzinfo=UTC)
    )
    service.set_consents(
        session,
        {"pg-r1": {"pg-bus", "pg-recycle"}, "pg-r2": {"pg-bus"}},
        actor=ACTOR,
        source="test",
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    common = {"prefix": "p", "actor": ACTOR, "now": NOW}
    bus = [
        {
            "event_id": f"b{i}",
            "resident_ref": "pg-r1",
            "behaviour": "bus_trip",
            "quantity": "1",
            "occurred_at": f"2026-05-0{1 + i % 3}T08:00:00",
        }
        for i in range(5)
    ] + [
        {
            "event_id": "bad",
            "resident_ref": "pg-r1",
            "behaviour": "ferry_trip",
            "quantity": "1",
            "occurred_at": "2026-05-01T08:00:00",
        }
    ]
    service.submit_events(session, partner_code="pg-bus", events=bus, **common)
    nets = [
        {
            "event_id": "n1",
            "resident_ref": "pg-r1",
            "behaviour": "fishing_net_recycled_kg",
            "quantity": "12.5",
            "occurred_at": "2026-05-02T10:00:00+08:00",
        }
    ]
    service.submit_events(session, partner_code="pg-recycle", events=nets, **common)
    session.commit()


def test_an_operator_sees_partners_ingests_totals_and_the_behaviour_chart(client, session, accounted):
    key = make_api_key(session, roles=("operator",))
    session.commit()
    page = client.get("/carbon-account", headers=bearer(key))
    assert page.status_code == 200
    html = page.text
    assert "个人碳账户运营总览" in html
    assert "测试公交" in html and "公共交通" in html and "再生资源回收" in html
    assert "废旧渔网回收" in html and "公交出行" in html  # behaviours by name, in Chinese first
    assert "<svg" in html and "<rect" in html
    assert "12.5" in html  # 12.5 kg of nets x 1000 g/kg = 12.5 kg CO2e
    english = client.get("/carbon-account?lang=en", headers=bearer(key)).text
    assert "Personal carbon account" in english and "Old fishing nets recycled" in english


def test_a_signed_in_operator_and_an_authority_may_read_it_a_partner_may_not(client, session, accounted):
    user = make_user(session, roles=("operator",), password=PASSWORD)
    reviewer = make_api_key(session, roles=("authority_reviewer",))
    partner = make_api_key(session, roles=("partner",))
    session.commit()
    assert browser_login(client, user.username).status_code in (302, 303)
    assert client.get("/carbon-account").status_code == 200
    assert client.get("/carbon-account", headers=bearer(reviewer)).status_code == 200
    assert client.get("/carbon-account", headers=bearer(partner)).status_code == 403


def test_the_widest_bar_is_the_largest_reduction():
    rows = [
        service.BehaviourTotal("a", "甲", "A", "travel", 5_000, 4_000),
        service.BehaviourTotal("b", "乙", "B", "paper", 1_250, 1_250),
    ]
    laid_out = bars(rows)
    assert [(bar.y, bar.width) for bar in laid_out] == [(0, 100.0), (28, 25.0)]
    assert bars([]) == []


def test_every_partner_kind_and_ingest_source_has_a_label():
    keys = [label_key("kind", kind) for kind in PartnerKind] + [
        label_key("source", s) for s in ("api", "file")
    ]
    assert [key for key in keys if key not in catalogue()] == []
