"""Partner administration page (合作方管理): partners with consents, ingests and voids; add a
partner or issue a new key (shown once)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from seagreen.carbon_account import service
from seagreen.carbon_account.domain import PartnerKind
from seagreen.carbon_account.errors import PartnerInvalid
from seagreen.carbon_account.service import statistics
from seagreen.identity.access import RequireOperator, actor_of
from seagreen.kit.clock import LOCAL_TZ
from seagreen.web.deps import ReadSession, WriteSession
from seagreen.web.i18n import key
from seagreen.web.rendering import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request, session: Any, *, issued: Any = None, error: str | None = None, status: int = 200
) -> Response:
    return render(
        request,
        "carbon_account/partners.html",
        {
            "partners": statistics.partner_summaries(session),
            "kinds": [kind.value for kind in PartnerKind],
            "issued": issued,
            "error": error,
            "key": key,
            "when": lambda m: "" if m is None else m.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
        },
        status_code=status,
    )


@router.get("/carbon-account/partners", response_class=HTMLResponse)
def partners_page(request: Request, _: RequireOperator, session: ReadSession) -> Response:
    return _page(request, session)


@router.post("/carbon-account/partners", response_class=HTMLResponse)
def add_partner(
    request: Request,
    principal: RequireOperator,
    session: WriteSession,
    code: Annotated[str, Form(max_length=32)],
    kind: Annotated[str, Form(max_length=16)],
    name: Annotated[str, Form(max_length=200)],
) -> Response:
    try:
        created = service.add_partner(session, code, kind=kind, name=name, actor=actor_of(principal))
    except PartnerInvalid as exc:
        session.rollback()
        return _page(request, session, error=exc.message, status=exc.status)
    session.commit()
    return _page(request, session, issued=created)
