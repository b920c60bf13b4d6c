"""Revocation and appeal (取消资质与申诉): the lead authority revokes an overdue branch; a revoked
branch may appeal within the appeal period; every reviewing authority re-investigates and records a
finding; the status is kept only if all find so, otherwise the revocation stands and the plaque is
withdrawn (摘牌). A revocation not appealed in time also ends in the plaque's withdrawal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from seagreen.audit.domain import Actor
from seagreen.branches import repository
from seagreen.branches.domain import (
    AppealStatus,
    Policy,
    RecognitionAction,
    RecognitionStatus,
    Viewer,
    appeal_deadline,
    deadline_day,
)
from seagreen.branches.errors import DeadlinePassed, NotAReviewingAuthority, TransitionNotAllowed
from seagreen.branches.models import AppealRow, FindingRow
from seagreen.branches.schemas import AppealCreate, FindingCreate, RecognitionRead, RevokeRequest
from seagreen.branches.service.access import require_authority
from seagreen.branches.service.documents import Attachments
from seagreen.branches.service.notices import tell_branch
from seagreen.branches.service.recognitions import (
    check_reports_due,
    move,
    own_recognition,
    recognition_read,
    visible_recognition,
)
from seagreen.kit.clock import utcnow


def revoke_overdue(
    session: Session,
    viewer: Viewer,
    number: str,
    body: RevokeRequest,
    *,
    policy: Policy,
    actor: Actor,
    now: datetime | None = None,
) -> RecognitionRead:
    """The lead authority revokes a branch whose annual report is overdue; the appeal period starts."""
    moment = now or utcnow()
    if viewer.authority != policy.lead_authority:
        raise NotAReviewingAuthority(
            f"revocation for a missing report is decided by the lead authority ({policy.lead_authority})",
            lead=policy.lead_authority,
        )
    row = visible_recognition(session, viewer, number, for_update=True)
    move(
        session,
        row,
        RecognitionAction.REVOKE,
        actor=actor,
        now=moment,
        authority=viewer.authority,
        reason=body.reason.strip(),
        audit_action="branches.recognition.revoke",
        details={"lead": viewer.authority, "appeal_days": policy.appeal_days},
    )
    row.appeal_until = appeal_deadline(moment, policy.appeal_days)
    appeal_until = deadline_day(row.appeal_until).isoformat()
    tell_branch(
        session,
        row,
        "revoked",
        moment.isoformat(),
        moment,
        reason=body.reason.strip(),
        appeal_until=appeal_until,
    )
    session.flush()
    return recognition_read(session, row, policy=policy, now=moment)


def file_appeal(
    session: Session,
    viewer: Viewer,
    number: str,
    body: AppealCreate,
    *,
    policy: Policy,
    actor: Actor,
    now: datetime | None = None,
    attachments: Attachments | None = None,
) -> RecognitionRead:
    """The bank appeals a revocation within the appeal period (申诉期)."""
    moment = now or utcnow()
    row = own_recognition(session, viewer, number)
    if (
        row.status == RecognitionStatus.REVOKED
        and row.appeal_until is not None
        and moment >= row.appeal_until
    ):
        raise DeadlinePassed("the appeal period has ended", appeal_until=row.appeal_until.isoformat())
    move(
        session,
        row,
        RecognitionAction.APPEAL,
        actor=actor,
        now=moment,
        reason=body.grounds.strip(),
        audit_action="branches.appeal.file",
    )
    appeal = repository.add(
        session,
        AppealRow(
            recognition_id=row.id,
            grounds=body.grounds.strip(),
            status=AppealStatus.OPEN.value,
            filed_at=moment,
            filed_by=actor.label[:200],
            decided_at=None,
        ),
    )
    if attachments is not None:
        attachments.keep(
            session,
            application_id=row.application_id,
            attached_to="appeal",
            attached_id=appeal.id,
            actor=actor,
            now=moment,
        )
    session.flush()
    return recognition_read(session, row, policy=policy, now=moment)


def record_finding(
    session: Session,
    viewer: Viewer,
    number: str,
    body: FindingCreate,
    *,
    policy: Policy,
    actor: Actor,
    now: datetime | None = None,
) -> RecognitionRead:
    """One authority's finding after re-investigation; the last one decides the appeal."""
    moment = now or utcnow()
    row = visible_recognition(session, viewer, number, for_update=True)
    authority = require_authority(viewer, row.authorities.split())
    appeal = repository.open_appeal(session, row.id)
    if appeal is None:
        raise TransitionNotAllowed("there is no appeal to decide", status=row.status, action=body.finding)
    after = move(
        session,
        row,
        RecognitionAction(body.finding),
        actor=actor,
        now=moment,
        authority=authority,
        reason=body.reason.strip(),
        audit_action=f"branches.appeal.{body.finding}",
        details={"appeal": appeal.id, "authority": authority},
    )
    repository.add(
        session,
        FindingRow(
            appeal_id=appeal.id,
            authority_code=authority,
            finding=body.finding,
            reason=body.reason.strip(),
            decided_at=moment,
            actor_label=actor.label[:200],
        ),
    )
    if after.status is not RecognitionStatus.APPEALED:
        kept = after.status is RecognitionStatus.RECOGNISED
        appeal.status = (AppealStatus.KEPT if kept else AppealStatus.CONFIRMED).value
        appeal.decided_at = moment
        row.appeal_until = None
        tell_branch(session, row, "appeal_kept" if kept else "appeal_confirmed", appeal.id, moment)
        if kept:
            check_reports_due(session, row, actor=actor, now=moment)
    session.flush()
    return recognition_read(session, row, policy=policy, now=moment)
