"""Catalogue API: versions, the tree and search, an item, identification of a text, loan books."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import Response

from seagreen.identity.access import Principal, actor_of, require_roles
from seagreen.identity.domain import Role
from seagreen.taxonomy import service
from seagreen.taxonomy.errors import LoanBookInvalid
from seagreen.taxonomy.schemas import (
    BatchRead,
    CatalogueRead,
    ClassifyRequest,
    IdentificationRead,
    ItemRead,
    VersionRead,
)
from seagreen.web.deps import ReadSession, WriteSession

router = APIRouter(prefix="/api/v1/taxonomy", tags=["blue catalogue"])

CatalogueReader = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.BANK_OFFICER, Role.PLATFORM_ADMIN, Role.OPERATOR, Role.AUTHORITY_REVIEWER, Role.PROJECT_OWNER
        )
    ),
]
BankUser = Annotated[Principal, Depends(require_roles(Role.BANK_OFFICER, Role.PLATFORM_ADMIN))]
MAX_UPLOAD_BYTES = 40 * 1024 * 1024
TierQuery = Annotated[str | None, Query(pattern="^(blue|light-blue)$")]


def sees_all(principal: Principal) -> bool:
    return principal.has_any_role([Role.PLATFORM_ADMIN])


def read_upload(upload: UploadFile) -> bytes:
    data = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise LoanBookInvalid(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB")
    if not data:
        raise LoanBookInvalid("the file is empty")
    return data


@router.get("/versions", response_model=list[VersionRead], summary="Catalogue versions (the latest is used)")
def versions(_: CatalogueReader, session: ReadSession) -> list[VersionRead]:
    return service.list_versions(session)


@router.get("/items", response_model=CatalogueRead, summary="The tree, or a search in Chinese or English")
def items(
    _: CatalogueReader,
    session: ReadSession,
    q: Annotated[str, Query(max_length=100)] = "",
    tier: TierQuery = None,
    industry: Annotated[str | None, Query(max_length=8)] = None,
    version: Annotated[str | None, Query(max_length=40)] = None,
) -> CatalogueRead:
    found, results = service.search(session, q, tier=tier, industry_code=industry, version=version)
    return CatalogueRead.of(found, results)


@router.get("/items/{code}", response_model=ItemRead, summary="One level-3 item")
def item(
    code: str,
    _: CatalogueReader,
    session: ReadSession,
    version: Annotated[str | None, Query(max_length=40)] = None,
) -> ItemRead:
    return ItemRead.of(service.item(session, code, version)[1])


@router.post(
    "/classify", response_model=IdentificationRead, summary="Identify one text: blue, light-blue or not"
)
def classify(body: ClassifyRequest, _: BankUser, session: ReadSession) -> IdentificationRead:
    result = service.classify_text(session, body.text, body.industry_code, version=body.version)
    return IdentificationRead.of(result, body.location)


@router.post("/books", response_model=BatchRead, summary="Classify a loan book (CSV or Excel)")
def classify_book(
    principal: BankUser,
    reader: ReadSession,
    session: WriteSession,
    file: Annotated[UploadFile, File(description="CSV or .xlsx with id, text, industry_code, amount")],
) -> BatchRead:
    # classified under a read transaction; only the storing takes the (SQLite) write lock
    book = service.classify_book(reader, read_upload(file), file.filename or "upload.csv")
    reader.rollback()  # end the read transaction before the write one begins
    batch = service.store_book(session, book, actor=actor_of(principal))
    session.commit()
    return batch


@router.get("/books/{batch_id}", response_model=BatchRead, summary="A classified loan book's summary")
def book(batch_id: int, principal: BankUser, session: ReadSession) -> BatchRead:
    return service.get_batch(session, batch_id, org_code=principal.org_code, all_orgs=sees_all(principal))


@router.get("/books/{batch_id}/download", summary="Download a classified loan book (csv or xlsx)")
def download(
    batch_id: int,
    principal: BankUser,
    session: ReadSession,
    format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv",
) -> Response:
    content, name, media = service.batch_file(
        session, batch_id, fmt=format, org_code=principal.org_code, all_orgs=sees_all(principal)
    )
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
