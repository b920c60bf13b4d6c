"""Use cases through the service, on the database: applying, joint review, recognition, annual
reports, overdue, revocation and appeals, the scheduled job and its notices, all audited."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import text

from seagreen.audit import service as audit
from seagreen.audit.domain import AuditQuery
from seagreen.branches import service
from seagreen.branches.domain import LOCAL_TZ, Viewer
from seagreen.branches.errors import (
    ApplicationConflict,
    ApplicationInvalid,
    ApplicationNotFound,
    CertificateWithdrawn,
    DeadlinePassed,
    IndicatorSetConflict,
    NotAReviewingAuthority,
    NotYourBranch,
    RecognitionNotFound,
    ReportConflict,
    ReportInvalid,
    ReviewInvalid,
    TransitionNotAllowed,
)
from seagreen.branches.schemas import (
    AppealCreate,
    ApplicationCreate,
    ApplicationDraft,
    FindingCreate,
    ReportCreate,
    ReportDecision,
    ReviewCreate,
    RevokeRequest,
    RoundCreate,
)
from seagreen.kit.mail import MailError
from tests.factories.branches import (
    AUTHORITIES,
    GOOD_FORM,
    LEAD,
    NARRATIVE,
    FakeSender,
    World,
    actor_for,
    draft,
    files,
    find,
    recognised,
    report,
    review,
    submitted,
    tick,
)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ)


def actions(world: World, object_type: str, object_id: str | int) -> list[str]:
    page = audit.list_events(
        world.session, AuditQuery(object_type=object_type, object_id=str(object_id), limit=200)
    )
    return [event.action for event in reversed(page.items)]


def recognition(world: World, number: str, viewer: Viewer | None = None):
    return service.get_recognition(
        world.session, viewer or world.bank, number, policy=world.policy, now=world.now
    )


def revoke(world: World, number: str, viewer: Viewer | None = None):
    who = viewer or world.lead
    return service.revoke_overdue(
        world.session,
        who,
        number,
        RevokeRequest(reason="逾期未报"),
        policy=world.policy,
        actor=actor_for(who),
        now=world.now,
    )


def appeal(world: World, number: str):
    return service.file_appeal(
        world.session,
        world.bank,
        number,
        AppealCreate(grounds="报告已于截止日前以纸质方式报送"),
        policy=world.policy,
        actor=actor_for(world.bank),
        now=world.now,
    )


def decide(world: World, number: str, year: int, decision: str, viewer: Viewer | None = None):
    who = viewer or world.lead
    return service.decide_report(
        world.session,
        who,
        number,
        year,
        ReportDecision(decision=decision, reason="审核意见"),  # type: ignore[arg-type]
        policy=world.policy,
        actor=actor_for(who),
        now=world.now,
    )


def overdue_branch(world: World) -> str:
    number = recognised(world)
    world.at(local(2027, 4, 1, 9))
    assert tick(world).became_overdue == 1
    return number


# ---- applying ---------------------------------------------------------------------------------------


def test_a_bank_saves_a_draft_as_often_as_it_likes_and_sees_what_is_missing(world):
    application = draft(world, values={"loans_total": "100"}, uploads=False)
    assert application.status == "draft" and application.draft_score is None
    problems = {p.field for p in application.problems}
    assert {"green_loans", "documents"} <= problems and "loans_total" not in problems
    assert "product_lines" not in problems  # ticking no business line is an answer (it scores 0)
    saved = service.save_application(
        world.session,
        world.bank,
        application.id,
        ApplicationDraft(contact_email="green@bank-a.example", narrative=NARRATIVE, values=GOOD_FORM),
        actor=actor_for(world.bank),
        now=world.advance(hours=1),
    )
    assert saved.draft_score is not None and saved.draft_score.points == 100
    assert {p.field for p in saved.problems} == {"contact_name", "contact_phone", "documents"}
    with pytest.raises(ApplicationInvalid) as refused:
        service.submit_application(
            world.session, world.bank, application.id, actor=actor_for(world.bank), now=world.now
        )
    assert {e["field"] for e in refused.value.details["errors"]} == {
        "contact_name",
        "contact_phone",
        "documents",
    }
    assert actions(world, "branch_application", application.id) == [
        "branches.application.create",
        "branches.application.save",
    ]


def test_a_submission_freezes_the_form_its_documents_and_its_score(world):
    application = submitted(world)
    assert application.status == "submitted" and application.score is not None
    assert application.score.points == 100 and application.score.passed
    assert application.pending_authorities == sorted(AUTHORITIES)
    row = world.session.execute(text("SELECT * FROM branch_submissions")).mappings().one()
    assert json.loads(row["values_json"])["loans_total"] == 100_000_000_000  # fen, an integer
    assert [d["sha256"] for d in json.loads(row["documents_json"])] == [application.documents[0].sha256]
    assert actions(world, "branch_application", application.id) == [
        "branches.application.create",
        "branches.application.submit",
    ]
    with pytest.raises(TransitionNotAllowed):
        service.save_application(
            world.session,
            world.bank,
            application.id,
            ApplicationDraft(),
            actor=actor_for(world.bank),
            now=world.now,
        )


def test_another_bank_sees_nothing_and_cannot_act(world):
    application = draft(world)
    for viewer in (world.other_bank, Viewer(org_code="bank-a-hc", bank="bank-a", branch="bank-a-hc")):
        with pytest.raises(ApplicationNotFound):
            service.get_application(world.session, viewer, application.id)
        with pytest.raises(ApplicationNotFound):
            service.submit_application(
                world.session, viewer, application.id, actor=actor_for(viewer), now=world.now
            )
    assert service.list_applications(world.session, world.other_bank) == []
    with pytest.raises(NotYourBranch):
        service.create_application(
            world.session,
            world.other_bank,
            ApplicationCreate(round=world.round, branch=world.branch),
            actor=actor_for(world.other_bank),
            now=world.now,
        )


def test_a_branch_officer_acts_for_its_own_branch_only(world):
    own = service.create_application(
        world.session,
        world.branch_officer,
        ApplicationCreate(round=world.round, branch=world.branch),
        actor=actor_for(world.branch_officer),
        now=world.now,
    )
    assert service.get_application(world.session, world.bank, own.id).branch == world.branch
    with pytest.raises(NotYourBranch):
        service.create_application(
            world.session,
            world.branch_officer,
            ApplicationCreate(round=world.round, branch=world.second_branch),
            actor=actor_for(world.branch_officer),
            now=world.now,
        )


def test_drafts_are_the_banks_own_until_submitted(world):
    application = draft(world)
    with pytest.raises(ApplicationNotFound):
        service.get_application(world.session, world.authority(LEAD), application.id)
    assert service.list_applications(world.session, world.authority(LEAD)) == []
    service.submit_application(
        world.session, world.bank, application.id, actor=actor_for(world.bank), now=world.now
    )
    assert [a.id for a in service.list_applications(world.session, world.authority(LEAD))] == [application.id]


def test_one_application_at_a_time_and_none_for_a_green_sub_branch(world):
    first = draft(world)
    with pytest.raises(ApplicationConflict, match="in progress"):
        draft(world)
    service.withdraw_application(
        world.session, world.bank, first.id, reason="重新准备", actor=actor_for(world.bank), now=world.now
    )
    number = recognised(world)
    with pytest.raises(ApplicationConflict, match=number):
        draft(world)


def test_applications_close_with_the_round(world):
    application = draft(world)
    world.at(local(2026, 7, 1, 0, 0))  # the deadline was 30 June
    with pytest.raises(DeadlinePassed):
        service.submit_application(
            world.session, world.bank, application.id, actor=actor_for(world.bank), now=world.now
        )
    with pytest.raises(DeadlinePassed):
        draft(world, branch=world.second_branch)
    report_ = tick(world)
    assert (report_.rounds_closed, report_.drafts_lapsed) == (1, 1)
    assert service.get_application(world.session, world.bank, application.id).status == "lapsed"
    assert tick(world).rounds_closed == 0  # idempotent


def test_a_round_is_opened_by_a_reviewing_authority_with_a_future_deadline(world):
    body = RoundCreate(code="2026-2", title_zh="第二批", deadline=date(2026, 9, 30))
    with pytest.raises(NotAReviewingAuthority):
        service.open_round(
            world.session, world.bank, body, policy=world.policy, actor=actor_for(world.bank), now=world.now
        )
    opened = service.open_round(
        world.session, world.lead, body, policy=world.policy, actor=actor_for(world.lead), now=world.now
    )
    assert (
        opened.accepting
        and opened.authorities == list(AUTHORITIES)
        and opened.indicator_set == "weihai-gb-p1"
    )
    late = RoundCreate(code="2026-3", title_zh="第三批", deadline=date(2026, 5, 10))
    with pytest.raises(Exception, match="after today"):
        service.open_round(
            world.session, world.lead, late, policy=world.policy, actor=actor_for(world.lead), now=world.now
        )


# ---- joint review ------------------------------------------------------------------------------------


def test_three_approvals_recognise_number_certificate_and_public_list(world):
    application = submitted(world)
    application = review(world, AUTHORITIES[0], application.id, "approve")
    application = review(world, AUTHORITIES[1], application.id, "approve")
    assert application.status == "submitted" and application.pending_authorities == [AUTHORITIES[2]]
    assert service.public_list(world.session).recognised == []
    application = review(world, AUTHORITIES[2], application.id, "approve")
    assert application.status == "approved" and application.recognition == "WHGB-2026-001"
    listed = service.public_list(world.session).recognised
    assert [e.number for e in listed] == ["WHGB-2026-001"]
    pdf, digest = service.certificate_pdf(world.session, "WHGB-2026-001")
    assert pdf.startswith(b"%PDF-") and listed[0].certificate_sha256 == digest
    assert actions(world, "branch_application", application.id) == [
        "branches.application.create",
        "branches.application.submit",
        "branches.review.approve",
        "branches.review.approve",
        "branches.review.approve",
    ]
    assert actions(world, "branch_recognition", "WHGB-2026-001") == ["branches.recognition.grant"]
    second = recognised(world, branch=world.second_branch)
    assert second == "WHGB-2026-002"


def test_only_the_rounds_authorities_review_and_each_as_itself(world):
    application = submitted(world)
    stranger = Viewer(org_code="somewhere", authority="somewhere")
    for viewer in (stranger, world.bank):
        with pytest.raises(NotAReviewingAuthority):
            service.review_application(
                world.session,
                viewer,
                application.id,
                ReviewCreate(decision="approve", reason="同意"),
                policy=world.policy,
                actor=actor_for(viewer),
                now=world.now,
            )


def test_an_authority_cannot_approve_a_sheet_below_the_published_bar(world):
    weak = submitted(world, values={**GOOD_FORM, "env_disclosure": "no", "es_veto": "no"})  # 90: passes
    with pytest.raises(ReviewInvalid, match="gate unmet"):
        review(world, AUTHORITIES[0], weak.id, "approve", disputed=["Q2"])
    with pytest.raises(ReviewInvalid, match="no such indicators: Z1"):
        review(world, AUTHORITIES[0], weak.id, "request_more", disputed=["Z1"])
    sheet_owner = review(world, AUTHORITIES[0], weak.id, "approve", disputed=["Q1"])
    assert sheet_owner.reviews[-1].points == 80
    sheet = service.score_sheet(world.session, world.authority(AUTHORITIES[1]), weak.id)
    columns = {c.key: c for c in sheet.columns}
    assert columns["computed"].points == 90 and columns[AUTHORITIES[0]].points == 80
    assert columns[AUTHORITIES[0]].disputed == ["Q1"] and columns[AUTHORITIES[0]].decision == "approve"
    assert columns[AUTHORITIES[1]].decision is None and columns[AUTHORITIES[1]].points == 90


def test_a_failing_score_can_be_submitted_but_never_approved(world):
    application = submitted(world, values={**GOOD_FORM, "green_loans": "500000000"})
    assert application.score is not None and not application.score.passed
    with pytest.raises(ReviewInvalid, match="cannot be approved"):
        review(world, AUTHORITIES[0], application.id, "approve")
    rejected = review(world, AUTHORITIES[1], application.id, "reject", reason="绿色贷款占比未达 60%")
    assert rejected.status == "rejected" and rejected.decided_at == world.now
    with pytest.raises(TransitionNotAllowed):
        review(world, AUTHORITIES[2], application.id, "approve")


def test_asking_for_more_then_resubmitting_starts_the_review_again(world):
    application = submitted(world)
    review(world, AUTHORITIES[0], application.id, "approve")
    asked = review(
        world,
        AUTHORITIES[1],
        application.id,
        "request_more",
        more_deadline=date(2026, 5, 20),
        reason="请补充绿色贷款台账",
    )
    assert asked.status == "more_requested" and asked.more_deadline_at == local(2026, 5, 21)
    with pytest.raises(TransitionNotAllowed):
        review(world, AUTHORITIES[2], application.id, "approve")
    world.advance(days=2)
    service.attach_documents(
        world.session,
        world.bank,
        application.id,
        files(world, service.Upload("台账.pdf", b"%PDF-1.4\nledger\n%%EOF")),
        actor=actor_for(world.bank),
        now=world.now,
    )
    again = service.submit_application(
        world.session, world.bank, application.id, actor=actor_for(world.bank), now=world.now
    )
    assert again.status == "submitted" and len(again.submissions) == 2 and len(again.documents) == 2
    assert again.pending_authorities == sorted(AUTHORITIES)  # the earlier approval was of the old submission
    assert actions(world, "branch_application", application.id) == [
        "branches.application.create",
        "branches.application.submit",
        "branches.review.approve",
        "branches.review.request_more",
        "branches.application.resubmit",
    ]


def test_an_unanswered_request_for_more_lapses(world):
    application = submitted(world)
    review(world, AUTHORITIES[2], application.id, "request_more", more_deadline=date(2026, 5, 15))
    world.at(local(2026, 5, 15, 23, 59))
    assert tick(world).requests_lapsed == 0
    world.at(local(2026, 5, 16, 0, 0))
    assert tick(world).requests_lapsed == 1
    lapsed = service.get_application(world.session, world.bank, application.id)
    assert lapsed.status == "lapsed"
    assert actions(world, "branch_application", application.id)[-1] == "branches.application.lapse"


def test_a_request_for_more_needs_a_future_deadline(world):
    application = submitted(world)
    with pytest.raises(ReviewInvalid, match="after today"):
        review(world, AUTHORITIES[0], application.id, "request_more", more_deadline=date(2026, 5, 10))
    asked = review(world, AUTHORITIES[0], application.id, "request_more")
    assert asked.more_deadline_at == local(2026, 5, 26)  # 15 days, the default


# ---- annual reports, overdue, revocation, appeal -------------------------------------------------------


def test_a_report_before_31_march_keeps_the_branch_in_good_standing(world):
    number = recognised(world)
    with pytest.raises(ReportInvalid, match="2026"):
        report(world, number, 2026)  # the year has not ended
    world.at(local(2027, 3, 10, 9))
    report(world, number, 2026)
    with pytest.raises(ReportConflict):
        report(world, number, 2026)
    world.at(local(2027, 4, 2, 9))
    assert tick(world).became_overdue == 0
    with pytest.raises(NotAReviewingAuthority):
        decide(world, number, 2026, "pass", viewer=world.authority(AUTHORITIES[1]))
    passed = decide(world, number, 2026, "pass")
    assert passed.status == "recognised" and passed.reports[0].status == "passed"
    assert passed.reports[0].decided_by_org == LEAD and not passed.reports[0].late
    with pytest.raises(TransitionNotAllowed):
        decide(world, number, 2026, "fail")


def test_a_failed_report_revokes_and_opens_the_appeal_period(world):
    number = recognised(world)
    world.at(local(2027, 3, 10, 9))
    report(world, number, 2026)
    failed = decide(world, number, 2026, "fail")
    assert failed.status == "revoked" and not failed.on_public_list
    assert failed.appeal_until == local(2027, 4, 10)
    assert service.public_list(world.session).recognised == []
    with pytest.raises(CertificateWithdrawn):
        service.certificate_pdf(world.session, number)
    assert service.certificate_pdf(world.session, number, viewer=world.bank)[0].startswith(b"%PDF")


def test_no_report_by_31_march_makes_the_branch_overdue_then_a_late_report_can_restore_it(world):
    number = overdue_branch(world)
    overdue = recognition(world, number)
    assert overdue.status == "overdue" and overdue.missing_reports == [2026] and overdue.on_public_list
    assert tick(world).became_overdue == 0
    report(world, number, 2026)
    late = recognition(world, number)
    assert late.status == "overdue" and late.reports[0].late
    assert decide(world, number, 2026, "pass").status == "recognised"
    assert actions(world, "branch_recognition", number) == [
        "branches.recognition.grant",
        "branches.recognition.overdue",
        "branches.report.submit",
        "branches.report.pass",
    ]


def test_the_lead_revokes_an_overdue_branch_and_only_an_overdue_one(world):
    number = recognised(world)
    with pytest.raises(TransitionNotAllowed, match="only an overdue branch"):
        revoke(world, number)
    world.at(local(2027, 4, 1, 9))
    tick(world)
    with pytest.raises(NotAReviewingAuthority):
        revoke(world, number, viewer=world.authority(AUTHORITIES[2]))
    revoked = revoke(world, number)
    assert revoked.status == "revoked" and revoked.appeal_until == local(2027, 5, 2)


def test_an_appeal_kept_by_all_three_restores_the_status(world):
    number = overdue_branch(world)
    revoke(world, number)
    world.advance(days=3)
    report(world, number, 2026)  # the late report, part of the appeal's file
    assert appeal(world, number).status == "appealed"
    with pytest.raises(TransitionNotAllowed):
        decide(world, number, 2026, "pass")  # decided by the appeal, not by the lead alone
    find(world, AUTHORITIES[0], number, "keep")
    find(world, AUTHORITIES[1], number, "keep")
    assert recognition(world, number).status == "appealed"
    find(world, AUTHORITIES[2], number, "keep")
    kept = recognition(world, number)
    assert kept.status == "recognised" and kept.appeals[0].status == "kept" and kept.on_public_list


def test_a_kept_branch_without_its_report_is_overdue_again_at_once(world):
    number = overdue_branch(world)
    revoke(world, number)
    appeal(world, number)
    for code in AUTHORITIES:
        find(world, code, number, "keep")
    assert recognition(world, number).status == "overdue"


def test_an_appeal_confirmed_withdraws_the_plaque(world):
    number = overdue_branch(world)
    revoke(world, number)
    appeal(world, number)
    find(world, AUTHORITIES[0], number, "keep")
    find(world, AUTHORITIES[1], number, "confirm")
    with pytest.raises(NotAReviewingAuthority):
        service.record_finding(
            world.session,
            world.bank,
            number,
            FindingCreate(finding="keep", reason="银行不能复核自己"),
            policy=world.policy,
            actor=actor_for(world.bank),
            now=world.now,
        )
    find(world, AUTHORITIES[2], number, "keep")
    final = recognition(world, number)
    assert final.status == "withdrawn" and final.appeals[0].status == "confirmed"
    listing = service.public_list(world.session)
    assert listing.recognised == [] and [e.number for e in listing.withdrawn] == [number]
    with pytest.raises(CertificateWithdrawn):
        service.certificate_pdf(world.session, number)
    with pytest.raises(TransitionNotAllowed):
        report(world, number, 2026)
    assert actions(world, "branch_recognition", number) == [
        "branches.recognition.grant",
        "branches.recognition.overdue",
        "branches.recognition.revoke",
        "branches.appeal.file",
        "branches.appeal.keep",
        "branches.appeal.confirm",
        "branches.appeal.keep",
    ]


def test_no_appeal_in_time_and_the_plaque_is_withdrawn(world):
    number = overdue_branch(world)
    revoke(world, number)
    world.at(local(2027, 5, 1, 23, 59))
    assert tick(world).plaques_withdrawn == 0
    world.at(local(2027, 5, 2, 0, 0))
    with pytest.raises(DeadlinePassed):
        appeal(world, number)
    assert tick(world).plaques_withdrawn == 1
    assert recognition(world, number).status == "withdrawn"
    assert actions(world, "branch_recognition", number)[-1] == "branches.recognition.withdraw"


def test_another_bank_cannot_see_a_recognition_or_act_on_it(world):
    number = recognised(world)
    with pytest.raises(RecognitionNotFound):
        recognition(world, number, viewer=world.other_bank)
    with pytest.raises(RecognitionNotFound):
        service.submit_report(
            world.session,
            world.other_bank,
            number,
            ReportCreate(year=2026, narrative="x" * 5, values=GOOD_FORM),
            policy=world.policy,
            actor=actor_for(world.other_bank),
            now=world.now,
        )
    assert recognition(world, number, viewer=world.admin).number == number
    assert (
        service.list_recognitions(world.session, world.other_bank, policy=world.policy, now=world.now) == []
    )


# ---- the scheduled job's notices ---------------------------------------------------------------------


def test_reminders_go_out_once_per_stage_before_31_march(world):
    number = recognised(world)
    sender = FakeSender()
    service.deliver(world.session, sender, now=world.now)
    assert [m.subject.split(" / ")[1] for m in sender.sent] == [
        f"Recognised as a green sub-branch ({number})"
    ]
    sender.sent.clear()
    queued = []
    for moment in (
        local(2027, 3, 1, 9),
        local(2027, 3, 2, 9),
        local(2027, 3, 2, 10),
        local(2027, 3, 20, 9),
        local(2027, 3, 30, 9),
        local(2027, 3, 31, 9),
    ):
        world.at(moment)
        queued.append(tick(world).reminders_queued)
    assert queued == [0, 1, 0, 1, 1, 0]
    assert service.deliver(world.session, sender, now=world.now) == (3, 0)
    assert all(m.to == "green@bank-a.example" for m in sender.sent)
    assert "2027-03-31" in sender.sent[0].body and "2026" in sender.sent[0].body
    world.at(local(2027, 4, 1, 9))
    tick(world)
    service.deliver(world.session, sender, now=world.now)
    assert "Annual report overdue" in sender.sent[-1].subject
    assert audit.list_events(world.session, AuditQuery(action="branches.notice.send")).items


def test_a_report_in_stops_the_reminders(world):
    number = recognised(world)
    world.at(local(2027, 3, 2, 9))
    report(world, number, 2026)
    assert tick(world).reminders_queued == 0


def test_a_failed_send_is_kept_and_retried(world):
    recognised(world)
    sender = FakeSender()
    sender.fail_with = MailError("smtp.example:587: connection refused")
    assert service.deliver(world.session, sender, now=world.now) == (0, 1)
    pending = service.list_notices(world.session, pending_only=True)
    assert len(pending) == 1 and pending[0].attempts == 1 and "connection refused" in pending[0].last_error
    sender.fail_with = None
    assert service.deliver(world.session, sender, now=world.advance(hours=1)) == (1, 0)
    assert service.list_notices(world.session, pending_only=True) == []
    assert service.deliver(world.session, sender, now=world.now) == (0, 0)


# ---- indicator sets --------------------------------------------------------------------------------------


def test_the_shipped_set_loads_once_and_a_changed_one_is_refused(world, tmp_path):
    assert "already there: weihai-gb-p1" in service.load_shipped(world.session)
    shipped = (service.SHIPPED_DIR / "weihai-gb-p1.toml").read_text(encoding="utf-8")
    changed = tmp_path / "changed.toml"
    changed.write_text(shipped.replace("pass_mark = 60", "pass_mark = 70"), encoding="utf-8")
    with pytest.raises(IndicatorSetConflict):
        service.load_file(world.session, changed, actor=actor_for(world.admin))
    renamed = tmp_path / "p2.toml"
    renamed.write_text(
        shipped.replace('code = "weihai-gb-p1"', 'code = "weihai-gb-p2"').replace(
            "pass_mark = 60", "pass_mark = 70"
        ),
        encoding="utf-8",
    )
    loaded = service.load_file(world.session, renamed, actor=actor_for(world.admin))
    assert loaded.pass_mark == 70 and service.indicator_set(world.session).code == "weihai-gb-p2"


def test_a_round_keeps_its_indicator_set_when_a_new_one_is_loaded(world, tmp_path):
    application = submitted(world)
    shipped = (service.SHIPPED_DIR / "weihai-gb-p1.toml").read_text(encoding="utf-8")
    newer = tmp_path / "p2.toml"
    newer.write_text(
        shipped.replace('code = "weihai-gb-p1"', 'code = "weihai-gb-p2"').replace(
            "pass_mark = 60", "pass_mark = 99"
        ),
        encoding="utf-8",
    )
    service.load_file(world.session, newer, actor=actor_for(world.admin))
    assert service.get_application(world.session, world.bank, application.id).indicator_set == "weihai-gb-p1"
    for code in AUTHORITIES:
        application = review(world, code, application.id, "approve")
    assert application.status == "approved"


def test_times_are_stored_as_given_by_the_clock(world):
    application = draft(world)
    assert application.created_at == world.now
    later = world.advance(days=1, hours=2)
    submitted_ = service.submit_application(
        world.session, world.bank, application.id, actor=actor_for(world.bank), now=later
    )
    assert submitted_.submitted_at == later and submitted_.created_at == later - timedelta(days=1, hours=2)
