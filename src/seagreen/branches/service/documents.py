"""Uploaded materials (申报材料): checked by size and by what they really are, stored by content
(SHA-256) in the document store, and read back only by those who may see their application."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.branches import repository
from seagreen.branches.domain import ApplicationStatus, Viewer
from seagreen.branches.errors import DocumentDamaged, DocumentInvalid, DocumentNotFound
from seagreen.branches.models import DocumentRow
from seagreen.branches.schemas import DocumentRead
from seagreen.kit.filetypes import ALL_TYPES, FileType, extension, safe_filename, sniff
from seagreen.kit.storage import DocumentStore, StoreError, content_key

ACCEPTED: tuple[FileType, ...] = ALL_TYPES  # PDF, PNG, JPEG, DOCX, XLSX, OFD
MAX_FILES_AT_ONCE = 20
NAMESPACE = "branches"


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def accepted_extensions() -> str:
    return ",".join(ext for kind in ACCEPTED for ext in kind.extensions)


def check_upload(upload: Upload, max_bytes: int) -> FileType:
    """The file's real type; refuse an empty or too large file, an unknown type, or one whose
    content is not what its name says (``.pdf`` that is not a PDF)."""
    name = upload.filename or "upload"
    if not upload.data:
        raise DocumentInvalid(f"{name}: the file is empty", file=name)
    if len(upload.data) > max_bytes:
        raise DocumentInvalid(
            f"{name}: the file is larger than {max_bytes // (1024 * 1024)} MiB", file=name, limit=max_bytes
        )
    found = sniff(upload.data)
    if found is None or found not in ACCEPTED:
        raise DocumentInvalid(
            f"{name}: not an accepted type (PDF, PNG, JPEG, Word .docx, Excel .xlsx, OFD)", file=name
        )
    if extension(name) not in found.extensions:
        raise DocumentInvalid(
            f"{name}: the content is {found.name.upper()}, which does not match the file name", file=name
        )
    return found


@dataclass(frozen=True)
class Attachments:
    """The files a request brings, the store to keep them in and the size limit."""

    store: DocumentStore
    uploads: Sequence[Upload]
    max_bytes: int

    def keep(
        self,
        session: Session,
        *,
        application_id: int,
        attached_to: str,
        attached_id: int,
        actor: Actor,
        now: datetime,
    ) -> list[DocumentRow]:
        if not self.uploads:
            return []
        return store_documents(
            session,
            self.store,
            self.uploads,
            application_id=application_id,
            attached_to=attached_to,
            attached_id=attached_id,
            max_bytes=self.max_bytes,
            actor=actor,
            now=now,
        )


def document_read(row: DocumentRow) -> DocumentRead:
    return DocumentRead(
        id=row.id,
        attached_to=row.attached_to,
        attached_id=row.attached_id,
        filename=row.filename,
        media_type=row.media_type,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        uploaded_at=row.uploaded_at,
        uploaded_by=row.uploaded_by,
    )


def store_documents(
    session: Session,
    store: DocumentStore,
    uploads: Sequence[Upload],
    *,
    application_id: int,
    attached_to: str,
    attached_id: int,
    max_bytes: int,
    actor: Actor,
    now: datetime,
) -> list[DocumentRow]:
    """Check every upload first (nothing is kept if one is refused), then store and record each."""
    if len(uploads) > MAX_FILES_AT_ONCE:
        raise DocumentInvalid(f"at most {MAX_FILES_AT_ONCE} files at once")
    checked = [(upload, check_upload(upload, max_bytes)) for upload in uploads]
    rows = []
    for upload, kind in checked:
        digest = hashlib.sha256(upload.data).hexdigest()
        key = content_key(NAMESPACE, digest)
        store.put(key, upload.data, kind.media_type)
        row = repository.add(
            session,
            DocumentRow(
                application_id=application_id,
                attached_to=attached_to,
                attached_id=attached_id,
                filename=safe_filename(upload.filename),
                media_type=kind.media_type,
                size_bytes=len(upload.data),
                sha256=digest,
                storage_key=key,
                uploaded_at=now,
                uploaded_by=actor.label[:200],
                org_code=actor.org_code,
            ),
        )
        audit.record(
            session,
            actor,
            "branches.document.upload",
            "branch_document",
            row.id,
            details={
                "application": application_id,
                "attached_to": attached_to,
                "attached_id": attached_id,
                "filename": row.filename,
                "media_type": kind.media_type,
                "size_bytes": row.size_bytes,
                "sha256": digest,
            },
            now=now,
        )
        rows.append(row)
    return rows


def read_document(
    session: Session, store: DocumentStore, viewer: Viewer, document_id: int
) -> tuple[DocumentRow, bytes]:
    """A document's bytes, for a viewer who may see its application; checked against its hash.

    Anyone else is told there is no such document (404), not that it exists."""
    row = repository.document(session, document_id)
    application = repository.application(session, row.application_id) if row is not None else None
    if (
        row is None
        or application is None
        or not viewer.sees(
            application.bank_org_code,
            application.branch_org_code,
            draft=application.status == ApplicationStatus.DRAFT,
        )
    ):
        raise DocumentNotFound(f"no document {document_id}", document=document_id)
    try:
        data = store.get(row.storage_key)
    except StoreError as exc:
        raise DocumentDamaged(f"document {document_id} is missing from the store: {exc}") from exc
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise DocumentDamaged(
            f"document {document_id} no longer matches the SHA-256 recorded at upload", document=document_id
        )
    return row, data
