"""Audit log errors."""

from __future__ import annotations

from seagreen.errors import InvalidInput


class InvalidAuditEvent(InvalidInput):
    """A module tried to record an event that does not follow the log's rules (a programming error)."""

    code = "audit_invalid_event"


class InvalidAuditQuery(InvalidInput):
    code = "audit_invalid_query"
