"""Checkpointing SQLite's write-ahead log from a thread of its own while a bulk writer runs.

In WAL mode every page is written twice: into the log at commit, and back into the database file
by a checkpoint, which by default the committing connection runs itself once the log passes
``wal_autocheckpoint`` pages. For a bulk ingest that puts the copy on the writer's critical path.
:class:`BackgroundCheckpoints` runs ``PRAGMA wal_checkpoint(PASSIVE)`` every ``interval`` seconds
on a connection of its own (a passive checkpoint never waits for, nor blocks, the writer or the
readers), and the writer turns its own autocheckpoint off for its transactions. Nothing happens
on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
import threading
from types import TracebackType

from sqlalchemy import Engine

from seagreen.db.engine import SQLITE_BUSY_TIMEOUT_MS

THREAD_NAME = "seagreen-wal-checkpoints"


class BackgroundCheckpoints:
    """The checkpointing thread: ``start``/``stop``, or a ``with`` block."""

    def __init__(self, engine: Engine, *, interval: float = 0.2) -> None:
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        self._path = database if database and database != ":memory:" else None
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._path is not None:
            self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> BackgroundCheckpoints:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def _run(self) -> None:
        assert self._path is not None
        connection = sqlite3.connect(self._path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            while not self._stop.wait(self._interval):
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            connection.close()
