"""SQL of the monthly roll-up table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from seagreen.statistics.models import StatsMonthRow


def replace_months(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """The roll-up is recomputed whole: late events (the 90-day backfill) and voids can change
    past months, so every month is written again."""
    session.execute(delete(StatsMonthRow))
    if rows:
        session.execute(insert(StatsMonthRow), list(rows))


def months(session: Session) -> list[StatsMonthRow]:
    return list(session.scalars(select(StatsMonthRow).order_by(StatsMonthRow.month)))
