"""The ledger API and page, as an authority or operator sees them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from seagreen.app import create_app
from seagreen.ledger import service
from seagreen.ledger.domain import AccountFlags, TransferRequest
from seagreen.ledger.service import AccountSpec
from tests.factories.identity import bearer, make_api_key


@pytest.fixture()
def client(settings, session_factory):
    with TestClient(create_app(settings, session_factory=session_factory)) as test_client:
        yield test_client


@pytest.fixture()
def funded(session):
    service.open_accounts(
        session,
        [
            AccountSpec("e:pool", "points"),
            AccountSpec("e:wallet", "points", AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
        ],
    )
    service.post_transfers(
        session,
        [TransferRequest(f"e:t{i}", "e:pool", "e:wallet", 10, "earn", memo={"event": i}) for i in range(3)],
    )
    session.commit()


def authority_headers(session) -> dict[str, str]:
    key = make_api_key(session, roles=("authority_reviewer",))
    session.commit()
    return bearer(key)


def test_status_and_verify_for_an_authority(client, session, funded):
    headers = authority_headers(session)
    status = client.get("/api/v1/ledger/status", headers=headers).json()
    assert status["transfers"] >= 3 and len(status["head_hash"]) == 64
    verified = client.get("/api/v1/ledger/verify", headers=headers).json()
    assert verified["ok"] is True and verified["problems"] == []


def test_account_history_is_newest_first_with_keyset_pages(client, session, funded):
    headers = authority_headers(session)
    first = client.get("/api/v1/ledger/accounts/e:wallet?limit=2", headers=headers).json()
    assert first["account"]["balances"]["balance"] == 30
    assert [entry["memo"]["event"] for entry in first["entries"]] == [2, 1]
    older = client.get(
        f"/api/v1/ledger/accounts/e:wallet?limit=2&before_seq={first['next_before_seq']}", headers=headers
    ).json()
    assert [entry["memo"]["event"] for entry in older["entries"]] == [0]
    assert older["next_before_seq"] is None


def test_unknown_account_is_a_404(client, session):
    response = client.get("/api/v1/ledger/accounts/nobody", headers=authority_headers(session))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "ledger_account_not_found"


def test_a_partner_may_not_read_the_ledger(client, session):
    key = make_api_key(session, roles=("partner",))
    session.commit()
    assert client.get("/api/v1/ledger/status", headers=bearer(key)).status_code == 403


def test_ledger_page_verifies_and_shows_an_account(client, session, funded):
    headers = authority_headers(session)
    page = client.get("/ledger?verify=1&account=e:wallet", headers=headers)
    assert page.status_code == 200
    assert "校验通过" in page.text
    assert "e:pool" in page.text
