"""Applications (认定申请): a bank fills one form for one of its branches, saves it as a draft as
often as it likes, attaches materials, submits; answers a request for more and resubmits; or
withdraws. Every step goes through the state machine and into the audit log.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.branches import repository
from seagreen.branches.domain import (
    APPLICATION_TERMINAL,
    ApplicationAction,
    ApplicationState,
    ApplicationStatus,
    IndicatorSet,
    RecognitionStatus,
    ReviewDecision,
    Score,
    TransitionRefused,
    Viewer,
    canonical_hash,
    parse_form,
    score,
)
from seagreen.branches.errors import (
    ApplicationConflict,
    ApplicationInvalid,
    ApplicationNotFound,
    DeadlinePassed,
    NotYourBranch,
    TransitionNotAllowed,
)
from seagreen.branches.models import ApplicationRow, DocumentRow, RoundRow, SubmissionRow
from seagreen.branches.schemas import (
    ApplicationCreate,
    ApplicationDraft,
    ApplicationRead,
    ApplicationSummary,
    DocumentRead,
    FormValues,
    Problem,
    ReviewRead,
    ScoreRead,
    SubmissionRead,
)
from seagreen.branches.service.access import organisations, require_bank
from seagreen.branches.service.documents import Attachments, document_read
from seagreen.branches.service.indicators import indicator_set_by_id
from seagreen.branches.service.notices import tell_applicant
from seagreen.branches.service.rounds import get_round
from seagreen.kit.clock import utcnow

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z")
PHONE = re.compile(r"^[0-9+\-() ]{5,40}\Z")
MIN_NARRATIVE = 20
EDITABLE = (ApplicationStatus.DRAFT, ApplicationStatus.MORE_REQUESTED)


# ---- reading ----------------------------------------------------------------------------------------


def round_of(session: Session, row: ApplicationRow) -> RoundRow:
    found = repository.round_by_id(session, row.round_id)
    assert found is not None
    return found


def set_of(session: Session, round_row: RoundRow) -> IndicatorSet:
    return indicator_set_by_id(session, round_row.indicator_set_id)


def form_values(row: ApplicationRow) -> FormValues:
    stored: dict[str, Any] = json.loads(row.form_json or "{}")
    return stored.get("values", {})


def state_of(session: Session, row: ApplicationRow, round_row: RoundRow) -> ApplicationState:
    """The state machine's view: status, the round's authorities, their latest decisions on the
    submission under review."""
    decisions: dict[str, ReviewDecision] = {}
    if row.current_submission_id is not None:
        for review in repository.reviews(session, row.id, row.current_submission_id):
            decisions[review.authority_code] = ReviewDecision(review.decision)
    return ApplicationState(
        ApplicationStatus(row.status), frozenset(round_row.authorities.split()), decisions
    )


def apply_action(
    state: ApplicationState, action: ApplicationAction, authority: str | None = None
) -> ApplicationState:
    try:
        return state.apply(action, authority)
    except TransitionRefused as exc:
        raise TransitionNotAllowed(str(exc), status=exc.status, action=exc.action) from exc


def visible_application(
    session: Session, viewer: Viewer, application_id: int, *, for_update: bool = False
) -> ApplicationRow:
    """The application if the viewer may see it; otherwise "not found" (never "forbidden", which
    would tell another bank that it exists)."""
    row = repository.application(session, application_id, for_update=for_update)
    if row is None or not viewer.sees(
        row.bank_org_code, row.branch_org_code, draft=row.status == ApplicationStatus.DRAFT
    ):
        raise ApplicationNotFound(f"no application {application_id}", application=application_id)
    return row


def _own_application(session: Session, viewer: Viewer, application_id: int) -> ApplicationRow:
    require_bank(viewer)
    row = visible_application(session, viewer, application_id, for_update=True)
    if not viewer.acts_for(row.bank_org_code, row.branch_org_code):
        raise ApplicationNotFound(f"no application {application_id}", application=application_id)
    return row


def problems_of(indicator_set: IndicatorSet, row: ApplicationRow, document_count: int) -> list[Problem]:
    """Everything that stops the form from being submitted, by field."""
    _, field_problems = parse_form(indicator_set, form_values(row), complete=True)
    problems = [Problem(field=p.field, reason=p.reason, code=p.code) for p in field_problems]
    if not row.contact_name.strip():
        problems.append(Problem(field="contact_name", reason="missing", code="missing"))
    if not PHONE.match(row.contact_phone.strip()):
        problems.append(Problem(field="contact_phone", reason="a telephone number", code="phone"))
    if not EMAIL.match(row.contact_email.strip()):
        problems.append(
            Problem(field="contact_email", reason="an email address for notices and reminders", code="email")
        )
    if len(row.narrative.strip()) < MIN_NARRATIVE:
        reason = f"describe the branch's green-finance work ({MIN_NARRATIVE}+ characters)"
        problems.append(Problem(field="narrative", reason=reason, code="narrative"))
    if document_count == 0:
        reason = "attach at least one supporting document"
        problems.append(Problem(field="documents", reason=reason, code="documents"))
    return problems


def submission_score(row: SubmissionRow) -> Score:
    return Score.from_dict(json.loads(row.score_json))


def application_read(session: Session, row: ApplicationRow) -> ApplicationRead:
    round_row = round_of(session, row)
    found = set_of(session, round_row)
    orgs = organisations(session)
    bank, branch = orgs.get(row.bank_org_code), orgs.get(row.branch_org_code)
    documents = repository.documents(session, row.id, "application", row.id)
    submissions = repository.submissions(session, row.id)
    seq_of = {s.id: s.seq for s in submissions}
    current = next((s for s in submissions if s.id == row.current_submission_id), None)
    values = form_values(row)
    parsed, field_problems = parse_form(found, values, complete=True)
    state = state_of(session, row, round_row)
    recognition = repository.recognition_by_application(session, row.id)
    return ApplicationRead(
        id=row.id,
        round=round_row.code,
        indicator_set=found.code,
        bank=row.bank_org_code,
        bank_name=bank.name_zh if bank else row.bank_org_code,
        bank_name_en=bank.name_en if bank else row.bank_org_code,
        branch=row.branch_org_code,
        branch_name_zh=branch.name_zh if branch else row.branch_org_code,
        branch_name_en=branch.name_en if branch else row.branch_org_code,
        status=row.status,
        contact_name=row.contact_name,
        contact_phone=row.contact_phone,
        contact_email=row.contact_email,
        narrative=row.narrative,
        values=values,
        problems=problems_of(found, row, len(documents)),
        created_at=row.created_at,
        updated_at=row.updated_at,
        submitted_at=row.submitted_at,
        more_deadline_at=row.more_deadline_at,
        decided_at=row.decided_at,
        score=ScoreRead.of(submission_score(current), found) if current else None,
        draft_score=ScoreRead.of(score(found, parsed), found) if not field_problems else None,
        submissions=[
            SubmissionRead(
                seq=s.seq,
                submitted_at=s.submitted_at,
                actor_label=s.actor_label,
                content_hash=s.content_hash,
                points=s.points,
                passed=s.passed,
                documents=[d["id"] for d in json.loads(s.documents_json)],
            )
            for s in submissions
        ],
        reviews=[
            ReviewRead(
                authority=r.authority_code,
                decision=r.decision,
                reason=r.reason,
                disputed=r.disputed.split(),
                points=r.points,
                more_deadline_at=r.more_deadline_at,
                decided_at=r.decided_at,
                actor_label=r.actor_label,
                submission=seq_of.get(r.submission_id, 0),
            )
            for r in repository.reviews(session, row.id)
        ],
        pending_authorities=sorted(state.pending()) if row.status == ApplicationStatus.SUBMITTED else [],
        authorities=round_row.authorities.split(),
        documents=[document_read(d) for d in documents],
        recognition=recognition.number if recognition else None,
    )


def get_application(session: Session, viewer: Viewer, application_id: int) -> ApplicationRead:
    return application_read(session, visible_application(session, viewer, application_id))


def list_applications(
    session: Session, viewer: Viewer, *, statuses: Sequence[str] | None = None
) -> list[ApplicationSummary]:
    """A bank's own applications (drafts included); everything submitted for an authority or a
    reader, with the authority's own latest decision on each."""
    if viewer.is_bank:
        rows = repository.applications(session, bank=viewer.bank, branch=viewer.branch, statuses=statuses)
    elif viewer.authority is not None or viewer.reader:
        rows = repository.applications(
            session, statuses=statuses, exclude_statuses=None if statuses else [ApplicationStatus.DRAFT.value]
        )
        rows = [row for row in rows if row.status != ApplicationStatus.DRAFT]
    else:
        return []
    orgs = organisations(session)
    rounds = {r.id: r.code for r in repository.rounds(session)}
    current_ids = [row.current_submission_id for row in rows if row.current_submission_id]
    mine = repository.latest_reviews_by(session, current_ids, viewer.authority) if viewer.authority else {}
    summaries = []
    for row in rows:
        current = (
            repository.submission(session, row.current_submission_id) if row.current_submission_id else None
        )
        branch = orgs.get(row.branch_org_code)
        own = mine.get(row.current_submission_id) if row.current_submission_id else None
        summaries.append(
            ApplicationSummary(
                id=row.id,
                round=rounds.get(row.round_id, ""),
                bank=row.bank_org_code,
                branch=row.branch_org_code,
                branch_name_zh=branch.name_zh if branch else row.branch_org_code,
                branch_name_en=branch.name_en if branch else row.branch_org_code,
                status=row.status,
                points=current.points if current else None,
                passed=current.passed if current else None,
                updated_at=row.updated_at,
                more_deadline_at=row.more_deadline_at,
                your_decision=own.decision if own else None,
            )
        )
    return summaries


# ---- the bank's steps -----------------------------------------------------------------------------


def _write_form(row: ApplicationRow, body: ApplicationDraft) -> None:
    row.form_json = json.dumps({"values": body.values}, ensure_ascii=False, sort_keys=True)
    row.narrative = body.narrative.strip()
    row.contact_name = body.contact_name.strip()
    row.contact_phone = body.contact_phone.strip()
    row.contact_email = body.contact_email.strip()


def _check_values(indicator_set: IndicatorSet, body: ApplicationDraft) -> None:
    """A draft may be incomplete, but keys must be the set's and choices lists."""
    known = {f.key for f in indicator_set.fields}
    unknown = sorted(set(body.values) - known)
    if unknown:
        raise ApplicationInvalid(
            f"unknown fields: {', '.join(unknown)}",
            errors=[{"field": key, "reason": "not a field of the indicator set"} for key in unknown],
        )


def _keep_files(
    session: Session, row: ApplicationRow, attachments: Attachments | None, *, actor: Actor, now: datetime
) -> list[DocumentRow]:
    if attachments is None:
        return []
    return attachments.keep(
        session, application_id=row.id, attached_to="application", attached_id=row.id, actor=actor, now=now
    )


def create_application(
    session: Session,
    viewer: Viewer,
    body: ApplicationCreate,
    *,
    actor: Actor,
    now: datetime | None = None,
    attachments: Attachments | None = None,
) -> ApplicationRead:
    """Start an application (a draft) for one of the bank's branches in an open round."""
    require_bank(viewer)
    moment = now or utcnow()
    round_row = get_round(session, body.round)
    if round_row.status != "open" or moment >= round_row.deadline_at:
        raise DeadlinePassed(f"round {round_row.code} no longer accepts applications", round=round_row.code)
    assert viewer.bank is not None
    orgs = organisations(session)
    branch = orgs.get(body.branch)
    if branch is None or branch.parent_code != viewer.bank or not viewer.acts_for(viewer.bank, body.branch):
        raise NotYourBranch(f"{body.branch!r} is not a branch you may apply for", branch=body.branch)
    in_progress = repository.applications(
        session, branch=body.branch, exclude_statuses=[s.value for s in APPLICATION_TERMINAL]
    )
    if in_progress:
        raise ApplicationConflict(
            f"the branch has an application in progress (#{in_progress[0].id})", application=in_progress[0].id
        )
    held = repository.recognitions(
        session,
        branch=body.branch,
        statuses=[s.value for s in RecognitionStatus if s is not RecognitionStatus.WITHDRAWN],
    )
    if held:
        raise ApplicationConflict(
            f"the branch is a green sub-branch already ({held[0].number})", number=held[0].number
        )
    found = set_of(session, round_row)
    _check_values(found, body)
    row = ApplicationRow(
        round_id=round_row.id,
        bank_org_code=viewer.bank,
        branch_org_code=body.branch,
        status=ApplicationStatus.DRAFT.value,
        created_at=moment,
        updated_at=moment,
        submitted_at=None,
        more_deadline_at=None,
        decided_at=None,
        current_submission_id=None,
    )
    _write_form(row, body)
    repository.add(session, row)
    audit.record(
        session,
        actor,
        "branches.application.create",
        "branch_application",
        row.id,
        details={"round": round_row.code, "bank": row.bank_org_code, "branch": row.branch_org_code},
        now=moment,
    )
    _keep_files(session, row, attachments, actor=actor, now=moment)
    session.flush()
    return application_read(session, row)


def save_application(
    session: Session,
    viewer: Viewer,
    application_id: int,
    body: ApplicationDraft,
    *,
    actor: Actor,
    now: datetime | None = None,
    attachments: Attachments | None = None,
) -> ApplicationRead:
    """Save the form (a draft, or the answer to a request for more), with any new materials."""
    moment = now or utcnow()
    row = _own_application(session, viewer, application_id)
    round_row = round_of(session, row)
    apply_action(state_of(session, row, round_row), ApplicationAction.SAVE)
    found = set_of(session, round_row)
    _check_values(found, body)
    before = canonical_hash(json.loads(row.form_json or "{}"))
    _write_form(row, body)
    row.updated_at = moment
    audit.record(
        session,
        actor,
        "branches.application.save",
        "branch_application",
        row.id,
        details={
            "status": row.status,
            "form_hash_before": before,
            "form_hash": canonical_hash(json.loads(row.form_json)),
        },
        now=moment,
    )
    _keep_files(session, row, attachments, actor=actor, now=moment)
    session.flush()
    return application_read(session, row)


def attach_documents(
    session: Session,
    viewer: Viewer,
    application_id: int,
    attachments: Attachments,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> list[DocumentRead]:
    moment = now or utcnow()
    row = _own_application(session, viewer, application_id)
    apply_action(state_of(session, row, round_of(session, row)), ApplicationAction.SAVE)
    stored = attachments.keep(
        session, application_id=row.id, attached_to="application", attached_id=row.id, actor=actor, now=moment
    )
    row.updated_at = moment
    return [document_read(d) for d in stored]


def submit_application(
    session: Session, viewer: Viewer, application_id: int, *, actor: Actor, now: datetime | None = None
) -> ApplicationRead:
    """Submit (or resubmit) the form: it must be complete, the round open (or, answering a request
    for more, before that request's deadline). The form is frozen with its documents and scored."""
    moment = now or utcnow()
    row = _own_application(session, viewer, application_id)
    round_row = round_of(session, row)
    state = state_of(session, row, round_row)
    new_state = apply_action(state, ApplicationAction.SUBMIT)
    if state.status is ApplicationStatus.DRAFT and (
        round_row.status != "open" or moment >= round_row.deadline_at
    ):
        raise DeadlinePassed(f"round {round_row.code} closed on its deadline", round=round_row.code)
    if (
        state.status is ApplicationStatus.MORE_REQUESTED
        and row.more_deadline_at
        and moment >= row.more_deadline_at
    ):
        raise DeadlinePassed("the deadline for the requested materials has passed")
    found = set_of(session, round_row)
    documents = repository.documents(session, row.id, "application", row.id)
    problems = problems_of(found, row, len(documents))
    if problems:
        raise ApplicationInvalid(
            "the form is not complete: " + "; ".join(f"{p.field}: {p.reason}" for p in problems[:20]),
            errors=[p.model_dump() for p in problems],
        )
    values, _ = parse_form(found, form_values(row), complete=True)
    result = score(found, values)
    attached = [{"id": d.id, "sha256": d.sha256, "filename": d.filename} for d in documents]
    content = {
        "values": values,
        "narrative": row.narrative,
        "documents": [d["sha256"] for d in attached],
        "indicator_set": found.code,
    }
    seq = len(repository.submissions(session, row.id)) + 1
    submission = repository.add(
        session,
        SubmissionRow(
            application_id=row.id,
            seq=seq,
            submitted_at=moment,
            actor_label=actor.label[:200],
            values_json=json.dumps(values, ensure_ascii=False, sort_keys=True),
            narrative=row.narrative,
            content_hash=canonical_hash(content),
            documents_json=json.dumps(attached, ensure_ascii=False),
            points=result.points,
            passed=result.passed,
            score_json=json.dumps(result.as_dict(), ensure_ascii=False),
        ),
    )
    row.status = new_state.status.value
    row.current_submission_id = submission.id
    row.submitted_at = moment
    row.more_deadline_at = None
    row.updated_at = moment
    audit.record(
        session,
        actor,
        "branches.application.submit" if seq == 1 else "branches.application.resubmit",
        "branch_application",
        row.id,
        details={
            "submission": seq,
            "content_hash": submission.content_hash,
            "indicator_set": found.code,
            "set_hash": result.set_hash,
            "inputs_hash": result.inputs_hash,
            "points": result.points,
            "passed": result.passed,
            "documents": [d["sha256"] for d in attached],
        },
        now=moment,
    )
    session.flush()
    return application_read(session, row)


def withdraw_application(
    session: Session,
    viewer: Viewer,
    application_id: int,
    *,
    reason: str,
    actor: Actor,
    now: datetime | None = None,
) -> ApplicationRead:
    moment = now or utcnow()
    row = _own_application(session, viewer, application_id)
    new_state = apply_action(state_of(session, row, round_of(session, row)), ApplicationAction.WITHDRAW)
    before = row.status
    row.status = new_state.status.value
    row.decided_at = row.updated_at = moment
    audit.record(
        session,
        actor,
        "branches.application.withdraw",
        "branch_application",
        row.id,
        reason=reason,
        details={"status_before": before},
        now=moment,
    )
    session.flush()
    return application_read(session, row)


def lapse_application(
    session: Session, row: ApplicationRow, *, why: str, actor: Actor, now: datetime
) -> None:
    """The clock's step: a draft when its round closed, or a request for more left unanswered."""
    new_state = apply_action(state_of(session, row, round_of(session, row)), ApplicationAction.LAPSE)
    before = row.status
    row.status = new_state.status.value
    row.decided_at = row.updated_at = now
    audit.record(
        session,
        actor,
        "branches.application.lapse",
        "branch_application",
        row.id,
        reason=why,
        details={"status_before": before},
        now=now,
    )
    tell_applicant(session, row, "lapsed", "", now, why=why)
