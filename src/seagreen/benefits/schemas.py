"""The benefits API: the catalogue for operators, vouchers for providers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from seagreen.benefits.domain import BenefitTerms


class BenefitAdminRead(BaseModel):
    """A benefit with its stock, this month's budget and how often it was redeemed."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    kind: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    provider_code: str
    provider_name_zh: str
    price_points: int
    stock_left: int | None
    redeemed: int
    per_resident_limit: int
    limit_period: str
    validity_days: int
    refund_on_expiry: bool
    subsidised: bool
    unit_cost_fen: int
    monthly_budget_fen: int | None
    spent_this_month_fen: int
    budget_left_fen: int | None
    active: bool
    position: int


class BenefitCreate(BaseModel):
    code: str = Field(max_length=40, examples=["bus-1-cent"])
    provider: str = Field(max_length=32, description="The benefit provider organisation's code.")
    kind: str = Field(
        max_length=16, description="transit, ebook, utility, merchant, donation, culture, finance, other"
    )
    name_zh: str = Field(max_length=100)
    name_en: str = Field(max_length=200)
    description_zh: str = Field("", max_length=2000)
    description_en: str = Field("", max_length=2000)
    price_points: int = Field(description="Points a redemption costs.")
    stock: int | None = Field(None, description="Vouchers available; null for unlimited.")
    per_resident_limit: int = 1
    limit_period: str = Field("month", description="day, week, month, quarter, year or ever")
    validity_days: int = 30
    refund_on_expiry: bool = False
    subsidised: bool = False
    unit_cost_fen: int = Field(0, description="What one voucher costs the subsidy budget, in fen.")
    monthly_budget_fen: int | None = Field(
        None, description="A subsidised benefit's budget per month, in fen."
    )
    position: int = 100

    def terms(self) -> BenefitTerms:
        return BenefitTerms(
            code=self.code.strip(),
            kind=self.kind.strip(),
            name_zh=self.name_zh,
            name_en=self.name_en,
            price_points=self.price_points,
            stock=self.stock,
            per_resident_limit=self.per_resident_limit,
            limit_period=self.limit_period,
            validity_days=self.validity_days,
            refund_on_expiry=self.refund_on_expiry,
            subsidised=self.subsidised,
            unit_cost_fen=self.unit_cost_fen,
            monthly_budget_fen=self.monthly_budget_fen,
        )


class BenefitUpdate(BaseModel):
    """Only the fields sent are changed (``monthly_budget_fen: null`` removes a budget)."""

    name_zh: str | None = Field(None, max_length=100)
    name_en: str | None = Field(None, max_length=200)
    description_zh: str | None = Field(None, max_length=2000)
    description_en: str | None = Field(None, max_length=2000)
    price_points: int | None = None
    per_resident_limit: int | None = None
    limit_period: str | None = None
    validity_days: int | None = None
    refund_on_expiry: bool | None = None
    subsidised: bool | None = None
    unit_cost_fen: int | None = None
    monthly_budget_fen: int | None = None
    position: int | None = None
    active: bool | None = None


class StockIn(BaseModel):
    quantity: int = Field(gt=0, le=10_000_000, description="Vouchers to add to the stock.")


class VoucherCodeIn(BaseModel):
    code: str = Field(
        max_length=40, description="The code as the resident shows it (dashes and case do not matter)."
    )


class VoucherCheckRead(BaseModel):
    """What a provider sees for a code: the benefit and the state, never who the resident is."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    benefit_code: str
    benefit_name_zh: str
    benefit_name_en: str
    status: str
    valid_until: datetime | None
    used_at: datetime | None
