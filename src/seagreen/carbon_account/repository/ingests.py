"""SQL of ingest runs, API rejections, balances and the settlement of points."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from seagreen.carbon_account.models import (
    BatchRow,
    EventRow,
    IngestRow,
    RejectionRow,
    ResidentTotalRow,
)
from seagreen.carbon_account.repository.intake import SessionSql
from seagreen.identity.models import ResidentRow


def insert_ingest(session: Session, **values: Any) -> IngestRow:
    defaults = dict.fromkeys(
        (
            "checkpoint_row",
            "accepted",
            "duplicates",
            "conflicts",
            "rejected",
            "reduction_g",
            "credited_g",
            "points",
        ),
        0,
    )
    row = IngestRow(**{**defaults, **values})
    session.add(row)
    session.flush()
    return row


def ingest_by_id(session: Session, ingest_id: int) -> IngestRow | None:
    return session.get(IngestRow, ingest_id)


def unfinished_ingest(session: Session, partner_id: int, file_sha256: str) -> IngestRow | None:
    """The run of this file by this partner that did not finish (to resume it), if any."""
    return session.scalars(
        select(IngestRow)
        .where(
            IngestRow.partner_id == partner_id,
            IngestRow.file_sha256 == file_sha256,
            IngestRow.status == "running",
        )
        .order_by(IngestRow.id.desc())
    ).first()


def finish_ingest(session: Session, ingest_id: int, finished_at_us: int) -> None:
    session.execute(
        update(IngestRow)
        .where(IngestRow.id == ingest_id)
        .values(status="done", finished_at_us=finished_at_us)
    )


def list_ingests(session: Session, partner_id: int | None, limit: int) -> list[IngestRow]:
    query = select(IngestRow).order_by(IngestRow.id.desc()).limit(limit)
    if partner_id is not None:
        query = query.where(IngestRow.partner_id == partner_id)
    return list(session.scalars(query))


def insert_rejections(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(RejectionRow), list(rows))


def rejections_of(session: Session, ingest_id: int, limit: int = 1_000) -> list[RejectionRow]:
    return list(
        session.scalars(
            select(RejectionRow)
            .where(RejectionRow.ingest_id == ingest_id)
            .order_by(RejectionRow.row_number, RejectionRow.id)
            .limit(limit)
        )
    )


def batch_count(session: Session, ingest_id: int) -> int:
    return int(
        session.scalar(select(func.count()).select_from(BatchRow).where(BatchRow.ingest_id == ingest_id)) or 0
    )


# -- balances and settlement -------------------------------------------------------------------


def balances(session: Session, refs: Sequence[str] | None = None) -> list[tuple[str, int, int, int, int]]:
    """``(ref, reduction_g, credited_g, points, points_posted)`` per resident with any account."""
    query = (
        select(
            ResidentRow.ref,
            ResidentTotalRow.reduction_g,
            ResidentTotalRow.credited_g,
            ResidentTotalRow.points,
            ResidentTotalRow.points_posted,
        )
        .join(ResidentRow, ResidentRow.id == ResidentTotalRow.resident_id)
        .order_by(ResidentRow.ref)
    )
    if refs is not None:
        query = query.where(ResidentRow.ref.in_(list(refs)))
    return [(r, int(a), int(b), int(c), int(d)) for r, a, b, c, d in session.execute(query)]


def totals(session: Session) -> tuple[int, int, int, int, int]:
    """Residents with an account and Σ reduction, credited grams, points, points posted."""
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(ResidentTotalRow.reduction_g), 0),
            func.coalesce(func.sum(ResidentTotalRow.credited_g), 0),
            func.coalesce(func.sum(ResidentTotalRow.points), 0),
            func.coalesce(func.sum(ResidentTotalRow.points_posted), 0),
        )
    ).one()
    return tuple(int(value) for value in row)  # type: ignore[return-value]


def event_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(EventRow)) or 0)


def unsettled(
    session: Session, resident_ids: Sequence[int] | None, limit: int
) -> list[tuple[int, str, int, int, int, int, int]]:
    """Residents whose points exceed the points posted to the ledger:
    ``(id, ref, points, points_posted, credited_g, settled_batch_id, last_batch_id)``.
    Driver-level: a settlement reads ten thousand of these at a time."""
    columns = (
        "t.resident_id, r.ref, t.points, t.points_posted, t.credited_g, t.settled_batch_id, t.last_batch_id"
    )
    if resident_ids is not None and not resident_ids:
        return []
    sql = SessionSql(session)
    if resident_ids is not None and sql.dialect == "postgresql":
        # the settler's residents (a round's, up to thousands) probed one key each in both tables
        # (``LIMIT 1`` keeps each look-up a subquery of its own): joined by the planner on new or
        # missing statistics, the names were a hash of every resident, 28 ms a round of 1,000
        # against 9 (docs/decisions/0005, phase 30)
        found = sql.arrays(
            f"SELECT {columns} FROM unnest(%b::bigint[]) AS k (id) "  # noqa: S608
            "JOIN LATERAL (SELECT * FROM carbon_resident_totals WHERE resident_id = k.id "
            "AND points > points_posted LIMIT 1) t ON true "
            "JOIN LATERAL (SELECT ref FROM residents WHERE id = k.id LIMIT 1) r ON true "
            f"ORDER BY t.resident_id LIMIT {int(limit)}",
            [(int(r),) for r in dict.fromkeys(resident_ids)],  # each once, as ``IN`` reads them
        )
    else:
        where = "t.points > t.points_posted"
        if resident_ids is not None:
            where += f" AND t.resident_id IN ({', '.join(str(int(r)) for r in resident_ids)})"
        found = sql.rows(  # rows fetched at once, not one by one
            f"SELECT {columns} FROM carbon_resident_totals t JOIN residents r ON r.id = t.resident_id "  # noqa: S608
            f"WHERE {where} ORDER BY t.resident_id LIMIT {int(limit)}"
        )
    return [
        (int(r), str(ref), int(p), int(pp), int(c), int(sb), int(lb)) for r, ref, p, pp, c, sb, lb in found
    ]


def mark_settled(session: Session, rows: Sequence[tuple[int, int, int]]) -> None:
    """``(resident id, points posted, settled batch id)`` after the ledger took the postings."""
    if not rows:
        return
    sql = SessionSql(session)
    if sql.dialect == "postgresql":  # one statement, not a round trip a row
        sql.arrays(
            "UPDATE carbon_resident_totals AS t SET points_posted = v.p, settled_batch_id = v.b "
            "FROM unnest(%b::bigint[], %b::bigint[], %b::bigint[]) AS v(r, p, b) WHERE t.resident_id = v.r",
            rows,
        )
        return
    marker = "?"
    sql.many(
        f"UPDATE carbon_resident_totals SET points_posted = {marker}, settled_batch_id = {marker} "  # noqa: S608
        f"WHERE resident_id = {marker}",
        [(points, batch, resident) for resident, points, batch in rows],
    )


def set_quarantine_path(session: Session, ingest_id: int, path: str) -> None:
    session.execute(update(IngestRow).where(IngestRow.id == ingest_id).values(quarantine_path=path))
