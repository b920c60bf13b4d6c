"""Catalogue pages: the tree with search and filters, an item, and the bank's identification page
(one text, or a loan book uploaded, classified, shown and downloaded)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from seagreen.identity.access import actor_of
from seagreen.taxonomy import service
from seagreen.taxonomy.endpoints import BankUser, CatalogueReader, TierQuery, read_upload, sees_all
from seagreen.taxonomy.errors import LoanBookInvalid
from seagreen.taxonomy.schemas import IdentificationRead
from seagreen.web.deps import ReadSession, WriteSession
from seagreen.web.rendering import render

router = APIRouter(include_in_schema=False)
ROWS_SHOWN = 200


@router.get("/catalogue", response_class=HTMLResponse)
def tree(
    request: Request,
    _: CatalogueReader,
    session: ReadSession,
    q: Annotated[str, Query(max_length=100)] = "",
    tier: TierQuery = None,
    industry: Annotated[str, Query(max_length=8)] = "",
) -> HTMLResponse:
    found, results = service.search(session, q, tier=tier, industry_code=industry or None)
    filtered = bool(q or tier or industry)
    return render(
        request,
        "taxonomy/tree.html",
        {
            "catalogue": found,
            "items": results,
            "q": q,
            "tier": tier or "",
            "industry": industry,
            "filtered": filtered,
        },
    )


@router.get("/catalogue/items/{code}", response_class=HTMLResponse)
def item_page(code: str, request: Request, _: CatalogueReader, session: ReadSession) -> HTMLResponse:
    found, item = service.item(session, code)
    return render(request, "taxonomy/item.html", {"catalogue": found, "item": item})


@router.get("/catalogue/identify", response_class=HTMLResponse)
def identify_page(
    request: Request,
    principal: BankUser,
    session: ReadSession,
    text: Annotated[str, Query(max_length=4000)] = "",
    industry: Annotated[str, Query(max_length=8)] = "",
) -> HTMLResponse:
    found = service.catalogue(session)
    result = (
        IdentificationRead.of(service.classify_text(session, text, industry or None))
        if text.strip()
        else None
    )
    batches = service.recent_batches(session, org_code=principal.org_code, all_orgs=sees_all(principal))
    return render(
        request,
        "taxonomy/identify.html",
        {
            "catalogue": found,
            "text": text,
            "industry": industry,
            "result": result,
            "batches": batches,
            "error": None,
        },
    )


@router.post("/catalogue/books", response_class=HTMLResponse)
def upload_book(
    request: Request,
    principal: BankUser,
    reader: ReadSession,
    session: WriteSession,
    file: Annotated[UploadFile, File()],
) -> Response:
    try:
        book = service.classify_book(reader, read_upload(file), file.filename or "upload.csv")
    except LoanBookInvalid as exc:
        found = service.catalogue(reader)
        batches = service.recent_batches(reader, org_code=principal.org_code, all_orgs=sees_all(principal))
        context = {
            "catalogue": found,
            "text": "",
            "industry": "",
            "result": None,
            "batches": batches,
            "error": exc.message,
        }
        return render(request, "taxonomy/identify.html", context, status_code=422)
    reader.rollback()  # end the read transaction before the write one begins
    batch = service.store_book(session, book, actor=actor_of(principal))
    session.commit()
    return RedirectResponse(f"/catalogue/books/{batch.id}", status_code=303)


@router.get("/catalogue/books/{batch_id}", response_class=HTMLResponse)
def book_page(batch_id: int, request: Request, principal: BankUser, session: ReadSession) -> HTMLResponse:
    batch, header, rows = service.batch_rows(
        session, batch_id, org_code=principal.org_code, all_orgs=sees_all(principal)
    )
    return render(
        request,
        "taxonomy/book.html",
        {"batch": batch, "rows": rows[:ROWS_SHOWN], "shown": min(len(rows), ROWS_SHOWN), "header": header},
    )


@router.get("/catalogue/books/{batch_id}/download")
def book_download(
    batch_id: int,
    principal: BankUser,
    session: ReadSession,
    format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "xlsx",
) -> Response:
    content, name, media = service.batch_file(
        session, batch_id, fmt=format, org_code=principal.org_code, all_orgs=sees_all(principal)
    )
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
