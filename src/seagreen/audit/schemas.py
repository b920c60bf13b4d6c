"""What the audit API returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: datetime
    actor_kind: str
    actor_id: str
    actor_label: str
    org_code: str | None
    action: str
    object_type: str
    object_id: str
    reason: str
    details: dict[str, Any]


class AuditPageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    items: list[AuditEventRead]
    next_before: int | None
