"""Migration 0420 drops the events' stored content hash (a resend is compared with the stored
event column by column); its downgrade computes the hash of revisions 0110-0410 again from the
stored columns, exactly for an event without a dedupe key, a key range at a time."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

import seagreen
from seagreen.carbon_account import service
from seagreen.carbon_account.domain import Outcome
from seagreen.db.engine import make_engine, make_session_factory
from seagreen.db.migrate import downgrade, upgrade
from seagreen.db.uow import unit_of_work
from tests.db.scratch import scratch_database
from tests.factories.carbon_account import make_partner, make_residents, submit


def _migration_chunk() -> int:
    path = Path(seagreen.__file__).parent / "migrations" / "versions" / "0420_events_compared_by_content.py"
    spec = importlib.util.spec_from_file_location("migration_0420", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return int(module.CHUNK)


CHUNK = _migration_chunk()
"""Events the downgrade reads at a time."""


def _hash(*fields: str) -> int:
    """The content hash of revisions 0110 to 0410 (``domain.intake_content_hash`` until 0420)."""
    return int(hashlib.sha256("\x1f".join(fields).encode()).hexdigest()[:15], 16)


@pytest.mark.slow
def test_the_hash_goes_and_a_downgrade_computes_it_again(database_url, tmp_path):
    with scratch_database(database_url, tmp_path) as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            assert "content_hash" not in {c["name"] for c in inspect(engine).get_columns("carbon_events")}
            factory = make_session_factory(engine)
            with unit_of_work(factory) as session:
                service.load_shipped(session)
                make_partner(session, "t-bus", "transit")
                make_residents(session, ["r-1"], ["t-bus"])
                sent = submit(
                    session,
                    "t-bus",
                    [
                        {
                            "event_id": "plain",
                            "resident_ref": "r-1",
                            "behaviour": "bus_trip",
                            "quantity": "1.50",
                            "occurred_at": "2024-06-09T08:00:00+08:00",
                            "attributes": {"line": "K1"},
                        },
                        {
                            "event_id": "keyed",
                            "resident_ref": "r-1",
                            "behaviour": "bus_trip",
                            "quantity": "1",
                            "occurred_at": "2024-06-09T09:00:00+08:00",
                            "dedupe_key": "UP-1",
                        },
                    ],
                )
                assert [r.status.value for r in sent.results] == ["accepted", "accepted"]
                # more events than the downgrade reads at a time, so that it goes on past a range
                for request in range(CHUNK // 1000 + 1):
                    many = submit(
                        session,
                        "t-bus",
                        [
                            {
                                "event_id": f"many-{request}-{n:03d}",
                                "resident_ref": "r-1",
                                "behaviour": "bus_trip",
                                "quantity": "1",
                                "occurred_at": "2024-06-09T10:00:00+08:00",
                            }
                            for n in range(1000)
                        ],
                    )
                    assert many.count(Outcome.ACCEPTED) == 1000
            downgrade(engine, "0410_ledger_fillfactor")
            with engine.connect() as connection:
                hashes = dict(
                    connection.execute(text("SELECT event_id, content_hash FROM carbon_events")).all()
                )
            at_us = "1717891200000000"  # 2024-06-09T08:00:00+08:00
            assert int(hashes["plain"]) == _hash("r-1", "bus_trip", "1500", at_us, "", '{"line":"K1"}')
            assert len(hashes) == 2 + (CHUNK // 1000 + 1) * 1000
            at_us = "1717898400000000"  # 2024-06-09T10:00:00+08:00
            assert {hashes[f"many-{r}-{n:03d}"] for r in (0, CHUNK // 1000) for n in (0, 999)} == {
                _hash("r-1", "bus_trip", "1000", at_us, "", "")
            }
            # the dedupe key itself is not stored: its event's old hash cannot be made again
            assert int(hashes["keyed"]) != _hash("r-1", "bus_trip", "1000", "1717894800000000", "UP-1", "")
            upgrade(engine)
            assert "content_hash" not in {c["name"] for c in inspect(engine).get_columns("carbon_events")}
        finally:
            engine.dispose()
