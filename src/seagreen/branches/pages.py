"""Recognition pages (绿色支行), phone first: a hub per role; the one application form (save a
draft, attach materials, submit, resubmit); the authorities' review with side-by-side scores; a
green sub-branch's page (annual reports, revocation, appeal); rounds; the public list; operations.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from seagreen.audit import service as audit
from seagreen.audit.domain import AuditEvent, AuditQuery
from seagreen.branches import service
from seagreen.branches.domain import (
    ACTIVE_RECOGNITION,
    FieldKind,
    IndicatorSet,
    Policy,
    Viewer,
    deadline_day,
    first_report_year,
    local_date,
)
from seagreen.branches.endpoints import (
    AppSettings,
    BankUser,
    CurrentPolicy,
    Now,
    Operator,
    Reader,
    Reviewer,
    Sender,
    Store,
    attachment,
    read_uploads,
    run_tick,
    viewer_of,
)
from seagreen.branches.schemas import (
    AppealCreate,
    ApplicationCreate,
    ApplicationDraft,
    FindingCreate,
    RecognitionRead,
    ReportCreate,
    ReportDecision,
    ReviewCreate,
    RevokeRequest,
    RoundCreate,
)
from seagreen.config import Settings
from seagreen.errors import DomainError, InvalidInput
from seagreen.identity.access import actor_of
from seagreen.kit.clock import LOCAL_TZ
from seagreen.kit.storage import DocumentStore
from seagreen.web.deps import ReadSession, WriteSession, get_locale
from seagreen.web.i18n import translate
from seagreen.web.rendering import render

router = APIRouter(include_in_schema=False)
BASE = "/green-branch"
# What a redirect after a change may announce (``?done=``); anything else is ignored.
DONE = frozenset(
    {"saved", "submitted", "withdrawn", "reviewed", "reported", "decided", "revoked", "appealed", "found"}
)


async def posted_form(request: Request) -> FormData:
    """The posted form, files included (parsed once; the CSRF check reads the same)."""
    return await request.form(max_files=25, max_fields=500)


Posted = Annotated[FormData, Depends(posted_form)]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def draft_from(form: FormData, indicator_set: IndicatorSet) -> ApplicationDraft:
    values: dict[str, str | list[str]] = {}
    for field in indicator_set.fields:
        name = f"f.{field.key}"
        if field.kind is FieldKind.CHOICES:
            values[field.key] = [v for v in form.getlist(name) if isinstance(v, str)]
        elif _text(form, name).strip():
            values[field.key] = _text(form, name)
    return ApplicationDraft(
        contact_name=_text(form, "contact_name")[:100],
        contact_phone=_text(form, "contact_phone")[:40],
        contact_email=_text(form, "contact_email")[:200],
        narrative=_text(form, "narrative")[:20_000],
        values=values,
    )


def attachments_from(form: FormData, settings: Settings, store: DocumentStore) -> service.Attachments:
    """The files posted as ``documents``, read up to the size limit, for the store."""
    files = [f for f in form.getlist("documents") if isinstance(f, UploadFile)]
    return service.Attachments(
        store, read_uploads(files, settings.upload_max_bytes), settings.upload_max_bytes
    )


def _date(form: FormData, name: str) -> date | None:
    value = _text(form, name).strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name}: not a date (YYYY-MM-DD)", field=name) from None


def history(session: Session, object_type: str, object_id: str | int) -> list[AuditEvent]:
    """The object's steps from the audit log, oldest first."""
    page = audit.list_events(
        session, AuditQuery(object_type=object_type, object_id=str(object_id), limit=200)
    )
    return list(reversed(page.items))


def role_of(viewer: Viewer) -> str:
    if viewer.is_bank:
        return "bank"
    if viewer.authority:
        return "authority"
    return "reader"


def _common(session: Session, viewer: Viewer, policy: Policy) -> dict[str, Any]:
    return {
        "orgs": service.organisations(session),
        "viewer": viewer,
        "role": role_of(viewer),
        "policy": policy,
        "LOCAL_TZ": LOCAL_TZ,
        "local_date": local_date,
        "deadline_day": deadline_day,
    }


# ---- the hub --------------------------------------------------------------------------------------------


def authority_tasks(
    recognitions: Sequence[RecognitionRead], viewer: Viewer, policy: Policy
) -> list[dict[str, Any]]:
    """What an authority has to do on recognised branches: reports and overdue branches (the lead),
    appeals waiting for its finding (every reviewing authority)."""
    tasks: list[dict[str, Any]] = []
    lead = viewer.authority == policy.lead_authority
    for rec in recognitions:
        if lead and rec.status in ACTIVE_RECOGNITION:
            tasks += [
                {"key": "branches.tasks.report", "rec": rec, "year": r.year}
                for r in rec.reports
                if r.status == "submitted"
            ]
            if rec.status == "overdue":
                year = rec.missing_reports[0] if rec.missing_reports else None
                tasks.append({"key": "branches.tasks.overdue", "rec": rec, "year": year})
        if rec.status == "appealed" and viewer.authority in rec.authorities:
            appeal = next((a for a in rec.appeals if a.status == "open"), None)
            if appeal and viewer.authority not in {f.authority for f in appeal.findings}:
                tasks.append({"key": "branches.tasks.appeal", "rec": rec, "year": None})
    return tasks


@router.get(BASE, response_class=HTMLResponse)
def hub(
    request: Request, principal: Reader, session: ReadSession, policy: CurrentPolicy, now: Now
) -> HTMLResponse:
    viewer = viewer_of(session, principal)
    recognitions = service.list_recognitions(session, viewer, policy=policy, now=now)
    context = {
        **_common(session, viewer, policy),
        "rounds": service.accepting_rounds(session, now),
        "applications": service.list_applications(session, viewer),
        "recognitions": recognitions,
        "queue": service.review_queue(session, viewer) if viewer.authority else [],
        "tasks": authority_tasks(recognitions, viewer, policy) if viewer.authority else [],
        "branches": service.branches_of(session, viewer),
    }
    return render(request, "branches/hub.html", context)


# ---- applying -------------------------------------------------------------------------------------------


def _apply_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    policy: Policy,
    now: Any,
    *,
    round_code: str = "",
    branch: str = "",
    draft: ApplicationDraft | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    rounds = service.accepting_rounds(session, now)
    chosen = next((r for r in rounds if r.code == round_code), rounds[0] if rounds else None)
    indicator_set = service.indicator_set(session, chosen.indicator_set) if chosen else None
    context = {
        **_common(session, viewer, policy),
        "rounds": rounds,
        "chosen": chosen,
        "set": indicator_set,
        "branches": service.branches_of(session, viewer),
        "branch": branch,
        "draft": draft or ApplicationDraft(),
        "problems": {},
        "error": error,
        "accept": service.accepted_extensions(),
    }
    return render(request, "branches/apply.html", context, status_code=status_code)


@router.get(f"{BASE}/apply", response_class=HTMLResponse)
def apply_page(
    request: Request,
    principal: BankUser,
    session: ReadSession,
    policy: CurrentPolicy,
    now: Now,
    round: str = "",
    branch: str = "",
) -> HTMLResponse:
    viewer = viewer_of(session, principal)
    return _apply_page(request, session, viewer, policy, now, round_code=round, branch=branch)


@router.post(f"{BASE}/apply", response_class=HTMLResponse)
def apply(
    request: Request,
    principal: BankUser,
    session: WriteSession,
    form: Posted,
    settings: AppSettings,
    store: Store,
    policy: CurrentPolicy,
    now: Now,
) -> Response:
    viewer = viewer_of(session, principal)
    round_code, branch = _text(form, "round"), _text(form, "branch")
    rounds = service.accepting_rounds(session, now)
    chosen = next((r for r in rounds if r.code == round_code), None)
    if chosen is None:
        return _apply_page(
            request, session, viewer, policy, now, error="round: not open for applications", status_code=422
        )
    draft = draft_from(form, service.indicator_set(session, chosen.indicator_set))
    try:
        attachments = attachments_from(form, settings, store)
        created = service.create_application(
            session,
            viewer,
            ApplicationCreate(round=round_code, branch=branch, **draft.model_dump()),
            actor=actor_of(principal),
            now=now,
            attachments=attachments,
        )
    except DomainError as exc:
        session.rollback()
        return _apply_page(
            request,
            session,
            viewer,
            policy,
            now,
            round_code=round_code,
            branch=branch,
            draft=draft,
            error=exc.message,
            status_code=exc.status,
        )
    session.commit()
    return _after_save(request, session, viewer, policy, principal, created.id, _text(form, "action"), now)


def _after_save(
    request: Request,
    session: Session,
    viewer: Viewer,
    policy: Policy,
    principal: Any,
    application_id: int,
    action: str,
    now: Any,
) -> Response:
    if action == "submit":
        try:
            service.submit_application(session, viewer, application_id, actor=actor_of(principal), now=now)
        except DomainError as exc:
            session.rollback()
            return _application_page(
                request, session, viewer, policy, application_id, error=exc.message, status_code=exc.status
            )
        session.commit()
        return RedirectResponse(f"{BASE}/applications/{application_id}?done=submitted", status_code=303)
    return RedirectResponse(f"{BASE}/applications/{application_id}?done=saved", status_code=303)


# ---- an application -----------------------------------------------------------------------------------


def _application_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    policy: Policy,
    application_id: int,
    *,
    posted: ApplicationDraft | None = None,
    error: str | None = None,
    done: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    application = service.get_application(session, viewer, application_id)
    if posted is not None:
        application = application.model_copy(update=posted.model_dump())
    indicator_set = service.indicator_set(session, application.indicator_set)
    editable = application.status in ("draft", "more_requested") and viewer.acts_for(
        application.bank, application.branch
    )
    reviewing = viewer.authority in application.authorities and application.status in (
        "submitted",
        "more_requested",
    )
    sheet = service.score_sheet(session, viewer, application_id) if application.score is not None else None
    context = {
        **_common(session, viewer, policy),
        "app": application,
        "set": indicator_set,
        "draft": application,
        "problems": {
            p.field: translate(f"branches.problem.{p.code}", get_locale(request))
            for p in application.problems
        },
        "editable": editable,
        "reviewing": reviewing,
        "sheet": sheet,
        "error": error,
        "done": done,
        "history": history(session, "branch_application", application_id),
        "accept": service.accepted_extensions(),
    }
    return render(request, "branches/application.html", context, status_code=status_code)


@router.get(f"{BASE}/applications/{{application_id}}", response_class=HTMLResponse)
def application_page(
    application_id: int,
    request: Request,
    principal: Reader,
    session: ReadSession,
    policy: CurrentPolicy,
    done: str = "",
) -> HTMLResponse:
    viewer = viewer_of(session, principal)
    return _application_page(
        request, session, viewer, policy, application_id, done=done if done in DONE else ""
    )


@router.post(f"{BASE}/applications/{{application_id}}", response_class=HTMLResponse)
def save_application(
    application_id: int,
    request: Request,
    principal: BankUser,
    session: WriteSession,
    form: Posted,
    settings: AppSettings,
    store: Store,
    policy: CurrentPolicy,
    now: Now,
) -> Response:
    viewer = viewer_of(session, principal)
    current = service.get_application(session, viewer, application_id)
    draft = draft_from(form, service.indicator_set(session, current.indicator_set))
    try:
        attachments = attachments_from(form, settings, store)
        service.save_application(
            session,
            viewer,
            application_id,
            draft,
            actor=actor_of(principal),
            now=now,
            attachments=attachments,
        )
    except DomainError as exc:
        session.rollback()
        return _application_page(
            request,
            session,
            viewer,
            policy,
            application_id,
            posted=draft,
            error=exc.message,
            status_code=exc.status,
        )
    session.commit()
    return _after_save(
        request, session, viewer, policy, principal, application_id, _text(form, "action"), now
    )


@router.post(f"{BASE}/applications/{{application_id}}/withdraw")
def withdraw(
    application_id: int, principal: BankUser, session: WriteSession, form: Posted, now: Now
) -> RedirectResponse:
    viewer = viewer_of(session, principal)
    service.withdraw_application(
        session,
        viewer,
        application_id,
        reason=_text(form, "reason")[:4000],
        actor=actor_of(principal),
        now=now,
    )
    session.commit()
    return RedirectResponse(f"{BASE}/applications/{application_id}?done=withdrawn", status_code=303)


@router.post(f"{BASE}/applications/{{application_id}}/review", response_class=HTMLResponse)
def review(
    application_id: int,
    request: Request,
    principal: Reviewer,
    session: WriteSession,
    form: Posted,
    policy: CurrentPolicy,
    now: Now,
) -> Response:
    viewer = viewer_of(session, principal)
    try:
        body = ReviewCreate(
            decision=_text(form, "decision"),
            reason=_text(form, "reason").strip(),
            disputed=[v for v in form.getlist("disputed") if isinstance(v, str)],
            more_deadline=_date(form, "more_deadline"),
        )
        service.review_application(
            session, viewer, application_id, body, policy=policy, actor=actor_of(principal), now=now
        )
    except (DomainError, ValueError) as exc:
        session.rollback()
        message = exc.message if isinstance(exc, DomainError) else _validation_message(exc)
        return _application_page(
            request, session, viewer, policy, application_id, error=message, status_code=422
        )
    session.commit()
    return RedirectResponse(f"{BASE}/applications/{application_id}?done=reviewed", status_code=303)


def _validation_message(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors())
    return str(exc)


@router.get(f"{BASE}/documents/{{document_id}}")
def document(document_id: int, principal: Reader, session: ReadSession, store: Store) -> Response:
    row, data = service.read_document(session, store, viewer_of(session, principal), document_id)
    return attachment(data, row.filename, row.media_type)


# ---- a green sub-branch -----------------------------------------------------------------------------


def _recognition_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    policy: Policy,
    number: str,
    now: Any,
    *,
    error: str | None = None,
    done: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    rec = service.get_recognition(session, viewer, number, policy=policy, now=now)
    application = (
        service.get_application(session, viewer, rec.application)
        if viewer.sees(rec.bank, rec.branch)
        else None
    )
    indicator_set = service.indicator_set(session, rec.indicator_set)
    reported = {r.year for r in rec.reports}
    first, last = first_report_year(rec.recognised_at), local_date(now).year - 1
    open_years = [y for y in range(first, last + 1) if y not in reported]
    appeal = next((a for a in rec.appeals if a.status == "open"), None)
    context = {
        **_common(session, viewer, policy),
        "rec": rec,
        "application": application,
        "set": indicator_set,
        "acting": viewer.acts_for(rec.bank, rec.branch),
        "lead": viewer.authority == policy.lead_authority,
        "deciding": viewer.authority in rec.authorities,
        "open_years": open_years,
        "appeal": appeal,
        "appeal_open": rec.status == "revoked" and rec.appeal_until is not None and now < rec.appeal_until,
        "draft": ApplicationDraft(values=application.values if application else {}),
        "problems": {},
        "error": error,
        "done": done,
        "history": history(session, "branch_recognition", number),
        "accept": service.accepted_extensions(),
    }
    return render(request, "branches/recognition.html", context, status_code=status_code)


@router.get(f"{BASE}/recognitions/{{number}}", response_class=HTMLResponse)
def recognition_page(
    number: str,
    request: Request,
    principal: Reader,
    session: ReadSession,
    policy: CurrentPolicy,
    now: Now,
    done: str = "",
) -> HTMLResponse:
    viewer = viewer_of(session, principal)
    return _recognition_page(request, session, viewer, policy, number, now, done=done if done in DONE else "")


def _recognition_action(
    request: Request,
    session: Session,
    viewer: Viewer,
    policy: Policy,
    number: str,
    now: Any,
    done: str,
    act: Any,
) -> Response:
    try:
        act()
    except (DomainError, ValueError) as exc:
        session.rollback()
        message = exc.message if isinstance(exc, DomainError) else _validation_message(exc)
        status = exc.status if isinstance(exc, DomainError) else 422
        return _recognition_page(
            request, session, viewer, policy, number, now, error=message, status_code=status
        )
    session.commit()
    return RedirectResponse(f"{BASE}/recognitions/{number}?done={done}", status_code=303)


@router.post(f"{BASE}/recognitions/{{number}}/reports", response_class=HTMLResponse)
def submit_report(
    number: str,
    request: Request,
    principal: BankUser,
    session: WriteSession,
    form: Posted,
    settings: AppSettings,
    store: Store,
    policy: CurrentPolicy,
    now: Now,
) -> Response:
    viewer = viewer_of(session, principal)

    def act() -> None:
        rec = service.get_recognition(session, viewer, number, policy=policy, now=now)
        draft = draft_from(form, service.indicator_set(session, rec.indicator_set))
        year = _text(form, "year")
        service.submit_report(
            session,
            viewer,
            number,
            ReportCreate(
                year=int(year) if year.isdigit() else 0,
                narrative=_text(form, "narrative"),
                values=draft.values,
            ),
            policy=policy,
            actor=actor_of(principal),
            now=now,
            attachments=attachments_from(form, settings, store),
        )

    return _recognition_action(request, session, viewer, policy, number, now, "reported", act)


@router.post(f"{BASE}/recognitions/{{number}}/reports/{{year}}", response_class=HTMLResponse)
def decide_report(
    number: str,
    year: int,
    request: Request,
    principal: Reviewer,
    session: WriteSession,
    form: Posted,
    policy: CurrentPolicy,
    now: Now,
) -> Response:
    viewer = viewer_of(session, principal)

    def act() -> None:
        body = ReportDecision(decision=_text(form, "decision"), reason=_text(form, "reason").strip())
        service.decide_report(
            session, viewer, number, year, body, policy=policy, actor=actor_of(principal), now=now
        )

    return _recognition_action(request, session, viewer, policy, number, now, "decided", act)


@router.post(f"{BASE}/recognitions/{{number}}/revoke", response_class=HTMLResponse)
def revoke(
    number: str,
    request: Request,
    principal: Reviewer,
    session: WriteSession,
    form: Posted,
    policy: CurrentPolicy,
    now: Now,
) -> Response:
    viewer = viewer_of(session, principal)

    def act() -> None:
        body = RevokeRequest(reason=_text(form, "reason").strip())
        service.revoke_overdue(
            session, viewer, number, body, policy=policy, actor=actor_of(principal), now=now
        )

    return _recognition_action(request, session, viewer, policy, number, now, "revoked", act)


@router.post(f"{BASE}/recognitions/{{number}}/appeal", response_class=HTMLResponse)
def appeal(
    number: str,
    request: Request,
    principal: BankUser,
    session: WriteSession,
    form: Posted,
    settings: AppSettings,
    store: Store,
    policy: CurrentPolicy,
    now: Now,
) -> Response:
    viewer = viewer_of(session, principal)

    def act() -> None:
        service.file_appeal(
            session,
            viewer,
            number,
            AppealCreate(grounds=_text(form, "grounds").strip()),
            policy=policy,
            actor=actor_of(principal),
            now=now,
            attachments=attachments_from(form, settings, store),
        )

    return _recognition_action(request, session, viewer, policy, number, now, "appealed", act)


@router.post(f"{BASE}/recognitions/{{number}}/findings", response_class=HTMLResponse)
def finding(
    number: str,
    request: Request,
    principal: Reviewer,
    session: WriteSession,
    form: Posted,
    policy: CurrentPolicy,
    now: Now,
) -> Response:
    viewer = viewer_of(session, principal)

    def act() -> None:
        body = FindingCreate(finding=_text(form, "finding"), reason=_text(form, "reason").strip())
        service.record_finding(
            session, viewer, number, body, policy=policy, actor=actor_of(principal), now=now
        )

    return _recognition_action(request, session, viewer, policy, number, now, "found", act)


@router.get(f"{BASE}/recognitions/{{number}}/certificate.pdf")
def recognition_certificate(number: str, principal: Reader, session: ReadSession) -> Response:
    pdf, _ = service.certificate_pdf(session, number, viewer=viewer_of(session, principal))
    return attachment(pdf, f"{number}.pdf", "application/pdf")


# ---- rounds -----------------------------------------------------------------------------------------------


@router.get(f"{BASE}/rounds", response_class=HTMLResponse)
def rounds_page(
    request: Request, principal: Reader, session: ReadSession, policy: CurrentPolicy, now: Now
) -> HTMLResponse:
    viewer = viewer_of(session, principal)
    context = {
        **_common(session, viewer, policy),
        "rounds": service.list_rounds(session, now=now),
        "sets": service.list_sets(session),
        "error": None,
    }
    return render(request, "branches/rounds.html", context)


@router.post(f"{BASE}/rounds", response_class=HTMLResponse)
def open_round(
    request: Request,
    principal: Reviewer,
    session: WriteSession,
    form: Posted,
    policy: CurrentPolicy,
    now: Now,
) -> Response:
    viewer = viewer_of(session, principal)
    try:
        body = RoundCreate(
            code=_text(form, "code").strip(),
            title_zh=_text(form, "title_zh").strip(),
            title_en=_text(form, "title_en").strip(),
            deadline=_date(form, "deadline") or date.min,
            indicator_set=_text(form, "indicator_set") or None,
        )
        service.open_round(session, viewer, body, policy=policy, actor=actor_of(principal), now=now)
    except (DomainError, ValueError) as exc:
        session.rollback()
        message = exc.message if isinstance(exc, DomainError) else _validation_message(exc)
        context = {
            **_common(session, viewer, policy),
            "rounds": service.list_rounds(session, now=now),
            "sets": service.list_sets(session),
            "error": message,
        }
        return render(request, "branches/rounds.html", context, status_code=422)
    session.commit()
    return RedirectResponse(f"{BASE}/rounds", status_code=303)


# ---- public ----------------------------------------------------------------------------------------


@router.get(f"{BASE}/list", response_class=HTMLResponse)
def public_list(request: Request, session: ReadSession) -> HTMLResponse:
    return render(request, "branches/public_list.html", {"listing": service.public_list(session)})


@router.get(f"{BASE}/list/{{number}}/certificate.pdf")
def public_certificate(number: str, session: ReadSession) -> Response:
    pdf, _ = service.certificate_pdf(session, number)
    return attachment(pdf, f"{number}.pdf", "application/pdf")


# ---- operations ------------------------------------------------------------------------------------


@router.get(f"{BASE}/operations", response_class=HTMLResponse)
def operations(
    request: Request, _: Operator, session: ReadSession, policy: CurrentPolicy, now: Now, done: str = ""
) -> HTMLResponse:
    counts = {
        name: int(value) if value.isdigit() else 0
        for name in ("closed", "lapsed", "overdue", "withdrawn", "reminders", "sent", "failed")
        for value in [request.query_params.get(name, "0")]
    }
    context = {
        "counts": counts,
        "policy": policy,
        "now": now,
        "pending": service.count_pending(session),
        "notices": service.list_notices(session, limit=50),
        "done": bool(done),
        "LOCAL_TZ": LOCAL_TZ,
    }
    return render(request, "branches/operations.html", context)


@router.post(f"{BASE}/operations/tick")
def operations_tick(
    _: Operator, session: WriteSession, policy: CurrentPolicy, sender: Sender, now: Now
) -> RedirectResponse:
    report = run_tick(session, sender, policy, now)
    done = urlencode(
        {
            "closed": report.rounds_closed,
            "lapsed": report.drafts_lapsed + report.requests_lapsed,
            "overdue": report.became_overdue,
            "withdrawn": report.plaques_withdrawn,
            "reminders": report.reminders_queued,
            "sent": report.notices_sent,
            "failed": report.notices_failed,
        }
    )
    return RedirectResponse(f"{BASE}/operations?done=1&{done}", status_code=303)
