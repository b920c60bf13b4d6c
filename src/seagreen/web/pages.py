"""Platform-wide pages: the home page."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from seagreen.ledger import service as ledger_service
from seagreen.web.deps import ReadSession
from seagreen.web.rendering import render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Capability:
    key: str
    href: str
    available: bool


# A capability turns ``available`` when its module lands.
CAPABILITIES = (
    Capability("capability.carbon_account", "/carbon-account", True),
    Capability("capability.blue_catalogue", "/catalogue", True),
    Capability("capability.carbon_sink", "/registry", True),
    Capability("capability.green_branch", "/green-branch", True),
    Capability("capability.carbon_finance", "/carbon-finance", False),
)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: ReadSession) -> HTMLResponse:
    stats = ledger_service.stats(session)
    return render(request, "pages/home.html", {"capabilities": CAPABILITIES, "ledger": stats})
