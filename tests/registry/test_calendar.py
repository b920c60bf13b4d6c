"""Working days for the 7-working-day public notice: weekends, holidays and make-up working days."""

from __future__ import annotations

from datetime import date

import pytest

from seagreen.registry import service
from seagreen.registry.domain.calendar import CalendarError, WorkingCalendar, notice_window, parse_calendar

CALENDAR = service.working_calendar()


def test_the_2024_labour_day_holiday_and_its_make_up_saturday_are_counted():
    notice = notice_window(CALENDAR, date(2024, 4, 24))
    # 25, 26, Sun 28 (make-up), 29, 30, then May 1-5 off, 6, 7
    assert notice.last_day == date(2024, 5, 7)
    assert CALENDAR.working_days_between(date(2024, 4, 25), date(2024, 5, 7)) == 7
    assert notice.complete


def test_the_2026_national_day_week_pushes_a_notice_past_it():
    notice = notice_window(CALENDAR, date(2026, 9, 24))
    assert notice.last_day == date(2026, 10, 12)  # 28, 29, 30, Oct 8, 9, Sat 10 (make-up), 12


def test_an_ordinary_week_needs_nine_calendar_days():
    assert notice_window(CALENDAR, date(2026, 11, 27)).last_day == date(2026, 12, 8)


def test_a_year_without_a_published_list_counts_weekends_only_and_says_so():
    notice = notice_window(CALENDAR, date(2026, 12, 28))
    assert notice.last_day == date(2027, 1, 6)
    assert not notice.complete
    assert not CALENDAR.covers(date(2027, 1, 1))


def test_the_publication_day_itself_does_not_count():
    calendar = WorkingCalendar()
    notice = notice_window(calendar, date(2026, 11, 23), 1)  # a Monday
    assert notice.last_day == date(2026, 11, 24)
    assert notice.is_open(date(2026, 11, 24)) and notice.is_over(date(2026, 11, 25))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[years.2026]\nholidays = [2026-10-01]\n", "source"),
        ('[years.2026]\nsource = "x"\nworkdays = [2026-10-08]\n', "a weekday already"),
        (
            '[years.2026]\nsource = "x"\nholidays = [2026-10-10]\nworkdays = [2026-10-10]\n',
            "both off and worked",
        ),
        ('[years.2026]\nsource = "x"\nholidays = ["2026-10-01"]\n', "not a date"),
        ("not toml [", "not a TOML file"),
    ],
)
def test_a_bad_holiday_file_is_refused_with_the_reason(text, problem):
    with pytest.raises(CalendarError, match=problem):
        parse_calendar(text.encode())
