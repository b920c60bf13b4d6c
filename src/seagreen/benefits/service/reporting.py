"""Figures of benefits for the programme statistics: per month and per benefit."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy.orm import Session

from seagreen.benefits import repository
from seagreen.benefits.service.catalogue import BenefitView, list_benefits


@dataclass(frozen=True)
class MonthFigures:
    redemptions: int
    points: int
    refunded_points: int
    used: int
    expired: int
    spent_fen: int


def monthly(session: Session) -> dict[int, MonthFigures]:
    """``month -> figures`` over every benefit (months as ``year * 12 + month - 1``)."""
    sums: dict[int, list[int]] = defaultdict(lambda: [0] * 6)
    for row in repository.month_rows(session):
        bucket = sums[int(row.month)]
        for index, value in enumerate(
            (row.redemptions, row.points, row.refunded_points, row.used, row.expired, row.spent_fen)
        ):
            bucket[index] += int(value)
    return {month: MonthFigures(*values) for month, values in sums.items()}


@dataclass(frozen=True)
class BenefitFigures:
    benefit: BenefitView
    redemptions: int
    points: int
    used: int
    expired: int
    refunded_points: int


def by_benefit(session: Session) -> list[BenefitFigures]:
    totals = repository.totals_by_benefit(session)
    out = []
    for benefit in list_benefits(session, active_only=False):
        redemptions, points, used, expired, refunded = totals.get(benefit.id, (0, 0, 0, 0, 0))
        out.append(BenefitFigures(benefit, redemptions, points, used, expired, refunded))
    return sorted(out, key=lambda figures: (-figures.redemptions, figures.benefit.position))
