"""SQL of grade schemes and ranking snapshots."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from seagreen.carbon_account.lifecycle_models import GradeSchemeRow, RankingSnapshotRow
from seagreen.carbon_account.models import MonthTotalRow, ResidentTotalRow

KEEP_SNAPSHOTS = 10


def grade_schemes(session: Session) -> list[GradeSchemeRow]:
    return list(session.scalars(select(GradeSchemeRow).order_by(GradeSchemeRow.effective_from)))


def grade_scheme_by_code(session: Session, code: str) -> GradeSchemeRow | None:
    return session.scalars(select(GradeSchemeRow).where(GradeSchemeRow.code == code)).first()


def grade_scheme_on_date(session: Session, effective_from: Any) -> GradeSchemeRow | None:
    return session.scalars(
        select(GradeSchemeRow).where(GradeSchemeRow.effective_from == effective_from)
    ).first()


def insert_grade_scheme(session: Session, **values: Any) -> None:
    session.execute(insert(GradeSchemeRow), [values])


def credited_values(session: Session, batch: int = 100_000) -> Iterator[int]:
    """Every resident's credited grams, ascending (the ranking's distribution)."""
    result = session.execute(
        select(ResidentTotalRow.credited_g).order_by(ResidentTotalRow.credited_g),
        execution_options={"yield_per": batch},
    )
    for (value,) in result:
        yield int(value)


def quarter_credited_values(session: Session, months: list[int]) -> list[int]:
    """Each active resident's credited grams over the given months (the grades' calibration)."""
    rows = session.execute(
        select(func.sum(MonthTotalRow.credited_g))
        .where(MonthTotalRow.month.in_(months))
        .group_by(MonthTotalRow.resident_id)
    )
    return [int(value) for (value,) in rows]


def insert_snapshot(session: Session, **values: Any) -> None:
    session.execute(insert(RankingSnapshotRow), [values])
    keep = select(RankingSnapshotRow.id).order_by(RankingSnapshotRow.id.desc()).limit(KEEP_SNAPSHOTS)
    session.execute(delete(RankingSnapshotRow).where(RankingSnapshotRow.id.not_in(keep.scalar_subquery())))


def latest_snapshot(session: Session, metric: str) -> RankingSnapshotRow | None:
    return session.scalars(
        select(RankingSnapshotRow)
        .where(RankingSnapshotRow.metric == metric)
        .order_by(RankingSnapshotRow.id.desc())
        .limit(1)
    ).first()
