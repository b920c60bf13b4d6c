# ruff: noqa: S608 - DuckDB statements built from fixed names only
"""The accounting of month rows as DuckDB SQL: ``domain.add_to_month`` set-based, for bulk files.

A stored month row (``carbon_month_totals``) keeps its days packed in one text column
(``domain.pack_days``). Here they are unpacked into ``d01`` … ``d31``, the new events' sums per
day of month (``a01`` … ``a31``) are added, the days' credited grams (each capped by the daily
cap) and the month's credit (capped by the monthly cap) computed, and the days packed again.
Tests keep this and the domain function equal.
"""

from __future__ import annotations

from seagreen.carbon_account.repository.bulk_intake import MONTH_COLUMNS

DAY_COLUMNS = tuple(f"d{n:02d}" for n in range(1, 32))
ADDED_COLUMNS = tuple(f"a{n:02d}" for n in range(1, 32))
STORED_COLUMNS = MONTH_COLUMNS  # a stored month row's columns, as the table has them


def pivot_added(source: str) -> str:
    """New events summed per (resident, behaviour, version, month): ``added_reduction`` and the
    sum on each day of the month (``a01`` … ``a31``, NULL for none). ``source`` has
    ``resident_id, behaviour_id, version_id, month, dom`` (day of month) and ``reduction_g``."""
    days = ", ".join(
        f"CAST(SUM(CASE WHEN dom = {n} THEN reduction_g END) AS BIGINT) AS {added}"
        for n, added in enumerate(ADDED_COLUMNS, start=1)
    )
    return (
        "SELECT resident_id, behaviour_id, version_id, month, "
        f"CAST(SUM(reduction_g) AS BIGINT) AS added_reduction, {days} FROM {source} "
        "GROUP BY resident_id, behaviour_id, version_id, month"
    )


def unpack_days(stored: str) -> str:
    """``stored`` month rows (``STORED_COLUMNS``) with their days as ``d01`` … ``d31``."""
    days = ", ".join(
        f"TRY_CAST(days_list[{n}] AS BIGINT) AS {day}" for n, day in enumerate(DAY_COLUMNS, start=1)
    )
    return (
        f"SELECT * EXCLUDE (days, days_list), {days} "
        f"FROM (SELECT *, string_split(days, ',') AS days_list FROM {stored})"
    )


def month_update(added: str, caps: str, old: str) -> str:
    """The month rows after adding ``added`` (``pivot_added``'s columns) to ``old`` (unpacked):
    ``STORED_COLUMNS`` plus ``version_id``, ``added_reduction``, ``old_credited`` (the credit
    before, for the deltas) and ``stored`` (whether ``old`` had the row: the others are new rows
    of the table). ``caps``: ``behaviour_id, daily_cap, monthly_cap``."""
    new_days = ", ".join(
        f"CASE WHEN a.{a} IS NULL THEN o.{d} ELSE COALESCE(o.{d}, 0) + a.{a} END AS {d}"
        for a, d in zip(ADDED_COLUMNS, DAY_COLUMNS, strict=True)
    )
    joined = (
        "SELECT a.resident_id, a.behaviour_id, a.version_id, a.month, a.added_reduction, "
        "COALESCE(o.reduction_g, 0) + a.added_reduction AS reduction_g, "
        "COALESCE(o.credited_g, 0) AS old_credited, o.resident_id IS NOT NULL AS stored, "
        "c.daily_cap, c.monthly_cap, "
        f"{new_days} FROM {added} a JOIN {caps} c ON c.behaviour_id = a.behaviour_id "
        f"LEFT JOIN {old} o ON o.resident_id = a.resident_id AND o.behaviour_id = a.behaviour_id "
        "AND o.month = a.month"
    )
    capped_days = " + ".join(
        f"CASE WHEN COALESCE({d}, 0) < daily_cap THEN COALESCE({d}, 0) ELSE daily_cap END"
        for d in DAY_COLUMNS
    )
    packed = "concat_ws(',', " + ", ".join(f"COALESCE(CAST({d} AS VARCHAR), '')" for d in DAY_COLUMNS) + ")"
    return (
        "SELECT resident_id, behaviour_id, version_id, month, added_reduction, old_credited, stored, "
        "reduction_g, day_credited_g, CASE WHEN monthly_cap IS NULL OR day_credited_g < monthly_cap "
        f"THEN day_credited_g ELSE monthly_cap END AS credited_g, {packed} AS days FROM ("
        f"SELECT j.*, CASE WHEN daily_cap IS NULL THEN reduction_g ELSE {capped_days} END AS day_credited_g "
        f"FROM ({joined}) j) c"
    )
