"""Tables of the ocean carbon-sink registry.

``registry_blocks`` is the current place of every serial (one row per block, carved on every
partial move); everything else that records what happened is append-only (a database trigger
refuses UPDATE and DELETE): operations, movements, issuances, retirements and their signed
certificates, reversals, project events, documents and parameter sets. Organisations are named by
their immutable code, as elsewhere in SeaGreen. Decimal quantities are kept as decimal text, so
no database ever turns them into floats.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from seagreen.db.base import Base, BigIntPK


class RegistryHead(Base):
    """The single row every registry write locks first: the next serial and the counters."""

    __tablename__ = "registry_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    next_serial: Mapped[int] = mapped_column(BigInteger)
    projects: Mapped[int] = mapped_column(Integer)
    certificates: Mapped[int] = mapped_column(Integer)


class ParameterSetRow(Base):
    """A methodology parameter set as shipped (the file's text and its SHA-256)."""

    __tablename__ = "registry_parameter_sets"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(60))
    version: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    loaded_at_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("code", "version"),)


class ProjectRow(Base):
    """A carbon-sink project (碳汇项目) and where it is on its way to filing."""

    __tablename__ = "registry_projects"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    owner_org: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    methodology: Mapped[str] = mapped_column(String(40))
    methodology_version: Mapped[str] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(String(200))
    latitude: Mapped[str] = mapped_column(String(16))
    longitude: Mapped[str] = mapped_column(String(16))
    area_ha: Mapped[str] = mapped_column(String(24))
    crediting_start: Mapped[date] = mapped_column(Date)
    crediting_end: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(24), index=True)
    buffer_share: Mapped[str] = mapped_column(String(8))
    notice_round: Mapped[int] = mapped_column(Integer)
    notice_published: Mapped[date | None] = mapped_column(Date)
    notice_last_day: Mapped[date | None] = mapped_column(Date)
    notice_calendar: Mapped[str] = mapped_column(String(60))
    notice_complete: Mapped[bool | None] = mapped_column(Boolean)
    filed_at_us: Mapped[int | None] = mapped_column(BigInteger)
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    updated_at_us: Mapped[int] = mapped_column(BigInteger)


class ProjectEventRow(Base):
    """One step of a project's review: who did what, from which state to which, and why."""

    __tablename__ = "registry_project_events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("registry_projects.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    actor_label: Mapped[str] = mapped_column(String(200))
    actor_org: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    at_us: Mapped[int] = mapped_column(BigInteger)


class ObjectionRow(Base):
    """An objection (异议) raised during a public notice, and how the authority resolved it."""

    __tablename__ = "registry_objections"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("registry_projects.id"), index=True)
    notice_round: Mapped[int] = mapped_column(Integer)
    author_label: Mapped[str] = mapped_column(String(200))
    author_org: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12))
    resolution: Mapped[str] = mapped_column(Text)
    resolved_by: Mapped[str] = mapped_column(String(200))
    resolved_at_us: Mapped[int | None] = mapped_column(BigInteger)


class DocumentRow(Base):
    """A document of a project or a monitoring report, kept with its SHA-256."""

    __tablename__ = "registry_documents"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("registry_projects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at_us: Mapped[int] = mapped_column(BigInteger)
    uploaded_by: Mapped[str] = mapped_column(String(200))


class ReportRow(Base):
    """A monitoring report (监测报告) for one period: its inputs, its receipt, its verification."""

    __tablename__ = "registry_reports"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("registry_projects.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    methodology: Mapped[str] = mapped_column(String(40))
    methodology_version: Mapped[str] = mapped_column(String(16))
    parameter_set: Mapped[str] = mapped_column(String(60))
    parameter_set_version: Mapped[str] = mapped_column(String(20))
    inputs_json: Mapped[str] = mapped_column(Text)
    inputs_sha256: Mapped[str] = mapped_column(String(64))
    receipt_json: Mapped[str] = mapped_column(Text)
    receipt_sha256: Mapped[str] = mapped_column(String(64))
    result_tco2e: Mapped[str] = mapped_column(String(40))
    issuable_t: Mapped[int] = mapped_column(BigInteger)
    submitted_at_us: Mapped[int] = mapped_column(BigInteger)
    submitted_by: Mapped[str] = mapped_column(String(200))
    verifier: Mapped[str] = mapped_column(String(200))
    verification_statement: Mapped[str] = mapped_column(Text)
    verified_at_us: Mapped[int | None] = mapped_column(BigInteger)
    verified_by: Mapped[str] = mapped_column(String(200))
    returned_reason: Mapped[str] = mapped_column(Text)


class OperationRow(Base):
    """One registry operation (issue, transfer, sale, retire, reversal): the unit of idempotency,
    of the ledger posting and of the audit record."""

    __tablename__ = "registry_operations"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64))
    project_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("registry_projects.id"))
    from_org: Mapped[str | None] = mapped_column(String(32))
    to_org: Mapped[str | None] = mapped_column(String(32))
    quantity: Mapped[int] = mapped_column(BigInteger)
    price_fen_per_t: Mapped[int | None] = mapped_column(BigInteger)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    settlement_method: Mapped[str] = mapped_column(String(32))
    settlement_ref: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text)
    ranges: Mapped[str] = mapped_column(Text)  # JSON [[issuance_id, start, end], ...]
    ledger_key: Mapped[str] = mapped_column(String(160))
    ledger_seq: Mapped[int | None] = mapped_column(BigInteger)
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    actor_label: Mapped[str] = mapped_column(String(200))
    actor_org: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (Index("ix_registry_operations_project_kind", "project_id", "kind", "id"),)


class IssuanceRow(Base):
    """An issuance (签发): one verified monitoring report's serials, owner's and buffer's parts."""

    __tablename__ = "registry_issuances"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("registry_projects.id"), index=True)
    report_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("registry_reports.id"), unique=True)
    operation_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("registry_operations.id"))
    vintage_start: Mapped[date] = mapped_column(Date)
    vintage_end: Mapped[date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(BigInteger)
    owner_quantity: Mapped[int] = mapped_column(BigInteger)
    buffer_quantity: Mapped[int] = mapped_column(BigInteger)
    buffer_share: Mapped[str] = mapped_column(String(8))
    serial_start: Mapped[int] = mapped_column(BigInteger, unique=True)
    serial_end: Mapped[int] = mapped_column(BigInteger)
    receipt_sha256: Mapped[str] = mapped_column(String(64))
    owner_org: Mapped[str] = mapped_column(String(32))
    issued_at_us: Mapped[int] = mapped_column(BigInteger)
    issued_by: Mapped[str] = mapped_column(String(200))


class BlockRow(Base):
    """A serial block: ``[start, end]`` of one issuance, in one state, with one holder (none in the
    buffer pool). ``start`` is unique across the registry, so the block holding any serial is the
    one with the greatest ``start`` not above it: one index probe."""

    __tablename__ = "registry_blocks"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    issuance_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("registry_issuances.id"))
    project_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("registry_projects.id"))
    start: Mapped[int] = mapped_column(BigInteger, unique=True)
    end: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(12))
    holder: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        Index("ix_registry_blocks_holding", "holder", "state", "project_id", "start"),
        Index("ix_registry_blocks_pool", "state", "project_id", "start"),
    )


class MovementRow(Base):
    """One range that moved: from which state and holder to which, by which operation."""

    __tablename__ = "registry_movements"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    operation_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("registry_operations.id"), index=True)
    issuance_id: Mapped[int] = mapped_column(BigInteger)
    start: Mapped[int] = mapped_column(BigInteger)
    end: Mapped[int] = mapped_column(BigInteger)
    from_state: Mapped[str | None] = mapped_column(String(12))
    from_holder: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(12))
    to_holder: Mapped[str | None] = mapped_column(String(32))
    at_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_registry_movements_issuance_start", "issuance_id", "start"),)


class RetirementRow(Base):
    """A retirement (注销) and its signed certificate."""

    __tablename__ = "registry_retirements"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    operation_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("registry_operations.id"), unique=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    project_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("registry_projects.id"), index=True)
    retired_by: Mapped[str] = mapped_column(String(32), index=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    beneficiary_name: Mapped[str] = mapped_column(String(200))
    beneficiary_org: Mapped[str | None] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(Text)
    claim_start: Mapped[date | None] = mapped_column(Date)
    claim_end: Mapped[date | None] = mapped_column(Date)
    retired_at_us: Mapped[int] = mapped_column(BigInteger)
    certificate_json: Mapped[str] = mapped_column(Text)
    certificate_sha256: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))


class ReversalRow(Base):
    """A reversal (碳汇逆转, e.g. seagrass lost): the credits it cancelled from the buffer pool."""

    __tablename__ = "registry_reversals"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("registry_projects.id"), index=True)
    operation_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("registry_operations.id"), unique=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    actor_label: Mapped[str] = mapped_column(String(200))
