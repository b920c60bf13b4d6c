"""Redemption: reserve, issue, post; limits, stock and budgets; failures release everything."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from seagreen.benefits import service
from seagreen.benefits.domain import RedemptionStatus, normalise_voucher_code
from seagreen.benefits.errors import (
    BenefitUnavailable,
    BudgetExhausted,
    InsufficientPoints,
    LimitReached,
    OutOfStock,
    RedemptionConflict,
    RedemptionFailed,
    VoucherAlreadyUsed,
    VoucherExpired,
    VoucherInvalid,
    VoucherNotFound,
)
from seagreen.carbon_account.service.points import resident_account
from seagreen.ledger import service as ledger
from tests.factories.benefits import (
    VOUCHER_KEY,
    make_benefit,
    make_funded_resident,
    make_provider,
    transactions,
)
from tests.factories.identity import TEST_ACTOR

NOW = datetime.fromisoformat("2026-05-14T10:00:00+08:00")


@pytest.fixture()
def units(session_factory):
    return transactions(session_factory)


def redeem(units, resident_id: int, code: str, key: str, *, now: datetime = NOW, **kwargs):
    return service.redeem(
        units,
        resident_id=resident_id,
        benefit_code=code,
        request_key=key,
        key=VOUCHER_KEY,
        actor=TEST_ACTOR,
        now=now,
        **kwargs,
    )


def wallet(session, ref: str):
    return ledger.balance(session, resident_account(ref))


def test_a_redemption_takes_the_points_issues_a_voucher_and_counts_stock(session, units):
    benefit = make_benefit(session, price_points=20, stock=5)
    ref, rid = make_funded_resident(session, 50)
    view = redeem(units, rid, benefit.code, "k1")
    assert view.status is RedemptionStatus.ISSUED
    assert view.code is not None and normalise_voucher_code(view.code) == view.code
    assert view.valid_until == datetime.fromisoformat("2026-06-13T00:00:00+08:00")
    session.expire_all()
    balance = wallet(session, ref)
    assert (balance.net_credit, balance.debits_pending) == (30, 0)
    assert service.get_benefit(session, benefit.code).stock_left == 4
    provider = ledger.balance(session, service.provider_account(benefit.provider_code))
    assert provider.net_credit == 20
    assert ledger.verify(session).ok


def test_the_same_request_key_returns_the_first_redemption(session, units):
    benefit = make_benefit(session)
    ref, rid = make_funded_resident(session, 100)
    first = redeem(units, rid, benefit.code, "same")
    again = redeem(units, rid, benefit.code, "same")
    assert (again.id, again.code) == (first.id, first.code)
    session.expire_all()
    assert wallet(session, ref).net_credit == 80
    other = make_benefit(session, provider=benefit.provider_code)
    with pytest.raises(RedemptionConflict):
        redeem(units, rid, other.code, "same")


def test_without_enough_points_nothing_is_taken(session, units):
    benefit = make_benefit(session, price_points=20, stock=3)
    ref, rid = make_funded_resident(session, 19)
    with pytest.raises(InsufficientPoints):
        redeem(units, rid, benefit.code, "poor")
    session.expire_all()
    assert service.get_benefit(session, benefit.code).stock_left == 3
    assert wallet(session, ref).available == 19
    assert service.history(session, rid).redemptions == []


def test_the_per_resident_limit_counts_per_period(session, units):
    benefit = make_benefit(session, price_points=1, per_resident_limit=2, limit_period="month")
    _, rid = make_funded_resident(session, 10)
    redeem(units, rid, benefit.code, "a")
    redeem(units, rid, benefit.code, "b")
    with pytest.raises(LimitReached):
        redeem(units, rid, benefit.code, "c")
    # a new month, a new allowance
    redeem(units, rid, benefit.code, "d", now=datetime.fromisoformat("2026-06-01T09:00:00+08:00"))
    # another resident has an allowance of their own
    _, other = make_funded_resident(session, 10)
    redeem(units, other, benefit.code, "e")


def test_stock_runs_out(session, units):
    benefit = make_benefit(session, price_points=1, stock=1, per_resident_limit=5)
    _, rid = make_funded_resident(session, 10)
    redeem(units, rid, benefit.code, "a")
    with pytest.raises(OutOfStock):
        redeem(units, rid, benefit.code, "b")
    service.restock(session, benefit.code, 2, actor=TEST_ACTOR)
    redeem(units, rid, benefit.code, "c")


def test_a_subsidised_benefit_stops_when_the_months_budget_is_spent(session, units):
    benefit = make_benefit(
        session,
        price_points=20,
        stock=None,
        per_resident_limit=10,
        subsidised=True,
        unit_cost_fen=199,
        monthly_budget_fen=199 * 3,
    )
    _, rid = make_funded_resident(session, 500)
    for key in ("a", "b", "c"):
        redeem(units, rid, benefit.code, key)
    with pytest.raises(BudgetExhausted):
        redeem(units, rid, benefit.code, "d")
    assert service.get_benefit(session, benefit.code, now=NOW).budget_left_fen == 0
    # next month's budget is fresh
    redeem(units, rid, benefit.code, "e", now=datetime.fromisoformat("2026-06-02T09:00:00+08:00"))


def test_a_withdrawn_benefit_cannot_be_redeemed(session, units):
    benefit = make_benefit(session)
    _, rid = make_funded_resident(session, 100)
    service.update_benefit(session, benefit.code, active=False, actor=TEST_ACTOR)
    with pytest.raises(BenefitUnavailable):
        redeem(units, rid, benefit.code, "a")


def test_when_the_voucher_cannot_be_issued_the_reservation_is_voided(session, units):
    benefit = make_benefit(session, price_points=20, stock=2, per_resident_limit=1)
    ref, rid = make_funded_resident(session, 50)

    def provider_down(benefit, redemption_id, code):
        raise ConnectionError("provider system unreachable")

    with pytest.raises(RedemptionFailed):
        redeem(units, rid, benefit.code, "fails", hook=provider_down)
    session.expire_all()
    balance = wallet(session, ref)
    assert (balance.net_credit, balance.debits_pending, balance.available) == (50, 0, 50)
    assert service.get_benefit(session, benefit.code).stock_left == 2
    [failed] = service.history(session, rid).redemptions
    assert failed.status is RedemptionStatus.FAILED and "unreachable" in failed.failure
    # the allowance came back too: the limit of one still allows a redemption
    assert redeem(units, rid, benefit.code, "works").status is RedemptionStatus.ISSUED
    assert ledger.verify(session).ok


def test_a_reservation_never_issued_is_released_by_the_sweep(session, units):
    benefit = make_benefit(session, price_points=20, stock=2)
    ref, rid = make_funded_resident(session, 50)
    with units() as unit:
        service.reserve(
            unit, resident_id=rid, benefit_code=benefit.code, request_key="crash", actor=TEST_ACTOR, now=NOW
        )
    session.expire_all()
    assert wallet(session, ref).available == 30
    assert service.sweep_reservations(session, now=NOW + timedelta(minutes=5)) == 0
    assert service.sweep_reservations(session, now=NOW + timedelta(minutes=11)) == 1
    session.expire_all()
    assert wallet(session, ref).available == 50
    assert service.get_benefit(session, benefit.code).stock_left == 2


# -- vouchers ------------------------------------------------------------------------------------


def test_the_provider_confirms_a_voucher_once(session, units):
    benefit = make_benefit(session)
    _, rid = make_funded_resident(session, 100)
    view = redeem(units, rid, benefit.code, "v")
    typed = view.code.lower().replace("-", " ").replace("0", "o")
    check = service.check_voucher(session, typed, provider_code=benefit.provider_code)
    assert (check.status, check.benefit_code) == (RedemptionStatus.ISSUED, benefit.code)
    used = service.confirm_use(
        session, view.code, provider_code=benefit.provider_code, actor=TEST_ACTOR, now=NOW
    )
    assert used.status is RedemptionStatus.USED
    with pytest.raises(VoucherAlreadyUsed):
        service.confirm_use(
            session, view.code, provider_code=benefit.provider_code, actor=TEST_ACTOR, now=NOW
        )


def test_another_provider_cannot_see_or_use_a_voucher(session, units):
    benefit = make_benefit(session)
    _, rid = make_funded_resident(session, 100)
    view = redeem(units, rid, benefit.code, "v")
    other = make_provider(session)
    with pytest.raises(VoucherNotFound):
        service.confirm_use(session, view.code, provider_code=other, actor=TEST_ACTOR, now=NOW)
    with pytest.raises(VoucherInvalid):
        service.check_voucher(
            session, view.code[:-1] + ("0" if view.code[-1] != "0" else "1"), provider_code=other
        )


def test_an_unused_voucher_expires_and_is_refunded_if_the_benefit_says_so(session, units):
    refunded = make_benefit(session, price_points=20, validity_days=1, refund_on_expiry=True)
    kept = make_benefit(
        session, provider=refunded.provider_code, price_points=30, validity_days=1, refund_on_expiry=False
    )
    ref, rid = make_funded_resident(session, 100)
    first = redeem(units, rid, refunded.code, "a")
    redeem(units, rid, kept.code, "b")
    assert service.expire_vouchers(session, now=NOW + timedelta(hours=1)).expired == 0
    report = service.expire_vouchers(session, now=datetime.fromisoformat("2026-05-15T00:00:00+08:00"))
    assert (report.expired, report.refunded, report.points_refunded) == (2, 1, 20)
    assert wallet(session, ref).net_credit == 100 - 20 - 30 + 20
    with pytest.raises(VoucherExpired):
        service.confirm_use(
            session, first.code, provider_code=refunded.provider_code, actor=TEST_ACTOR, now=NOW
        )
    statuses = {
        r.benefit_code: (r.status, r.refunded_points) for r in service.history(session, rid).redemptions
    }
    assert statuses == {
        refunded.code: (RedemptionStatus.EXPIRED, 20),
        kept.code: (RedemptionStatus.EXPIRED, 0),
    }
    assert ledger.verify(session).ok


def test_a_voucher_past_its_validity_cannot_be_used_even_before_the_expiry_job(session, units):
    benefit = make_benefit(session, validity_days=1)
    _, rid = make_funded_resident(session, 100)
    view = redeem(units, rid, benefit.code, "a")
    with pytest.raises(VoucherExpired):
        service.confirm_use(
            session,
            view.code,
            provider_code=benefit.provider_code,
            actor=TEST_ACTOR,
            now=datetime.fromisoformat("2026-05-15T00:00:01+08:00"),
        )


def test_a_resident_sees_their_code_and_nobody_elses(session, units):
    benefit = make_benefit(session)
    _, rid = make_funded_resident(session, 100)
    _, other = make_funded_resident(session, 100)
    view = redeem(units, rid, benefit.code, "a")
    assert service.redemption_of(session, rid, view.id, key=VOUCHER_KEY).code == view.code
    from seagreen.benefits.errors import RedemptionNotFound

    with pytest.raises(RedemptionNotFound):
        service.redemption_of(session, other, view.id, key=VOUCHER_KEY)


def test_points_earned_through_the_api_and_not_yet_posted_can_be_spent_at_once(session, units):
    """The events API leaves its points owed for the app to post in rounds (decision 0035); a
    redemption posts the resident's owed points first, so what was earned can be spent at once."""
    from seagreen.carbon_account import service as carbon
    from tests.factories.carbon_account import event, make_partner, make_residents, submit

    carbon.load_shipped(session)
    make_partner(session, "bf-bus", "transit")
    make_residents(session, ["bf-earner"], ["bf-bus"])
    earned = submit(
        session, "bf-bus", [event(event_id="bf-t1", resident_ref="bf-earner", quantity="3")], settle=False
    )
    assert earned.points == 3 and len(earned.owed) == 1
    benefit = make_benefit(session, price_points=3)
    session.commit()
    view = redeem(units, earned.owed[0], benefit.code, "owed")
    assert view.status is RedemptionStatus.ISSUED
    session.expire_all()
    balance = wallet(session, "bf-earner")
    assert (balance.credits_posted, balance.net_credit) == (3, 0)
    assert ledger.verify(session).ok
