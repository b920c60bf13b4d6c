"""What the catalogue looks like from outside (CLI JSON now, the API in phase 2)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from seagreen.carbon_account.domain import Behaviour, MethodologyVersion, decimal_text


class BehaviourRead(BaseModel):
    code: str
    name_zh: str
    name_en: str
    dimension: str
    unit: str
    factor_g_per_unit: str  # text, so the Decimal stays exact
    daily_cap_g: int | None
    monthly_cap_g: int | None
    partner_kinds: list[str]
    factor_status: str
    source: str
    method: str

    @classmethod
    def of(cls, behaviour: Behaviour) -> BehaviourRead:
        return cls(
            code=behaviour.code,
            name_zh=behaviour.name_zh,
            name_en=behaviour.name_en,
            dimension=behaviour.dimension.value,
            unit=behaviour.unit,
            factor_g_per_unit=decimal_text(behaviour.factor_g_per_unit),
            daily_cap_g=behaviour.daily_cap_g,
            monthly_cap_g=behaviour.monthly_cap_g,
            partner_kinds=sorted(kind.value for kind in behaviour.partner_kinds),
            factor_status=behaviour.factor_status.value,
            source=behaviour.source,
            method=behaviour.method,
        )


class VersionRead(BaseModel):
    code: str
    name: str
    effective_from: date
    g_per_point: int
    behaviours: int
    content_hash: str
    source_file: str
    published_at: datetime


class CatalogueRead(BaseModel):
    """The version in force at a moment, with its behaviours (``seagreen behaviours --json``)."""

    version: str
    name: str
    effective_from: date
    g_per_point: int
    content_hash: str
    behaviours: list[BehaviourRead]

    @classmethod
    def of(cls, version: MethodologyVersion) -> CatalogueRead:
        return cls(
            version=version.code,
            name=version.name,
            effective_from=version.effective_from,
            g_per_point=version.g_per_point,
            content_hash=version.content_hash(),
            behaviours=[BehaviourRead.of(b) for b in version.behaviours.values()],
        )


# -- phase 2: the real-time intake API ---------------------------------------------------------


class EventIn(BaseModel):
    """One event as a partner sends it. Fields are checked by the platform, not by the schema, so
    that a bad event gets its own result instead of failing the whole request."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "event_id": "bus-20240601-000123",
                    "resident_ref": "R7Q2M4K9PZ3XA",
                    "behaviour": "bus_trip",
                    "quantity": "1",
                    "occurred_at": "2024-06-01T08:03:00+08:00",
                    "dedupe_key": "unionpay-txn-88120391",
                }
            ]
        },
    )

    event_id: str | None = Field(None, description="Unique per partner; resending it is idempotent.")
    resident_ref: str | None = Field(None, description="The resident's pseudonymous reference.")
    behaviour: str | None = Field(None, description="A behaviour code of the catalogue in force.")
    quantity: str | int | float | None = Field(
        None, description="Positive, at most 3 decimals; send it as a string to keep it exact."
    )
    occurred_at: str | None = Field(None, description="ISO 8601; without an offset it is Asia/Shanghai.")
    dedupe_key: str | None = Field(None, description="Shared id across partners (e.g. a clearing txn id).")
    attributes: dict[str, str | int | float | bool | None] | None = Field(None, description="Extra data.")

    def raw(self) -> dict[str, object]:
        body: dict[str, object] = {
            "event_id": self.event_id,
            "resident_ref": self.resident_ref,
            "behaviour": self.behaviour,
            "quantity": self.quantity,
            "occurred_at": self.occurred_at,
            "dedupe_key": self.dedupe_key,
        }
        attributes = {**(self.attributes or {}), **(self.model_extra or {})}
        if attributes:
            body["attributes"] = attributes
        return body


class EventsIn(BaseModel):
    events: list[EventIn] = Field(..., max_length=1000, description="1 to 1,000 events.")


class FieldErrorRead(BaseModel):
    field: str
    reason: str


class DuplicateOf(BaseModel):
    partner: str
    event_id: str


class EventResultRead(BaseModel):
    index: int = Field(..., description="Position of the event in the request, from 0.")
    event_id: str
    status: Literal["accepted", "duplicate", "conflict", "rejected"]
    errors: list[FieldErrorRead] = []
    duplicate_of: DuplicateOf | None = None


class EventsResultRead(BaseModel):
    ingest_id: int
    accepted: int
    duplicates: int
    conflicts: int
    rejected: int
    results: list[EventResultRead]


class IngestRead(BaseModel):
    id: int
    source: str
    file_name: str
    status: str
    accepted: int
    duplicates: int
    conflicts: int
    rejected: int
    reduction_g: int
    credited_g: int
    points: int
    started_at: datetime
