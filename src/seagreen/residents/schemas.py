"""The residents' JSON API: one model per view, read straight from the service's dataclasses."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# -- sign-in -----------------------------------------------------------------------------------------


class CodeRequestIn(BaseModel):
    phone: str = Field(max_length=40, description="The resident's mainland mobile number (11 digits).")


class CodeRequestedRead(_Read):
    """Sent if the number belongs to a resident; the answer is the same either way."""

    masked_phone: str
    valid_minutes: int
    resend_after_s: int


class CodeVerifyIn(BaseModel):
    phone: str = Field(max_length=40)
    code: str = Field(max_length=20, description="The six-digit code received by SMS.")


class SignedInRead(BaseModel):
    """The session cookie is set; browser clients send ``csrf`` as ``X-CSRF-Token`` on changes."""

    display_name: str
    csrf: str
    expires_at: datetime


# -- the account -------------------------------------------------------------------------------------


class ExpiringRead(_Read):
    points: int
    at: datetime | None


class PointsPositionRead(_Read):
    balance: int
    available: int
    reserved: int
    debt: int
    unsettled: int
    expiring: ExpiringRead


class TierRead(_Read):
    code: str
    name_zh: str
    name_en: str
    min_g: int
    colour: str
    financing_zh: str
    financing_en: str


class SchemeRead(_Read):
    code: str
    name: str
    effective_from: date
    metric: str
    tiers: list[TierRead]
    basis_zh: str
    basis_en: str


class QuarterRead(BaseModel):
    year: int
    number: int
    first_day: date
    last_day: date


class GradeRead(BaseModel):
    scheme: str
    quarter: QuarterRead
    credited_g: int
    tier: TierRead | None
    next_tier: TierRead | None

    @classmethod
    def of(cls, view: object | None) -> GradeRead | None:
        if view is None:
            return None
        quarter = view.quarter  # type: ignore[attr-defined]
        return cls(
            scheme=view.scheme.code,  # type: ignore[attr-defined]
            quarter=QuarterRead(
                year=quarter.year,
                number=quarter.number,
                first_day=quarter.first_day,
                last_day=quarter.last_day,
            ),
            credited_g=view.credited_g,  # type: ignore[attr-defined]
            tier=None if view.tier is None else TierRead.model_validate(view.tier),  # type: ignore[attr-defined]
            next_tier=None if view.next_tier is None else TierRead.model_validate(view.next_tier),  # type: ignore[attr-defined]
        )


class RankRead(_Read):
    credited_g: int
    percentile: int | None = Field(
        description="More than this % of residents credited less; null if not ranked."
    )
    population: int
    computed_at: datetime | None


class AchievementRead(_Read):
    code: str
    earned: bool
    progress: int
    target: int
    value: int


class SummaryRead(BaseModel):
    """The account at a glance (``GET /api/v1/me/summary``)."""

    ref: str
    reduction_g: int
    credited_g: int
    points_earned: int
    points: PointsPositionRead
    month_credited_g: int
    quarter: str
    quarter_credited_g: int
    grade: GradeRead | None
    rank: RankRead
    vouchers_active: int
    achievements: list[AchievementRead]


class BehaviourInfoRead(_Read):
    code: str
    name_zh: str
    name_en: str
    dimension: str
    unit: str


class SourceRead(_Read):
    code: str
    name: str
    kind: str


class RecordLineRead(_Read):
    day: date
    behaviour: BehaviourInfoRead
    reduction_g: int
    credited_g: int
    sources: list[SourceRead]


class SourceTotalRead(_Read):
    sources: list[SourceRead]
    days: int
    reduction_g: int


class VoidedRead(_Read):
    partner: str
    event_id: str
    behaviour: BehaviourInfoRead | None
    reduction_g: int
    reason: str
    voided_at: datetime


class RecordsRead(BaseModel):
    """View 1: behaviour records by data source (one line per behaviour and day)."""

    lines: list[RecordLineRead]
    sources: list[SourceTotalRead]
    voided: list[VoidedRead]
    next_before: date | None


class BehaviourReductionRead(_Read):
    behaviour: BehaviourInfoRead
    reduction_g: int
    credited_g: int


class MonthReductionRead(_Read):
    month: date
    reduction_g: int
    credited_g: int
    cumulative_credited_g: int


class DimensionReductionRead(_Read):
    dimension: str
    credited_g: int


class ReductionsRead(_Read):
    """View 2: reductions per behaviour, per dimension and month by month (cumulative)."""

    reduction_g: int
    credited_g: int
    behaviours: list[BehaviourReductionRead]
    months: list[MonthReductionRead]
    dimensions: list[DimensionReductionRead]


class MovementRead(_Read):
    at: datetime
    code: str
    kind: str
    points: int


class FlowMonthRead(_Read):
    month: date
    flows: dict[str, int]


class PointsRead(_Read):
    """View 3: balance and flows (earned, redeemed, refunded, expired, reversed)."""

    position: PointsPositionRead
    earned_total: int
    flows: dict[str, int]
    months: list[FlowMonthRead]
    movements: list[MovementRead]
    debt_recorded: int


class RedemptionRead(_Read):
    id: int
    benefit_code: str
    benefit_name_zh: str
    benefit_name_en: str
    benefit_kind: str
    provider_name_zh: str
    points: int
    status: str
    created_at: datetime
    issued_at: datetime | None
    valid_until: datetime | None
    resolved_at: datetime | None
    voucher_hint: str | None
    refunded_points: int
    failure: str
    code: str | None = Field(default=None, description="The voucher code (only in a single redemption).")


class HistoryRead(_Read):
    """View 4: redemptions and vouchers, newest first."""

    redemptions: list[RedemptionRead]
    next_before: int | None
    counts: dict[str, int]


class RankingRead(BaseModel):
    """View 5: percentile among residents and achievements (nobody else's data)."""

    rank: RankRead
    achievements: list[AchievementRead]


class GradeHistoryRead(BaseModel):
    """View 6: the carbon grade, the quarter so far, the last four quarters, the scheme."""

    current: GradeRead | None
    to_date: GradeRead | None
    quarters: list[GradeRead]
    scheme: SchemeRead | None


class BenefitRead(_Read):
    code: str
    kind: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    provider_code: str
    provider_name_zh: str
    provider_name_en: str
    price_points: int
    stock_left: int | None
    per_resident_limit: int
    limit_period: str
    validity_days: int
    refund_on_expiry: bool
    subsidised: bool


class MallItemRead(_Read):
    benefit: BenefitRead
    used: int
    remaining: int
    affordable: bool
    blocked: str | None


class MallRead(_Read):
    available_points: int
    debt: int
    items: list[MallItemRead]


class RedeemIn(BaseModel):
    benefit: str = Field(max_length=40)
    request_key: str = Field(
        min_length=8,
        max_length=64,
        description="An idempotency key chosen by the client: the same key returns the same redemption.",
    )


class AuthorisationRead(_Read):
    partner_code: str
    partner_name: str
    kind: str
    active: bool
    granted_at: datetime | None
    revoked_at: datetime | None
    behaviours: list[tuple[str, str, str]]
