"""The points lifecycle's pure rules: FIFO expiry against a lot-by-lot model, removing voided
events against accounting the remaining events from nothing, the reversal invariant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seagreen.carbon_account.domain import (
    LOCAL_TZ,
    AcceptedEvent,
    account,
    day_number,
    month_number,
)
from seagreen.carbon_account.lifecycle import (
    Caps,
    ExpiryRule,
    Removal,
    adjustment,
    debt_repayment,
    month_of_day_number,
    points_from_versions,
    remove_reductions,
    split_reversal,
    to_expire,
    unspent_before,
)
from tests.factories.carbon_account import behaviour, methodology, version

# -- expiry dates ---------------------------------------------------------------------------------


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


def test_points_earned_in_march_expire_at_the_end_of_march_a_year_later():
    rule = ExpiryRule(12)
    assert rule.expires_at(local("2025-03-15T10:00")) == local("2026-04-01T00:00")
    assert rule.expires_at(local("2025-03-31T23:59")) == local("2026-04-01T00:00")
    assert rule.expires_at(local("2025-04-01T00:00")) == local("2026-05-01T00:00")


def test_the_cutoff_on_any_day_of_a_month_is_the_start_of_that_month_a_year_and_a_day_earlier():
    rule = ExpiryRule(12)
    assert rule.cutoff(local("2026-04-01T00:00")) == local("2025-04-01T00:00")
    assert rule.cutoff(local("2026-04-30T23:00")) == local("2025-04-01T00:00")
    # the cutoff is in local time: 2026-03-31 16:30 UTC is already April in Weihai
    assert rule.cutoff(datetime(2026, 3, 31, 16, 30, tzinfo=UTC)) == local("2025-04-01T00:00")


@given(
    earned=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
    months=st.integers(1, 36),
)
def test_a_lot_has_expired_from_the_moment_its_expiry_comes_and_not_before(earned, months):
    rule = ExpiryRule(months)
    earned = earned.replace(tzinfo=LOCAL_TZ)
    expires = rule.expires_at(earned)
    assert expires is not None
    assert earned < rule.cutoff(expires)  # type: ignore[operator]
    assert not earned < rule.cutoff(expires - timedelta(microseconds=1))  # type: ignore[operator]


def test_a_rule_of_zero_months_never_expires_anything():
    rule = ExpiryRule(0)
    assert rule.cutoff(local("2030-01-01T00:00")) is None
    assert rule.next_expiry(local("2030-01-01T00:00")) is None
    with pytest.raises(ValueError):
        ExpiryRule(-1)


# -- FIFO expiry against a lot-by-lot model -------------------------------------------------------


@dataclass
class Lots:
    """The reference model: each earning is a lot; spending takes from the oldest lot first;
    expiry at a cutoff takes what is left of the lots earned before it."""

    lots: list[list[int]]  # [time, amount left]

    def earn(self, at: int, amount: int) -> None:
        self.lots.append([at, amount])

    def spend(self, amount: int) -> int:
        taken = 0
        for lot in sorted(self.lots, key=lambda lot: lot[0]):
            take = min(lot[1], amount - taken)
            lot[1] -= take
            taken += take
        return taken

    def expire(self, cutoff: int) -> int:
        taken = 0
        for lot in self.lots:
            if lot[0] < cutoff:
                taken += lot[1]
                lot[1] = 0
        return taken

    @property
    def balance(self) -> int:
        return sum(lot[1] for lot in self.lots)


operations = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), st.integers(1, 50)),
        st.tuples(st.just("spend"), st.integers(1, 60)),
        st.tuples(st.just("expire"), st.integers(0, 12)),
    ),
    max_size=60,
)


@settings(max_examples=400)
@given(operations)
def test_expiry_from_dated_totals_equals_expiring_lot_by_lot(ops):
    """With earnings dated and every outflow summed (spent, expired), ``max(0, earned before the
    cutoff - all outflows)`` is exactly what a lot-by-lot FIFO model expires, at every step."""
    model = Lots([])
    inflows: list[tuple[int, int]] = []  # (time, amount)
    outflows = 0
    cutoff = 0
    for clock, (op, value) in enumerate(ops, start=1):
        if op == "earn":
            model.earn(clock, value)
            inflows.append((clock, value))
        elif op == "spend":
            balance = sum(a for _, a in inflows) - outflows
            amount = min(value, balance)
            assert model.spend(amount) == amount
            outflows += amount
        else:
            cutoff = max(cutoff, clock - value)  # cutoffs only move forward, like time
            earned_before = sum(amount for at, amount in inflows if at < cutoff)
            available = sum(a for _, a in inflows) - outflows
            expired = to_expire(earned_before, outflows, available)
            assert expired == model.expire(cutoff)
            outflows += expired
        assert sum(a for _, a in inflows) - outflows == model.balance


def test_unspent_old_points_never_go_below_zero():
    assert unspent_before(100, 30) == 70
    assert unspent_before(100, 130) == 0
    assert to_expire(100, 30, available=50) == 50  # a reservation holds the rest
    with pytest.raises(ValueError):
        unspent_before(-1, 0)


# -- reversal and debt ----------------------------------------------------------------------------


def test_a_reversal_takes_what_the_resident_holds_and_records_the_rest_as_debt():
    split = split_reversal(8, available=5)
    assert (split.from_balance, split.as_debt, split.total) == (5, 3, 8)
    assert split_reversal(4, available=10).as_debt == 0
    assert split_reversal(4, available=-2).from_balance == 0


def test_the_next_points_earned_repay_a_debt_first():
    assert debt_repayment(available=10, outstanding=3) == 3
    assert debt_repayment(available=2, outstanding=3) == 2
    assert debt_repayment(available=0, outstanding=3) == 0


@settings(max_examples=300)
@given(st.lists(st.tuples(st.sampled_from(["earn", "void"]), st.integers(1, 40)), max_size=40))
def test_reversed_less_reissued_always_equals_the_posted_points_no_longer_earned(steps):
    """Model the settlement (posts points above points_posted, which never goes down) and the
    lifecycle's adjustment after each step: the resident's net posted points equal what they earn."""
    points = posted = reversed_points = reissued = 0
    for kind, amount in steps:
        if kind == "earn":
            points += amount
        else:
            points -= min(points, amount)
        if points > posted:
            posted = points  # the settlement
        delta = adjustment(points, posted, reversed_points, reissued)
        if delta > 0:
            reversed_points += delta
        else:
            reissued += -delta
        assert posted - reversed_points + reissued == points


# -- removing voided events -----------------------------------------------------------------------

CAPPED = methodology(
    version(
        "v1",
        date(2020, 1, 1),
        g_per_point=100,
        behaviours=[
            behaviour("bus_trip", "100", daily_cap_g=250),
            behaviour("bill", "89", monthly_cap_g=200, kinds=("utility",)),
            behaviour("walk", "7"),
        ],
    ),
    version(
        "v2",
        date(2024, 3, 16),
        g_per_point=40,
        behaviours=[behaviour("bus_trip", "120", daily_cap_g=300), behaviour("walk", "7", monthly_cap_g=50)],
    ),
)
DAYS = [date(2024, 3, 1) + timedelta(days=n) for n in range(0, 40, 3)]


@st.composite
def events(draw):
    count = draw(st.integers(1, 25))
    out = []
    for n in range(count):
        day = draw(st.sampled_from(DAYS))
        v = CAPPED.on(day)
        code = draw(st.sampled_from(sorted(v.behaviours)))
        quantity = Decimal(draw(st.integers(1, 4)))
        b = v.behaviours[code]
        out.append(
            AcceptedEvent(
                event_id=f"e{n}",
                resident_ref=draw(st.sampled_from(["r1", "r2"])),
                behaviour=code,
                quantity=quantity,
                occurred_at=datetime(day.year, day.month, day.day, 8, tzinfo=LOCAL_TZ),
                version=v.code,
                day=day,
                reduction_g=b.reduction_g(quantity),
                dedupe_key=None,
                attributes={},
            )
        )
    voided = draw(st.sets(st.integers(0, count - 1)))
    return out, voided


def _keyed(update):
    days = {
        (k.resident, (k.version, k.behaviour), day_number(k.day)): (v.reduction_g, v.credited_g)
        for k, v in update.days.items()
    }
    months = {
        (k.resident, (k.version, k.behaviour), month_number(k.month)): (v.day_credited_g, v.credited_g)
        for k, v in update.months.items()
    }
    return days, months


@settings(max_examples=300, deadline=None)
@given(events())
def test_removing_voided_events_gives_the_totals_of_the_remaining_events(drawn):
    all_events, voided = drawn
    before = account(all_events, CAPPED)
    after = account([e for n, e in enumerate(all_events) if n not in voided], CAPPED)
    days, months = _keyed(before)
    caps = {
        (v.code, code): Caps(b.daily_cap_g, b.monthly_cap_g)
        for v in CAPPED.versions
        for code, b in v.behaviours.items()
    }
    version_of = {key: key[0] for key in caps}
    removals = [
        Removal(
            e.resident_ref, (e.version, e.behaviour), day_number(e.day), month_number(e.day), e.reduction_g
        )
        for n, e in enumerate(all_events)
        if n in voided
    ]
    result = remove_reductions(removals, days, months, caps, version_of)
    expected_days, expected_months = _keyed(after)
    for key, value in result.days.items():
        assert value == expected_days.get(key, (0, 0))
    for key, value in result.months.items():
        assert value == expected_months.get(key, (0, 0))
    rates = {v.code: v.g_per_point for v in CAPPED.versions}
    for resident, total in before.residents.items():
        by_version = dict(total.credited_g_by_version)
        for version_code, grams in result.credited_removed.get(resident, {}).items():
            by_version[version_code] -= grams
        expected = after.residents.get(resident)
        assert points_from_versions(by_version, rates) == (expected.points if expected else 0)
        removed = result.reduction_removed.get(resident, 0)
        assert total.reduction_g - removed == (expected.reduction_g if expected else 0)


def test_removing_more_than_a_day_holds_is_refused():
    caps = {"b": Caps(None, None)}
    with pytest.raises(ValueError, match="removing"):
        remove_reductions([Removal("r", "b", 1, 0, 10)], {("r", "b", 1): (5, 5)}, {}, caps, {"b": "v"})


def test_day_numbers_map_to_their_month():
    assert month_of_day_number(day_number(date(2024, 2, 29))) == month_number(date(2024, 2, 1))
