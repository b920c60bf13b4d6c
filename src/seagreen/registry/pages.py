"""Registry pages: the public registry, a project with the actions its viewer may take, the
owner's registration and monitoring forms, the authority's review desk, holdings with transfer,
sale and retirement forms, retirement certificates and their verification.

Every form posts to a page route that calls the same service function as the API, then redirects
(303) to the page that shows the result. Forms that move credits carry an idempotency key made
when the form was shown, so sending a form twice moves nothing twice.
"""

from __future__ import annotations

import json
import secrets
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from seagreen.errors import DomainError
from seagreen.identity.access import OptionalPrincipal, actor_of
from seagreen.identity.domain import Role
from seagreen.kit.clock import utcnow
from seagreen.registry import charts, service
from seagreen.registry.domain.serials import parse_serial
from seagreen.registry.endpoints import (
    MAX_UPLOAD,
    AnySignedIn,
    Authority,
    Holder,
    Owner,
    RegistryKeys,
    attachment,
    calendar,
    retirement_request,
    transfer_request,
    visible_project,
)
from seagreen.registry.errors import DocumentInvalid, ProjectInvalid
from seagreen.registry.schemas import ProjectCreate, RetirementCreate, TransferCreate
from seagreen.web.deps import ReadSession, WriteSession
from seagreen.web.rendering import render

router = APIRouter(include_in_schema=False)
MAX_CERTIFICATE_BYTES = 1024 * 1024
EXAMPLES = {
    "seagrass-restoration": "rongcheng-seagrass-2021-2023",
    "shellfish-csc": "rushan-oyster-2024",
    "algae-csc": "algae-example",
}


def _form_model(model: type[BaseModel], data: dict[str, Any]) -> Any:
    """A Pydantic model from form fields; its problems as one readable message."""
    try:
        return model.model_validate({k: v for k, v in data.items() if v not in ("", None)})
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'form'}: {error['msg']}" for error in exc.errors()
        )
        raise ProjectInvalid(reasons) from None


def _decimal(value: str, field: str) -> Decimal | None:
    if not value.strip():
        return None
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        raise ProjectInvalid(f"{field}: {value!r} is not a number", field=field) from None


def _example(methodology: str) -> str:
    name = EXAMPLES.get(methodology)
    if not name:
        return "{}"
    try:
        inputs = service.demo_inputs(name)
    except FileNotFoundError:
        return "{}"
    return json.dumps(inputs, ensure_ascii=False, indent=1, default=str)


def _new_key(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(8)}"


# ---- the public registry ------------------------------------------------------------------------


@router.get("/registry", response_class=HTMLResponse)
def index(request: Request, session: ReadSession) -> HTMLResponse:
    overview = service.overview(session)
    return render(
        request,
        "registry/index.html",
        {
            "overview": overview,
            "segments": charts.split_bar(overview.totals),
            "org_bars": charts.org_bars(overview.holdings),
            "bar_height": charts.BAR_HEIGHT,
            "prices": charts.price_line(overview.prices),
            "methodologies": service.list_methodologies(),
        },
    )


@router.get("/registry/serials", response_class=HTMLResponse)
def serial_page(
    request: Request, session: ReadSession, serial: Annotated[str, Query(max_length=40)] = ""
) -> HTMLResponse:
    found, error = None, None
    if serial.strip():
        try:
            found = service.serial(session, parse_serial(serial))
        except DomainError as exc:  # not a serial, or not issued: said on the page
            error = exc.message
    return render(request, "registry/serial.html", {"serial": serial, "found": found, "error": error})


@router.get("/registry/public-key", response_class=HTMLResponse)
def public_key_page(request: Request, keys: RegistryKeys) -> HTMLResponse:
    return render(request, "registry/public_key.html", {"key": service.public_key(keys)})


@router.get("/registry/verify", response_class=HTMLResponse)
def verify_page(request: Request, keys: RegistryKeys) -> HTMLResponse:
    return render(request, "registry/verify.html", {"result": None, "key": service.public_key(keys)})


@router.post("/registry/verify", response_class=HTMLResponse)
def verify_upload(
    request: Request,
    keys: RegistryKeys,
    file: Annotated[UploadFile | None, File()] = None,
    text: Annotated[str, Form(max_length=MAX_CERTIFICATE_BYTES)] = "",
) -> HTMLResponse:
    """Check a certificate file (or pasted JSON) against the registry's key; stores nothing."""
    content: bytes | str = text
    if file is not None and file.filename:
        content = file.file.read(MAX_CERTIFICATE_BYTES + 1)
    result = service.verify(content, keys) if content else None
    return render(request, "registry/verify.html", {"result": result, "key": service.public_key(keys)})


@router.get("/registry/retirements/{number}", response_class=HTMLResponse)
def retirement_page(number: str, request: Request, session: ReadSession, keys: RegistryKeys) -> HTMLResponse:
    retirement = service.retirement(session, number)
    document = service.certificate_json(session, number)
    check = service.verify(document, keys)
    return render(
        request,
        "registry/retirement.html",
        {"retirement": retirement, "check": check, "certificate": json.loads(document)},
    )


@router.get("/registry/retirements/{number}/certificate.json")
def retirement_json(number: str, session: ReadSession) -> Response:
    return attachment(service.certificate_json(session, number), "application/json", f"{number}.json")


@router.get("/registry/retirements/{number}/certificate.pdf")
def retirement_pdf(number: str, session: ReadSession, keys: RegistryKeys) -> Response:
    return attachment(service.certificate_pdf(session, number, keys), "application/pdf", f"{number}.pdf")


# ---- a project ----------------------------------------------------------------------------------


@router.get("/registry/projects/new", response_class=HTMLResponse)
def new_project(request: Request, _: Owner) -> HTMLResponse:
    return render(request, "registry/new_project.html", {"methodologies": service.list_methodologies()})


@router.post("/registry/projects")
def register(
    principal: Owner,
    session: WriteSession,
    name_zh: Annotated[str, Form(max_length=200)],
    methodology: Annotated[str, Form(max_length=40)],
    location: Annotated[str, Form(max_length=200)],
    area: Annotated[str, Form(max_length=20)],
    area_unit: Annotated[str, Form(pattern="^(mu|ha)$")],
    crediting_start: Annotated[date, Form()],
    crediting_end: Annotated[date, Form()],
    name_en: Annotated[str, Form(max_length=200)] = "",
    latitude: Annotated[str, Form(max_length=16)] = "",
    longitude: Annotated[str, Form(max_length=16)] = "",
    description: Annotated[str, Form(max_length=8000)] = "",
    document: Annotated[UploadFile | None, File()] = None,
) -> Response:
    body = _form_model(
        ProjectCreate,
        {
            "name_zh": name_zh,
            "name_en": name_en,
            "methodology": methodology,
            "location": location,
            "latitude": _decimal(latitude, "latitude"),
            "longitude": _decimal(longitude, "longitude"),
            "area_mu" if area_unit == "mu" else "area_ha": _decimal(area, "area"),
            "crediting_start": crediting_start,
            "crediting_end": crediting_end,
            "description": description,
        },
    )
    actor = actor_of(principal)
    project = service.register(session, body, actor=actor)
    if document is not None and document.filename:
        _attach(session, project.code, document, actor)
    session.commit()
    return RedirectResponse(f"/registry/projects/{project.code}", status_code=303)


def _attach(session: Any, code: str, document: UploadFile, actor: Any) -> None:
    content = document.file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise DocumentInvalid("a document may have at most 10 MiB")
    service.add_document(
        session,
        code,
        filename=document.filename or "document",
        content=content,
        actor=actor,
    )


@router.get("/registry/projects/{code}", response_class=HTMLResponse)
def project_page(
    code: str, request: Request, principal: OptionalPrincipal, session: ReadSession
) -> HTMLResponse:
    row = visible_project(session, code, principal)
    totals = service.project_totals(session).get(row.id)
    record = service.record(session, row, totals=totals)
    is_owner = bool(
        principal and principal.org_code == row.owner_org and principal.has_any_role([Role.PROJECT_OWNER])
    )
    authority = bool(principal and principal.has_any_role([Role.AUTHORITY_REVIEWER]))
    prices = service.prices(session, row.code)
    return render(
        request,
        "registry/project.html",
        {
            "record": record,
            "project": record.project,
            "reports": service.project_reports(session, row.code),
            "issuances": service.issuances(session, row.code),
            "retirements": service.retirements(session, project_code=row.code),
            "prices": charts.price_line(prices),
            "price_points": prices,
            "segments": charts.split_bar(record.project.totals),
            "is_owner": is_owner,
            "is_authority": authority,
            "signed_in": principal is not None,
            "example": _example(row.methodology) if is_owner else "",
            "reversal_key": _new_key("reversal"),
            "today": service.local_day(utcnow()),
        },
    )


@router.get("/registry/projects/{code}/documents/{document_id}")
def project_document(
    code: str, document_id: int, principal: OptionalPrincipal, session: ReadSession
) -> Response:
    visible_project(session, code, principal)
    found, content, _ = service.document_content(session, code, document_id)
    return attachment(content, found.media_type, found.filename)


def _back(code: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/registry/projects/{code}{anchor}", status_code=303)


@router.post("/registry/projects/{code}/documents")
def add_document(
    code: str, principal: Owner, session: WriteSession, document: Annotated[UploadFile, File()]
) -> Response:
    _attach(session, code, document, actor_of(principal))
    session.commit()
    return _back(code, "#documents")


@router.post("/registry/projects/{code}/submit")
def submit(code: str, principal: Owner, session: WriteSession) -> Response:
    service.submit(session, code, actor=actor_of(principal))
    session.commit()
    return _back(code)


@router.post("/registry/projects/{code}/withdraw")
def withdraw(
    code: str, principal: Owner, session: WriteSession, reason: Annotated[str, Form(max_length=4000)] = ""
) -> Response:
    service.withdraw(session, code, actor=actor_of(principal), reason=reason)
    session.commit()
    return _back(code)


@router.post("/registry/projects/{code}/review")
def review(
    code: str,
    request: Request,
    principal: Authority,
    session: WriteSession,
    decision: Annotated[str, Form(pattern="^(comment|request_changes|reject|start_notice)$")],
    text: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    service.review(session, code, decision, text, actor=actor_of(principal), calendar=calendar(request))
    session.commit()
    return _back(code)


@router.post("/registry/projects/{code}/objections")
def object_to(
    code: str, principal: AnySignedIn, session: WriteSession, text: Annotated[str, Form(max_length=4000)]
) -> Response:
    service.object_to(session, code, text, actor=actor_of(principal))
    session.commit()
    return _back(code, "#objections")


@router.post("/registry/projects/{code}/objections/{objection_id}/resolve")
def resolve(
    code: str,
    objection_id: int,
    principal: Authority,
    session: WriteSession,
    decision: Annotated[str, Form(pattern="^(dismiss|uphold)$")],
    text: Annotated[str, Form(max_length=4000)],
) -> Response:
    service.resolve_objection(session, code, objection_id, decision, text, actor=actor_of(principal))
    session.commit()
    return _back(code, "#objections")


@router.post("/registry/projects/{code}/file")
def file(
    code: str,
    principal: Authority,
    session: WriteSession,
    buffer_percent: Annotated[str, Form(max_length=8)] = "",
    text: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    percent = _decimal(buffer_percent, "buffer_percent")
    share = percent / 100 if percent is not None else None
    service.file(session, code, actor=actor_of(principal), buffer_share=share, text=text)
    session.commit()
    return _back(code)


@router.post("/registry/projects/{code}/reports")
def submit_report(
    code: str,
    principal: Owner,
    session: WriteSession,
    period_start: Annotated[date, Form()],
    period_end: Annotated[date, Form()],
    inputs: Annotated[str, Form(max_length=200_000)] = "",
    inputs_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    text: str | bytes = inputs
    if inputs_file is not None and inputs_file.filename:
        text = inputs_file.file.read(200_001)
    report = service.submit_report(
        session, code, period_start, period_end, service.load_inputs_json(text), actor=actor_of(principal)
    )
    session.commit()
    return RedirectResponse(f"/registry/reports/{report.id}", status_code=303)


@router.post("/registry/projects/{code}/reversals")
def reversal(
    code: str,
    principal: Authority,
    session: WriteSession,
    quantity: Annotated[int, Form(gt=0)],
    reason: Annotated[str, Form(max_length=4000)],
    key: Annotated[str, Form(max_length=80)],
) -> Response:
    service.reverse(session, code, quantity, reason, key=key, actor=actor_of(principal))
    session.commit()
    return _back(code, "#issuances")


# ---- reports ------------------------------------------------------------------------------------


@router.get("/registry/reports/{report_id}", response_class=HTMLResponse)
def report_page(
    report_id: int, request: Request, principal: OptionalPrincipal, session: ReadSession
) -> HTMLResponse:
    code = service.report_project_code(session, report_id)
    row = visible_project(session, code, principal)
    report = service.get_report(session, report_id, with_receipt=True)
    authority = bool(principal and principal.has_any_role([Role.AUTHORITY_REVIEWER]))
    return render(
        request,
        "registry/report.html",
        {"report": report, "project": service.project_read(session, row), "is_authority": authority},
    )


@router.post("/registry/reports/{report_id}/verify")
def verify_report(
    report_id: int,
    principal: Authority,
    session: WriteSession,
    verifier: Annotated[str, Form(max_length=200)],
    statement: Annotated[str, Form(max_length=4000)],
) -> Response:
    service.verify_report(session, report_id, verifier, statement, actor=actor_of(principal))
    session.commit()
    return RedirectResponse(f"/registry/reports/{report_id}", status_code=303)


@router.post("/registry/reports/{report_id}/return")
def return_report(
    report_id: int, principal: Authority, session: WriteSession, reason: Annotated[str, Form(max_length=4000)]
) -> Response:
    service.return_report(session, report_id, reason, actor=actor_of(principal))
    session.commit()
    return RedirectResponse(f"/registry/reports/{report_id}", status_code=303)


@router.post("/registry/reports/{report_id}/issue")
def issue(report_id: int, principal: Authority, session: WriteSession) -> Response:
    issuance = service.issue(session, report_id, actor=actor_of(principal))
    session.commit()
    return _back(issuance.project_code, "#issuances")


@router.get("/registry/review", response_class=HTMLResponse)
def review_desk(request: Request, _: Authority, session: ReadSession) -> HTMLResponse:
    return render(
        request,
        "registry/review.html",
        {"projects": service.review_queue(session), "reports": service.pending_reports(session)},
    )


# ---- holdings, transfers, sales, retirements ------------------------------------------------


@router.get("/registry/mine", response_class=HTMLResponse)
def mine(request: Request, principal: Holder, session: ReadSession) -> HTMLResponse:
    org = principal.org_code
    holdings = service.holdings(session, org)
    active = [h for h in holdings if h.state == "active"]
    owner = principal.has_any_role([Role.PROJECT_OWNER])
    return render(
        request,
        "registry/mine.html",
        {
            "holdings": holdings,
            "active": active,
            "projects": service.list_projects(session, owner=org) if owner else [],
            "is_owner": owner,
            "retirements": service.retirements(session, retired_by=org),
            "transfer_key": _new_key("transfer"),
            "retire_key": _new_key("retire"),
        },
    )


@router.post("/registry/transfers")
def transfer(
    principal: Holder,
    session: WriteSession,
    keys: RegistryKeys,
    key: Annotated[str, Form(max_length=80)],
    project: Annotated[str, Form(max_length=16)],
    to_org: Annotated[str, Form(max_length=32)],
    quantity: Annotated[int, Form(gt=0)],
    price_yuan_per_t: Annotated[str, Form(max_length=14)] = "",
    settlement_ref: Annotated[str, Form(max_length=120)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    body = _form_model(
        TransferCreate,
        {
            "idempotency_key": key,
            "project": project,
            "to_org": to_org.strip().lower(),
            "quantity": quantity,
            "price_yuan_per_t": _decimal(price_yuan_per_t, "price_yuan_per_t"),
            "settlement_method": "bank_transfer" if settlement_ref.strip() else "",
            "settlement_ref": settlement_ref.strip(),
            "note": note,
        },
    )
    service.move(session, [transfer_request(body)], actor=actor_of(principal), signer=service.signer(keys))
    session.commit()
    return RedirectResponse("/registry/mine", status_code=303)


@router.post("/registry/retirements")
def retire(
    principal: Holder,
    session: WriteSession,
    keys: RegistryKeys,
    key: Annotated[str, Form(max_length=80)],
    project: Annotated[str, Form(max_length=16)],
    quantity: Annotated[int, Form(gt=0)],
    beneficiary_name: Annotated[str, Form(max_length=200)],
    purpose: Annotated[str, Form(max_length=2000)],
    beneficiary_org: Annotated[str, Form(max_length=32)] = "",
    claim_start: Annotated[str, Form(max_length=10)] = "",
    claim_end: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    body = _form_model(
        RetirementCreate,
        {
            "idempotency_key": key,
            "project": project,
            "quantity": quantity,
            "beneficiary_name": beneficiary_name,
            "beneficiary_org": beneficiary_org.strip().lower(),
            "purpose": purpose,
            "claim_start": claim_start,
            "claim_end": claim_end,
        },
    )
    result = service.move(
        session, [retirement_request(body)], actor=actor_of(principal), signer=service.signer(keys)
    )
    session.commit()
    return RedirectResponse(f"/registry/retirements/{result[0].retirement_number}", status_code=303)
