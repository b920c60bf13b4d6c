# ruff: noqa: S608 - statements are built from fixed names only
"""The accounting of month rows as SQL text, one dialect for SQLite, PostgreSQL and DuckDB.

A month row (``carbon_month_totals``) holds a resident's reductions on each day of the month
(``d01`` … ``d31``). Adding new events to it is ``domain.apply_reductions`` in SQL: each day's new
sum, the days' credited grams (each day capped by the behaviour's daily cap), and the month's
credit (capped by its monthly cap). The real-time intake runs these statements in the database;
the bulk intake runs the very same text in DuckDB over the rows it read (``bulk_accounting``).
Only portable SQL is used (``CASE``, ``COALESCE``, ``CAST … AS BIGINT``), and names only.
"""

from __future__ import annotations

DAY_COLUMNS = tuple(f"d{n:02d}" for n in range(1, 32))
ADDED_COLUMNS = tuple(f"a{n:02d}" for n in range(1, 32))
MONTH_COLUMNS = (
    "resident_id",
    "behaviour_id",
    "month",
    "reduction_g",
    "day_credited_g",
    "credited_g",
    *DAY_COLUMNS,
)
KEY = ("resident_id", "behaviour_id", "month")

CAPS_OF_BEHAVIOURS = (
    "(SELECT id AS behaviour_id, daily_cap_g AS daily_cap, monthly_cap_g AS monthly_cap "
    "FROM carbon_behaviours)"
)
"""The behaviours' caps as ``month_update`` reads them, from the platform's catalogue table."""


def pivot_added(source: str, where: str = "true") -> str:
    """New events summed per (resident, behaviour, version, month): ``added_reduction`` and the
    sum on each day of the month (``a01`` … ``a31``, NULL for none). ``source`` has
    ``resident_id, behaviour_id, version_id, month, dom`` (day of month) and ``reduction_g``."""
    days = ", ".join(
        f"CAST(SUM(CASE WHEN dom = {n} THEN reduction_g END) AS BIGINT) AS {added}"
        for n, added in enumerate(ADDED_COLUMNS, start=1)
    )
    return (
        "SELECT resident_id, behaviour_id, version_id, month, "
        f"CAST(SUM(reduction_g) AS BIGINT) AS added_reduction, {days} FROM {source} WHERE {where} "
        "GROUP BY resident_id, behaviour_id, version_id, month"
    )


def month_update(added: str, caps: str, old: str) -> str:
    """The month rows after adding ``added`` (``pivot_added``'s columns) to the stored ``old``
    ones: every ``MONTH_COLUMNS`` value, plus ``version_id``, ``added_reduction`` and
    ``old_credited`` (the credit before, for the deltas). ``caps``: ``behaviour_id, daily_cap,
    monthly_cap``."""
    new_days = ", ".join(
        f"CASE WHEN a.{a} IS NULL THEN o.{d} ELSE COALESCE(o.{d}, 0) + a.{a} END AS {d}"
        for a, d in zip(ADDED_COLUMNS, DAY_COLUMNS, strict=True)
    )
    joined = (
        "SELECT a.resident_id, a.behaviour_id, a.version_id, a.month, a.added_reduction, "
        "COALESCE(o.reduction_g, 0) + a.added_reduction AS reduction_g, "
        "COALESCE(o.credited_g, 0) AS old_credited, c.daily_cap, c.monthly_cap, "
        f"{new_days} FROM {added} a JOIN {caps} c ON c.behaviour_id = a.behaviour_id "
        f"LEFT JOIN {old} o ON o.resident_id = a.resident_id AND o.behaviour_id = a.behaviour_id "
        "AND o.month = a.month"
    )
    capped_days = " + ".join(
        f"CASE WHEN COALESCE({d}, 0) < daily_cap THEN COALESCE({d}, 0) ELSE daily_cap END"
        for d in DAY_COLUMNS
    )
    days = ", ".join(DAY_COLUMNS)
    return (
        f"SELECT resident_id, behaviour_id, version_id, month, added_reduction, old_credited, reduction_g, "
        f"{days}, day_credited_g, CASE WHEN monthly_cap IS NULL OR day_credited_g < monthly_cap "
        "THEN day_credited_g ELSE monthly_cap END AS credited_g FROM ("
        f"SELECT j.*, CASE WHEN daily_cap IS NULL THEN reduction_g ELSE {capped_days} END AS day_credited_g "
        f"FROM ({joined}) j) c"
    )


def upsert_months(source: str) -> str:
    """Write ``source``'s month rows (``MONTH_COLUMNS``) as the new values of their keys."""
    columns = ", ".join(MONTH_COLUMNS)
    updates = ", ".join(f"{name} = excluded.{name}" for name in MONTH_COLUMNS if name not in KEY)
    return (
        f"INSERT INTO carbon_month_totals ({columns}) SELECT {columns} FROM {source} WHERE true "
        f"ON CONFLICT (resident_id, behaviour_id, month) DO UPDATE SET {updates}"
    )
