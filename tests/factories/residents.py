"""Builders for the residents' side: a resident with a phone, points and records; signed-in clients."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from seagreen.carbon_account import service as carbon
from seagreen.config import Settings
from seagreen.identity import service as identity
from seagreen.identity.domain import ResidentContact
from seagreen.identity.pii import PiiProtector
from seagreen.kit.keys import load_keys
from seagreen.residents.service import MemorySender
from tests.factories.carbon_account import make_partner, submit
from tests.factories.identity import TEST_ACTOR, unique


@dataclass(frozen=True)
class Resident:
    id: int
    ref: str
    phone: str


def pii_of(settings: Settings) -> PiiProtector:
    return PiiProtector.from_keys(load_keys(settings))


def make_phone_resident(session: Session, settings: Settings, phone: str | None = None) -> Resident:
    phone = phone or f"139{next(_numbers):08d}"
    resident, _ = identity.ensure_resident(
        session,
        phone=phone,
        contact=ResidentContact(name="测试居民", phone=phone),
        pii=pii_of(settings),
        actor=TEST_ACTOR,
    )
    return Resident(resident.id, resident.ref, phone)


_numbers = itertools.count(10_000_001)


def make_active_resident(session: Session, settings: Settings, *, trips: int = 12) -> Resident:
    """A resident with a phone, authorising a bus partner, with ``trips`` bus trips accounted
    (100 g each: ``trips`` points)."""
    carbon.load_shipped(session)
    partner = make_partner(session, unique("rb-"), "transit")
    resident = make_phone_resident(session, settings)
    carbon.set_consents(
        session,
        {resident.ref: {partner}},
        actor=TEST_ACTOR,
        source="tests",
        now=datetime.fromisoformat("2024-01-01T00:00:00+08:00"),
        revoke_others=False,
    )
    events = [
        {
            "event_id": f"{resident.ref}-t{n}",
            "resident_ref": resident.ref,
            "behaviour": "bus_trip",
            "quantity": "1",
            "occurred_at": f"2024-06-{1 + n % 9:02d}T{7 + n // 9:02d}:00:00+08:00",
        }
        for n in range(trips)
    ]
    submit(session, partner, events)
    return resident


def sign_in(client: TestClient, resident: Resident) -> str:
    """Sign a test client in as the resident through the API; return the CSRF token."""
    sender = MemorySender()
    client.app.state.code_sender = sender  # type: ignore[attr-defined]
    assert client.post("/api/v1/resident-login/code", json={"phone": resident.phone}).status_code == 200
    response = client.post(
        "/api/v1/resident-login/verify", json={"phone": resident.phone, "code": sender.sent[resident.phone]}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["csrf"])
