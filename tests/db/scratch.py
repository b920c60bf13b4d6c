"""An empty database of its own for a test that must migrate or commit (migrations, the CLI).

On SQLite a fresh file; on PostgreSQL a freshly created database on the same server, dropped
afterwards, so the suite's shared test database is never touched.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from seagreen.db.engine import is_sqlite, make_engine, normalise_url


@contextmanager
def scratch_database(base_url: str, directory: Path) -> Iterator[str]:
    if is_sqlite(base_url):
        yield f"sqlite:///{directory / f'scratch-{secrets.token_hex(4)}.db'}"
        return
    url = make_url(normalise_url(base_url))
    name = f"seagreen_scratch_{secrets.token_hex(6)}"
    admin = make_engine(url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
