"""The green sub-branch demo: one branch on the public list, a round open with applications in
different states, a branch left to apply for; loaded once, whatever the date it runs on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from seagreen.branches import service
from seagreen.branches.domain import Viewer
from seagreen.demo.branches import DEMO_POLICY
from seagreen.demo.flows import load_demo
from seagreen.kit.keys import load_keys
from seagreen.kit.storage import LocalStore

SMALL = {"residents": 30, "days": 3}
READER = Viewer(reader=True)


@pytest.mark.parametrize(
    "now",
    [datetime(2026, 3, 20, 2, 0, tzinfo=UTC), datetime(2026, 11, 28, 9, 0, tzinfo=UTC)],
    ids=["early-spring", "late-autumn"],
)
def test_the_demo_has_a_listed_branch_an_open_round_and_applications_in_each_state(
    session, settings, tmp_path, now
):
    report = load_demo(session, load_keys(settings), now=now, store=LocalStore(tmp_path), **SMALL).branches
    assert report is not None and report.recognised is not None
    listing = service.public_list(session)
    assert [e.number for e in listing.recognised] == [report.recognised]
    assert service.certificate_pdf(session, report.recognised)[0].startswith(b"%PDF")
    rec = service.get_recognition(session, READER, report.recognised, policy=DEMO_POLICY, now=now)
    assert rec.status == "recognised" and [r.status for r in rec.reports] == ["passed"]
    assert rec.next_report_due_at > now and rec.missing_reports == []
    assert [r.code for r in service.accepting_rounds(session, now)] == [f"{now.year}-1"]
    statuses = {a.branch: a.status for a in service.list_applications(session, READER)}
    assert statuses == {
        "wh-commercial-bank-rc": "approved",
        "wh-rural-bank-rs": "submitted",
        "wh-rural-bank-rc": "more_requested",
    }  # the Huancui draft is the bank's own; Wendeng has nothing yet
    bank = Viewer(org_code="wh-commercial-bank", bank="wh-commercial-bank")
    assert {a.status for a in service.list_applications(session, bank)} == {"approved", "draft"}
    assert "wh-commercial-bank-wd" in {b.code for b in service.branches_of(session, bank)}
    assert service.tick(session, policy=DEMO_POLICY, now=now).became_overdue == 0

    again = load_demo(session, load_keys(settings), now=now, store=LocalStore(tmp_path), **SMALL).branches
    assert again is not None and again.rounds == 0 and len(service.list_rounds(session)) == 2


def test_without_a_document_store_the_demo_leaves_recognition_out(session, settings):
    report = load_demo(session, load_keys(settings), now=datetime(2026, 11, 28, tzinfo=UTC), **SMALL)
    assert report.branches is None and service.list_rounds(session) == []
