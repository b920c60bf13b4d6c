"""The web application: ``create_app(settings)`` builds it; nothing happens at import time."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from seagreen import __version__
from seagreen.audit import endpoints as audit_endpoints
from seagreen.audit import pages as audit_pages
from seagreen.benefits import endpoints as benefits_endpoints
from seagreen.benefits import pages as benefits_pages
from seagreen.branches import endpoints as branches_endpoints
from seagreen.branches import pages as branches_pages
from seagreen.carbon_account import admin_endpoints as carbon_admin_endpoints
from seagreen.carbon_account import admin_pages as carbon_admin_pages
from seagreen.carbon_account import endpoints as carbon_account_endpoints
from seagreen.carbon_account import lifecycle_endpoints as carbon_lifecycle_endpoints
from seagreen.carbon_account import pages as carbon_account_pages
from seagreen.config import Settings, get_settings
from seagreen.db.checkpoints import BackgroundCheckpoints
from seagreen.db.engine import make_engine, make_session_factory
from seagreen.identity import endpoints as identity_endpoints
from seagreen.identity import pages as identity_pages
from seagreen.identity.access import PrincipalCookieMiddleware
from seagreen.kit.keys import load_keys
from seagreen.ledger import endpoints as ledger_endpoints
from seagreen.ledger import pages as ledger_pages
from seagreen.registry import endpoints as registry_endpoints
from seagreen.registry import pages as registry_pages
from seagreen.residents import endpoints as residents_endpoints
from seagreen.residents import pages as residents_pages
from seagreen.statistics import endpoints as statistics_endpoints
from seagreen.statistics import pages as statistics_pages
from seagreen.taxonomy import endpoints as taxonomy_endpoints
from seagreen.taxonomy import pages as taxonomy_pages
from seagreen.web import health
from seagreen.web import pages as platform_pages
from seagreen.web.errors import install_error_handlers
from seagreen.web.rendering import STATIC_DIR

WEB_CHECKPOINT_INTERVAL_S = 0.5
"""How often the web process copies SQLite's write-ahead log back (``BackgroundCheckpoints``). A
commit that finds the log past ``wal_autocheckpoint`` pages (10,000, about 40 MB) copies it back
itself, syncing the database file, and its request waited a quarter of a second for that; kept
short from a thread, the log seldom gets there and little is left to copy when it does."""

DESCRIPTION = """
SeaGreen (海绿) runs a coastal city's green- and blue-finance system: personal carbon accounts,
the blue industry catalogue, the ocean carbon-sink registry, green sub-branch recognition and
carbon-linked finance.

Authenticate with an API key (`Authorization: Bearer sg_…`) or a signed-in browser session.
Every endpoint checks the caller's role: 401 without credentials, 403 with the wrong role.
Errors have one shape: `{"error": {"code", "message", "details"}}`.
"""


def create_app(
    settings: Settings | None = None,
    *,
    session_factory: sessionmaker[Session] | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    engine: Engine | None = None
    if session_factory is None:
        engine = make_engine(settings.database_url, echo=settings.sql_echo)
        session_factory = make_session_factory(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # SQLite: the write-ahead log is copied back into the database by a thread of its own, so
        # that a request's commit seldom does it (db/checkpoints.py; a no-op on PostgreSQL)
        bound = session_factory.kw["bind"].engine  # bound to an engine, or in tests a connection
        checkpoints = BackgroundCheckpoints(bound, interval=WEB_CHECKPOINT_INTERVAL_S)
        checkpoints.start()
        settler = None
        if settings.points_settle_delay_ms > 0:  # the events API's points, posted in rounds
            from seagreen.carbon_account.settler import PointsSettler

            settler = PointsSettler(session_factory, delay_s=settings.points_settle_delay_ms / 1000)
            settler.start()
            _app.state.settler = settler
        scheduler = None
        if settings.run_jobs:  # the periodic jobs (seagreen.jobs): expiry, vouchers, statistics
            from seagreen.jobs.flows import Scheduler

            scheduler = Scheduler(
                session_factory,
                expiry_months=settings.points_expiry_months,
                interval_s=settings.jobs_interval_s,
            )
            scheduler.start()
        # what start-up made (modules, the app, its routes and models: hundreds of thousands of
        # objects that live as long as the process) is kept out of the cycle collector's scans:
        # a full collection during a request then walks only what requests made
        gc.collect()
        gc.freeze()
        yield
        gc.unfreeze()
        if scheduler is not None:
            scheduler.stop()
        if settler is not None:
            _app.state.settler = None  # requests from now on post their own points
            settler.stop()
        checkpoints.stop()
        if engine is not None:
            engine.dispose()

    app = FastAPI(
        title="SeaGreen 海绿",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.settler = None  # set while the lifespan runs (``PointsSettler``), if rounds are on
    app.state.keys = load_keys(settings)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_error_handlers(app)

    # Routers. Each module contributes its API router (under /api/v1) and its pages router.
    app.include_router(health.router)
    app.include_router(platform_pages.router)
    app.add_middleware(PrincipalCookieMiddleware)  # who is signed in, for every page's layout
    app.include_router(identity_endpoints.router)
    app.include_router(identity_pages.router)
    app.include_router(audit_endpoints.router)
    app.include_router(audit_pages.router)
    app.include_router(ledger_endpoints.router)
    app.include_router(ledger_pages.router)
    app.include_router(carbon_account_endpoints.router)
    app.include_router(carbon_account_pages.router)
    app.include_router(carbon_lifecycle_endpoints.router)
    app.include_router(carbon_admin_endpoints.router)
    app.include_router(carbon_admin_pages.router)
    app.include_router(taxonomy_endpoints.router)
    app.include_router(taxonomy_pages.router)
    app.include_router(branches_endpoints.router)
    app.include_router(branches_pages.router)
    app.include_router(registry_endpoints.router)
    app.include_router(registry_pages.router)
    app.include_router(residents_endpoints.router)
    app.include_router(residents_pages.router)
    app.include_router(benefits_endpoints.router)
    app.include_router(benefits_pages.router)
    app.include_router(statistics_endpoints.router)
    app.include_router(statistics_pages.router)
    document_schemas(app, carbon_account_endpoints.OPENAPI_SCHEMAS)
    return app


def document_schemas(app: FastAPI, schemas: dict[str, Any]) -> None:
    """Add ``schemas`` to the OpenAPI document's components: the models of a body an endpoint
    reads itself, which FastAPI does not collect from the routes."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            document.setdefault("components", {}).setdefault("schemas", {}).update(schemas)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
