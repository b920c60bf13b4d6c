"""The web app's points settler (``carbon_account.settler``): the events API leaves its points
owed and the settler posts them after the commit, one transfer a resident a round; nothing owed is
lost when a process stops or a round fails (docs/decisions/0035)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from seagreen.app import create_app
from seagreen.carbon_account import service
from seagreen.carbon_account.service import lifecycle
from seagreen.carbon_account.settler import PointsSettler
from seagreen.db.engine import make_engine, make_session_factory
from seagreen.db.migrate import upgrade
from seagreen.db.uow import unit_of_work
from seagreen.identity import service as identity
from seagreen.jobs import flows
from seagreen.ledger import service as ledger
from tests.db.scratch import scratch_database
from tests.factories.carbon_account import event, make_partner, make_residents, submit
from tests.factories.identity import TEST_ACTOR, bearer

REFS = ("r-1", "r-2", "r-3")


@pytest.fixture()
def committed(database_url, tmp_path) -> Iterator[tuple[str, sessionmaker[Session]]]:
    """A database of its own whose transactions really commit (the settler is another thread):
    its URL and a session factory, with a transit partner and three residents who authorised it."""
    with scratch_database(database_url, tmp_path) as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            factory = make_session_factory(engine)
            with unit_of_work(factory) as session:
                service.load_shipped(session)
                make_partner(session, "t-bus", "transit")
                make_residents(session, REFS, ["t-bus"])
            yield url, factory
        finally:
            engine.dispose()


def _trips(factory: sessionmaker[Session], request: int) -> service.SubmitResult:
    """One bus trip (one point) for each resident, committed, its points left owed."""
    with unit_of_work(factory) as session:
        events = [event(event_id=f"q{request}-{ref}", resident_ref=ref) for ref in REFS]
        return submit(session, "t-bus", events, settle=False)


def _wallet(factory: sessionmaker[Session], ref: str) -> tuple[int, int]:
    """(balance, transfers) of the resident's points account; (0, 0) before it is opened."""
    with unit_of_work(factory, read_only=True) as session:
        if not ledger.balances(session, [f"carbon:points:{ref}"]):
            return 0, 0
        view, entries = ledger.account_history(session, f"carbon:points:{ref}")
        return view.balance.net_credit, len(entries)


def _owed(factory: sessionmaker[Session]) -> int:
    with unit_of_work(factory, read_only=True) as session:
        totals = service.totals(session)
        return totals.points - totals.points_posted


def _until(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the settler did not post in time"
        time.sleep(0.02)


def test_requests_leave_their_points_owed_and_a_round_posts_them_one_transfer_a_resident(committed):
    _url, factory = committed
    first, second = _trips(factory, 1), _trips(factory, 2)
    assert (first.points, second.points) == (3, 3)
    assert sorted(first.owed) == sorted(second.owed) and len(first.owed) == 3
    assert _owed(factory) == 6 and _wallet(factory, "r-1") == (0, 0)  # not posted by the requests
    settler = PointsSettler(factory, delay_s=0.1)
    settler.start()
    try:
        _until(lambda: settler.rounds == 1)  # the first round: whatever is owed
        # both requests' points in one round: one transfer of two points a resident
        assert [_wallet(factory, ref) for ref in REFS] == [(2, 1)] * 3
        third, fourth = _trips(factory, 3), _trips(factory, 4)
        assert _owed(factory) == 6
        settler.notify(third.owed)
        settler.notify(fourth.owed)
        _until(lambda: settler.rounds == 2)
    finally:
        settler.stop()
    assert _owed(factory) == 0
    assert [_wallet(factory, ref) for ref in REFS] == [(4, 2)] * 3


def test_the_first_round_posts_what_an_earlier_process_left_owed(committed):
    _url, factory = committed
    _trips(factory, 1)  # as if the process that took this request stopped before its round
    assert _owed(factory) == 3
    settler = PointsSettler(factory, delay_s=0.05)
    settler.start()  # told of no resident
    try:
        _until(lambda: _owed(factory) == 0)
    finally:
        settler.stop()
    assert _wallet(factory, "r-3") == (1, 1)


def test_stopping_posts_what_is_owed_without_waiting_for_the_round(committed):
    _url, factory = committed
    settler = PointsSettler(factory, delay_s=600)
    settler.start()
    settler.notify(_trips(factory, 1).owed)
    started = time.monotonic()
    settler.stop()
    assert time.monotonic() - started < 30
    assert _owed(factory) == 0 and _wallet(factory, "r-2") == (1, 1)


def test_a_failed_round_leaves_the_points_owed_and_the_next_posts_them(committed, monkeypatch):
    _url, factory = committed
    real, calls = service.settle_points, []

    def fails_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the round after the first (which found nothing owed)
            raise RuntimeError("database gone away")
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "settle_points", fails_once)
    settler = PointsSettler(factory, delay_s=0.05)
    settler.start()
    try:
        _until(lambda: len(calls) == 1 and not settler._wake.is_set())
        settler.notify(_trips(factory, 1).owed)
        _until(lambda: _owed(factory) == 0)
    finally:
        settler.stop()
    assert len(calls) >= 3 and _wallet(factory, "r-1") == (1, 1)


def test_the_periodic_jobs_post_whatever_is_owed(committed):
    _url, factory = committed
    _trips(factory, 1)
    results = flows.run_all(factory, expiry_months=0, state=flows.JobState())
    assert results["settlement"] == "3 owed points of 3 residents posted"
    assert _owed(factory) == 0 and _wallet(factory, "r-1") == (1, 1)


def test_a_resident_who_looks_or_spends_is_posted_what_they_are_owed_first(committed):
    """``adjust_resident`` (before a resident's pages and every redemption) posts the owed points
    of that resident alone, without waiting for the round."""
    _url, factory = committed
    _trips(factory, 1)
    with unit_of_work(factory) as session:
        resident = identity.resident_ids(session, ["r-1"])["r-1"]
        assert lifecycle.may_need_adjustment(session, resident)
        assert lifecycle.adjust_resident(session, resident)
    with unit_of_work(factory) as session:
        assert not lifecycle.may_need_adjustment(session, resident)
        assert not lifecycle.adjust_resident(session, resident)
    assert _wallet(factory, "r-1") == (1, 1) and _owed(factory) == 2  # the others still owed


def test_the_events_api_answers_first_and_its_points_reach_the_wallets_after(committed, settings):
    url, factory = committed
    with unit_of_work(factory) as session:
        key = service.add_partner(session, "t-api", kind="transit", name="api", actor=TEST_ACTOR).api_key
        make_residents(session, REFS, ["t-bus", "t-api"])
    served = settings.model_copy(update={"database_url": url, "points_settle_delay_ms": 50})
    now = datetime.now().astimezone().isoformat()
    body = {"events": [event(event_id=f"api-{ref}", resident_ref=ref, occurred_at=now) for ref in REFS]}
    with TestClient(create_app(served)) as client:
        response = client.post("/api/v1/events", json=body, headers=bearer(key))
        assert response.status_code == 200 and response.json()["accepted"] == 3
        _until(lambda: _owed(factory) == 0)
    assert [_wallet(factory, ref) for ref in REFS] == [(1, 1)] * 3


def test_stopping_while_the_database_fails_leaves_the_points_owed_and_ends(committed, monkeypatch):
    _url, factory = committed

    def down(*args, **kwargs):
        raise RuntimeError("database gone away")

    settler = PointsSettler(factory, delay_s=600)
    settler.start()
    settler.notify(_trips(factory, 1).owed)
    monkeypatch.setattr(service, "settle_points", down)
    settler.stop()
    assert not settler._thread.is_alive()
    assert _owed(factory) == 3  # for the jobs or the next process's first round
