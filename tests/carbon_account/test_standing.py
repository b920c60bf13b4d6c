"""Grades, percentile rank and achievements: pure rules and the shipped scheme."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seagreen.carbon_account.service import standing as service
from seagreen.carbon_account.standing import (
    MIN_RANKED_POPULATION,
    Facts,
    Quarter,
    SchemeInvalid,
    achievements,
    calibrate,
    parse_scheme,
    percentile_beaten,
    quantiles,
    scheme_on,
    share_below,
)


def scheme_data(**overrides):
    data = {
        "code": "s1",
        "name": "scheme",
        "effective_from": date(2024, 1, 1),
        "tier": [
            {"code": "light", "name_zh": "浅绿", "name_en": "Light", "min_g": 10_000},
            {"code": "deep", "name_zh": "深绿", "name_en": "Deep", "min_g": 100_000},
        ],
    }
    data.update(overrides)
    return data


def test_a_grade_is_the_highest_tier_reached():
    scheme = parse_scheme(scheme_data())
    assert scheme.grade(9_999) is None
    assert scheme.grade(10_000).code == "light"
    assert scheme.grade(250_000).code == "deep"
    assert scheme.next_tier(50_000).code == "deep"


def test_a_scheme_with_problems_lists_each_one():
    with pytest.raises(SchemeInvalid) as raised:
        parse_scheme(
            scheme_data(
                code="",
                metric="yearly",
                tier=[
                    {"code": "a", "name_zh": "a", "name_en": "a", "min_g": 50},
                    {"code": "a", "name_zh": "b", "name_en": "b", "min_g": 10},
                ],
            )
        )
    problems = " ".join(raised.value.problems)
    assert "code: missing" in problems and "metric" in problems and "rise strictly" in problems
    assert "share a code" in problems


def test_the_scheme_in_force_is_the_latest_one_started():
    first = parse_scheme(scheme_data())
    second = parse_scheme(scheme_data(code="s2", effective_from=date(2025, 1, 1)))
    assert scheme_on([second, first], date(2024, 6, 1)) is first
    assert scheme_on([second, first], date(2025, 6, 1)) is second
    assert scheme_on([first], date(2023, 6, 1)) is None


def test_the_shipped_scheme_follows_the_light_medium_deep_green_tiers(session):
    service.load_shipped_grades(session)
    [scheme] = service.grade_schemes(session)
    assert [(t.name_zh, t.min_g) for t in scheme.tiers] == [
        ("浅绿", 10_000),
        ("中绿", 70_000),
        ("深绿", 115_000),
    ]
    assert "20%" in scheme.tiers[-1].financing_zh
    assert service.load_shipped_grades(session).startswith("carbon grade schemes: 0 loaded")


def test_quarters_know_their_months_and_neighbours():
    q = Quarter.of(date(2026, 2, 14))
    assert (str(q), q.first_day, q.last_day) == ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31))
    assert q.months == (2026 * 12, 2026 * 12 + 1, 2026 * 12 + 2)
    assert str(q.previous()) == "2025-Q4" and str(Quarter(2025, 4).next()) == "2026-Q1"


@given(st.lists(st.integers(0, 10**6), min_size=MIN_RANKED_POPULATION, max_size=400), st.integers(1, 10**6))
def test_the_percentile_is_close_to_the_true_share_below(values, mine):
    ordered = sorted(values)
    cuts = quantiles(ordered, 1000)
    true_share = sum(1 for v in ordered if v < mine) / len(ordered)
    assert abs(share_below(cuts, mine) - true_share) <= 0.02 + 1 / len(ordered)


def test_nobody_is_ranked_in_a_population_too_small_to_hide_anyone():
    cuts = quantiles(list(range(10)), 1000)
    assert percentile_beaten(cuts, 5, population=10) is None
    big = quantiles(list(range(1000)), 1000)
    assert percentile_beaten(big, 900, population=1000) == 90  # 900 of 1,000 credited less
    assert percentile_beaten(big, 0, population=1000) is None


def test_calibration_reads_thresholds_off_the_distribution():
    assert calibrate([v * 1000 for v in range(1, 101)], (0.5, 0.85)) == [51_000, 86_000]
    assert calibrate([], (0.5,)) == []


def test_achievements_come_from_the_residents_own_figures():
    earned = {
        a.code
        for a in achievements(Facts(credited_g=12_000, redemptions=1, donations=1, percentile=95))
        if a.earned
    }
    assert earned == {"first_step", "ten_kg", "first_redemption", "tree_planter", "top_tenth"}
    progress = {a.code: a.progress for a in achievements(Facts(credited_g=50_000))}
    assert progress["hundred_kg"] == 50
