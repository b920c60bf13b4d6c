"""Voiding events through the real intake and ledger leaves a resident exactly where never having
sent them leaves another one: the same reductions, credited grams and points, and the ledger
balance equal to the points earned less what was spent (or owed)."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seagreen.carbon_account import service
from seagreen.carbon_account.service import lifecycle
from seagreen.carbon_account.service.lifecycle import VoidItem
from seagreen.carbon_account.service.points import resident_account
from seagreen.identity import service as identity
from seagreen.ledger import service as ledger
from seagreen.ledger.domain import TransferRequest
from tests.factories.carbon_account import INTAKE_NOW, make_partner, make_residents, submit
from tests.factories.identity import TEST_ACTOR

_runs = itertools.count()
# dense enough that the daily caps (bus 600 g, bike 500 g) and the monthly one (train tickets,
# 1,360 g) bite, so a void must give back credit that a cap had hidden
BEHAVIOURS = (
    ("bus_trip", "2"),
    ("bus_trip", "4"),
    ("shared_bike_km", "4.2"),
    ("online_train_ticket", "3"),
    ("online_train_ticket", "5"),
)

event = st.tuples(st.integers(1, 3), st.integers(6, 21), st.integers(0, len(BEHAVIOURS) - 1))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    events=st.lists(event, min_size=6, max_size=30),
    voided=st.sets(st.integers(0, 29)),
    spent=st.integers(0, 10),
)
def test_voids_leave_the_totals_and_points_of_never_having_sent_the_events(session, events, voided, spent):
    run = next(_runs)
    service.load_shipped(session)
    partner = make_partner(session, f"vp-bus-{run}", "transit")
    voiding, control = f"vp-a-{run}", f"vp-b-{run}"
    make_residents(session, [voiding, control], [partner])

    def raw(ref: str, numbers: list[int]) -> list[dict[str, str]]:
        out = []
        for n in numbers:
            day, hour, kind = events[n]
            behaviour, quantity = BEHAVIOURS[kind]
            out.append(
                {
                    "event_id": f"{ref}-{n}",
                    "resident_ref": ref,
                    "behaviour": behaviour,
                    "quantity": quantity,
                    "occurred_at": f"2024-06-0{day}T{hour:02d}:{n % 60:02d}:00+08:00",
                }
            )
        return out

    voided = {n for n in voided if n < len(events)}
    kept = [n for n in range(len(events)) if n not in voided]
    submit(session, partner, raw(voiding, list(range(len(events)))))
    submit(session, partner, raw(control, kept))
    earned_before = service.balances(session, [voiding])[0].points
    spend = min(spent, earned_before)
    if spend:
        ledger.open_accounts(session, [ledger.AccountSpec("vp:shop", "points")])
        ledger.post_or_raise(
            session, [TransferRequest(f"vp:{run}", resident_account(voiding), "vp:shop", spend, "redeem")]
        )
    lifecycle.void_events(
        session,
        partner_code=partner,
        items=[VoidItem(f"{voiding}-{n}") for n in sorted(voided)],
        actor=TEST_ACTOR,
        now=INTAKE_NOW,
    )
    mine = service.balances(session, [voiding])[0]
    theirs = service.balances(session, [control])
    expected = theirs[0] if theirs else None
    assert (mine.reduction_g, mine.credited_g, mine.points) == (
        (expected.reduction_g, expected.credited_g, expected.points) if expected else (0, 0, 0)
    )
    wallet = ledger.balances(session, [resident_account(voiding), lifecycle.debt_account(voiding)])
    held = wallet[resident_account(voiding)].net_credit if resident_account(voiding) in wallet else 0
    owed = lifecycle.outstanding_debt(wallet.get(lifecycle.debt_account(voiding)))
    assert held >= 0 and held - owed == mine.points - spend
    assert identity.resident_ids(session, [voiding])
