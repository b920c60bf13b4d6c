"""FastAPI dependencies shared by every router: database sessions, settings, locale."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from seagreen.config import Settings
from seagreen.db.engine import READ_ONLY
from seagreen.kit.keys import Keys
from seagreen.web.i18n import normalise_locale

LANG_COOKIE = "sg_lang"


def get_session(request: Request) -> Iterator[Session]:
    """A session for a use case that writes. The endpoint commits; anything uncommitted is rolled back."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def get_read_session(request: Request) -> Iterator[Session]:
    """A session for reading only (a deferred transaction that never takes SQLite's write lock)."""
    session: Session = request.app.state.session_factory()
    try:
        session.connection(execution_options=READ_ONLY)
        yield session
    finally:
        session.rollback()
        session.close()


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_keys(request: Request) -> Keys:
    keys: Keys = request.app.state.keys
    return keys


def get_locale(request: Request) -> str:
    """``?lang=`` first, then the language cookie; otherwise zh-CN, whatever the browser prefers
    (the platform is Chinese first; English is one click away in every page's header)."""
    return normalise_locale(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE))


WriteSession = Annotated[Session, Depends(get_session)]
ReadSession = Annotated[Session, Depends(get_read_session)]
Locale = Annotated[str, Depends(get_locale)]
