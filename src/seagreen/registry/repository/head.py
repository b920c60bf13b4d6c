"""The registry's head row: the lock every write takes first, and the counters it guards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from seagreen.registry.models import ParameterSetRow, RegistryHead

HEAD_ID = 1


@dataclass
class Counters:
    next_serial: int
    projects: int
    certificates: int


def lock(session: Session) -> Counters:
    """Lock the head row for this transaction (``SELECT … FOR UPDATE``; SQLite's write lock does
    the same), so registry writers are serialised and every read-then-write below is safe."""
    row = session.execute(
        select(RegistryHead.next_serial, RegistryHead.projects, RegistryHead.certificates)
        .where(RegistryHead.id == HEAD_ID)
        .with_for_update()
    ).one()
    return Counters(int(row.next_serial), int(row.projects), int(row.certificates))


def advance(session: Session, **counters: Any) -> None:
    """Write new values of ``next_serial``, ``projects`` or ``certificates`` (under the lock)."""
    session.execute(update(RegistryHead).where(RegistryHead.id == HEAD_ID).values(**counters))


def parameter_set(session: Session, code: str, version: str | None) -> ParameterSetRow | None:
    query = select(ParameterSetRow).where(ParameterSetRow.code == code)
    if version:
        query = query.where(ParameterSetRow.version == version)
    return session.scalars(query.order_by(ParameterSetRow.id.desc()).limit(1)).first()


def parameter_sets(session: Session) -> list[ParameterSetRow]:
    return list(session.scalars(select(ParameterSetRow).order_by(ParameterSetRow.code, ParameterSetRow.id)))


def insert_parameter_set(session: Session, **values: Any) -> None:
    session.add(ParameterSetRow(**values))
    session.flush()
