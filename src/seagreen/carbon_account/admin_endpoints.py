"""Partner administration API (合作方管理) for operators: list partners with their figures, add
a partner (its API key is returned once), issue a new key for rotation."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from seagreen.carbon_account import service
from seagreen.carbon_account.service import statistics
from seagreen.identity.access import RequireOperator, actor_of
from seagreen.web.deps import ReadSession, WriteSession

router = APIRouter(prefix="/api/v1", tags=["carbon account"])


class PartnerSummaryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    kind: str
    name: str
    consents: int = Field(description="Residents whose authorisation is in force.")
    ingests: int
    accepted: int
    rejected: int
    last_ingest: datetime | None
    voids: int


class PartnerIn(BaseModel):
    code: str = Field(max_length=32, examples=["wh-ferry"])
    kind: str = Field(
        max_length=16, description="transit, utility, government, bank, clearing, recycler, peer"
    )
    name: str = Field(max_length=200)


class PartnerCreatedRead(BaseModel):
    code: str
    kind: str
    name: str
    created: bool
    api_key: str = Field(description="Shown once: hand it to the partner securely.")


@router.get("/partners", response_model=list[PartnerSummaryRead], summary="Data partners and their figures")
def partners(_: RequireOperator, session: ReadSession) -> list[PartnerSummaryRead]:
    return [PartnerSummaryRead.model_validate(p) for p in statistics.partner_summaries(session)]


@router.post(
    "/partners", response_model=PartnerCreatedRead, status_code=201, summary="Add a partner or a new key"
)
def add_partner(body: PartnerIn, principal: RequireOperator, session: WriteSession) -> PartnerCreatedRead:
    """Register a data partner (or, for an existing one of the same kind, issue another API key
    for rotation; revoke the old one under identity's API keys)."""
    created = service.add_partner(
        session, body.code, kind=body.kind, name=body.name, actor=actor_of(principal)
    )
    session.commit()
    return PartnerCreatedRead(
        code=created.partner.code,
        kind=created.partner.kind,
        name=created.partner.name,
        created=created.created,
        api_key=created.api_key,
    )
