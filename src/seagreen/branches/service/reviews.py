"""Joint review (联合审核): each authority reviews the submitted form independently, as its
organisation: approve, reject, or ask for more with a deadline, always with a reason. Recognition
needs the approval of every reviewing authority of the round; one rejection decides.

An authority may dispute indicators whose figures or claims its reading of the materials does not
bear out: they score nothing on its sheet, and it cannot approve a sheet below the pass mark or
with a gate unmet (objectivity: the published indicator set decides, not a preference).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.branches import repository
from seagreen.branches.domain import (
    ApplicationAction,
    ApplicationStatus,
    Policy,
    Viewer,
    end_of_local_day,
    local_date,
    score,
)
from seagreen.branches.errors import ReviewInvalid
from seagreen.branches.models import ReviewRow
from seagreen.branches.schemas import (
    ApplicationRead,
    ApplicationSummary,
    IndicatorResultRead,
    ReviewCreate,
    ScoreRead,
    ScoreSheet,
    SheetColumn,
)
from seagreen.branches.service.access import organisations, require_authority
from seagreen.branches.service.applications import (
    application_read,
    apply_action,
    list_applications,
    round_of,
    set_of,
    state_of,
    submission_score,
    visible_application,
)
from seagreen.branches.service.notices import tell_applicant
from seagreen.branches.service.recognitions import recognise
from seagreen.kit.clock import utcnow


def review_application(
    session: Session,
    viewer: Viewer,
    application_id: int,
    body: ReviewCreate,
    *,
    policy: Policy,
    actor: Actor,
    now: datetime | None = None,
) -> ApplicationRead:
    moment = now or utcnow()
    row = visible_application(session, viewer, application_id, for_update=True)
    round_row = round_of(session, row)
    authority = require_authority(viewer, round_row.authorities.split())
    action = ApplicationAction(body.decision)
    state = state_of(session, row, round_row)
    new_state = apply_action(state, action, authority)
    assert row.current_submission_id is not None  # a submitted application has one
    submission = repository.submission(session, row.current_submission_id)
    assert submission is not None
    found = set_of(session, round_row)
    unknown = sorted(set(body.disputed) - {i.code for i in found.indicators})
    if unknown:
        raise ReviewInvalid(f"no such indicators: {', '.join(unknown)}", field="disputed")
    sheet = score(found, json.loads(submission.values_json), disputed=body.disputed)
    if action is ApplicationAction.APPROVE and not sheet.passed:
        raise ReviewInvalid(
            f"this sheet scores {sheet.points} of {sheet.max_points} (pass mark {sheet.pass_mark})"
            + ("" if sheet.gates_met else ", with a gate unmet")
            + ": it cannot be approved; reject it or ask for more",
            points=sheet.points,
        )
    more_deadline = None
    if action is ApplicationAction.REQUEST_MORE:
        today = local_date(moment)
        day = body.more_deadline or today + timedelta(days=policy.more_info_days)
        if day <= today:
            raise ReviewInvalid("the deadline for more materials must be after today", field="more_deadline")
        more_deadline = end_of_local_day(day)
    repository.add(
        session,
        ReviewRow(
            application_id=row.id,
            submission_id=submission.id,
            authority_code=authority,
            decision=body.decision,
            reason=body.reason.strip(),
            disputed=" ".join(sheet.disputed),
            points=sheet.points,
            more_deadline_at=more_deadline,
            decided_at=moment,
            actor_label=actor.label[:200],
        ),
    )
    before = row.status
    row.status = new_state.status.value
    row.updated_at = moment
    if more_deadline is not None:
        earlier = row.more_deadline_at if before == ApplicationStatus.MORE_REQUESTED else None
        row.more_deadline_at = max(more_deadline, earlier) if earlier else more_deadline
    audit.record(
        session,
        actor,
        f"branches.review.{body.decision}",
        "branch_application",
        row.id,
        reason=body.reason.strip(),
        details={
            "authority": authority,
            "submission": submission.seq,
            "content_hash": submission.content_hash,
            "points": sheet.points,
            "disputed": list(sheet.disputed),
            "status_before": before,
            "status_after": row.status,
            "more_deadline": more_deadline.isoformat() if more_deadline else None,
            "approvals": sorted(new_state.approvals()),
        },
        now=moment,
    )
    if action is ApplicationAction.REQUEST_MORE:
        key = f"{submission.seq}:{authority}:{moment.isoformat()}"
        tell_applicant(session, row, "more_requested", key, moment, reason=body.reason.strip())
    if new_state.status is ApplicationStatus.REJECTED:
        row.decided_at = moment
        tell_applicant(session, row, "rejected", "", moment, reason=body.reason.strip())
    if new_state.status is ApplicationStatus.APPROVED:
        row.decided_at = moment
        recognise(session, row, round_row, submission, policy=policy, actor=actor, now=moment)
    session.flush()
    return application_read(session, row)


def score_sheet(session: Session, viewer: Viewer, application_id: int) -> ScoreSheet:
    """Side by side: the score computed from the bank's figures, and each authority's sheet (with
    its disputes) and latest decision on the submission under review."""
    row = visible_application(session, viewer, application_id)
    if row.current_submission_id is None:
        raise ReviewInvalid("the application has not been submitted yet")
    submission = repository.submission(session, row.current_submission_id)
    assert submission is not None
    round_row = round_of(session, row)
    found = set_of(session, round_row)
    computed = submission_score(submission)
    read = ScoreRead.of(computed, found)
    orgs = organisations(session)
    columns = [
        SheetColumn(
            key="computed",
            label_zh="按申报数据计算",
            label_en="Computed from the figures",
            decision=None,
            reason="",
            points=computed.points,
            passed=computed.passed,
            met={r.code: r.met for r in computed.results},
            disputed=[],
        )
    ]
    latest = {r.authority_code: r for r in repository.reviews(session, row.id, submission.id)}
    values = json.loads(submission.values_json)
    for authority in round_row.authorities.split():
        review = latest.get(authority)
        disputed = review.disputed.split() if review else []
        sheet = score(found, values, disputed=disputed)
        org = orgs.get(authority)
        columns.append(
            SheetColumn(
                key=authority,
                label_zh=org.name_zh if org else authority,
                label_en=org.name_en if org else authority,
                decision=review.decision if review else None,
                reason=review.reason if review else "",
                points=sheet.points,
                passed=sheet.passed,
                met={r.code: r.met for r in sheet.results},
                disputed=disputed,
            )
        )
    return ScoreSheet(
        application=row.id,
        submission=submission.seq,
        indicator_set=found.code,
        pass_mark=found.pass_mark,
        max_points=found.max_points,
        indicators=[IndicatorResultRead.model_validate(r.model_dump()) for r in read.results],
        columns=columns,
    )


def review_queue(session: Session, viewer: Viewer) -> list[ApplicationSummary]:
    """For an authority: submitted applications waiting for its decision first, then the others."""
    if viewer.authority is None:
        return []
    live = list_applications(
        session, viewer, statuses=[ApplicationStatus.SUBMITTED.value, ApplicationStatus.MORE_REQUESTED.value]
    )
    return sorted(live, key=lambda a: (a.status != "submitted" or a.your_decision == "approve", a.updated_at))
