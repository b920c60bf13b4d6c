"""Who the caller is to recognition (a :class:`~seagreen.branches.domain.Viewer`), and the names
of the organisations involved."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from seagreen.branches.domain import Viewer
from seagreen.branches.errors import NotAReviewingAuthority, NotYourBranch
from seagreen.errors import DomainError
from seagreen.identity import service as identity
from seagreen.identity.domain import Organisation, OrgKind, Role

READER_ROLES = frozenset({str(Role.PLATFORM_ADMIN), str(Role.OPERATOR)})


def viewer_for(session: Session, org_code: str | None, roles: Iterable[str]) -> Viewer:
    """The viewer for a caller of an organisation with these roles (entrypoints call this)."""
    held = {str(role) for role in roles}
    if org_code is None:
        return Viewer()
    org = identity.get_org(session, org_code)
    if str(Role.BANK_OFFICER) in held and org.kind is OrgKind.BANK:
        return Viewer(org_code=org.code, bank=org.code)
    if str(Role.BANK_OFFICER) in held and org.kind is OrgKind.BANK_BRANCH:
        return Viewer(org_code=org.code, bank=org.parent_code, branch=org.code)
    if str(Role.AUTHORITY_REVIEWER) in held and org.kind is OrgKind.AUTHORITY:
        return Viewer(org_code=org.code, authority=org.code)
    return Viewer(org_code=org.code, reader=bool(held & READER_ROLES))


def require_bank(viewer: Viewer) -> None:
    if not viewer.is_bank:
        raise NotYourBranch("only a bank's or a branch's officer does this")


def require_authority(viewer: Viewer, authorities: Iterable[str]) -> str:
    """The viewer's authority, if it is one of ``authorities``."""
    listed = list(authorities)
    if viewer.authority is None or viewer.authority not in listed:
        raise NotAReviewingAuthority(
            f"this is decided by the reviewing authorities ({', '.join(listed)})", authorities=listed
        )
    return viewer.authority


def org_name(session: Session, code: str) -> str:
    """An organisation's Chinese name (its code if it is unknown)."""
    try:
        return identity.get_org(session, code).name_zh
    except DomainError:
        return code


def organisations(session: Session) -> dict[str, Organisation]:
    return {org.code: org for org in identity.list_orgs(session)}


def branches_of(session: Session, viewer: Viewer) -> list[Organisation]:
    """The branches a bank viewer may apply for."""
    if viewer.bank is None:
        return []
    return [
        org
        for org in identity.list_orgs(session, OrgKind.BANK_BRANCH)
        if org.parent_code == viewer.bank
        and (viewer.branch is None or viewer.branch == org.code)
        and org.active
    ]
