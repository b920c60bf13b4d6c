"""Tables of benefits (权益) and redemptions (兑换). No relationships: the repository joins.

Counters that must never overrun (stock, a resident's limit per period, a benefit's monthly
budget) are single rows changed by conditional updates in the redeeming transaction, so that
concurrent redemptions cannot take more than there is.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from seagreen.db.base import Base, BigIntPK


class BenefitRow(Base):
    """One benefit of the catalogue, with its provider, price, stock and rules."""

    __tablename__ = "benefit_items"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    provider_org_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    description_zh: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    price_points: Mapped[int] = mapped_column(Integer)
    stock_left: Mapped[int | None] = mapped_column(BigInteger)  # NULL: unlimited
    redeemed: Mapped[int] = mapped_column(BigInteger)
    per_resident_limit: Mapped[int] = mapped_column(Integer)
    limit_period: Mapped[str] = mapped_column(String(8))
    validity_days: Mapped[int] = mapped_column(Integer)
    refund_on_expiry: Mapped[bool] = mapped_column(Boolean)
    subsidised: Mapped[bool] = mapped_column(Boolean)
    unit_cost_fen: Mapped[int] = mapped_column(BigInteger)
    monthly_budget_fen: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean)
    position: Mapped[int] = mapped_column(Integer)
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    updated_at_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        CheckConstraint("price_points > 0", name="price_positive"),
        CheckConstraint("stock_left IS NULL OR stock_left >= 0", name="stock_not_negative"),
        CheckConstraint("per_resident_limit > 0", name="limit_positive"),
    )


class BenefitMonthRow(Base):
    """A benefit's month: redemptions, points, the subsidy spent against the budget, vouchers used
    and expired. Kept on write; the budget check is a conditional update of ``spent_fen``."""

    __tablename__ = "benefit_months"

    benefit_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    month: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    redemptions: Mapped[int] = mapped_column(BigInteger)
    points: Mapped[int] = mapped_column(BigInteger)
    spent_fen: Mapped[int] = mapped_column(BigInteger)
    used: Mapped[int] = mapped_column(BigInteger)
    expired: Mapped[int] = mapped_column(BigInteger)
    refunded_points: Mapped[int] = mapped_column(BigInteger)


class LimitCounterRow(Base):
    """How many of a benefit a resident redeemed in one limit period (e.g. ``2026-05``)."""

    __tablename__ = "benefit_limit_counters"

    resident_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    benefit_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    period: Mapped[str] = mapped_column(String(12), primary_key=True)
    used: Mapped[int] = mapped_column(Integer)


class RedemptionRow(Base):
    """A redemption and its voucher. The voucher code itself is never stored: it is derived from
    the platform's key, the id and ``voucher_nonce``; ``voucher_hash`` finds it when presented."""

    __tablename__ = "benefit_redemptions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    request_key: Mapped[str] = mapped_column(String(120), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    resident_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("residents.id"))
    benefit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("benefit_items.id"), index=True)
    points: Mapped[int] = mapped_column(Integer)
    cost_fen: Mapped[int] = mapped_column(BigInteger)
    period: Mapped[str] = mapped_column(String(12))
    month: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))
    hold_key: Mapped[str] = mapped_column(String(160))
    voucher_nonce: Mapped[str | None] = mapped_column(String(32))
    voucher_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    voucher_hint: Mapped[str | None] = mapped_column(String(8))
    valid_until_us: Mapped[int | None] = mapped_column(BigInteger)
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    issued_at_us: Mapped[int | None] = mapped_column(BigInteger)
    resolved_at_us: Mapped[int | None] = mapped_column(BigInteger)
    used_by_org_id: Mapped[int | None] = mapped_column(BigInteger)
    refunded_points: Mapped[int] = mapped_column(Integer)
    failure: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_benefit_redemptions_resident_id_id", "resident_id", "id"),
        Index("ix_benefit_redemptions_status_valid_until_us", "status", "valid_until_us"),
    )
