"""SQL of partners and residents' consent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from seagreen.carbon_account.models import ConsentRow, PartnerRow
from seagreen.carbon_account.repository.intake import SessionSql


def partner_by_code(session: Session, code: str) -> PartnerRow | None:
    return session.scalars(select(PartnerRow).where(PartnerRow.code == code)).first()


def partner_key(session: Session, code: str) -> tuple[int, str, str, str] | None:
    """``(id, code, kind, name)`` of the partner with this code. Driver-level: the real-time API
    asks it once a request, and an ORM entity's load cost as much as the query."""
    sql = SessionSql(session)
    rows = sql.rows(f"SELECT id, code, kind, name FROM carbon_partners WHERE code = {sql.marker}", (code,))  # noqa: S608
    return None if not rows else (int(rows[0][0]), str(rows[0][1]), str(rows[0][2]), str(rows[0][3]))


def partner_by_id(session: Session, partner_id: int) -> PartnerRow | None:
    return session.get(PartnerRow, partner_id)


def list_partners(session: Session) -> list[PartnerRow]:
    return list(session.scalars(select(PartnerRow).order_by(PartnerRow.code)))


def insert_partner(session: Session, **values: Any) -> PartnerRow:
    row = PartnerRow(**values)
    session.add(row)
    session.flush()
    return row


def partner_codes_by_id(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(PartnerRow.id, PartnerRow.code).where(PartnerRow.id.in_(list(set(ids)))))
    return {int(partner_id): code for partner_id, code in rows}


def open_consents(session: Session, resident_ids: Sequence[int]) -> dict[tuple[int, int], int]:
    """``(resident, partner) -> consent id`` of the consents not revoked, for these residents."""
    found: dict[tuple[int, int], int] = {}
    unique = list(dict.fromkeys(resident_ids))
    for start in range(0, len(unique), 5_000):
        chunk = unique[start : start + 5_000]
        rows = session.execute(
            select(ConsentRow.resident_id, ConsentRow.partner_id, ConsentRow.id).where(
                ConsentRow.resident_id.in_(chunk), ConsentRow.revoked_at_us.is_(None)
            )
        )
        for resident_id, partner_id, consent_id in rows:
            found[(int(resident_id), int(partner_id))] = int(consent_id)
    return found


def insert_consents(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(ConsentRow), list(rows))


def revoke_consents(session: Session, consent_ids: Sequence[int], revoked_at_us: int) -> None:
    if consent_ids:
        session.execute(
            update(ConsentRow)
            .where(ConsentRow.id.in_(list(consent_ids)), ConsentRow.revoked_at_us.is_(None))
            .values(revoked_at_us=revoked_at_us)
        )


def consents_of_partner(session: Session, partner_id: int) -> list[tuple[int, str, int, int | None]]:
    """``(resident id, resident ref, granted µs, revoked µs)`` of every consent a partner was ever
    given, in resident order. Driver-level, one query: a bulk ingest reads them all before its
    first group can be checked (100k residents: 0.8 s on SQLite and 2.2 s on PostgreSQL through
    SQLAlchemy rows and a second look-up of the refs; docs/decisions/0005, phase 11)."""
    cursor = session.connection().connection.cursor()  # the driver's own: no result wrapping per row
    cursor.execute(
        "SELECT c.resident_id, r.ref, c.granted_at_us, c.revoked_at_us FROM carbon_consents c "  # noqa: S608
        f"JOIN residents r ON r.id = c.resident_id WHERE c.partner_id = {int(partner_id)} "
        "ORDER BY c.resident_id"
    )
    return [(int(r), str(ref), int(g), None if v is None else int(v)) for r, ref, g, v in cursor.fetchall()]


def residents_and_consents(
    session: Session, partner_id: int, refs: Sequence[str]
) -> tuple[dict[str, int], list[tuple[int, int, int | None]]]:
    """The ids of the known residents among ``refs``, and ``(resident id, granted µs, revoked µs)``
    of every consent they gave this partner. One driver-level statement a thousand refs: the
    real-time intake asks it once a request (a look-up of the ids, then of their consents, was two
    statements and a thousand more bound ids; the consents' index holds their interval, so no
    consent row is read: docs/decisions/0005, phase 28)."""
    ids: dict[str, int] = {}
    consents: list[tuple[int, int, int | None]] = []
    unique = list(dict.fromkeys(refs))
    sql = SessionSql(session)  # the driver's own cursor: no result wrapping per row
    found: list[tuple[Any, ...]] = []
    if sql.dialect == "postgresql":  # the refs as one array (``SessionSql.arrays``)
        # each ref one probe of the residents' key and each resident one of the consents' (a
        # subquery each: ``LIMIT 1`` and ``OFFSET 0`` keep the planner from joining the tables
        # whole); as ``ref = ANY(…)``, on new or missing statistics, the planner read every
        # resident for 1,000 refs: 18-20 ms against 13-14 (docs/decisions/0005, phase 30)
        found = sql.arrays(
            "SELECT k.ref, r.id, c.granted_at_us, c.revoked_at_us FROM unnest(%b::text[]) AS k (ref) "  # noqa: S608
            "JOIN LATERAL (SELECT id FROM residents WHERE ref = k.ref LIMIT 1) r ON true "
            "LEFT JOIN LATERAL (SELECT granted_at_us, revoked_at_us FROM carbon_consents "
            f"WHERE partner_id = {int(partner_id)} AND resident_id = r.id OFFSET 0) c ON true",
            [(ref,) for ref in unique],
        )
    else:
        marker = sql.marker
        for start in range(0, len(unique), 1_000):
            chunk = unique[start : start + 1_000]
            # bound, not written into the text: a full chunk's statement is prepared once and reused
            found += sql.rows(
                "SELECT r.ref, r.id, c.granted_at_us, c.revoked_at_us FROM residents r "  # noqa: S608
                f"LEFT JOIN carbon_consents c ON c.partner_id = {marker} AND c.resident_id = r.id "
                f"WHERE r.ref IN ({', '.join([marker] * len(chunk))})",
                [int(partner_id), *chunk],
            )
    for ref, resident_id, granted, revoked in found:
        ids[ref] = resident_id  # int and str as both drivers return BIGINT and TEXT
        if granted is not None:
            consents.append((resident_id, granted, revoked))
    return ids, consents


def consent_count(session: Session, partner_id: int) -> int:
    rows = session.execute(
        select(ConsentRow.id).where(ConsentRow.partner_id == partner_id, ConsentRow.revoked_at_us.is_(None))
    )
    return len(rows.all())
