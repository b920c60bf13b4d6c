"""The ledger page: for authorities and operators to check the journal and look up an account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from seagreen.errors import NotFound
from seagreen.kit.clock import LOCAL_TZ, from_micros
from seagreen.ledger import service
from seagreen.ledger.endpoints import LedgerReader
from seagreen.web.deps import ReadSession
from seagreen.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/ledger", response_class=HTMLResponse)
def ledger_page(
    request: Request,
    _: LedgerReader,
    session: ReadSession,
    account: Annotated[str, Query(max_length=160)] = "",
    verify: bool = False,
) -> HTMLResponse:
    stats = service.stats(session)
    report = service.verify(session) if verify else None
    view: service.AccountView | None = None
    entries: list[service.JournalEntry] = []
    missing = False
    if account:
        try:
            view, entries = service.account_history(session, account.strip(), limit=50)
        except NotFound:
            missing = True
    return render(
        request,
        "ledger/index.html",
        {
            "stats": stats,
            "report": report,
            "account": account,
            "view": view,
            "entries": entries,
            "missing": missing,
            "local_time": lambda micros: (
                from_micros(micros).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")
            ),
        },
    )
