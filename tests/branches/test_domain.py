"""Pure rules: the indicator set and its form, scoring with provenance, the calendar, numbers,
the policy and who sees what."""

from __future__ import annotations

import copy
import tomllib
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from seagreen.branches.domain import (
    LOCAL_TZ,
    FieldKind,
    Policy,
    Viewer,
    appeal_deadline,
    deadline_day,
    end_of_local_day,
    first_report_year,
    format_fen,
    format_number,
    missing_reports,
    next_report_year,
    parse_form,
    parse_indicator_set,
    parse_number,
    parse_value,
    raw_of,
    reminder_stage,
    report_deadline,
    score,
)
from seagreen.branches.service import SHIPPED_DIR
from tests.factories.branches import GOOD_FORM

SHIPPED = SHIPPED_DIR / "weihai-gb-p1.toml"


def shipped_body() -> dict:
    with SHIPPED.open("rb") as handle:
        return tomllib.load(handle)


@pytest.fixture(scope="module")
def indicator_set():
    found, problems = parse_indicator_set(shipped_body())
    assert found is not None, problems
    return found


def values(**changes: str | list[str]) -> dict:
    return {**GOOD_FORM, **changes}


def scored(indicator_set, **changes):
    parsed, problems = parse_form(indicator_set, values(**changes), complete=True)
    assert not problems, problems
    return score(indicator_set, parsed)


# ---- the shipped set ----------------------------------------------------------------------------


def test_the_shipped_set_is_the_reference_proposal_marked_as_such(indicator_set):
    assert indicator_set.code == "weihai-gb-p1" and indicator_set.is_proposal
    assert "ESTIMATE" in SHIPPED.read_text(encoding="utf-8")
    assert [i.code for i in indicator_set.indicators] == [f"G{n}" for n in range(1, 7)] + [
        f"Q{n}" for n in range(1, 6)
    ]
    assert {i.code: i.weight for i in indicator_set.indicators} == {
        "G1": 20,
        "G2": 10,
        "G3": 15,
        "G4": 5,
        "G5": 10,
        "G6": 5,
        "Q1": 10,
        "Q2": 10,
        "Q3": 5,
        "Q4": 5,
        "Q5": 5,
    }
    assert {i.code for i in indicator_set.indicators if i.gate} == {"G1", "G2", "Q2"}
    assert (indicator_set.pass_mark, indicator_set.max_points) == (60, 100)
    assert all(i.basis for i in indicator_set.indicators)


def test_the_content_hash_is_stable_and_changes_with_any_weight(indicator_set):
    again, _ = parse_indicator_set(shipped_body())
    assert again is not None and again.content_hash() == indicator_set.content_hash()
    body = shipped_body()
    body["indicator"][0]["weight"] = 21
    changed, _ = parse_indicator_set(body)
    assert changed is not None and changed.content_hash() != indicator_set.content_hash()


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda b: b["indicator"][0]["rule"]["left"].update(ratio=["green_loans", "nowhere"]),
            "indicator G1",
        ),
        (lambda b: b["indicator"][0]["rule"].update(op="=>"), "op '=>'"),
        (lambda b: b["indicator"][1].update(code="G1"), "indicator codes repeat"),
        (lambda b: b.update(pass_mark=101), "above the 100 points"),
        (
            lambda b: b["field"][0].update(kind="money", options=[{"key": "a", "zh": "甲", "en": "A"}]),
            "options",
        ),
        (lambda b: b["field"][0].update(group="elsewhere"), "group 'elsewhere' is not declared"),
        (
            lambda b: b["indicator"][7]["rule"]["rules"][0].update(field="green_staff"),
            "yes needs a yes_no field",
        ),
        (lambda b: b["indicator"][6]["rule"].update(min=0), "'min' must be a whole number ≥ 1"),
        (lambda b: b.update(status="draft"), "status 'draft'"),
        (lambda b: b["indicator"][2]["rule"].update(kind="maximum"), "rule kind 'maximum'"),
    ],
)
def test_a_broken_set_is_refused_naming_where(edit, expected):
    body = copy.deepcopy(shipped_body())
    edit(body)
    found, problems = parse_indicator_set(body)
    assert found is None
    assert any(expected in str(problem) for problem in problems), problems


# ---- the form -----------------------------------------------------------------------------------


def _field(indicator_set, key):
    found = indicator_set.field(key)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("key", "raw", "value"),
    [
        ("loans_total", "1,234,567.8", 123456780),
        ("loans_total", " 12 ", 1200),
        ("loans_total", "0.05", 5),
        ("green_staff", "12", 12),
        ("loan_rate", "4.350", "4.35"),
        ("loan_rate", "0", "0"),
        ("green_department", "是", True),
        ("green_department", "no", False),
        ("product_lines", ["green_bond", "green_credit", "green_bond"], ["green_bond", "green_credit"]),
    ],
)
def test_values_are_read_exactly(indicator_set, key, raw, value):
    assert parse_value(_field(indicator_set, key), raw) == value


@pytest.mark.parametrize(
    ("key", "raw", "reason"),
    [
        ("loans_total", "12.345", "at most 2 decimals"),
        ("loans_total", "-5", "at most 2 decimals"),
        ("loans_total", "1e9", "at most 2 decimals"),
        ("loans_total", "", "missing"),
        ("green_staff", "2.5", "whole number"),
        ("loan_rate", "101", "between 0 and 100"),
        ("loan_rate", "4.12345", "4 decimals"),
        ("green_department", "maybe", "yes or no"),
        ("product_lines", ["green_credit", "crypto"], "not an option: crypto"),
    ],
)
def test_a_bad_value_says_why(indicator_set, key, raw, reason):
    with pytest.raises(ValueError, match=reason):
        parse_value(_field(indicator_set, key), raw)


def test_a_draft_may_be_incomplete_but_a_submission_names_every_missing_field(indicator_set):
    partial = {"loans_total": "100", "green_staff": "x"}
    parsed, problems = parse_form(indicator_set, partial, complete=False)
    assert parsed == {"loans_total": 10000, "product_lines": []}
    assert [(p.field, p.reason) for p in problems] == [("green_staff", "a whole number, e.g. 12")]
    _, problems = parse_form(indicator_set, partial, complete=True)
    missing = {p.field for p in problems if p.reason == "missing"}
    money_and_flags = {f.key for f in indicator_set.fields if f.kind is not FieldKind.CHOICES}
    assert missing == money_and_flags - {"loans_total", "green_staff"}


def test_stored_values_fill_the_form_again(indicator_set):
    parsed, _ = parse_form(indicator_set, GOOD_FORM, complete=True)
    again, problems = parse_form(indicator_set, raw_of(indicator_set, parsed), complete=True)
    assert not problems and again == parsed


def test_fen_show_as_yuan():
    assert format_fen(123456789) == "1,234,567.89"
    assert format_fen(5) == "0.05"
    assert format_fen(-100) == "-1.00"


# ---- scoring ---------------------------------------------------------------------------------------


def test_a_strong_branch_scores_every_point_with_each_check_written_out(indicator_set):
    result = scored(indicator_set)
    assert (result.points, result.passed, result.gates_met) == (100, True, True)
    g1 = result.result("G1")
    assert g1 is not None and g1.checks[0].relation == "70.00% ≥ 60.00%"
    g3 = result.result("G3")
    assert g3 is not None and g3.checks[0].relation == "25.00% > 11.11%"
    q3 = result.result("Q3")
    assert q3 is not None and [c.relation for c in q3.checks] == ["5 ≥ 3", "32.00 ≥ 20"]


@pytest.mark.parametrize(
    ("changes", "failing"),
    [
        ({"green_loans": "599999999.99", "green_loans_prev": "500000000"}, "G1"),
        ({"green_customers": "71"}, "G2"),
        ({"green_loans_prev": "700000000"}, "G3"),
        ({"green_new_loans": "192857142"}, "G4"),
        ({"green_npl": "5600001"}, "G5"),
        ({"green_loan_rate": "4.35"}, "G6"),
        ({"product_lines": ["green_credit"]}, "Q1"),
        ({"approval_channel": "no"}, "Q2"),
        ({"training_hours": "99"}, "Q3"),
        ({"es_veto": "no"}, "Q4"),
        ({"env_disclosure": "no"}, "Q5"),
    ],
)
def test_each_indicator_is_lost_on_its_own_threshold(indicator_set, changes, failing):
    result = scored(indicator_set, **changes)
    lost = [r.code for r in result.results if not r.met]
    assert lost == [failing]
    indicator = indicator_set.indicator(failing)
    assert result.points == 100 - indicator.weight
    assert result.passed is not indicator.gate


def test_exactly_at_a_threshold_is_met(indicator_set):
    # 600,000,000 of 1,000,000,000 is exactly 60 %; 72 of 120 customers is 60 %
    result = scored(indicator_set, green_loans="600000000", green_customers="72")
    assert result.result("G1").met and result.result("G2").met


def test_a_gate_fails_the_application_whatever_the_points(indicator_set):
    result = scored(indicator_set, separate_quota="no")
    assert result.points == 90 and not result.gates_met and not result.passed


def test_below_the_pass_mark_fails(indicator_set):
    result = scored(
        indicator_set,
        green_loans_prev="700000000",  # G3 -15
        green_npl="9000000",  # G5 -10
        green_loan_rate="5",  # G6 -5
        product_lines=[],  # Q1 -10
    )
    assert result.points == 60 and result.passed
    result = scored(
        indicator_set,
        green_loans_prev="700000000",
        green_npl="9000000",
        green_loan_rate="5",
        product_lines=[],
        env_disclosure="no",
    )
    assert result.points == 55 and not result.passed


def test_a_ratio_over_zero_is_not_met_and_says_so(indicator_set):
    result = scored(indicator_set, credit_customers="0", green_customers="0")
    g2 = result.result("G2")
    assert g2 is not None and not g2.met and "n/a (÷0)" in g2.checks[0].relation


def test_disputed_indicators_score_nothing_on_that_sheet(indicator_set):
    parsed, _ = parse_form(indicator_set, GOOD_FORM, complete=True)
    sheet = score(indicator_set, parsed, disputed=["Q1", "G4"])
    assert sheet.points == 85 and sheet.disputed == ("G4", "Q1") and sheet.passed
    assert score(indicator_set, parsed, disputed=["G1"]).passed is False
    with pytest.raises(ValueError, match="no such indicator: Z9"):
        score(indicator_set, parsed, disputed=["Z9"])


def test_a_score_carries_its_provenance_and_survives_storage(indicator_set):
    parsed, _ = parse_form(indicator_set, GOOD_FORM, complete=True)
    first, second = score(indicator_set, parsed), score(indicator_set, dict(reversed(list(parsed.items()))))
    assert first.inputs_hash == second.inputs_hash and first.set_hash == indicator_set.content_hash()
    assert type(first).from_dict(first.as_dict()) == first
    changed, _ = parse_form(indicator_set, values(green_staff="6"), complete=True)
    assert score(indicator_set, changed).inputs_hash != first.inputs_hash


# ---- the calendar -------------------------------------------------------------------------------------


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ)


def test_a_deadline_day_is_met_until_its_last_local_instant():
    deadline = end_of_local_day(date(2027, 3, 31))
    assert deadline == local(2027, 4, 1)
    assert deadline_day(deadline) == date(2027, 3, 31)
    assert report_deadline(2026) == deadline


def test_reports_are_due_from_the_year_after_recognition():
    recognised = local(2026, 6, 12, 10)
    assert first_report_year(recognised) == 2026
    assert missing_reports(recognised, [], local(2027, 3, 31, 23, 59)) == []
    assert missing_reports(recognised, [], local(2027, 4, 1)) == [2026]
    assert missing_reports(recognised, [2026], local(2028, 4, 2)) == [2027]
    assert missing_reports(recognised, [], local(2028, 4, 2)) == [2026, 2027]
    # the year is Weihai's: 1 January 01:00 in Weihai is still 31 December in UTC
    assert first_report_year(local(2027, 1, 1, 1)) == 2027


def test_the_next_report_is_the_one_due_at_the_coming_31_march():
    recognised = local(2025, 6, 12)
    assert next_report_year(recognised, local(2026, 3, 31, 12)) == 2025
    assert next_report_year(recognised, local(2026, 4, 1, 0, 1)) == 2026
    assert next_report_year(local(2026, 6, 1), local(2026, 7, 1)) == 2026


@pytest.mark.parametrize(
    ("now", "stage"),
    [
        (local(2027, 3, 1, 23, 59), None),
        (local(2027, 3, 2, 0, 0), 30),
        (local(2027, 3, 17, 23), 30),
        (local(2027, 3, 18, 0, 0), 14),
        (local(2027, 3, 29, 0, 0), 3),
        (local(2027, 3, 31, 23, 59), 3),
        (local(2027, 4, 1, 0, 0), None),
    ],
)
def test_reminders_come_in_stages_before_31_march(now, stage):
    assert reminder_stage(report_deadline(2026), now, (30, 14, 3)) == stage


def test_the_appeal_period_ends_after_the_last_local_day():
    revoked = local(2027, 4, 2, 16)
    assert appeal_deadline(revoked, 30) == local(2027, 5, 3)


# ---- numbers, policy, viewers ------------------------------------------------------------------


def test_recognition_numbers_have_one_documented_format():
    assert format_number("WHGB", 2026, 1) == "WHGB-2026-001"
    assert format_number("WHGB", 2026, 1234) == "WHGB-2026-1234"
    assert parse_number("WHGB-2026-017") == ("WHGB", 2026, 17)
    assert parse_number("whgb-2026-017") is None
    with pytest.raises(ValueError):
        format_number("wh gb", 2026, 1)
    with pytest.raises(ValueError):
        format_number("WHGB", 2026, 0)


def test_a_policy_names_its_lead_among_the_reviewing_authorities():
    Policy(authorities=("a", "b", "c"), lead_authority="b")
    for bad in (
        {"authorities": ("a", "a"), "lead_authority": "a"},
        {"authorities": ("a", "b"), "lead_authority": "z"},
        {"authorities": ("a",), "lead_authority": "a", "appeal_days": 0},
        {"authorities": ("a",), "lead_authority": "a", "number_prefix": "x"},
    ):
        with pytest.raises(ValueError):
            Policy(**bad)


def test_who_sees_and_acts_for_a_branch():
    bank = Viewer(org_code="b", bank="b")
    branch = Viewer(org_code="b-1", bank="b", branch="b-1")
    other = Viewer(org_code="c", bank="c")
    authority = Viewer(org_code="pbc", authority="pbc")
    reader = Viewer(org_code="ops", reader=True)
    nobody = Viewer()
    assert bank.acts_for("b", "b-1") and bank.acts_for("b", "b-2")
    assert branch.acts_for("b", "b-1") and not branch.acts_for("b", "b-2")
    assert not other.acts_for("b", "b-1") and not authority.acts_for("b", "b-1")
    assert bank.sees("b", "b-1", draft=True) and branch.sees("b", "b-1", draft=True)
    assert not branch.sees("b", "b-2") and not other.sees("b", "b-1")
    assert authority.sees("b", "b-1") and not authority.sees("b", "b-1", draft=True)
    assert reader.sees("b", "b-1") and not reader.sees("b", "b-1", draft=True)
    assert not nobody.sees("b", "b-1")


def test_decimal_arithmetic_is_exact_not_float(indicator_set):
    parsed, _ = parse_form(
        indicator_set,
        values(loans_total="3", green_loans="1.8", green_customers="3", credit_customers="5"),
        complete=True,
    )
    result = score(indicator_set, parsed)
    assert result.result("G1").checks[0].relation == "60.00% ≥ 60.00%"
    assert result.result("G1").met
    assert Decimal("0.1") + Decimal("0.2") == Decimal("0.3")  # the reason the module avoids floats


def test_every_hour_of_the_last_day_is_still_on_time():
    for hour in range(24):
        assert local(2027, 3, 31, hour) < report_deadline(2026)
    assert local(2027, 3, 31, 23) + timedelta(hours=1) == report_deadline(2026)
