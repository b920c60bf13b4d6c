"""SQL of the points lifecycle: voided events and the totals they change, the lifecycle's
adjustments, and the expiry job's candidates.

The expiry candidates and a resident's dated inflows are read from the ledger's own tables
(read only): FIFO expiry needs "points credited before a date" per account, which the ledger's
service does not offer, and a scan per resident through it would not scale to a city.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from seagreen.carbon_account.lifecycle_models import (
    EventVoidRow,
    ExpiryRunRow,
    PointsAdjustmentRow,
    VoidRequestRow,
)
from seagreen.carbon_account.models import (
    BehaviourRow,
    EventRow,
    MonthTotalRow,
    ResidentTotalRow,
    ResidentVersionTotalRow,
)
from seagreen.carbon_account.repository import intake as intake_rows
from seagreen.identity.models import ResidentRow
from seagreen.ledger.models import LedgerAccount, LedgerTransfer

CHUNK = 500
RESIDENT_ACCOUNT_PREFIX = "carbon:points:"
RESIDENT_ACCOUNT_END = "carbon:points;"  # the first key after every "carbon:points:…" key
# pending (2), post (4), void (8), expire (16): a resident's inflows are plain postings only
NOT_PLAIN = 2 | 4 | 8 | 16


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# -- voids ------------------------------------------------------------------------------------


def batches_of_events(session: Session, partner_id: int, event_ids: Sequence[str]) -> set[int]:
    """The batches that wrote these events of the partner."""
    found: set[int] = set()
    for chunk in _chunks(list(dict.fromkeys(event_ids))):
        found.update(
            int(batch)
            for batch in session.scalars(
                select(EventRow.batch_id).where(
                    EventRow.partner_id == partner_id, EventRow.event_id.in_(list(chunk))
                )
            )
        )
    return found


def events_for_void(
    session: Session, partner_id: int, event_ids: Sequence[str]
) -> dict[str, tuple[int, int, int, int, bool]]:
    """``event_id -> (resident_id, behaviour_id, day, reduction_g, accounted)`` of the partner's
    stored events among ``event_ids`` (a cross-partner duplicate was never accounted)."""
    found: dict[str, tuple[int, int, int, int, bool]] = {}
    for chunk in _chunks(list(dict.fromkeys(event_ids))):
        rows = session.execute(
            select(
                EventRow.event_id,
                EventRow.resident_id,
                EventRow.behaviour_id,
                EventRow.day,
                EventRow.reduction_g,
                EventRow.duplicate_of_partner_id,
            ).where(EventRow.partner_id == partner_id, EventRow.event_id.in_(list(chunk)))
        )
        for event_id, resident, behaviour, day, reduction, duplicate_of in rows:
            found[event_id] = (int(resident), int(behaviour), int(day), int(reduction), duplicate_of is None)
    return found


def voided_event_ids(session: Session, partner_id: int, event_ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(list(dict.fromkeys(event_ids))):
        found.update(
            session.scalars(
                select(EventVoidRow.event_id).where(
                    EventVoidRow.partner_id == partner_id, EventVoidRow.event_id.in_(list(chunk))
                )
            )
        )
    return found


def behaviour_rules(
    session: Session, behaviour_ids: Iterable[int]
) -> dict[int, tuple[int | None, int | None, int]]:
    """``behaviour id -> (daily cap, monthly cap, version id)``."""
    ids = sorted(set(behaviour_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(
            BehaviourRow.id, BehaviourRow.daily_cap_g, BehaviourRow.monthly_cap_g, BehaviourRow.version_id
        ).where(BehaviourRow.id.in_(ids))
    )
    return {
        int(i): (None if d is None else int(d), None if m is None else int(m), int(v)) for i, d, m, v in rows
    }


def month_rows(
    session: Session, keys: Iterable[tuple[int, int, int]]
) -> dict[tuple[int, int, int], tuple[int, int, int, str]]:
    """``(resident, behaviour, month) -> (reduction_g, day_credited_g, credited_g, days)`` of the
    stored month rows (``days`` packed: ``domain.unpack_days``)."""
    return intake_rows.month_rows(intake_rows.SessionSql(session), sorted(set(keys)))


def write_month_rows(
    session: Session, values: Mapping[tuple[int, int, int], tuple[int, int, int, str]]
) -> None:
    """New ``(reduction_g, day_credited_g, credited_g, days)`` of stored month rows."""
    for (resident, behaviour, month), (reduction, day_credited, credited, days) in values.items():
        session.execute(
            update(MonthTotalRow)
            .where(
                MonthTotalRow.resident_id == resident,
                MonthTotalRow.behaviour_id == behaviour,
                MonthTotalRow.month == month,
            )
            .values(reduction_g=reduction, day_credited_g=day_credited, credited_g=credited, days=days)
        )


def subtract_version_totals(session: Session, removed: Mapping[int, Mapping[int, int]]) -> None:
    """``resident -> version -> credited grams`` taken out of the per-version totals."""
    for resident, by_version in removed.items():
        for version, grams in by_version.items():
            if grams:
                session.execute(
                    update(ResidentVersionTotalRow)
                    .where(
                        ResidentVersionTotalRow.resident_id == resident,
                        ResidentVersionTotalRow.version_id == version,
                    )
                    .values(credited_g=ResidentVersionTotalRow.credited_g - grams)
                )


def version_totals(session: Session, resident_ids: Sequence[int]) -> dict[int, dict[int, int]]:
    found: dict[int, dict[int, int]] = {}
    for chunk in _chunks(list(dict.fromkeys(resident_ids))):
        rows = session.execute(
            select(
                ResidentVersionTotalRow.resident_id,
                ResidentVersionTotalRow.version_id,
                ResidentVersionTotalRow.credited_g,
            ).where(ResidentVersionTotalRow.resident_id.in_(list(chunk)))
        )
        for resident, version, grams in rows:
            found.setdefault(int(resident), {})[int(version)] = int(grams)
    return found


def resident_points(session: Session, resident_ids: Sequence[int]) -> dict[int, tuple[str, int, int]]:
    """``resident -> (ref, points, points_posted)`` for residents with a carbon account."""
    found: dict[int, tuple[str, int, int]] = {}
    for chunk in _chunks(list(dict.fromkeys(resident_ids))):
        rows = session.execute(
            select(
                ResidentTotalRow.resident_id,
                ResidentRow.ref,
                ResidentTotalRow.points,
                ResidentTotalRow.points_posted,
            )
            .join(ResidentRow, ResidentRow.id == ResidentTotalRow.resident_id)
            .where(ResidentTotalRow.resident_id.in_(list(chunk)))
        )
        for resident, ref, points, posted in rows:
            found[int(resident)] = (str(ref), int(points), int(posted))
    return found


def subtract_resident_totals(session: Session, rows: Iterable[tuple[int, int, int, int]]) -> None:
    """``(resident, reduction removed, credited removed, new points)``: ``points_posted`` and the
    batch marks stay as they are (the settlement owns them)."""
    for resident, reduction, credited, points in rows:
        session.execute(
            update(ResidentTotalRow)
            .where(ResidentTotalRow.resident_id == resident)
            .values(
                reduction_g=ResidentTotalRow.reduction_g - reduction,
                credited_g=ResidentTotalRow.credited_g - credited,
                points=points,
            )
        )


def insert_void_request(session: Session, **values: Any) -> int:
    row = VoidRequestRow(**values)
    session.add(row)
    session.flush()
    return int(row.id)


def finish_void_request(session: Session, request_id: int, **values: Any) -> None:
    session.execute(update(VoidRequestRow).where(VoidRequestRow.id == request_id).values(**values))


def insert_voids(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(EventVoidRow), list(rows))


def voids_of_resident(
    session: Session, resident_id: int, limit: int
) -> list[tuple[int, str, int, int, str, int]]:
    """``(partner id, event id, behaviour id, reduction_g, reason, voided µs)``, newest first."""
    rows = session.execute(
        select(
            EventVoidRow.partner_id,
            EventVoidRow.event_id,
            EventVoidRow.behaviour_id,
            EventVoidRow.reduction_g,
            EventVoidRow.reason,
            EventVoidRow.voided_at_us,
        )
        .where(EventVoidRow.resident_id == resident_id, EventVoidRow.accounted.is_(True))
        .order_by(EventVoidRow.voided_at_us.desc())
        .limit(limit)
    )
    return [(int(p), str(e), int(b), int(r), str(reason), int(at)) for p, e, b, r, reason, at in rows]


def void_counts(session: Session, partner_ids: Sequence[int]) -> dict[int, int]:
    if not partner_ids:
        return {}
    rows = session.execute(
        select(EventVoidRow.partner_id, func.count())
        .where(EventVoidRow.partner_id.in_(list(partner_ids)))
        .group_by(EventVoidRow.partner_id)
    )
    return {int(p): int(n) for p, n in rows}


# -- adjustments ------------------------------------------------------------------------------


def lock_adjustments(session: Session, resident_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """``resident -> (reversed, reissued)``, the rows locked for this transaction (PostgreSQL)."""
    found: dict[int, tuple[int, int]] = {}
    for chunk in _chunks(sorted(set(resident_ids))):
        query = (
            select(
                PointsAdjustmentRow.resident_id,
                PointsAdjustmentRow.reversed_points,
                PointsAdjustmentRow.reissued_points,
            )
            .where(PointsAdjustmentRow.resident_id.in_(list(chunk)))
            .order_by(PointsAdjustmentRow.resident_id)
            .with_for_update()
        )
        for resident, reversed_points, reissued in session.execute(query):
            found[int(resident)] = (int(reversed_points), int(reissued))
    return found


def save_adjustments(
    session: Session, values: Mapping[int, tuple[int, int]], now_us: int, existing: set[int]
) -> None:
    new = [
        {"resident_id": r, "reversed_points": rv, "reissued_points": ri, "updated_at_us": now_us}
        for r, (rv, ri) in values.items()
        if r not in existing
    ]
    if new:
        session.execute(insert(PointsAdjustmentRow), new)
    for resident, (reversed_points, reissued) in values.items():
        if resident in existing:
            session.execute(
                update(PointsAdjustmentRow)
                .where(PointsAdjustmentRow.resident_id == resident)
                .values(reversed_points=reversed_points, reissued_points=reissued, updated_at_us=now_us)
            )


def residents_to_adjust(session: Session, after_resident: int, limit: int) -> list[int]:
    """Residents whose adjustment may be due: any with a lifecycle row (debts and reissues)."""
    return [
        int(r)
        for r in session.scalars(
            select(PointsAdjustmentRow.resident_id)
            .where(PointsAdjustmentRow.resident_id > after_resident)
            .order_by(PointsAdjustmentRow.resident_id)
            .limit(limit)
        )
    ]


def has_adjustment(session: Session, resident_id: int) -> bool:
    return session.get(PointsAdjustmentRow, resident_id) is not None


# -- expiry -----------------------------------------------------------------------------------


def expiry_candidates(
    session: Session, cutoff_us: int, after_resident: int, limit: int
) -> list[tuple[int, str, int]]:
    """Residents whose points credited before ``cutoff_us`` exceed everything that ever left
    their account (posted or reserved): ``(resident id, ref, points credited before the cutoff)``,
    by resident id, after ``after_resident``."""
    inflow = (
        select(
            LedgerTransfer.credit_account_id.label("account_id"),
            func.sum(LedgerTransfer.amount).label("inflow"),
        )
        .where(
            LedgerTransfer.created_at_us < cutoff_us,
            LedgerTransfer.flags.op("&")(NOT_PLAIN) == 0,
            LedgerTransfer.unit == "points",
        )
        .group_by(LedgerTransfer.credit_account_id)
        .subquery()
    )
    prefix_length = len(RESIDENT_ACCOUNT_PREFIX)
    query = (
        select(ResidentRow.id, ResidentRow.ref, inflow.c.inflow)
        .select_from(inflow)
        .join(LedgerAccount, LedgerAccount.id == inflow.c.account_id)
        .join(ResidentRow, ResidentRow.ref == func.substr(LedgerAccount.key, prefix_length + 1))
        .where(
            LedgerAccount.key >= RESIDENT_ACCOUNT_PREFIX,
            LedgerAccount.key < RESIDENT_ACCOUNT_END,
            inflow.c.inflow > LedgerAccount.debits_posted + LedgerAccount.debits_pending,
            ResidentRow.id > after_resident,
        )
        .order_by(ResidentRow.id)
        .limit(limit)
    )
    return [(int(r), str(ref), int(amount)) for r, ref, amount in session.execute(query)]


def inflow_before(session: Session, account_key: str, cutoff_us: int) -> int:
    """Points credited (plain postings) to one account before ``cutoff_us``."""
    account_id = session.scalar(select(LedgerAccount.id).where(LedgerAccount.key == account_key))
    if account_id is None:
        return 0
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerTransfer.amount), 0)).where(
            LedgerTransfer.credit_account_id == account_id,
            LedgerTransfer.created_at_us < cutoff_us,
            LedgerTransfer.flags.op("&")(NOT_PLAIN) == 0,
        )
    )
    return int(total or 0)


def insert_expiry_run(session: Session, **values: Any) -> None:
    session.execute(insert(ExpiryRunRow), [values])


def last_expiry_run(session: Session) -> ExpiryRunRow | None:
    return session.scalars(select(ExpiryRunRow).order_by(ExpiryRunRow.id.desc()).limit(1)).first()


def expiry_runs(session: Session, limit: int) -> list[ExpiryRunRow]:
    return list(session.scalars(select(ExpiryRunRow).order_by(ExpiryRunRow.id.desc()).limit(limit)))
