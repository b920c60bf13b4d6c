"""The bulk path's set-based checks (DuckDB) agree with the domain (``check_event`` plus residents
and consent, as the real-time API runs them) on generated events, odd ones included: the same
rows accepted, the same (field, reason) for the others, the same reductions, days and hashes."""

from __future__ import annotations

import json
import random
import re
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seagreen.audit.domain import Actor
from seagreen.carbon_account import service
from seagreen.carbon_account.domain import WHITE_SPACE
from seagreen.carbon_account.intake_files import BATCH_SCHEMA, EVENT_COLUMNS
from seagreen.carbon_account.service import bulk
from seagreen.carbon_account.service.bulk import DuckChecks
from seagreen.carbon_account.service.intake import check_events_python, load_catalogue, partner
from seagreen.identity import service as identity

ACTOR = Actor.system("test")
NOW = datetime(2026, 5, 20, 4, 0, tzinfo=UTC)
GRANTED = datetime(2026, 3, 1, tzinfo=UTC)
PREFIX = "agreement-prefix"

QUANTITIES = (
    "1", "1.0", "01.500", "+2", "12.5", "0.125", ".5", "5.", " 3.5 ", "0", "0.000", "-1", "-0.5",
    "1.2345", "1.0000", "1e3", "abc", "", "1,000", "999999999.999", "1000000000", "1000000000.001",
    "NaN", "inf", "0x10", "１２", "٣", "7.25", "2.000", "00000000000001", "\t2\n", "\u30004.5\xa0",
    "1.2.3", "+-1", "--1", "1e3.5", "+.5", "-.0", "+", ".",
)  # fmt: skip
TIMES = (
    "2026-05-01T08:00:00+08:00", "2026-05-01 08:00", "2026-05-01T00:00:00Z", "2026-05-01",
    "2026-05-01T08:00:00.123456+0800", "2026-05-01T08:00:00-05:00", "2026-05-01T08:00:00+08",
    "2026-04-30T15:59:59.999999Z", "2026-04-30T16:00:00Z", "2026-04-30T23:59:59", "2026/05/01 08:00",
    "2026-02-30T00:00:00", "2026-05-01T24:00:00", "20260501T080000", " 2026-05-02T09:00:00 ",
    "2026-05-20T12:04:00+08:00", "2026-05-20T12:06:00+08:00", "2026-05-20T04:04:59Z",
    "2026-02-19T12:00:00+08:00", "2026-02-20T11:00:00Z", "2025-12-31T23:00:00", "yesterday", "",
    "2026-05-01T08:00", "2026-05-01T08:00:00.5Z", "2026-03-01T00:00:00Z", "2026-02-28T23:59:59Z",
    "\t2026-05-01T08:00:00+08:00\r\n", "2026-05-01 08:00:00\x1c", "2026-05-01T08:00:00+ab",
    "2026-05-01T08:00:00+08:00:00", "2026-05-01T08:00-0", "2026-05-01T08:00:00Z+08", "2026-05-01Z",
    # instants at the ends of Python's datetime, which a zone (or the local one) carries past them
    "0001-01-01T00:00:00", "0001-01-01T07:59:59", "0001-01-01T00:00:00+14:00", "0001-01-02",
    "9999-12-31T23:59:59-23:59", "9999-12-31T23:59:59", "9999-12-31T20:00:00-04:00",
)  # fmt: skip
BEHAVIOURS = (
    "bus_trip", "ebus_km", "shared_bike_km", "online_train_ticket", " bus_trip ", "water_saved_m3",
    "mobile_payment", "ferry_trip", "BUS_TRIP", "", "公交出行", "x" * 65, "\tbus_trip\n", "bus\x00_trip",
)  # fmt: skip


def _residents():
    return {
        "ok": "ag-ok",
        "ok2": "ag-ok2",
        "revoked": "ag-revoked",
        "again": "ag-again",
        "never": "ag-never",
        "unknown": "ag-unknown",
        "empty": "",
        "long": "r" * 65,
        "chinese": "居民-1",
        "padded": " ag-ok ",
        "tabbed": "\tag-ok2\r\n",  # str.strip() removes every kind of white space, not only spaces
        "wide": "\u3000ag-ok\x85",
        "nul": "ag-ok\x00",  # PostgreSQL's text cannot hold it: refused, not stored (nor a failure)
    }


@pytest.fixture()
def world(session):
    service.load_shipped(session)
    service.add_partner(session, "ag-bus", kind="transit", name="一致性公交", actor=ACTOR)
    refs = ["ag-ok", "ag-ok2", "ag-revoked", "ag-again", "ag-never"]
    identity.ensure_resident_refs(session, refs, actor=ACTOR, now=GRANTED)
    wanted = {"ag-ok": {"ag-bus"}, "ag-ok2": {"ag-bus"}, "ag-revoked": {"ag-bus"}, "ag-again": {"ag-bus"}}
    service.set_consents(session, {**wanted, "ag-never": set()}, actor=ACTOR, source="t", now=GRANTED)
    # revoked on 2026-05-01 00:00 local: events before stay consented, events after are not
    service.revoke_consent(
        session, "ag-revoked", "ag-bus", actor=ACTOR, now=datetime(2026, 4, 30, 16, tzinfo=UTC)
    )
    # two intervals: authorised, revoked over 2026-04-30 local, authorised again from 2026-05-01
    service.revoke_consent(
        session, "ag-again", "ag-bus", actor=ACTOR, now=datetime(2026, 4, 29, 16, tzinfo=UTC)
    )
    service.set_consents(
        session,
        {"ag-again": {"ag-bus"}},
        actor=ACTOR,
        source="t",
        now=datetime(2026, 4, 30, 16, tzinfo=UTC),
        revoke_others=False,
    )
    return partner(session, "ag-bus")


def generated(seed: int, count: int) -> list[dict[str, str | None]]:
    rng = random.Random(seed)
    refs = list(_residents().values())
    events = []
    for index in range(count):
        event: dict[str, str | None] = {
            "event_id": rng.choice(
                (
                    f"e{seed}-{index}",
                    f"事件{index}",
                    "",
                    " ",
                    "\t\n",
                    "i" * 129,
                    f" e{index} ",
                    f"\te{index}\x1f",
                    f"e{index}\x00nul",
                )
            ),
            "resident_ref": rng.choice(refs[:2] * 6 + refs),
            "behaviour": rng.choice(list(BEHAVIOURS[:4]) * 4 + list(BEHAVIOURS)),
            "quantity": rng.choice(QUANTITIES),
            "occurred_at": rng.choice(TIMES),
            "dedupe_key": rng.choice(
                [None, None, f"k{index % 7}", "", "渠道-流水-1", "d" * 257, f"\tk{index % 7}\u2028", "k\x00"]
            ),
        }
        for name in list(event):
            if rng.random() < 0.03:
                event[name] = None
        if event["event_id"] and rng.random() < 0.9:
            event["event_id"] = f"{event['event_id']}#{index}"  # unique ids mostly
        events.append(event)
    return events


def as_raw_table(events: list[dict[str, str | None]]) -> pa.Table:
    columns = {name: [e.get(name) for e in events] for name in BATCH_SCHEMA.names if name != "row_number"}
    columns["attributes"] = [
        json.dumps({"线路": "1"}, ensure_ascii=False, separators=(",", ":")) if i % 5 == 0 else None
        for i in range(len(events))
    ]
    return pa.table(
        {"row_number": pa.array(range(2, len(events) + 2), pa.int64()), **columns}, schema=BATCH_SCHEMA
    )


def python_reference(session, who, events):
    numbered = []
    for number, event in enumerate(events, start=2):
        raw = {k: v for k, v in event.items() if v is not None}
        if number % 5 == 2:
            raw["attributes"] = {"线路": "1"}
        numbered.append((number, raw))
    catalogue = load_catalogue(session)
    return check_events_python(session, catalogue, who, numbered, now=NOW, prefix=PREFIX, backfill_days=90)


def bulk_checked(session, world, events):
    """The bulk path's checks of ``events``: (staged rows, row errors)."""
    checks = DuckChecks(session, load_catalogue(session), world, now=NOW, prefix=PREFIX, backfill_days=90)
    try:
        staged, errors, _ids = checks.check(as_raw_table(events), session)
    finally:
        checks.close()
    return staged, errors


def reasons_by_row(errors) -> dict[int, set[tuple[str, str]]]:
    """The bulk checks' ``RowError`` s as {row: {(field, reason)}}."""
    found: dict[int, set[tuple[str, str]]] = {}
    for error in errors:
        found.setdefault(error.row, set()).add((error.field, str(error.reason)))
    return found


def expected_reasons(expected) -> dict[int, set[tuple[str, str]]]:
    """The domain's errors (``CheckedBatch.errors``) in the same form."""
    return {row: {(e.field, str(e.reason)) for e in found} for row, found in expected.errors.items()}


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_duckdb_checks_agree_with_the_domain(session, world, seed):
    events = generated(seed, 1_500)
    expected = python_reference(session, world, events)
    staged, errors = bulk_checked(session, world, events)
    numbers = staged.column("row_number").to_pylist()
    assert numbers == sorted(numbers)  # in row order as they come: the writer's key order relies on it

    got_rows = staged.sort_by("row_number").to_pylist()
    want_rows = expected.staged.sort_by("row_number").to_pylist()
    assert [r["row_number"] for r in got_rows] == [r["row_number"] for r in want_rows]
    assert got_rows == want_rows  # reductions, days, months, milli-quantities, hashes, ids
    want_errors = expected_reasons(expected)
    assert reasons_by_row(errors) == want_errors
    # the generator reaches every branch worth reaching
    reasons = {reason for found in want_errors.values() for _, reason in found}
    assert len(got_rows) > 50
    assert {
        "missing", "too_long", "invalid_character", "unknown_behaviour", "partner_kind_not_allowed",
        "not_a_number", "not_positive", "too_many_decimals", "too_large", "invalid_datetime", "in_future",
        "before_backfill_window", "unknown_resident", "no_consent",
    } <= reasons  # fmt: skip


def test_the_window_edges_agree(session, world):
    """Five minutes ahead and exactly the backfill limit, to the microsecond."""
    edges = [NOW + timedelta(minutes=5), NOW + timedelta(minutes=5, microseconds=1),
             NOW - timedelta(days=90), NOW - timedelta(days=90, microseconds=1)]  # fmt: skip
    events = [
        {"event_id": f"edge{i}", "resident_ref": "ag-ok", "behaviour": "bus_trip", "quantity": "1",
         "occurred_at": moment.isoformat(), "dedupe_key": None}
        for i, moment in enumerate(edges)
    ]  # fmt: skip
    expected = python_reference(session, world, events)
    staged, errors = bulk_checked(session, world, events)
    assert staged.column("row_number").to_pylist() == expected.staged.column("row_number").to_pylist()
    assert {(e.row, e.field, str(e.reason)) for e in errors} == {
        (row, f.field, str(f.reason)) for row, found in expected.errors.items() for f in found
    }


def _bus_trips(prefix: str, quantities: list[str]) -> list[dict[str, str | None]]:
    """One bus trip event of the consenting resident for each quantity, at a plain time."""
    return [
        {"event_id": f"{prefix}{n}", "resident_ref": "ag-ok", "behaviour": "bus_trip", "quantity": quantity,
         "occurred_at": "2026-05-01T08:00:00+08:00", "dedupe_key": None}
        for n, quantity in enumerate(quantities)
    ]  # fmt: skip


def test_reductions_either_side_of_64_bits_agree(session, world):
    """The checks multiply a factor by a quantity in 64 bits while the product fits (bus trips at
    100 g: up to 92,233,720.368 trips), in 128 bits past it; both exact, as the domain's Decimal."""
    quantities = ["92233720.367", "92233720.368", "92233720.369", "92233721", "999999999.999", "1", "0.001"]
    events = _bus_trips("big", quantities)
    expected = python_reference(session, world, events)
    staged, errors = bulk_checked(session, world, events)
    assert errors == []
    got = staged.sort_by("row_number").column("reduction_g").to_pylist()
    assert got == expected.staged.sort_by("row_number").column("reduction_g").to_pylist()
    assert got == [int(Decimal(q) * 100) for q in quantities]
    factor_micro = 100 * 1_000_000  # the two sides of the limit, in the checks' units
    assert factor_micro * 92_233_720_368 <= 2**63 - 1 < factor_micro * 92_233_720_369


def test_a_partners_consents_come_with_their_residents_refs(session, world):
    """The checks' residents table is built from one read: each consent a partner was ever given,
    with the resident's ref, in resident order (a resident authorised again has two)."""
    from seagreen.carbon_account.repository import partners as partner_rows

    rows = partner_rows.consents_of_partner(session, world.id)
    ids = identity.resident_ids(session, ["ag-ok", "ag-ok2", "ag-revoked", "ag-again"])
    assert [resident for resident, *_ in rows] == sorted(resident for resident, *_ in rows)
    assert sorted({(resident, ref) for resident, ref, *_ in rows}) == sorted(
        (i, ref) for ref, i in ids.items()
    )
    again = [(granted, revoked) for resident, _, granted, revoked in rows if resident == ids["ag-again"]]
    assert len(again) == 2 and sorted(again, key=lambda r: r[0])[0][1] is not None
    assert [revoked for resident, _, _, revoked in rows if resident == ids["ag-ok"]] == [None]


def test_white_space_is_what_str_strip_removes():
    stripped = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
    assert stripped == WHITE_SPACE


_FIELD_CHARACTERS = st.one_of(
    st.sampled_from(WHITE_SPACE + "\u200b\ufeffa 1"),
    st.characters(exclude_categories=("Cs",)),  # a surrogate is no UTF-8: no file or request holds one
)


@given(st.text(alphabet=_FIELD_CHARACTERS))
def test_the_bulk_checks_strip_a_field_as_the_domain_does(text):
    """The bulk checks strip every text field with Arrow (``bulk._stripped``); the domain with
    ``str.strip()``."""
    raw = as_raw_table([dict.fromkeys(EVENT_COLUMNS, text)])
    stripped = bulk._stripped(raw)
    assert [stripped.column(name)[0].as_py() for name in EVENT_COLUMNS] == [text.strip()] * len(EVENT_COLUMNS)


def _plain_quantity(rng: random.Random) -> str:
    sign = rng.choice(("", "", "+", "-"))
    whole = rng.choice(
        ("", "0", "00", "1", "01", "7", "999999999", "1000000000", "0001000000000", "12345678901")
    )
    fraction = rng.choice((None, "", "0", "000", "0000", "5", "125", "1250", "001", "999", "9995"))
    return sign + whole + ("" if fraction is None else "." + fraction)


def _plain_time(rng: random.Random) -> str:
    day = rng.choice(("2026-05-01", "2026-05-19", "2026-02-28", "2026-05-20", "2026-04-30"))
    if rng.random() < 0.1:
        return day
    clock = f"{rng.randint(0, 23):02d}:{rng.choice((0, 15, 59)):02d}"
    seconds = rng.choice(("", f":{rng.choice((0, 30, 59)):02d}"))
    fraction = rng.choice(("", ".5", ".123456", ".000001")) if seconds else ""
    zone = rng.choice(
        ("", "Z", "+08:00", "+0800", "+08", "-05:00", "-0530", "+14:00", "-12:00", "+00:30", "-00")
    )
    return day + rng.choice(("T", " ")) + clock + seconds + fraction + zone


@pytest.mark.parametrize("seed", [1, 2])
def test_plain_quantities_and_times_agree_with_the_domain(session, world, seed):
    """The plain forms the SQL takes apart itself (signs, leading zeros, points, fractions, every
    zone form), many combinations: the same milli-quantities, instants and reasons as the domain."""
    rng = random.Random(seed)
    events = [
        {"event_id": f"p{seed}-{n}", "resident_ref": "ag-ok", "behaviour": "bus_trip",
         "quantity": _plain_quantity(rng), "occurred_at": _plain_time(rng), "dedupe_key": None}
        for n in range(1_500)
    ]  # fmt: skip
    expected = python_reference(session, world, events)
    staged, errors = bulk_checked(session, world, events)
    assert staged.sort_by("row_number").to_pylist() == expected.staged.sort_by("row_number").to_pylist()
    assert reasons_by_row(errors) == expected_reasons(expected)
    assert expected.staged.num_rows > 300 and len(expected.errors) > 300


def test_plain_quantities_are_checked_in_sql(session, world, monkeypatch):
    """A quantity in a plain form (sign, digits, one point), whether accepted or refused, does not
    send its row to the domain's checks, which are there for the unusual forms: the bulk path's
    speed depends on it. (The SQL reads one with three decimals at most as a DECIMAL(18, 3).)"""
    rng = random.Random(7)
    odd = {"-0", "+.5", "5.", "0.0001", "1000000000.000"}
    quantities = sorted({_plain_quantity(rng) for _ in range(400)} | odd)
    quantities = [q for q in quantities if re.fullmatch(bulk._Q_PLAIN, q)]
    events = _bus_trips("q", quantities)
    expected = python_reference(session, world, events)
    sent: list[int] = []
    checks_python = bulk.check_events_python

    def recording(session, catalogue, who, numbered, **options):
        sent.extend(number for number, _ in numbered)
        return checks_python(session, catalogue, who, numbered, **options)

    monkeypatch.setattr(bulk, "check_events_python", recording)
    staged, errors = bulk_checked(session, world, events)
    assert sent == []
    assert staged.sort_by("row_number").to_pylist() == expected.staged.sort_by("row_number").to_pylist()
    assert reasons_by_row(errors) == expected_reasons(expected)
    reasons = {reason for found in expected_reasons(expected).values() for _, reason in found}
    assert {"not_positive", "too_many_decimals", "too_large"} <= reasons
    assert len(quantities) > 100 and expected.staged.num_rows > 50


def test_only_refused_rows_are_checked_again_for_their_findings(session, world, monkeypatch):
    """The checks' query hands over each check's finding only for the rows it refused: a group of
    good rows is one query without them; a refused row is queried again, alone."""
    calls: list[tuple[bool, list[int]]] = []
    query = DuckChecks._query

    def recording(self, raw, *, errors):
        calls.append((errors, raw.column("row_number").to_pylist()))
        return query(self, raw, errors=errors)

    monkeypatch.setattr(DuckChecks, "_query", recording)
    good = _bus_trips("f", ["1", "2.5", "3"])
    staged, errors = bulk_checked(session, world, good)
    assert staged.num_rows == 3 and errors == []
    assert calls == [(False, [2, 3, 4])]

    calls.clear()
    staged, errors = bulk_checked(session, world, [*good, *_bus_trips("g", ["-1"])])
    assert staged.num_rows == 3
    assert [(e.row, e.field, str(e.reason)) for e in errors] == [(5, "quantity", "not_positive")]
    assert calls == [(False, [2, 3, 4, 5]), (True, [5])]
