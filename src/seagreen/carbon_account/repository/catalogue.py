"""All SQL of the personal carbon account (phase 1: the behaviour catalogue)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import cast

from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session

from seagreen.carbon_account.domain import (
    Behaviour,
    Dimension,
    FactorStatus,
    MethodologyVersion,
    PartnerKind,
)
from seagreen.carbon_account.models import BehaviourRow, MethodologyVersionRow

_versions = cast(Table, MethodologyVersionRow.__table__)
_behaviours = cast(Table, BehaviourRow.__table__)

# Any constant will do: it names the lock that serialises publishers on PostgreSQL.
PUBLISH_LOCK_KEY = 0x5EA6_0004


def lock_publishing(session: Session) -> None:
    """Serialise publishers for this transaction, so effective dates increase in publication order.

    SQLite transactions begin IMMEDIATE (one writer at a time) and need nothing more.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PUBLISH_LOCK_KEY})


def insert_version(
    session: Session,
    version: MethodologyVersion,
    *,
    content_hash: str,
    source_file: str,
    published_at_us: int,
) -> int:
    result = session.execute(
        insert(_versions).returning(_versions.c.id),
        {
            "code": version.code,
            "name": version.name,
            "effective_from": version.effective_from,
            "g_per_point": version.g_per_point,
            "content_hash": content_hash,
            "source_file": source_file,
            "published_at_us": published_at_us,
        },
    )
    version_id = int(result.scalar_one())
    rows = [
        {
            "version_id": version_id,
            "position": position,
            "code": behaviour.code,
            "name_zh": behaviour.name_zh,
            "name_en": behaviour.name_en,
            "dimension": behaviour.dimension.value,
            "unit": behaviour.unit,
            "factor_g_per_unit": behaviour.factor_g_per_unit,
            "daily_cap_g": behaviour.daily_cap_g,
            "monthly_cap_g": behaviour.monthly_cap_g,
            "partner_kinds": " ".join(sorted(kind.value for kind in behaviour.partner_kinds)),
            "factor_status": behaviour.factor_status.value,
            "source": behaviour.source,
            "method": behaviour.method,
        }
        for position, behaviour in enumerate(version.behaviours.values(), start=1)
    ]
    if rows:
        session.execute(insert(BehaviourRow), rows)
    return version_id


def _behaviour(row: BehaviourRow) -> Behaviour:
    return Behaviour(
        code=row.code,
        name_zh=row.name_zh,
        name_en=row.name_en,
        dimension=Dimension(row.dimension),
        unit=row.unit,
        factor_g_per_unit=row.factor_g_per_unit,
        daily_cap_g=None if row.daily_cap_g is None else int(row.daily_cap_g),
        monthly_cap_g=None if row.monthly_cap_g is None else int(row.monthly_cap_g),
        partner_kinds=frozenset(PartnerKind(kind) for kind in row.partner_kinds.split()),
        factor_status=FactorStatus(row.factor_status),
        source=row.source,
        method=row.method,
    )


def all_versions(session: Session) -> list[tuple[MethodologyVersionRow, MethodologyVersion]]:
    """Every version with its behaviours (in file order), oldest first."""
    version_rows = list(
        session.scalars(select(MethodologyVersionRow).order_by(MethodologyVersionRow.effective_from))
    )
    by_version: dict[int, list[BehaviourRow]] = {row.id: [] for row in version_rows}
    for behaviour in session.scalars(
        select(BehaviourRow).order_by(BehaviourRow.version_id, BehaviourRow.position)
    ):
        by_version[behaviour.version_id].append(behaviour)
    return [
        (
            row,
            MethodologyVersion(
                code=row.code,
                name=row.name,
                effective_from=row.effective_from,
                g_per_point=int(row.g_per_point),
                behaviours={b.code: _behaviour(b) for b in by_version[row.id]},
            ),
        )
        for row in version_rows
    ]


def version_rows(session: Session) -> Sequence[MethodologyVersionRow]:
    return list(session.scalars(select(MethodologyVersionRow).order_by(MethodologyVersionRow.effective_from)))


def version_count(session: Session) -> int:
    return len(version_rows(session))


def latest_effective_from(session: Session) -> date | None:
    rows = version_rows(session)
    return rows[-1].effective_from if rows else None


def catalogue_ids(session: Session) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Version ids by code and behaviour ids by (version code, behaviour code)."""
    versions = {row.code: int(row.id) for row in version_rows(session)}
    codes = {version_id: code for code, version_id in versions.items()}
    behaviours = {
        (codes[int(version_id)], code): int(behaviour_id)
        for behaviour_id, version_id, code in session.execute(
            select(BehaviourRow.id, BehaviourRow.version_id, BehaviourRow.code)
        )
    }
    return versions, behaviours


def catalogue_signature(session: Session) -> tuple[object, ...]:
    """What identifies the published catalogue: every (version id, content hash) and the last
    behaviour id (versions are append-only, so an unchanged signature means an unchanged catalogue)."""
    # one statement on the driver's cursor: the real-time API asks it once a request, and two ORM
    # queries cost ten times as much (docs/decisions/0005, phase 28)
    cursor = session.connection().connection.cursor()
    cursor.execute(  # a row even without versions: the behaviours' side is one row, always there
        "SELECT v.id, v.content_hash, b.last FROM (SELECT max(id) AS last FROM carbon_behaviours) b "
        "LEFT JOIN carbon_methodology_versions v ON true ORDER BY v.id"
    )
    rows = cursor.fetchall()
    versions = tuple((int(v), str(content_hash)) for v, content_hash, _ in rows if v is not None)
    last = rows[0][2]
    return versions, None if last is None else int(last)
