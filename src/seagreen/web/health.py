"""Liveness and readiness for operators and load balancers (public, no credentials)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from seagreen import __version__
from seagreen.web.deps import ReadSession

router = APIRouter(prefix="/api/v1", tags=["platform"])


class Health(BaseModel):
    status: str
    database: str
    version: str


@router.get("/health", response_model=Health, summary="Is the platform up and its database reachable?")
def health(session: ReadSession) -> Health:
    session.execute(text("SELECT 1"))
    return Health(status="ok", database=session.get_bind().dialect.name, version=__version__)
