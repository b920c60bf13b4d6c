"""Voids, reversal, debt and expiry on a real database, through the ledger."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from seagreen.carbon_account import service
from seagreen.carbon_account.errors import IntakeTooLarge, NotAPartner
from seagreen.carbon_account.lifecycle import ExpiryRule
from seagreen.carbon_account.service import lifecycle, views
from seagreen.carbon_account.service.lifecycle import VoidItem, VoidStatus
from seagreen.carbon_account.service.points import ISSUING_ACCOUNT, resident_account
from seagreen.identity import service as identity
from seagreen.ledger import service as ledger
from seagreen.ledger.domain import TransferRequest
from tests.factories.carbon_account import INTAKE_NOW, make_partner, make_residents, submit
from tests.factories.identity import TEST_ACTOR

SHOP = "test:shop"


def trips(
    ref: str, count: int, *, first_day: int = 1, prefix: str = "t", hour: int = 8
) -> list[dict[str, str]]:
    """One bus trip (100 g) a day at ``hour``, so that no daily cap bites."""
    return [
        {
            "event_id": f"{prefix}{n}",
            "resident_ref": ref,
            "behaviour": "bus_trip",
            "quantity": "1",
            "occurred_at": f"2024-06-{first_day + n:02d}T{hour:02d}:00:00+08:00",
        }
        for n in range(count)
    ]


@pytest.fixture()
def resident(session):
    service.load_shipped(session)
    make_partner(session, "lc-bus", "transit")
    make_residents(session, ["lc-r1"], ["lc-bus"])
    return "lc-r1"


def resident_id(session, ref: str) -> int:
    return identity.resident_ids(session, [ref])[ref]


def spend(session, ref: str, amount: int, key: str) -> None:
    ledger.open_accounts(session, [ledger.AccountSpec(SHOP, "points")])
    ledger.post_or_raise(session, [TransferRequest(key, resident_account(ref), SHOP, amount, "redeem")])


def wallet(session, ref: str) -> int:
    return ledger.balance(session, resident_account(ref)).net_credit


def debt(session, ref: str) -> int:
    balances = ledger.balances(session, [lifecycle.debt_account(ref)])
    return lifecycle.outstanding_debt(balances.get(lifecycle.debt_account(ref)))


def void(session, ids: list[str], partner: str = "lc-bus"):
    return lifecycle.void_events(
        session,
        partner_code=partner,
        items=[VoidItem(i, "refunded fare") for i in ids],
        actor=TEST_ACTOR,
        now=INTAKE_NOW,
    )


def test_a_void_takes_the_reduction_and_the_points_back_from_what_the_resident_holds(session, resident):
    submit(session, "lc-bus", trips(resident, 5))
    assert wallet(session, resident) == 5
    result = void(session, ["t0", "t1"])
    assert [line.status for line in result.lines] == [VoidStatus.VOIDED, VoidStatus.VOIDED]
    assert (result.reduction_g, result.credited_g, result.points_reversed, result.debt_points) == (
        200,
        200,
        2,
        0,
    )
    assert wallet(session, resident) == 3
    [balance] = service.balances(session, [resident])
    assert (balance.reduction_g, balance.credited_g, balance.points) == (300, 300, 3)
    assert ledger.verify(session).ok


def test_voiding_again_or_an_unknown_event_changes_nothing(session, resident):
    submit(session, "lc-bus", trips(resident, 3))
    void(session, ["t0"])
    again = void(session, ["t0", "nope", "", "t0"])
    assert [line.status for line in again.lines] == [
        VoidStatus.ALREADY_VOIDED,
        VoidStatus.NOT_FOUND,
        VoidStatus.INVALID,
        VoidStatus.ALREADY_VOIDED,
    ]
    assert again.points_reversed == 0
    assert wallet(session, resident) == 2


def test_points_already_spent_become_a_debt_that_the_next_earnings_repay_first(session, resident):
    rid = resident_id(session, resident)
    submit(session, "lc-bus", trips(resident, 10))
    spend(session, resident, 7, "spend-7")
    result = void(session, [f"t{n}" for n in range(5)])
    assert (result.points_reversed, result.debt_points) == (5, 2)
    assert (wallet(session, resident), debt(session, resident)) == (0, 2)

    # 3 more trips: the settlement absorbs them (points 8 <= 10 posted); the lifecycle gives
    # them back and repays the debt from them first
    submit(session, "lc-bus", trips(resident, 3, prefix="u", hour=18))
    assert wallet(session, resident) == 0
    assert lifecycle.adjust_resident(session, rid, now=INTAKE_NOW)
    assert (wallet(session, resident), debt(session, resident)) == (1, 0)

    # 4 more: points 12 > 10 posted, so the settlement posts 2 and the lifecycle reissues 2
    submit(session, "lc-bus", trips(resident, 4, first_day=4, prefix="w", hour=18))
    lifecycle.adjust_resident(session, rid, now=INTAKE_NOW)
    # earned 12 after the void, spent 7: 5 left, and nothing owed
    assert (wallet(session, resident), debt(session, resident)) == (5, 0)
    assert ledger.verify(session).ok
    flows = views.points(session, rid, rule=ExpiryRule(12), now=INTAKE_NOW)
    assert flows.flows["earned"] == 10 + 3 + 2 + 2
    assert flows.flows["reversed"] == 5
    assert flows.position.debt == 0


def test_a_balance_never_goes_negative_the_shortfall_is_a_recorded_debt(session, resident):
    submit(session, "lc-bus", trips(resident, 4))
    spend(session, resident, 4, "spend-all")
    void(session, ["t0", "t1", "t2", "t3"])
    assert wallet(session, resident) == 0
    assert debt(session, resident) == 4
    position = views.points_position(session, resident, rule=ExpiryRule(12), now=INTAKE_NOW)
    assert (position.balance, position.available, position.debt) == (0, 0, 4)


def test_a_void_under_a_daily_cap_removes_only_what_the_cap_no_longer_hides(session, resident):
    # 8 trips on one day: 800 g, credited 600 (daily cap), 6 points
    many = [
        {**trip, "occurred_at": f"2024-06-03T{8 + n:02d}:00:00+08:00"}
        for n, trip in enumerate(trips(resident, 8))
    ]
    submit(session, "lc-bus", many)
    assert wallet(session, resident) == 6
    result = void(session, ["t0", "t1"])
    assert (result.reduction_g, result.credited_g, result.points_reversed) == (200, 0, 0)
    result = void(session, ["t2"])
    assert (result.reduction_g, result.credited_g, result.points_reversed) == (100, 100, 1)
    assert wallet(session, resident) == 5


def test_only_a_partner_may_void_and_at_most_a_thousand_at_once(session, resident):
    with pytest.raises(NotAPartner):
        lifecycle.void_events(session, partner_code="nobody", items=[VoidItem("x")], actor=TEST_ACTOR)
    with pytest.raises(IntakeTooLarge):
        lifecycle.void_events(
            session, partner_code="lc-bus", items=[VoidItem(f"x{n}") for n in range(1001)], actor=TEST_ACTOR
        )


def test_a_partner_cannot_void_another_partners_event(session, resident):
    make_partner(session, "lc-other", "transit")
    make_residents(session, [resident], ["lc-other"])
    submit(session, "lc-bus", trips(resident, 1))
    result = void(session, ["t0"], partner="lc-other")
    assert result.lines[0].status is VoidStatus.NOT_FOUND
    assert wallet(session, resident) == 1


# -- expiry ---------------------------------------------------------------------------------------


def earn(session, ref: str, amount: int, at: datetime, key: str) -> None:
    ledger.open_accounts(
        session,
        [ledger.AccountSpec(ISSUING_ACCOUNT, "points"), lifecycle.resident_account_spec(ref)],
    )
    request = TransferRequest(key, ISSUING_ACCOUNT, resident_account(ref), amount, "earn")
    ledger.post_or_raise(session, [request], now_us=int(at.timestamp() * 1_000_000))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00")


def test_points_expire_first_in_first_out_at_the_end_of_the_twelfth_month(session, resident):
    earn(session, resident, 30, at("2024-01-10T10:00:00"), "e-jan")
    earn(session, resident, 20, at("2024-03-05T10:00:00"), "e-mar")
    earn(session, resident, 40, at("2024-06-20T10:00:00"), "e-jun")
    spend(session, resident, 35, "spend-35")  # all of January's and 5 of March's
    rule = ExpiryRule(12)

    assert lifecycle.expire_points(session, rule=rule, now=at("2025-01-31T23:00:00")).points == 0
    report = lifecycle.expire_points(session, rule=rule, now=at("2025-04-01T00:30:00"))
    assert (report.points, report.residents) == (15, 1)  # what is left of March's lot
    assert wallet(session, resident) == 40
    again = lifecycle.expire_points(session, rule=rule, now=at("2025-04-15T00:30:00"))
    assert again.points == 0
    soon = lifecycle.expiring(session, resident, rule=rule, now=at("2025-06-10T00:00:00"))
    assert (soon.points, soon.at) == (40, at("2025-07-01T00:00:00"))
    assert lifecycle.expire_points(session, rule=rule, now=at("2025-07-01T00:00:00")).points == 40
    assert wallet(session, resident) == 0
    assert ledger.verify(session).ok


def test_a_dry_run_reports_without_posting(session, resident):
    earn(session, resident, 10, at("2024-01-10T10:00:00"), "e-old")
    report = lifecycle.expire_points(
        session, rule=ExpiryRule(12), now=at("2025-03-01T00:00:00"), dry_run=True
    )
    assert (report.points, report.dry_run) == (10, True)
    assert wallet(session, resident) == 10


def test_points_reserved_by_a_pending_redemption_do_not_expire(session, resident):
    from seagreen.ledger.domain import TransferFlags

    earn(session, resident, 10, at("2024-01-10T10:00:00"), "e-old")
    ledger.open_accounts(session, [ledger.AccountSpec(SHOP, "points")])
    ledger.post_or_raise(
        session,
        [
            TransferRequest(
                "hold", resident_account(resident), SHOP, 4, "reserve", flags=TransferFlags.PENDING
            )
        ],
    )
    report = lifecycle.expire_points(session, rule=ExpiryRule(12), now=at("2025-03-01T00:00:00"))
    assert report.points == 6
    assert ledger.balance(session, resident_account(resident)).available == 0


def test_a_run_is_recorded_with_its_cutoff(session, resident):
    earn(session, resident, 10, at("2024-01-10T10:00:00"), "e-old")
    lifecycle.expire_points(session, rule=ExpiryRule(12), now=at("2025-03-01T00:00:00"))
    [run] = lifecycle.expiry_runs(session, 1)
    assert (run.points, run.residents, run.cutoff) == (10, 1, at("2024-03-01T00:00:00"))
    assert run.started_at - at("2025-03-01T00:00:00") < timedelta(seconds=1)
