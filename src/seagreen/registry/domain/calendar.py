"""Working days (工作日) for public notices (公示): weekends, public holidays and the weekend days
that are worked instead (调休上班).

China's State Council publishes each year's holidays in the autumn before; a year the calendar
has no list for falls back to weekends only, and every notice records whether that happened
(``Notice.complete``), so a reviewer sees a deadline that may move.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from seagreen.registry.domain.receipts import sha256_hex

NOTICE_WORKING_DAYS = 7


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are worked. ``holidays`` are days off that would be working days; ``workdays``
    are weekend days worked instead; ``years`` are the years whose official lists are known."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    years: frozenset[int] = frozenset()
    version: str = "weekends-only"
    sources: tuple[str, ...] = field(default_factory=tuple)

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def covers(self, day: date) -> bool:
        return day.year in self.years

    def working_days_after(self, start: date, count: int) -> list[date]:
        """The ``count`` working days after ``start`` (``start`` itself not counted)."""
        days: list[date] = []
        day = start
        while len(days) < count:
            day += timedelta(days=1)
            if self.is_working_day(day):
                days.append(day)
        return days

    def working_days_between(self, first: date, last: date) -> int:
        """Working days from ``first`` to ``last``, both included."""
        count, day = 0, first
        while day <= last:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return count


@dataclass(frozen=True)
class Notice:
    """A public notice: published on ``published`` (a day that does not count), open for
    objections through ``last_day`` (the last of its working days)."""

    published: date
    last_day: date
    working_days: int
    calendar_version: str
    complete: bool  # every day of the window was in a year with an official holiday list

    def is_open(self, today: date) -> bool:
        return self.published <= today <= self.last_day

    def is_over(self, today: date) -> bool:
        return today > self.last_day


def notice_window(
    calendar: WorkingCalendar, published: date, working_days: int = NOTICE_WORKING_DAYS
) -> Notice:
    """The window of a notice published on ``published``: the next ``working_days`` working days."""
    days = calendar.working_days_after(published, working_days)
    last = days[-1]
    span = [published + timedelta(days=n) for n in range((last - published).days + 1)]
    return Notice(
        published=published,
        last_day=last,
        working_days=working_days,
        calendar_version=calendar.version,
        complete=all(calendar.covers(day) for day in span),
    )


class CalendarError(ValueError):
    """A holiday file that cannot be read (named problems, one per line)."""


def _dates(values: Iterable[object], where: str, problems: list[str]) -> list[date]:
    found = []
    for value in values:
        if isinstance(value, date):
            found.append(value)
        else:
            problems.append(f"{where}: {value!r} is not a date (write 2026-10-01 without quotes)")
    return found


def parse_calendar(content: bytes) -> WorkingCalendar:
    """Read a holiday file: one ``[years.YYYY]`` table per year with ``holidays`` (days off,
    weekends may be listed too) and ``workdays`` (weekend days worked), and its ``source``."""
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CalendarError(f"not a TOML file: {exc}") from exc
    problems: list[str] = []
    holidays: set[date] = set()
    workdays: set[date] = set()
    years: set[int] = set()
    sources: list[str] = []
    for year_text, body in (data.get("years") or {}).items():
        where = f"years.{year_text}"
        if not str(year_text).isdigit() or not isinstance(body, dict):
            problems.append(f"{where}: expected a table named by a year")
            continue
        year = int(year_text)
        years.add(year)
        if not body.get("source"):
            problems.append(f"{where}.source: name the official notice")
        sources.append(f"{year}: {body.get('source', '')}")
        for day in _dates(body.get("holidays", []), f"{where}.holidays", problems):
            if day.year != year and not (day.year == year - 1 and day.month == 12):
                problems.append(f"{where}.holidays: {day} is not in {year}")
            holidays.add(day)
        for day in _dates(body.get("workdays", []), f"{where}.workdays", problems):
            if day.weekday() < 5:
                problems.append(f"{where}.workdays: {day} is a weekday already")
            workdays.add(day)
    clash = holidays & workdays
    if clash:
        problems.append(f"days both off and worked: {', '.join(sorted(map(str, clash)))}")
    if problems:
        raise CalendarError("\n".join(problems))
    return WorkingCalendar(
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        years=frozenset(years),
        version=f"{data.get('code', 'holidays')}:{sha256_hex(content)[:12]}",
        sources=tuple(sources),
    )
