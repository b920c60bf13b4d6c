"""Emails to banks (reminders, decisions, overdue and revocation notices) through an outbox.

A notice is written in the same transaction as the change it reports, and sent after that
transaction commits, by :func:`deliver` (``seagreen branches tick``): a change that rolls back
sends nothing, and a server that is down is retried at the next tick. ``dedupe_key`` makes each
reminder go out once however often the job runs. Texts come from the translation catalogue,
Chinese first, then English, in one message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.branches import repository
from seagreen.branches.models import ApplicationRow, NoticeRow, RecognitionRow
from seagreen.branches.schemas import NoticeRead
from seagreen.branches.service.access import org_name
from seagreen.kit.mail import Email, MailSender
from seagreen.web.i18n import translate

MAX_ATTEMPTS = 10
NOTICE_ACTOR = Actor.system("seagreen branches tick")


def _text(key: str, params: dict[str, Any]) -> tuple[str, str]:
    return translate(key, "zh-CN", **params), translate(key, "en", **params)


def enqueue(
    session: Session,
    *,
    dedupe_key: str,
    kind: str,
    recipient: str,
    params: dict[str, Any],
    now: datetime,
    recognition_id: int | None = None,
    application_id: int | None = None,
) -> bool:
    """Queue a notice unless it was queued before (or there is nobody to send it to)."""
    if not recipient or repository.notice_exists(session, dedupe_key):
        return False
    subject_zh, subject_en = _text(f"branches.mail.{kind}.subject", params)
    body_zh, body_en = _text(f"branches.mail.{kind}.body", params)
    footer_zh, footer_en = _text("branches.mail.footer", params)
    repository.add(
        session,
        NoticeRow(
            dedupe_key=dedupe_key[:120],
            recognition_id=recognition_id,
            application_id=application_id,
            kind=kind,
            recipient=recipient,
            subject=f"{subject_zh} / {subject_en}"[:300],
            body=f"{body_zh}\n\n{footer_zh}\n\n----\n\n{body_en}\n\n{footer_en}\n",
            created_at=now,
            sent_at=None,
            attempts=0,
            last_error="",
        ),
    )
    return True


def tell_branch(
    session: Session, row: RecognitionRow, kind: str, key: object, now: datetime, **params: Any
) -> bool:
    """A notice to a green sub-branch's contact, naming the branch and its number."""
    return enqueue(
        session,
        dedupe_key=f"{kind}:{row.id}:{key}",
        kind=kind,
        recipient=row.contact_email,
        params={"branch": org_name(session, row.branch_org_code), "number": row.number, **params},
        now=now,
        recognition_id=row.id,
    )


def tell_applicant(
    session: Session, row: ApplicationRow, kind: str, key: object, now: datetime, **params: Any
) -> bool:
    """A notice to an application's contact, naming the branch and the application."""
    return enqueue(
        session,
        dedupe_key=f"{kind}:{row.id}:{key}",
        kind=kind,
        recipient=row.contact_email,
        params={"branch": org_name(session, row.branch_org_code), "application": row.id, **params},
        now=now,
        application_id=row.id,
    )


def deliver(session: Session, sender: MailSender, *, now: datetime, limit: int = 200) -> tuple[int, int]:
    """Send pending notices; returns (sent, failed). A failure is kept with its error and retried
    at the next run, up to ``MAX_ATTEMPTS`` times."""
    sent = failed = 0
    for row in repository.pending_notices(session, limit, MAX_ATTEMPTS):
        row.attempts += 1
        try:
            sender.send(Email(row.recipient, row.subject, row.body))
        except Exception as exc:  # the sender's errors, whatever its backend
            row.last_error = str(exc)[:500]
            failed += 1
            continue
        row.sent_at = now
        row.last_error = ""
        sent += 1
        audit.record(
            session,
            NOTICE_ACTOR,
            "branches.notice.send",
            "branch_notice",
            row.id,
            details={"kind": row.kind, "recognition": row.recognition_id, "application": row.application_id},
            now=now,
        )
    session.flush()
    return sent, failed


def notice_read(row: NoticeRow) -> NoticeRead:
    return NoticeRead(
        id=row.id,
        kind=row.kind,
        recipient=row.recipient,
        subject=row.subject,
        created_at=row.created_at,
        sent_at=row.sent_at,
        attempts=row.attempts,
        last_error=row.last_error,
    )


def list_notices(session: Session, *, limit: int = 100, pending_only: bool = False) -> list[NoticeRead]:
    return [notice_read(row) for row in repository.notices(session, limit=limit, pending_only=pending_only)]


def count_pending(session: Session) -> int:
    return repository.count_pending_notices(session)
