"""Month rows: the domain's rule for adding a day's reductions, and its set-based form for bulk
files (``service.month_arrays``, NumPy) kept equal to it."""

from __future__ import annotations

from unittest import mock

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seagreen.carbon_account.domain import (
    DAYS_IN_ROW,
    MonthRow,
    add_to_month,
    add_to_packed_month,
    pack_days,
    unpack_days,
)
from seagreen.carbon_account.repository import bulk_intake
from seagreen.carbon_account.service import bulk_accounting, month_arrays

grams = st.integers(0, 5_000)
additions = st.dictionaries(st.integers(1, DAYS_IN_ROW), grams, max_size=8)
caps = st.one_of(st.none(), st.integers(1, 3_000))


def test_days_pack_to_text_and_back():
    days = [None] * DAYS_IN_ROW
    days[0], days[16], days[30] = 600, 0, 1076
    packed = pack_days(days)
    assert packed.startswith("600,") and packed.endswith(",1076") and packed.count(",") == 30
    assert unpack_days(packed) == days
    assert unpack_days(None) == [None] * DAYS_IN_ROW
    with pytest.raises(ValueError):
        unpack_days("1,2,3")


def test_each_day_is_capped_then_the_month():
    row = add_to_month(MonthRow(), {1: 700, 2: 300, 3: 600}, daily_cap_g=600, monthly_cap_g=1_000)
    assert (row.reduction_g, row.day_credited_g, row.credited_g) == (1_600, 1_500, 1_000)
    more = add_to_month(row, {2: 500}, daily_cap_g=600, monthly_cap_g=None)
    assert more.days[1] == 800 and more.day_credited_g == 1_800  # day 2: min(800, 600)


def test_refuses_a_negative_reduction():
    with pytest.raises(ValueError):
        add_to_month(MonthRow(), {3: -1}, daily_cap_g=None, monthly_cap_g=None)


@given(first=additions, second=additions, daily=caps, monthly=caps)
def test_adding_in_two_steps_equals_adding_at_once(first, second, daily, monthly):
    both = dict(first)
    for day, amount in second.items():
        both[day] = both.get(day, 0) + amount
    stepwise = add_to_month(
        add_to_month(MonthRow(), first, daily_cap_g=daily, monthly_cap_g=monthly),
        second,
        daily_cap_g=daily,
        monthly_cap_g=monthly,
    )
    assert stepwise == add_to_month(MonthRow(), both, daily_cap_g=daily, monthly_cap_g=monthly)


@given(first=additions, second=additions, daily=caps, monthly=caps)
def test_adding_to_the_stored_form_equals_the_domain(first, second, daily, monthly):
    """What the real-time intake runs (only the changed days parsed and formatted) equals
    ``add_to_month`` packed, from no row and from a stored one."""
    before = add_to_month(MonthRow(), first, daily_cap_g=daily, monthly_cap_g=monthly)
    for stored, packed in ((MonthRow(), None), (before, pack_days(before.days))):
        after = add_to_month(stored, second, daily_cap_g=daily, monthly_cap_g=monthly)
        assert add_to_packed_month(
            packed,
            stored.reduction_g,
            stored.day_credited_g,
            second,
            daily_cap_g=daily,
            monthly_cap_g=monthly,
        ) == (pack_days(after.days), after.reduction_g, after.day_credited_g, after.credited_g)


def test_the_stored_form_refuses_a_short_row_and_a_negative_reduction():
    with pytest.raises(ValueError):
        add_to_packed_month("1,2,3", 6, 6, {1: 1}, daily_cap_g=None, monthly_cap_g=None)
    with pytest.raises(ValueError):
        add_to_packed_month(None, 0, 0, {3: -1}, daily_cap_g=None, monthly_cap_g=None)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.tuples(st.sampled_from([None, (100, 800, 700)]), additions), min_size=1, max_size=6),
    daily=caps,
    monthly=caps,
    slice_rows=st.integers(1, 7),
)
def test_the_numpy_form_equals_the_domain(rows, daily, monthly, slice_rows):
    old_rows, added_rows, expected = [], [], []
    for key, (stored, by_day) in enumerate(rows):
        before = MonthRow()
        if stored is not None:
            before = add_to_month(
                MonthRow(),
                {5: stored[0], 9: stored[1], 20: stored[2]},
                daily_cap_g=daily,
                monthly_cap_g=monthly,
            )
            old_rows.append(
                (
                    key,
                    1,
                    7,
                    before.reduction_g,
                    before.day_credited_g,
                    before.credited_g,
                    pack_days(before.days),
                )
            )
        for day, amount in by_day.items():
            added_rows.append((key, 1, 3, 7, day, amount))
        if by_day:
            after = add_to_month(before, by_day, daily_cap_g=daily, monthly_cap_g=monthly)
            expected.append(
                (
                    key,
                    after.reduction_g,
                    after.day_credited_g,
                    after.credited_g,
                    pack_days(after.days),
                    before.credited_g,
                )
            )
    stored = pa.table(
        {
            n: pa.array([r[i] for r in old_rows], pa.string() if n == "days" else pa.int64())
            for i, n in enumerate(bulk_intake.MONTH_COLUMNS)
        }
    )
    events = pa.table(
        {
            n: pa.array([r[i] for r in added_rows], pa.int64())
            for i, n in enumerate(
                ("resident_id", "behaviour_id", "version_id", "month", "dom", "reduction_g")
            )
        }
    )
    caps_table = pa.table(
        {
            "behaviour_id": pa.array([1], pa.int64()),
            "daily_cap": pa.array([daily], pa.int64()),
            "monthly_cap": pa.array([monthly], pa.int64()),
        }
    )
    with mock.patch.object(month_arrays, "SLICE_ROWS", slice_rows):  # the days in slices of rows
        got = month_arrays.month_update(
            month_arrays.pivot_added(events), stored, month_arrays.Caps.of(caps_table)
        ).to_pylist()
    assert [
        (
            r["resident_id"],
            r["reduction_g"],
            r["day_credited_g"],
            r["credited_g"],
            r["days"],
            r["old_credited"],
        )
        for r in got
    ] == expected
    assert [r["stored"] for r in got] == [any(row[0] == r["resident_id"] for row in old_rows) for r in got]


class _Stored:
    """``bulk_intake.OldTotals`` without a database: the stored month rows of a part."""

    def __init__(self, db: duckdb.DuckDBPyConnection, table: pa.Table, parts: int) -> None:
        self.db, self.table, self.parts = db, table, parts

    def months(self, part: int) -> pa.Table:
        self.db.register("stored_months", self.table)
        try:
            where = f"{bulk_accounting.part_of(self.parts)} = {part}"
            return self.db.sql(f"SELECT * FROM stored_months WHERE {where}").to_arrow_table()
        finally:
            self.db.unregister("stored_months")


def _flush_in_parts(pending, old_table: pa.Table, parts: int) -> tuple[list[list[tuple]], list[tuple]]:
    """``PendingTotals._part`` for every part, as a flush runs them: the new month, version and
    resident rows, and the residents owed points, each sorted."""
    for name in ("new_months", "new_versions", "new_residents"):
        pending.db.execute(f"DROP TABLE IF EXISTS {name}")
    stored = _Stored(pending.db, old_table, parts)
    owed: list[tuple] = []
    for part in range(parts):
        owed.extend(
            tuple(r.values())
            for r in pending._part(part, parts, stored.months(part), settle=True).to_pylist()
        )
    tables = [
        pending.db.sql(f"SELECT * FROM {name} ORDER BY ALL").fetchall()
        for name in ("new_months", "new_versions", "new_residents")
    ]
    return tables, sorted(owed)


@settings(max_examples=25, deadline=None)
@given(
    events=st.lists(
        st.tuples(st.integers(1, 40), st.integers(1, 3), st.integers(0, 2), st.integers(1, 31), grams),
        max_size=80,
    ),
    stored=st.dictionaries(
        st.tuples(st.integers(1, 40), st.integers(1, 3), st.integers(0, 2)),
        st.lists(st.one_of(st.none(), grams), min_size=DAYS_IN_ROW, max_size=DAYS_IN_ROW),
        max_size=30,
    ),
    posted=st.dictionaries(st.integers(1, 40), st.integers(0, 5_000), max_size=40),
    part_rows=st.integers(1, 30),
)
def test_a_flush_in_parts_of_the_residents_equals_it_computed_at_once(events, stored, posted, part_rows):
    """A flush computes a large accounting one part of the residents at a time so that its wide
    rows fit in memory, and posts each part's points while the next is computed
    (``PendingTotals._part``); the parts together are the month, version and resident rows
    computed at once, every touched month row is there exactly once, and the residents owed
    points are the same."""
    pending_table = pa.table(
        {
            "resident_id": pa.array([e[0] for e in events], pa.int64()),
            "behaviour_id": pa.array([e[1] for e in events], pa.int32()),
            "version_id": pa.array([1] * len(events), pa.int32()),
            "month": pa.array([24_300 + e[2] for e in events], pa.int32()),
            "dom": pa.array([e[3] for e in events], pa.int8()),
            "reduction_g": pa.array([e[4] for e in events], pa.int64()),
        }
    )
    old_rows = []
    for (resident, behaviour, month), days in sorted(stored.items()):
        total = sum(d or 0 for d in days)
        old_rows.append(
            (resident, behaviour, 24_300 + month, total, min(total, 900), min(total, 700), pack_days(days))
        )
    names = bulk_intake.MONTH_COLUMNS
    old_table = pa.table(
        {
            n: pa.array([r[i] for r in old_rows], pa.string() if n == "days" else pa.int64())
            for i, n in enumerate(names)
        }
    )
    credited: dict[int, int] = {}
    for row in old_rows:
        credited[row[0]] = credited.get(row[0], 0) + row[5]
    residents = sorted(credited)
    old_versions = pa.table(
        {
            "resident_id": pa.array(residents, pa.int64()),
            "version_id": pa.array([1] * len(residents), pa.int64()),
            "credited_g": pa.array([credited[r] for r in residents], pa.int64()),
        }
    )
    old_points = pa.table(
        {
            "resident_id": pa.array(residents, pa.int64()),
            "points": pa.array([credited[r] // 100 for r in residents], pa.int64()),
            "points_posted": pa.array([posted.get(r, 0) for r in residents], pa.int64()),
            "credited_g": pa.array([credited[r] for r in residents], pa.int64()),
            "settled_batch_id": pa.array([7] * len(residents), pa.int64()),
        }
    )
    caps = pa.table(
        {
            "behaviour_id": pa.array([1, 2, 3], pa.int64()),
            "version_id": pa.array([1, 1, 1], pa.int64()),
            "daily_cap": pa.array([None, 400, 1_000], pa.int64()),
            "monthly_cap": pa.array([2_000, None, 9_000], pa.int64()),
            "multiplier": pa.array([1, 1, 1], pa.int64()),
        }
    )
    pending = bulk_accounting.PendingTotals.__new__(bulk_accounting.PendingTotals)
    pending.db = duckdb.connect()
    pending.common_multiple = 100  # 100 g a point
    pending.caps = month_arrays.Caps.of(caps)
    pending._pending, pending._parts_of = pending_table, None  # as ``flush`` keeps them
    try:
        for name, table in (
            ("pending", pending_table),
            ("behaviours", caps),
            ("old_versions", old_versions),
            ("old_points", old_points),
        ):
            pending.db.register(name, table)
        touched = len({(e[0], e[1], e[2]) for e in events})
        whole, whole_owed = _flush_in_parts(pending, old_table, 1)  # one part: the reference
        with mock.patch.object(bulk_accounting, "PART_MONTH_ROWS", part_rows):
            parts = pending.parts(touched)
            in_parts, owed = _flush_in_parts(pending, old_table, parts)
    finally:
        pending.db.close()
    assert parts == max(1, -(-touched // part_rows))
    assert in_parts == whole
    assert owed == whole_owed
    assert len(whole[0]) == touched
    assert len(whole[2]) == len({e[0] for e in events})
    # owed: the touched residents whose points now exceed what the ledger holds (none for a
    # resident without stored totals)
    held = {r: posted.get(r, 0) for r in residents}
    assert {row[0] for row in owed} == {row[0] for row in whole[2] if row[3] > held.get(row[0], 0)}


def _staged(resident_ids: list[int]) -> pa.Table:
    count = len(resident_ids)
    return pa.table(
        {
            "row_number": pa.array(range(1, count + 1), pa.int64()),
            "resident_id": pa.array(resident_ids, pa.int64()),
            "behaviour_id": pa.array([3] * count, pa.int64()),
            "version_id": pa.array([1] * count, pa.int64()),
            "month": pa.array([24_310] * count, pa.int64()),
            "dom": pa.array([28] * count, pa.int64()),
            "reduction_g": pa.array([2**40] * count, pa.int64()),
        }
    )


def test_pending_events_are_kept_narrow_and_a_value_past_a_width_fails_loudly():
    pending = bulk_accounting.PendingTotals.__new__(bulk_accounting.PendingTotals)
    pending.chunks, pending.batches, pending.rows = {}, [], 0
    pending.add(1, _staged([7, 2**31 - 1]))
    (chunk,) = pending.chunks[1]
    assert chunk.schema == bulk_accounting.PENDING
    assert chunk.column("resident_id").to_pylist() == [7, 2**31 - 1]
    assert chunk.column("reduction_g").to_pylist() == [2**40, 2**40]
    with pytest.raises(pa.ArrowInvalid):  # never wrapped around into another resident's id
        pending.add(2, _staged([2**31]))


@settings(max_examples=60, deadline=None)
@given(
    events=st.lists(
        st.tuples(
            st.integers(0, 2**31 - 1) | st.integers(1, 5),
            st.integers(1, 4),
            st.integers(0, 2),
            st.integers(1, DAYS_IN_ROW),
            st.integers(0, 3) | grams,
        ),
        max_size=120,
    )
)
def test_the_numpy_day_pivot_sums_each_month_row_and_day(events):
    """``month_arrays.pivot_added``: the month rows in key order, each day's sum, and which days
    had events (a day whose events reduced nothing had events: it is stored as 0, not empty)."""
    version_of = {1: 1, 2: 1, 3: 2, 4: 2}  # a catalogue row belongs to one version
    table = pa.table(
        {
            "resident_id": pa.array([e[0] for e in events], pa.int32()),
            "behaviour_id": pa.array([e[1] for e in events], pa.int16()),
            "version_id": pa.array([version_of[e[1]] for e in events], pa.int16()),
            "month": pa.array([24_300 + e[2] for e in events], pa.int16()),
            "dom": pa.array([e[3] for e in events], pa.int8()),
            "reduction_g": pa.array([e[4] for e in events], pa.int64()),
        }
    )
    expected: dict[tuple[int, int, int], dict[int, int]] = {}
    for resident, behaviour, month, dom, grams in events:
        days = expected.setdefault((resident, behaviour, 24_300 + month), {})
        days[dom] = days.get(dom, 0) + grams
    added = month_arrays.pivot_added(table)
    keys = [(int(k) >> 32, (int(k) >> 16) & 0xFFFF, int(k) & 0xFFFF) for k in added.key]
    assert keys == sorted(expected)
    assert added.version_id.tolist() == [version_of[k[1]] for k in keys]
    for row, key in enumerate(keys):
        got = {day + 1: int(added.days[day, row]) for day in range(DAYS_IN_ROW) if added.seen[day, row]}
        assert got == expected[key]
        assert all(added.days[day, row] == 0 for day in range(DAYS_IN_ROW) if not added.seen[day, row])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-(2**63), 2**63 - 1) | st.integers(0, 6), max_size=200))
def test_factorising_the_month_row_keys_equals_numpys_unique(values):
    """``month_arrays.factorise`` (hash, then sort the distinct values) is ``np.unique`` with the
    inverse: the same distinct values in order and the same place for every value."""
    array = np.array(values, np.int64)
    distinct, place = month_arrays.factorise(array)
    expected_distinct, expected_place = np.unique(array, return_inverse=True)
    assert distinct.tolist() == expected_distinct.tolist()
    assert place.tolist() == expected_place.tolist()
    assert distinct[place].tolist() == values


def test_the_numpy_day_pivot_refuses_what_it_cannot_sum_exactly():
    def table(resident: int = 1, dom: int = 1, grams: int = 5) -> pa.Table:
        return pa.table(
            {
                "resident_id": pa.array([resident, 2], pa.int64()),
                "behaviour_id": pa.array([1, 1], pa.int16()),
                "version_id": pa.array([1, 1], pa.int16()),
                "month": pa.array([24_300, 24_300], pa.int16()),
                "dom": pa.array([dom, 1], pa.int8()),
                "reduction_g": pa.array([grams, 1], pa.int64()),
            }
        )

    assert month_arrays.pivot_added(table()).days[0].tolist() == [5, 1]
    with pytest.raises(ValueError, match="resident_id"):
        month_arrays.pivot_added(table(resident=-1))
    with pytest.raises(ValueError, match="resident_id"):
        month_arrays.pivot_added(table(resident=2**31))
    with pytest.raises(ValueError, match="day of month"):
        month_arrays.pivot_added(table(dom=32))
    with pytest.raises(OverflowError):
        month_arrays.pivot_added(table(grams=2**62))
    with pytest.raises(ValueError, match="negative"):
        month_arrays.pivot_added(table(grams=-1))
    # one very large reduction among many small ones is summed, not refused: only a sum that
    # could leave 64 bits is (the largest quantity a partner may send times a large factor)
    count = 500_000
    grams = np.ones(count, np.int64)
    grams[0] = 10**13
    many = pa.table(
        {
            "resident_id": pa.array(np.ones(count, np.int32)),
            "behaviour_id": pa.array(np.ones(count, np.int16)),
            "version_id": pa.array(np.ones(count, np.int16)),
            "month": pa.array(np.full(count, 24_300, np.int16)),
            "dom": pa.array(np.ones(count, np.int8)),
            "reduction_g": pa.array(grams),
        }
    )
    assert month_arrays.pivot_added(many).days[0].tolist() == [10**13 + count - 1]
    big = 2**61
    assert month_arrays._exact_sum(np.array([big - 1, big - 1, 5], np.int64)) == 2 * big + 3
    assert month_arrays.pivot_added(table().slice(0, 0)).rows == 0


def test_the_numpy_month_update_reads_stored_rows_in_any_order_and_refuses_a_broken_one():
    caps = month_arrays.Caps.of(
        pa.table(
            {
                "behaviour_id": pa.array([1, 2], pa.int64()),
                "daily_cap": pa.array([500, None], pa.int64()),
                "monthly_cap": pa.array([None, 900], pa.int64()),
            }
        )
    )
    events = pa.table(
        {
            "resident_id": pa.array([3, 1, 3], pa.int32()),
            "behaviour_id": pa.array([1, 2, 2], pa.int16()),
            "version_id": pa.array([1, 1, 1], pa.int16()),
            "month": pa.array([24_300] * 3, pa.int16()),
            "dom": pa.array([2, 31, 1], pa.int8()),
            "reduction_g": pa.array([450, 700, 0], pa.int64()),
        }
    )
    day_2 = [None] * DAYS_IN_ROW
    day_2[1] = 300
    stored = {  # (resident, behaviour) -> packed days; stored in no particular order
        (3, 2): None,
        (3, 1): pack_days(day_2),
        (9, 1): pack_days(day_2),  # a row no event touches: not in the result
    }

    def table(days: dict) -> pa.Table:
        keys = list(days)
        return pa.table(
            {
                "resident_id": pa.array([k[0] for k in keys], pa.int64()),
                "behaviour_id": pa.array([k[1] for k in keys], pa.int64()),
                "month": pa.array([24_300] * len(keys), pa.int64()),
                "reduction_g": pa.array([0 if d is None else 300 for d in days.values()], pa.int64()),
                "day_credited_g": pa.array([0 if d is None else 300 for d in days.values()], pa.int64()),
                "credited_g": pa.array([0 if d is None else 300 for d in days.values()], pa.int64()),
                "days": pa.array(list(days.values()), pa.string()),
            }
        )

    got = month_arrays.month_update(month_arrays.pivot_added(events), table(stored), caps).to_pylist()
    assert [(r["resident_id"], r["behaviour_id"], r["stored"]) for r in got] == [
        (1, 2, False),
        (3, 1, True),
        (3, 2, True),
    ]
    assert unpack_days(got[1]["days"])[1] == 750 and got[1]["day_credited_g"] == 500  # day 2 capped
    assert got[1]["reduction_g"] == 750 and got[1]["old_credited"] == 300
    assert unpack_days(got[2]["days"])[0] == 0  # a day whose events reduced nothing is kept, as 0
    assert got[0]["credited_g"] == 700 and got[0]["days"].endswith(",700")
    with pytest.raises(ValueError, match="resident 3, behaviour 1, month 24300"):
        month_arrays.month_update(month_arrays.pivot_added(events), table({(3, 1): "1,2,3"}), caps)
    unknown = events.set_column(1, "behaviour_id", pa.array([1, 2, 7], pa.int16()))
    with pytest.raises(ValueError, match="not in the catalogue"):
        month_arrays.month_update(month_arrays.pivot_added(unknown), table({}), caps)
