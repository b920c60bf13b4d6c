"""Organisations (机构): register them, find them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import SYSTEM, Actor
from seagreen.identity import repository
from seagreen.identity.domain import (
    Organisation,
    OrgKind,
    is_valid_org_code,
    parent_kind_required,
)
from seagreen.identity.errors import (
    InvalidIdentityInput,
    OrgExists,
    OrgNotFound,
)
from seagreen.kit.clock import utcnow


def get_org(session: Session, code: str) -> Organisation:
    org = repository.org_by_code(session, code)
    if org is None:
        raise OrgNotFound(f"no organisation {code!r}", code=code)
    return org


def list_orgs(session: Session, kind: OrgKind | None = None) -> list[Organisation]:
    return repository.list_orgs(session, kind)


def create_org(
    session: Session,
    *,
    code: str,
    kind: OrgKind | str,
    name_zh: str,
    name_en: str = "",
    parent_code: str | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> Organisation:
    """Register an organisation. A bank branch names its bank as ``parent_code``."""
    kind = _org_kind(kind)
    code = code.strip().lower()
    if not is_valid_org_code(code):
        raise InvalidIdentityInput(
            "an organisation code is 2-32 lower-case letters, digits or dashes", code=code
        )
    if not name_zh.strip():
        raise InvalidIdentityInput("an organisation needs a Chinese name", code=code)
    if repository.org_by_code(session, code) is not None:
        raise OrgExists(f"organisation {code!r} already exists", code=code)
    parent_id = _parent_id(session, kind, parent_code)
    repository.insert_org(
        session,
        code=code,
        kind=str(kind),
        name_zh=name_zh.strip(),
        name_en=name_en.strip(),
        parent_id=parent_id,
        active=True,
        created_at=now or utcnow(),
    )
    audit.record(
        session,
        actor,
        "identity.org.create",
        "organisation",
        code,
        details={"kind": str(kind), "parent": parent_code},
    )
    return get_org(session, code)


def ensure_org(
    session: Session,
    *,
    code: str,
    kind: OrgKind | str,
    name_zh: str,
    name_en: str = "",
    parent_code: str | None = None,
    actor: Actor = SYSTEM,
) -> tuple[Organisation, bool]:
    """The organisation ``code``, created if missing; ``True`` when it was created.

    An existing organisation is left as it is, unless it is of another kind (a conflict).
    """
    existing = repository.org_by_code(session, code.strip().lower())
    if existing is None:
        org = create_org(
            session,
            code=code,
            kind=kind,
            name_zh=name_zh,
            name_en=name_en,
            parent_code=parent_code,
            actor=actor,
        )
        return org, True
    if existing.kind is not _org_kind(kind):
        raise OrgExists(
            f"organisation {existing.code!r} exists as a {existing.kind}, not a {kind}", code=existing.code
        )
    return existing, False


def _org_kind(kind: OrgKind | str) -> OrgKind:
    try:
        return OrgKind(kind)
    except ValueError:
        raise InvalidIdentityInput(f"unknown organisation kind {kind!r}", kind=str(kind)) from None


def _parent_id(session: Session, kind: OrgKind, parent_code: str | None) -> int | None:
    needed = parent_kind_required(kind)
    if needed is None:
        if parent_code:
            raise InvalidIdentityInput(f"a {kind} has no parent organisation", parent=parent_code)
        return None
    if not parent_code:
        raise InvalidIdentityInput(f"a {kind} must name its {needed} (parent)")
    parent = get_org(session, parent_code)
    if parent.kind is not needed:
        raise InvalidIdentityInput(f"the parent of a {kind} must be a {needed}", parent=parent_code)
    return parent.id
