"""SQL of a resident's own views: everything is read by the resident's id (or their ledger
accounts) through primary keys and indexes, so each view costs the same in a city of a million
residents as in a demo of a thousand.

The points flows are read from the ledger's journal rows of the resident's account (read only,
through the ledger's indexes on debit and credit account).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from seagreen.carbon_account.domain import capped, day_number, unpack_days
from seagreen.carbon_account.lifecycle import month_of_day_number
from seagreen.carbon_account.models import (
    BehaviourRow,
    ConsentRow,
    MonthTotalRow,
    PartnerRow,
    ResidentTotalRow,
)
from seagreen.identity.models import ResidentRow
from seagreen.ledger.models import LedgerAccount, LedgerTransfer

PENDING, POST, VOID, EXPIRE = 2, 4, 8, 16


def resident_total(session: Session, resident_id: int) -> tuple[int, int, int, int] | None:
    """``(reduction_g, credited_g, points, points_posted)`` or ``None`` without an account."""
    row = session.execute(
        select(
            ResidentTotalRow.reduction_g,
            ResidentTotalRow.credited_g,
            ResidentTotalRow.points,
            ResidentTotalRow.points_posted,
        ).where(ResidentTotalRow.resident_id == resident_id)
    ).first()
    return None if row is None else (int(row[0]), int(row[1]), int(row[2]), int(row[3]))


def resident_ref(session: Session, resident_id: int) -> str | None:
    return session.scalar(select(ResidentRow.ref).where(ResidentRow.id == resident_id))


def behaviours(session: Session) -> list[tuple[int, str, str, str, str, str, str]]:
    """Every behaviour row of every version: ``(id, code, name_zh, name_en, dimension, unit,
    partner kinds)`` (a few dozen rows per version)."""
    rows = session.execute(
        select(
            BehaviourRow.id,
            BehaviourRow.code,
            BehaviourRow.name_zh,
            BehaviourRow.name_en,
            BehaviourRow.dimension,
            BehaviourRow.unit,
            BehaviourRow.partner_kinds,
        )
    )
    return [(int(i), c, zh, en, d, u, k) for i, c, zh, en, d, u, k in rows]


def _days_of(session: Session, resident_id: int, before_month: int | None) -> list[tuple[int, int, int, int]]:
    """``(day, behaviour id, reduction_g, credited_g)`` of every day the resident's month rows
    hold (the days are packed in their month's row; a day's credit is its reduction capped by the
    behaviour's daily cap)."""
    query = (
        select(MonthTotalRow.month, MonthTotalRow.behaviour_id, MonthTotalRow.days, BehaviourRow.daily_cap_g)
        .join(BehaviourRow, BehaviourRow.id == MonthTotalRow.behaviour_id)
        .where(MonthTotalRow.resident_id == resident_id)
    )
    if before_month is not None:
        query = query.where(MonthTotalRow.month <= before_month)
    found = []
    for month, behaviour, packed, cap in session.execute(query):
        first = day_number(date(int(month) // 12, int(month) % 12 + 1, 1))
        for offset, reduction in enumerate(unpack_days(packed)):
            if reduction is not None:
                found.append((first + offset, int(behaviour), reduction, capped(reduction, cap)))
    return found


def day_rows(
    session: Session, resident_id: int, before_day: int | None, limit: int
) -> list[tuple[int, int, int, int]]:
    """``(day, behaviour id, reduction_g, credited_g)`` of the resident, newest day first."""
    before_month = None if before_day is None else month_of_day_number(before_day)
    days = _days_of(session, resident_id, before_month)
    if before_day is not None:
        days = [row for row in days if row[0] < before_day]
    days.sort(key=lambda row: (-row[0], row[1]))
    return days[:limit]


def day_sums(session: Session, resident_id: int) -> list[tuple[int, int, int]]:
    """``(day, behaviour id, reduction_g)`` of every day the resident has (for per-behaviour and
    per-month sums of the raw reduction)."""
    return [
        (day, behaviour, reduction) for day, behaviour, reduction, _ in _days_of(session, resident_id, None)
    ]


def month_rows(
    session: Session, resident_id: int, months: list[int] | None = None
) -> list[tuple[int, int, int]]:
    """``(month, behaviour id, credited_g)`` of the resident (some months only, if given)."""
    query = select(MonthTotalRow.month, MonthTotalRow.behaviour_id, MonthTotalRow.credited_g).where(
        MonthTotalRow.resident_id == resident_id
    )
    if months is not None:
        query = query.where(MonthTotalRow.month.in_(months))
    return [(int(m), int(b), int(c)) for m, b, c in session.execute(query)]


def consents(session: Session, resident_id: int) -> list[tuple[int, str, str, str, int, int | None]]:
    """``(partner id, code, kind, name, granted µs, revoked µs)`` of every consent, newest first."""
    rows = session.execute(
        select(
            PartnerRow.id,
            PartnerRow.code,
            PartnerRow.kind,
            PartnerRow.name,
            ConsentRow.granted_at_us,
            ConsentRow.revoked_at_us,
        )
        .join(PartnerRow, PartnerRow.id == ConsentRow.partner_id)
        .where(ConsentRow.resident_id == resident_id)
        .order_by(ConsentRow.granted_at_us.desc(), ConsentRow.id.desc())
    )
    return [(int(i), c, k, n, int(g), None if r is None else int(r)) for i, c, k, n, g, r in rows]


def account_id(session: Session, key: str) -> int | None:
    found = session.scalar(select(LedgerAccount.id).where(LedgerAccount.key == key))
    return None if found is None else int(found)


def inflows(session: Session, account: int, limit: int) -> list[tuple[int, str, int]]:
    """``(created µs, code, amount)`` of the plain postings into an account, newest first."""
    rows = session.execute(
        select(LedgerTransfer.created_at_us, LedgerTransfer.code, LedgerTransfer.amount)
        .where(
            LedgerTransfer.credit_account_id == account,
            LedgerTransfer.flags.op("&")(PENDING | POST | VOID | EXPIRE) == 0,
        )
        .order_by(LedgerTransfer.seq.desc())
        .limit(limit)
    )
    return [(int(at), str(code), int(amount)) for at, code, amount in rows]


def outflows(session: Session, account: int, limit: int) -> list[tuple[int, str, int]]:
    """``(created µs, code, amount)`` of the posted movements out of an account (plain postings
    and posted holds; a hold itself, its release and its expiry moved nothing), newest first."""
    rows = session.execute(
        select(LedgerTransfer.created_at_us, LedgerTransfer.code, LedgerTransfer.amount)
        .where(
            LedgerTransfer.debit_account_id == account,
            LedgerTransfer.flags.op("&")(PENDING | VOID | EXPIRE) == 0,
        )
        .order_by(LedgerTransfer.seq.desc())
        .limit(limit)
    )
    return [(int(at), str(code), int(amount)) for at, code, amount in rows]


def residents_with_account(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ResidentTotalRow)) or 0)


def partners_by_id(session: Session, partner_ids: list[int]) -> dict[int, tuple[str, str]]:
    """``partner id -> (code, name)``."""
    if not partner_ids:
        return {}
    rows = session.execute(
        select(PartnerRow.id, PartnerRow.code, PartnerRow.name).where(
            PartnerRow.id.in_(sorted(set(partner_ids)))
        )
    )
    return {int(i): (code, name) for i, code, name in rows}
