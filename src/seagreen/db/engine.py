"""Engines and session factories for SQLite and PostgreSQL.

SQLite runs in WAL mode with foreign keys on. Python's sqlite3 driver opens transactions lazily
and lets a read-then-write transaction fail with ``SQLITE_BUSY`` when another writer got in
first; so SeaGreen takes the transaction start into its own hands and begins every transaction
``IMMEDIATE`` (one writer at a time, waiting up to the busy timeout) unless the caller asks for a
read-only ``DEFERRED`` one. The writers of one process queue for the write lock on a lock of the
engine's (``_QueuedWriters``) rather than in SQLite's busy handler. PostgreSQL is used through
psycopg 3.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_CACHE_KIB = 65_536  # 64 MiB of page cache per connection: index inserts stay in memory
SQLITE_PAGE_BYTES = 16_384
"""The page size of a new SQLite database (one that exists keeps its own): a bulk ingest 8 % faster
than with SQLite's 4 KiB, at the same API rate (docs/decisions/0038)."""
SQLITE_AUTOCHECKPOINT_BYTES = 40 * 1024 * 1024  # checkpoint the WAL every ~40 MiB, not every 4 MiB


def autocheckpoint_pages(page_bytes: int) -> int:
    """``wal_autocheckpoint`` (in pages) for ``SQLITE_AUTOCHECKPOINT_BYTES`` of log."""
    return max(1_000, SQLITE_AUTOCHECKPOINT_BYTES // max(int(page_bytes), 512))


READ_ONLY = {"sqlite_begin": "DEFERRED"}


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` URLs and route them to psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def is_sqlite(url: str) -> bool:
    return make_url(normalise_url(url)).get_backend_name() == "sqlite"


def make_engine(url: str, *, echo: bool = False, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "factory": _QueuedWriters},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, echo=echo, **kwargs)


class _QueuedWriters(sqlite3.Connection):
    """A connection whose write transactions queue, within this process, on their engine's lock.

    SQLite lets one writer in at a time; a ``BEGIN IMMEDIATE`` that finds another writer in sleeps
    in SQLite's busy handler, 1, 2, 5, 10, 15, 20, 25 … ms at a time, and tries again. A request of
    the events API that arrived while the points settler (a thread of the same process) held the
    lock for 60 ms therefore went on waiting for up to 25 ms more after it was free, and one that
    waited through a 200 ms round, up to 100 ms more. Here a writer first takes its engine's
    ``threading.Lock`` (given at connect) and holds it until its ``COMMIT`` or ``ROLLBACK`` has
    returned, so the next writer of the process starts the moment the lock is free. Writers in
    other processes (a CLI ingest beside the web app) still meet in SQLite's busy handler."""

    writer_lock: threading.Lock | None = None
    holds_writer_lock = False

    def queue_to_write(self) -> None:
        """Before ``BEGIN IMMEDIATE``: wait for this process's other writers, up to the busy
        timeout (then SQLite's own waiting takes over, as for a writer of another process)."""
        lock = self.writer_lock
        if lock is not None and not self.holds_writer_lock:
            self.holds_writer_lock = lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)

    def let_next_writer_in(self) -> None:
        if self.holds_writer_lock and self.writer_lock is not None:
            self.holds_writer_lock = False
            self.writer_lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.let_next_writer_in()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.let_next_writer_in()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.let_next_writer_in()


def _configure_sqlite(engine: Engine) -> None:
    writer_lock = threading.Lock()  # this engine's writers, in this process (_QueuedWriters)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, _QueuedWriters):
            dbapi_connection.writer_lock = writer_lock
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        # only a new, empty database takes it, and only before its log is set up (decision 0038)
        cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_BYTES}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        # temporary tables, sorts and statement journals in temporary files (which the OS caches),
        # not in memory without bound: an INSERT … SELECT of a bulk group keeps the original of
        # every page it changes in its statement journal, and with ids in no order that is most of
        # ``carbon_events`` (20M events: 670 MB in memory; docs/decisions/0005, phase 18)
        cursor.execute("PRAGMA temp_store=FILE")
        # bulk postings write in bursts (a bulk ingest checkpoints from a thread: db/checkpoints.py)
        page_bytes = cursor.execute("PRAGMA page_size").fetchone()[0]
        cursor.execute(f"PRAGMA wal_autocheckpoint={autocheckpoint_pages(page_bytes)}")
        cursor.execute("PRAGMA journal_size_limit=67108864")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        raw = connection.connection.dbapi_connection
        queued = mode == "IMMEDIATE" and isinstance(raw, _QueuedWriters)
        if queued:
            raw.queue_to_write()
        try:
            connection.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            if queued:
                raw.let_next_writer_in()
            raise


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
