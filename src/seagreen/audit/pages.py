"""The audit log page (审计日志) for authorities: a filterable table, newest first."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from seagreen.audit import service
from seagreen.audit.domain import AuditEvent, AuditQuery
from seagreen.audit.errors import InvalidAuditQuery
from seagreen.identity.access import RequireAuthority
from seagreen.kit.clock import LOCAL_TZ
from seagreen.web.deps import ReadSession, get_locale
from seagreen.web.i18n import catalogue, translate
from seagreen.web.rendering import render

router = APIRouter(include_in_schema=False)

FILTERS = ("action", "actor", "object_type", "object_id", "since", "until")


def _day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidAuditQuery(f"{field}: not a date (YYYY-MM-DD)", field=field) from None


def _day_start(day: date | None) -> datetime | None:
    return datetime.combine(day, time(0), LOCAL_TZ) if day else None


def action_label(action: str, locale: str) -> str:
    """The action in words if the catalogue has them, else its code."""
    key = f"audit.action.{action}"
    return translate(key, locale) if key in catalogue() else action


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    principal: RequireAuthority,
    session: ReadSession,
    action: str = "",
    actor: str = "",
    object_type: str = "",
    object_id: str = "",
    since: str = "",
    until: str = "",
    before: int | None = None,
) -> HTMLResponse:
    since_day, until_day = _day(since, "since"), _day(until, "until")
    page = service.list_events(
        session,
        AuditQuery(
            action=action.strip() or None,
            actor=actor.strip() or None,
            object_type=object_type.strip() or None,
            object_id=object_id.strip() or None,
            since=_day_start(since_day),
            until=_day_start(until_day + timedelta(days=1)) if until_day else None,
            before_id=before,
        ),
    )
    locale = get_locale(request)
    filters = {
        name: value
        for name, value in zip(FILTERS, (action, actor, object_type, object_id, since, until), strict=True)
    }
    older = None
    if page.next_before is not None:
        older = "/audit?" + urlencode({**{k: v for k, v in filters.items() if v}, "before": page.next_before})

    def row(event: AuditEvent) -> dict[str, object]:
        return {
            "event": event,
            "when": event.occurred_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S"),
            "action_label": action_label(event.action, locale),
        }

    return render(
        request,
        "audit/list.html",
        {"rows": [row(event) for event in page.items], "filters": filters, "older": older},
    )
