"""Pure rules of the points lifecycle (积分生命周期): expiry, voided events, reversal and debt.

No I/O here; ``service/lifecycle.py`` applies these rules to the ledger and the totals tables.

Expiry (积分过期), first in, first out
    Points are earned in lots, one per ledger posting, dated by the posting. A lot expires at the
    end of the ``months``-th local month after the month it was earned (default 12: points earned
    in March 2025 expire at the end of March 2026). Spending always takes the oldest points first,
    so no lot table is needed: of the points earned before a cutoff, what is still unspent is
    ``max(0, earned_before_cutoff - everything that ever left the account)``.

Voided events (作废)
    A partner may void an event it reported. The event's reduction is removed from its day and
    month totals exactly as if it had never been accounted (same sums, same caps), and the
    resident's points are recomputed. Points already posted beyond the new total must come back:
    what the resident still holds is taken back at once, the rest is a recorded debt (欠分) that
    the next points earned settle before anything else.

The settlement (``service/points.py``) posts ``points - points_posted`` whenever the resident's
points exceed what was posted, under a key derived from the points total, so ``points_posted``
never goes down. After a void, earnings up to the old ``points_posted`` are therefore absorbed
(not posted). The invariant kept per resident is

    points reversed - points reissued == max(0, points_posted - points)

i.e. what the lifecycle took back, net of what it gave back, is exactly the part of the posted
points the resident no longer earns: a void raises the right-hand side (take back the
difference), later earnings lower it (reissue the difference).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Generic, TypeVar

from seagreen.carbon_account.domain import EPOCH_DAY, LOCAL_TZ, capped, month_number

DEFAULT_EXPIRY_MONTHS = 12
MAX_EXPIRY_MONTHS = 120

# ---------------------------------------------------------------------------------------------
# Expiry
# ---------------------------------------------------------------------------------------------


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_start(index: int) -> datetime:
    year, month = divmod(index, 12)
    return datetime.combine(date(year, month + 1, 1), time(0), tzinfo=LOCAL_TZ)


@dataclass(frozen=True)
class ExpiryRule:
    """Points expire at the end of the ``months``-th local month after the month they were
    earned; ``months = 0`` means points never expire."""

    months: int = DEFAULT_EXPIRY_MONTHS

    def __post_init__(self) -> None:
        if not 0 <= self.months <= MAX_EXPIRY_MONTHS:
            raise ValueError(f"the expiry period is 0 (never) to {MAX_EXPIRY_MONTHS} months")

    @property
    def never(self) -> bool:
        return self.months == 0

    def expires_at(self, earned_at: datetime) -> datetime | None:
        """The moment a lot earned at ``earned_at`` expires (the start of the following month)."""
        if self.never:
            return None
        month = _month_index(earned_at.astimezone(LOCAL_TZ).date())
        return _month_start(month + self.months + 1)

    def cutoff(self, now: datetime) -> datetime | None:
        """Lots earned before this moment have expired by ``now``; ``None`` when nothing expires."""
        if self.never:
            return None
        return _month_start(_month_index(now.astimezone(LOCAL_TZ).date()) - self.months)

    def next_expiry(self, now: datetime) -> tuple[datetime, datetime] | None:
        """``(when, cutoff)``: the next moment points expire (the start of next month) and the
        cutoff that will apply then."""
        if self.never:
            return None
        when = _month_start(_month_index(now.astimezone(LOCAL_TZ).date()) + 1)
        cutoff = self.cutoff(when)
        assert cutoff is not None
        return when, cutoff


def month_of_day_number(day: int) -> int:
    """The month number (``year * 12 + month - 1``) of a day number (days since 1970-01-01)."""
    return month_number(EPOCH_DAY + timedelta(days=day))


def day_of_day_number(day: int) -> date:
    return EPOCH_DAY + timedelta(days=day)


def points_from_versions(credited_by_version: Mapping[int, int], g_per_point: Mapping[int, int]) -> int:
    """``floor(Σ_v credited_v / g_per_point_v)`` exactly, as the intake computes a resident's points."""
    total = sum((Fraction(grams, g_per_point[v]) for v, grams in credited_by_version.items()), Fraction(0))
    return int(total // 1)


def unspent_before(earned_before_cutoff: int, outflows: int) -> int:
    """Of the points earned before a cutoff, how many are still unspent, first in first out:
    every outflow (spent, expired, taken back, reserved) used the oldest points first."""
    if earned_before_cutoff < 0 or outflows < 0:
        raise ValueError("amounts are never negative")
    return max(0, earned_before_cutoff - outflows)


def to_expire(earned_before_cutoff: int, outflows: int, available: int) -> int:
    """How many points an expiry run at a cutoff takes: the unspent old points, never more than
    the account holds (``available`` excludes points reserved by a pending redemption)."""
    return min(unspent_before(earned_before_cutoff, outflows), max(0, available))


# ---------------------------------------------------------------------------------------------
# Reversal and debt
# ---------------------------------------------------------------------------------------------


def reversal_target(points: int, points_posted: int) -> int:
    """How many of the posted points the resident no longer earns (what must be net reversed)."""
    return max(0, points_posted - points)


def adjustment(points: int, points_posted: int, reversed_points: int, reissued_points: int) -> int:
    """Positive: points to take back now; negative: points to give back (earnings absorbed by the
    settlement since the void); zero: the invariant holds."""
    return reversal_target(points, points_posted) - (reversed_points - reissued_points)


@dataclass(frozen=True)
class Reversal:
    """A reversal split into what the account still holds and what becomes a recorded debt."""

    from_balance: int
    as_debt: int

    @property
    def total(self) -> int:
        return self.from_balance + self.as_debt


def split_reversal(amount: int, available: int) -> Reversal:
    if amount < 0:
        raise ValueError("a reversal is never negative")
    taken = min(amount, max(0, available))
    return Reversal(taken, amount - taken)


def debt_repayment(available: int, outstanding: int) -> int:
    """Points that settle a debt now: future earnings pay the debt before anything else."""
    return max(0, min(available, outstanding))


# ---------------------------------------------------------------------------------------------
# Removing voided events from the totals
# ---------------------------------------------------------------------------------------------

R = TypeVar("R", bound=Hashable)  # a resident
B = TypeVar("B", bound=Hashable)  # a behaviour of one version (it knows its caps and version)
V = TypeVar("V", bound=Hashable)  # a catalogue version


@dataclass(frozen=True)
class Removal(Generic[R, B]):
    """One voided event's reduction, where it was accounted."""

    resident: R
    behaviour: B
    day: int
    month: int
    reduction_g: int


@dataclass(frozen=True)
class Caps:
    daily_cap_g: int | None
    monthly_cap_g: int | None


@dataclass
class RemovalResult(Generic[R, B, V]):
    """New day and month totals, and per resident the reduction removed and the credited grams
    removed per version (both as positive numbers)."""

    days: dict[tuple[R, B, int], tuple[int, int]]  # (reduction_g, credited_g)
    months: dict[tuple[R, B, int], tuple[int, int]]  # (day_credited_g, credited_g)
    reduction_removed: dict[R, int]
    credited_removed: dict[R, dict[V, int]]


def remove_reductions(
    removals: Iterable[Removal[R, B]],
    days: Mapping[tuple[R, B, int], tuple[int, int]],
    months: Mapping[tuple[R, B, int], tuple[int, int]],
    caps: Mapping[B, Caps],
    version_of: Mapping[B, V],
) -> RemovalResult[R, B, V]:
    """Take voided events' reductions out of the stored totals, with the caps applied as the
    intake applies them (``domain.apply_reductions``): the result equals accounting the remaining
    events from nothing. ``days`` and ``months`` hold the stored totals the removals touch."""
    removed: dict[tuple[R, B, int], int] = {}
    month_of: dict[tuple[R, B, int], int] = {}
    for item in removals:
        if item.reduction_g < 0:
            raise ValueError("a removed reduction is never negative")
        key = (item.resident, item.behaviour, item.day)
        removed[key] = removed.get(key, 0) + item.reduction_g
        month_of[key] = item.month
    new_days: dict[tuple[R, B, int], tuple[int, int]] = {}
    month_delta: dict[tuple[R, B, int], int] = {}
    reduction_removed: dict[R, int] = {}
    for key, grams in removed.items():
        resident, behaviour, _day = key
        reduction, credited = days.get(key, (0, 0))
        if grams > reduction:
            raise ValueError(f"removing {grams} g from a day total of {reduction} g ({key})")
        new_reduction = reduction - grams
        new_credited = capped(new_reduction, caps[behaviour].daily_cap_g)
        new_days[key] = (new_reduction, new_credited)
        month_key = (resident, behaviour, month_of[key])
        month_delta[month_key] = month_delta.get(month_key, 0) + new_credited - credited
        reduction_removed[resident] = reduction_removed.get(resident, 0) + grams
    new_months: dict[tuple[R, B, int], tuple[int, int]] = {}
    credited_removed: dict[R, dict[V, int]] = {}
    for month_key, delta in month_delta.items():
        resident, behaviour, _month = month_key
        day_credited, credited = months.get(month_key, (0, 0))
        new_day_credited = day_credited + delta
        if new_day_credited < 0:
            raise ValueError(f"month total below zero ({month_key})")
        new_credited = capped(new_day_credited, caps[behaviour].monthly_cap_g)
        new_months[month_key] = (new_day_credited, new_credited)
        by_version = credited_removed.setdefault(resident, {})
        version = version_of[behaviour]
        by_version[version] = by_version.get(version, 0) + credited - new_credited
    return RemovalResult(new_days, new_months, reduction_removed, credited_removed)
