"""The last two approvals arriving at the same moment still recognise the branch, exactly once.

Each reviewer decides in a transaction of its own on a database of its own (committed for real):
on PostgreSQL the application row is read FOR UPDATE, on SQLite ``BEGIN IMMEDIATE`` serialises the
writers. Without the lock both would see one approval of three and neither would recognise.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from seagreen.branches import service
from seagreen.branches.schemas import ReviewCreate
from seagreen.db.engine import make_engine, make_session_factory
from seagreen.db.migrate import upgrade
from seagreen.db.uow import unit_of_work
from tests.db.scratch import scratch_database
from tests.factories.branches import AUTHORITIES, actor_for, make_world, review, submitted


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(5))
def test_simultaneous_last_approvals_recognise_once(database_url, tmp_path, attempt):
    with scratch_database(database_url, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        sessions = make_session_factory(engine)
        with unit_of_work(sessions) as session:
            world = make_world(session, tmp_path)
            application = submitted(world)
            review(world, AUTHORITIES[0], application.id, "approve")
        barrier, errors = threading.Barrier(2), []

        def approve(code: str) -> None:
            viewer = world.authority(code)
            try:
                barrier.wait(timeout=10)
                with unit_of_work(sessions) as session:
                    service.review_application(
                        session,
                        viewer,
                        application.id,
                        ReviewCreate(decision="approve", reason="同时同意"),
                        policy=world.policy,
                        actor=actor_for(viewer),
                        now=world.now,
                    )
            except Exception as exc:  # reported below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=approve, args=(code,)) for code in AUTHORITIES[1:]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        with engine.connect() as connection:
            status = connection.execute(text("SELECT status FROM branch_applications")).scalar_one()
            recognitions = connection.execute(text("SELECT number FROM branch_recognitions")).scalars().all()
            reviews = connection.execute(text("SELECT COUNT(*) FROM branch_reviews")).scalar_one()
        engine.dispose()
    assert (status, recognitions, reviews) == ("approved", ["WHGB-2026-001"], 3)
