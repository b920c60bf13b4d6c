"""The project and report state machines: every allowed transition, and every other one refused."""

from __future__ import annotations

import itertools

import pytest

from seagreen.registry.domain.lifecycle import (
    ACTION_PARTY,
    PROJECT_TRANSITIONS,
    REPORT_TRANSITIONS,
    Party,
    Period,
    ProjectAction,
    ProjectState,
    ReportAction,
    ReportState,
    allowed_actions,
    project_transition,
    report_transition,
)
from seagreen.registry.errors import TransitionRefused

S, A = ProjectState, ProjectAction


@pytest.mark.parametrize(
    ("state", "action", "after"), [(s, a, n) for (s, a), n in PROJECT_TRANSITIONS.items()]
)
def test_each_allowed_project_transition_leads_where_the_table_says(state, action, after):
    assert project_transition(state, action) is after


REFUSED = [(s, a) for s, a in itertools.product(S, A) if (s, a) not in PROJECT_TRANSITIONS]


@pytest.mark.parametrize(("state", "action"), REFUSED)
def test_every_other_project_transition_is_refused(state, action):
    with pytest.raises(TransitionRefused) as caught:
        project_transition(state, action)
    assert caught.value.details == {"state": state.value, "action": action.value}


def test_the_way_to_filing():
    state = S.DRAFT
    for action in (
        A.ADD_DOCUMENT,
        A.SUBMIT,
        A.REQUEST_CHANGES,
        A.EDIT,
        A.SUBMIT,
        A.START_NOTICE,
        A.OBJECT,
        A.RESOLVE_OBJECTION,
        A.FILE,
    ):
        state = project_transition(state, action)
    assert state is S.FILED


def test_rejected_and_withdrawn_projects_are_final():
    for state in (S.REJECTED, S.WITHDRAWN):
        assert not [a for a in A if (state, a) in PROJECT_TRANSITIONS]
        with pytest.raises(TransitionRefused, match="final"):
            project_transition(state, A.SUBMIT)


def test_a_filed_project_cannot_go_back_to_review():
    assert allowed_actions(S.FILED, Party.AUTHORITY) == [A.COMMENT]
    assert allowed_actions(S.FILED, Party.OWNER) == []


def test_only_the_public_may_object_and_only_the_owner_submits():
    assert ACTION_PARTY[A.OBJECT] is Party.ANYONE
    assert {a for a, p in ACTION_PARTY.items() if p is Party.OWNER} == {
        A.EDIT,
        A.ADD_DOCUMENT,
        A.SUBMIT,
        A.WITHDRAW,
    }


@pytest.mark.parametrize(
    ("state", "action", "after"), [(s, a, n) for (s, a), n in REPORT_TRANSITIONS.items()]
)
def test_each_allowed_report_transition(state, action, after):
    assert report_transition(state, action) is after


@pytest.mark.parametrize(
    ("state", "action"),
    [(s, a) for s, a in itertools.product(ReportState, ReportAction) if (s, a) not in REPORT_TRANSITIONS],
)
def test_every_other_report_transition_is_refused(state, action):
    with pytest.raises(TransitionRefused):
        report_transition(state, action)


def test_a_report_is_issued_only_once_verified():
    with pytest.raises(TransitionRefused, match="verify it first"):
        report_transition(ReportState.SUBMITTED, ReportAction.ISSUE)
    with pytest.raises(TransitionRefused):
        report_transition(ReportState.ISSUED, ReportAction.ISSUE)


def test_periods_overlap_when_they_share_a_day():
    from datetime import date

    year = Period(date(2021, 1, 1), date(2021, 12, 31))
    assert year.overlaps(Period(date(2021, 12, 31), date(2022, 6, 30)))
    assert not year.overlaps(Period(date(2022, 1, 1), date(2022, 6, 30)))
    assert Period(date(2021, 3, 1), date(2021, 3, 31)).within(year) and year.days == 365
