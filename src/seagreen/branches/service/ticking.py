"""The scheduled job (``seagreen branches tick``): every time-driven step, at the time it is given.

Run it every few minutes or hourly; it is idempotent. It closes rounds past their deadline (their
unsent drafts lapse), lapses requests for more left unanswered, makes branches without their
annual report overdue after 31 March, withdraws the plaque of a revocation not appealed in time,
and queues reminders before 31 March. Notices are sent afterwards by :func:`~.notices.deliver`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from seagreen.audit.domain import Actor
from seagreen.branches import repository
from seagreen.branches.domain import (
    ACTIVE_RECOGNITION,
    Policy,
    RecognitionAction,
    deadline_day,
    next_report_year,
    reminder_stage,
    report_deadline,
)
from seagreen.branches.schemas import TickReport
from seagreen.branches.service.applications import lapse_application
from seagreen.branches.service.notices import tell_branch
from seagreen.branches.service.recognitions import check_reports_due, move, notify_withdrawn
from seagreen.branches.service.rounds import close_round

TICK_ACTOR = Actor.system("seagreen branches tick")


def tick(session: Session, *, policy: Policy, now: datetime, actor: Actor = TICK_ACTOR) -> TickReport:
    report = TickReport(now=now)
    for round_row in repository.rounds_due_to_close(session, now):
        close_round(session, round_row, actor=actor, now=now)
        report.rounds_closed += 1
        for draft in repository.drafts_in_round(session, round_row.id):
            lapse_application(session, draft, why=f"round {round_row.code} closed", actor=actor, now=now)
            report.drafts_lapsed += 1
    for waiting in repository.waiting_past_deadline(session, now):
        lapse_application(
            session, waiting, why="the requested materials did not come in time", actor=actor, now=now
        )
        report.requests_lapsed += 1
    for row in repository.recognitions(session, statuses=["recognised"], for_update=True):
        report.became_overdue += check_reports_due(session, row, actor=actor, now=now)
    for row in repository.recognitions_past_appeal_window(session, now):
        move(
            session,
            row,
            RecognitionAction.CLOSE_APPEAL_WINDOW,
            actor=actor,
            now=now,
            reason="no appeal within the appeal period",
            audit_action="branches.recognition.withdraw",
            details={"appeal_until": row.appeal_until.isoformat() if row.appeal_until else None},
        )
        row.appeal_until = None
        notify_withdrawn(session, row, why="no appeal", actor=actor, now=now)
        report.plaques_withdrawn += 1
    report.reminders_queued = queue_reminders(session, policy=policy, now=now)
    session.flush()
    return report


def queue_reminders(session: Session, *, policy: Policy, now: datetime) -> int:
    """A reminder for each green sub-branch whose next report is due soon and not yet in."""
    active = repository.recognitions(session, statuses=[s.value for s in ACTIVE_RECOGNITION])
    reported = repository.reported_years(session, [row.id for row in active])
    queued = 0
    for row in active:
        year = next_report_year(row.recognised_at, now)
        if year in reported[row.id]:
            continue
        deadline = report_deadline(year)
        stage = reminder_stage(deadline, now, policy.reminder_days)
        if stage is None:
            continue
        due = deadline_day(deadline).isoformat()
        queued += tell_branch(
            session, row, "reminder", f"{year}:{stage}", now, year=year, due=due, days=stage
        )
    return queued
