"""SQLite engines: the writers of one process queue on the engine's lock (``engine._QueuedWriters``)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event, text

from seagreen.db.engine import make_engine, make_session_factory
from seagreen.db.uow import unit_of_work


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'writers.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    yield engine
    engine.dispose()


def _write(factory, value: int) -> None:
    with unit_of_work(factory) as session:
        session.execute(text("INSERT INTO t (x) VALUES (:x)"), {"x": value})


def test_a_writer_begins_once_the_writer_before_it_in_the_process_has_committed(engine):
    """The second writer does not knock at SQLite's lock (and sleep in its busy handler) while the
    first holds it: its ``BEGIN IMMEDIATE`` goes out only after the first one's commit."""
    factory = make_session_factory(engine)
    log: list[str] = []
    second_begins = threading.Event()

    @event.listens_for(engine, "before_cursor_execute")
    def statement(_conn, _cursor, sql, *_args):
        log.append(f"{threading.current_thread().name}: {sql}")

    @event.listens_for(engine, "engine_connect")  # the second has its connection, about to begin
    def connects(_conn):
        if threading.current_thread().name == "second":
            second_begins.set()

    second = threading.Thread(target=_write, args=(factory, 2), name="second")
    with unit_of_work(factory) as session:
        session.execute(text("INSERT INTO t (x) VALUES (1)"))
        second.start()
        assert second_begins.wait(10)
        time.sleep(0.1)  # time for the second to send its BEGIN, were it not queued
        log.append("first commits")
    second.join(10)
    assert not second.is_alive()
    first_commit = log.index("first commits")
    second_begin = log.index("second: BEGIN IMMEDIATE")
    assert second_begin > first_commit
    with engine.connect() as connection:
        assert sorted(connection.exec_driver_sql("SELECT x FROM t").scalars()) == [1, 2]


def test_a_writer_that_rolled_back_lets_the_next_one_in(engine):
    factory = make_session_factory(engine)
    with pytest.raises(RuntimeError), unit_of_work(factory) as session:
        session.execute(text("INSERT INTO t (x) VALUES (1)"))
        raise RuntimeError("the use case failed")
    second = threading.Thread(target=_write, args=(factory, 2))
    second.start()
    second.join(10)  # a lock left taken would keep it waiting for the busy timeout, 30 s
    assert not second.is_alive()


def test_a_reader_does_not_wait_for_a_writer(engine):
    """A read-only (``DEFERRED``) transaction takes no turn on the writers' lock."""
    factory = make_session_factory(engine)
    seen: list[list[int]] = []

    def read() -> None:
        with unit_of_work(factory, read_only=True) as session:
            seen.append(session.execute(text("SELECT x FROM t")).scalars().all())

    with unit_of_work(factory) as session:
        session.execute(text("INSERT INTO t (x) VALUES (1)"))
        reader = threading.Thread(target=read)
        reader.start()
        reader.join(10)  # queued behind this writer, it would wait for the busy timeout, 30 s
        assert not reader.is_alive()
    assert seen == [[]]  # it read the committed state: nothing yet
