"""Annual operations reports (年度运营情况报告): from the year after recognition, each green
sub-branch reports on the previous year by 31 March; the lead authority for the annual review
(configurable: the 2025 appraisal rules moved the lead to the city finance bureau) passes the
report, which keeps the status, or fails it, which revokes it."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.orm import Session

from seagreen.audit.domain import Actor
from seagreen.branches import repository
from seagreen.branches.domain import (
    IndicatorSet,
    Policy,
    RecognitionAction,
    RecognitionStatus,
    ReportStatus,
    TransitionRefused,
    Viewer,
    appeal_deadline,
    canonical_hash,
    deadline_day,
    first_report_year,
    local_date,
    parse_form,
    report_deadline,
    report_step,
    score,
)
from seagreen.branches.errors import (
    NotAReviewingAuthority,
    ReportConflict,
    ReportInvalid,
    ReportNotFound,
    TransitionNotAllowed,
)
from seagreen.branches.models import ReportRow
from seagreen.branches.schemas import RecognitionRead, ReportCreate, ReportDecision
from seagreen.branches.service.documents import Attachments
from seagreen.branches.service.indicators import indicator_set_by_id
from seagreen.branches.service.notices import tell_branch
from seagreen.branches.service.recognitions import (
    check_reports_due,
    move,
    own_recognition,
    recognition_read,
    visible_recognition,
)
from seagreen.kit.clock import utcnow


def _indicator_set(session: Session, application_id: int) -> IndicatorSet:
    application = repository.application(session, application_id)
    assert application is not None
    round_row = repository.round_by_id(session, application.round_id)
    assert round_row is not None
    return indicator_set_by_id(session, round_row.indicator_set_id)


def submit_report(
    session: Session,
    viewer: Viewer,
    number: str,
    body: ReportCreate,
    *,
    policy: Policy,
    actor: Actor,
    now: datetime | None = None,
    attachments: Attachments | None = None,
) -> RecognitionRead:
    """The bank reports on one operations year; late reports are accepted and marked late."""
    moment = now or utcnow()
    row = own_recognition(session, viewer, number)
    first, last = first_report_year(row.recognised_at), local_date(moment).year - 1
    if not first <= body.year <= last:
        window = f"{first}–{last}" if first <= last else f"from {first} (once the year has ended)"
        raise ReportInvalid(f"reports are for the operations years {window}", field="year")
    if repository.report(session, row.id, body.year) is not None:
        raise ReportConflict(f"the report for {body.year} was submitted already", year=body.year)
    found = _indicator_set(session, row.application_id)
    values, problems = parse_form(found, body.values, complete=True)
    if problems:
        raise ReportInvalid(
            "the report is not complete: " + "; ".join(str(p) for p in problems[:20]),
            errors=[{"field": p.field, "reason": p.reason} for p in problems],
        )
    move(
        session,
        row,
        RecognitionAction.SUBMIT_REPORT,
        actor=actor,
        now=moment,
        audit_action="branches.report.submit",
        details={"year": body.year},
    )
    result = score(found, values)
    report = repository.add(
        session,
        ReportRow(
            recognition_id=row.id,
            year=body.year,
            status=ReportStatus.SUBMITTED.value,
            values_json=json.dumps(values, ensure_ascii=False, sort_keys=True),
            narrative=body.narrative.strip(),
            content_hash=canonical_hash(
                {"values": values, "narrative": body.narrative.strip(), "year": body.year}
            ),
            documents_json="[]",
            points=result.points,
            score_json=json.dumps(result.as_dict(), ensure_ascii=False),
            submitted_at=moment,
            submitted_by=actor.label[:200],
            late=moment >= report_deadline(body.year),
            decided_at=None,
            decided_by=None,
            decided_by_org=None,
            reason="",
        ),
    )
    if attachments is not None:
        stored = attachments.keep(
            session,
            application_id=row.application_id,
            attached_to="report",
            attached_id=report.id,
            actor=actor,
            now=moment,
        )
        report.documents_json = json.dumps([{"id": d.id, "sha256": d.sha256} for d in stored])
    session.flush()
    return recognition_read(session, row, policy=policy, now=moment)


def decide_report(
    session: Session,
    viewer: Viewer,
    number: str,
    year: int,
    body: ReportDecision,
    *,
    policy: Policy,
    actor: Actor,
    now: datetime | None = None,
) -> RecognitionRead:
    """The lead authority passes a report (the status continues) or fails it (the status is revoked,
    and the appeal period starts)."""
    moment = now or utcnow()
    if viewer.authority != policy.lead_authority:
        raise NotAReviewingAuthority(
            f"annual reports are decided by the lead authority ({policy.lead_authority})",
            lead=policy.lead_authority,
        )
    row = visible_recognition(session, viewer, number, for_update=True)
    report = repository.report(session, row.id, year, for_update=True)
    if report is None:
        raise ReportNotFound(f"no report for {year} from {number}", year=year)
    try:
        report.status = report_step(ReportStatus(report.status), body.decision).value
    except TransitionRefused as exc:
        raise TransitionNotAllowed(str(exc), status=exc.status, action=exc.action) from exc
    passed = body.decision == "pass"
    after = move(
        session,
        row,
        RecognitionAction.PASS_REPORT if passed else RecognitionAction.FAIL_REPORT,
        actor=actor,
        now=moment,
        authority=viewer.authority,
        reason=body.reason.strip(),
        audit_action=f"branches.report.{body.decision}",
        details={
            "year": year,
            "content_hash": report.content_hash,
            "points": report.points,
            "lead": viewer.authority,
        },
    )
    report.decided_at = moment
    report.decided_by = actor.label[:200]
    report.decided_by_org = viewer.authority
    report.reason = body.reason.strip()
    if after.status is RecognitionStatus.REVOKED:
        row.appeal_until = appeal_deadline(moment, policy.appeal_days)
    tell_branch(
        session,
        row,
        "report_passed" if passed else "report_failed",
        report.id,
        moment,
        year=year,
        reason=body.reason.strip(),
        appeal_until=deadline_day(row.appeal_until).isoformat() if row.appeal_until else "",
    )
    if passed:
        check_reports_due(session, row, actor=actor, now=moment)
    session.flush()
    return recognition_read(session, row, policy=policy, now=moment)
