"""Every text the green sub-branch pages and emails build from a value (a status, a decision, an
audit action, an email kind) is in the catalogue in both languages: the template scan of
tests/web/test_i18n.py cannot see keys that end with a value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from seagreen.branches.domain import (
    AppealStatus,
    ApplicationStatus,
    RecognitionStatus,
    ReportStatus,
    ReviewDecision,
    RoundStatus,
)
from seagreen.branches.pages import DONE
from seagreen.web.i18n import catalogue

SERVICE = Path(__file__).resolve().parents[2] / "src" / "seagreen" / "branches" / "service"
MAIL_KIND = re.compile(
    r'tell_(?:branch|applicant)\(\s*session,\s*row,\s*"([a-z_]+)"(?: if kept else "([a-z_]+)")?'
)

KEYS = (
    [f"branches.status.application.{s.value}" for s in ApplicationStatus]
    + [f"branches.status.recognition.{s.value}" for s in RecognitionStatus]
    + [f"branches.status.report.{s.value}" for s in ReportStatus]
    + [f"branches.status.appeal.{s.value}" for s in AppealStatus]
    + [f"branches.status.round.{s.value}" for s in RoundStatus]
    + [f"branches.decision.{d.value}" for d in ReviewDecision]
    + ["branches.decision.pass", "branches.decision.fail", "branches.decision.none"]
    + ["branches.finding.keep", "branches.finding.confirm"]
    + [f"branches.done.{done}" for done in sorted(DONE)]
    + [f"branches.tasks.{kind}" for kind in ("report", "overdue", "appeal")]
    + [
        f"branches.problem.{code}"
        for code in (
            "missing",
            "money",
            "count",
            "rate",
            "rate_range",
            "yes_no",
            "option",
            "too_large",
            "invalid",
            "phone",
            "email",
            "narrative",
            "documents",
        )
    ]
)


@pytest.mark.parametrize("key", KEYS)
def test_each_value_shown_in_words_has_its_text(key):
    assert key in catalogue(), key


def test_every_problem_code_the_code_can_give_has_words():
    text = "\n".join(path.read_text(encoding="utf-8") for path in SERVICE.parent.rglob("*.py"))
    codes = set(re.findall(r'ValueProblem\("([a-z_]+)"', text)) | set(re.findall(r'code="([a-z_]+)"', text))
    assert {"money", "phone", "documents"} <= codes
    assert sorted(c for c in codes if f"branches.problem.{c}" not in catalogue()) == []


def _source() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in SERVICE.rglob("*.py"))


def test_every_audit_action_the_module_records_has_a_label():
    text = _source()
    actions = {m for m in re.findall(r'"(branches\.[a-z_]+\.[a-z_]+)"', text)}
    actions |= {f"branches.review.{d.value}" for d in ReviewDecision}  # f"branches.review.{decision}"
    actions |= {f"branches.report.{d}" for d in ("pass", "fail")}  # f"branches.report.{decision}"
    actions |= {f"branches.appeal.{f}" for f in ("keep", "confirm")}  # f"branches.appeal.{finding}"
    assert len(actions) > 20
    missing = sorted(
        a for a in actions if f"audit.action.{a}" not in catalogue() and not a.startswith("branches.mail")
    )
    assert missing == []


def test_every_email_kind_has_a_subject_and_a_body():
    text = _source()
    kinds = {k for pair in MAIL_KIND.findall(text) for k in pair if k}
    kinds |= {"report_passed", "report_failed"}  # chosen by the decision
    assert {"reminder", "overdue", "recognised", "rejected", "more_requested", "lapsed"} <= kinds
    for kind in kinds:
        for part in ("subject", "body"):
            assert f"branches.mail.{kind}.{part}" in catalogue(), (kind, part)
