"""What every CLI command shares: the ``--db`` option, a Rich console, the runtime and error exits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from seagreen.config import Settings, get_settings
from seagreen.db.engine import make_engine, make_session_factory
from seagreen.db.uow import unit_of_work
from seagreen.errors import DomainError
from seagreen.kit.keys import Keys, load_keys

console = Console()
errors = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: SEAGREEN_DATABASE_URL or the SQLite file in var/)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def keys(self) -> Keys:
        return load_keys(self.settings)

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Session]:
        with unit_of_work(self.sessions, read_only=read_only) as session:
            yield session


@contextmanager
def runtime(db: str | None) -> Iterator[Runtime]:
    """Settings, engine and sessions for one command; DomainErrors become a message and exit code 1."""
    settings = get_settings()
    if db:
        settings = settings.model_copy(update={"database_url": db})
    engine = make_engine(settings.database_url)
    try:
        yield Runtime(settings, engine, make_session_factory(engine))
    except DomainError as exc:
        errors.print(f"[bold red]error[/] \\[{exc.code}] {escape(exc.message)}")
        raise typer.Exit(code=1) from exc
    finally:
        engine.dispose()
