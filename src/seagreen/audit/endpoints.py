"""The audit log API for authorities: ``GET /api/v1/audit``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from seagreen.audit import service
from seagreen.audit.domain import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, AuditQuery
from seagreen.audit.schemas import AuditPageRead
from seagreen.identity.access import RequireAuthority
from seagreen.kit.clock import LOCAL_TZ
from seagreen.web.deps import ReadSession

router = APIRouter(prefix="/api/v1", tags=["audit"])


def _aware(moment: datetime | None) -> datetime | None:
    """A time without a zone is Beijing time, as the people reading the log mean it."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=LOCAL_TZ)


@router.get(
    "/audit",
    response_model=AuditPageRead,
    summary="Read the audit log, newest first (authority reviewers, platform admins)",
)
def list_events(
    principal: RequireAuthority,
    session: ReadSession,
    action: Annotated[str | None, Query(description="action prefix, e.g. 'identity.' ")] = None,
    actor: Annotated[str | None, Query(description="actor id or label")] = None,
    org_code: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: Annotated[datetime | None, Query(description="from this time on (no zone: Beijing time)")] = None,
    until: Annotated[datetime | None, Query(description="before this time (no zone: Beijing time)")] = None,
    before: Annotated[int | None, Query(description="the previous page's next_before")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
) -> AuditPageRead:
    page = service.list_events(
        session,
        AuditQuery(
            action=action,
            actor=actor,
            org_code=org_code,
            object_type=object_type,
            object_id=object_id,
            since=_aware(since),
            until=_aware(until),
            before_id=before,
            limit=limit,
        ),
    )
    return AuditPageRead.model_validate(page)
