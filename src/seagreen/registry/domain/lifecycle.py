"""The project's way to filing (备案) and a monitoring report's way to issuance (签发), as tables.

Project::

    draft ──submit──▶ submitted ──start_notice──▶ public_notice ──file──▶ filed
      ▲                 │  ▲                          │
      │        request_changes│resubmit               │ request_changes / reject
      │                 ▼  │                          ▼
      └──── changes_requested ◀────────────────────── (changes_requested | rejected)
    draft / submitted / changes_requested ──withdraw──▶ withdrawn

``comment`` keeps the state. Filing also needs the notice to be over and every objection resolved
(checked by the service, which knows the dates and the objections). ``rejected`` and
``withdrawn`` are final; ``filed`` is where monitoring reports become possible.

Monitoring report::

    submitted ──verify──▶ verified ──issue──▶ issued
        └──return──▶ returned
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from seagreen.registry.errors import TransitionRefused


class ProjectState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    PUBLIC_NOTICE = "public_notice"
    FILED = "filed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Party(StrEnum):
    OWNER = "owner"  # 项目业主
    AUTHORITY = "authority"  # 主管部门
    ANYONE = "anyone"  # any signed-in person (objections during the notice)


class ProjectAction(StrEnum):
    EDIT = "edit"
    ADD_DOCUMENT = "add_document"
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    COMMENT = "comment"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"
    START_NOTICE = "start_notice"
    OBJECT = "object"
    RESOLVE_OBJECTION = "resolve_objection"
    FILE = "file"


S, A = ProjectState, ProjectAction

PROJECT_TRANSITIONS: dict[tuple[ProjectState, ProjectAction], ProjectState] = {
    (S.DRAFT, A.EDIT): S.DRAFT,
    (S.CHANGES_REQUESTED, A.EDIT): S.CHANGES_REQUESTED,
    (S.DRAFT, A.ADD_DOCUMENT): S.DRAFT,
    (S.CHANGES_REQUESTED, A.ADD_DOCUMENT): S.CHANGES_REQUESTED,
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.CHANGES_REQUESTED, A.SUBMIT): S.SUBMITTED,
    (S.DRAFT, A.WITHDRAW): S.WITHDRAWN,
    (S.SUBMITTED, A.WITHDRAW): S.WITHDRAWN,
    (S.CHANGES_REQUESTED, A.WITHDRAW): S.WITHDRAWN,
    (S.SUBMITTED, A.COMMENT): S.SUBMITTED,
    (S.PUBLIC_NOTICE, A.COMMENT): S.PUBLIC_NOTICE,
    (S.FILED, A.COMMENT): S.FILED,
    (S.SUBMITTED, A.REQUEST_CHANGES): S.CHANGES_REQUESTED,
    (S.PUBLIC_NOTICE, A.REQUEST_CHANGES): S.CHANGES_REQUESTED,
    (S.SUBMITTED, A.REJECT): S.REJECTED,
    (S.PUBLIC_NOTICE, A.REJECT): S.REJECTED,
    (S.SUBMITTED, A.START_NOTICE): S.PUBLIC_NOTICE,
    (S.PUBLIC_NOTICE, A.OBJECT): S.PUBLIC_NOTICE,
    (S.PUBLIC_NOTICE, A.RESOLVE_OBJECTION): S.PUBLIC_NOTICE,
    (S.PUBLIC_NOTICE, A.FILE): S.FILED,
}

ACTION_PARTY: dict[ProjectAction, Party] = {
    A.EDIT: Party.OWNER,
    A.ADD_DOCUMENT: Party.OWNER,
    A.SUBMIT: Party.OWNER,
    A.WITHDRAW: Party.OWNER,
    A.COMMENT: Party.AUTHORITY,
    A.REQUEST_CHANGES: Party.AUTHORITY,
    A.REJECT: Party.AUTHORITY,
    A.START_NOTICE: Party.AUTHORITY,
    A.OBJECT: Party.ANYONE,
    A.RESOLVE_OBJECTION: Party.AUTHORITY,
    A.FILE: Party.AUTHORITY,
}

REASON_REQUIRED = frozenset({A.REQUEST_CHANGES, A.REJECT, A.COMMENT, A.OBJECT, A.RESOLVE_OBJECTION})
FINAL_STATES = frozenset({S.REJECTED, S.WITHDRAWN})
PUBLIC_STATES = frozenset({S.PUBLIC_NOTICE, S.FILED})


def project_transition(state: ProjectState, action: ProjectAction) -> ProjectState:
    """The state after ``action``, or :class:`TransitionRefused` naming what is allowed."""
    try:
        return PROJECT_TRANSITIONS[(state, action)]
    except KeyError:
        allowed = sorted(a.value for (s, a) in PROJECT_TRANSITIONS if s is state)
        raise TransitionRefused(
            f"a project that is {state.value} cannot {action.value.replace('_', ' ')}"
            + (f"; it can: {', '.join(allowed)}" if allowed else "; it is final"),
            state=state.value,
            action=action.value,
        ) from None


def allowed_actions(state: ProjectState, party: Party) -> list[ProjectAction]:
    return [a for (s, a) in PROJECT_TRANSITIONS if s is state and ACTION_PARTY[a] is party]


class ReportState(StrEnum):
    SUBMITTED = "submitted"
    VERIFIED = "verified"
    ISSUED = "issued"
    RETURNED = "returned"


class ReportAction(StrEnum):
    VERIFY = "verify"
    RETURN = "return"
    ISSUE = "issue"


REPORT_TRANSITIONS: dict[tuple[ReportState, ReportAction], ReportState] = {
    (ReportState.SUBMITTED, ReportAction.VERIFY): ReportState.VERIFIED,
    (ReportState.SUBMITTED, ReportAction.RETURN): ReportState.RETURNED,
    (ReportState.VERIFIED, ReportAction.RETURN): ReportState.RETURNED,
    (ReportState.VERIFIED, ReportAction.ISSUE): ReportState.ISSUED,
}

# Reports whose period is taken: a new report may not overlap them.
LIVE_REPORT_STATES = frozenset({ReportState.SUBMITTED, ReportState.VERIFIED, ReportState.ISSUED})


def report_transition(state: ReportState, action: ReportAction) -> ReportState:
    try:
        return REPORT_TRANSITIONS[(state, action)]
    except KeyError:
        raise TransitionRefused(
            f"a monitoring report that is {state.value} cannot be {action.value}ed"
            if action is not ReportAction.ISSUE
            else f"a monitoring report that is {state.value} cannot be issued (verify it first)",
            state=state.value,
            action=action.value,
        ) from None


@dataclass(frozen=True)
class Period:
    """A monitoring period, both ends included."""

    start: date
    end: date

    def overlaps(self, other: Period) -> bool:
        return self.start <= other.end and other.start <= self.end

    def within(self, outer: Period) -> bool:
        return outer.start <= self.start and self.end <= outer.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1
