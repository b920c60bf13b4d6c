"""Use cases of the audit log: record an event (every module) and read the log (authorities)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from seagreen.audit import repository
from seagreen.audit.domain import Actor, AuditPage, AuditQuery, details_json, is_valid_action
from seagreen.audit.errors import InvalidAuditEvent, InvalidAuditQuery
from seagreen.kit.clock import utcnow


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | int,
    *,
    reason: str = "",
    details: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> int:
    """Append one event in the caller's transaction and return its id.

    Call it from the service that makes the change, so that the change and its record commit or
    roll back together. Never put personal data (phone, ID number, names) in ``details``.
    """
    if not is_valid_action(action):
        raise InvalidAuditEvent(f"audit action {action!r} is not a dotted lower-case name", action=action)
    if not object_type:
        raise InvalidAuditEvent("an audit event needs an object type", action=action)
    return repository.insert_event(
        session,
        occurred_at=now or utcnow(),
        actor_kind=str(actor.kind),
        actor_id=actor.id[:64],
        actor_label=actor.label[:200],
        org_code=actor.org_code,
        action=action,
        object_type=object_type[:40],
        object_id=str(object_id)[:80],
        reason=reason,
        details=details_json(details),
    )


def list_events(session: Session, query: AuditQuery) -> AuditPage:
    """One page of the log, newest first; ``next_before`` continues to the older events."""
    if query.since and query.until and query.since >= query.until:
        raise InvalidAuditQuery("'since' must be before 'until'")
    events = repository.find_events(session, query, query.limit + 1)
    more = len(events) > query.limit
    items = events[: query.limit]
    return AuditPage(items=items, next_before=items[-1].id if more and items else None)
