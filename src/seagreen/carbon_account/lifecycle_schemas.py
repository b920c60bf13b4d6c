"""The lifecycle's API shapes: partners' voids, expiry runs."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class VoidIn(BaseModel):
    event_id: str = Field(max_length=200, description="The event_id the partner reported.")
    reason: str = Field("", max_length=200, description="Why (a refunded fare, a corrected meter reading…).")


class VoidsIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"events": [{"event_id": "bus-20240601-000123", "reason": "fare refunded"}]}]
        }
    )

    events: list[VoidIn] = Field(..., min_length=1, max_length=1000, description="1 to 1,000 events.")


class VoidLineRead(BaseModel):
    index: int
    event_id: str
    status: Literal["voided", "already_voided", "not_found", "invalid"]
    reduction_g: int


class VoidsResultRead(BaseModel):
    """What the voids came to: ``points_reversed`` were taken back from residents, of which
    ``debt_points`` had already been spent and are owed (repaid from their next points)."""

    request_id: int
    voided: int
    already_voided: int
    not_found: int
    reduction_g: int
    credited_g: int
    points_reversed: int
    debt_points: int
    results: list[VoidLineRead]


class ExpiryRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    cutoff: datetime
    rule_months: int
    started_at: datetime
    residents: int
    points: int


class ExpiryReportRead(BaseModel):
    cutoff: datetime | None
    residents: int
    points: int
    reissued: int
    debts_repaid: int
    dry_run: bool
