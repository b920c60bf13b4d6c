"""The pure rules of the personal carbon account: catalogue, event checks, accounting examples."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seagreen.carbon_account.domain import (
    DayKey,
    DayTotal,
    Methodology,
    MonthKey,
    MonthTotal,
    Reason,
    ResidentTotal,
    Totals,
    account,
    apply_reductions,
    attribute_text,
    check_event,
    check_new_version,
    decimal_text,
    epoch_micros,
    parse_catalogue,
    parse_occurred_at,
    parse_quantity,
    points_for,
    quantity_milli,
    reduction_g,
)
from tests.factories.carbon_account import behaviour, catalogue_row, event, methodology, version

NOW = datetime(2024, 6, 10, 4, 0, tzinfo=UTC)  # 12:00 in Weihai


def rows(*cells: dict[str, str]) -> list[tuple[int, dict[str, str | None]]]:
    return [(number, dict(row)) for number, row in enumerate(cells, start=2)]


# -- catalogue ------------------------------------------------------------------------------------


def test_parses_a_valid_catalogue_row():
    behaviours, errors = parse_catalogue(rows(catalogue_row(factor_g_per_unit="26.90", monthly_cap_g="")))
    assert errors == []
    (bus,) = behaviours
    assert bus.factor_g_per_unit == Decimal("26.9")
    assert bus.daily_cap_g == 600
    assert bus.monthly_cap_g is None
    assert {kind.value for kind in bus.partner_kinds} == {"transit", "clearing"}


def test_catalogue_errors_name_row_and_field_and_are_all_collected():
    _, errors = parse_catalogue(
        rows(
            catalogue_row(),
            catalogue_row(code="Bad Code", factor_g_per_unit="abc"),
            catalogue_row(code="bus_trip"),
            catalogue_row(code="x_ok", dimension="space", partner_kinds="transit airline", daily_cap_g="-5"),
            catalogue_row(code="y_ok", factor_status="estimate", method=""),
            catalogue_row(code="z_ok", daily_cap_g="600", monthly_cap_g="500", factor_g_per_unit="1.0000001"),
            catalogue_row(code="w_ok", name_en="", factor_g_per_unit="0"),
        )
    )
    found = {(error.row, error.field) for error in errors}
    assert (3, "code") in found and (3, "factor_g_per_unit") in found
    assert (4, "code") in found  # duplicate of row 2
    assert {(5, "dimension"), (5, "partner_kinds"), (5, "daily_cap_g")} <= found
    assert (6, "method") in found
    assert {(7, "monthly_cap_g"), (7, "factor_g_per_unit")} <= found
    assert {(8, "name_en"), (8, "factor_g_per_unit")} <= found
    assert not any(error.row == 2 for error in errors)


def test_empty_catalogue_is_an_error():
    behaviours, errors = parse_catalogue([])
    assert behaviours == [] and errors[0].reason == "no behaviours"


def test_first_version_may_start_in_the_past_later_ones_only_after_today():
    empty = Methodology()
    assert check_new_version("weihai-v1", "v1", date(2023, 1, 1), 100, empty, date(2024, 6, 10)) == []
    existing = methodology(version("weihai-v1", date(2023, 1, 1)))
    today = date(2024, 6, 10)
    assert check_new_version("weihai-v2", "v2", date(2024, 6, 11), 100, existing, today) == []
    assert check_new_version("weihai-v2", "v2", today, 100, existing, today)[0].field == "effective_from"
    assert check_new_version("weihai-v2", "v2", date(2022, 1, 1), 100, existing, today)[0].field == (
        "effective_from"
    )


def test_new_version_needs_a_fresh_code_a_name_and_a_positive_rate():
    existing = methodology(version("weihai-v1", date(2023, 1, 1)))
    errors = check_new_version("weihai-v1", " ", date(2030, 1, 1), 0, existing, date(2024, 6, 10))
    assert {error.field for error in errors} == {"code", "name", "g_per_point"}


def test_version_in_force_turns_at_local_midnight():
    v1 = version("v1", date(2023, 1, 1))
    v2 = version("v2", date(2024, 7, 1))
    catalogue = methodology(v1, v2)
    # 2024-06-30 23:59:59 in Weihai is 15:59:59 UTC; 16:00 UTC is already July 1st there.
    assert catalogue.at(datetime(2024, 6, 30, 15, 59, 59, tzinfo=UTC)) is v1
    assert catalogue.at(datetime(2024, 6, 30, 16, 0, tzinfo=UTC)) is v2
    assert catalogue.on(date(2022, 12, 31)) is None


def test_content_hash_covers_every_field_and_ignores_decimal_spelling():
    same = version(behaviours=[behaviour(factor="26.90")]).content_hash()
    assert same == version(behaviours=[behaviour(factor="26.9")]).content_hash()
    assert same != version(behaviours=[behaviour(factor="26.9", daily_cap_g=5)]).content_hash()
    assert same != version(g_per_point=10, behaviours=[behaviour(factor="26.9")]).content_hash()


# -- numbers and time ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factor", "quantity", "expected"),
    [
        ("100", "1", 100),
        ("26.9", "1.5", 40),  # 40.35
        ("0.02", "7250", 145),
        ("0.02", "49", 0),  # 0.98 floors to 0
        ("5.5", "0.001", 0),
        ("536.6", "3.333", 1788),  # 1788.4878
        ("2184", "0.999", 2181),  # 2181.816
        ("0.1", "3", 0),  # exactly 0.3, no binary-float surprise
        ("3", "0.1", 0),
        ("10", "0.1", 1),  # exactly 1.0 (a float product would give 1.0000000000000002 or 0.999…)
    ],
)
def test_reduction_is_the_exact_floor_of_factor_times_quantity(factor, quantity, expected):
    assert reduction_g(Decimal(factor), Decimal(quantity)) == expected


@given(
    factor=st.decimals(min_value=-(10**7), max_value=10**7, places=6, allow_nan=False, allow_infinity=False),
    quantity=st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False, allow_infinity=False),
)
def test_reduction_is_the_floor_of_the_exact_product(factor, quantity):
    assert reduction_g(factor, quantity) == math.floor(Fraction(factor) * Fraction(quantity))


@given(
    factor=st.decimals(min_value=0, max_value=10**7, places=6, allow_nan=False, allow_infinity=False),
    quantities=st.lists(
        st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False, allow_infinity=False), max_size=3
    ),
)
def test_a_behaviour_reduces_by_the_exact_floor_of_its_own_factor(factor, quantities):
    """A behaviour keeps its factor's integer fraction: every quantity, and a second behaviour with
    another factor, still get the exact floor of their own product."""
    first, other = behaviour(factor=factor), behaviour(factor=factor + 1)
    for quantity in quantities:
        assert first.reduction_g(quantity) == math.floor(Fraction(factor) * Fraction(quantity))
        assert other.reduction_g(quantity) == math.floor(Fraction(factor + 1) * Fraction(quantity))


def test_a_quantity_seen_before_gets_the_same_answer_and_int_and_text_are_not_confused():
    for _ in range(2):  # the second time from memory
        assert parse_quantity("1.2345") == (None, "too_many_decimals")
        assert parse_quantity(" 2.50 ") == (Decimal("2.50"), "")
        assert parse_quantity(0) == (None, "not_positive")
        assert parse_quantity("0") == (None, "not_positive")
    number, _ = parse_quantity(2)
    assert decimal_text(number) == "2" and parse_quantity(2)[0] is number
    assert parse_quantity(True) == (None, "not_a_number")  # a bool is an int, never remembered as 1


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("abc", "not_a_number"),
        ("NaN", "not_a_number"),
        ("Infinity", "not_a_number"),
        (True, "not_a_number"),
        ("0", "not_positive"),
        ("-1", "not_positive"),
        ("1.2345", "too_many_decimals"),
        ("1e-4", "too_many_decimals"),
        ("1000000001", "too_large"),
    ],
)
def test_rejected_quantities(value, reason):
    assert parse_quantity(value) == (None, reason)


@pytest.mark.parametrize(("value", "expected"), [(" 1.500 ", "1.5"), ("2", "2"), (3, "3"), (0.25, "0.25")])
def test_accepted_quantities(value, expected):
    number, reason = parse_quantity(value)
    assert reason == "" and decimal_text(number) == expected


def test_time_without_offset_is_weihai_local_time():
    moment, reason = parse_occurred_at("2024-06-01T08:00:00")
    assert reason == "" and moment == datetime(2024, 6, 1, 0, 0, tzinfo=UTC)
    assert parse_occurred_at("2024-06-01T08:00:00Z")[0] == datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
    assert parse_occurred_at("yesterday") == (None, "invalid_datetime")


# -- events ---------------------------------------------------------------------------------------


def check(raw, kind="transit", catalogue=None, now=NOW, backfill_days=90):
    return check_event(
        raw, partner_kind=kind, methodology=catalogue or methodology(), now=now, backfill_days=backfill_days
    )


def reasons(result):
    return {(error.field, error.reason) for error in result.errors}


def test_valid_event_is_accepted_with_its_reduction_day_and_version():
    result = check(event(quantity="3", occurred_at="2024-06-09T23:30:00+08:00"))
    assert result.ok
    accepted = result.event
    assert accepted.reduction_g == 300
    assert accepted.day == date(2024, 6, 9)
    assert accepted.version == "test-v1"


def test_each_missing_field_is_reported():
    result = check({"quantity": None})
    assert reasons(result) == {
        ("event_id", Reason.MISSING),
        ("resident_ref", Reason.MISSING),
        ("behaviour", Reason.MISSING),
        ("quantity", Reason.MISSING),
        ("occurred_at", Reason.MISSING),
    }


def test_unknown_behaviour_is_rejected():
    assert reasons(check(event(behaviour="metro_trip"))) == {("behaviour", Reason.UNKNOWN_BEHAVIOUR)}


def test_partner_kind_must_be_allowed_for_the_behaviour():
    assert reasons(check(event(), kind="bank")) == {("behaviour", Reason.PARTNER_KIND_NOT_ALLOWED)}


def test_bad_quantity_is_rejected():
    assert reasons(check(event(quantity="1.0005"))) == {("quantity", Reason.TOO_MANY_DECIMALS)}
    assert reasons(check(event(quantity="-2"))) == {("quantity", Reason.NOT_POSITIVE)}


def test_time_more_than_five_minutes_ahead_is_rejected():
    ahead = NOW + timedelta(minutes=5)
    assert check(event(occurred_at=ahead.isoformat())).ok
    too_far = NOW + timedelta(minutes=5, seconds=1)
    assert reasons(check(event(occurred_at=too_far.isoformat()))) == {("occurred_at", Reason.IN_FUTURE)}


def test_time_older_than_the_backfill_window_is_rejected():
    edge = NOW - timedelta(days=90)
    assert check(event(occurred_at=edge.isoformat())).ok
    old = edge - timedelta(seconds=1)
    assert reasons(check(event(occurred_at=old.isoformat()))) == {
        ("occurred_at", Reason.BEFORE_BACKFILL_WINDOW)
    }
    assert check(event(occurred_at=old.isoformat()), backfill_days=91).ok


def test_time_before_the_first_version_has_no_version_in_force():
    catalogue = methodology(version(effective_from=date(2024, 6, 5)))
    result = check(event(occurred_at="2024-06-04T23:59:00+08:00"), catalogue=catalogue)
    assert reasons(result) == {("occurred_at", Reason.NO_VERSION_IN_FORCE)}


def test_behaviour_is_judged_by_the_version_in_force_when_it_happened():
    v1 = version("v1", date(2024, 1, 1), behaviours=[behaviour("bus_trip")])
    v2 = version("v2", date(2024, 6, 1), behaviours=[behaviour("ferry_trip")])
    catalogue = methodology(v1, v2)
    assert check(event(behaviour="bus_trip", occurred_at="2024-05-31T22:00:00+08:00"), catalogue=catalogue).ok
    late = check(event(behaviour="bus_trip", occurred_at="2024-06-01T06:00:00+08:00"), catalogue=catalogue)
    assert reasons(late) == {("behaviour", Reason.UNKNOWN_BEHAVIOUR)}


def test_overlong_identifiers_are_rejected():
    assert reasons(check(event(event_id="x" * 129))) == {("event_id", Reason.TOO_LONG)}
    assert reasons(check(event(dedupe_key="k" * 257))) == {("dedupe_key", Reason.TOO_LONG)}


def test_an_event_is_kept_in_normalised_values_that_a_resend_is_compared_with():
    """A resend is compared with the stored event's columns (``repository.intake.same_content``):
    the quantity in thousandths and the instant, so ``1.50`` is ``1.5`` and an offset is a form."""
    first = check(event(quantity="1.50", occurred_at="2024-06-01T08:00:00+08:00")).event
    same = check(event(quantity="1.5", occurred_at="2024-06-01T00:00:00Z")).event
    other = check(event(quantity="2", occurred_at="2024-06-01T08:00:00+08:00")).event
    assert quantity_milli(first.quantity) == quantity_milli(same.quantity) == 1500
    assert epoch_micros(first.occurred_at) == epoch_micros(same.occurred_at)
    assert quantity_milli(other.quantity) != quantity_milli(first.quantity)


# -- accounting examples --------------------------------------------------------------------------


def accepted(catalogue, *specs, kind="transit"):
    events = []
    for number, (resident, code, quantity, when) in enumerate(specs):
        raw = event(event_id=f"e{number}", resident_ref=resident, behaviour=code, quantity=quantity)
        raw["occurred_at"] = when
        result = check(raw, kind=kind, catalogue=catalogue, now=datetime(2024, 7, 1, tzinfo=UTC))
        assert result.ok, result.errors
        events.append(result.event)
    return events


def test_daily_cap_limits_a_day_and_the_next_day_starts_afresh():
    catalogue = methodology(version(behaviours=[behaviour(daily_cap_g=250)]))
    events = accepted(
        catalogue,
        ("r1", "bus_trip", "1", "2024-06-01T08:00:00+08:00"),
        ("r1", "bus_trip", "1", "2024-06-01T12:00:00+08:00"),
        ("r1", "bus_trip", "1", "2024-06-01T23:59:59+08:00"),
        ("r1", "bus_trip", "1", "2024-06-02T00:00:00+08:00"),
    )
    update = account(events, catalogue)
    assert update.days[DayKey("r1", "bus_trip", date(2024, 6, 1), "test-v1")] == DayTotal(300, 250)
    assert update.days[DayKey("r1", "bus_trip", date(2024, 6, 2), "test-v1")] == DayTotal(100, 100)
    assert update.residents["r1"].reduction_g == 400
    assert update.residents["r1"].credited_g == 350
    assert update.residents["r1"].points == 3


def test_monthly_cap_applies_to_the_sum_of_daily_credited_grams():
    catalogue = methodology(version(behaviours=[behaviour(daily_cap_g=150, monthly_cap_g=400)]))
    specs = [("r1", "bus_trip", "2", f"2024-06-0{day}T08:00:00+08:00") for day in range(1, 5)]
    update = account(accepted(catalogue, *specs), catalogue)
    month = update.months[MonthKey("r1", "bus_trip", date(2024, 6, 1), "test-v1")]
    assert month == MonthTotal(day_credited_g=600, credited_g=400)
    assert update.residents["r1"].reduction_g == 800


def test_incremental_batch_returns_only_the_change():
    catalogue = methodology(version(behaviours=[behaviour(daily_cap_g=250)]))
    first = accepted(catalogue, ("r1", "bus_trip", "2", "2024-06-01T08:00:00+08:00"))
    second = accepted(catalogue, ("r1", "bus_trip", "2", "2024-06-01T09:00:00+08:00"))
    after_first = account(first, catalogue)
    totals = Totals(after_first.days, after_first.months, after_first.residents)
    delta = apply_reductions(totals, {key: 200 for key in after_first.days}, catalogue)
    assert after_first.deltas["r1"].credited_g == 200
    assert delta.deltas["r1"].reduction_g == 200
    assert delta.deltas["r1"].credited_g == 50  # only 50 g of room left under the daily cap
    assert delta.deltas["r1"].points == 0  # 250 g: still 2 points
    assert account(first + second, catalogue).residents["r1"] == delta.residents["r1"]


def test_version_starting_mid_month_opens_its_own_monthly_cap():
    v1 = version("v1", date(2024, 1, 1), behaviours=[behaviour(monthly_cap_g=300)])
    v2 = version("v2", date(2024, 6, 16), behaviours=[behaviour(monthly_cap_g=200)])
    catalogue = methodology(v1, v2)
    specs = [
        ("r1", "bus_trip", "5", "2024-06-10T08:00:00+08:00"),
        ("r1", "bus_trip", "5", "2024-06-20T08:00:00+08:00"),
    ]
    update = account(accepted(catalogue, *specs), catalogue)
    assert update.residents["r1"].credited_g_by_version == {"v1": 300, "v2": 200}


def test_points_use_each_versions_rate_without_losing_remainders():
    assert points_for({"v1": 150, "v2": 150}, {"v1": 100, "v2": 100}) == 3
    assert points_for({"v1": 150, "v2": 25}, {"v1": 100, "v2": 50}) == 2  # 1.5 + 0.5
    assert points_for({}, {}) == 0


def test_resident_totals_carry_the_credited_grams_per_version():
    total = ResidentTotal(reduction_g=500, credited_g_by_version={"v1": 120, "v2": 80}, points=2)
    assert total.credited_g == 200


def test_a_behaviour_missing_from_its_version_cannot_be_accounted():
    catalogue = methodology()
    with pytest.raises(ValueError, match="not in version"):
        apply_reductions(Totals(), {DayKey("r1", "ferry_trip", date(2024, 6, 1), "test-v1"): 10}, catalogue)


@given(st.datetimes(min_value=datetime(1985, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)))
def test_local_day_is_the_asia_shanghai_date(moment):
    from zoneinfo import ZoneInfo

    from seagreen.carbon_account.domain import local_day

    assert local_day(moment) == moment.astimezone(ZoneInfo("Asia/Shanghai")).date()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("K1", "K1"),
        (" 1 路 ", " 1 路 "),  # an attribute's text is kept as sent
        (True, "true"),
        (False, "false"),
        (3, "3"),
        (1.5, "1.5"),
        (1.0, "1.0"),
        (1e20, "1e+20"),
        (Decimal("1.50"), "1.5"),  # JSON Lines read 1.50 exactly; the API's parser gives 1.5
        (Decimal("1E+5"), "100000.0"),
        ({"b": [1, True], "a": None}, '{"a":null,"b":[1,true]}'),
        ([{"x": Decimal("0.10")}], '[{"x":0.1}]'),
        ({"站": "威海"}, '{"站":"威海"}'),
    ],
)
def test_an_attribute_value_has_one_text_whichever_channel_it_came_by(value, text):
    """The text is part of the event's content: a value sent by the API and by a file must give
    the same text, or a resend by the other channel is a conflict instead of a duplicate."""
    assert attribute_text(value) == text
    # the API's JSON parser and the JSON Lines reader see the same JSON number alike
    if isinstance(value, float):
        assert attribute_text(Decimal(json.dumps(value))) == text
