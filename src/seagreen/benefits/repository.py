"""All SQL of benefits and redemptions.

Stock, a resident's limit per period and a benefit's monthly budget are taken by conditional
updates (``… WHERE stock_left > 0``) whose row count says whether they succeeded: under
concurrency the database serialises them on the row, so nothing is ever oversold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from seagreen.benefits.models import BenefitMonthRow, BenefitRow, LimitCounterRow, RedemptionRow

MONTH_COUNTERS = ("redemptions", "points", "spent_fen", "used", "expired", "refunded_points")


def _upsert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


# -- catalogue ----------------------------------------------------------------------------------


def benefit_by_code(session: Session, code: str) -> BenefitRow | None:
    return session.scalars(select(BenefitRow).where(BenefitRow.code == code)).first()


def benefit_by_id(session: Session, benefit_id: int) -> BenefitRow | None:
    return session.get(BenefitRow, benefit_id)


def list_benefits(session: Session, *, active_only: bool) -> list[BenefitRow]:
    query = select(BenefitRow).order_by(BenefitRow.position, BenefitRow.code)
    if active_only:
        query = query.where(BenefitRow.active.is_(True))
    return list(session.scalars(query))


def insert_benefit(session: Session, **values: Any) -> BenefitRow:
    row = BenefitRow(**values)
    session.add(row)
    session.flush()
    return row


def update_benefit(session: Session, benefit_id: int, **values: Any) -> None:
    session.execute(update(BenefitRow).where(BenefitRow.id == benefit_id).values(**values))
    session.expire_all()


def add_stock(session: Session, benefit_id: int, quantity: int) -> None:
    session.execute(
        update(BenefitRow)
        .where(BenefitRow.id == benefit_id, BenefitRow.stock_left.is_not(None))
        .values(stock_left=BenefitRow.stock_left + quantity)
    )


# -- the counters a redemption takes ---------------------------------------------------------------


def take_stock(session: Session, benefit_id: int) -> bool:
    """One unit of stock (always granted for unlimited stock); counts the redemption."""
    result = session.execute(
        update(BenefitRow)
        .where(
            BenefitRow.id == benefit_id,
            (BenefitRow.stock_left.is_(None)) | (BenefitRow.stock_left > 0),
        )
        .values(
            stock_left=BenefitRow.stock_left - 1,
            redeemed=BenefitRow.redeemed + 1,
        )
        .returning(BenefitRow.id)
    )
    return result.first() is not None


def give_back_stock(session: Session, benefit_id: int) -> None:
    session.execute(
        update(BenefitRow)
        .where(BenefitRow.id == benefit_id)
        .values(stock_left=BenefitRow.stock_left + 1, redeemed=BenefitRow.redeemed - 1)
    )


def take_limit(session: Session, resident_id: int, benefit_id: int, period: str, limit: int) -> bool:
    """One more of the resident's allowance in the period, if any is left."""
    statement = _upsert(session)(LimitCounterRow).values(
        resident_id=resident_id, benefit_id=benefit_id, period=period, used=1
    )
    statement = statement.on_conflict_do_update(
        index_elements=["resident_id", "benefit_id", "period"],
        set_={"used": LimitCounterRow.used + 1},
        where=LimitCounterRow.used < limit,
    )
    return session.execute(statement.returning(LimitCounterRow.used)).first() is not None


def give_back_limit(session: Session, resident_id: int, benefit_id: int, period: str) -> None:
    session.execute(
        update(LimitCounterRow)
        .where(
            LimitCounterRow.resident_id == resident_id,
            LimitCounterRow.benefit_id == benefit_id,
            LimitCounterRow.period == period,
            LimitCounterRow.used > 0,
        )
        .values(used=LimitCounterRow.used - 1)
    )


def used_in_period(session: Session, resident_id: int, periods: dict[int, str]) -> dict[int, int]:
    """``benefit -> redemptions counted`` in each benefit's current period for one resident."""
    if not periods:
        return {}
    rows = session.execute(
        select(LimitCounterRow.benefit_id, LimitCounterRow.period, LimitCounterRow.used).where(
            LimitCounterRow.resident_id == resident_id,
            LimitCounterRow.benefit_id.in_(list(periods)),
        )
    )
    return {int(b): int(used) for b, period, used in rows if periods.get(int(b)) == period}


def take_month(
    session: Session, benefit_id: int, month: int, points: int, cost_fen: int, budget_fen: int | None
) -> bool:
    """Count a redemption in the benefit's month, and take its cost from the monthly budget if
    the benefit has one (refused when the budget would be exceeded)."""
    statement = _upsert(session)(BenefitMonthRow).values(
        benefit_id=benefit_id,
        month=month,
        redemptions=1,
        points=points,
        spent_fen=cost_fen,
        used=0,
        expired=0,
        refunded_points=0,
    )
    where = None if budget_fen is None else BenefitMonthRow.spent_fen + cost_fen <= budget_fen
    statement = statement.on_conflict_do_update(
        index_elements=["benefit_id", "month"],
        set_={
            "redemptions": BenefitMonthRow.redemptions + 1,
            "points": BenefitMonthRow.points + points,
            "spent_fen": BenefitMonthRow.spent_fen + cost_fen,
        },
        where=where,
    )
    if budget_fen is not None and cost_fen > budget_fen:
        return False
    return session.execute(statement.returning(BenefitMonthRow.spent_fen)).first() is not None


def add_to_month(session: Session, benefit_id: int, month: int, **deltas: int) -> None:
    """Add to a benefit's month counters (negative to give back)."""
    values = {
        name: getattr(BenefitMonthRow, name) + deltas.get(name, 0)
        for name in MONTH_COUNTERS
        if name in deltas
    }
    if not values:
        return
    exists = session.execute(
        update(BenefitMonthRow)
        .where(BenefitMonthRow.benefit_id == benefit_id, BenefitMonthRow.month == month)
        .values(**values)
        .returning(BenefitMonthRow.month)
    ).first()
    if exists is None:
        session.execute(
            insert(BenefitMonthRow),
            [
                {
                    "benefit_id": benefit_id,
                    "month": month,
                    **{name: deltas.get(name, 0) for name in MONTH_COUNTERS},
                }
            ],
        )


def month_rows(session: Session, months: Sequence[int] | None = None) -> list[BenefitMonthRow]:
    query = select(BenefitMonthRow)
    if months is not None:
        query = query.where(BenefitMonthRow.month.in_(list(months)))
    return list(session.scalars(query.order_by(BenefitMonthRow.month, BenefitMonthRow.benefit_id)))


def spent_this_month(session: Session, benefit_ids: Sequence[int], month: int) -> dict[int, int]:
    if not benefit_ids:
        return {}
    rows = session.execute(
        select(BenefitMonthRow.benefit_id, BenefitMonthRow.spent_fen).where(
            BenefitMonthRow.benefit_id.in_(list(benefit_ids)), BenefitMonthRow.month == month
        )
    )
    return {int(b): int(s) for b, s in rows}


def totals_by_benefit(session: Session) -> dict[int, tuple[int, int, int, int, int]]:
    """``benefit -> (redemptions, points, used, expired, refunded points)`` over all months."""
    rows = session.execute(
        select(
            BenefitMonthRow.benefit_id,
            func.sum(BenefitMonthRow.redemptions),
            func.sum(BenefitMonthRow.points),
            func.sum(BenefitMonthRow.used),
            func.sum(BenefitMonthRow.expired),
            func.sum(BenefitMonthRow.refunded_points),
        ).group_by(BenefitMonthRow.benefit_id)
    )
    return {
        int(b): (int(r or 0), int(p or 0), int(u or 0), int(e or 0), int(f or 0)) for b, r, p, u, e, f in rows
    }


# -- redemptions ----------------------------------------------------------------------------------


def redemption_by_key(session: Session, request_key: str) -> RedemptionRow | None:
    return session.scalars(select(RedemptionRow).where(RedemptionRow.request_key == request_key)).first()


def redemption(session: Session, redemption_id: int, *, lock: bool = False) -> RedemptionRow | None:
    query = select(RedemptionRow).where(RedemptionRow.id == redemption_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def redemption_by_voucher(session: Session, voucher_hash: str, *, lock: bool = False) -> RedemptionRow | None:
    query = select(RedemptionRow).where(RedemptionRow.voucher_hash == voucher_hash)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def insert_redemption(session: Session, **values: Any) -> RedemptionRow:
    row = RedemptionRow(**values)
    session.add(row)
    session.flush()
    return row


def set_redemption(session: Session, redemption_id: int, **values: Any) -> None:
    session.execute(update(RedemptionRow).where(RedemptionRow.id == redemption_id).values(**values))
    session.expire_all()


def redemptions_of(
    session: Session, resident_id: int, *, limit: int, before_id: int | None
) -> list[RedemptionRow]:
    query = select(RedemptionRow).where(RedemptionRow.resident_id == resident_id)
    if before_id is not None:
        query = query.where(RedemptionRow.id < before_id)
    return list(session.scalars(query.order_by(RedemptionRow.id.desc()).limit(limit)))


def status_counts_of(session: Session, resident_id: int) -> dict[str, int]:
    rows = session.execute(
        select(RedemptionRow.status, func.count())
        .where(RedemptionRow.resident_id == resident_id)
        .group_by(RedemptionRow.status)
    )
    return {str(status): int(count) for status, count in rows}


def kinds_redeemed_by(session: Session, resident_id: int) -> dict[str, int]:
    """``benefit kind -> redemptions`` (issued or later) of one resident."""
    rows = session.execute(
        select(BenefitRow.kind, func.count())
        .select_from(RedemptionRow)
        .join(BenefitRow, BenefitRow.id == RedemptionRow.benefit_id)
        .where(
            RedemptionRow.resident_id == resident_id, RedemptionRow.status.in_(("issued", "used", "expired"))
        )
        .group_by(BenefitRow.kind)
    )
    return {str(kind): int(count) for kind, count in rows}


def stale_reservations(session: Session, before_us: int, limit: int) -> list[int]:
    return [
        int(i)
        for i in session.scalars(
            select(RedemptionRow.id)
            .where(RedemptionRow.status == "reserved", RedemptionRow.created_at_us < before_us)
            .order_by(RedemptionRow.id)
            .limit(limit)
        )
    ]


def vouchers_past_validity(session: Session, now_us: int, limit: int) -> list[int]:
    return [
        int(i)
        for i in session.scalars(
            select(RedemptionRow.id)
            .where(RedemptionRow.status == "issued", RedemptionRow.valid_until_us <= now_us)
            .order_by(RedemptionRow.valid_until_us, RedemptionRow.id)
            .limit(limit)
        )
    ]
