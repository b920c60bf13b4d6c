"""The unit of work: entrypoints (a web request, a CLI command, a worker) own the transaction.

Services receive the session and only ``flush()``; the entrypoint commits when the use case
succeeded and rolls back on any exception, so several postings compose into one atomic change.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from seagreen.db.engine import READ_ONLY


@contextmanager
def unit_of_work(factory: sessionmaker[Session], *, read_only: bool = False) -> Iterator[Session]:
    """Yield a session inside one transaction; commit on success, roll back on error.

    ``read_only`` starts a deferred transaction on SQLite, which does not take the write lock.
    """
    session = factory()
    try:
        if read_only:
            session.connection(execution_options=READ_ONLY)
        yield session
        if read_only:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
