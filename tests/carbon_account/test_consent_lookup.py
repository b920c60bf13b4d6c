"""The real-time intake's one look-up of a request's residents and their consents to its partner."""

from __future__ import annotations

from datetime import UTC, datetime

from seagreen.audit.domain import Actor
from seagreen.carbon_account import service
from seagreen.carbon_account.repository import partners as partner_rows
from seagreen.identity import service as identity
from seagreen.kit.clock import to_micros

ACTOR = Actor.system("test")
JAN, FEB, MAR = (datetime(2024, month, 1, tzinfo=UTC) for month in (1, 2, 3))


def test_known_residents_and_only_their_consents_to_this_partner_with_every_interval(session):
    service.load_shipped(session)
    service.add_partner(session, "bus", kind="transit", name="Bus", actor=ACTOR)
    service.add_partner(session, "water", kind="utility", name="Water", actor=ACTOR)
    identity.ensure_resident_refs(session, ["A", "B", "C", "D"], actor=ACTOR)
    consent = {"actor": ACTOR, "source": "test"}
    service.set_consents(
        session, {"A": {"bus"}, "B": {"bus"}, "C": {"water"}, "D": set()}, now=JAN, **consent
    )
    service.set_consents(session, {"B": set()}, now=FEB, **consent)  # B revokes, then grants again
    service.set_consents(session, {"B": {"bus"}}, now=MAR, **consent)
    ids = identity.resident_ids(session, ["A", "B", "C", "D"])
    partner = partner_rows.partner_key(session, "bus")
    assert partner is not None
    bus = partner[0]

    found, consents = partner_rows.residents_and_consents(session, bus, ["B", "A", "nobody", "C", "A", "D"])

    assert found == ids  # every known ref once, the unknown one absent
    assert sorted(consents) == sorted(
        [
            (ids["A"], to_micros(JAN), None),
            (ids["B"], to_micros(JAN), to_micros(FEB)),
            (ids["B"], to_micros(MAR), None),
        ]
    )  # C consented to another partner only, D to none


def test_many_refs_are_looked_up_in_chunks(session):
    service.load_shipped(session)
    service.add_partner(session, "bus", kind="transit", name="Bus", actor=ACTOR)
    refs = [f"R{n}" for n in range(2_500)]
    identity.ensure_resident_refs(session, refs, actor=ACTOR)
    service.set_consents(session, {ref: {"bus"} for ref in refs[::2]}, actor=ACTOR, source="test", now=JAN)
    bus = partner_rows.partner_key(session, "bus")

    assert bus is not None and bus[1:3] == ("bus", "transit")
    found, consents = partner_rows.residents_and_consents(session, bus[0], refs)

    assert len(found) == 2_500
    assert sorted(resident for resident, _, _ in consents) == sorted(found[ref] for ref in refs[::2])
    assert partner_rows.partner_key(session, "nobody") is None
