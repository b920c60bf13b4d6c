"""SQLite engines: the writers of one process queue on the engine's lock (``engine._QueuedWriters``)."""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import closing

import pytest
from sqlalchemy import event, text

from seagreen.db.engine import SQLITE_PAGE_BYTES, autocheckpoint_pages, make_engine, make_session_factory
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


def _sqlite_library():
    """The SQLite library Python's ``sqlite3`` runs on, for its memory counters; None where it
    is not a shared library ctypes finds (the counters would then be another copy's)."""
    import ctypes
    import ctypes.util
    import sqlite3

    name = ctypes.util.find_library("sqlite3")
    if name is None:
        return None
    library = ctypes.CDLL(name)
    library.sqlite3_libversion.restype = ctypes.c_char_p
    if library.sqlite3_libversion().decode() != sqlite3.sqlite_version:
        return None
    library.sqlite3_memory_highwater.restype = ctypes.c_int64
    library.sqlite3_memory_used.restype = ctypes.c_int64
    return library


def test_a_statement_that_changes_many_pages_keeps_its_journal_out_of_memory(engine):
    """A statement inside a transaction keeps the original of each page it changes (its statement
    journal) until it ends; a bulk group's insert changes most of the events' table when its ids
    are in no order. Those originals go to a temporary file, so memory stays at the page cache's
    bound however big the table (docs/decisions/0005, phase 18)."""
    library = _sqlite_library()
    if library is None or library.sqlite3_memory_used() == 0:
        pytest.skip("Python's sqlite3 is not on a shared SQLite library whose counters ctypes can read")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE pages (id INTEGER PRIMARY KEY, body BLOB)")
        connection.exec_driver_sql(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 24000) "
            "INSERT INTO pages SELECT i, zeroblob(1000) FROM n"
        )  # 24 MB in about 6,000 pages
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA cache_size=-2048")  # a page cache of 2 MiB
        library.sqlite3_memory_highwater(1)  # from here
        before = library.sqlite3_memory_used()
        connection.exec_driver_sql("UPDATE pages SET body = randomblob(1000)")
        grown = library.sqlite3_memory_highwater(0) - before
    assert grown < 12 * 2**20, f"{grown / 2**20:.0f} MiB held while one statement changed 24 MB"


def _pragmas(engine) -> tuple[int, int]:
    with engine.connect() as connection:
        page = connection.exec_driver_sql("PRAGMA page_size").scalar_one()
        pages = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
    return int(page), int(pages)


def test_a_new_database_has_16_kib_pages_and_checkpoints_its_log_every_40_mib(tmp_path):
    """Decision 0038: a bulk ingest writes whole pages; 16 KiB ones cost less a row than 4 KiB."""
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        assert _pragmas(engine) == (SQLITE_PAGE_BYTES, 2_560) == (16_384, 2_560)
    finally:
        engine.dispose()


def test_a_database_with_other_pages_keeps_them_and_its_log_is_checkpointed_by_the_same_bytes(tmp_path):
    """An existing database keeps its page size (WAL mode cannot change it); the autocheckpoint
    follows it, so the log is copied back at the same size."""
    path = tmp_path / "old.db"
    with closing(sqlite3.connect(path)) as old:
        old.execute("PRAGMA page_size=4096")
        old.execute("PRAGMA journal_mode=WAL")
        old.execute("CREATE TABLE t (x INTEGER)")
        old.commit()
    engine = make_engine(f"sqlite:///{path}")
    try:
        assert _pragmas(engine) == (4_096, 10_240)
    finally:
        engine.dispose()
    assert autocheckpoint_pages(65_536) == 1_000  # never fewer than SQLite's own default
