"""Tables of the behaviour catalogue. Both are append-only: a published version never changes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from seagreen.db.base import Base, BigIntPK


class DecimalText(TypeDecorator[Decimal]):
    """An exact Decimal kept as its canonical text, the same on SQLite (which has no decimal type)
    and PostgreSQL."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        text = format(Decimal(value).normalize(), "f")
        return text

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class MethodologyVersionRow(Base):
    """A published catalogue version (核算方法版本) with its points rate."""

    __tablename__ = "carbon_methodology_versions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    effective_from: Mapped[date] = mapped_column(Date, unique=True)
    g_per_point: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_file: Mapped[str] = mapped_column(String(200))
    published_at_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("g_per_point > 0", name="g_per_point_positive"),)


class BehaviourRow(Base):
    """One behaviour of one version, with its factor (g CO2e per unit) and caps."""

    __tablename__ = "carbon_behaviours"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("carbon_methodology_versions.id"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(48))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    dimension: Mapped[str] = mapped_column(String(24))
    unit: Mapped[str] = mapped_column(String(24))
    factor_g_per_unit: Mapped[Decimal] = mapped_column(DecimalText)
    daily_cap_g: Mapped[int | None] = mapped_column(BigInteger)
    monthly_cap_g: Mapped[int | None] = mapped_column(BigInteger)
    partner_kinds: Mapped[str] = mapped_column(String(120))
    factor_status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("version_id", "code"),)
