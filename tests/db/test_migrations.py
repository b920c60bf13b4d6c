"""The migrations build exactly the schema the models describe, and can be undone and redone.

Runs on a database of its own (a fresh SQLite file, or a freshly created PostgreSQL database),
so the suite's shared database is left alone.
"""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from seagreen.db.base import metadata
from seagreen.db.engine import make_engine
from seagreen.db.migrate import alembic_config, current_revision, downgrade, head_revision, upgrade
from seagreen.db.registry import load_all_models
from tests.db.scratch import scratch_database


@pytest.fixture()
def empty_engine(database_url, tmp_path):
    with scratch_database(database_url, tmp_path) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def schema_differences(engine) -> list:
    load_all_models()
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "render_as_batch": connection.dialect.name == "sqlite"},
        )
        return compare_metadata(context, metadata)


def tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


@pytest.mark.slow
def test_upgrades_an_empty_database_to_head_matching_the_models(empty_engine):
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    assert schema_differences(empty_engine) == []
    load_all_models()
    assert tables(empty_engine) == set(metadata.tables)


@pytest.mark.slow
def test_downgrades_to_nothing_and_upgrades_again(empty_engine):
    upgrade(empty_engine)
    downgrade(empty_engine, "base")
    assert current_revision(empty_engine) is None
    assert tables(empty_engine) == set()
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    assert schema_differences(empty_engine) == []


def test_the_migration_history_is_one_line():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"several heads {heads}: chain the newest migration after the others"


def test_every_revision_id_fits_the_version_table():
    """PostgreSQL keeps the current revision in ``alembic_version.version_num``, a VARCHAR(32): a
    longer id fails there only, at the end of its migration (SQLite does not enforce the length)."""
    revisions = [script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()]
    assert len(revisions) > 10
    assert [revision for revision in revisions if len(revision) > 32] == []
