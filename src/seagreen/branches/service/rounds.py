"""Recognition rounds (认定批次): the authorities' joint notice opens one with a deadline and the
indicator set in force; the scheduled job closes it after its deadline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.branches import repository
from seagreen.branches.domain import (
    Policy,
    RoundAction,
    RoundStatus,
    Viewer,
    deadline_day,
    end_of_local_day,
    local_date,
    round_step,
)
from seagreen.branches.errors import RoundConflict, RoundInvalid, RoundNotFound
from seagreen.branches.models import RoundRow
from seagreen.branches.schemas import RoundCreate, RoundRead
from seagreen.branches.service.access import require_authority
from seagreen.branches.service.indicators import indicator_set, indicator_set_by_id
from seagreen.kit.clock import utcnow


def round_read(session: Session, row: RoundRow, now: datetime | None = None) -> RoundRead:
    found = indicator_set_by_id(session, row.indicator_set_id)
    moment = now or utcnow()
    return RoundRead(
        code=row.code,
        title_zh=row.title_zh,
        title_en=row.title_en,
        indicator_set=found.code,
        indicator_set_proposal=found.is_proposal,
        authorities=row.authorities.split(),
        status=row.status,
        accepting=row.status == RoundStatus.OPEN and moment < row.deadline_at,
        opened_at=row.opened_at,
        deadline=deadline_day(row.deadline_at),
        deadline_at=row.deadline_at,
        closed_at=row.closed_at,
        opened_by=row.opened_by,
    )


def open_round(
    session: Session,
    viewer: Viewer | None,
    body: RoundCreate,
    *,
    policy: Policy,
    actor: Actor,
    now: datetime | None = None,
) -> RoundRead:
    """Open a round on behalf of the reviewing authorities (``viewer`` ``None``: the command line)."""
    if viewer is not None:
        require_authority(viewer, policy.authorities)
    moment = now or utcnow()
    if body.deadline <= local_date(moment):
        raise RoundInvalid("the deadline must be a day after today", field="deadline")
    if repository.round_by_code(session, body.code) is not None:
        raise RoundConflict(f"a round {body.code!r} exists already", code=body.code)
    found = indicator_set(session, body.indicator_set)
    set_row = repository.indicator_set_row(session, found.code)
    assert set_row is not None
    row = repository.add(
        session,
        RoundRow(
            code=body.code,
            title_zh=body.title_zh.strip(),
            title_en=body.title_en.strip(),
            indicator_set_id=set_row.id,
            authorities=" ".join(policy.authorities),
            status=RoundStatus.OPEN.value,
            opened_at=moment,
            deadline_at=end_of_local_day(body.deadline),
            closed_at=None,
            opened_by=actor.label[:200],
        ),
    )
    audit.record(
        session,
        actor,
        "branches.round.open",
        "branch_round",
        row.code,
        details={
            "title_zh": row.title_zh,
            "deadline": body.deadline.isoformat(),
            "indicator_set": found.code,
            "indicator_set_hash": set_row.content_hash,
            "authorities": list(policy.authorities),
        },
        now=moment,
    )
    return round_read(session, row, moment)


def close_round(session: Session, row: RoundRow, *, actor: Actor, now: datetime) -> None:
    row.status = round_step(RoundStatus(row.status), RoundAction.CLOSE).value
    row.closed_at = now
    audit.record(
        session,
        actor,
        "branches.round.close",
        "branch_round",
        row.code,
        reason="the deadline passed",
        details={"deadline": deadline_day(row.deadline_at).isoformat()},
        now=now,
    )


def get_round(session: Session, code: str) -> RoundRow:
    row = repository.round_by_code(session, code)
    if row is None:
        raise RoundNotFound(f"no round {code!r}", code=code)
    return row


def list_rounds(
    session: Session, *, now: datetime | None = None, status: str | None = None
) -> list[RoundRead]:
    return [round_read(session, row, now) for row in repository.rounds(session, status)]


def accepting_rounds(session: Session, now: datetime | None = None) -> list[RoundRead]:
    return [r for r in list_rounds(session, now=now, status=RoundStatus.OPEN.value) if r.accepting]
