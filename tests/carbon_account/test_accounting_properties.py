"""Accounting properties (Hypothesis): order and batching do not matter, caps hold, floors are exact.

The reference model below recomputes everything from the issue's wording with fractions, with no
shared code beyond the catalogue objects.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from seagreen.carbon_account.domain import (
    LOCAL_TZ,
    AcceptedEvent,
    Totals,
    account,
    apply_reductions,
    check_event,
    sum_reductions,
)
from tests.factories.carbon_account import behaviour, methodology, version

V1 = version(
    "v1",
    date(2024, 1, 1),
    g_per_point=100,
    behaviours=[
        behaviour("bus_trip", "100", daily_cap_g=600),
        behaviour("walking_steps", "0.02", daily_cap_g=296, kinds=("transit",)),
        behaviour("electricity_saved_kwh", "536.6", monthly_cap_g=5000, kinds=("transit",)),
        behaviour("e_invoice", "5.5", daily_cap_g=25, monthly_cap_g=60, kinds=("transit",)),
        behaviour("recycling_kg", "3600", kinds=("transit",)),
    ],
)
V2 = version(  # starts mid-month with other factors, caps and points rate
    "v2",
    date(2024, 3, 16),
    g_per_point=50,
    behaviours=[
        behaviour("bus_trip", "120", daily_cap_g=400, monthly_cap_g=2000),
        behaviour("walking_steps", "0.03", daily_cap_g=300, kinds=("transit",)),
        behaviour("electricity_saved_kwh", "677.6", monthly_cap_g=4000, kinds=("transit",)),
        behaviour("e_invoice", "5", daily_cap_g=20, kinds=("transit",)),
        behaviour("recycling_kg", "3600", kinds=("transit",)),
    ],
)
CATALOGUE = methodology(V1, V2)
CODES = sorted(V1.behaviours)
FIRST_DAY = date(2024, 2, 25)
NOW = datetime(2024, 5, 1, tzinfo=UTC)

raw_events = st.lists(
    st.tuples(
        st.sampled_from(["r1", "r2", "r3"]),
        st.sampled_from(CODES),
        st.integers(min_value=1, max_value=9_999_999),  # thousandths: 0.001 … 9999.999
        st.integers(min_value=0, max_value=45),  # days after FIRST_DAY
        st.integers(min_value=0, max_value=86_399),  # second of the local day
    ),
    max_size=60,
)


def to_events(specs) -> list[AcceptedEvent]:
    events = []
    for number, (resident, code, thousandths, day, second) in enumerate(specs):
        local = datetime.combine(FIRST_DAY + timedelta(days=day), datetime.min.time(), LOCAL_TZ)
        moment = local + timedelta(seconds=second)
        quantity = f"{thousandths // 1000}.{thousandths % 1000:03d}"
        raw = {
            "event_id": f"e{number}",
            "resident_ref": resident,
            "behaviour": code,
            "quantity": quantity,
            "occurred_at": moment.isoformat(),
        }
        result = check_event(raw, partner_kind="transit", methodology=CATALOGUE, now=NOW, backfill_days=400)
        assert result.ok, result.errors
        events.append(result.event)
    return events


def reference(specs):
    """The issue's rules, written out plainly with fractions."""
    day_sums: dict[tuple, int] = defaultdict(int)
    reductions: dict[str, int] = defaultdict(int)
    for resident, code, thousandths, day_offset, _second in specs:
        day = FIRST_DAY + timedelta(days=day_offset)
        v = V2 if day >= V2.effective_from else V1
        factor = Fraction(v.behaviours[code].factor_g_per_unit)
        grams = (factor * Fraction(thousandths, 1000)).__floor__()
        day_sums[(resident, code, day, v.code)] += grams
        reductions[resident] += grams
    month_sums: dict[tuple, int] = defaultdict(int)
    for (resident, code, day, v_code), grams in day_sums.items():
        cap = (V1 if v_code == "v1" else V2).behaviours[code].daily_cap_g
        month_sums[(resident, code, (day.year, day.month), v_code)] += (
            grams if cap is None else min(grams, cap)
        )
    credited: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (resident, code, _month, v_code), grams in month_sums.items():
        cap = (V1 if v_code == "v1" else V2).behaviours[code].monthly_cap_g
        credited[resident][v_code] += grams if cap is None else min(grams, cap)
    rates = {"v1": V1.g_per_point, "v2": V2.g_per_point}
    return {
        resident: (
            reductions[resident],
            sum(credited[resident].values()),
            int(sum((Fraction(g, rates[v]) for v, g in credited[resident].items()), Fraction(0)) // 1),
        )
        for resident in reductions
    }


def summary(residents):
    return {r: (t.reduction_g, t.credited_g, t.points) for r, t in residents.items()}


@settings(max_examples=150, deadline=None)
@given(raw_events)
def test_accounting_matches_the_reference_model(specs):
    update = account(to_events(specs), CATALOGUE)
    assert summary(update.residents) == reference(specs)


@settings(max_examples=150, deadline=None)
@given(raw_events, st.randoms(use_true_random=False), st.lists(st.integers(0, 60), max_size=6))
def test_any_order_and_any_batching_give_the_same_state(specs, random, cuts):
    events = to_events(specs)
    whole = account(events, CATALOGUE)

    shuffled = list(events)
    random.shuffle(shuffled)
    bounds = sorted({0, len(shuffled), *(min(cut, len(shuffled)) for cut in cuts)})
    days, months, residents = {}, {}, {}
    delta_sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for start, end in pairwise(bounds):
        update = apply_reductions(
            Totals(days, months, residents), sum_reductions(shuffled[start:end]), CATALOGUE
        )
        days.update(update.days)
        months.update(update.months)
        residents.update(update.residents)
        for resident, delta in update.deltas.items():
            assert delta.reduction_g >= 0 and delta.credited_g >= 0 and delta.points >= 0
            sums = delta_sums[resident]
            sums[0] += delta.reduction_g
            sums[1] += delta.credited_g
            sums[2] += delta.points

    assert days == whole.days
    assert months == whole.months
    assert summary(residents) == summary(whole.residents)
    assert {r: tuple(s) for r, s in delta_sums.items()} == summary(whole.residents)


@settings(max_examples=150, deadline=None)
@given(raw_events)
def test_caps_are_never_exceeded(specs):
    update = account(to_events(specs), CATALOGUE)
    for key, total in update.days.items():
        cap = CATALOGUE.by_code(key.version).behaviours[key.behaviour].daily_cap_g
        assert total.credited_g <= total.reduction_g
        assert cap is None or total.credited_g <= cap
    for key, total in update.months.items():
        cap = CATALOGUE.by_code(key.version).behaviours[key.behaviour].monthly_cap_g
        assert total.credited_g <= total.day_credited_g
        assert cap is None or total.credited_g <= cap
    for total in update.residents.values():
        assert total.credited_g <= total.reduction_g
