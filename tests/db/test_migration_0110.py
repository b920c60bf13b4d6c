"""Migration 0110 carries the stored accounting over: day totals fold into their month rows, and
event content hashes become 60-bit integers that still compare equal for a resend (until 0420
drops them: test_migration_0420)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text

from seagreen.carbon_account.domain import unpack_days
from seagreen.db.engine import make_engine
from seagreen.db.migrate import downgrade, upgrade
from tests.db.scratch import scratch_database


def _hash(*fields: str) -> int:
    """The content hash of revisions 0110 to 0410 (``domain.intake_content_hash`` until 0420)."""
    return int(hashlib.sha256("\x1f".join(fields).encode()).hexdigest()[:15], 16)


HASH = _hash("r-1", "bus_trip", "1000", "1717200000000000", "", "")


@pytest.fixture()
def engine(database_url, tmp_path):
    with scratch_database(database_url, tmp_path) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.mark.slow
def test_day_totals_move_into_months_and_hashes_become_integers_and_back(engine):
    upgrade(engine, "0100_taxonomy")
    day_may_31, day_jun_1, day_jun_3 = 19_874, 19_875, 19_877  # 2024-05-31, 06-01, 06-03
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO carbon_day_totals (resident_id, behaviour_id, day, reduction_g, credited_g) "
                f"VALUES (1, 2, {day_may_31}, 700, 600), (1, 2, {day_jun_1}, 300, 300), "
                f"(1, 2, {day_jun_3}, 50, 50)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO carbon_month_totals (resident_id, behaviour_id, month, day_credited_g, "
                "credited_g) VALUES (1, 2, 24292, 600, 600), (1, 2, 24293, 350, 350)"  # May, June 2024
            )
        )
        connection.execute(
            text(
                "INSERT INTO carbon_events (partner_id, event_id, batch_id, row_number, resident_id, "
                "behaviour_id, quantity_milli, occurred_at_us, day, reduction_g, content_hash) "
                "VALUES (1, 'e-1', 1, 2, 1, 2, 1000, 1717200000000000, 19875, 100, :h)"
            ),
            {"h": format(HASH, "015x") + "0" * 17},  # the old 32 hex digits begin with the new 15
        )
    upgrade(engine, "0410_ledger_fillfactor")
    with engine.connect() as connection:
        months = connection.execute(
            text(
                "SELECT month, reduction_g, day_credited_g, credited_g, days FROM carbon_month_totals "
                "ORDER BY month"
            )
        ).fetchall()
        stored_hash = connection.execute(text("SELECT content_hash FROM carbon_events")).scalar_one()
    may, june = months
    assert (may[0], may[1], may[2], may[3]) == (24292, 700, 600, 600)
    assert unpack_days(may[4])[30] == 700 and sum(d or 0 for d in unpack_days(may[4])) == 700
    assert unpack_days(june[4])[:3] == [300, None, 50] and june[1] == 350
    assert int(stored_hash) == HASH  # a resend hashes to the same value
    upgrade(engine)
    downgrade(engine, "0100_taxonomy")
    with engine.connect() as connection:
        days = connection.execute(
            text("SELECT day, reduction_g FROM carbon_day_totals ORDER BY day")
        ).fetchall()
    assert [(int(d), int(g)) for d, g in days] == [(day_may_31, 700), (day_jun_1, 300), (day_jun_3, 50)]
