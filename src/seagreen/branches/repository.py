"""All SQL of green sub-branch recognition.

Rows that change (rounds, applications, recognitions, reports, appeals, notices) are read ``FOR
UPDATE`` by the use cases that change them, so that two authorities deciding at the same moment on
PostgreSQL cannot both miss the other's approval (SQLite has one writer at a time anyway).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, defer

from seagreen.branches.models import (
    AppealRow,
    ApplicationRow,
    CertificateRow,
    DocumentRow,
    FindingRow,
    IndicatorSetRow,
    NoticeRow,
    RecognitionRow,
    ReportRow,
    ReviewRow,
    RoundRow,
    SubmissionRow,
)

NUMBER_LOCK_KEY = 0x5EA6_0300


def add(session: Session, row: Any) -> Any:
    """Insert a row and flush, so that its id is known."""
    session.add(row)
    session.flush()
    return row


def lock_numbering(session: Session) -> None:
    """Serialise recognition-number allocation on PostgreSQL (SQLite has one writer anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": NUMBER_LOCK_KEY})


# ---- indicator sets ---------------------------------------------------------------------------


def indicator_set_rows(session: Session) -> list[IndicatorSetRow]:
    return list(session.scalars(select(IndicatorSetRow).order_by(IndicatorSetRow.id)))


def indicator_set_row(session: Session, code: str | None) -> IndicatorSetRow | None:
    """The set named ``code``, or the latest loaded one."""
    query = select(IndicatorSetRow)
    if code:
        query = query.where(IndicatorSetRow.code == code)
    return session.scalars(query.order_by(IndicatorSetRow.id.desc()).limit(1)).first()


def indicator_set_by_id(session: Session, set_id: int) -> IndicatorSetRow | None:
    return session.get(IndicatorSetRow, set_id)


# ---- rounds -----------------------------------------------------------------------------------


def round_by_code(session: Session, code: str) -> RoundRow | None:
    return session.scalars(select(RoundRow).where(RoundRow.code == code)).first()


def round_by_id(session: Session, round_id: int) -> RoundRow | None:
    return session.get(RoundRow, round_id)


def rounds(session: Session, status: str | None = None) -> list[RoundRow]:
    query = select(RoundRow).order_by(RoundRow.opened_at.desc(), RoundRow.id.desc())
    if status:
        query = query.where(RoundRow.status == status)
    return list(session.scalars(query))


def rounds_due_to_close(session: Session, now: datetime) -> list[RoundRow]:
    query = select(RoundRow).where(RoundRow.status == "open", RoundRow.deadline_at <= now)
    return list(session.scalars(query.order_by(RoundRow.id).with_for_update()))


# ---- applications -----------------------------------------------------------------------------


def application(session: Session, application_id: int, *, for_update: bool = False) -> ApplicationRow | None:
    query = select(ApplicationRow).where(ApplicationRow.id == application_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def applications(
    session: Session,
    *,
    bank: str | None = None,
    branch: str | None = None,
    statuses: Iterable[str] | None = None,
    exclude_statuses: Iterable[str] | None = None,
    round_id: int | None = None,
    limit: int = 500,
) -> list[ApplicationRow]:
    query = select(ApplicationRow).order_by(ApplicationRow.updated_at.desc(), ApplicationRow.id.desc())
    if bank is not None:
        query = query.where(ApplicationRow.bank_org_code == bank)
    if branch is not None:
        query = query.where(ApplicationRow.branch_org_code == branch)
    if statuses is not None:
        query = query.where(ApplicationRow.status.in_(list(statuses)))
    if exclude_statuses is not None:
        query = query.where(ApplicationRow.status.not_in(list(exclude_statuses)))
    if round_id is not None:
        query = query.where(ApplicationRow.round_id == round_id)
    return list(session.scalars(query.limit(limit)))


def drafts_in_round(session: Session, round_id: int) -> list[ApplicationRow]:
    query = select(ApplicationRow).where(
        ApplicationRow.round_id == round_id, ApplicationRow.status == "draft"
    )
    return list(session.scalars(query.order_by(ApplicationRow.id).with_for_update()))


def waiting_past_deadline(session: Session, now: datetime) -> list[ApplicationRow]:
    query = select(ApplicationRow).where(
        ApplicationRow.status == "more_requested", ApplicationRow.more_deadline_at <= now
    )
    return list(session.scalars(query.order_by(ApplicationRow.id).with_for_update()))


def submissions(session: Session, application_id: int) -> list[SubmissionRow]:
    query = select(SubmissionRow).where(SubmissionRow.application_id == application_id)
    return list(session.scalars(query.order_by(SubmissionRow.seq)))


def submission(session: Session, submission_id: int) -> SubmissionRow | None:
    return session.get(SubmissionRow, submission_id)


def reviews(session: Session, application_id: int, submission_id: int | None = None) -> list[ReviewRow]:
    query = select(ReviewRow).where(ReviewRow.application_id == application_id)
    if submission_id is not None:
        query = query.where(ReviewRow.submission_id == submission_id)
    return list(session.scalars(query.order_by(ReviewRow.id)))


def latest_reviews_by(
    session: Session, submission_ids: Sequence[int], authority: str
) -> dict[int, ReviewRow]:
    """The authority's latest review of each of the given submissions."""
    if not submission_ids:
        return {}
    query = (
        select(ReviewRow)
        .where(ReviewRow.submission_id.in_(list(submission_ids)), ReviewRow.authority_code == authority)
        .order_by(ReviewRow.id)
    )
    return {row.submission_id: row for row in session.scalars(query)}


# ---- documents ----------------------------------------------------------------------------------


def documents(
    session: Session, application_id: int, attached_to: str | None = None, attached_id: int | None = None
) -> list[DocumentRow]:
    query = select(DocumentRow).where(DocumentRow.application_id == application_id)
    if attached_to is not None:
        query = query.where(DocumentRow.attached_to == attached_to)
    if attached_id is not None:
        query = query.where(DocumentRow.attached_id == attached_id)
    return list(session.scalars(query.order_by(DocumentRow.id)))


def document(session: Session, document_id: int) -> DocumentRow | None:
    return session.get(DocumentRow, document_id)


# ---- recognitions -------------------------------------------------------------------------------


def recognition_by_number(
    session: Session, number: str, *, for_update: bool = False
) -> RecognitionRow | None:
    query = select(RecognitionRow).where(RecognitionRow.number == number)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def recognition_by_application(session: Session, application_id: int) -> RecognitionRow | None:
    return session.scalars(
        select(RecognitionRow).where(RecognitionRow.application_id == application_id)
    ).first()


def recognitions(
    session: Session,
    *,
    bank: str | None = None,
    branch: str | None = None,
    statuses: Iterable[str] | None = None,
    for_update: bool = False,
) -> list[RecognitionRow]:
    query = select(RecognitionRow).order_by(RecognitionRow.year, RecognitionRow.serial)
    if bank is not None:
        query = query.where(RecognitionRow.bank_org_code == bank)
    if branch is not None:
        query = query.where(RecognitionRow.branch_org_code == branch)
    if statuses is not None:
        query = query.where(RecognitionRow.status.in_(list(statuses)))
    if for_update:
        query = query.with_for_update()
    return list(session.scalars(query))


def recognitions_past_appeal_window(session: Session, now: datetime) -> list[RecognitionRow]:
    query = select(RecognitionRow).where(
        RecognitionRow.status == "revoked", RecognitionRow.appeal_until <= now
    )
    return list(session.scalars(query.order_by(RecognitionRow.id).with_for_update()))


def last_serial(session: Session, year: int) -> int:
    found = session.scalar(select(func.max(RecognitionRow.serial)).where(RecognitionRow.year == year))
    return int(found or 0)


def certificate(session: Session, recognition_id: int, *, with_pdf: bool = True) -> CertificateRow | None:
    query = select(CertificateRow).where(CertificateRow.recognition_id == recognition_id)
    if not with_pdf:
        query = query.options(defer(CertificateRow.pdf))
    return session.scalars(query.order_by(CertificateRow.id.desc()).limit(1)).first()


def certificate_hashes(session: Session, recognition_ids: Sequence[int]) -> dict[int, str]:
    if not recognition_ids:
        return {}
    query = (
        select(CertificateRow.recognition_id, CertificateRow.sha256)
        .where(CertificateRow.recognition_id.in_(list(recognition_ids)))
        .order_by(CertificateRow.id)
    )
    return {int(row.recognition_id): str(row.sha256) for row in session.execute(query)}


# ---- annual reports and appeals -------------------------------------------------------------------


def reports(session: Session, recognition_id: int) -> list[ReportRow]:
    query = select(ReportRow).where(ReportRow.recognition_id == recognition_id)
    return list(session.scalars(query.order_by(ReportRow.year)))


def report(session: Session, recognition_id: int, year: int, *, for_update: bool = False) -> ReportRow | None:
    query = select(ReportRow).where(ReportRow.recognition_id == recognition_id, ReportRow.year == year)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def reported_years(session: Session, recognition_ids: Sequence[int]) -> dict[int, set[int]]:
    years: dict[int, set[int]] = {rid: set() for rid in recognition_ids}
    if not recognition_ids:
        return years
    query = select(ReportRow.recognition_id, ReportRow.year).where(
        ReportRow.recognition_id.in_(list(recognition_ids))
    )
    for row in session.execute(query):
        years[int(row.recognition_id)].add(int(row.year))
    return years


def submitted_reports(session: Session) -> list[ReportRow]:
    return list(
        session.scalars(select(ReportRow).where(ReportRow.status == "submitted").order_by(ReportRow.id))
    )


def appeals(session: Session, recognition_id: int) -> list[AppealRow]:
    query = select(AppealRow).where(AppealRow.recognition_id == recognition_id)
    return list(session.scalars(query.order_by(AppealRow.id)))


def open_appeal(session: Session, recognition_id: int) -> AppealRow | None:
    query = select(AppealRow).where(AppealRow.recognition_id == recognition_id, AppealRow.status == "open")
    return session.scalars(query.with_for_update()).first()


def findings(session: Session, appeal_id: int) -> list[FindingRow]:
    return list(
        session.scalars(select(FindingRow).where(FindingRow.appeal_id == appeal_id).order_by(FindingRow.id))
    )


# ---- notices ------------------------------------------------------------------------------------


def notice_exists(session: Session, dedupe_key: str) -> bool:
    return session.scalar(select(NoticeRow.id).where(NoticeRow.dedupe_key == dedupe_key)) is not None


def pending_notices(session: Session, limit: int, max_attempts: int) -> list[NoticeRow]:
    query = (
        select(NoticeRow)
        .where(NoticeRow.sent_at.is_(None), NoticeRow.attempts < max_attempts)
        .order_by(NoticeRow.id)
        .limit(limit)
    )
    return list(session.scalars(query.with_for_update()))


def notices(session: Session, *, limit: int = 100, pending_only: bool = False) -> list[NoticeRow]:
    query = select(NoticeRow).order_by(NoticeRow.id.desc()).limit(limit)
    if pending_only:
        query = query.where(NoticeRow.sent_at.is_(None))
    return list(session.scalars(query))


def count_pending_notices(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).select_from(NoticeRow).where(NoticeRow.sent_at.is_(None))) or 0
    )
