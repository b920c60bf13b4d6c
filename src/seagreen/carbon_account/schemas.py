"""What the catalogue looks like from outside (CLI JSON now, the API in phase 2)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

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
