"""Bulk files: the summary's keys, the quarantine file, re-ingest as duplicates, a crash at any
batch followed by a re-run giving the state of an uninterrupted run, and order independence."""

from __future__ import annotations

import csv
import itertools
import json
import queue
import random
import sqlite3
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime
from unittest import mock

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter
from sqlalchemy import text

from seagreen.carbon_account import service
from seagreen.carbon_account.domain import Outcome
from seagreen.carbon_account.repository import bulk_intake as sql_bulk
from seagreen.carbon_account.schemas import EventsIn, raw_event
from seagreen.carbon_account.service import bulk, bulk_accounting
from seagreen.db.engine import is_sqlite, make_engine, make_session_factory
from seagreen.db.migrate import upgrade
from seagreen.db.uow import unit_of_work
from seagreen.kit import heap
from seagreen.ledger import service as ledger
from tests.db.scratch import scratch_database
from tests.factories.carbon_account import (
    DEDUPE_PREFIX,
    EVENT_HEADER,
    INTAKE_NOW,
    csv_text,
    jsonl_text,
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


def by_api(session, events):
    """The events sent by ``t-bus`` through the real-time path, at ``INTAKE_NOW``."""
    return service.submit_events(
        session, partner_code="t-bus", events=events, prefix=DEDUPE_PREFIX, actor=TEST_ACTOR, now=INTAKE_NOW
    )


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
        report = ledger.verify(session)  # the settlements' journal: its chain and every balance
        assert report.ok, report.problems
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
        # every group of a file sent again is classified as stored, with no insert attempted
        with mock.patch.object(sql_bulk, "insert_events", wraps=sql_bulk.insert_events) as inserts:
            again = ingest(url, transactions, path, group_rows=128)
        assert inserts.call_count == 0
        assert (again.accepted, again.points, again.duplicates) == (
            0,
            0,
            summary.accepted + summary.duplicates,
        )
        assert state(transactions) == before
        json.dumps(body)


@pytest.mark.slow
def test_a_file_sent_again_with_new_and_changed_rows_ends_as_one_clean_run(database_url, tmp_path):
    """A partner's next file repeats the last one (one row changed: a conflict, the original
    kept) and adds rows: its groups start with stored ids (classified first), the last mixes
    stored and new rows. The end state is the one file's of the same rows."""
    first, longer = rows(400), rows(500)
    sent_again = [dict(row) for row in longer]
    changed = next(
        n
        for n, row in enumerate(sent_again[:400])
        if row["resident_ref"] in REFS and row["behaviour"] == "bus_trip" and row["quantity"] == "1"
    )
    sent_again[changed]["quantity"] = "2"
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    with fresh_database(database_url, tmp_path / "a") as (url, transactions):
        one = ingest(
            url, transactions, write_text(tmp_path / "a" / "one.csv", csv_text(first)), group_rows=128
        )
        path = write_text(tmp_path / "a" / "again.csv", csv_text(sent_again))
        again = ingest(url, transactions, path, group_rows=128)
        after = state(transactions)
    with fresh_database(database_url, tmp_path / "b") as (url, transactions):
        path = write_text(tmp_path / "b" / "once.csv", csv_text(longer))
        once = ingest(url, transactions, path, group_rows=128)
        expected = state(transactions)
    assert again.conflicts == 1
    assert again.accepted == once.accepted - one.accepted > 0
    assert after == expected


@pytest.mark.slow
def test_the_groups_of_a_file_sent_again_unchanged_are_found_duplicates_by_counting(
    database_url, tmp_path, monkeypatch
):
    """A group whose every row is a duplicate of a stored event is told so by counting the stored
    rows, without writing each to the table of the others; a group with a changed row is
    classified row by row, and its conflict is found (docs/decisions/0005, phase 16)."""
    found: list[bool] = []
    classify_stored = sql_bulk.classify_stored

    def recording(*args, **kwargs):
        stored = classify_stored(*args, **kwargs)
        found.append(stored.all_duplicates)
        return stored

    monkeypatch.setattr(sql_bulk, "classify_stored", recording)
    events = rows(300)
    changed = [dict(row) for row in events]
    change = next(  # a row that goes in, in the last of the groups
        n
        for n, row in enumerate(events)
        if n >= 200
        and row["resident_ref"] in REFS
        and row["behaviour"] == "bus_trip"
        and row["quantity"] == "1"
    )
    changed[change]["quantity"] = "2"
    with fresh_database(database_url, tmp_path) as (url, transactions):
        path = write_text(tmp_path / "events.csv", csv_text(events))
        first = ingest(url, transactions, path, group_rows=100)
        assert found == []  # a new file: nothing stored to classify
        again = ingest(url, transactions, path, group_rows=100)
        stored = first.accepted + first.duplicates  # the losers of a dedupe key are stored too
        groups = len(found)
        assert groups >= 3 and all(found)
        assert (again.accepted, again.duplicates, again.conflicts) == (0, stored, 0)
        found.clear()
        path = write_text(tmp_path / "changed.csv", csv_text(changed))
        third = ingest(url, transactions, path, group_rows=100)
        assert len(found) == groups and found.count(False) == 1  # the changed row's group
        assert (third.accepted, third.duplicates, third.conflicts) == (0, stored - 1, 1)


class Crash(Exception):
    pass


@pytest.mark.slow
@pytest.mark.parametrize(
    ("crash_after", "flush_rows", "where"),
    [
        (1, 10_000, "group"),  # groups committed, none accounted
        (2, 10_000, "group"),
        (4, 10_000, "group"),
        (3, 150, "group"),  # some groups accounted, the last ones not
        (1, 150, "accounting"),  # inside the accounting transaction, before its commit
        (2, 1, "accounting"),
        (1, 10_000, "settlement"),  # posting the last part's points while its totals are staged
    ],
)
def test_a_crash_then_a_rerun_leaves_the_state_of_an_uninterrupted_run(
    database_url, tmp_path, crash_after, flush_rows, where, monkeypatch
):
    events = rows(600, seed=7)
    with fresh_database(database_url, tmp_path / "clean") as (url, transactions):
        path = write_text(tmp_path / "events.csv", csv_text(events))
        clean = ingest(url, transactions, path, group_rows=100)
        expected = state(transactions)
    # scratch files (staged groups, accounting tables) go here: none may be left behind
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    accounted = sql_bulk.mark_accounted
    calls: list[int] = []

    def crash_in_accounting(*args, **kwargs):
        accounted(*args, **kwargs)
        calls.append(1)
        if where == "accounting" and len(calls) == crash_after:
            raise Crash

    def crash_after_group(committed, _last_row):
        if where == "group" and committed == crash_after:
            raise Crash

    posted = bulk_accounting.post_prepared
    postings: list[int] = []

    def crash_in_settlement(*args, **kwargs):
        postings.append(1)
        if where == "settlement" and len(postings) == crash_after:
            raise Crash
        return posted(*args, **kwargs)

    with fresh_database(database_url, tmp_path / "crash") as (url, transactions):
        monkeypatch.setattr(sql_bulk, "mark_accounted", crash_in_accounting)
        monkeypatch.setattr(bulk_accounting, "post_prepared", crash_in_settlement)
        with pytest.raises(Crash):
            ingest(
                url, transactions, path, group_rows=100, after_batch=crash_after_group, flush_rows=flush_rows
            )
        assert list((tmp_path / "tmp").iterdir()) == []
        monkeypatch.setattr(sql_bulk, "mark_accounted", accounted)
        monkeypatch.setattr(bulk_accounting, "post_prepared", posted)
        resumed = ingest(url, transactions, path, group_rows=100, flush_rows=flush_rows)
        assert state(transactions) == expected
        assert (resumed.accepted, resumed.rejected, resumed.points, resumed.reduction_g) == (
            clean.accepted,
            clean.rejected,
            clean.points,
            clean.reduction_g,
        )
        with open(resumed.quarantine, encoding="utf-8") as a, open(clean.quarantine, encoding="utf-8") as b:
            assert a.read() == b.read()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_new_month_rows_that_cannot_be_copied_are_written_with_the_stored_ones(
    database_url, tmp_path, monkeypatch
):
    """PostgreSQL COPYs a flush's new month rows; should one be stored already (it cannot, under
    the intake lock), none is copied and all are written as upserts, with the same totals. Two
    flushes, so that the second has stored rows and new ones."""
    if is_sqlite(database_url):
        pytest.skip("SQLite writes every month row by upsert")
    path = write_text(tmp_path / "events.csv", csv_text(rows(600, seed=5)))
    with fresh_database(database_url, tmp_path / "copied") as (url, transactions):
        ingest(url, transactions, path, group_rows=100, flush_rows=1)
        expected = state(transactions)
    copies: list[int] = []

    def refused(_sql, months):
        copies.append(months.num_rows)
        return False

    monkeypatch.setattr(sql_bulk, "copy_new_months", refused)
    with fresh_database(database_url, tmp_path / "upserted") as (url, transactions):
        ingest(url, transactions, path, group_rows=100, flush_rows=1)
        assert state(transactions) == expected
    assert len([rows for rows in copies if rows]) >= 2, copies


@pytest.mark.slow
def test_the_last_accounting_posts_every_point_owed_in_its_own_transaction(
    database_url, tmp_path, monkeypatch
):
    """The last accounting of a file posts to the ledger, a part of the residents at a time while
    the next part is computed, every point its residents are owed (those the file's earlier
    accountings added too), and records them as posted; the settlement after the file posts the
    residents it did not touch, each resident once. The accountings before it post nothing (the
    next group's checks run beside them: phase 9 of decision 0005)."""
    from seagreen.carbon_account.service import bulk, bulk_accounting

    after: list[int] = []
    settle_after = bulk.settle_points

    def settled_after(*args, **kwargs):
        residents, points = settle_after(*args, **kwargs)
        after.append(residents)
        return residents, points

    monkeypatch.setattr(bulk, "settle_points", settled_after)
    monkeypatch.setattr(bulk_accounting, "PART_MONTH_ROWS", 4)  # several parts a flush
    parts: list[int] = []
    computed = bulk_accounting.PendingTotals._part

    def counted(self, part, *args, **kwargs):
        parts.append(part)
        return computed(self, part, *args, **kwargs)

    accountings: list[tuple[bool, int]] = []  # (last, postings made in it)
    settled: list[int] = []
    settle, account = bulk_accounting.PendingTotals._settle, bulk_accounting.account

    def posting(self, sql, owed, *args, **kwargs):
        settled.append(len(owed.credits))
        return settle(self, sql, owed, *args, **kwargs)

    def accounting(*args, last=False, **kwargs):
        before = len(settled)
        try:
            return account(*args, last=last, **kwargs)
        finally:
            accountings.append((last, len(settled) - before))

    monkeypatch.setattr(bulk_accounting.PendingTotals, "_part", counted)
    monkeypatch.setattr(bulk_accounting.PendingTotals, "_settle", posting)
    monkeypatch.setattr(bulk_accounting, "account", accounting)
    with fresh_database(database_url, tmp_path) as (url, transactions):
        path = write_text(tmp_path / "events.csv", csv_text(rows(600, seed=5)))
        summary = ingest(url, transactions, path, group_rows=100, flush_rows=100)
        balances, (_events, points, posted), ledger_points = state(transactions)
    assert max(parts) >= 2 and parts.count(0) >= 2  # parts in each of several flushes
    assert len(accountings) >= 2 and all(made == 0 for last, made in accountings if not last)
    assert accountings[-1][0] and accountings[-1][1] >= 2  # the last one posted, in parts
    assert sum(settled[-accountings[-1][1] :]) + sum(after) == sum(1 for *_, earned in balances if earned)
    assert summary.points == points == posted > 0
    assert ledger_points == {ref: earned for ref, _reduction, _credited, earned in balances if earned}


@pytest.mark.slow
def test_another_runs_crashed_batches_are_accounted_once_they_are_stale(database_url, tmp_path, monkeypatch):
    from seagreen.carbon_account.service import bulk_accounting

    events = [{**row, "dedupe_key": ""} for row in rows(300, seed=3)]  # no claims: order-free
    other = [{**row, "event_id": "s" + row["event_id"], "dedupe_key": ""} for row in rows(300, seed=4)]
    first = write_text(tmp_path / "first.csv", csv_text(events))
    second = write_text(tmp_path / "second.csv", csv_text(other))
    committed_rows: list[int] = []

    def crash(committed, last_row):
        if committed == 2:  # two groups of the first file committed, not accounted
            committed_rows.append(last_row)
            raise Crash

    with fresh_database(database_url, tmp_path / "crash") as (url, transactions):
        with pytest.raises(Crash):
            ingest(url, transactions, first, group_rows=100, after_batch=crash)
        ingest(url, transactions, second, group_rows=100)
        not_stale = state(transactions)
        monkeypatch.setattr(bulk_accounting, "STALE_AFTER_US", 0)  # the crashed run is long gone
        ingest(url, transactions, second, group_rows=100)  # a later ingest, of anything, recovers it
        recovered = state(transactions)
        ingest(url, transactions, first, group_rows=100)  # resumes; its first groups are accounted
        final = state(transactions)
    head = write_text(tmp_path / "head.csv", csv_text(events[: committed_rows[0] - 1]))  # row 1: header
    with fresh_database(database_url, tmp_path / "mid") as (url, transactions):
        ingest(url, transactions, second, group_rows=100)
        balances, _counts, points = state(transactions)
        assert (not_stale[0], not_stale[2]) == (balances, points)  # fresh: the crashed run's batches wait
        ingest(url, transactions, head, group_rows=100)
        assert recovered == state(transactions)
    with fresh_database(database_url, tmp_path / "clean") as (url, transactions):
        ingest(url, transactions, first, group_rows=100)
        ingest(url, transactions, second, group_rows=100)
        assert final == state(transactions)


@pytest.mark.slow
@pytest.mark.parametrize("slower", ["writer", "checks"])
def test_whichever_thread_writes_a_groups_scratch_file_the_result_is_the_same(
    database_url, tmp_path, slower, monkeypatch
):
    """On SQLite a group's rows go to a scratch file first: the checks' thread writes it while it
    waits for a busy writer, else the writer does. Both happen here, and neither changes a thing."""
    events = rows(300, seed=11)
    path = write_text(tmp_path / "events.csv", csv_text(events))
    with fresh_database(database_url, tmp_path / "clean") as (url, transactions):
        clean = ingest(url, transactions, path, group_rows=1000)
        expected = state(transactions)
    writers: list[str] = []
    write_scratch, commit_group, check = sql_bulk.write_scratch, bulk._commit_group, bulk.DuckChecks.check
    # which thread is ahead is made so, not left to timing (a sleep was not enough on a slow machine)
    checks_wrote = threading.Event()
    committed = threading.Semaphore(0)

    def recorded(*args, **kwargs):
        writers.append(threading.current_thread().name)
        if threading.current_thread().name == "seagreen-ingest-checks":
            checks_wrote.set()
        return write_scratch(*args, **kwargs)

    def writer_waits_for_the_checks(*args, **kwargs):
        # until the checks' thread, two groups ahead, wrote one while it waited
        assert checks_wrote.wait(timeout=30), "the checks' thread wrote no scratch file while ahead"
        return commit_group(*args, **kwargs)

    def counted_commit(*args, **kwargs):
        try:
            return commit_group(*args, **kwargs)
        finally:
            committed.release()

    checked = itertools.count()
    writer = threading.current_thread()

    def checks_wait_for_the_writer(self, *args, **kwargs):
        if next(checked):  # every group after the first: once the writer committed the one before
            committed.acquire(timeout=30)  # and waits for the next one (a busy writer's is written here)
            assert waits_for_an_item(writer), "the writer did not come back for the next group"
        return check(self, *args, **kwargs)

    monkeypatch.setattr(sql_bulk, "write_scratch", recorded)
    sqlite = is_sqlite(database_url)  # (PostgreSQL writes no scratch files: nothing to wait for)
    if sqlite and slower == "writer":
        monkeypatch.setattr(bulk, "_commit_group", writer_waits_for_the_checks)
    elif sqlite:
        monkeypatch.setattr(bulk, "_commit_group", counted_commit)
        monkeypatch.setattr(bulk.DuckChecks, "check", checks_wait_for_the_writer)
    with fresh_database(database_url, tmp_path / "threads") as (url, transactions):
        summary = ingest(url, transactions, path, group_rows=30)
        assert state(transactions) == expected
    assert (summary.accepted, summary.rejected, summary.points) == (
        clean.accepted,
        clean.rejected,
        clean.points,
    )
    if sqlite:  # the accounting's scratch files are written by the writer too
        checks_thread = [name for name in writers if name == "seagreen-ingest-checks"]
        if slower == "writer":  # the checks' thread is ahead: it writes while it waits
            assert checks_thread, writers
        else:  # the writer waits for each group: it writes most of them (ten groups, and a flush)
            assert len(writers) - len(checks_thread) >= 6, writers
    else:
        assert writers == []


def waits_for_an_item(thread: threading.Thread, timeout: float = 30.0) -> bool:
    """Whether ``thread`` is (or within ``timeout`` comes to be) blocked in a ``queue.Queue.get``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = sys._current_frames().get(thread.ident or 0)
        while frame is not None:
            if frame.f_code.co_name == "get" and frame.f_code.co_filename == queue.__file__:
                return True
            frame = frame.f_back
        time.sleep(0.001)
    return False


def test_the_checks_thread_does_the_meanwhile_work_of_each_item_the_consumer_is_too_busy_to_take():
    """``_one_ahead`` hands an item over at once to a consumer that waits for it; one made while
    the consumer is busy with the item before has ``meanwhile`` done first, in the producer's
    thread (on SQLite: the group's scratch file, which the writer would otherwise write before
    its transaction). Under the old rule, only when the item before had not been taken either,
    item 1 below went over without it."""
    consumer = threading.current_thread()
    holding, resumed = threading.Event(), threading.Event()
    done_meanwhile: list[tuple[int, str]] = []

    def items():
        assert waits_for_an_item(consumer)  # item 0: the consumer is waiting for it
        yield 0
        assert holding.wait(timeout=30)  # item 1: made while the consumer is busy with item 0
        yield 1
        resumed.set()  # item 1 is handed over: its meanwhile, if any, is done
        yield 2

    def meanwhile(item: int) -> None:
        done_meanwhile.append((item, threading.current_thread().name))

    taken = []
    ahead = bulk._one_ahead(items(), meanwhile=meanwhile)
    for item in ahead:
        taken.append(item)
        if item == 0:  # busy with item 0 until item 1 has been handed over
            holding.set()
            assert resumed.wait(timeout=30)
    assert taken == [0, 1, 2]
    meanwhile_items = [item for item, _ in done_meanwhile]
    assert 0 not in meanwhile_items  # (item 2 may go either way: the consumer is just back)
    assert 1 in meanwhile_items
    assert {name for _, name in done_meanwhile} == {"seagreen-ingest-checks"}


def test_a_files_groups_and_accountings_run_with_large_blocks_mapped(database_url, tmp_path, monkeypatch):
    """The whole ingest runs inside ``heap.large_blocks_mapped``: a long one's arenas would otherwise
    grow around its large transient tables (kit/heap.py; 50M events peaked over 1 GB)."""
    path = write_text(tmp_path / "events.csv", csv_text(rows(200, seed=5)))
    mapped = {"now": False}
    seen: list[tuple[str, bool]] = []
    large_blocks_mapped = heap.large_blocks_mapped
    commit_group, account = bulk._commit_group, bulk_accounting.account

    @contextmanager
    def recorded_mapping(*args, **kwargs):
        with large_blocks_mapped(*args, **kwargs) as done:
            mapped["now"] = True
            try:
                yield done
            finally:
                mapped["now"] = False

    def noting(label, function):
        def noted(*args, **kwargs):
            seen.append((label, mapped["now"]))
            return function(*args, **kwargs)

        return noted

    monkeypatch.setattr(heap, "large_blocks_mapped", recorded_mapping)
    monkeypatch.setattr(bulk, "_commit_group", noting("group", commit_group))
    monkeypatch.setattr(bulk_accounting, "account", noting("accounting", account))
    with fresh_database(database_url, tmp_path / "db") as (url, transactions):
        ingest(url, transactions, path, group_rows=50, flush_rows=60)
    assert {label for label, _ in seen} == {"group", "accounting"}
    assert all(inside for _, inside in seen), seen
    assert mapped["now"] is False  # and not after it


@pytest.mark.slow
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    seed=st.integers(0, 10_000),
    splits=st.lists(st.integers(1, 80), min_size=1, max_size=4),
    via_api=st.booleans(),
    part_rows=st.integers(1, 60),
)
def test_order_and_batching_do_not_change_the_result(
    database_url, tmp_path_factory, seed, splits, via_api, part_rows
):
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
                    by_api(session, chunk)
            else:
                path = write_text(directory / f"part-{part}.csv", csv_text(chunk))
                # a flush's month rows computed in parts of the residents
                with mock.patch.object(bulk_accounting, "PART_MONTH_ROWS", part_rows):
                    ingest(url, transactions, path, group_rows=max(1, size // 2))
        assert state(transactions)[0] == expected


@pytest.mark.slow
@pytest.mark.parametrize("zone", ["UTC", None])
def test_a_parquet_file_with_typed_times_ingests_like_the_same_csv(database_url, tmp_path, zone):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from seagreen.kit.clock import LOCAL_TZ

    events = rows(300, seed=11)
    times = [
        "2024-06-05T08:15:00+08:00",
        "2024-06-10T04:04:59Z",  # the last minute before "now + 5 min"
        "2024-06-10T04:05:01Z",  # in the future
        "2024-02-01T00:00:00+08:00",  # before the backfill window
        "2024-06-08T23:59:59.999999+08:00",  # the last µs of a local day
        "2024-06-09T00:00:00+08:00",
        "",  # missing
    ]
    for index, row in enumerate(events):
        row["occurred_at"] = times[index % len(times)]
    with fresh_database(database_url, tmp_path / "csv") as (url, transactions):
        from_csv = ingest(url, transactions, write_text(tmp_path / "events.csv", csv_text(events)))
        expected = state(transactions)

    def reasons(summary, first_row):
        with open(summary.quarantine, newline="", encoding="utf-8") as handle:
            return sorted(
                (int(r["row_number"]) - first_row, r["field"], r["reason"]) for r in csv.DictReader(handle)
            )

    csv_reasons = reasons(from_csv, 2)

    def typed(text):
        if not text:
            return None
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment.astimezone(UTC) if zone else moment.astimezone(LOCAL_TZ).replace(tzinfo=None)

    table = pa.table(
        {
            **{name: [row[name] for row in events] for name in ("event_id", "resident_ref", "behaviour")},
            "quantity": [row["quantity"] for row in events],
            "occurred_at": pa.array([typed(row["occurred_at"]) for row in events], pa.timestamp("us", zone)),
            "dedupe_key": [row["dedupe_key"] or None for row in events],
        }
    )
    path = tmp_path / "events.parquet"
    pq.write_table(table, path)
    with fresh_database(database_url, tmp_path / "parquet") as (url, transactions):
        from_parquet = ingest(url, transactions, path)
        assert state(transactions) == expected
    assert (from_parquet.accepted, from_parquet.rejected, from_parquet.points) == (
        from_csv.accepted,
        from_csv.rejected,
        from_csv.points,
    )

    assert reasons(from_parquet, 1) == csv_reasons  # CSV rows start under the header
    assert {"in_future", "before_backfill_window", "missing"} <= {r for _, _, r in csv_reasons}


@pytest.mark.slow
def test_two_versions_with_different_points_rates_agree_between_api_and_bulk(database_url, tmp_path):
    """Events on both sides of a new version's first day: each day's credit counts at its
    version's rate, the same through the real-time path (Python) and a bulk file (DuckDB)."""
    from importlib.resources import files

    events = [row for row in rows(240, seed=5) if row["dedupe_key"] == ""]
    shipped = files("seagreen.data.behaviours").joinpath("weihai-v1.csv")
    catalogue = tmp_path / "weihai-v2.csv"
    catalogue.write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    states = []
    for via_api in (True, False):
        with fresh_database(database_url, tmp_path / f"api-{via_api}") as (url, transactions):
            with transactions() as session:
                service.publish_file(
                    session,
                    catalogue,
                    code="weihai-v2",
                    name="v2",
                    effective_from=date(2024, 6, 5),
                    g_per_point=30,
                    now=datetime(2024, 6, 1, tzinfo=UTC),
                )
            if via_api:
                for start in range(0, len(events), 50):
                    with transactions() as session:
                        by_api(session, events[start : start + 50])
            else:
                ingest(url, transactions, write_text(tmp_path / "both.csv", csv_text(events)), group_rows=60)
            states.append(state(transactions))
    assert states[0] == states[1]
    balances = states[0][0]
    credited = sum(credited for _ref, _reduction, credited, _points in balances)
    points = sum(points for *_rest, points in balances)
    assert points > credited // 100  # the days under v2 earn a point per 30 g, not per 100 g


@pytest.mark.slow
def test_a_file_mixing_stored_and_new_ids_keeps_the_stored_and_adds_the_new(database_url, tmp_path):
    """A group whose ids are all new goes straight in (on PostgreSQL one COPY, no look-up); one
    with a stored id among them must write nothing of that attempt and sort its rows out: new in,
    the same content a duplicate, other content a conflict, no dedupe key claimed twice."""
    events = [row for row in rows(60, seed=7) if row["dedupe_key"] == ""]
    stored, fresh = events[:20], events[20:]
    kept = [row for row in stored if _accepted(row)]
    late = [row for row in fresh[15:] if _accepted(row)]
    changed = dict(kept[2], quantity="7")  # a stored id with other content
    again, other = late[0], dict(late[1], quantity="9")  # ids of the file itself, once more
    # the first file's ids are new but for two; the second's first id is stored and it repeats its own
    mixed = [*fresh[:10], kept[0], *fresh[10:15], changed]
    repeating = [kept[1], *fresh[15:], again, other, stored[0]]
    with fresh_database(database_url, tmp_path / "mixed") as (url, transactions):
        first = ingest(url, transactions, write_text(tmp_path / "stored.csv", csv_text(stored)))
        second = ingest(url, transactions, write_text(tmp_path / "mixed.csv", csv_text(mixed)))
        third = ingest(url, transactions, write_text(tmp_path / "repeating.csv", csv_text(repeating)))
        got = state(transactions)
    with fresh_database(database_url, tmp_path / "once") as (url, transactions):
        once = ingest(url, transactions, write_text(tmp_path / "all.csv", csv_text(stored + fresh)))
        expected = state(transactions)
    assert got == expected
    new_accepted = once.accepted - first.accepted
    assert (second.accepted + third.accepted, second.duplicates, second.conflicts) == (new_accepted, 1, 1)
    assert (third.duplicates, third.conflicts) == (2, 1)


def _accepted(event) -> bool:
    """Whether ``rows`` made an event the transit partner may send (``t-bus``: bus trips only)."""
    return (
        event["resident_ref"] != "r-unknown"
        and event["behaviour"] == "bus_trip"
        and event["quantity"] not in ("-1", "1e1")
    )


@pytest.mark.slow
def test_an_event_id_repeated_within_a_file_counts_once_and_a_changed_repeat_is_a_conflict(
    database_url, tmp_path
):
    first = {"event_id": "rep-1", "resident_ref": "r-1", "behaviour": "bus_trip", "quantity": "1",
             "occurred_at": "2024-06-05T08:00:00+08:00", "dedupe_key": ""}  # fmt: skip
    same = dict(first, quantity="1.000")  # the same content, written differently
    changed = dict(first, quantity="2")
    other = dict(first, event_id="rep-2")
    with fresh_database(database_url, tmp_path) as (url, transactions):
        path = write_text(tmp_path / "repeats.csv", csv_text([first, same, changed, other]))
        summary = ingest(url, transactions, path)
        assert (summary.accepted, summary.duplicates, summary.conflicts) == (2, 1, 1)
        with open(summary.quarantine, newline="", encoding="utf-8") as handle:
            assert [(r["row_number"], r["reason"]) for r in csv.DictReader(handle)] == [("4", "conflict")]
        balances, (events, *_), _points = state(transactions)
        assert events == 2 and [b for b in balances if b[0] == "r-1"] == [("r-1", 200, 200, 2)]


@pytest.mark.slow
def test_ids_out_of_row_order_go_in_by_key_and_the_first_row_of_a_repeated_id_still_wins(
    database_url, tmp_path, monkeypatch
):
    """Ids that do not rise with the rows (hashed or random transaction ids) are written in key
    order, so the inserts walk the table's key once (docs/decisions/0005, phase 18); the rows of
    a repeated id stay in row order among themselves, so the first is kept and a changed later
    one is a conflict, as in a file whose ids rise."""
    base = {"resident_ref": "r-1", "behaviour": "bus_trip", "occurred_at": "2024-06-05T08:00:00+08:00",
            "dedupe_key": ""}  # fmt: skip
    events = [
        dict(base, event_id="z-9", quantity="1"),
        dict(base, event_id="m-5", quantity="1"),
        dict(base, event_id="z-9", quantity="2"),  # a changed repeat: a conflict
        dict(base, event_id="a-1", quantity="1"),
        dict(base, event_id="z-9", quantity="1.0"),  # the same content again: a duplicate
        dict(base, event_id="Z-0", quantity="1"),  # upper case sorts before lower in byte order
    ]
    written: list[list[tuple[str, int]]] = []
    write_scratch = sql_bulk.write_scratch

    def recorded(path, tables):
        write_scratch(path, tables)
        if "stage" in tables:  # a group's accepted rows (other scratch files hold other tables)
            scratch = sqlite3.connect(path)
            try:
                order = "SELECT event_id, row_number FROM stage ORDER BY rowid"
                written.append(scratch.execute(order).fetchall())
            finally:
                scratch.close()

    copied: list[list[str]] = []
    copy_csv = sql_bulk.copy_csv

    def copy_recorded(cursor, table_name, table, columns=None):
        if table_name == "carbon_events":  # PostgreSQL: the group's new events, COPYed in
            copied.append(table.column("event_id").to_pylist())
        return copy_csv(cursor, table_name, table, columns)

    monkeypatch.setattr(sql_bulk, "write_scratch", recorded)
    monkeypatch.setattr(sql_bulk, "copy_csv", copy_recorded)
    with fresh_database(database_url, tmp_path) as (url, transactions):
        summary = ingest(url, transactions, write_text(tmp_path / "unordered.csv", csv_text(events)))
        assert (summary.accepted, summary.duplicates, summary.conflicts) == (4, 1, 1)
        with open(summary.quarantine, newline="", encoding="utf-8") as handle:
            assert [(r["row_number"], r["reason"]) for r in csv.DictReader(handle)] == [("4", "conflict")]
        with transactions(read_only=True) as session:
            stored = session.execute(
                text("SELECT event_id, quantity_milli, row_number FROM carbon_events ORDER BY row_number")
            ).all()
    assert [tuple(row) for row in stored] == [
        ("z-9", 1000, 2),
        ("m-5", 1000, 3),
        ("a-1", 1000, 5),
        ("Z-0", 1000, 7),
    ]
    if is_sqlite(url):  # the scratch file the insert read, in key order (rows numbered from 2)
        assert written == [[("Z-0", 7), ("a-1", 5), ("m-5", 3), ("z-9", 2), ("z-9", 4), ("z-9", 6)]]
    else:  # the rows COPYed in, in key order (the repeats of z-9 were left out before)
        assert copied == [["Z-0", "a-1", "m-5", "z-9"]]


@pytest.mark.slow
def test_a_file_of_keys_another_partner_claimed_is_stored_as_duplicates_linked_to_the_winners(
    database_url, tmp_path
):
    """The bus company's file claims its dedupe keys; the clearing network's file then reports
    two of the same trips and one of its own, twice (a key repeated within the file): each of
    its events is stored, the repeats linked to the event that claimed the key first."""
    base = {"resident_ref": "r-1", "behaviour": "bus_trip", "quantity": "1",
            "occurred_at": "2024-06-05T08:00:00+08:00"}  # fmt: skip
    bus = [dict(base, event_id=f"bus-{n}", dedupe_key=f"qr-{n}") for n in (7, 3, 5)]
    pay = [
        dict(base, event_id="pay-a", dedupe_key="qr-5"),
        dict(base, event_id="pay-b", dedupe_key="qr-9"),  # a trip the bus company did not report
        dict(base, event_id="pay-c", dedupe_key="qr-7"),
        dict(base, event_id="pay-d", dedupe_key="qr-9"),  # the same trip again, under another id
    ]
    with fresh_database(database_url, tmp_path) as (url, transactions):
        first = ingest(url, transactions, write_text(tmp_path / "bus.csv", csv_text(bus)))
        second = ingest(url, transactions, write_text(tmp_path / "pay.csv", csv_text(pay)), partner="t-pay")
        assert (first.accepted, first.duplicates) == (3, 0)
        assert (second.accepted, second.duplicates, second.conflicts) == (1, 3, 0)
        with transactions(read_only=True) as session:
            links = session.execute(
                text(
                    "SELECT e.event_id, w.code, e.duplicate_of_event_id FROM carbon_events e "
                    "LEFT JOIN carbon_partners w ON w.id = e.duplicate_of_partner_id ORDER BY e.event_id"
                )
            ).all()
        assert [(ref, reduction) for ref, reduction, *_ in state(transactions)[0]] == [("r-1", 400)]
    assert [tuple(row) for row in links] == [
        ("bus-3", None, None), ("bus-5", None, None), ("bus-7", None, None),
        ("pay-a", "t-bus", "bus-5"), ("pay-b", None, None), ("pay-c", "t-bus", "bus-7"),
        ("pay-d", "t-pay", "pay-b"),
    ]  # fmt: skip


def test_key_order_sorts_only_rows_whose_ids_do_not_rise():
    rising = pa.table({"row_number": [1, 2, 3], "event_id": ["a", "b", "b"]})
    assert sql_bulk.in_key_order(rising) is rising
    mixed = pa.table({"row_number": [1, 2, 3, 4, 5], "event_id": ["b", "é", "a", "b", "B"]})
    ordered = sql_bulk.in_key_order(mixed)
    pairs = zip(ordered.column("event_id").to_pylist(), ordered.column("row_number").to_pylist(), strict=True)
    assert list(pairs) == [
        ("B", 5), ("a", 3), ("b", 1), ("b", 4), ("é", 2)
    ]  # fmt: skip


@pytest.mark.slow
def test_a_void_of_an_event_still_waiting_for_its_accounting_is_exact(database_url, tmp_path):
    """A bulk file's events are stored a group at a time and accounted later: a void in between
    accounts the event's batch first, then takes the event out; the resumed ingest skips it."""
    from seagreen.carbon_account.service import lifecycle
    from seagreen.carbon_account.service.lifecycle import VoidItem

    events = [{**row, "dedupe_key": ""} for row in rows(300, seed=13)]
    accepted_ids = [
        row["event_id"] for row in events if row["behaviour"] == "bus_trip" and row["quantity"] == "1"
    ]
    voided = accepted_ids[0]
    path = write_text(tmp_path / "events.csv", csv_text(events))

    def stop(committed, _last_row):
        if committed == 2:
            raise Crash

    with fresh_database(database_url, tmp_path / "voided") as (url, transactions):
        with pytest.raises(Crash):  # two groups stored, none accounted
            ingest(url, transactions, path, group_rows=100, after_batch=stop)
        with transactions() as session:
            result = lifecycle.void_events(
                session, partner_code="t-bus", items=[VoidItem(voided)], actor=TEST_ACTOR, now=INTAKE_NOW
            )
            assert result.reduction_g > 0
        ingest(url, transactions, path, group_rows=100)  # resumes; the voided event stays out
        balances = state(transactions)[0]
    without = write_text(
        tmp_path / "without.csv", csv_text([row for row in events if row["event_id"] != voided])
    )
    with fresh_database(database_url, tmp_path / "clean") as (url, transactions):
        ingest(url, transactions, without, group_rows=100)
        assert state(transactions)[0] == balances


def test_a_files_first_group_is_smaller_so_that_writing_starts_sooner():
    """Nothing can be written before the first group is checked: it is at most
    ``FIRST_GROUP_ROWS`` rows, the others about ``group_rows``; every row and error once, in order."""
    import pyarrow as pa

    from seagreen.carbon_account.domain import RowError
    from seagreen.carbon_account.intake_files import IntakeBatch

    def batch(first: int, count: int) -> IntakeBatch:
        numbers = pa.array(range(first, first + count), pa.int64())
        return IntakeBatch(pa.record_batch([numbers], names=["row_number"]), [RowError(first, "row", "x")])

    step = bulk.FIRST_GROUP_ROWS // 4
    batches = [batch(1 + n * step, step) for n in range(40)]
    groups = list(bulk._groups(iter(batches), bulk.FIRST_GROUP_ROWS * 4))
    sizes = [table.num_rows for table, _ in groups]
    assert sizes == [bulk.FIRST_GROUP_ROWS, *[bulk.FIRST_GROUP_ROWS * 4] * 2, bulk.FIRST_GROUP_ROWS]
    rows = [n for table, _ in groups for n in table.column("row_number").to_pylist()]
    assert rows == list(range(1, 1 + 40 * step))
    assert [e.row for _, errors in groups for e in errors] == [1 + n * step for n in range(40)]
    # groups smaller than the first group's bound are all that size (the tests' small groups)
    assert [t.num_rows for t, _ in bulk._groups(iter(batches[:4]), step)] == [step] * 4


PADDED = ("event_id", "resident_ref", "behaviour", "dedupe_key")


def test_a_file_padding_fields_with_tabs_repeats_the_events_the_api_took(database_url, tmp_path):
    """The API strips every field with ``str.strip()``; a file whose fields carry tabs and line
    breaks around the same values names the same events, residents and behaviours: all duplicates,
    nothing counted twice (DuckDB's ``trim`` alone strips spaces only)."""
    events = [row for row in rows(40, seed=11) if _accepted(row)]
    # (a quantity or time written unusually goes through the domain's own checks anyway)
    padded = [
        {name: f"\t{value}\r\n" if value and name in PADDED else value for name, value in row.items()}
        for row in events
    ]
    with fresh_database(database_url, tmp_path) as (url, transactions):
        with transactions() as session:
            sent = by_api(session, events)
        accepted = sent.count(Outcome.ACCEPTED)
        before = state(transactions)
        summary = ingest(url, transactions, write_text(tmp_path / "padded.csv", csv_text(padded)))
        assert accepted > 10 and summary.accepted == 0 and summary.rejected == 0
        assert summary.duplicates == len(events)
        assert state(transactions) == before


def test_events_the_api_took_with_typed_attributes_are_duplicates_in_json_lines_and_parquet(
    database_url, tmp_path
):
    """Attributes are part of an event's content, so a partner resending by file what it sent
    by the API (true/false, numbers with a fraction, a list, an ``attributes`` object) must get
    duplicates, not conflicts: each channel writes the same values as the same text."""
    api_events = [
        {
            "event_id": f"typed-{n}",
            "resident_ref": REFS[n],
            "behaviour": "bus_trip",
            "quantity": "1",
            "occurred_at": f"2024-06-0{n + 1}T08:15:00+08:00",
            "attributes": {"line": f"K{n}", "low_floor": n % 2 == 0, "speed_kmh": 20.5 + n},
            "stops": [n, n + 1],
            "fare_fen": 100,
        }
        for n in range(4)
    ]
    body = TypeAdapter(EventsIn).validate_json(json.dumps({"events": api_events}))  # as FastAPI reads it
    fields = ("event_id", "resident_ref", "behaviour", "quantity", "occurred_at")
    parquet_rows = {
        **{name: [e[name] for e in api_events] for name in fields},
        "line": [e["attributes"]["line"] for e in api_events],
        "low_floor": [e["attributes"]["low_floor"] for e in api_events],
        "speed_kmh": pa.array([e["attributes"]["speed_kmh"] for e in api_events], pa.float64()),
        "stops": [e["stops"] for e in api_events],
        "fare_fen": pa.array([100] * 4, pa.int32()),
    }
    with fresh_database(database_url, tmp_path) as (url, transactions):
        with transactions() as session:
            sent = by_api(session, [raw_event(event) for event in body["events"]])
        assert sent.count(Outcome.ACCEPTED) == 4
        before = state(transactions)
        lines = ingest(url, transactions, write_text(tmp_path / "resent.jsonl", jsonl_text(api_events)))
        parquet = tmp_path / "resent.parquet"
        pq.write_table(pa.table(parquet_rows), parquet)
        columns = ingest(url, transactions, parquet)
        for summary in (lines, columns):
            assert (summary.accepted, summary.duplicates, summary.conflicts, summary.rejected) == (0, 4, 0, 0)
        assert state(transactions) == before


CHANGES = {
    "resident_ref": "r-2",
    "behaviour": "ebus_km",
    "quantity": "2",
    "occurred_at": "2024-06-05T08:00:01+08:00",
    "dedupe_key": "UP-9",
    "line": "K2",  # an attribute
}


@pytest.mark.slow
def test_a_resend_differing_in_any_one_field_is_a_conflict_by_the_api_and_by_file(database_url, tmp_path):
    """A resend is compared with the stored event field by field (no hash stands for the content):
    each field, attributes included, alone makes the difference between a duplicate and a
    conflict, whether the resend comes by the API (``repository.intake``) or in a file
    (``repository.bulk_intake``)."""
    base = {"resident_ref": "r-1", "behaviour": "bus_trip", "quantity": "1",
            "occurred_at": "2024-06-05T08:00:00+08:00", "dedupe_key": "UP-1", "line": "K1"}  # fmt: skip
    originals = [{**base, "event_id": f"c-{name}"} for name in CHANGES]
    resent = [{**event, name: CHANGES[name]} for event, name in zip(originals, CHANGES, strict=True)]
    resent.append({**originals[0], "quantity": "1.000", "occurred_at": "2024-06-05T00:00:00Z"})  # the same
    with fresh_database(database_url, tmp_path) as (url, transactions):
        with transactions() as session:
            first = by_api(session, [raw_event(event) for event in originals])
            assert first.count(Outcome.ACCEPTED) == 1  # the others share its dedupe key
            again = by_api(session, [raw_event(event) for event in resent])
        assert [r.status for r in again.results] == [Outcome.CONFLICT] * len(CHANGES) + [Outcome.DUPLICATE]
        header = [*resent[0]]  # the attribute's column too
        by_file = ingest(url, transactions, write_text(tmp_path / "resent.csv", csv_text(resent, header)))
        assert (by_file.accepted, by_file.conflicts, by_file.duplicates) == (0, len(CHANGES), 1)


@pytest.mark.parametrize("form", ["csv", "jsonl", "parquet"])
def test_rows_holding_a_nul_character_are_quarantined_and_the_rest_of_the_file_taken(
    database_url, tmp_path, form
):
    """PostgreSQL's text cannot hold U+0000: a file with it in an event id or resident ref failed
    as a whole there, and SQLite stored the id as sent. Now the row alone is refused (the groups
    without one take the usual path), on either database."""
    good = [
        {"event_id": f"g-{n}", "resident_ref": REFS[n % 3], "behaviour": "bus_trip", "quantity": "1",
         "occurred_at": "2024-06-03T08:15:00+08:00", "dedupe_key": "", "line": "K1"}
        for n in range(12)
    ]  # fmt: skip
    held = [
        dict(good[0], event_id="n\x00id"),
        dict(good[0], event_id="n-ref", resident_ref="r-1\x00"),
        dict(good[0], event_id="n-beh", behaviour="bus_trip\x00"),
        dict(good[0], event_id="n-key", dedupe_key="k\x00"),
    ]
    attribute = dict(good[0], event_id="n-attr", line="K\x001")  # an attribute is stored as JSON
    events = [*good[:5], *held[:2], *good[5:9], attribute, *held[2:], *good[9:]]
    header = [*EVENT_HEADER, "line"]
    path = tmp_path / f"events.{form}"
    if form == "csv":
        write_text(path, csv_text(events, header))
    elif form == "jsonl":
        write_text(path, jsonl_text(events))
    else:
        pq.write_table(pa.table({name: [e[name] for e in events] for name in header}), path)
    with fresh_database(database_url, tmp_path) as (url, transactions):
        summary = ingest(url, transactions, path, group_rows=4)
        assert (summary.accepted, summary.rejected) == (13, 4)
        with open(summary.quarantine, newline="", encoding="utf-8") as handle:
            kept = list(csv.DictReader(handle))
        quarantined = [(int(r["row_number"]), r["field"], r["reason"]) for r in kept]
        assert "n\ufffdid" in {r["event_id"] for r in kept}  # shown, not held as NUL
        first = 2 if form == "csv" else 1  # a CSV file's first row is its header
        rows_of = {e["event_id"]: n for n, e in enumerate(events, start=first)}
        assert sorted(set(quarantined)) == sorted(
            {
                (rows_of["n\x00id"], "event_id", "invalid_character"),
                (rows_of["n-ref"], "resident_ref", "invalid_character"),
                (rows_of["n-beh"], "behaviour", "invalid_character"),
                (rows_of["n-beh"], "behaviour", "unknown_behaviour"),
                (rows_of["n-key"], "dedupe_key", "invalid_character"),
            }
        )
        with transactions(read_only=True) as session:
            stored = session.execute(text("SELECT attributes FROM carbon_events WHERE event_id = 'n-attr'"))
            assert json.loads(stored.scalar_one()) == {"line": "K\x001"}


def test_a_nul_is_looked_for_only_where_a_columns_bytes_hold_a_zero():
    """``bulk._rows_holding_nul``: ``None`` for the usual table, without a look at any row (a
    column of nulls, whose bytes Arrow may fill with zeros, included); the rows themselves when a
    column's own bytes hold a zero, and not for a slice whose rows hold none."""
    table = pa.table({name: pa.array(["a", "b", None, "c"]) for name in bulk.IDENTIFIERS})
    table = table.set_column(3, "dedupe_key", pa.nulls(4, pa.string()))
    with mock.patch.object(bulk.pc, "match_substring", wraps=bulk.pc.match_substring) as looked:
        assert bulk._rows_holding_nul(table) is None
        assert (
            bulk._rows_holding_nul(table.cast(table.schema.set(0, pa.field("event_id", pa.large_string()))))
            is None
        )
    assert looked.call_count == 0
    marked = table.set_column(1, "resident_ref", pa.array(["a", None, "x\x00", "c"]))
    assert bulk._rows_holding_nul(marked).to_pylist() == [False, False, True, False]
    assert bulk._rows_holding_nul(marked.slice(0, 2)) is None  # its rows' bytes hold no zero
    assert bulk._rows_holding_nul(marked.slice(2)).to_pylist() == [True, False]


def test_parquet_times_too_far_out_for_microseconds_are_refused_by_the_row(database_url, tmp_path):
    """10^15 s from 1970 overflowed as µs and failed the whole file; held at the reader's limit, such
    a time is refused as in the future or too old, by the same checks as any other."""
    times = [1_717_200_000_000, 10**18, -(10**18), 1_717_200_060_000]  # ms: the 1st and 4th on 1 June
    table = pa.table(
        {
            "event_id": [f"far-{n}" for n in range(4)],
            "resident_ref": [REFS[0]] * 4,
            "behaviour": ["bus_trip"] * 4,
            "quantity": ["1"] * 4,
            "occurred_at": pa.array(times, pa.timestamp("ms", "UTC")),
        }
    )
    path = tmp_path / "events.parquet"
    pq.write_table(table, path)
    with fresh_database(database_url, tmp_path) as (url, transactions):
        summary = ingest(url, transactions, path)
        assert (summary.accepted, summary.rejected) == (2, 2)
        with open(summary.quarantine, newline="", encoding="utf-8") as handle:
            found = {(int(r["row_number"]), r["field"], r["reason"]) for r in csv.DictReader(handle)}
        assert {(2, "occurred_at", "in_future"), (3, "occurred_at", "before_backfill_window")} <= found
