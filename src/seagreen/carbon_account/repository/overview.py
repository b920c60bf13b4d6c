"""SQL of the operator's overview page and of the demo's look-ups: read-only, aggregated."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from seagreen.carbon_account.models import BehaviourRow, EventRow, MonthTotalRow


def behaviour_totals(session: Session, limit: int) -> list[tuple[str, str, str, str, int, int]]:
    """``(code, name_zh, name_en, dimension, reduction_g, credited_g)`` per behaviour code (all
    versions together), largest reduction first."""
    reduction = func.sum(MonthTotalRow.reduction_g)
    rows = session.execute(
        select(
            BehaviourRow.code,
            func.max(BehaviourRow.name_zh),
            func.max(BehaviourRow.name_en),
            func.max(BehaviourRow.dimension),
            reduction,
            func.sum(MonthTotalRow.credited_g),
        )
        .join(BehaviourRow, BehaviourRow.id == MonthTotalRow.behaviour_id)
        .group_by(BehaviourRow.code)
        .order_by(reduction.desc(), BehaviourRow.code)
        .limit(limit)
    )
    return [(c, zh, en, d, int(r or 0), int(k or 0)) for c, zh, en, d, r, k in rows]


def known_event_ids(session: Session, partner_id: int, event_ids: Sequence[str]) -> set[str]:
    """The ids among ``event_ids`` this partner's events already have (accepted or duplicate)."""
    found: set[str] = set()
    unique = list(dict.fromkeys(event_ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        found.update(
            session.scalars(
                select(EventRow.event_id).where(
                    EventRow.partner_id == partner_id, EventRow.event_id.in_(chunk)
                )
            )
        )
    return found
