"""Fifty residents' taps at once against a balance that covers ten: exactly ten vouchers.

Every thread has its own database connection and commits for real (on the suite's database,
under unique names), so the guarantees come from the database: PostgreSQL row locks and the
ledger's head lock, or SQLite's ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import pytest

from seagreen.benefits import service
from seagreen.benefits.errors import InsufficientPoints
from seagreen.carbon_account.service.points import resident_account
from seagreen.db.engine import make_session_factory
from seagreen.db.uow import unit_of_work
from seagreen.ledger import service as ledger
from tests.factories.benefits import VOUCHER_KEY, make_benefit, make_funded_resident, make_provider
from tests.factories.identity import TEST_ACTOR

ATTEMPTS = 50
PRICE = 10
FUNDED = 100  # covers 10


@pytest.mark.slow
def test_fifty_concurrent_redemptions_against_ten_redemptions_worth_give_exactly_ten_vouchers(engine):
    sessions = make_session_factory(engine)
    tag = uuid.uuid4().hex[:8]
    with unit_of_work(sessions) as session:
        provider = make_provider(session, f"cc-{tag}")
        benefit = make_benefit(
            session,
            provider,
            code=f"cc-{tag}",
            price_points=PRICE,
            stock=ATTEMPTS,
            per_resident_limit=ATTEMPTS,
        )
        ref, resident_id = make_funded_resident(session, FUNDED, ref=f"cc-{tag}")

    start = threading.Barrier(ATTEMPTS)
    outcomes: list[str] = []
    codes: list[str] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        start.wait()
        try:
            view = service.redeem(
                lambda: unit_of_work(sessions),
                resident_id=resident_id,
                benefit_code=benefit.code,
                request_key=f"tap-{n}",
                key=VOUCHER_KEY,
                actor=TEST_ACTOR,
            )
            with lock:
                outcomes.append("issued")
                codes.append(view.code or "")
        except InsufficientPoints:
            with lock:
                outcomes.append("insufficient")
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            with lock:
                outcomes.append(f"error: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert Counter(outcomes) == {"issued": FUNDED // PRICE, "insufficient": ATTEMPTS - FUNDED // PRICE}, (
        outcomes
    )
    assert len(set(codes)) == FUNDED // PRICE
    with unit_of_work(sessions, read_only=True) as session:
        wallet = ledger.balance(session, resident_account(ref))
        assert (wallet.net_credit, wallet.debits_pending) == (0, 0)
        assert service.get_benefit(session, benefit.code).stock_left == ATTEMPTS - FUNDED // PRICE
        history = service.history(session, resident_id, limit=100)
        assert len(history.redemptions) == FUNDED // PRICE
        assert ledger.verify(session).ok
