"""What the catalogue looks like from outside (CLI JSON now, the API in phase 2)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, with_config
from typing_extensions import TypedDict

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


@with_config(
    ConfigDict(
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
)
class EventIn(TypedDict, total=False):
    """One event as a partner sends it. Fields are checked by the platform, not by the schema, so
    that a bad event gets its own result instead of failing the whole request. Other fields join
    ``attributes``.

    A typed dictionary rather than a model: a thousand events validate into plain dictionaries,
    which is what the checks read, at a third of the cost of building and unpacking models
    (docs/decisions/0005, phase 10)."""

    event_id: Annotated[str | None, Field(description="Unique per partner; resending it is idempotent.")]
    resident_ref: Annotated[str | None, Field(description="The resident's pseudonymous reference.")]
    behaviour: Annotated[str | None, Field(description="A behaviour code of the catalogue in force.")]
    quantity: Annotated[
        str | int | float | None,
        Field(description="Positive, at most 3 decimals; send it as a string to keep it exact."),
    ]
    occurred_at: Annotated[str | None, Field(description="ISO 8601; without an offset it is Asia/Shanghai.")]
    dedupe_key: Annotated[
        str | None, Field(description="Shared id across partners (e.g. a clearing txn id).")
    ]
    attributes: Annotated[
        dict[str, JsonValue] | None,
        Field(
            description="Extra data kept with the event: text, numbers, true/false, lists or objects"
            " (kept as the same text a file's attribute of the same value gets)."
        ),
    ]


class EventsIn(TypedDict):
    events: Annotated[list[EventIn], Field(max_length=1000, description="1 to 1,000 events.")]


_SCHEMA_FIELDS = EventIn.__optional_keys__  # every field EventIn names (none is required by it)


def raw_event(event: EventIn) -> dict[str, object]:
    """The event as the checks read it (``domain.check_event``): the fields sent, with any other
    field moved into ``attributes``, where it replaces an attribute of the same name."""
    if _SCHEMA_FIELDS.issuperset(event):  # the usual event: no other field (no set built to say so)
        return event  # type: ignore[return-value]  # validated into a new dict of its own already
    extra = event.keys() - _SCHEMA_FIELDS
    body: dict[str, object] = {name: value for name, value in event.items() if name not in extra}
    sent = {name: event[name] for name in extra}  # type: ignore[literal-required]
    body["attributes"] = {**(event.get("attributes") or {}), **sent}
    return body


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
