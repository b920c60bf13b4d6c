"""Projects on their way to filing (备案): register, edit, add documents, submit, review, public
notice with objections, file; and the reads of a project. Every step is a project event and an
audit record, in the caller's transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.identity import service as identity
from seagreen.identity.domain import OrgKind
from seagreen.kit.clock import LOCAL_TZ, from_micros, to_micros, utcnow
from seagreen.kit.filetypes import safe_filename, sniff
from seagreen.registry.domain.calendar import Notice, WorkingCalendar, notice_window
from seagreen.registry.domain.lifecycle import (
    PUBLIC_STATES,
    ProjectAction,
    ProjectState,
    project_transition,
)
from seagreen.registry.domain.methodologies import find_methodology
from seagreen.registry.domain.receipts import dec_str
from seagreen.registry.errors import (
    DocumentInvalid,
    DocumentNotFound,
    NoticeNotOver,
    NotYourProject,
    ObjectionNotFound,
    ObjectionsUnresolved,
    ProjectInvalid,
    ProjectNotFound,
    TransitionRefused,
)
from seagreen.registry.models import DocumentRow, ProjectRow
from seagreen.registry.repository import head
from seagreen.registry.repository import projects as repository
from seagreen.registry.schemas import (
    DocumentRead,
    EventRead,
    NoticeRead,
    ObjectionRead,
    ProjectCreate,
    ProjectRead,
    ProjectUpdate,
    TotalsRead,
)
from seagreen.registry.service.methodologies import parameter_set

MU_PER_HA = Decimal(15)
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_CREDITING_YEARS = 100


def local_day(moment: datetime) -> date:
    """The calendar day in Weihai (Asia/Shanghai) at ``moment``."""
    return moment.astimezone(LOCAL_TZ).date()


def _org_name(session: Session, code: str | None, cache: dict[str, str] | None = None) -> str:
    if not code:
        return ""
    if cache is not None and code in cache:
        return cache[code]
    try:
        name = identity.get_org(session, code).name_zh
    except Exception:  # an organisation renamed away is still shown by its code
        name = code
    if cache is not None:
        cache[code] = name
    return name


def project_read(
    session: Session,
    row: ProjectRow,
    *,
    totals: TotalsRead | None = None,
    names: dict[str, str] | None = None,
    today: date | None = None,
) -> ProjectRead:
    area = Decimal(row.area_ha)
    notice = None
    if row.notice_published is not None and row.notice_last_day is not None:
        day = today or local_day(utcnow())
        notice = NoticeRead(
            round=row.notice_round,
            published=row.notice_published,
            last_day=row.notice_last_day,
            working_days=7,
            calendar=row.notice_calendar,
            complete_calendar=bool(row.notice_complete),
            open=row.state == ProjectState.PUBLIC_NOTICE
            and row.notice_published <= day <= row.notice_last_day,
        )
    return ProjectRead(
        code=row.code,
        name_zh=row.name_zh,
        name_en=row.name_en,
        owner_org=row.owner_org,
        owner_name=_org_name(session, row.owner_org, names),
        kind=row.kind,
        methodology=row.methodology,
        methodology_version=row.methodology_version,
        location=row.location,
        latitude=row.latitude,
        longitude=row.longitude,
        area_ha=row.area_ha,
        area_mu=dec_str((area * MU_PER_HA).quantize(Decimal("0.01"))),
        crediting_start=row.crediting_start,
        crediting_end=row.crediting_end,
        description=row.description,
        state=row.state,
        buffer_share=row.buffer_share,
        notice=notice,
        filed_at=from_micros(row.filed_at_us) if row.filed_at_us else None,
        created_at=from_micros(row.created_at_us),
        totals=totals or TotalsRead(),
    )


def get_row(session: Session, code: str) -> ProjectRow:
    row = repository.project_by_code(session, code.strip().upper())
    if row is None:
        raise ProjectNotFound(f"no project {code!r}", code=code)
    return row


def is_public(row: ProjectRow) -> bool:
    return ProjectState(row.state) in PUBLIC_STATES


def may_see(row: ProjectRow, actor: Actor | None, *, authority: bool) -> bool:
    """Projects under notice or filed are public; earlier ones only to their owner and authorities."""
    return is_public(row) or authority or (actor is not None and actor.org_code == row.owner_org)


def _check_owner(row: ProjectRow, actor: Actor) -> None:
    if actor.org_code != row.owner_org:
        raise NotYourProject(f"project {row.code} belongs to {row.owner_org}", code=row.code)


def _event(
    session: Session,
    row: ProjectRow,
    action: ProjectAction,
    new_state: ProjectState,
    actor: Actor,
    text: str,
    at_us: int,
    **details: Any,
) -> None:
    repository.insert_event(
        session,
        project_id=row.id,
        action=action.value,
        from_state=row.state,
        to_state=new_state.value,
        actor_label=actor.label[:200],
        actor_org=actor.org_code,
        text=text,
        at_us=at_us,
    )
    audit.record(
        session,
        actor,
        f"registry.project.{action.value}",
        "registry_project",
        row.code,
        reason=text,
        details={"from": row.state, "to": new_state.value, **details},
    )


def _area_ha(area_ha: Decimal | None, area_mu: Decimal | None) -> Decimal:
    if area_ha is not None:
        return area_ha
    assert area_mu is not None
    return (area_mu / MU_PER_HA).quantize(Decimal("0.0001"))


def _check_period(start: date, end: date) -> None:
    if end <= start:
        raise ProjectInvalid("the crediting period must end after it starts", field="crediting_end")
    if (end - start).days > MAX_CREDITING_YEARS * 366:
        raise ProjectInvalid(
            f"a crediting period is at most {MAX_CREDITING_YEARS} years", field="crediting_end"
        )


def register(
    session: Session, body: ProjectCreate, *, actor: Actor, now: datetime | None = None
) -> ProjectRead:
    """An owner registers a project (a draft): location, area, methodology, crediting period."""
    moment = now or utcnow()
    if not actor.org_code:
        raise ProjectInvalid("a project is registered by a project owner's organisation")
    owner = identity.get_org(session, actor.org_code)
    if owner.kind is not OrgKind.PROJECT_OWNER:
        raise ProjectInvalid(f"{owner.code} is not a project owner", org=owner.code)
    methodology = find_methodology(body.methodology)
    _check_period(body.crediting_start, body.crediting_end)
    counters = head.lock(session)
    number = counters.projects + 1
    head.advance(session, projects=number)
    code = f"P{number:04d}"
    at_us = to_micros(moment)
    repository.insert_project(
        session,
        code=code,
        name_zh=body.name_zh.strip(),
        name_en=body.name_en.strip(),
        owner_org=owner.code,
        kind=methodology.kind,
        methodology=methodology.code,
        methodology_version=methodology.version,
        location=body.location.strip(),
        latitude=dec_str(body.latitude) if body.latitude is not None else "",
        longitude=dec_str(body.longitude) if body.longitude is not None else "",
        area_ha=dec_str(_area_ha(body.area_ha, body.area_mu)),
        crediting_start=body.crediting_start,
        crediting_end=body.crediting_end,
        description=body.description.strip(),
        state=ProjectState.DRAFT.value,
        buffer_share="",
        notice_round=0,
        notice_published=None,
        notice_last_day=None,
        notice_calendar="",
        notice_complete=None,
        filed_at_us=None,
        created_at_us=at_us,
        updated_at_us=at_us,
    )
    row = get_row(session, code)
    repository.insert_event(
        session,
        project_id=row.id,
        action="register",
        from_state="",
        to_state=ProjectState.DRAFT.value,
        actor_label=actor.label[:200],
        actor_org=actor.org_code,
        text="",
        at_us=at_us,
    )
    audit.record(
        session,
        actor,
        "registry.project.register",
        "registry_project",
        code,
        details={"methodology": methodology.code, "version": methodology.version, "area_ha": row.area_ha},
    )
    return project_read(session, row)


def update(
    session: Session, code: str, body: ProjectUpdate, *, actor: Actor, now: datetime | None = None
) -> ProjectRead:
    """The owner edits a draft, or a project sent back for changes."""
    row = get_row(session, code)
    _check_owner(row, actor)
    state = ProjectState(row.state)
    project_transition(state, ProjectAction.EDIT)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if not changes:
        return project_read(session, row)
    values: dict[str, Any] = {}
    for name, value in changes.items():
        values[name] = (
            dec_str(value)
            if isinstance(value, Decimal)
            else (value.strip() if isinstance(value, str) else value)
        )
    _check_period(
        values.get("crediting_start", row.crediting_start), values.get("crediting_end", row.crediting_end)
    )
    at_us = to_micros(now or utcnow())
    _event(session, row, ProjectAction.EDIT, state, actor, "", at_us, fields=sorted(values))
    repository.update_project(session, row.id, updated_at_us=at_us, **values)
    return project_read(session, get_row(session, code))


def add_document(
    session: Session,
    code: str,
    *,
    filename: str,
    content: bytes,
    kind: str = "project",
    actor: Actor,
    now: datetime | None = None,
) -> DocumentRead:
    """The owner attaches a document (project design document, rights certificate, map …)."""
    row = get_row(session, code)
    _check_owner(row, actor)
    state = ProjectState(row.state)
    project_transition(state, ProjectAction.ADD_DOCUMENT)
    if not content:
        raise DocumentInvalid("the document is empty")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise DocumentInvalid(f"a document may have at most {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB")
    # the type is the content's, not the browser's word: a document is served back as it is
    # stored, and a declared text/html would be a page of the platform's own origin
    file_type = sniff(content)
    if file_type is None:
        raise DocumentInvalid("a document must be a PDF, OFD, Word, Excel, PNG or JPEG file")
    name = safe_filename(filename or "document", 200)
    digest = hashlib.sha256(content).hexdigest()
    at_us = to_micros(now or utcnow())
    document_id = repository.insert_document(
        session,
        project_id=row.id,
        kind=kind[:24],
        filename=name,
        media_type=file_type.media_type,
        size=len(content),
        sha256=digest,
        content=content,
        uploaded_at_us=at_us,
        uploaded_by=actor.label[:200],
    )
    _event(
        session, row, ProjectAction.ADD_DOCUMENT, state, actor, name, at_us, sha256=digest, size=len(content)
    )
    found = repository.document(session, document_id)
    assert found is not None
    return _document_read(found)


def _document_read(row: DocumentRow) -> DocumentRead:
    return DocumentRead(
        id=row.id,
        kind=row.kind,
        filename=row.filename,
        media_type=row.media_type,
        size=row.size,
        sha256=row.sha256,
        uploaded_at=from_micros(row.uploaded_at_us),
        uploaded_by=row.uploaded_by,
    )


def submit(session: Session, code: str, *, actor: Actor, now: datetime | None = None) -> ProjectRead:
    """The owner submits for review; at least one document must be attached."""
    row = get_row(session, code)
    _check_owner(row, actor)
    new_state = project_transition(ProjectState(row.state), ProjectAction.SUBMIT)
    if not repository.documents(session, row.id):
        raise ProjectInvalid("attach the project documents before submitting", code=row.code)
    at_us = to_micros(now or utcnow())
    _event(session, row, ProjectAction.SUBMIT, new_state, actor, "", at_us)
    repository.update_project(session, row.id, state=new_state.value, updated_at_us=at_us)
    return project_read(session, get_row(session, code))


def withdraw(
    session: Session, code: str, *, actor: Actor, reason: str = "", now: datetime | None = None
) -> ProjectRead:
    row = get_row(session, code)
    _check_owner(row, actor)
    new_state = project_transition(ProjectState(row.state), ProjectAction.WITHDRAW)
    at_us = to_micros(now or utcnow())
    _event(session, row, ProjectAction.WITHDRAW, new_state, actor, reason, at_us)
    repository.update_project(session, row.id, state=new_state.value, updated_at_us=at_us)
    return project_read(session, get_row(session, code))


def review(
    session: Session,
    code: str,
    decision: str,
    text: str,
    *,
    actor: Actor,
    calendar: WorkingCalendar,
    now: datetime | None = None,
) -> ProjectRead:
    """The authority comments, requests changes, rejects, or publishes the project's notice (公示)
    for 7 working days."""
    moment = now or utcnow()
    action = ProjectAction(decision)
    if action not in (
        ProjectAction.COMMENT,
        ProjectAction.REQUEST_CHANGES,
        ProjectAction.REJECT,
        ProjectAction.START_NOTICE,
    ):
        raise ProjectInvalid(f"{decision!r} is not a review decision")
    row = get_row(session, code)
    new_state = project_transition(ProjectState(row.state), action)
    text = text.strip()
    if action is not ProjectAction.START_NOTICE and not text:
        raise ProjectInvalid(f"say why ({action.value.replace('_', ' ')} needs a text)", field="text")
    at_us = to_micros(moment)
    values: dict[str, Any] = {"state": new_state.value, "updated_at_us": at_us}
    details: dict[str, Any] = {}
    if action is ProjectAction.START_NOTICE:
        notice: Notice = notice_window(calendar, local_day(moment))
        values.update(
            notice_round=row.notice_round + 1,
            notice_published=notice.published,
            notice_last_day=notice.last_day,
            notice_calendar=notice.calendar_version,
            notice_complete=notice.complete,
        )
        details = {"last_day": notice.last_day.isoformat(), "complete_calendar": notice.complete}
    _event(session, row, action, new_state, actor, text, at_us, **details)
    repository.update_project(session, row.id, **values)
    return project_read(session, get_row(session, code), today=local_day(moment))


def object_to(
    session: Session, code: str, text: str, *, actor: Actor, now: datetime | None = None
) -> ObjectionRead:
    """Anyone signed in raises an objection (异议) while the notice is open."""
    moment = now or utcnow()
    row = get_row(session, code)
    project_transition(ProjectState(row.state), ProjectAction.OBJECT)
    today = local_day(moment)
    if row.notice_last_day is None or today > row.notice_last_day:
        raise TransitionRefused(f"the notice of {row.code} closed on {row.notice_last_day}", code=row.code)
    if not text.strip():
        raise ProjectInvalid("an objection needs a text", field="text")
    at_us = to_micros(moment)
    objection_id = repository.insert_objection(
        session,
        project_id=row.id,
        notice_round=row.notice_round,
        author_label=actor.label[:200],
        author_org=actor.org_code,
        text=text.strip(),
        created_at_us=at_us,
        status="open",
        resolution="",
        resolved_by="",
        resolved_at_us=None,
    )
    _event(
        session,
        row,
        ProjectAction.OBJECT,
        ProjectState(row.state),
        actor,
        text.strip(),
        at_us,
        objection=objection_id,
    )
    found = repository.objection(session, objection_id)
    assert found is not None
    return _objection_read(found)


def resolve_objection(
    session: Session,
    code: str,
    objection_id: int,
    decision: str,
    text: str,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> ObjectionRead:
    """The authority dismisses an objection, or upholds it (then the project cannot be filed
    before its owner changes it: request changes, or reject)."""
    row = get_row(session, code)
    project_transition(ProjectState(row.state), ProjectAction.RESOLVE_OBJECTION)
    objection = repository.objection(session, objection_id)
    if objection is None or objection.project_id != row.id:
        raise ObjectionNotFound(f"no objection {objection_id} on {row.code}", objection=objection_id)
    if objection.status != "open":
        raise TransitionRefused(
            f"objection {objection_id} is {objection.status} already", objection=objection_id
        )
    if decision not in ("dismiss", "uphold") or not text.strip():
        raise ProjectInvalid("resolve an objection by dismissing or upholding it, with a reason")
    at_us = to_micros(now or utcnow())
    status = "dismissed" if decision == "dismiss" else "upheld"
    repository.update_objection(
        session,
        objection_id,
        status=status,
        resolution=text.strip(),
        resolved_by=actor.label[:200],
        resolved_at_us=at_us,
    )
    row = get_row(session, code)
    _event(
        session,
        row,
        ProjectAction.RESOLVE_OBJECTION,
        ProjectState(row.state),
        actor,
        text.strip(),
        at_us,
        objection=objection_id,
        status=status,
    )
    found = repository.objection(session, objection_id)
    assert found is not None
    return _objection_read(found)


def file(
    session: Session,
    code: str,
    *,
    actor: Actor,
    buffer_share: Decimal | None = None,
    text: str = "",
    now: datetime | None = None,
) -> ProjectRead:
    """The authority files the project (备案) once its notice is over and every objection of this
    notice is dismissed; it sets the share of each issuance that goes to the buffer pool."""
    moment = now or utcnow()
    row = get_row(session, code)
    new_state = project_transition(ProjectState(row.state), ProjectAction.FILE)
    today = local_day(moment)
    if row.notice_last_day is None or today <= row.notice_last_day:
        raise NoticeNotOver(
            f"the public notice of {row.code} runs through {row.notice_last_day}; file it after that day",
            last_day=str(row.notice_last_day),
        )
    current = [o for o in repository.objections(session, row.id) if o.notice_round == row.notice_round]
    unresolved = [o.id for o in current if o.status == "open"]
    upheld = [o.id for o in current if o.status == "upheld"]
    if unresolved:
        raise ObjectionsUnresolved(f"resolve the open objections first: {unresolved}", objections=unresolved)
    if upheld:
        raise ObjectionsUnresolved(
            f"objections {upheld} were upheld: request changes or reject instead of filing", objections=upheld
        )
    methodology = find_methodology(row.methodology, row.methodology_version)
    if buffer_share is None:
        buffer_share = parameter_set(session, methodology.parameter_set).value("buffer_share_default")
    if not Decimal(0) <= buffer_share < Decimal("0.5"):
        raise ProjectInvalid("the buffer share must be at least 0 and below 0.5", field="buffer_share")
    at_us = to_micros(moment)
    share = dec_str(buffer_share)
    _event(session, row, ProjectAction.FILE, new_state, actor, text.strip(), at_us, buffer_share=share)
    repository.update_project(
        session, row.id, state=new_state.value, buffer_share=share, filed_at_us=at_us, updated_at_us=at_us
    )
    return project_read(session, get_row(session, code), today=today)


# ---- reads ------------------------------------------------------------------------------------


def _objection_read(row: Any) -> ObjectionRead:
    return ObjectionRead(
        id=row.id,
        notice_round=row.notice_round,
        author=row.author_label,
        org=row.author_org,
        text=row.text,
        created_at=from_micros(row.created_at_us),
        status=row.status,
        resolution=row.resolution,
        resolved_by=row.resolved_by,
        resolved_at=from_micros(row.resolved_at_us) if row.resolved_at_us else None,
    )


@dataclass(frozen=True)
class ProjectRecord:
    """Everything about one project a page shows beside the project itself."""

    project: ProjectRead
    events: list[EventRead]
    objections: list[ObjectionRead]
    documents: list[DocumentRead]


def record(session: Session, row: ProjectRow, *, totals: TotalsRead | None = None) -> ProjectRecord:
    events = [
        EventRead(
            action=e.action,
            from_state=e.from_state,
            to_state=e.to_state,
            actor=e.actor_label,
            org=e.actor_org,
            text=e.text,
            at=from_micros(e.at_us),
        )
        for e in repository.events(session, row.id)
    ]
    return ProjectRecord(
        project=project_read(session, row, totals=totals),
        events=events,
        objections=[_objection_read(o) for o in repository.objections(session, row.id)],
        documents=[_document_read(d) for d in repository.documents(session, row.id)],
    )


def document_content(session: Session, code: str, document_id: int) -> tuple[DocumentRead, bytes, ProjectRow]:
    row = get_row(session, code)
    found = repository.document(session, document_id)
    if found is None or found.project_id != row.id:
        raise DocumentNotFound(f"no document {document_id} in {row.code}", document=document_id)
    return _document_read(found), bytes(found.content), row


def list_projects(
    session: Session, *, states: list[str] | None = None, owner: str | None = None
) -> list[ProjectRead]:
    names: dict[str, str] = {}
    return [
        project_read(session, row, names=names)
        for row in repository.projects(session, states=states, owner=owner)
    ]


def review_queue(session: Session) -> list[ProjectRead]:
    """Projects waiting for the authority: submitted ones and those under notice."""
    return list_projects(session, states=[ProjectState.SUBMITTED.value, ProjectState.PUBLIC_NOTICE.value])
