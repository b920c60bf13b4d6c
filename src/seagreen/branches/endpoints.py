"""Recognition API: indicator sets and rounds; a bank's applications, documents and submissions;
the authorities' reviews and side-by-side scores; recognitions, annual reports, revocation and
appeals; the public list and certificates; the operator's notices and scheduled job."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile as StarletteUpload

from seagreen.branches import service
from seagreen.branches.domain import Policy, Viewer
from seagreen.branches.errors import DocumentInvalid
from seagreen.branches.schemas import (
    AppealCreate,
    ApplicationCreate,
    ApplicationDraft,
    ApplicationRead,
    ApplicationSummary,
    DocumentRead,
    FindingCreate,
    IndicatorSetRead,
    NoticeRead,
    PublicList,
    RecognitionRead,
    ReportCreate,
    ReportDecision,
    ReviewCreate,
    RevokeRequest,
    RoundCreate,
    RoundRead,
    ScoreSheet,
    TickReport,
)
from seagreen.config import Settings
from seagreen.identity.access import Principal, actor_of, require_roles
from seagreen.identity.domain import Role
from seagreen.kit.clock import utcnow
from seagreen.kit.mail import MailSender, sender_from_settings
from seagreen.kit.storage import DocumentStore, store_from_settings
from seagreen.web.deps import ReadSession, WriteSession, get_settings_dep

router = APIRouter(prefix="/api/v1/branches", tags=["green sub-branches"])

BankUser = Annotated[Principal, Depends(require_roles(Role.BANK_OFFICER))]
Reviewer = Annotated[Principal, Depends(require_roles(Role.AUTHORITY_REVIEWER))]
Reader = Annotated[
    Principal,
    Depends(require_roles(Role.BANK_OFFICER, Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN, Role.OPERATOR)),
]
Operator = Annotated[Principal, Depends(require_roles(Role.OPERATOR, Role.PLATFORM_ADMIN))]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]


def current_time(request: Request) -> datetime:
    """Now, from the application's clock if one was given to it (``app.state.clock``, a callable:
    the browser tests move it), else the system's. Nothing a caller sends can change it."""
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else utcnow()


def policy_of(settings: AppSettings) -> Policy:
    return service.policy_from_settings(settings)


def document_store(request: Request) -> DocumentStore:
    store: DocumentStore | None = getattr(request.app.state, "document_store", None)
    if store is None:
        store = request.app.state.document_store = store_from_settings(request.app.state.settings)
    return store


def mail_sender(request: Request) -> MailSender:
    sender: MailSender | None = getattr(request.app.state, "mail_sender", None)
    return sender if sender is not None else sender_from_settings(request.app.state.settings)


Now = Annotated[datetime, Depends(current_time)]
CurrentPolicy = Annotated[Policy, Depends(policy_of)]
Store = Annotated[DocumentStore, Depends(document_store)]
Sender = Annotated[MailSender, Depends(mail_sender)]


def viewer_of(session: Session, principal: Principal) -> Viewer:
    return service.viewer_for(session, principal.org_code, principal.roles)


def read_uploads(files: Sequence[StarletteUpload], max_bytes: int) -> list[service.Upload]:
    """Read uploaded files, never more than the limit (plus one byte, to tell it was exceeded)."""
    uploads = []
    for upload in files:
        if not upload.filename:
            continue
        data = upload.file.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise DocumentInvalid(
                f"{upload.filename}: the file is larger than {max_bytes // (1024 * 1024)} MiB",
                file=upload.filename,
            )
        uploads.append(service.Upload(upload.filename, data))
    return uploads


def attachment(content: bytes, filename: str, media_type: str) -> Response:
    """A download that no browser renders inline or second-guesses."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    quoted = quote(filename, safe="")
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quoted}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


class Reason(BaseModel):
    reason: str = Field(default="", max_length=4000)


# ---- indicator sets and rounds --------------------------------------------------------------------


@router.get(
    "/indicator-sets", response_model=list[IndicatorSetRead], summary="Indicator sets (the latest is used)"
)
def indicator_sets(_: Reader, session: ReadSession) -> list[IndicatorSetRead]:
    return service.list_sets(session)


@router.get("/indicator-sets/{code}", response_model=IndicatorSetRead, summary="One indicator set")
def indicator_set(code: str, _: Reader, session: ReadSession) -> IndicatorSetRead:
    return IndicatorSetRead.of(service.indicator_set(session, code))


@router.get("/rounds", response_model=list[RoundRead], summary="Recognition rounds, newest first")
def rounds(_: Reader, session: ReadSession, now: Now) -> list[RoundRead]:
    return service.list_rounds(session, now=now)


@router.post("/rounds", response_model=RoundRead, status_code=201, summary="Open a recognition round")
def open_round(
    body: RoundCreate, principal: Reviewer, session: WriteSession, policy: CurrentPolicy, now: Now
) -> RoundRead:
    result = service.open_round(
        session, viewer_of(session, principal), body, policy=policy, actor=actor_of(principal), now=now
    )
    session.commit()
    return result


# ---- applications ---------------------------------------------------------------------------------


@router.get(
    "/applications",
    response_model=list[ApplicationSummary],
    summary="A bank's own applications; every submitted one for an authority",
)
def applications(principal: Reader, session: ReadSession) -> list[ApplicationSummary]:
    return service.list_applications(session, viewer_of(session, principal))


@router.post(
    "/applications", response_model=ApplicationRead, status_code=201, summary="Start an application (draft)"
)
def create_application(
    body: ApplicationCreate, principal: BankUser, session: WriteSession, now: Now
) -> ApplicationRead:
    result = service.create_application(
        session, viewer_of(session, principal), body, actor=actor_of(principal), now=now
    )
    session.commit()
    return result


@router.get("/applications/{application_id}", response_model=ApplicationRead, summary="One application")
def application(application_id: int, principal: Reader, session: ReadSession) -> ApplicationRead:
    return service.get_application(session, viewer_of(session, principal), application_id)


@router.put("/applications/{application_id}", response_model=ApplicationRead, summary="Save the form (draft)")
def save_application(
    application_id: int, body: ApplicationDraft, principal: BankUser, session: WriteSession, now: Now
) -> ApplicationRead:
    result = service.save_application(
        session, viewer_of(session, principal), application_id, body, actor=actor_of(principal), now=now
    )
    session.commit()
    return result


@router.post(
    "/applications/{application_id}/documents",
    response_model=list[DocumentRead],
    status_code=201,
    summary="Attach materials (PDF, PNG, JPEG, DOCX, XLSX, OFD; checked by content)",
)
def attach_documents(
    application_id: int,
    principal: BankUser,
    session: WriteSession,
    settings: AppSettings,
    store: Store,
    now: Now,
    files: Annotated[list[UploadFile], File(description="One or more files")],
) -> list[DocumentRead]:
    attachments = service.Attachments(
        store, read_uploads(files, settings.upload_max_bytes), settings.upload_max_bytes
    )
    result = service.attach_documents(
        session,
        viewer_of(session, principal),
        application_id,
        attachments,
        actor=actor_of(principal),
        now=now,
    )
    session.commit()
    return result


@router.post(
    "/applications/{application_id}/submit",
    response_model=ApplicationRead,
    summary="Submit or resubmit the form",
)
def submit_application(
    application_id: int, principal: BankUser, session: WriteSession, now: Now
) -> ApplicationRead:
    result = service.submit_application(
        session, viewer_of(session, principal), application_id, actor=actor_of(principal), now=now
    )
    session.commit()
    return result


@router.post("/applications/{application_id}/withdraw", response_model=ApplicationRead, summary="Withdraw")
def withdraw_application(
    application_id: int,
    principal: BankUser,
    session: WriteSession,
    now: Now,
    body: Reason | None = None,
) -> ApplicationRead:
    result = service.withdraw_application(
        session,
        viewer_of(session, principal),
        application_id,
        reason=body.reason if body else "",
        actor=actor_of(principal),
        now=now,
    )
    session.commit()
    return result


@router.post(
    "/applications/{application_id}/reviews",
    response_model=ApplicationRead,
    summary="An authority's decision: approve, reject or request more (with a reason)",
)
def review_application(
    application_id: int,
    body: ReviewCreate,
    principal: Reviewer,
    session: WriteSession,
    policy: CurrentPolicy,
    now: Now,
) -> ApplicationRead:
    result = service.review_application(
        session,
        viewer_of(session, principal),
        application_id,
        body,
        policy=policy,
        actor=actor_of(principal),
        now=now,
    )
    session.commit()
    return result


@router.get(
    "/applications/{application_id}/scores",
    response_model=ScoreSheet,
    summary="Side-by-side scores: computed, and each authority's sheet",
)
def scores(application_id: int, principal: Reader, session: ReadSession) -> ScoreSheet:
    return service.score_sheet(session, viewer_of(session, principal), application_id)


@router.get(
    "/documents/{document_id}", summary="Download a document (only to those who may see its application)"
)
def document(document_id: int, principal: Reader, session: ReadSession, store: Store) -> Response:
    row, data = service.read_document(session, store, viewer_of(session, principal), document_id)
    return attachment(data, row.filename, row.media_type)


# ---- recognitions -------------------------------------------------------------------------------------


@router.get("/recognitions", response_model=list[RecognitionRead], summary="Green sub-branches")
def recognitions(
    principal: Reader, session: ReadSession, policy: CurrentPolicy, now: Now
) -> list[RecognitionRead]:
    return service.list_recognitions(session, viewer_of(session, principal), policy=policy, now=now)


@router.get("/recognitions/{number}", response_model=RecognitionRead, summary="One green sub-branch")
def recognition(
    number: str, principal: Reader, session: ReadSession, policy: CurrentPolicy, now: Now
) -> RecognitionRead:
    return service.get_recognition(session, viewer_of(session, principal), number, policy=policy, now=now)


@router.get("/recognitions/{number}/certificate.pdf", summary="The plaque certificate, also after withdrawal")
def recognition_certificate(number: str, principal: Reader, session: ReadSession) -> Response:
    pdf, _ = service.certificate_pdf(session, number, viewer=viewer_of(session, principal))
    return attachment(pdf, f"{number}.pdf", "application/pdf")


@router.post(
    "/recognitions/{number}/reports",
    response_model=RecognitionRead,
    status_code=201,
    summary="Submit an annual report",
)
def submit_report(
    number: str,
    body: ReportCreate,
    principal: BankUser,
    session: WriteSession,
    policy: CurrentPolicy,
    now: Now,
) -> RecognitionRead:
    result = service.submit_report(
        session,
        viewer_of(session, principal),
        number,
        body,
        policy=policy,
        actor=actor_of(principal),
        now=now,
    )
    session.commit()
    return result


@router.post(
    "/recognitions/{number}/reports/{year}/decision",
    response_model=RecognitionRead,
    summary="The lead authority passes or fails an annual report",
)
def decide_report(
    number: str,
    year: int,
    body: ReportDecision,
    principal: Reviewer,
    session: WriteSession,
    policy: CurrentPolicy,
    now: Now,
) -> RecognitionRead:
    result = service.decide_report(
        session,
        viewer_of(session, principal),
        number,
        year,
        body,
        policy=policy,
        actor=actor_of(principal),
        now=now,
    )
    session.commit()
    return result


@router.post(
    "/recognitions/{number}/revoke",
    response_model=RecognitionRead,
    summary="The lead authority revokes an overdue branch",
)
def revoke(
    number: str,
    body: RevokeRequest,
    principal: Reviewer,
    session: WriteSession,
    policy: CurrentPolicy,
    now: Now,
) -> RecognitionRead:
    result = service.revoke_overdue(
        session,
        viewer_of(session, principal),
        number,
        body,
        policy=policy,
        actor=actor_of(principal),
        now=now,
    )
    session.commit()
    return result


@router.post("/recognitions/{number}/appeal", response_model=RecognitionRead, summary="Appeal a revocation")
def appeal(
    number: str,
    body: AppealCreate,
    principal: BankUser,
    session: WriteSession,
    policy: CurrentPolicy,
    now: Now,
) -> RecognitionRead:
    result = service.file_appeal(
        session,
        viewer_of(session, principal),
        number,
        body,
        policy=policy,
        actor=actor_of(principal),
        now=now,
    )
    session.commit()
    return result


@router.post(
    "/recognitions/{number}/appeal/findings",
    response_model=RecognitionRead,
    summary="An authority's finding on an appeal: keep the status or confirm the revocation",
)
def finding(
    number: str,
    body: FindingCreate,
    principal: Reviewer,
    session: WriteSession,
    policy: CurrentPolicy,
    now: Now,
) -> RecognitionRead:
    result = service.record_finding(
        session,
        viewer_of(session, principal),
        number,
        body,
        policy=policy,
        actor=actor_of(principal),
        now=now,
    )
    session.commit()
    return result


# ---- public ----------------------------------------------------------------------------------------------


@router.get(
    "/public", response_model=PublicList, summary="The public list of green sub-branches (no sign-in)"
)
def public(session: ReadSession) -> PublicList:
    return service.public_list(session)


@router.get("/public/{number}/certificate.pdf", summary="A listed branch's plaque certificate (no sign-in)")
def public_certificate(number: str, session: ReadSession) -> Response:
    pdf, _ = service.certificate_pdf(session, number)
    return attachment(pdf, f"{number}.pdf", "application/pdf")


# ---- operations ------------------------------------------------------------------------------------------


@router.get("/notices", response_model=list[NoticeRead], summary="Emails queued and sent (newest first)")
def notices(_: Operator, session: ReadSession) -> list[NoticeRead]:
    return service.list_notices(session)


def run_tick(session: Session, sender: MailSender, policy: Policy, now: datetime) -> TickReport:
    """The scheduled job's steps, committed, then the notices sent and their sending committed."""
    report = service.tick(session, policy=policy, now=now)
    session.commit()
    report.notices_sent, report.notices_failed = service.deliver(session, sender, now=now)
    session.commit()
    return report


@router.post("/tick", response_model=TickReport, summary="Run the scheduled job now (at the server's time)")
def tick(_: Operator, session: WriteSession, policy: CurrentPolicy, sender: Sender, now: Now) -> TickReport:
    return run_tick(session, sender, policy, now)
