"""Registry API: methodologies and receipts, projects and their review, monitoring reports and
issuance, transfers, sales, retirements, reversals, certificates and the public registry.

Reads of the public registry need no sign-in (a project is public once its notice starts); every
change names the role it needs. Writes that a client may retry (transfers, sales, retirements,
reversals) take an ``idempotency_key``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from seagreen.audit.domain import Actor
from seagreen.identity.access import OptionalPrincipal, Principal, actor_of, require_roles
from seagreen.identity.domain import Role
from seagreen.kit.keys import Keys
from seagreen.registry import service
from seagreen.registry.domain.serials import parse_serial
from seagreen.registry.errors import DocumentInvalid, ProjectNotFound, ReportNotFound
from seagreen.registry.schemas import (
    BatchRequest,
    CalculateRequest,
    ConsistencyRead,
    DocumentRead,
    FileRequest,
    HoldingRead,
    IssuanceRead,
    MethodologyRead,
    ObjectionCreate,
    ObjectionRead,
    ObjectionResolve,
    OperationRead,
    OverviewRead,
    ParameterRead,
    ParameterSetRead,
    PricePoint,
    ProjectCreate,
    ProjectRead,
    ProjectRecordRead,
    ProjectUpdate,
    PublicKeyRead,
    ReportCreate,
    ReportRead,
    RetirementCreate,
    RetirementRead,
    ReturnRequest,
    ReversalCreate,
    ReviewRequest,
    SerialRead,
    SpeciesRead,
    TransferCreate,
    VerificationRead,
    VerifyRequest,
)
from seagreen.web.deps import ReadSession, WriteSession, get_keys

router = APIRouter(prefix="/api/v1/registry", tags=["ocean carbon-sink registry"])

Owner = Annotated[Principal, Depends(require_roles(Role.PROJECT_OWNER))]
Authority = Annotated[Principal, Depends(require_roles(Role.AUTHORITY_REVIEWER))]
Holder = Annotated[Principal, Depends(require_roles(Role.PROJECT_OWNER, Role.BUYER, Role.BANK_OFFICER))]
Calculator = Annotated[
    Principal,
    Depends(require_roles(Role.PROJECT_OWNER, Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN, Role.OPERATOR)),
]
Supervisor = Annotated[
    Principal, Depends(require_roles(Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN, Role.OPERATOR))
]
AnySignedIn = Annotated[Principal, Depends(require_roles(*Role))]  # objections: anyone, named
RegistryKeys = Annotated[Keys, Depends(get_keys)]
MAX_UPLOAD = service.MAX_DOCUMENT_BYTES


def is_authority(principal: Principal | None) -> bool:
    return principal is not None and principal.has_any_role([Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN])


def visible_project(session: Any, code: str, principal: Principal | None) -> Any:
    """The project row if the caller may see it; otherwise as if it did not exist."""
    row = service.get_row(session, code)
    actor = actor_of(principal) if principal else None
    if not service.may_see(row, actor, authority=is_authority(principal)):
        raise ProjectNotFound(f"no project {code!r}", code=code)
    return row


def attachment(content: bytes | str, media_type: str, filename: str) -> Response:
    """A download named ``filename`` (RFC 6266: an ASCII fallback and the UTF-8 name)."""
    fallback = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


def calendar(request: Request) -> Any:
    return service.working_calendar(request.app.state.settings.registry_holidays_file)


def transfer_request(body: TransferCreate) -> service.MoveRequest:
    price = service.yuan_to_fen(body.price_yuan_per_t) if body.price_yuan_per_t is not None else None
    return service.MoveRequest(
        key=body.idempotency_key,
        kind=service.SALE if price is not None else service.TRANSFER,
        project=body.project,
        quantity=body.quantity,
        serial_start=body.serial_start,
        serial_end=body.serial_end,
        to_org=body.to_org,
        price_fen_per_t=price,
        settlement_method=body.settlement_method,
        settlement_ref=body.settlement_ref,
        note=body.note,
    )


def retirement_request(body: RetirementCreate) -> service.MoveRequest:
    return service.MoveRequest(
        key=body.idempotency_key,
        kind=service.RETIREMENT,
        project=body.project,
        quantity=body.quantity,
        serial_start=body.serial_start,
        serial_end=body.serial_end,
        beneficiary_name=body.beneficiary_name,
        beneficiary_org=body.beneficiary_org,
        purpose=body.purpose,
        claim_start=body.claim_start,
        claim_end=body.claim_end,
        note=body.note,
    )


# ---- methodologies -------------------------------------------------------------------------------


@router.get("/methodologies", response_model=list[MethodologyRead], summary="Methodologies (latest versions)")
def methodologies() -> list[MethodologyRead]:
    return [MethodologyRead(**vars(info)) for info in service.list_methodologies()]


@router.get(
    "/parameter-sets/{code}",
    response_model=ParameterSetRead,
    summary="A parameter set with every value's source",
)
def parameter_set(
    code: str, session: ReadSession, version: Annotated[str | None, Query(max_length=20)] = None
) -> ParameterSetRead:
    found = service.parameter_set(session, code, version)
    return ParameterSetRead(
        code=found.code,
        version=found.version,
        status=found.status,
        title_zh=found.title_zh,
        title_en=found.title_en,
        sha256=found.sha256,
        source=found.source,
        methodologies=list(found.methodologies),
        parameters=[
            ParameterRead(
                name=p.name, value=str(p.value), unit=p.unit, mark=p.mark, source=p.source, scope=p.scope
            )
            for p in found.parameters.values()
        ],
        species=[
            SpeciesRead(
                key=s.key,
                name_zh=s.name_zh,
                name_en=s.name_en,
                group=s.group,
                mark=s.mark,
                source=s.source,
                coefficients={k: str(v) for k, v in s.coefficients.items()},
            )
            for s in found.species.values()
        ],
        notes=list(found.notes),
    )


@router.post("/calculate", summary="Run a methodology and get its receipt (nothing is stored)")
def calculate(body: CalculateRequest, _: Calculator, session: ReadSession) -> dict[str, Any]:
    receipt = service.calculate(
        session, body.methodology, body.inputs, methodology_version=body.methodology_version
    )
    return receipt.as_json()


# ---- projects -----------------------------------------------------------------------------------


@router.get("/projects", response_model=list[ProjectRead], summary="Public projects (under notice or filed)")
def projects(session: ReadSession) -> list[ProjectRead]:
    return service.public_projects(session)


@router.get(
    "/projects/mine", response_model=list[ProjectRead], summary="The caller's own projects, any state"
)
def my_projects(principal: Owner, session: ReadSession) -> list[ProjectRead]:
    return service.list_projects(session, owner=principal.org_code)


@router.get("/review-queue", response_model=list[ProjectRead], summary="Projects waiting for the authority")
def review_queue(_: Authority, session: ReadSession) -> list[ProjectRead]:
    return service.review_queue(session)


@router.post("/projects", response_model=ProjectRead, status_code=201, summary="Register a project (a draft)")
def register(body: ProjectCreate, principal: Owner, session: WriteSession) -> ProjectRead:
    project = service.register(session, body, actor=actor_of(principal))
    session.commit()
    return project


@router.get("/projects/{code}", response_model=ProjectRead, summary="A project (public once under notice)")
def project(code: str, principal: OptionalPrincipal, session: ReadSession) -> ProjectRead:
    row = visible_project(session, code, principal)
    return service.project_read(session, row, totals=service.project_totals(session).get(row.id))


@router.get(
    "/projects/{code}/record",
    response_model=ProjectRecordRead,
    summary="A project with its review history, objections and documents",
)
def project_record(code: str, principal: OptionalPrincipal, session: ReadSession) -> ProjectRecordRead:
    row = visible_project(session, code, principal)
    found = service.record(session, row, totals=service.project_totals(session).get(row.id))
    return ProjectRecordRead(
        project=found.project, events=found.events, objections=found.objections, documents=found.documents
    )


@router.patch("/projects/{code}", response_model=ProjectRead, summary="Edit a draft or a project sent back")
def update(code: str, body: ProjectUpdate, principal: Owner, session: WriteSession) -> ProjectRead:
    project = service.update(session, code, body, actor=actor_of(principal))
    session.commit()
    return project


@router.post(
    "/projects/{code}/documents", response_model=DocumentRead, status_code=201, summary="Attach a document"
)
def add_document(
    code: str,
    principal: Owner,
    session: WriteSession,
    file: Annotated[UploadFile, File(description="PDF, image or office file, at most 10 MiB")],
    kind: Annotated[str, Form(max_length=24)] = "project",
) -> DocumentRead:
    content = file.file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise DocumentInvalid("a document may have at most 10 MiB")
    document = service.add_document(
        session,
        code,
        filename=file.filename or "document",
        content=content,
        kind=kind,
        actor=actor_of(principal),
    )
    session.commit()
    return document


@router.get("/projects/{code}/documents/{document_id}", summary="Download a project document")
def document(code: str, document_id: int, principal: OptionalPrincipal, session: ReadSession) -> Response:
    visible_project(session, code, principal)
    found, content, _ = service.document_content(session, code, document_id)
    return attachment(content, found.media_type, found.filename)


@router.post("/projects/{code}/submit", response_model=ProjectRead, summary="Submit for review")
def submit(code: str, principal: Owner, session: WriteSession) -> ProjectRead:
    project = service.submit(session, code, actor=actor_of(principal))
    session.commit()
    return project


@router.post("/projects/{code}/withdraw", response_model=ProjectRead, summary="Withdraw (before filing)")
def withdraw(code: str, principal: Owner, session: WriteSession) -> ProjectRead:
    project = service.withdraw(session, code, actor=actor_of(principal))
    session.commit()
    return project


@router.post(
    "/projects/{code}/review",
    response_model=ProjectRead,
    summary="Comment, request changes, reject, or start the 7-working-day public notice",
)
def review(
    code: str, body: ReviewRequest, request: Request, principal: Authority, session: WriteSession
) -> ProjectRead:
    project = service.review(
        session, code, body.decision, body.text, actor=actor_of(principal), calendar=calendar(request)
    )
    session.commit()
    return project


@router.post(
    "/projects/{code}/objections",
    response_model=ObjectionRead,
    status_code=201,
    summary="Object during the notice",
)
def object_to(
    code: str, body: ObjectionCreate, principal: AnySignedIn, session: WriteSession
) -> ObjectionRead:
    objection = service.object_to(session, code, body.text, actor=actor_of(principal))
    session.commit()
    return objection


@router.post(
    "/projects/{code}/objections/{objection_id}/resolve",
    response_model=ObjectionRead,
    summary="Dismiss or uphold an objection",
)
def resolve(
    code: str, objection_id: int, body: ObjectionResolve, principal: Authority, session: WriteSession
) -> ObjectionRead:
    objection = service.resolve_objection(
        session, code, objection_id, body.decision, body.text, actor=actor_of(principal)
    )
    session.commit()
    return objection


@router.post(
    "/projects/{code}/file", response_model=ProjectRead, summary="File the project (备案) after its notice"
)
def file(code: str, body: FileRequest, principal: Authority, session: WriteSession) -> ProjectRead:
    project = service.file(
        session, code, actor=actor_of(principal), buffer_share=body.buffer_share, text=body.text
    )
    session.commit()
    return project


# ---- monitoring reports and issuance -----------------------------------------------------------


@router.post(
    "/projects/{code}/reports",
    response_model=ReportRead,
    status_code=201,
    summary="Submit a monitoring report: its receipt is computed and kept",
)
def submit_report(code: str, body: ReportCreate, principal: Owner, session: WriteSession) -> ReportRead:
    report = service.submit_report(
        session, code, body.period_start, body.period_end, body.inputs, actor=actor_of(principal)
    )
    session.commit()
    return report


@router.get(
    "/projects/{code}/reports", response_model=list[ReportRead], summary="A project's monitoring reports"
)
def project_reports(code: str, principal: OptionalPrincipal, session: ReadSession) -> list[ReportRead]:
    visible_project(session, code, principal)
    return service.project_reports(session, code)


@router.get("/reports/pending", response_model=list[ReportRead], summary="Reports to verify or issue")
def pending(_: Authority, session: ReadSession) -> list[ReportRead]:
    return service.pending_reports(session)


@router.get("/reports/{report_id}", response_model=ReportRead, summary="A report with its receipt")
def report(report_id: int, principal: OptionalPrincipal, session: ReadSession) -> ReportRead:
    try:
        visible_project(session, service.report_project_code(session, report_id), principal)
    except ProjectNotFound:
        raise ReportNotFound(f"no monitoring report {report_id}", report=report_id) from None
    return service.get_report(session, report_id, with_receipt=True)


@router.post(
    "/reports/{report_id}/verify", response_model=ReportRead, summary="Record the verification (核证)"
)
def verify_report(
    report_id: int, body: VerifyRequest, principal: Authority, session: WriteSession
) -> ReportRead:
    report = service.verify_report(
        session, report_id, body.verifier, body.statement, actor=actor_of(principal)
    )
    session.commit()
    return report


@router.post("/reports/{report_id}/return", response_model=ReportRead, summary="Return a report")
def return_report(
    report_id: int, body: ReturnRequest, principal: Authority, session: WriteSession
) -> ReportRead:
    report = service.return_report(session, report_id, body.reason, actor=actor_of(principal))
    session.commit()
    return report


@router.post(
    "/reports/{report_id}/issue",
    response_model=IssuanceRead,
    status_code=201,
    summary="Issue the credits (签发)",
)
def issue(report_id: int, principal: Authority, session: WriteSession) -> IssuanceRead:
    issuance = service.issue(session, report_id, actor=actor_of(principal))
    session.commit()
    return issuance


@router.post(
    "/projects/{code}/reversals",
    response_model=OperationRead,
    summary="Record a reversal: cancel that many credits from the buffer pool",
)
def reversal(code: str, body: ReversalCreate, principal: Authority, session: WriteSession) -> OperationRead:
    result = service.reverse(
        session, code, body.quantity, body.reason, key=body.idempotency_key, actor=actor_of(principal)
    )
    session.commit()
    return result


# ---- transfers, sales, retirements ------------------------------------------------------------


def _move(
    session: Any, principal: Principal, keys: Keys, requests: list[service.MoveRequest]
) -> list[OperationRead]:
    actor: Actor = actor_of(principal)
    results = service.move(session, requests, actor=actor, signer=service.signer(keys))
    session.commit()
    return results


@router.post(
    "/transfers",
    response_model=OperationRead,
    summary="Transfer credits to another organisation; with a price it is a sale",
)
def transfer(
    body: TransferCreate, principal: Holder, session: WriteSession, keys: RegistryKeys
) -> OperationRead:
    return _move(session, principal, keys, [transfer_request(body)])[0]


@router.post("/retirements", response_model=OperationRead, summary="Retire credits (注销) for a beneficiary")
def retire(
    body: RetirementCreate, principal: Holder, session: WriteSession, keys: RegistryKeys
) -> OperationRead:
    return _move(session, principal, keys, [retirement_request(body)])[0]


@router.post(
    "/operations",
    response_model=list[OperationRead],
    summary="Many transfers and retirements at once, all or nothing (transfers first)",
)
def operations(
    body: BatchRequest, principal: Holder, session: WriteSession, keys: RegistryKeys
) -> list[OperationRead]:
    requests = [transfer_request(t) for t in body.transfers] + [
        retirement_request(r) for r in body.retirements
    ]
    return _move(session, principal, keys, requests)


@router.get("/holdings/mine", response_model=list[HoldingRead], summary="The caller's organisation's credits")
def my_holdings(principal: Holder, session: ReadSession) -> list[HoldingRead]:
    return service.holdings(session, principal.org_code)


# ---- the public registry ------------------------------------------------------------------------


@router.get("/overview", response_model=OverviewRead, summary="The public registry in one document")
def overview(session: ReadSession) -> OverviewRead:
    return service.overview(session)


@router.get("/issuances", response_model=list[IssuanceRead], summary="Issuances, newest first")
def issuances(
    session: ReadSession, project: Annotated[str | None, Query(max_length=16)] = None
) -> list[IssuanceRead]:
    return service.issuances(session, project)


@router.get(
    "/holdings", response_model=list[HoldingRead], summary="Credits by organisation, project and state"
)
def holdings(session: ReadSession) -> list[HoldingRead]:
    return service.holdings(session)


@router.get("/prices", response_model=list[PricePoint], summary="Sale prices, oldest first")
def prices(
    session: ReadSession, project: Annotated[str | None, Query(max_length=16)] = None
) -> list[PricePoint]:
    return service.prices(session, project)


@router.get("/retirements", response_model=list[RetirementRead], summary="Retirements, newest first")
def retirements(
    session: ReadSession, project: Annotated[str | None, Query(max_length=16)] = None
) -> list[RetirementRead]:
    return service.retirements(session, project_code=project)


@router.get("/retirements/{number}", response_model=RetirementRead, summary="One retirement")
def retirement(number: str, session: ReadSession) -> RetirementRead:
    return service.retirement(session, number)


@router.get("/certificates/{number}.json", summary="The signed certificate (JSON), as issued")
def certificate_json(number: str, session: ReadSession) -> Response:
    return attachment(service.certificate_json(session, number), "application/json", f"{number}.json")


@router.get("/certificates/{number}.pdf", summary="The certificate as a PDF")
def certificate_pdf(number: str, session: ReadSession, keys: RegistryKeys) -> Response:
    return attachment(service.certificate_pdf(session, number, keys), "application/pdf", f"{number}.pdf")


@router.post(
    "/certificates/verify",
    response_model=VerificationRead,
    summary="Check a signed certificate against the registry's public key (stores nothing)",
)
def verify_certificate(
    document: Annotated[dict[str, Any], Body(description="The certificate file's JSON")], keys: RegistryKeys
) -> VerificationRead:
    return service.verify(json.dumps(document, ensure_ascii=False), keys)


@router.get("/public-key", response_model=PublicKeyRead, summary="The registry's Ed25519 public key")
def public_key(keys: RegistryKeys) -> PublicKeyRead:
    return service.public_key(keys)


@router.get("/serials/{serial}", response_model=SerialRead, summary="Who holds a serial, and its history")
def serial(serial: str, session: ReadSession) -> SerialRead:
    return service.serial(session, parse_serial(serial))


@router.get(
    "/consistency", response_model=ConsistencyRead, summary="Blocks tile issuances and match the ledger"
)
def consistency(_: Supervisor, session: ReadSession) -> ConsistencyRead:
    return service.consistency(session)
