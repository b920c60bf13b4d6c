"""The statistics API (``/api/v1/statistics``): the same figures as the page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from seagreen.identity.access import Principal, RequireOperator, require_roles
from seagreen.identity.domain import Role
from seagreen.statistics import service
from seagreen.statistics.schemas import RefreshRead, StatisticsRead
from seagreen.web.deps import ReadSession, WriteSession

router = APIRouter(prefix="/api/v1", tags=["statistics"])

StatisticsReader = Annotated[
    Principal, Depends(require_roles(Role.OPERATOR, Role.PLATFORM_ADMIN, Role.AUTHORITY_REVIEWER))
]


@router.get("/statistics", response_model=StatisticsRead, summary="Programme statistics")
def statistics(_: StatisticsReader, session: ReadSession) -> StatisticsRead:
    """Residents registered and with an account, reductions, points issued, redeemed, expired and
    reversed (live); the same per month (as of the last roll-up); redemptions by benefit."""
    return StatisticsRead.model_validate(service.statistics(session))


@router.post("/statistics/refresh", response_model=RefreshRead, summary="Rebuild the monthly roll-up now")
def refresh(_: RequireOperator, session: WriteSession) -> RefreshRead:
    months = service.refresh(session)
    session.commit()
    return RefreshRead(months=months)
