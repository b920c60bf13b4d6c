"""The statistics API's shape."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class LiveRead(_Read):
    residents_registered: int
    residents_with_account: int
    reduction_g: int
    credited_g: int
    points_issued: int
    points_expired: int
    points_reversed: int
    debt_outstanding: int


class MonthRead(_Read):
    month: date
    residents_registered: int
    residents_new: int
    residents_active: int
    reduction_g: int
    credited_g: int
    points_issued: int
    points_redeemed: int
    points_expired: int
    points_reversed: int
    redemptions: int


class BenefitLineRead(_Read):
    code: str
    name_zh: str
    name_en: str
    provider: str
    price_points: int
    redemptions: int
    points: int
    used: int
    expired: int
    refunded_points: int


class StatisticsRead(_Read):
    """Live totals, the monthly series (as of ``refreshed_at``) and redemptions by benefit."""

    live: LiveRead
    points_redeemed: int
    redemptions: int
    months: list[MonthRead]
    benefits: list[BenefitLineRead]
    refreshed_at: datetime | None


class RefreshRead(BaseModel):
    months: int
