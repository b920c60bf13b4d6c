"""Bulk files: the summary's keys, the quarantine file, re-ingest as duplicates, a crash at any
batch followed by a re-run giving the state of an uninterrupted run, and order independence."""

from __future__ import annotations

import csv
import json
import random
import tempfile
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seagreen.carbon_account import service
from seagreen.carbon_account.repository import intake as sql_intake
from seagreen.db.engine import make_engine, make_session_factory
from seagreen.db.migrate import upgrade
from seagreen.db.uow import unit_of_work
from seagreen.ledger import service as ledger
from tests.db.scratch import scratch_database
from tests.factories.carbon_account import (
    DEDUPE_PREFIX,
    INTAKE_NOW,
    csv_text,
    make_partner,
    make_residents,
    write_text,
)
from tests.factories.identity import TEST_ACTOR

REFS = [f"r-{i}" for i in range(12)]


@contextmanager
def fresh_database(database_url, directory):
    with scratch_database(database_url, directory) as url:
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)

        def transactions(**options):
            return unit_of_work(factory, **options)

        with transactions() as session:
            service.load_shipped(session)
            make_partner(session, "t-bus", "transit")
            make_partner(session, "t-pay", "clearing")
            make_residents(session, REFS, ["t-bus", "t-pay"])
        try:
            yield url, transactions
        finally:
            engine.dispose()


def ingest(url, transactions, path, partner="t-bus", **options):
    return service.ingest_file(
        transactions,
        url,
        path,
        partner,
        prefix=DEDUPE_PREFIX,
        actor=TEST_ACTOR,
        quarantine_dir=path.parent / "quarantine",
        block_bytes=2048,
        now=INTAKE_NOW,
        **options,
    )


def rows(count, seed=1):
    chance = random.Random(seed)
    return [
        {
            "event_id": f"e-{n}",
            "resident_ref": chance.choice([*REFS, "r-unknown"]),
            "behaviour": chance.choice(["bus_trip", "bus_trip", "e_invoice", "teleport"]),
            "quantity": chance.choice(["1", "2.5", "0.125", "3", "-1", "1e1"]),
            "occurred_at": f"2024-06-0{chance.randint(1, 9)}T{chance.randint(0, 23):02d}:15:00+08:00",
            "dedupe_key": chance.choice(["", "", f"k-{chance.randint(1, 30)}"]),
        }
        for n in range(count)
    ]


def state(transactions):
    with transactions(read_only=True) as session:
        balances = [
            (b.resident_ref, b.reduction_g, b.credited_g, b.points) for b in service.balances(session)
        ]
        totals = service.totals(session)
        points = {
            ref: ledger.balance(session, f"carbon:points:{ref}").credits_posted
            for ref, _reduction, _credited, earned in balances
            if earned
        }
    return balances, (totals.events, totals.points, totals.points_posted), points


@pytest.mark.slow
def test_summary_keys_quarantine_and_reingest(database_url, tmp_path):
    with fresh_database(database_url, tmp_path) as (url, transactions):
        path = write_text(tmp_path / "events.csv", csv_text(rows(400)))
        summary = ingest(url, transactions, path, group_rows=128)
        body = summary.as_json()
        assert {
            "accepted",
            "duplicates",
            "rejected",
            "reduction_g",
            "credited_g",
            "points",
            "quarantine",
        } <= set(body)
        assert summary.accepted > 0 and summary.rejected > 0 and summary.points > 0
        with open(summary.quarantine, newline="", encoding="utf-8") as handle:
            quarantined = list(csv.DictReader(handle))
        assert {row["reason"] for row in quarantined} >= {
            "unknown_behaviour",
            "not_positive",
            "unknown_resident",
        }
        assert all(int(row["row_number"]) >= 2 for row in quarantined)
        before = state(transactions)
        again = ingest(url, transactions, path, group_rows=128)
        assert (again.accepted, again.points, again.duplicates) == (
            0,
            0,
            summary.accepted + summary.duplicates,
        )
        assert state(transactions) == before
        json.dumps(body)


class Crash(Exception):
    pass


@pytest.mark.slow
@pytest.mark.parametrize(
    ("crash_after", "scratch"), [(1, False), (2, False), (4, False), (2, True), (4, True)]
)
def test_a_crash_then_a_rerun_leaves_the_state_of_an_uninterrupted_run(
    database_url, tmp_path, crash_after, scratch, monkeypatch
):
    events = rows(600, seed=7)
    with fresh_database(database_url, tmp_path / "clean") as (url, transactions):
        path = write_text(tmp_path / "events.csv", csv_text(events))
        clean = ingest(url, transactions, path, group_rows=100)
        expected = state(transactions)
    if scratch:  # the crashed run and its re-run stage through ADBC-written scratch files (SQLite)
        monkeypatch.setattr(sql_intake, "SCRATCH_MIN_ROWS", 1)
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
        (tmp_path / "tmp").mkdir()
        through_scratch = sql_intake.SessionSql._stage_through_scratch
        staged: list[int] = []

        def counted(self, driver, table, names):
            staged.append(table.num_rows)
            through_scratch(self, driver, table, names)

        monkeypatch.setattr(sql_intake.SessionSql, "_stage_through_scratch", counted)
    with fresh_database(database_url, tmp_path / "crash") as (url, transactions):

        def crash(committed, _last_row):
            if committed == crash_after:
                raise Crash

        with pytest.raises(Crash):
            ingest(url, transactions, path, group_rows=100, after_batch=crash)
        resumed = ingest(url, transactions, path, group_rows=100)
        assert state(transactions) == expected
        assert (resumed.accepted, resumed.rejected, resumed.points) == (
            clean.accepted,
            clean.rejected,
            clean.points,
        )
        with open(resumed.quarantine, encoding="utf-8") as a, open(clean.quarantine, encoding="utf-8") as b:
            assert a.read() == b.read()
    if scratch:  # every scratch file was detached and deleted, the crashed batch's too
        assert list((tmp_path / "tmp").iterdir()) == []
        assert len(staged) >= 6 or database_url.startswith("postgres")


@pytest.mark.slow
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    seed=st.integers(0, 10_000),
    splits=st.lists(st.integers(1, 80), min_size=1, max_size=4),
    via_api=st.booleans(),
)
def test_order_and_batching_do_not_change_the_result(database_url, tmp_path_factory, seed, splits, via_api):
    events = [row for row in rows(160, seed=seed) if row["dedupe_key"] == ""]  # dedupe: first claim wins
    directory = tmp_path_factory.mktemp("order")
    with fresh_database(database_url, directory / "a") as (url, transactions):
        write_text(directory / "all.csv", csv_text(events))
        ingest(url, transactions, directory / "all.csv", group_rows=1000)
        expected = state(transactions)[0]
    shuffled = events[:]
    random.Random(seed + 1).shuffle(shuffled)
    with fresh_database(database_url, directory / "b") as (url, transactions):
        start, part = 0, 0
        for size in [*splits, len(shuffled)]:
            chunk = shuffled[start : start + size]
            start += size
            if not chunk:
                continue
            part += 1
            if via_api and part % 2:
                with transactions() as session:
                    service.submit_events(
                        session,
                        partner_code="t-bus",
                        events=chunk,
                        prefix=DEDUPE_PREFIX,
                        actor=TEST_ACTOR,
                        now=INTAKE_NOW,
                    )
            else:
                path = write_text(directory / f"part-{part}.csv", csv_text(chunk))
                ingest(url, transactions, path, group_rows=max(1, size // 2))
        assert state(transactions)[0] == expected
