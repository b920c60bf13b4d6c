"""Residents (居民): pseudonymous registration and audited lookup by phone or ID number."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import SYSTEM, Actor
from seagreen.identity import repository
from seagreen.identity.domain import (
    Resident,
    ResidentContact,
)
from seagreen.identity.errors import (
    InvalidIdentityInput,
    ResidentExists,
    ResidentNotFound,
)
from seagreen.identity.pii import PiiError, PiiProtector, new_resident_ref, normalise_phone
from seagreen.kit.clock import utcnow


def register_resident(
    session: Session,
    *,
    phone: str,
    contact: ResidentContact,
    pii: PiiProtector,
    national_id: str | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> Resident:
    """Register a resident under a random public reference.

    The phone and ID number are kept only as keyed hashes; the contact details (whose phone is
    the normalised number given here) only encrypted.
    """
    try:
        phone_hash = pii.phone_hash(phone)
        id_hash = pii.national_id_hash(national_id) if national_id else None
        contact = ResidentContact(
            name=contact.name.strip(), phone=normalise_phone(phone), address=contact.address.strip()
        )
    except PiiError as exc:
        raise InvalidIdentityInput(str(exc)) from exc
    existing = repository.resident_by(session, phone_hash=phone_hash)
    if existing is None and id_hash is not None:
        existing = repository.resident_by(session, national_id_hash=id_hash)
    if existing is not None:
        raise ResidentExists("a resident with this phone or ID number exists", ref=existing[0].ref)
    ref = new_resident_ref()
    while repository.resident_ref_taken(session, ref):
        ref = new_resident_ref()
    resident = repository.insert_resident(
        session,
        ref=ref,
        phone_hash=phone_hash,
        national_id_hash=id_hash,
        contact_encrypted=pii.encrypt_contact(contact),
        active=True,
        created_at=now or utcnow(),
    )
    audit.record(session, actor, "identity.resident.create", "resident", ref)
    return resident


def ensure_resident(
    session: Session,
    *,
    phone: str,
    contact: ResidentContact,
    pii: PiiProtector,
    national_id: str | None = None,
    actor: Actor = SYSTEM,
) -> tuple[Resident, bool]:
    """The resident with this phone number, registered if missing; ``True`` when registered."""
    try:
        found = repository.resident_by(session, phone_hash=pii.phone_hash(phone))
    except PiiError as exc:
        raise InvalidIdentityInput(str(exc)) from exc
    if found is not None:
        return found[0], False
    return (
        register_resident(
            session, phone=phone, contact=contact, pii=pii, national_id=national_id, actor=actor
        ),
        True,
    )


def find_resident(
    session: Session,
    *,
    pii: PiiProtector,
    actor: Actor,
    phone: str | None = None,
    national_id: str | None = None,
    reason: str = "",
) -> tuple[Resident, ResidentContact] | None:
    """Find a resident by phone or ID number and read their contact details.

    Reading personal data is itself recorded in the audit log, found or not.
    """
    try:
        if phone:
            found = repository.resident_by(session, phone_hash=pii.phone_hash(phone))
            by = "phone"
        elif national_id:
            found = repository.resident_by(session, national_id_hash=pii.national_id_hash(national_id))
            by = "national_id"
        else:
            raise InvalidIdentityInput("give a phone number or an ID number")
    except PiiError as exc:
        raise InvalidIdentityInput(str(exc)) from exc
    audit.record(
        session,
        actor,
        "identity.resident.lookup",
        "resident",
        found[0].ref if found else "",
        reason=reason,
        details={"by": by, "found": found is not None},
    )
    if found is None:
        return None
    resident, token = found
    return resident, pii.decrypt_contact(token)


def get_resident(session: Session, ref: str) -> Resident:
    found = repository.resident_by(session, ref=ref)
    if found is None:
        raise ResidentNotFound(f"no resident {ref!r}", ref=ref)
    return found[0]


RESIDENT_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}\Z")


def is_valid_resident_ref(ref: str) -> bool:
    """A pseudonymous reference: 1-64 letters, digits or ``_ . : -`` (never a phone or ID number)."""
    return bool(RESIDENT_REF.match(ref))


def ensure_resident_refs(
    session: Session, refs: Sequence[str], *, actor: Actor, source: str = "", now: datetime | None = None
) -> tuple[dict[str, int], int]:
    """Residents known only by a pseudonymous ref supplied by onboarding (no personal data).

    Returns every ref's resident id and how many residents were registered; one audit event
    records the registration of the whole set.
    """
    bad = [ref for ref in refs if not is_valid_resident_ref(ref)]
    if bad:
        raise InvalidIdentityInput(f"invalid resident refs: {', '.join(bad[:5])}", refs=bad[:20])
    wanted = list(dict.fromkeys(refs))
    found = repository.resident_ids_by_ref(session, wanted)
    missing = [ref for ref in wanted if ref not in found]
    if missing:
        repository.insert_ref_residents(session, missing, now or utcnow())
        found.update(repository.resident_ids_by_ref(session, missing))
        audit.record(
            session,
            actor,
            "identity.resident.register_refs",
            "resident",
            missing[0] if len(missing) == 1 else f"{len(missing)} residents",
            details={"count": len(missing), "source": source},
        )
    return found, len(missing)


def ensure_resident_ref(session: Session, ref: str, *, actor: Actor = SYSTEM) -> tuple[Resident, bool]:
    """The resident with this pseudonymous ref, registered (without personal data) if missing."""
    _, created = ensure_resident_refs(session, [ref], actor=actor)
    return get_resident(session, ref), created > 0


def resident_ids(session: Session, refs: Sequence[str]) -> dict[str, int]:
    """The ids of the known residents among ``refs`` (for modules that key their data by id)."""
    return repository.resident_ids_by_ref(session, refs)
