"""Pydantic shapes of the registry API: projects and their review, monitoring reports, issuances,
transfers, sales, retirements with their certificates, reversals and the public registry."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$"
ORG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,31}$"


# ---- methodologies ---------------------------------------------------------------------------


class MethodologyRead(BaseModel):
    code: str
    version: str
    name_zh: str
    name_en: str
    kind: str
    parameter_set: str
    basis: str


class ParameterRead(BaseModel):
    name: str
    value: str
    unit: str
    mark: str
    source: str
    scope: str = ""


class SpeciesRead(BaseModel):
    key: str
    name_zh: str
    name_en: str
    group: str
    mark: str
    source: str
    coefficients: dict[str, str]


class ParameterSetRead(BaseModel):
    code: str
    version: str
    status: str
    title_zh: str
    title_en: str
    sha256: str
    source: str
    methodologies: list[str]
    parameters: list[ParameterRead]
    species: list[SpeciesRead]
    notes: list[str]


class CalculateRequest(BaseModel):
    methodology: str = Field(max_length=40, description="e.g. shellfish-csc, algae-csc, seagrass-restoration")
    methodology_version: str | None = Field(default=None, max_length=16)
    inputs: dict[str, Any] = Field(
        description="The methodology's inputs; numbers as strings keep every digit"
    )


# ---- projects --------------------------------------------------------------------------------


class ProjectCreate(BaseModel):
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    methodology: str = Field(max_length=40)
    location: str = Field(min_length=1, max_length=200, description="Where the project is, in words")
    latitude: Decimal | None = Field(default=None, ge=-90, le=90, max_digits=9, decimal_places=6)
    longitude: Decimal | None = Field(default=None, ge=-180, le=180, max_digits=10, decimal_places=6)
    area_ha: Decimal | None = Field(default=None, gt=0, max_digits=14, decimal_places=4)
    area_mu: Decimal | None = Field(
        default=None, gt=0, max_digits=14, decimal_places=4, description="亩; 15 亩 = 1 ha"
    )
    crediting_start: date
    crediting_end: date
    description: str = Field(default="", max_length=8000)

    @model_validator(mode="after")
    def _check(self) -> ProjectCreate:
        if (self.area_ha is None) == (self.area_mu is None):
            raise ValueError("give the area in ha (area_ha) or in mu (area_mu), one of them")
        if self.crediting_end <= self.crediting_start:
            raise ValueError("the crediting period must end after it starts")
        return self


class ProjectUpdate(BaseModel):
    name_zh: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    location: str | None = Field(default=None, min_length=1, max_length=200)
    latitude: Decimal | None = Field(default=None, ge=-90, le=90, max_digits=9, decimal_places=6)
    longitude: Decimal | None = Field(default=None, ge=-180, le=180, max_digits=10, decimal_places=6)
    area_ha: Decimal | None = Field(default=None, gt=0, max_digits=14, decimal_places=4)
    crediting_start: date | None = None
    crediting_end: date | None = None
    description: str | None = Field(default=None, max_length=8000)


class NoticeRead(BaseModel):
    round: int
    published: date
    last_day: date
    working_days: int
    calendar: str
    complete_calendar: bool = Field(
        description="False if a day of the window fell in a year without a holiday list"
    )
    open: bool


class EventRead(BaseModel):
    action: str
    from_state: str
    to_state: str
    actor: str
    org: str | None
    text: str
    at: datetime


class ObjectionRead(BaseModel):
    id: int
    notice_round: int
    author: str
    org: str | None
    text: str
    created_at: datetime
    status: str
    resolution: str
    resolved_by: str
    resolved_at: datetime | None


class DocumentRead(BaseModel):
    id: int
    kind: str
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    uploaded_by: str


class TotalsRead(BaseModel):
    issued: int = 0
    active: int = 0
    buffer: int = 0
    retired: int = 0
    cancelled: int = 0


class ProjectRead(BaseModel):
    code: str
    name_zh: str
    name_en: str
    owner_org: str
    owner_name: str
    kind: str
    methodology: str
    methodology_version: str
    location: str
    latitude: str
    longitude: str
    area_ha: str
    area_mu: str
    crediting_start: date
    crediting_end: date
    description: str
    state: str
    buffer_share: str
    notice: NoticeRead | None
    filed_at: datetime | None
    created_at: datetime
    totals: TotalsRead = Field(default_factory=TotalsRead)


class ProjectRecordRead(BaseModel):
    """A project with its review history, objections and documents (what its page shows)."""

    project: ProjectRead
    events: list[EventRead]
    objections: list[ObjectionRead]
    documents: list[DocumentRead]


class ReviewRequest(BaseModel):
    decision: Literal["comment", "request_changes", "reject", "start_notice"]
    text: str = Field(default="", max_length=4000)


class ObjectionCreate(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class ObjectionResolve(BaseModel):
    decision: Literal["dismiss", "uphold"]
    text: str = Field(min_length=1, max_length=4000)


class FileRequest(BaseModel):
    buffer_share: Decimal | None = Field(
        default=None,
        ge=0,
        lt=Decimal("0.5"),
        max_digits=5,
        decimal_places=4,
        description="Share of each issuance put into the buffer pool (default: the parameter set's)",
    )
    text: str = Field(default="", max_length=4000)


# ---- monitoring reports and issuance ---------------------------------------------------------


class ReportCreate(BaseModel):
    period_start: date
    period_end: date
    inputs: dict[str, Any]


class ReportRead(BaseModel):
    id: int
    project_code: str
    period_start: date
    period_end: date
    state: str
    methodology: str
    methodology_version: str
    parameter_set: str
    parameter_set_version: str
    inputs_sha256: str
    receipt_sha256: str
    result_tco2e: str
    issuable_t: int
    submitted_at: datetime
    submitted_by: str
    verifier: str
    verification_statement: str
    verified_at: datetime | None
    returned_reason: str
    receipt: dict[str, Any] | None = None


class VerifyRequest(BaseModel):
    verifier: str = Field(min_length=1, max_length=200, description="The verification body (核证机构)")
    statement: str = Field(min_length=1, max_length=4000)


class ReturnRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=4000)


class IssuanceRead(BaseModel):
    id: int
    project_code: str
    report_id: int
    vintage_start: date
    vintage_end: date
    quantity: int
    owner_quantity: int
    buffer_quantity: int
    buffer_share: str
    serial_start: int
    serial_end: int
    block: str = Field(description="The issuance's serial block number")
    receipt_sha256: str
    owner_org: str
    issued_at: datetime


# ---- transfers, sales, retirements, reversals -----------------------------------------------


class _Serials(BaseModel):
    quantity: int | None = Field(default=None, gt=0, description="Whole tonnes (lowest serials first)")
    serial_start: int | None = Field(default=None, gt=0, description="Or an exact range: first serial")
    serial_end: int | None = Field(default=None, gt=0, description="… and last serial (inclusive)")

    @model_validator(mode="after")
    def _one_way(self) -> _Serials:
        by_range = self.serial_start is not None or self.serial_end is not None
        if by_range and (self.serial_start is None or self.serial_end is None):
            raise ValueError("an exact range needs both serial_start and serial_end")
        if by_range == (self.quantity is not None):
            raise ValueError("give a quantity, or an exact serial range, not both")
        return self


class TransferCreate(_Serials):
    idempotency_key: str = Field(
        pattern=KEY_PATTERN, description="Chosen by the client; a retry sends it again"
    )
    project: str = Field(max_length=16)
    to_org: str = Field(pattern=ORG_PATTERN)
    price_yuan_per_t: Decimal | None = Field(
        default=None, gt=0, max_digits=12, decimal_places=2, description="Makes the transfer a sale (交易)"
    )
    settlement_method: str = Field(default="", max_length=32, description="e.g. bank_transfer")
    settlement_ref: str = Field(default="", max_length=120, description="The payment's reference")
    note: str = Field(default="", max_length=2000)


class RetirementCreate(_Serials):
    idempotency_key: str = Field(pattern=KEY_PATTERN)
    project: str = Field(max_length=16)
    beneficiary_name: str = Field(
        min_length=1, max_length=200, description="Whose claim: e.g. a named bank branch"
    )
    beneficiary_org: str | None = Field(default=None, pattern=ORG_PATTERN)
    purpose: str = Field(
        min_length=1, max_length=2000, description="e.g. carbon neutrality of which site and period"
    )
    claim_start: date | None = None
    claim_end: date | None = None
    note: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _claim(self) -> RetirementCreate:
        if (self.claim_start is None) != (self.claim_end is None):
            raise ValueError("give both ends of the claimed period, or neither")
        if self.claim_start and self.claim_end and self.claim_end < self.claim_start:
            raise ValueError("the claimed period ends before it starts")
        return self


class BatchRequest(BaseModel):
    transfers: list[TransferCreate] = Field(default_factory=list, max_length=10_000)
    retirements: list[RetirementCreate] = Field(default_factory=list, max_length=10_000)


class OperationRead(BaseModel):
    id: int
    key: str
    kind: str
    status: Literal["created", "exists"]
    project_code: str
    from_org: str | None
    to_org: str | None
    quantity: int
    blocks: list[str]
    price_yuan_per_t: str | None = None
    amount_yuan: str | None = None
    settlement_method: str = ""
    settlement_ref: str = ""
    ledger_key: str
    created_at: datetime
    retirement_number: str | None = None


class ReversalCreate(BaseModel):
    quantity: int = Field(gt=0, description="Tonnes lost (e.g. seagrass lost, found at monitoring)")
    reason: str = Field(min_length=1, max_length=4000)
    idempotency_key: str = Field(pattern=KEY_PATTERN)


class ReversalRead(BaseModel):
    id: int
    project_code: str
    quantity: int
    reason: str
    blocks: list[str]
    created_at: datetime
    actor: str


class RetirementRead(BaseModel):
    number: str
    project_code: str
    project_name: str
    retired_by: str
    retired_by_name: str
    quantity: int
    beneficiary_name: str
    beneficiary_org: str | None
    purpose: str
    claim_start: date | None
    claim_end: date | None
    retired_at: datetime
    blocks: list[str]
    certificate_sha256: str
    key_id: str


# ---- the public registry --------------------------------------------------------------------


class HoldingRead(BaseModel):
    org_code: str | None
    org_name: str
    project_code: str
    project_name: str
    state: str
    quantity: int


class PricePoint(BaseModel):
    at: datetime
    project_code: str
    quantity: int
    price_yuan_per_t: str
    buyer: str


class SerialEvent(BaseModel):
    kind: str
    operation_key: str
    from_state: str | None
    from_holder: str | None
    to_state: str
    to_holder: str | None
    range: str
    at: datetime


class SerialRead(BaseModel):
    serial: int
    block: str
    state: str
    holder: str | None
    project_code: str
    project_name: str
    vintage_start: date
    vintage_end: date
    history: list[SerialEvent]


class OverviewRead(BaseModel):
    totals: TotalsRead
    projects: list[ProjectRead]
    issuances: list[IssuanceRead]
    holdings: list[HoldingRead]
    retirements: list[RetirementRead]
    prices: list[PricePoint]


class PublicKeyRead(BaseModel):
    algorithm: str = "Ed25519"
    key_id: str
    public_key_base64: str
    public_key_pem: str


class VerificationRead(BaseModel):
    valid: bool
    reason: str
    key_id: str
    certificate: dict[str, Any] | None = None


class ConsistencyRead(BaseModel):
    ok: bool
    blocks: int
    issuances: int
    problems: list[str]
