"""A bulk file's month rows computed with NumPy and Arrow: ``domain.add_to_month`` for a flush's
part of the residents at once (docs/decisions/0005, phase 19).

``pivot_added`` sums a part's pending events per month row (resident, behaviour, version, month)
and per day of the month; ``month_update`` adds them to the stored rows (``days`` packed as
``domain.pack_days`` does), caps each day and the month, and packs the days again. DuckDB computed
this as SQL, 31 conditional sums a row, the accounting's longest step; here one sort finds the
month rows and one scatter-add fills their days. Integers throughout: sums that could leave 64
bits are refused before they are computed. Tests keep both equal to the domain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seagreen.carbon_account.domain import DAYS_IN_ROW

_LIMIT = 1 << 62
"""A stored or added sum at or past this could overflow 64 bits once added to: refused."""
SLICE_ROWS = 8_192
"""Month rows whose 31 days are worked on at once in ``month_update`` (about 2 MB an array)."""


@dataclass(frozen=True)
class Added:
    """A part's new events per month row: the rows in key order (``key`` packs resident,
    behaviour and month), each day's sum (``days[d - 1]``, 0 without events) and whether the
    day had events (``seen``)."""

    key: np.ndarray  # int64: resident_id << 32 | behaviour_id << 16 | month
    version_id: np.ndarray
    days: np.ndarray  # (31, rows) int64
    seen: np.ndarray  # (31, rows) bool

    @property
    def rows(self) -> int:
        return len(self.key)


def pivot_added(events: pa.Table) -> Added:
    """``events`` (``resident_id, behaviour_id, version_id, month, dom, reduction_g``, no nulls)
    summed per month row and day. The version is the behaviour's: a catalogue row
    (``behaviour_id``) belongs to one version."""
    resident = _column(events, "resident_id")
    behaviour = _column(events, "behaviour_id")
    month = _column(events, "month")
    dom = _column(events, "dom")
    grams = _column(events, "reduction_g").astype(np.int64, copy=False)
    if not len(grams):
        empty = np.empty(0, np.int64)
        return Added(empty, empty, np.zeros((DAYS_IN_ROW, 0), np.int64), np.zeros((DAYS_IN_ROW, 0), bool))
    for name, values, bits in (
        ("resident_id", resident, 31),
        ("behaviour_id", behaviour, 16),
        ("month", month, 16),
    ):
        if int(values.min()) < 0 or int(values.max()) >= 1 << bits:
            raise ValueError(f"{name} out of the pivot's range: {int(values.min())} … {int(values.max())}")
    if int(dom.min()) < 1 or int(dom.max()) > DAYS_IN_ROW:
        raise ValueError(f"day of month out of range: {int(dom.min())} … {int(dom.max())}")
    if int(grams.min()) < 0:
        raise ValueError("a negative reduction")
    if _exact_sum(grams) >= _LIMIT:  # then no sum of them, and no sum with a stored one, can overflow
        raise OverflowError("the events' reductions could overflow a 64-bit sum")
    key = _key(resident, behaviour, month)
    del resident, behaviour, month
    keys, row = factorise(key)
    del key
    rows = len(keys)
    version = np.empty(rows, np.int64)
    version[row] = _column(events, "version_id")  # every event of a row has the row's version
    cell = (dom.astype(np.int64) - 1) * rows + row  # day-major: each day's sums are contiguous
    del row
    days = np.zeros(DAYS_IN_ROW * rows, np.int64)
    np.add.at(days, cell, grams)
    seen = np.zeros(DAYS_IN_ROW * rows, bool)
    seen[cell] = True
    return Added(keys, version, days.reshape(DAYS_IN_ROW, rows), seen.reshape(DAYS_IN_ROW, rows))


@dataclass(frozen=True)
class Caps:
    """Each catalogue row's caps, indexed by ``behaviour_id`` (``has_*`` false: no cap)."""

    known: np.ndarray
    daily: np.ndarray
    has_daily: np.ndarray
    monthly: np.ndarray
    has_monthly: np.ndarray

    @classmethod
    def of(cls, behaviours: pa.Table) -> Caps:
        """From a table of ``behaviour_id, daily_cap, monthly_cap`` (null: no cap)."""
        ids = behaviours.column("behaviour_id").to_numpy()
        size = int(ids.max()) + 1 if len(ids) else 0
        arrays = {"known": np.zeros(size, bool)}
        arrays["known"][ids] = True
        for name in ("daily", "monthly"):
            column = behaviours.column(f"{name}_cap")
            values, has = np.zeros(size, np.int64), np.zeros(size, bool)
            values[ids] = column.fill_null(0).to_numpy()
            has[ids] = column.is_valid().to_numpy(zero_copy_only=False)
            arrays[name], arrays[f"has_{name}"] = values, has
        return cls(**arrays)


def month_update(added: Added, stored: pa.Table, caps: Caps) -> pa.Table:
    """The month rows of ``added`` after adding it to ``stored`` (``bulk_intake.MONTH_COLUMNS``,
    packed days; a stored row no added row has is not in the result): the table's columns, and
    ``version_id``, ``added_reduction``, ``old_credited`` (the credit before, for the deltas) and
    ``stored`` (whether a stored row was there: the others are new rows of the table).

    The days are unpacked, added, capped and packed ``SLICE_ROWS`` rows at a time: 31 days a row
    in several arrays at once, a whole part's rows raised the ingest's peak memory by 80-160 MB."""
    rows = added.rows
    resident, behaviour, month = _split(added.key)
    if rows and (int(behaviour.max()) >= len(caps.known) or not caps.known[behaviour].all()):
        raise ValueError("a month row's behaviour is not in the catalogue")
    old_reduction = np.zeros(rows, np.int64)
    old_credited = np.zeros(rows, np.int64)
    source = np.full(rows, -1, np.int64)  # each row's stored row, -1 for none
    at, found = _stored_rows(added.key, stored)
    old_reduction[at] = _column(stored, "reduction_g")[found]
    old_credited[at] = _column(stored, "credited_g")[found]
    source[at] = found
    added_reduction = added.days.sum(axis=0)
    if rows and max(int(old_reduction.max()), int(added_reduction.max())) >= _LIMIT:
        raise OverflowError("a month row's sums could overflow 64 bits")
    reduction = old_reduction + added_reduction
    day_credited = reduction.copy()  # without a daily cap: the month's reduction
    daily, has_daily = caps.daily[behaviour], caps.has_daily[behaviour]
    packed_days = stored.column("days")
    texts = []
    for start in range(0, rows, SLICE_ROWS):
        part = slice(start, min(rows, start + SLICE_ROWS))
        days, seen = added.days[:, part], added.seen[:, part]  # views: new rows are packed as added
        had = source[part] >= 0
        if had.any():
            values, present = _unpack(packed_days.take(pa.array(source[part][had])), added.key[part][had])
            if int(values.max()) >= _LIMIT >> 5:  # 31 of them, capped or not, still sum below 2^62
                raise OverflowError("a month row's sums could overflow 64 bits")
            days, seen = days.copy(), seen.copy()
            days[:, had] += values
            seen[:, had] |= present
        capped = has_daily[part]
        if capped.any():
            day_credited[part][capped] = np.minimum(days[:, capped], daily[part][capped]).sum(axis=0)
        texts.append(_pack(days, seen))
    monthly, has_monthly = caps.monthly[behaviour], caps.has_monthly[behaviour]
    credited = np.where(has_monthly, np.minimum(day_credited, monthly), day_credited)
    return pa.table(
        {
            "resident_id": pa.array(resident, pa.int64()),
            "behaviour_id": pa.array(behaviour, pa.int64()),
            "version_id": pa.array(added.version_id, pa.int64()),
            "month": pa.array(month, pa.int64()),
            "added_reduction": pa.array(added_reduction, pa.int64()),
            "old_credited": pa.array(old_credited, pa.int64()),
            "stored": pa.array(source >= 0, pa.bool_()),
            "reduction_g": pa.array(reduction, pa.int64()),
            "day_credited_g": pa.array(day_credited, pa.int64()),
            "credited_g": pa.array(credited, pa.int64()),
            "days": pa.chunked_array(texts, pa.string()),
        }
    )


def _stored_rows(keys: np.ndarray, stored: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ``keys`` (sorted) of the stored rows that are there, and those rows' indexes."""
    if not stored.num_rows or not len(keys):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    stored_key = _key(
        _column(stored, "resident_id"), _column(stored, "behaviour_id"), _column(stored, "month")
    )
    at = np.minimum(np.searchsorted(keys, stored_key), len(keys) - 1)
    found = np.flatnonzero(keys[at] == stored_key)
    return at[found], found


def _unpack(packed: pa.ChunkedArray | pa.Array, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stored days (``"600,,1076,…"``, null or empty: no days) as (31, rows) values and presence."""
    rows = len(packed)
    packed = pc.if_else(pc.equal(packed, ""), pa.scalar(None, pa.string()), packed)
    filled = packed.fill_null("," * (DAYS_IN_ROW - 1))
    fields = pc.split_pattern(filled, ",")
    lengths = pc.list_value_length(fields).to_numpy(zero_copy_only=False)
    if rows and (lengths != DAYS_IN_ROW).any():
        resident, behaviour, month = (int(v) for v in _split(keys[np.flatnonzero(lengths != DAYS_IN_ROW)[0]]))
        raise ValueError(
            f"the stored month row of resident {resident}, behaviour {behaviour}, month {month} "
            f"holds not {DAYS_IN_ROW} days"
        )
    flat = pc.list_flatten(fields)
    present = pc.not_equal(flat, "")
    values = pc.cast(pc.if_else(present, flat, pa.scalar("0")), pa.int64())
    shape = (rows, DAYS_IN_ROW)
    return (
        values.to_numpy().reshape(shape).T,
        present.to_numpy(zero_copy_only=False).reshape(shape).T,
    )


def _pack(days: np.ndarray, seen: np.ndarray) -> pa.Array:
    """``domain.pack_days`` of each row: the 31 days joined by commas, empty where none."""
    texts = [
        pc.cast(pa.array(days[day], pa.int64(), mask=~seen[day]), pa.string()) for day in range(DAYS_IN_ROW)
    ]
    return pc.binary_join_element_wise(*texts, ",", null_handling="replace", null_replacement="")


def factorise(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` for int64 ``values``: the distinct values in
    order, and each value's place among them. Arrow's ``dictionary_encode`` finds the distinct
    values by hashing and only they are sorted, where ``np.unique`` sorts every value: a part's
    625k events (50k month rows) in 25 ms against 66 (best of seven, docs/decisions/0005 phase 22)."""
    encoded = pa.array(values, pa.int64()).dictionary_encode()
    distinct = encoded.dictionary.to_numpy()
    order = np.argsort(distinct)
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return distinct[order], rank[encoded.indices.to_numpy()]


def _key(resident: np.ndarray, behaviour: np.ndarray, month: np.ndarray) -> np.ndarray:
    """A month row's key in one int64 (resident below 2^31, behaviour and month below 2^16):
    sorting it sorts by resident, behaviour, month. ``_split`` reverses it."""
    key = resident.astype(np.int64)
    key <<= 32
    key |= behaviour.astype(np.int64) << 16
    key |= month
    return key


def _split(key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return key >> 32, (key >> 16) & 0xFFFF, key & 0xFFFF


def _exact_sum(values: np.ndarray) -> int:
    """The sum of non-negative int64 ``values``, exactly (a NumPy sum wraps around silently):
    their high and low 31 bits summed apart, neither of which can overflow for fewer than 2^31
    values."""
    if len(values) >= 1 << 31:
        raise OverflowError("too many values to sum exactly")
    high = int((values >> 31).sum())
    low = int((values & ((1 << 31) - 1)).sum())
    return (high << 31) + low


def _column(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy()
