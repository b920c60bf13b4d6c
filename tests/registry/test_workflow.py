"""A project's way from registration to issuance through the services: every transition, every
refusal, and the audit trail it leaves."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from seagreen.audit import service as audit
from seagreen.audit.domain import AuditQuery
from seagreen.registry import service
from seagreen.registry.errors import (
    DocumentInvalid,
    IssuanceRefused,
    NoticeNotOver,
    NotYourProject,
    ObjectionsUnresolved,
    PeriodOverlaps,
    ProjectInvalid,
    RegistryError,
    ReportInvalid,
    TransitionRefused,
)
from tests.factories.registry import (
    AFTER_NOTICE,
    CALENDAR,
    T0,
    actor_for,
    filed_project,
    issued,
    noticed_project,
    oyster_inputs,
    project_body,
    seagrass_inputs,
    submitted_project,
)

LATER = AFTER_NOTICE + timedelta(days=5)


def test_an_owner_registers_a_draft_with_its_area_in_hectares(session, cast):
    project = service.register(session, project_body(), actor=cast.owner_actor, now=T0)
    assert project.code.startswith("P") and project.state == "draft"
    assert (project.area_ha, project.area_mu) == ("13.3333", "200")
    assert project.methodology_version == "1.0.0" and project.kind == "seagrass"


def test_only_a_project_owner_organisation_registers(session, cast):
    with pytest.raises(ProjectInvalid, match="not a project owner"):
        service.register(session, project_body(), actor=cast.bank_actor, now=T0)


def test_submitting_needs_a_document(session, cast):
    code = service.register(session, project_body(), actor=cast.owner_actor, now=T0).code
    with pytest.raises(ProjectInvalid, match="documents"):
        service.submit(session, code, actor=cast.owner_actor)


def test_another_organisation_cannot_touch_an_owners_project(session, cast):
    code = service.register(session, project_body(), actor=cast.owner_actor, now=T0).code
    for action in (
        lambda: service.submit(session, code, actor=cast.bank_actor),
        lambda: service.withdraw(session, code, actor=cast.bank_actor),
        lambda: service.add_document(session, code, filename="x", content=b"x", actor=cast.bank_actor),
    ):
        with pytest.raises(NotYourProject):
            action()


def test_the_notice_runs_seven_working_days_and_filing_waits_for_its_end(session, cast):
    code = noticed_project(session, cast)
    project = service.project_read(session, service.get_row(session, code), today=date(2024, 4, 23))
    assert project.state == "public_notice"
    # 23, 24, 25, 26, Sunday 28 (worked instead of May Day), 29, 30
    assert project.notice is not None and project.notice.last_day == date(2024, 4, 30) and project.notice.open
    with pytest.raises(NoticeNotOver, match="2024-04-30"):
        service.file(
            session, code, actor=cast.authority_actor, now=T0 + timedelta(days=8, hours=6)
        )  # 30th, 16:00
    filed = service.file(
        session, code, actor=cast.authority_actor, now=T0 + timedelta(days=8, hours=15)
    )  # 1st
    assert filed.state == "filed" and filed.buffer_share == "0.1"  # the parameter set's default


def test_objections_are_raised_during_the_notice_and_must_be_dismissed_before_filing(session, cast):
    code = noticed_project(session, cast)
    objection = service.object_to(
        session, code, "面积与海域使用权证不符", actor=cast.buyer_actor, now=T0 + timedelta(days=2)
    )
    with pytest.raises(ObjectionsUnresolved, match="open objections"):
        service.file(session, code, actor=cast.authority_actor, now=AFTER_NOTICE)
    resolved = service.resolve_objection(
        session, code, objection.id, "dismiss", "已核实权证", actor=cast.authority_actor
    )
    assert resolved.status == "dismissed" and resolved.resolution == "已核实权证"
    with pytest.raises(TransitionRefused, match="dismissed already"):
        service.resolve_objection(session, code, objection.id, "uphold", "x", actor=cast.authority_actor)
    assert service.file(session, code, actor=cast.authority_actor, now=AFTER_NOTICE).state == "filed"


def test_no_objection_after_the_notice_closed(session, cast):
    code = noticed_project(session, cast)
    with pytest.raises(TransitionRefused, match="closed on 2024-04-30"):
        service.object_to(session, code, "late", actor=cast.buyer_actor, now=AFTER_NOTICE)


def test_an_upheld_objection_sends_the_project_back_and_a_new_notice_starts_afterwards(session, cast):
    code = noticed_project(session, cast)
    objection = service.object_to(
        session, code, "四至不清", actor=cast.buyer_actor, now=T0 + timedelta(days=1)
    )
    service.resolve_objection(
        session, code, objection.id, "uphold", "请补充界址图", actor=cast.authority_actor
    )
    with pytest.raises(ObjectionsUnresolved, match="upheld"):
        service.file(session, code, actor=cast.authority_actor, now=AFTER_NOTICE)
    back = service.review(
        session, code, "request_changes", "补充界址图", actor=cast.authority_actor, calendar=CALENDAR
    )
    assert back.state == "changes_requested"
    service.add_document(
        session,
        code,
        filename="map.pdf",
        content=b"%PDF-1.4 map",
        actor=cast.owner_actor,
    )
    service.submit(session, code, actor=cast.owner_actor)
    again = service.review(
        session, code, "start_notice", "", actor=cast.authority_actor, calendar=CALENDAR, now=AFTER_NOTICE
    )
    assert again.notice is not None and again.notice.round == 2
    # the upheld objection belonged to the first notice; the second one has none
    assert (
        service.file(session, code, actor=cast.authority_actor, now=AFTER_NOTICE + timedelta(days=14)).state
        == "filed"
    )


def test_a_review_decision_other_than_the_notice_needs_a_reason(session, cast):
    code = submitted_project(session, cast)
    with pytest.raises(ProjectInvalid, match="needs a text"):
        service.review(session, code, "reject", "  ", actor=cast.authority_actor, calendar=CALENDAR)
    assert (
        service.review(
            session, code, "reject", "不在海域", actor=cast.authority_actor, calendar=CALENDAR
        ).state
        == "rejected"
    )
    with pytest.raises(TransitionRefused, match="final"):
        service.submit(session, code, actor=cast.owner_actor)


def test_an_owner_edits_a_draft_but_not_a_submitted_project(session, cast):
    from seagreen.registry.schemas import ProjectUpdate

    code = service.register(session, project_body(), actor=cast.owner_actor, now=T0).code
    edited = service.update(
        session, code, ProjectUpdate(location="荣成市俚岛镇", area_ha=Decimal("12.5")), actor=cast.owner_actor
    )
    assert (edited.location, edited.area_ha) == ("荣成市俚岛镇", "12.5")
    service.add_document(session, code, filename="x.pdf", content=b"%PDF-1.4", actor=cast.owner_actor)
    service.submit(session, code, actor=cast.owner_actor)
    with pytest.raises(TransitionRefused):
        service.update(session, code, ProjectUpdate(location="elsewhere"), actor=cast.owner_actor)
    assert service.withdraw(session, code, actor=cast.owner_actor).state == "withdrawn"


def test_a_filed_projects_report_is_verified_and_issued_with_its_buffer(session, cast):
    code = filed_project(session, cast)
    report = service.submit_report(
        session,
        code,
        date(2021, 1, 1),
        date(2023, 12, 31),
        seagrass_inputs(),
        actor=cast.owner_actor,
        now=LATER,
    )
    assert (report.state, report.result_tco2e, report.issuable_t) == ("submitted", "338.700", 338)
    assert report.receipt is not None and report.receipt["receipt_sha256"] == report.receipt_sha256
    with pytest.raises(TransitionRefused, match="verify it first"):
        service.issue(session, report.id, actor=cast.authority_actor, now=LATER)
    verified = service.verify_report(
        session, report.id, "海洋碳汇中心", "复核无误", actor=cast.authority_actor, now=LATER
    )
    assert verified.state == "verified" and verified.verifier == "海洋碳汇中心"
    issuance = service.issue(session, report.id, actor=cast.authority_actor, now=LATER)
    assert (issuance.quantity, issuance.owner_quantity, issuance.buffer_quantity) == (338, 304, 34)
    assert issuance.block.endswith(f"{issuance.serial_start:09d}-{issuance.serial_end:09d}")
    assert issuance.serial_end - issuance.serial_start + 1 == 338
    assert service.get_report(session, report.id).state == "issued"
    with pytest.raises(TransitionRefused):
        service.issue(session, report.id, actor=cast.authority_actor, now=LATER)
    holdings = {
        (h.org_code, h.state): h.quantity for h in service.holdings(session) if h.project_code == code
    }
    assert holdings == {(cast.owner, "active"): 304, (None, "buffer"): 34}


def test_issuances_take_the_next_serials_of_the_whole_registry(session, cast):
    first = issued(session, cast, filed_project(session, cast), seagrass_inputs())
    second = issued(session, cast, filed_project(session, cast), seagrass_inputs())
    assert second.serial_start == first.serial_end + 1


def test_monitoring_periods_of_one_project_never_overlap(session, cast):
    code = filed_project(session, cast, project_body("shellfish-csc"))
    service.submit_report(
        session,
        code,
        date(2022, 1, 1),
        date(2022, 12, 31),
        oyster_inputs(),
        actor=cast.owner_actor,
        now=LATER,
    )
    with pytest.raises(PeriodOverlaps, match="overlaps report"):
        service.submit_report(
            session,
            code,
            date(2022, 7, 1),
            date(2023, 6, 30),
            oyster_inputs(),
            actor=cast.owner_actor,
            now=LATER,
        )
    service.submit_report(
        session,
        code,
        date(2023, 1, 1),
        date(2023, 12, 31),
        oyster_inputs(),
        actor=cast.owner_actor,
        now=LATER,
    )


def test_a_returned_report_frees_its_period_for_a_corrected_one(session, cast):
    code = filed_project(session, cast, project_body("shellfish-csc"))
    report = service.submit_report(
        session,
        code,
        date(2022, 1, 1),
        date(2022, 12, 31),
        oyster_inputs(),
        actor=cast.owner_actor,
        now=LATER,
    )
    returned = service.return_report(session, report.id, "收获量与台账不符", actor=cast.authority_actor)
    assert returned.state == "returned" and returned.returned_reason == "收获量与台账不符"
    corrected = service.submit_report(
        session,
        code,
        date(2022, 1, 1),
        date(2022, 12, 31),
        oyster_inputs("90"),
        actor=cast.owner_actor,
        now=LATER,
    )
    assert corrected.state == "submitted"


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ((date(2020, 1, 1), date(2020, 12, 31)), "within the crediting period"),
        ((date(2024, 1, 1), date(2024, 12, 31)), "must have ended"),
        ((date(2021, 6, 1), date(2021, 5, 1)), "ends before it starts"),
    ],
)
def test_a_report_period_must_be_inside_the_crediting_period_and_over(session, cast, period, message):
    code = filed_project(session, cast, project_body("shellfish-csc"))
    with pytest.raises(ReportInvalid, match=message):
        service.submit_report(session, code, *period, oyster_inputs(), actor=cast.owner_actor, now=LATER)


def test_the_years_of_the_inputs_must_match_the_reported_period(session, cast):
    code = filed_project(session, cast)
    with pytest.raises(ReportInvalid, match=r"2\.00 years"):
        service.submit_report(
            session,
            code,
            date(2022, 1, 1),
            date(2023, 12, 31),
            seagrass_inputs(),
            actor=cast.owner_actor,
            now=LATER,
        )


def test_reports_are_only_for_filed_projects_and_by_their_owner(session, cast):
    code = noticed_project(session, cast)
    with pytest.raises(TransitionRefused, match="once it is filed"):
        service.submit_report(
            session,
            code,
            date(2021, 1, 1),
            date(2023, 12, 31),
            seagrass_inputs(),
            actor=cast.owner_actor,
            now=LATER,
        )
    filed = filed_project(session, cast)
    with pytest.raises(NotYourProject):
        service.submit_report(
            session,
            filed,
            date(2021, 1, 1),
            date(2023, 12, 31),
            seagrass_inputs(),
            actor=cast.bank_actor,
            now=LATER,
        )


def test_a_report_with_nothing_to_issue_is_refused_at_issuance(session, cast):
    code = filed_project(session, cast, project_body("shellfish-csc"))
    report = service.submit_report(
        session,
        code,
        date(2022, 1, 1),
        date(2022, 12, 31),
        oyster_inputs("2"),
        actor=cast.owner_actor,
        now=LATER,
    )
    service.verify_report(session, report.id, "v", "s", actor=cast.authority_actor)
    with pytest.raises(IssuanceRefused, match="no whole tonne"):
        service.issue(session, report.id, actor=cast.authority_actor)


def test_a_receipt_that_no_longer_recomputes_is_not_issued(session, cast):
    from sqlalchemy import text

    code = filed_project(session, cast, project_body("shellfish-csc"))
    report = service.submit_report(
        session,
        code,
        date(2022, 1, 1),
        date(2022, 12, 31),
        oyster_inputs(),
        actor=cast.owner_actor,
        now=LATER,
    )
    service.verify_report(session, report.id, "v", "s", actor=cast.authority_actor)
    session.execute(
        text("UPDATE registry_reports SET receipt_sha256 = 'edited' WHERE id = :id"), {"id": report.id}
    )
    session.expire_all()
    with pytest.raises(RegistryError, match="recomputing gives receipt"):
        service.issue(session, report.id, actor=cast.authority_actor)


def test_every_step_is_in_the_audit_log_and_the_project_history(session, cast):
    code = filed_project(session, cast)
    issued(session, cast, code, seagrass_inputs())
    actions = [e.action for e in audit.list_events(session, AuditQuery(action="registry.", limit=200)).items]
    for action in (
        "registry.project.register",
        "registry.project.add_document",
        "registry.project.submit",
        "registry.project.start_notice",
        "registry.project.file",
        "registry.report.submit",
        "registry.report.verify",
        "registry.issuance",
    ):
        assert action in actions
    record = service.record(session, service.get_row(session, code))
    assert [e.to_state for e in record.events] == ["draft", "draft", "submitted", "public_notice", "filed"]
    assert record.events[-1].actor == actor_for(cast.authority).label


def test_drafts_are_private_and_noticed_projects_public(session, cast):
    draft = service.get_row(
        session, service.register(session, project_body(), actor=cast.owner_actor, now=T0).code
    )
    assert not service.may_see(draft, None, authority=False)
    assert service.may_see(draft, cast.owner_actor, authority=False)
    assert service.may_see(draft, None, authority=True)
    noticed = service.get_row(session, noticed_project(session, cast))
    assert service.may_see(noticed, None, authority=False)
    assert noticed.code in {p.code for p in service.public_projects(session)}
    assert draft.code not in {p.code for p in service.public_projects(session)}


def test_a_document_is_stored_as_what_its_content_is_not_as_declared(session, cast):
    """Documents are served back as stored: a page disguised as a document would run on the
    platform's own origin. The type comes from the content; anything unknown is refused."""
    code = service.register(session, project_body(), actor=cast.owner_actor, now=T0).code
    for content in (b"<html><script>alert(1)</script></html>", b"just text"):
        with pytest.raises(DocumentInvalid):
            service.add_document(session, code, filename="pdd.html", content=content, actor=cast.owner_actor)
    stored = service.add_document(
        session, code, filename='../../etc/"pdd".pdf', content=b"%PDF-1.7 x", actor=cast.owner_actor
    )
    assert stored.media_type == "application/pdf"
    assert "/" not in stored.filename and '"' not in stored.filename
