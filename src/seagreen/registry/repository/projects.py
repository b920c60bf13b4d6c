"""SQL of projects, their review events, objections, documents and monitoring reports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session, defer

from seagreen.registry.models import DocumentRow, ObjectionRow, ProjectEventRow, ProjectRow, ReportRow

_projects = cast(Table, ProjectRow.__table__)
_reports = cast(Table, ReportRow.__table__)


def insert_project(session: Session, **values: Any) -> int:
    return int(session.execute(insert(_projects).returning(_projects.c.id), values).scalar_one())


def project_by_code(session: Session, code: str) -> ProjectRow | None:
    return session.scalars(select(ProjectRow).where(ProjectRow.code == code)).one_or_none()


def projects_by_codes(session: Session, codes: Iterable[str]) -> dict[str, ProjectRow]:
    wanted = list(set(codes))
    if not wanted:
        return {}
    return {row.code: row for row in session.scalars(select(ProjectRow).where(ProjectRow.code.in_(wanted)))}


def projects_by_ids(session: Session, ids: Iterable[int]) -> dict[int, ProjectRow]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    return {row.id: row for row in session.scalars(select(ProjectRow).where(ProjectRow.id.in_(wanted)))}


def projects(
    session: Session, *, states: Iterable[str] | None = None, owner: str | None = None, limit: int = 500
) -> list[ProjectRow]:
    query = select(ProjectRow)
    if states is not None:
        query = query.where(ProjectRow.state.in_(list(states)))
    if owner is not None:
        query = query.where(ProjectRow.owner_org == owner)
    return list(session.scalars(query.order_by(ProjectRow.id.desc()).limit(limit)))


def update_project(session: Session, project_id: int, **values: Any) -> None:
    session.execute(update(_projects).where(_projects.c.id == project_id).values(**values))
    session.expire_all()


def insert_event(session: Session, **values: Any) -> None:
    session.execute(insert(ProjectEventRow), values)


def events(session: Session, project_id: int) -> list[ProjectEventRow]:
    return list(
        session.scalars(
            select(ProjectEventRow)
            .where(ProjectEventRow.project_id == project_id)
            .order_by(ProjectEventRow.id)
        )
    )


def insert_objection(session: Session, **values: Any) -> int:
    table = cast(Table, ObjectionRow.__table__)
    return int(session.execute(insert(table).returning(table.c.id), values).scalar_one())


def objections(session: Session, project_id: int) -> list[ObjectionRow]:
    return list(
        session.scalars(
            select(ObjectionRow).where(ObjectionRow.project_id == project_id).order_by(ObjectionRow.id)
        )
    )


def objection(session: Session, objection_id: int) -> ObjectionRow | None:
    return session.get(ObjectionRow, objection_id)


def update_objection(session: Session, objection_id: int, **values: Any) -> None:
    table = cast(Table, ObjectionRow.__table__)
    session.execute(update(table).where(table.c.id == objection_id).values(**values))
    session.expire_all()


def insert_document(session: Session, **values: Any) -> int:
    table = cast(Table, DocumentRow.__table__)
    return int(session.execute(insert(table).returning(table.c.id), values).scalar_one())


def documents(session: Session, project_id: int) -> list[DocumentRow]:
    """A project's documents without their content."""
    return list(
        session.scalars(
            select(DocumentRow)
            .options(defer(DocumentRow.content))
            .where(DocumentRow.project_id == project_id)
            .order_by(DocumentRow.id)
        )
    )


def document(session: Session, document_id: int) -> DocumentRow | None:
    return session.get(DocumentRow, document_id)


def insert_report(session: Session, **values: Any) -> int:
    return int(session.execute(insert(_reports).returning(_reports.c.id), values).scalar_one())


def report(session: Session, report_id: int) -> ReportRow | None:
    return session.get(ReportRow, report_id)


def reports(session: Session, project_id: int) -> list[ReportRow]:
    return list(
        session.scalars(
            select(ReportRow)
            .options(defer(ReportRow.receipt_json), defer(ReportRow.inputs_json))
            .where(ReportRow.project_id == project_id)
            .order_by(ReportRow.period_start, ReportRow.id)
        )
    )


def reports_in_states(session: Session, states: Iterable[str], limit: int = 200) -> list[ReportRow]:
    return list(
        session.scalars(
            select(ReportRow)
            .options(defer(ReportRow.receipt_json), defer(ReportRow.inputs_json))
            .where(ReportRow.state.in_(list(states)))
            .order_by(ReportRow.id)
            .limit(limit)
        )
    )


def update_report(session: Session, report_id: int, **values: Any) -> None:
    session.execute(update(_reports).where(_reports.c.id == report_id).values(**values))
    session.expire_all()
