"""Benefits' pure rules: voucher codes, limit periods, the terms a benefit must meet, the states."""

from __future__ import annotations

from datetime import date, datetime

from hypothesis import given
from hypothesis import strategies as st

from seagreen.benefits.domain import (
    LimitPeriod,
    RedemptionStatus,
    can_move,
    check_terms,
    normalise_voucher_code,
    period_key,
    valid_until,
    voucher_code,
)
from tests.factories.benefits import terms

KEY = b"k" * 32


@given(st.integers(1, 10**9), st.text("0123456789abcdef", min_size=16, max_size=16))
def test_a_voucher_code_reads_back_however_a_cashier_types_it(redemption_id, nonce):
    code = voucher_code(KEY, redemption_id, nonce)
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert normalise_voucher_code(typed) == code


@given(st.integers(1, 10**6), st.integers(0, 11), st.sampled_from("0123456789ABCDEFGHJKMNPQRSTVWXYZ"))
def test_a_mistyped_character_is_caught_by_the_check_symbol(redemption_id, position, replacement):
    code = voucher_code(KEY, redemption_id, "nonce")
    body = code.replace("-", "")
    if body[position] == replacement:
        return
    typo = body[:position] + replacement + body[position + 1 :]
    assert normalise_voucher_code(typo) is None


def test_codes_depend_on_the_key_and_cannot_be_made_without_it():
    assert voucher_code(KEY, 7, "n") != voucher_code(b"x" * 32, 7, "n")
    assert normalise_voucher_code("ABCD-EFGH") is None


def test_limit_periods_name_the_period_of_a_day():
    day = date(2026, 1, 1)  # a Thursday in ISO week 1 of 2026
    assert period_key(LimitPeriod.DAY, day) == "2026-01-01"
    assert period_key(LimitPeriod.WEEK, day) == "2026-W01"
    assert period_key(LimitPeriod.MONTH, day) == "2026-01"
    assert period_key(LimitPeriod.QUARTER, date(2026, 5, 4)) == "2026-Q2"
    assert period_key(LimitPeriod.YEAR, day) == "2026"
    assert period_key(LimitPeriod.EVER, day) == "ever"


def test_a_voucher_is_valid_through_the_end_of_its_last_local_day():
    issued = datetime.fromisoformat("2026-05-14T23:30:00+08:00")
    assert valid_until(issued, 1) == datetime.fromisoformat("2026-05-15T00:00:00+08:00")
    assert valid_until(issued, 7) == datetime.fromisoformat("2026-05-21T00:00:00+08:00")


def test_terms_are_checked_field_by_field():
    assert check_terms(terms()) == []
    problems = dict(
        check_terms(terms(code="Bad Code", price_points=0, per_resident_limit=0, validity_days=0))
    )
    assert set(problems) == {"code", "price_points", "per_resident_limit", "validity_days"}
    assert "monthly_budget_fen" in dict(check_terms(terms(subsidised=True, unit_cost_fen=199)))
    assert "monthly_budget_fen" in dict(check_terms(terms(monthly_budget_fen=1000)))


def test_a_redemption_moves_only_forward():
    assert can_move(RedemptionStatus.RESERVED, RedemptionStatus.ISSUED)
    assert can_move(RedemptionStatus.ISSUED, RedemptionStatus.USED)
    assert not can_move(RedemptionStatus.USED, RedemptionStatus.EXPIRED)
    assert not can_move(RedemptionStatus.FAILED, RedemptionStatus.ISSUED)
