"""Tables of the points lifecycle and of residents' views (personal carbon account II).

Kept apart from ``models.py`` (the intake's tables) so that the two evolve independently. Times
are integer microseconds since the epoch (UTC), months ``year * 12 + month - 1``, as in the
intake's tables.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Boolean, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from seagreen.carbon_account.models import ConsentRow
from seagreen.db.base import Base, BigIntPK

# A resident's own authorisations are looked up by resident (the authorisations page, the
# records view); the intake's index leads with the partner.
CONSENTS_BY_RESIDENT = Index("ix_carbon_consents_resident_id", ConsentRow.resident_id)


class VoidRequestRow(Base):
    """One request of a partner to void events (the API or a file): what it came to."""

    __tablename__ = "carbon_void_requests"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    partner_id: Mapped[int] = mapped_column(BigInteger, index=True)
    source: Mapped[str] = mapped_column(String(8))
    file_name: Mapped[str] = mapped_column(String(300))
    voided: Mapped[int] = mapped_column(BigInteger)
    already_voided: Mapped[int] = mapped_column(BigInteger)
    not_found: Mapped[int] = mapped_column(BigInteger)
    reduction_g: Mapped[int] = mapped_column(BigInteger)
    credited_g: Mapped[int] = mapped_column(BigInteger)
    points_reversed: Mapped[int] = mapped_column(BigInteger)
    debt_points: Mapped[int] = mapped_column(BigInteger)
    created_at_us: Mapped[int] = mapped_column(BigInteger)


class EventVoidRow(Base):
    """A voided event (作废): it stays in ``carbon_events`` (history is never erased) and is no
    longer accounted. ``accounted`` is false for an event that was a cross-partner duplicate."""

    __tablename__ = "carbon_event_voids"

    partner_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_id: Mapped[int] = mapped_column(BigInteger)
    resident_id: Mapped[int] = mapped_column(BigInteger, index=True)
    behaviour_id: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[int] = mapped_column(Integer)
    reduction_g: Mapped[int] = mapped_column(BigInteger)
    accounted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(200))
    voided_at_us: Mapped[int] = mapped_column(BigInteger)


class PointsAdjustmentRow(Base):
    """Per resident touched by a void: the points the lifecycle took back and gave back (see
    ``carbon_account/lifecycle.py`` for the invariant these keep)."""

    __tablename__ = "carbon_points_adjustments"

    resident_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    reversed_points: Mapped[int] = mapped_column(BigInteger)
    reissued_points: Mapped[int] = mapped_column(BigInteger)
    updated_at_us: Mapped[int] = mapped_column(BigInteger)


class ExpiryRunRow(Base):
    """One run of the expiry job (``seagreen points expire``): its cutoff and what it took."""

    __tablename__ = "carbon_expiry_runs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    cutoff_us: Mapped[int] = mapped_column(BigInteger)
    rule_months: Mapped[int] = mapped_column(Integer)
    started_at_us: Mapped[int] = mapped_column(BigInteger)
    finished_at_us: Mapped[int] = mapped_column(BigInteger)
    residents: Mapped[int] = mapped_column(BigInteger)
    points: Mapped[int] = mapped_column(BigInteger)


class GradeSchemeRow(Base):
    """A published carbon-grade scheme (碳信用等级方案); append-only, like catalogue versions."""

    __tablename__ = "carbon_grade_schemes"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    effective_from: Mapped[date] = mapped_column(Date, unique=True)
    body: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_file: Mapped[str] = mapped_column(String(200))
    published_at_us: Mapped[int] = mapped_column(BigInteger)


class RankingSnapshotRow(Base):
    """The distribution of residents' credited grams at one moment, as quantiles: what a
    resident's percentile is read from (never shown to residents itself)."""

    __tablename__ = "carbon_ranking_snapshots"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    metric: Mapped[str] = mapped_column(String(40))
    residents: Mapped[int] = mapped_column(BigInteger)
    quantiles: Mapped[str] = mapped_column(Text)
    computed_at_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_carbon_ranking_snapshots_metric_id", "metric", "id"),)
