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
    Index,
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


# ---------------------------------------------------------------------------------------------
# Phase 2: partners, consent, intake and the accounting aggregates.
#
# Times are integer microseconds since the epoch (UTC), days are local (Asia/Shanghai) days since
# 1970-01-01 and months ``year * 12 + month - 1``: exact, portable and cheap to compare in bulk SQL.
# The hot tables (events, dedupe claims, totals) are keyed by their natural key and, on SQLite,
# stored WITHOUT ROWID, so each insert maintains one B-tree; they carry no foreign keys, which
# would cost a lookup per row (the intake resolves residents and behaviours before writing).
# ---------------------------------------------------------------------------------------------


class PartnerRow(Base):
    """A data partner (数据合作方): an organisation that reports behaviour, with its partner kind."""

    __tablename__ = "carbon_partners"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    created_at_us: Mapped[int] = mapped_column(BigInteger)


class ConsentRow(Base):
    """A resident's authorisation (授权) of one partner, from ``granted_at`` until ``revoked_at``."""

    __tablename__ = "carbon_consents"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    resident_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("residents.id"))
    partner_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("carbon_partners.id"))
    scope: Mapped[str] = mapped_column(String(32))
    granted_at_us: Mapped[int] = mapped_column(BigInteger)
    revoked_at_us: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(200))

    # the interval in the index too: the real-time intake reads a request's consents from it alone
    __table_args__ = (
        Index(
            "ix_carbon_consents_partner_resident",
            "partner_id",
            "resident_id",
            "granted_at_us",
            "revoked_at_us",
        ),
    )


class IngestRow(Base):
    """One intake run: a file (``source='file'``) or an API request (``'api'``), with its counts."""

    __tablename__ = "carbon_ingests"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    partner_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("carbon_partners.id"))
    source: Mapped[str] = mapped_column(String(8))
    file_name: Mapped[str] = mapped_column(String(300))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))
    checkpoint_row: Mapped[int] = mapped_column(BigInteger)
    accepted: Mapped[int] = mapped_column(BigInteger)
    duplicates: Mapped[int] = mapped_column(BigInteger)
    conflicts: Mapped[int] = mapped_column(BigInteger)
    rejected: Mapped[int] = mapped_column(BigInteger)
    reduction_g: Mapped[int] = mapped_column(BigInteger)
    credited_g: Mapped[int] = mapped_column(BigInteger)
    points: Mapped[int] = mapped_column(BigInteger)
    quarantine_path: Mapped[str] = mapped_column(Text)
    started_at_us: Mapped[int] = mapped_column(BigInteger)
    finished_at_us: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_carbon_ingests_partner_file", "partner_id", "file_sha256"),)


class BatchRow(Base):
    """One committed transaction of an intake: the rows it covered (provenance of every event)."""

    __tablename__ = "carbon_batches"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    ingest_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("carbon_ingests.id"), index=True)
    first_row: Mapped[int] = mapped_column(BigInteger)
    last_row: Mapped[int] = mapped_column(BigInteger)
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    # when the batch's new events were added to the totals (NULL: committed, not yet accounted)
    accounted_at_us: Mapped[int | None] = mapped_column(BigInteger, index=True)


class EventRow(Base):
    """An accepted event, exactly once per (partner, event_id). A cross-partner duplicate is kept
    with ``duplicate_of_*`` naming the winner and is not accounted."""

    __tablename__ = "carbon_events"

    partner_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    batch_id: Mapped[int] = mapped_column(BigInteger)
    row_number: Mapped[int] = mapped_column(BigInteger)
    resident_id: Mapped[int] = mapped_column(BigInteger)
    behaviour_id: Mapped[int] = mapped_column(BigInteger)
    quantity_milli: Mapped[int] = mapped_column(BigInteger)
    occurred_at_us: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[int] = mapped_column(Integer)
    reduction_g: Mapped[int] = mapped_column(BigInteger)
    dedupe_hash: Mapped[str | None] = mapped_column(String(64))
    attributes: Mapped[str | None] = mapped_column(Text)
    duplicate_of_partner_id: Mapped[int | None] = mapped_column(BigInteger)
    duplicate_of_event_id: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = ({"sqlite_with_rowid": False},)


class DedupeClaimRow(Base):
    """The first event to claim a keyed-hashed ``dedupe_key`` (the winner)."""

    __tablename__ = "carbon_dedupe_claims"

    dedupe_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    partner_id: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[str] = mapped_column(String(128))
    batch_id: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = ({"sqlite_with_rowid": False},)


class MonthTotalRow(Base):
    """A resident's behaviour in a local month (``domain.MonthRow``): Σ reduction on each day of
    the month, packed as text (``domain.pack_days``: ``"600,,1076,…"``, 31 fields, empty for a day
    without events), their sum, Σ of the days' credited grams (each capped by the daily cap) and
    the month's credit (capped by the monthly cap).

    One row per month rather than one per day, and the days in one column: a bulk file touches
    each (resident, behaviour, month) once instead of each day, which is most of the accounting's
    writes, and each touch moves seven values, not thirty-seven (decision 0005)."""

    __tablename__ = "carbon_month_totals"

    resident_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    behaviour_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    month: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    reduction_g: Mapped[int] = mapped_column(BigInteger)
    day_credited_g: Mapped[int] = mapped_column(BigInteger)
    credited_g: Mapped[int] = mapped_column(BigInteger)
    days: Mapped[str] = mapped_column(Text)

    __table_args__ = ({"sqlite_with_rowid": False},)


class ResidentVersionTotalRow(Base):
    """A resident's credited grams under one catalogue version (each version has its points rate)."""

    __tablename__ = "carbon_resident_version_totals"

    resident_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    version_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    credited_g: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = ({"sqlite_with_rowid": False},)


class ResidentTotalRow(Base):
    """A resident's carbon account: reductions, credited grams, points earned and points posted to
    the ledger (``points - points_posted`` is what the next settlement issues)."""

    __tablename__ = "carbon_resident_totals"

    resident_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    reduction_g: Mapped[int] = mapped_column(BigInteger)
    credited_g: Mapped[int] = mapped_column(BigInteger)
    points: Mapped[int] = mapped_column(BigInteger)
    points_posted: Mapped[int] = mapped_column(BigInteger)
    last_batch_id: Mapped[int] = mapped_column(BigInteger)
    settled_batch_id: Mapped[int] = mapped_column(BigInteger)


class RejectionRow(Base):
    """A rejected event of the real-time API, with its reason (bulk files use quarantine files)."""

    __tablename__ = "carbon_rejections"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    ingest_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("carbon_ingests.id"), index=True)
    row_number: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[str | None] = mapped_column(String(128))
    field: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text)
