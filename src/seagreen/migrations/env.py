"""Alembic environment: the engine comes from the caller (``seagreen init``, tests) or the settings."""

from __future__ import annotations

from alembic import context

from seagreen.db.base import metadata
from seagreen.db.engine import make_engine
from seagreen.db.registry import load_all_models

load_all_models()
config = context.config


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from seagreen.config import get_settings

        engine = make_engine(get_settings().database_url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
