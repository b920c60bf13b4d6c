"""Many processes spending from one account at once never overdraw it.

Runs against whichever database the suite uses: on PostgreSQL the head-of-chain row lock
serialises writers; on SQLite ``BEGIN IMMEDIATE`` does. Every process commits for real.
"""

from __future__ import annotations

import multiprocessing
import uuid

import pytest

from seagreen.db.engine import make_engine, make_session_factory
from seagreen.db.uow import unit_of_work
from seagreen.ledger import service
from seagreen.ledger.domain import AccountFlags, Outcome, TransferRequest
from seagreen.ledger.service import AccountSpec

PROCESSES = 8
TRANSFERS_EACH = 200
FUNDED = 1_000


def spend(url: str, prefix: str, worker: int, start, results) -> None:
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    start.wait()
    created = 0
    for n in range(TRANSFERS_EACH):
        request = TransferRequest(f"{prefix}:w{worker}:{n}", f"{prefix}:wallet", f"{prefix}:shop", 1, "spend")
        with unit_of_work(sessions) as session:
            outcome = service.post_transfers(session, [request])[0].outcome
        assert outcome in (Outcome.CREATED, Outcome.EXCEEDS_CREDITS), outcome
        created += outcome is Outcome.CREATED
    results.put(created)
    engine.dispose()


@pytest.mark.slow
def test_concurrent_spenders_take_exactly_the_funded_amount(engine, database_url):
    prefix = f"c{uuid.uuid4().hex[:8]}"
    sessions = make_session_factory(engine)
    with unit_of_work(sessions) as session:
        service.open_accounts(
            session,
            [
                AccountSpec(f"{prefix}:issuer", "points"),
                AccountSpec(f"{prefix}:wallet", "points", AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
                AccountSpec(f"{prefix}:shop", "points"),
            ],
        )
        service.transfer(session, f"{prefix}:fund", f"{prefix}:issuer", f"{prefix}:wallet", FUNDED)

    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    workers = [
        context.Process(target=spend, args=(database_url, prefix, worker, start, results))
        for worker in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    start.set()
    counts = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0

    assert sum(counts) == FUNDED
    with unit_of_work(sessions, read_only=True) as session:
        wallet = service.balance(session, f"{prefix}:wallet")
        assert (wallet.net_credit, wallet.debits_posted) == (0, FUNDED)
        assert service.balance(session, f"{prefix}:shop").net_credit == FUNDED
        assert service.verify(session).ok
