"""Tables of green sub-branch recognition.

Append-only (a database trigger refuses UPDATE and DELETE): indicator sets, submissions (the form
as submitted, with its score), reviews, appeal findings, certificates and documents. Rows with a
status (rounds, applications, recognitions, annual reports, appeals) change only through the
service, which records every change in the audit log. No relationships: the repository joins.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from seagreen.db.base import Base, BigIntPK
from seagreen.db.types import UTCDateTime


class IndicatorSetRow(Base):
    """A versioned indicator set (指标体系): the whole definition as canonical JSON, and its hash."""

    __tablename__ = "branch_indicator_sets"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    content_hash: Mapped[str] = mapped_column(String(64))
    source_file: Mapped[str] = mapped_column(String(200))
    body_json: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RoundRow(Base):
    """A recognition round (认定批次) opened jointly by the authorities, with its deadline."""

    __tablename__ = "branch_rounds"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    indicator_set_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("branch_indicator_sets.id"), index=True
    )
    authorities: Mapped[str] = mapped_column(String(400))  # the reviewing authorities' codes, space-separated
    status: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_by: Mapped[str] = mapped_column(String(200))


class ApplicationRow(Base):
    """A bank's application for one of its branches, in one round; ``form_json`` is the current
    form (a draft may be incomplete); what was submitted is kept in ``branch_submissions``."""

    __tablename__ = "branch_applications"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    round_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("branch_rounds.id"), index=True)
    bank_org_code: Mapped[str] = mapped_column(String(64), index=True)
    branch_org_code: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    form_json: Mapped[str] = mapped_column(Text)
    narrative: Mapped[str] = mapped_column(Text)
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(40))
    contact_email: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    more_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    current_submission_id: Mapped[int | None] = mapped_column(BigInteger)


class SubmissionRow(Base):
    """The form exactly as submitted (normalised values), its hash, the documents then attached,
    and the score computed by the round's indicator set: what every review refers to."""

    __tablename__ = "branch_submissions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("branch_applications.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_label: Mapped[str] = mapped_column(String(200))
    values_json: Mapped[str] = mapped_column(Text)
    narrative: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    documents_json: Mapped[str] = mapped_column(Text)
    points: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    score_json: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("application_id", "seq"),)


class ReviewRow(Base):
    """One authority's decision on one submission, with its reason and disputed indicators."""

    __tablename__ = "branch_reviews"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("branch_applications.id"), index=True)
    submission_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("branch_submissions.id"), index=True)
    authority_code: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    disputed: Mapped[str] = mapped_column(String(400))  # indicator codes, space-separated
    points: Mapped[int] = mapped_column(Integer)
    more_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_label: Mapped[str] = mapped_column(String(200))


class RecognitionRow(Base):
    """A recognised green sub-branch (绿色支行) with its recognition number and status."""

    __tablename__ = "branch_recognitions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    application_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("branch_applications.id"), unique=True)
    bank_org_code: Mapped[str] = mapped_column(String(64), index=True)
    branch_org_code: Mapped[str] = mapped_column(String(64), index=True)
    authorities: Mapped[str] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(20), index=True)
    recognised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    appeal_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_email: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("year", "serial"),)


class CertificateRow(Base):
    """The plaque certificate (牌匾证书) as issued: the PDF bytes and their SHA-256."""

    __tablename__ = "branch_certificates"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    recognition_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("branch_recognitions.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)


class ReportRow(Base):
    """An annual operations report (年度运营情况报告) for one year, scored, decided by the lead."""

    __tablename__ = "branch_reports"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    recognition_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("branch_recognitions.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    values_json: Mapped[str] = mapped_column(Text)
    narrative: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    documents_json: Mapped[str] = mapped_column(Text)
    points: Mapped[int] = mapped_column(Integer)
    score_json: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_by: Mapped[str] = mapped_column(String(200))
    late: Mapped[bool] = mapped_column(Boolean)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_by_org: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("recognition_id", "year"),)


class AppealRow(Base):
    """A revoked branch's appeal (申诉): the bank's grounds and the outcome."""

    __tablename__ = "branch_appeals"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    recognition_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("branch_recognitions.id"), index=True)
    grounds: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    filed_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FindingRow(Base):
    """One authority's finding on an appeal after re-investigation: keep the status or confirm."""

    __tablename__ = "branch_appeal_findings"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    appeal_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("branch_appeals.id"), index=True)
    authority_code: Mapped[str] = mapped_column(String(64))
    finding: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_label: Mapped[str] = mapped_column(String(200))


class DocumentRow(Base):
    """An uploaded document (申报材料): who may read it follows its application's bank and branch.

    The bytes live in the document store under ``storage_key``; ``sha256`` vouches for them."""

    __tablename__ = "branch_documents"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("branch_applications.id"), index=True)
    attached_to: Mapped[str] = mapped_column(String(20))  # application | report | appeal
    attached_id: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uploaded_by: Mapped[str] = mapped_column(String(200))
    org_code: Mapped[str | None] = mapped_column(String(64))


class NoticeRow(Base):
    """An email to send (outbox): written in the transaction that made the change, sent after it
    commits by ``seagreen branches tick``; ``dedupe_key`` makes each reminder go out once."""

    __tablename__ = "branch_notices"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    recognition_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    application_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(Text)
