"""Test fixtures: one migrated database per run; each test in a transaction that is rolled back.

The database is a fresh SQLite file unless ``SEAGREEN_TEST_DATABASE_URL`` names a PostgreSQL
server (the CI runs the whole suite a second time against PostgreSQL): then a scratch database is
created beside the named one, migrated from nothing, and dropped at the end of the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from seagreen.config import Settings, get_settings
from seagreen.db.engine import is_sqlite, make_engine, normalise_url
from seagreen.db.migrate import upgrade
from tests.db.scratch import scratch_database

TEST_URL_ENV = "SEAGREEN_TEST_DATABASE_URL"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get(TEST_URL_ENV)
    if url and not is_sqlite(url):
        with scratch_database(url, tmp_path_factory.mktemp("db")) as scratch:
            yield scratch
        return
    yield normalise_url(url) if url else f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def on_postgres(database_url: str) -> bool:
    return not is_sqlite(database_url)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    keys = tmp_path_factory.mktemp("keys")
    return Settings(
        database_url=database_url,
        key_file=Path(keys) / "keys.json",
        session_secret="test-session-secret-test-session-secret",
        pii_hash_key="test-pii-hash-key-test-pii-hash-key",
        pii_encryption_key="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        # each events request posts its own points before it answers, so a test reads the ledger
        # right after; the settler's rounds have tests of their own (test_settler.py)
        points_settle_delay_ms=0,
    )


@pytest.fixture()
def cli_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A command run in the test reads its keys from a file of the test's own
    (``SEAGREEN_KEY_FILE``, under ``var/`` as in a deployment); the cached settings are dropped
    before and after, so neither the test nor the next one sees another's."""
    path = tmp_path / "var" / "keys.json"
    monkeypatch.setenv("SEAGREEN_KEY_FILE", str(path))
    get_settings.cache_clear()
    try:
        yield path
    finally:
        get_settings.cache_clear()


@pytest.fixture()
def connection(engine: Engine) -> Iterator[object]:
    """One connection in an outer transaction that the test never commits."""
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            outer.rollback()


@pytest.fixture()
def session_factory(connection: object) -> sessionmaker[Session]:
    """Sessions whose commit only releases a savepoint inside the test's transaction."""
    return sessionmaker(
        bind=connection,  # type: ignore[arg-type]
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )


@pytest.fixture()
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    db = session_factory()
    try:
        yield db
    finally:
        db.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(TEST_URL_ENV, "").startswith(("postgres", "postgresql")):
        return
    skip = pytest.mark.skip(reason=f"needs PostgreSQL: set {TEST_URL_ENV}")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
