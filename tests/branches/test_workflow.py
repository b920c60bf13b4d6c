"""The workflow's state machines against reference tables written out here, independently of the
implementation: every allowed and every refused transition, then random sequences (Hypothesis)
against a simple reference model of joint review and appeals."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from seagreen.branches.domain import (
    ApplicationAction,
    ApplicationState,
    ApplicationStatus,
    RecognitionAction,
    RecognitionState,
    RecognitionStatus,
    ReportStatus,
    RoundAction,
    RoundStatus,
    TransitionRefused,
    report_step,
    round_step,
)

A, B, C = "bureau", "pbc", "nfra"
THREE = frozenset({A, B, C})
S = ApplicationStatus
Act = ApplicationAction
R = RecognitionStatus
RAct = RecognitionAction

# ---- applications: the reference table ----------------------------------------------------------
# (status, action) -> status after it, for one authority acting with no other approval yet.
# Anything not listed is refused.
APPLICATION_TABLE: dict[tuple[S, Act], S] = {
    (S.DRAFT, Act.SAVE): S.DRAFT,
    (S.DRAFT, Act.SUBMIT): S.SUBMITTED,
    (S.DRAFT, Act.WITHDRAW): S.WITHDRAWN,
    (S.DRAFT, Act.LAPSE): S.LAPSED,
    (S.SUBMITTED, Act.WITHDRAW): S.WITHDRAWN,
    (S.SUBMITTED, Act.APPROVE): S.SUBMITTED,  # one of three
    (S.SUBMITTED, Act.REJECT): S.REJECTED,
    (S.SUBMITTED, Act.REQUEST_MORE): S.MORE_REQUESTED,
    (S.MORE_REQUESTED, Act.SAVE): S.MORE_REQUESTED,
    (S.MORE_REQUESTED, Act.SUBMIT): S.SUBMITTED,
    (S.MORE_REQUESTED, Act.WITHDRAW): S.WITHDRAWN,
    (S.MORE_REQUESTED, Act.REQUEST_MORE): S.MORE_REQUESTED,
    (S.MORE_REQUESTED, Act.LAPSE): S.LAPSED,
}
AUTHORITY_ACTIONS = {Act.APPROVE, Act.REJECT, Act.REQUEST_MORE}


def _who(action: Act) -> str | None:
    return A if action in AUTHORITY_ACTIONS else None


@pytest.mark.parametrize(("status", "action"), list(itertools.product(S, Act)), ids=lambda v: v.value)
def test_every_application_transition_is_allowed_or_refused_as_in_the_table(status, action):
    state = ApplicationState(status, THREE)
    expected = APPLICATION_TABLE.get((status, action))
    if expected is None:
        with pytest.raises(TransitionRefused) as refused:
            state.apply(action, _who(action))
        assert (refused.value.status, refused.value.action) == (status.value, action.value)
    else:
        assert state.apply(action, _who(action)).status is expected


def test_recognition_needs_every_authority_and_one_rejection_decides():
    state = ApplicationState(S.SUBMITTED, THREE)
    state = state.apply(Act.APPROVE, A).apply(Act.APPROVE, B)
    assert state.status is S.SUBMITTED and state.pending() == {C}
    assert state.apply(Act.APPROVE, C).status is S.APPROVED
    assert state.apply(Act.REJECT, C).status is S.REJECTED


def test_an_authority_may_change_its_mind_before_the_last_approval():
    state = ApplicationState(S.SUBMITTED, THREE).apply(Act.APPROVE, A).apply(Act.APPROVE, B)
    state = state.apply(Act.REQUEST_MORE, A)
    assert state.status is S.MORE_REQUESTED


def test_resubmission_starts_every_review_again():
    state = ApplicationState(S.SUBMITTED, THREE).apply(Act.APPROVE, A).apply(Act.REQUEST_MORE, B)
    state = state.apply(Act.SAVE).apply(Act.SUBMIT)
    assert state.status is S.SUBMITTED and state.decisions == {} and state.pending() == THREE


def test_only_the_reviewing_authorities_review_and_only_they():
    state = ApplicationState(S.SUBMITTED, THREE)
    with pytest.raises(TransitionRefused, match="not one of the reviewing authorities"):
        state.apply(Act.APPROVE, "someone-else")
    with pytest.raises(TransitionRefused):
        state.apply(Act.APPROVE)
    with pytest.raises(TransitionRefused, match="not an authority's"):
        ApplicationState(S.DRAFT, THREE).apply(Act.SUBMIT, A)


# ---- recognitions: the reference table ------------------------------------------------------------

RECOGNITION_TABLE: dict[tuple[R, RAct], R] = {
    (R.RECOGNISED, RAct.SUBMIT_REPORT): R.RECOGNISED,
    (R.RECOGNISED, RAct.PASS_REPORT): R.RECOGNISED,
    (R.RECOGNISED, RAct.FAIL_REPORT): R.REVOKED,
    (R.RECOGNISED, RAct.MISS_REPORT): R.OVERDUE,
    (R.OVERDUE, RAct.SUBMIT_REPORT): R.OVERDUE,
    (R.OVERDUE, RAct.PASS_REPORT): R.RECOGNISED,
    (R.OVERDUE, RAct.FAIL_REPORT): R.REVOKED,
    (R.OVERDUE, RAct.REVOKE): R.REVOKED,
    (R.REVOKED, RAct.SUBMIT_REPORT): R.REVOKED,
    (R.REVOKED, RAct.APPEAL): R.APPEALED,
    (R.REVOKED, RAct.CLOSE_APPEAL_WINDOW): R.WITHDRAWN,
    (R.APPEALED, RAct.SUBMIT_REPORT): R.APPEALED,
    (R.APPEALED, RAct.KEEP): R.APPEALED,  # one finding of three
    (R.APPEALED, RAct.CONFIRM): R.APPEALED,  # one finding of three
}
BY_AUTHORITY = {RAct.PASS_REPORT, RAct.FAIL_REPORT, RAct.REVOKE, RAct.KEEP, RAct.CONFIRM}


@pytest.mark.parametrize(("status", "action"), list(itertools.product(R, RAct)), ids=lambda v: v.value)
def test_every_recognition_transition_is_allowed_or_refused_as_in_the_table(status, action):
    state = RecognitionState(status, THREE)
    who = A if action in BY_AUTHORITY else None
    expected = RECOGNITION_TABLE.get((status, action))
    if expected is None:
        with pytest.raises(TransitionRefused):
            state.apply(action, who)
    else:
        after = state.apply(action, who)
        assert after.status is expected
        assert after.on_public_list is (expected in (R.RECOGNISED, R.OVERDUE))


@pytest.mark.parametrize(
    ("findings", "outcome"),
    [
        ((RAct.KEEP, RAct.KEEP, RAct.KEEP), R.RECOGNISED),
        ((RAct.KEEP, RAct.KEEP, RAct.CONFIRM), R.WITHDRAWN),
        ((RAct.CONFIRM, RAct.KEEP, RAct.KEEP), R.WITHDRAWN),
        ((RAct.CONFIRM, RAct.CONFIRM, RAct.CONFIRM), R.WITHDRAWN),
    ],
)
def test_an_appeal_is_decided_when_all_three_have_found(findings, outcome):
    state = RecognitionState(R.REVOKED, THREE).apply(RAct.APPEAL)
    for authority, finding in zip((A, B, C), findings, strict=True):
        assert state.status is R.APPEALED
        state = state.apply(finding, authority)
    assert state.status is outcome


def test_a_finding_can_be_changed_until_the_last_one_is_in():
    state = RecognitionState(R.APPEALED, THREE).apply(RAct.CONFIRM, A).apply(RAct.KEEP, B)
    state = state.apply(RAct.KEEP, A).apply(RAct.KEEP, C)
    assert state.status is R.RECOGNISED


def test_appeal_findings_come_only_from_the_authorities_and_the_bank_cannot_pass_its_own_report():
    with pytest.raises(TransitionRefused):
        RecognitionState(R.APPEALED, THREE).apply(RAct.KEEP, "a-bank")
    with pytest.raises(TransitionRefused):
        RecognitionState(R.APPEALED, THREE).apply(RAct.KEEP)
    with pytest.raises(TransitionRefused):
        RecognitionState(R.RECOGNISED, THREE).apply(RAct.MISS_REPORT, A)


def test_rounds_and_reports_move_once():
    assert round_step(RoundStatus.OPEN, RoundAction.CLOSE) is RoundStatus.CLOSED
    with pytest.raises(TransitionRefused):
        round_step(RoundStatus.CLOSED, RoundAction.CLOSE)
    assert report_step(ReportStatus.SUBMITTED, "pass") is ReportStatus.PASSED
    assert report_step(ReportStatus.SUBMITTED, "fail") is ReportStatus.FAILED
    for status in (ReportStatus.PASSED, ReportStatus.FAILED):
        for decision in ("pass", "fail"):
            with pytest.raises(TransitionRefused):
                report_step(status, decision)
    with pytest.raises(TransitionRefused):
        report_step(ReportStatus.SUBMITTED, "maybe")


# ---- random sequences against a reference model --------------------------------------------------------

ACTORS = [A, B, C, "outsider", None]


class ApplicationModel:
    """The rules in the plainest words: a bank's actions by status; the authorities' latest
    decisions on the current submission; all three approvals recognise, one rejection rejects."""

    def __init__(self) -> None:
        self.status = "draft"
        self.decisions: dict[str, str] = {}

    def apply(self, action: str, who: str | None) -> bool:
        terminal = self.status in ("approved", "rejected", "withdrawn", "lapsed")
        is_review = action in ("approve", "reject", "request_more")
        right_actor = who in THREE if is_review else who is None  # the bank and the clock act as no authority
        if terminal or not right_actor:
            return False
        if action in ("save", "submit", "lapse"):
            if self.status not in ("draft", "more_requested"):
                return False
            if action == "submit":
                self.status, self.decisions = "submitted", {}
            elif action == "lapse":
                self.status = "lapsed"
            return True
        if action == "withdraw":
            self.status = "withdrawn"
            return True
        if action == "request_more":
            if self.status not in ("submitted", "more_requested"):
                return False
            assert who is not None
            self.decisions[who] = action
            self.status = "more_requested"
            return True
        if self.status != "submitted":
            return False
        assert who is not None
        self.decisions[who] = action
        if action == "reject":
            self.status = "rejected"
        elif all(self.decisions.get(a) == "approve" for a in THREE):
            self.status = "approved"
        return True


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(Act)), st.sampled_from(ACTORS)), max_size=30))
def test_random_application_histories_agree_with_the_reference_model(steps):
    model, state = ApplicationModel(), ApplicationState(S.DRAFT, THREE)
    for action, who in steps:
        expected = model.apply(action.value, who)
        try:
            state = state.apply(action, who)
        except TransitionRefused:
            assert not expected, (action, who, model.status)
        else:
            assert expected, (action, who, model.status)
        assert state.status.value == model.status
        assert {k: v.value for k, v in state.decisions.items()} == model.decisions


class RecognitionMachine(RuleBasedStateMachine):
    """A recognised branch's life under random steps, checked against a plain model."""

    def __init__(self) -> None:
        super().__init__()
        self.state = RecognitionState(R.RECOGNISED, THREE)
        self.status = "recognised"
        self.findings: dict[str, str] = {}

    def _try(self, action: RAct, who: str | None, allowed: bool, after: str) -> None:
        try:
            self.state = self.state.apply(action, who)
        except TransitionRefused:
            assert not allowed, (action, who, self.status)
            return
        assert allowed, (action, who, self.status)
        self.status = after

    @rule()
    def a_report_goes_missing(self) -> None:
        self._try(RAct.MISS_REPORT, None, self.status == "recognised", "overdue")

    @rule(passed=st.booleans())
    def the_lead_decides_a_report(self, passed: bool) -> None:
        active = self.status in ("recognised", "overdue")
        action = RAct.PASS_REPORT if passed else RAct.FAIL_REPORT
        self._try(action, A, active, "recognised" if passed else "revoked")

    @rule()
    def the_lead_revokes(self) -> None:
        self._try(RAct.REVOKE, A, self.status == "overdue", "revoked")

    @rule()
    def the_bank_appeals(self) -> None:
        if self.status == "revoked":
            self.findings = {}
        self._try(RAct.APPEAL, None, self.status == "revoked", "appealed")

    @rule()
    def the_appeal_period_ends(self) -> None:
        self._try(RAct.CLOSE_APPEAL_WINDOW, None, self.status == "revoked", "withdrawn")

    @rule(who=st.sampled_from(ACTORS), keep=st.booleans())
    def an_authority_finds(self, who: str | None, keep: bool) -> None:
        allowed = self.status == "appealed" and who in THREE
        after = self.status
        if allowed:
            assert who is not None
            self.findings[who] = "keep" if keep else "confirm"
            if self.findings.keys() >= THREE:
                after = "recognised" if all(v == "keep" for v in self.findings.values()) else "withdrawn"
        self._try(RAct.KEEP if keep else RAct.CONFIRM, who, allowed, after)

    @rule()
    def the_bank_reports(self) -> None:
        self._try(RAct.SUBMIT_REPORT, None, self.status != "withdrawn", self.status)

    @invariant()
    def the_status_agrees(self) -> None:
        assert self.state.status.value == self.status
        assert self.state.on_public_list is (self.status in ("recognised", "overdue"))


TestRecognitionMachine = RecognitionMachine.TestCase
TestRecognitionMachine.settings = settings(max_examples=400, stateful_step_count=40, deadline=None)
