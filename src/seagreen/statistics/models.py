"""The programme statistics' monthly roll-up (项目统计月表)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from seagreen.db.base import Base


class StatsMonthRow(Base):
    """The personal carbon account programme's figures of one local month, rolled up from the
    modules' own tables by ``seagreen stats refresh`` (and the app's job)."""

    __tablename__ = "carbon_stats_months"

    month: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    residents_registered: Mapped[int] = mapped_column(BigInteger)
    residents_new: Mapped[int] = mapped_column(BigInteger)
    residents_active: Mapped[int] = mapped_column(BigInteger)
    reduction_g: Mapped[int] = mapped_column(BigInteger)
    credited_g: Mapped[int] = mapped_column(BigInteger)
    points_issued: Mapped[int] = mapped_column(BigInteger)
    points_redeemed: Mapped[int] = mapped_column(BigInteger)
    points_expired: Mapped[int] = mapped_column(BigInteger)
    points_reversed: Mapped[int] = mapped_column(BigInteger)
    redemptions: Mapped[int] = mapped_column(BigInteger)
    refreshed_at_us: Mapped[int] = mapped_column(BigInteger)
