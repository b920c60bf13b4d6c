"""Pure rules of a resident's standing: carbon grade (碳信用等级), percentile rank and achievements.

Carbon grade
    A grade scheme maps one figure, the credited grams of a local calendar quarter, to a tier.
    The default scheme follows the Weihai precedent (Wendeng Rural Commercial Bank's light /
    medium / deep green by quarterly reduction) with thresholds calibrated to this platform's
    own distribution (``data/grades/README.md``). Schemes are versioned and take effect on a date,
    like the behaviour catalogue.

Percentile rank
    "More than X % of residents": the share of residents whose figure is strictly below one's
    own, read from a snapshot of the distribution's quantiles. Only the share is ever shown; the
    quantiles stay on the server, and no rank is given in a population too small to hide anyone.

Achievements
    Badges computed from the resident's own figures only.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

QUARTER_CREDITED_G = "quarter_credited_g"
METRICS = (QUARTER_CREDITED_G,)
MIN_RANKED_POPULATION = 50
QUANTILES = 1000


# ---------------------------------------------------------------------------------------------
# Quarters
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1-4

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def months(self) -> tuple[int, int, int]:
        """The quarter's months as ``year * 12 + month - 1`` (how the totals tables key months)."""
        first = self.year * 12 + (self.number - 1) * 3
        return first, first + 1, first + 2

    @property
    def first_day(self) -> date:
        return date(self.year, (self.number - 1) * 3 + 1, 1)

    @property
    def last_day(self) -> date:
        following = self.next()
        return date.fromordinal(following.first_day.toordinal() - 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"


# ---------------------------------------------------------------------------------------------
# Grade schemes
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradeTier:
    """One grade: reached from ``min_g`` credited grams in the quarter."""

    code: str
    name_zh: str
    name_en: str
    min_g: int
    colour: str
    financing_zh: str
    financing_en: str


@dataclass(frozen=True)
class GradeScheme:
    code: str
    name: str
    effective_from: date
    metric: str
    tiers: tuple[GradeTier, ...]  # ascending by min_g
    basis_zh: str = ""
    basis_en: str = ""

    def grade(self, grams: int) -> GradeTier | None:
        """The highest tier whose threshold ``grams`` reaches; ``None`` below the first."""
        found = None
        for tier in self.tiers:
            if grams >= tier.min_g:
                found = tier
        return found

    def next_tier(self, grams: int) -> GradeTier | None:
        return next((tier for tier in self.tiers if grams < tier.min_g), None)

    def canonical(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "effective_from": self.effective_from.isoformat(),
            "metric": self.metric,
            "basis_zh": self.basis_zh,
            "basis_en": self.basis_en,
            "tiers": [tier.__dict__ for tier in self.tiers],
        }

    def content_hash(self) -> str:
        text = json.dumps(self.canonical(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


class SchemeInvalid(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_scheme(data: Mapping[str, Any]) -> GradeScheme:
    """A grade scheme from its TOML form (``data/grades/*.toml``); every problem is reported."""
    problems: list[str] = []
    code = str(data.get("code", "")).strip()
    if not code:
        problems.append("code: missing")
    effective = data.get("effective_from")
    if not isinstance(effective, date):
        problems.append("effective_from: not a date (YYYY-MM-DD)")
    metric = str(data.get("metric", QUARTER_CREDITED_G))
    if metric not in METRICS:
        problems.append(f"metric: unknown {metric!r} (one of {', '.join(METRICS)})")
    tiers: list[GradeTier] = []
    raw_tiers = data.get("tier") or []
    if not raw_tiers:
        problems.append("tier: a scheme needs at least one tier")
    for index, raw in enumerate(raw_tiers, start=1):
        try:
            min_g = int(raw["min_g"])
            tier = GradeTier(
                code=str(raw["code"]),
                name_zh=str(raw["name_zh"]),
                name_en=str(raw["name_en"]),
                min_g=min_g,
                colour=str(raw.get("colour", "#2e8b57")),
                financing_zh=str(raw.get("financing_zh", "")),
                financing_en=str(raw.get("financing_en", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"tier {index}: {exc}")
            continue
        if min_g < 0:
            problems.append(f"tier {index} ({tier.code}): min_g is negative")
        tiers.append(tier)
    thresholds = [tier.min_g for tier in tiers]
    if thresholds != sorted(set(thresholds)):
        problems.append("tier: thresholds must rise strictly from one tier to the next")
    if len({tier.code for tier in tiers}) != len(tiers):
        problems.append("tier: two tiers share a code")
    if problems:
        raise SchemeInvalid(problems)
    assert isinstance(effective, date)
    return GradeScheme(
        code=code,
        name=str(data.get("name", code)),
        effective_from=effective,
        metric=metric,
        tiers=tuple(tiers),
        basis_zh=str(data.get("basis_zh", "")),
        basis_en=str(data.get("basis_en", "")),
    )


def scheme_from_canonical(data: Mapping[str, Any]) -> GradeScheme:
    return GradeScheme(
        code=data["code"],
        name=data["name"],
        effective_from=date.fromisoformat(data["effective_from"]),
        metric=data["metric"],
        tiers=tuple(GradeTier(**tier) for tier in data["tiers"]),
        basis_zh=data.get("basis_zh", ""),
        basis_en=data.get("basis_en", ""),
    )


def scheme_on(schemes: Sequence[GradeScheme], day: date) -> GradeScheme | None:
    """The scheme in force on a day (the latest ``effective_from`` not after it)."""
    found = None
    for scheme in sorted(schemes, key=lambda s: s.effective_from):
        if scheme.effective_from <= day:
            found = scheme
    return found


def calibrate(values: Sequence[int], shares: Sequence[float]) -> list[int]:
    """Thresholds at the given shares of a distribution (e.g. the 40th, 75th and 93rd
    percentiles of last quarter's credited grams among active residents), rounded down to
    whole kilograms so that they read well."""
    ordered = sorted(values)
    if not ordered:
        return []
    out = []
    for share in shares:
        index = min(len(ordered) - 1, max(0, int(share * len(ordered))))
        out.append(ordered[index] // 1000 * 1000)
    return out


# ---------------------------------------------------------------------------------------------
# Percentile rank
# ---------------------------------------------------------------------------------------------


def quantiles(sorted_values: Sequence[int], count: int = QUANTILES) -> list[int]:
    """``count + 1`` values at evenly spaced ranks of an ascending sequence (its distribution)."""
    n = len(sorted_values)
    if n == 0:
        return []
    return [sorted_values[(n - 1) * i // count] for i in range(count + 1)]


def share_below(cuts: Sequence[int], value: int) -> float:
    """The estimated share (0-1) of the population whose value is strictly below ``value``."""
    if not cuts:
        return 0.0
    below = bisect.bisect_left(cuts, value)
    if below == 0:
        return 0.0
    if below >= len(cuts):
        return 1.0
    return (below - 0.5) / (len(cuts) - 1)


def percentile_beaten(cuts: Sequence[int], value: int, population: int) -> int | None:
    """ "More than X % of residents" as a whole percent, or ``None`` when the population is too
    small to rank without revealing others (or the resident has nothing yet)."""
    if population < MIN_RANKED_POPULATION or value <= 0:
        return None
    return max(0, min(99, int(share_below(cuts, value) * 100)))


# ---------------------------------------------------------------------------------------------
# Achievements
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """A resident's own figures that achievements read."""

    reduction_g: int = 0
    credited_g: int = 0
    dimensions: frozenset[str] = field(default_factory=frozenset)
    travel_credited_g: int = 0
    redemptions: int = 0
    donations: int = 0
    active_months: int = 0
    percentile: int | None = None


@dataclass(frozen=True)
class Achievement:
    code: str
    earned: bool
    progress: int  # 0-100
    target: int
    value: int


def _progress(value: int, target: int) -> int:
    return 100 if target <= 0 else max(0, min(100, value * 100 // target))


ACHIEVEMENT_TARGETS: tuple[tuple[str, str, int], ...] = (
    ("first_step", "credited_g", 1),
    ("ten_kg", "credited_g", 10_000),
    ("hundred_kg", "credited_g", 100_000),
    ("one_tonne", "credited_g", 1_000_000),
    ("green_traveller", "travel_credited_g", 5_000),
    ("all_rounder", "dimensions", 4),
    ("steady", "active_months", 3),
    ("first_redemption", "redemptions", 1),
    ("tree_planter", "donations", 1),
    ("top_tenth", "percentile", 90),
)


def achievements(facts: Facts) -> list[Achievement]:
    out = []
    for code, figure, target in ACHIEVEMENT_TARGETS:
        if figure == "dimensions":
            value = len(facts.dimensions)
        elif figure == "percentile":
            value = facts.percentile or 0
        else:
            value = int(getattr(facts, figure))
        out.append(Achievement(code, value >= target, _progress(value, target), target, value))
    return out
