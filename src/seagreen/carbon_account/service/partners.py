"""Data partners (数据合作方) and residents' consent (授权)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.carbon_account.domain import PartnerKind, RowError
from seagreen.carbon_account.encodings import decode_text
from seagreen.carbon_account.errors import PartnerInvalid, PartnerNotFound, ResidentsFileInvalid
from seagreen.carbon_account.repository import partners as repository
from seagreen.identity import service as identity
from seagreen.identity.domain import OrgKind, Role
from seagreen.identity.errors import OrgNotFound
from seagreen.kit.clock import to_micros, utcnow

CONSENT_SCOPE = "behaviour_events"


@dataclass(frozen=True)
class PartnerRead:
    code: str
    kind: str
    name: str
    consents: int = 0


@dataclass(frozen=True)
class PartnerCreated:
    partner: PartnerRead
    created: bool
    api_key: str  # shown once


def add_partner(session: Session, code: str, *, kind: str, name: str, actor: Actor) -> PartnerCreated:
    """Register a data partner: its organisation (if missing), its partner kind and an API key
    with the ``partner`` role, whose full text is returned once and never stored."""
    try:
        partner_kind = PartnerKind(kind.strip().lower())
    except ValueError:
        raise PartnerInvalid(
            f"unknown partner kind {kind!r} (one of {', '.join(PartnerKind)})", kind=kind
        ) from None
    if not name.strip():
        raise PartnerInvalid("a partner needs a name", code=code)
    code = code.strip().lower()
    try:
        org = identity.get_org(session, code)
    except OrgNotFound:
        org = identity.create_org(
            session,
            code=code,
            kind=OrgKind.DATA_PARTNER,
            name_zh=name.strip(),
            name_en=name.strip(),
            actor=actor,
        )
    if org.kind not in (OrgKind.DATA_PARTNER, OrgKind.BANK):
        raise PartnerInvalid(f"organisation {code!r} is a {org.kind}, which cannot report events", code=code)
    row = repository.partner_by_code(session, org.code)
    created = row is None
    if row is None:
        row = repository.insert_partner(
            session,
            code=org.code,
            kind=partner_kind.value,
            name=name.strip(),
            created_at_us=to_micros(utcnow()),
        )
        audit.record(
            session,
            actor,
            "carbon_account.partner.create",
            "partner",
            org.code,
            details={"kind": partner_kind.value},
        )
    elif row.kind != partner_kind.value:
        raise PartnerInvalid(f"partner {org.code!r} exists as a {row.kind} partner", code=org.code)
    issued = identity.create_api_key(
        session,
        org_code=org.code,
        roles=[Role.PARTNER],
        name=f"carbon-account intake ({org.code})",
        actor=actor,
    )
    return PartnerCreated(PartnerRead(row.code, row.kind, row.name), created, issued.key)


def list_partners(session: Session) -> list[PartnerRead]:
    return [
        PartnerRead(row.code, row.kind, row.name, repository.consent_count(session, int(row.id)))
        for row in repository.list_partners(session)
    ]


def get_partner(session: Session, code: str) -> PartnerRead:
    row = repository.partner_by_code(session, code)
    if row is None:
        raise PartnerNotFound(f"no carbon-account partner {code!r}", code=code)
    return PartnerRead(row.code, row.kind, row.name)


# -- consent -----------------------------------------------------------------------------------


@dataclass
class ConsentChange:
    granted: int = 0
    revoked: int = 0
    unchanged: int = 0


def set_consents(
    session: Session,
    wanted: dict[str, set[str]],
    *,
    actor: Actor,
    source: str,
    now: datetime | None = None,
    revoke_others: bool = True,
) -> ConsentChange:
    """Make each resident's authorised partners exactly ``wanted[ref]`` (partner codes): grant the
    missing ones from ``now`` and, with ``revoke_others``, revoke the others at ``now``.

    Idempotent: the same wishes again change nothing. Residents must exist."""
    moment = to_micros(now or utcnow())
    partners = {row.code: int(row.id) for row in repository.list_partners(session)}
    unknown = sorted({code for codes in wanted.values() for code in codes} - partners.keys())
    if unknown:
        raise PartnerNotFound(f"no carbon-account partners {', '.join(unknown)}", codes=unknown)
    ids = identity.resident_ids(session, list(wanted))
    missing = [ref for ref in wanted if ref not in ids]
    if missing:
        raise PartnerNotFound(f"unknown residents {', '.join(missing[:5])}", refs=missing[:20])
    current = repository.open_consents(session, list(ids.values()))
    change = ConsentChange()
    grants: list[dict[str, object]] = []
    revokes: list[int] = []
    for ref, codes in wanted.items():
        resident_id = ids[ref]
        want = {partners[code] for code in codes}
        have = {partner for (resident, partner) in current if resident == resident_id}
        for partner_id in want - have:
            grants.append(
                {
                    "resident_id": resident_id,
                    "partner_id": partner_id,
                    "scope": CONSENT_SCOPE,
                    "granted_at_us": moment,
                    "revoked_at_us": None,
                    "source": source[:200],
                }
            )
        if revoke_others:
            revokes.extend(current[(resident_id, partner_id)] for partner_id in have - want)
        change.unchanged += len(want & have)
    repository.insert_consents(session, grants)
    repository.revoke_consents(session, revokes, moment)
    change.granted, change.revoked = len(grants), len(revokes)
    if grants or revokes:
        audit.record(
            session,
            actor,
            "carbon_account.consent.change",
            "consent",
            source[:80] or "consents",
            details={"granted": change.granted, "revoked": change.revoked, "residents": len(wanted)},
        )
    return change


def grant_consent(
    session: Session, ref: str, partner_code: str, *, actor: Actor, now: datetime | None = None
) -> None:
    """Authorise one partner for one resident (kept if already authorised)."""
    ids = identity.resident_ids(session, [ref])
    current = repository.open_consents(session, list(ids.values()))
    codes = {code for code, pid in _partner_ids(session).items() if (ids.get(ref, -1), pid) in current}
    set_consents(session, {ref: codes | {partner_code}}, actor=actor, source="grant", now=now)


def revoke_consent(
    session: Session, ref: str, partner_code: str, *, actor: Actor, now: datetime | None = None
) -> None:
    """Withdraw one partner's authorisation from now on (events before stay accounted)."""
    ids = identity.resident_ids(session, [ref])
    current = repository.open_consents(session, list(ids.values()))
    codes = {code for code, pid in _partner_ids(session).items() if (ids.get(ref, -1), pid) in current}
    set_consents(session, {ref: codes - {partner_code}}, actor=actor, source="revoke", now=now)


def _partner_ids(session: Session) -> dict[str, int]:
    return {row.code: int(row.id) for row in repository.list_partners(session)}


# -- residents import --------------------------------------------------------------------------


@dataclass
class ResidentsImport:
    rows: int = 0
    residents_created: int = 0
    consents_granted: int = 0
    consents_revoked: int = 0
    errors: list[RowError] = field(default_factory=list)


def _resident_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    text = decode_text(path.read_bytes())
    reader = csv.DictReader(text.splitlines())
    header = [name.strip().lstrip("\ufeff") for name in (reader.fieldnames or [])]
    missing = [name for name in ("resident_ref", "partners") if name not in header]
    if missing:
        raise ResidentsFileInvalid(f"missing columns: {', '.join(missing)}", columns=missing)
    reader.fieldnames = header
    for row in reader:
        yield (
            reader.line_num,
            {key: (value or "").strip() for key, value in row.items() if isinstance(key, str)},
        )


def import_residents(
    session: Session, path: Path, *, actor: Actor, now: datetime | None = None
) -> ResidentsImport:
    """``seagreen residents import FILE``: register the refs and set each one's authorised partners.

    A row with a bad ref or an unknown partner code is reported (row, field, reason) and skipped;
    the other rows are applied. Running the same file again changes nothing."""
    report = ResidentsImport()
    known = _partner_ids(session)
    wanted: dict[str, set[str]] = {}
    for number, row in _rows_checked(_resident_rows(path), known, report):
        wanted[row[0]] = row[1]
        del number
    _, created = identity.ensure_resident_refs(session, list(wanted), actor=actor, source=path.name)
    change = set_consents(session, wanted, actor=actor, source=f"import:{path.name}", now=now)
    report.residents_created = created
    report.consents_granted, report.consents_revoked = change.granted, change.revoked
    return report


def _rows_checked(
    rows: Iterable[tuple[int, dict[str, str]]], known: dict[str, int], report: ResidentsImport
) -> Iterator[tuple[int, tuple[str, set[str]]]]:
    seen: dict[str, int] = {}
    for number, row in rows:
        report.rows += 1
        ref = row.get("resident_ref", "")
        codes = {code.lower() for code in row.get("partners", "").replace(",", " ").split()}
        if not ref:
            report.errors.append(RowError(number, "resident_ref", "missing"))
            continue
        if not identity.is_valid_resident_ref(ref):
            report.errors.append(RowError(number, "resident_ref", "invalid"))
            continue
        if ref in seen:
            report.errors.append(RowError(number, "resident_ref", "duplicate", f"of row {seen[ref]}"))
            continue
        unknown = sorted(codes - known.keys())
        if unknown:
            report.errors.append(RowError(number, "partners", "unknown_partner", " ".join(unknown)))
            continue
        seen[ref] = number
        yield number, (ref, codes)


@dataclass(frozen=True)
class IngestView:
    id: int
    source: str
    file_name: str
    status: str
    accepted: int
    duplicates: int
    conflicts: int
    rejected: int
    reduction_g: int
    credited_g: int
    points: int
    started_at_us: int
    partner_id: int = 0


def partner_ingests(session: Session, code: str | None, *, limit: int = 50) -> list[IngestView]:
    """A partner's ingests (all partners' with ``code=None``), newest first."""
    from seagreen.carbon_account.repository import ingests

    partner_id = None
    if code is not None:
        row = repository.partner_by_code(session, code)
        if row is None:
            return []
        partner_id = int(row.id)
    return [
        IngestView(
            int(r.id),
            r.source,
            r.file_name,
            r.status,
            int(r.accepted),
            int(r.duplicates),
            int(r.conflicts),
            int(r.rejected),
            int(r.reduction_g),
            int(r.credited_g),
            int(r.points),
            int(r.started_at_us),
            int(r.partner_id),
        )
        for r in ingests.list_ingests(session, partner_id, limit)
    ]
