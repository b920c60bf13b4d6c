"""SQL of the programme statistics and of partner administration: aggregates over the carbon
account's tables, the registered residents (identity's table, read only) and the points moved
through the platform's own ledger accounts (the ledger's tables, read only).

The live figures read a handful of rows or one pass over the per-resident totals; the monthly
series is computed by the roll-up job (``seagreen stats refresh``), not on a page.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from seagreen.carbon_account.lifecycle_models import EventVoidRow
from seagreen.carbon_account.models import ConsentRow, IngestRow, MonthTotalRow, ResidentTotalRow
from seagreen.identity.models import ResidentRow
from seagreen.ledger.models import LedgerAccount, LedgerTransfer

DAY_US = 86_400_000_000
LOCAL_OFFSET_US = 8 * 3_600_000_000  # Asia/Shanghai has no daylight saving


def registered_residents(session: Session, before: datetime | None = None) -> int:
    query = select(func.count()).select_from(ResidentRow)
    if before is not None:
        query = query.where(ResidentRow.created_at < before)
    return int(session.scalar(query) or 0)


def resident_totals(session: Session) -> tuple[int, int, int]:
    """``(residents with an account, Σ reduction_g, Σ credited_g)``: one pass over the totals."""
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(ResidentTotalRow.reduction_g), 0),
            func.coalesce(func.sum(ResidentTotalRow.credited_g), 0),
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def account_totals(session: Session, keys: list[str]) -> dict[str, tuple[int, int]]:
    """``key -> (debits posted, credits posted)`` of some ledger accounts."""
    rows = session.execute(
        select(LedgerAccount.key, LedgerAccount.debits_posted, LedgerAccount.credits_posted).where(
            LedgerAccount.key.in_(keys)
        )
    )
    return {key: (int(d), int(c)) for key, d, c in rows}


def prefix_end(prefix: str) -> str:
    """The first string after every string that starts with ``prefix`` (a range the key's index
    answers; ``LIKE 'p%'`` cannot use it under SQLite's case-insensitive LIKE)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def account_sums_by_prefix(session: Session, prefix: str) -> tuple[int, int]:
    """Σ (debits posted, credits posted) of the accounts whose key starts with ``prefix``."""
    row = session.execute(
        select(
            func.coalesce(func.sum(LedgerAccount.debits_posted), 0),
            func.coalesce(func.sum(LedgerAccount.credits_posted), 0),
        ).where(LedgerAccount.key >= prefix, LedgerAccount.key < prefix_end(prefix))
    ).one()
    return int(row[0]), int(row[1])


# -- monthly roll-up (the job) -------------------------------------------------------------------


def credited_by_month(session: Session) -> dict[int, tuple[int, int]]:
    """``month -> (Σ credited_g, residents with credited grams that month)``."""
    rows = session.execute(
        select(
            MonthTotalRow.month,
            func.sum(MonthTotalRow.credited_g),
            func.count(func.distinct(MonthTotalRow.resident_id)),
        )
        .where(MonthTotalRow.credited_g > 0)
        .group_by(MonthTotalRow.month)
    )
    return {int(m): (int(g or 0), int(n)) for m, g, n in rows}


def reduction_by_month(session: Session) -> dict[int, int]:
    """``month -> Σ reduction_g`` (every event's reduction, before the caps)."""
    rows = session.execute(
        select(MonthTotalRow.month, func.sum(MonthTotalRow.reduction_g)).group_by(MonthTotalRow.month)
    )
    return {int(m): int(g or 0) for m, g in rows}


def ledger_by_day(session: Session, account_key: str, *, side: str) -> dict[int, int]:
    """Σ amount per local day of the plain or posted transfers on one side (``debit`` or
    ``credit``) of one account."""
    account_id = session.scalar(select(LedgerAccount.id).where(LedgerAccount.key == account_key))
    if account_id is None:
        return {}
    column = LedgerTransfer.debit_account_id if side == "debit" else LedgerTransfer.credit_account_id
    # integer literals (not parameters), so that the SELECT and GROUP BY expressions are the same
    day = (LedgerTransfer.created_at_us + literal_column(str(LOCAL_OFFSET_US))) // literal_column(str(DAY_US))
    rows = session.execute(
        select(day, func.sum(LedgerTransfer.amount))
        .where(column == account_id, LedgerTransfer.flags.op("&")(2 | 8 | 16) == 0)
        .group_by(day)
    )
    return {int(d): int(a or 0) for d, a in rows}


# -- partner administration ------------------------------------------------------------------------


def ingest_summary(session: Session) -> dict[int, tuple[int, int, int, int]]:
    """``partner id -> (ingests, events accepted, events rejected, last ingest µs)``."""
    rows = session.execute(
        select(
            IngestRow.partner_id,
            func.count(),
            func.coalesce(func.sum(IngestRow.accepted), 0),
            func.coalesce(func.sum(IngestRow.rejected), 0),
            func.max(IngestRow.started_at_us),
        ).group_by(IngestRow.partner_id)
    )
    return {int(p): (int(n), int(a), int(r), int(last or 0)) for p, n, a, r, last in rows}


def consent_counts(session: Session) -> dict[int, int]:
    """``partner id -> consents in force`` (by the intake's partner-first index)."""
    rows = session.execute(
        select(ConsentRow.partner_id, func.count())
        .where(ConsentRow.revoked_at_us.is_(None))
        .group_by(ConsentRow.partner_id)
    )
    return {int(p): int(n) for p, n in rows}


def voids_by_partner(session: Session) -> dict[int, int]:
    rows = session.execute(select(EventVoidRow.partner_id, func.count()).group_by(EventVoidRow.partner_id))
    return {int(p): int(n) for p, n in rows}
