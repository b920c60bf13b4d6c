"""PostgreSQL: a file's rows are looked up among the partner's stored events by one probe of the
events' key a row, whatever the planner believes about the table.

Right after a partner's first file the events table has no statistics yet, and the planner takes
``partner_id = p`` for a small fraction of it. With hash and merge joins off
(``BulkSql.index_probes``) it then read the partner's events once, kept them in memory and
compared every staged row with every one of them: a file of 20,000 events sent again a minute
later took 13 s, and the time grows with the square of the file."""

from __future__ import annotations

import pyarrow as pa
import pytest
from sqlalchemy.orm import Session

from seagreen.carbon_account.repository import bulk_intake, intake
from seagreen.carbon_account.repository.bulk_intake import BulkSql

pytestmark = pytest.mark.postgres
PARTNER = 987_654  # no other test's events


def _store(sql: BulkSql, count: int, resident: str = "n % 500") -> None:
    """``count`` events of ``PARTNER``, ids ``e1`` …, inside the test's transaction: the planner
    has no statistics of them."""
    sql.run(
        "INSERT INTO carbon_events (partner_id, event_id, batch_id, row_number, resident_id, behaviour_id, "
        "quantity_milli, occurred_at_us, day, reduction_g) "
        f"SELECT {PARTNER}, 'e' || n, 1, n, {resident}, 1, 1000, n, 19000, 10 "
        f"FROM generate_series(1, {int(count)}) n"
    )


def _plan(sql: BulkSql, statement: str) -> str:
    with sql.index_probes():
        return "\n".join(row[0] for row in sql.rows(f"EXPLAIN {statement}"))


def test_the_stored_events_are_probed_by_key_when_the_table_has_no_statistics(session: Session) -> None:
    sql = BulkSql(session, attach=False)
    _store(sql, 20_000)
    sql.run(
        "CREATE TEMPORARY TABLE probe_stage (row_number BIGINT, event_id TEXT, resident_id BIGINT, "
        "behaviour_id BIGINT, quantity_milli BIGINT, occurred_at_us BIGINT, dedupe_hash TEXT, "
        "attributes TEXT) ON COMMIT DROP"
    )
    sql.run(
        "INSERT INTO probe_stage SELECT n, 'e' || n, n % 500, 1, 1000, n, NULL, NULL "
        "FROM generate_series(1, 20000) n"
    )
    bulk_intake._new_others(sql)
    statements = {
        "counts": bulk_intake._stored_counts_statement("probe_stage", PARTNER),
        "stored rows": bulk_intake._stored_rows_statement("probe_stage", PARTNER),
        "stored rows of a batch": bulk_intake._stored_rows_statement("probe_stage", PARTNER, 2),
    }
    for name, statement in statements.items():
        plan = _plan(sql, statement)
        assert "Materialize" not in plan, (name, plan)
        assert "Seq Scan on carbon_events" not in plan and "Bitmap" not in plan, (name, plan)
        probe = next(line for line in plan.splitlines() if "Index Cond" in line and "event_id" in line)
        assert "partner_id" in probe, (name, plan)
    # the counts are right too (every staged row is a stored event with the same content)
    with sql.index_probes():
        assert sql.rows(statements["counts"]) == [(20_000, 20_000)]


def test_the_real_time_intakes_resend_is_probed_by_key_when_the_table_has_no_statistics(
    session: Session,
) -> None:
    """A request sent again (its answer lost) classifies its 1,000 rows against the stored events."""
    sql = BulkSql(session, attach=False)
    _store(sql, 50_000)
    api = intake.SessionSql(session)
    api.stage(  # 1,000 rows: event ids e1 … e1000, every text column but the id NULL
        [
            tuple(
                f"e{n}" if name == "event_id" else None if kind == pa.string() else n
                for name, kind in zip(intake.STAGE_SCHEMA.names, intake.STAGE_SCHEMA.types, strict=True)
            )
            for n in range(1, 1001)
        ]
    )
    with intake.index_probes(api):
        plan = "\n".join(row[0] for row in api.rows(f"EXPLAIN {intake.classify_statement(PARTNER, 2)}"))
    assert "Materialize" not in plan and "Bitmap" not in plan, plan


class _Recording(intake.SessionSql):
    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.statements: list[str] = []

    def run(self, statement: str) -> int:
        self.statements.append(statement)
        return super().run(statement)


def test_the_real_time_intake_classifies_a_resend_inside_the_index_probes(session: Session) -> None:
    _store(BulkSql(session, attach=False), 10, resident="7")
    values = {"event_id": [f"e{n}" for n in range(1, 11)], "row_number": list(range(1, 11))}
    values |= {"resident_id": [7] * 10, "behaviour_id": [1] * 10, "quantity_milli": [1000] * 10}
    values |= {"occurred_at_us": list(range(1, 11)), "day": [19000] * 10, "reduction_g": [10] * 10}
    table = pa.table(
        {
            name: pa.array(values.get(name, [None] * 10 if kind == pa.string() else [0] * 10), kind)
            for name, kind in zip(intake.STAGE_SCHEMA.names, intake.STAGE_SCHEMA.types, strict=True)
        }
    )
    api = _Recording(session)
    rows = [tuple(row.values()) for row in table.to_pylist()]  # in STAGE_SCHEMA's order
    outcome = intake.resolve(api, rows, partner_id=PARTNER, batch_id=2)
    assert outcome.duplicates == 10
    update = next(n for n, s in enumerate(api.statements) if s.startswith(f"UPDATE {intake.STAGE}"))
    assert "SET LOCAL enable_material = off" in api.statements[:update]
    assert "SET LOCAL enable_hashjoin = off" in api.statements[:update]
    assert api.statements[update + 1].startswith("RESET")
