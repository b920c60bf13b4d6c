"""Recognised green sub-branches (绿色支行): the recognition number and plaque certificate, the
status through the years, the public list (公开名单)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.branches import repository
from seagreen.branches.domain import (
    ACTIVE_RECOGNITION,
    AppealFinding,
    IndicatorSet,
    Policy,
    RecognitionAction,
    RecognitionState,
    RecognitionStatus,
    Score,
    TransitionRefused,
    Viewer,
    deadline_day,
    format_number,
    local_date,
    missing_reports,
    next_report_year,
    raw_of,
    report_deadline,
)
from seagreen.branches.errors import CertificateWithdrawn, RecognitionNotFound, TransitionNotAllowed
from seagreen.branches.models import ApplicationRow, CertificateRow, RecognitionRow, RoundRow, SubmissionRow
from seagreen.branches.schemas import (
    PROPOSAL_NOTE_EN,
    PROPOSAL_NOTE_ZH,
    AppealRead,
    FindingRead,
    PublicEntry,
    PublicList,
    RecognitionRead,
    ReportRead,
    ScoreRead,
)
from seagreen.branches.service.access import organisations, require_bank
from seagreen.branches.service.documents import document_read
from seagreen.branches.service.indicators import indicator_set_by_id
from seagreen.branches.service.notices import tell_branch
from seagreen.kit.clock import utcnow
from seagreen.kit.pdf import CertificateDocument, render_certificate

PUBLIC_LIST_PATH = "/green-branch/list"


def certificate_path(number: str) -> str:
    return f"{PUBLIC_LIST_PATH}/{number}/certificate.pdf"


# ---- granting ------------------------------------------------------------------------------------


def _certificate(
    session: Session, row: RecognitionRow, application: ApplicationRow, round_row: RoundRow
) -> CertificateDocument:
    orgs = organisations(session)
    branch, bank = orgs.get(row.branch_org_code), orgs.get(row.bank_org_code)
    found = indicator_set_by_id(session, round_row.indicator_set_id)
    authorities = [orgs[a].name_zh if a in orgs else a for a in row.authorities.split()]
    footer = [
        "本证书由海绿平台生成。资质状态以平台公开名单为准，可凭认定编号及证书 SHA-256 核验。",
        "Issued by the SeaGreen platform. The public list is authoritative; verify by number and SHA-256.",
    ]
    if found.is_proposal:
        footer += [PROPOSAL_NOTE_ZH, PROPOSAL_NOTE_EN]
    return CertificateDocument(
        title="绿色支行",
        subtitle="Green Sub-branch · 威海市银行业绿色支行认定",
        fields=[
            ("认定编号 Number", row.number),
            ("支行 Sub-branch", f"{branch.name_zh}\n{branch.name_en}" if branch else row.branch_org_code),
            ("所属银行 Bank", f"{bank.name_zh}\n{bank.name_en}" if bank else row.bank_org_code),
            ("认定日期 Recognised on", local_date(row.recognised_at).isoformat()),
            ("认定机构 Recognised jointly by", "\n".join(authorities)),
            ("认定批次 Round", f"{round_row.code} {round_row.title_zh}"),
            ("指标体系 Indicator set", found.name_zh),
            ("核验 Verify", PUBLIC_LIST_PATH),
        ],
        footer=footer,
    )


def recognise(
    session: Session,
    application: ApplicationRow,
    round_row: RoundRow,
    submission: SubmissionRow,
    *,
    policy: Policy,
    actor: Actor,
    now: datetime,
) -> RecognitionRow:
    """All authorities approved: number the branch, issue its plaque certificate, tell the bank."""
    repository.lock_numbering(session)
    year = local_date(now).year
    serial = repository.last_serial(session, year) + 1
    row = repository.add(
        session,
        RecognitionRow(
            number=format_number(policy.number_prefix, year, serial),
            year=year,
            serial=serial,
            application_id=application.id,
            bank_org_code=application.bank_org_code,
            branch_org_code=application.branch_org_code,
            authorities=round_row.authorities,
            status=RecognitionStatus.RECOGNISED.value,
            recognised_at=now,
            status_changed_at=now,
            appeal_until=None,
            contact_email=application.contact_email,
        ),
    )
    pdf = render_certificate(_certificate(session, row, application, round_row))
    digest = hashlib.sha256(pdf).hexdigest()
    repository.add(session, CertificateRow(recognition_id=row.id, issued_at=now, sha256=digest, pdf=pdf))
    audit.record(
        session,
        actor,
        "branches.recognition.grant",
        "branch_recognition",
        row.number,
        details={
            "application": application.id,
            "branch": row.branch_org_code,
            "submission": submission.seq,
            "content_hash": submission.content_hash,
            "points": submission.points,
            "authorities": row.authorities.split(),
            "certificate_sha256": digest,
        },
        now=now,
    )
    tell_branch(session, row, "recognised", "", now)
    return row


# ---- status changes ---------------------------------------------------------------------------------


def state_of(session: Session, row: RecognitionRow) -> RecognitionState:
    findings: dict[str, AppealFinding] = {}
    if row.status == RecognitionStatus.APPEALED:
        appeal = repository.open_appeal(session, row.id)
        if appeal is not None:
            for finding in repository.findings(session, appeal.id):
                findings[finding.authority_code] = AppealFinding(finding.finding)
    return RecognitionState(RecognitionStatus(row.status), frozenset(row.authorities.split()), findings)


def move(
    session: Session,
    row: RecognitionRow,
    action: RecognitionAction,
    *,
    actor: Actor,
    now: datetime,
    authority: str | None = None,
    reason: str = "",
    audit_action: str,
    details: dict[str, Any] | None = None,
) -> RecognitionState:
    """Apply one action to a recognition through the state machine; record it in the audit log."""
    before = RecognitionStatus(row.status)
    try:
        after = state_of(session, row).apply(action, authority)
    except TransitionRefused as exc:
        raise TransitionNotAllowed(str(exc), status=exc.status, action=exc.action) from exc
    if after.status is not before:
        row.status = after.status.value
        row.status_changed_at = now
    audit.record(
        session,
        actor,
        audit_action,
        "branch_recognition",
        row.number,
        reason=reason,
        details={"status_before": before.value, "status_after": after.status.value, **(details or {})},
        now=now,
    )
    return after


def check_reports_due(session: Session, row: RecognitionRow, *, actor: Actor, now: datetime) -> bool:
    """A recognised branch with a report missing past its 31 March becomes overdue (逾期)."""
    if row.status != RecognitionStatus.RECOGNISED:
        return False
    reported = repository.reported_years(session, [row.id])[row.id]
    missing = missing_reports(row.recognised_at, reported, now)
    if not missing:
        return False
    move(
        session,
        row,
        RecognitionAction.MISS_REPORT,
        actor=actor,
        now=now,
        reason=f"no annual report for {missing[0]} by 31 March {missing[0] + 1}",
        audit_action="branches.recognition.overdue",
        details={"missing_years": missing},
    )
    due = deadline_day(report_deadline(missing[0])).isoformat()
    tell_branch(session, row, "overdue", missing[0], now, year=missing[0], due=due)
    return True


def notify_withdrawn(session: Session, row: RecognitionRow, *, why: str, actor: Actor, now: datetime) -> None:
    """Tell the bank that the plaque is withdrawn (摘牌) after an appeal period without appeal."""
    tell_branch(session, row, "withdrawn", "", now, why=why)


# ---- reading ------------------------------------------------------------------------------------------


def visible_recognition(
    session: Session, viewer: Viewer, number: str, *, for_update: bool = False
) -> RecognitionRow:
    row = repository.recognition_by_number(session, number, for_update=for_update)
    if row is None or not viewer.sees(row.bank_org_code, row.branch_org_code):
        raise RecognitionNotFound(f"no green sub-branch {number!r}", number=number)
    return row


def report_reads(session: Session, row: RecognitionRow, indicator_set: IndicatorSet) -> list[ReportRead]:
    reads = []
    for report in repository.reports(session, row.id):
        documents = repository.documents(session, row.application_id, "report", report.id)
        reads.append(
            ReportRead(
                year=report.year,
                status=report.status,
                due_at=report_deadline(report.year),
                late=report.late,
                narrative=report.narrative,
                values=raw_of(indicator_set, json.loads(report.values_json)),
                score=ScoreRead.of(Score.from_dict(json.loads(report.score_json)), indicator_set),
                content_hash=report.content_hash,
                submitted_at=report.submitted_at,
                submitted_by=report.submitted_by,
                decided_at=report.decided_at,
                decided_by=report.decided_by,
                decided_by_org=report.decided_by_org,
                reason=report.reason,
                documents=[document_read(d) for d in documents],
            )
        )
    return reads


def appeal_reads(session: Session, row: RecognitionRow) -> list[AppealRead]:
    return [
        AppealRead(
            id=appeal.id,
            status=appeal.status,
            grounds=appeal.grounds,
            filed_at=appeal.filed_at,
            filed_by=appeal.filed_by,
            decided_at=appeal.decided_at,
            findings=[
                FindingRead(
                    authority=f.authority_code,
                    finding=f.finding,
                    reason=f.reason,
                    decided_at=f.decided_at,
                    actor_label=f.actor_label,
                )
                for f in repository.findings(session, appeal.id)
            ],
            documents=[
                document_read(d)
                for d in repository.documents(session, row.application_id, "appeal", appeal.id)
            ],
        )
        for appeal in repository.appeals(session, row.id)
    ]


def own_recognition(session: Session, viewer: Viewer, number: str) -> RecognitionRow:
    """A recognition the viewer acts for (its bank or the branch), locked for the change."""
    require_bank(viewer)
    return visible_recognition(session, viewer, number, for_update=True)


def recognition_read(
    session: Session, row: RecognitionRow, *, policy: Policy, now: datetime
) -> RecognitionRead:
    orgs = organisations(session)
    bank, branch = orgs.get(row.bank_org_code), orgs.get(row.branch_org_code)
    application = repository.application(session, row.application_id)
    assert application is not None
    round_row = repository.round_by_id(session, application.round_id)
    assert round_row is not None
    found = indicator_set_by_id(session, round_row.indicator_set_id)
    certificate = repository.certificate(session, row.id, with_pdf=False)
    reports = report_reads(session, row, found)
    next_year = next_report_year(row.recognised_at, now)
    return RecognitionRead(
        number=row.number,
        application=row.application_id,
        bank=row.bank_org_code,
        bank_name=bank.name_zh if bank else row.bank_org_code,
        branch=row.branch_org_code,
        branch_name_zh=branch.name_zh if branch else row.branch_org_code,
        branch_name_en=branch.name_en if branch else row.branch_org_code,
        status=row.status,
        on_public_list=row.status in ACTIVE_RECOGNITION,
        recognised_at=row.recognised_at,
        status_changed_at=row.status_changed_at,
        appeal_until=row.appeal_until,
        authorities=row.authorities.split(),
        lead_authority=policy.lead_authority,
        indicator_set=found.code,
        certificate_sha256=certificate.sha256 if certificate else None,
        next_report_year=next_year,
        next_report_due_at=report_deadline(next_year),
        missing_reports=missing_reports(row.recognised_at, {r.year for r in reports}, now),
        reports=reports,
        appeals=appeal_reads(session, row),
    )


def get_recognition(
    session: Session, viewer: Viewer, number: str, *, policy: Policy, now: datetime | None = None
) -> RecognitionRead:
    return recognition_read(
        session, visible_recognition(session, viewer, number), policy=policy, now=now or utcnow()
    )


def list_recognitions(
    session: Session, viewer: Viewer, *, policy: Policy, now: datetime | None = None
) -> list[RecognitionRead]:
    """A bank's own green sub-branches; all of them for an authority or a reader."""
    moment = now or utcnow()
    if viewer.is_bank:
        rows = repository.recognitions(session, bank=viewer.bank, branch=viewer.branch)
    elif viewer.authority is not None or viewer.reader:
        rows = repository.recognitions(session)
    else:
        return []
    return [recognition_read(session, row, policy=policy, now=moment) for row in rows]


def public_list(session: Session) -> PublicList:
    """The public list (公开名单): recognised branches, and revoked or withdrawn ones for the record."""
    rows = repository.recognitions(session)
    hashes = repository.certificate_hashes(session, [row.id for row in rows])
    orgs = organisations(session)
    recognised: list[PublicEntry] = []
    withdrawn: list[PublicEntry] = []
    for row in rows:
        branch, bank = orgs.get(row.branch_org_code), orgs.get(row.bank_org_code)
        active = row.status in ACTIVE_RECOGNITION
        entry = PublicEntry(
            number=row.number,
            branch_name_zh=branch.name_zh if branch else row.branch_org_code,
            branch_name_en=branch.name_en if branch else row.branch_org_code,
            bank_name_zh=bank.name_zh if bank else row.bank_org_code,
            bank_name_en=bank.name_en if bank else row.bank_org_code,
            status="recognised" if active else row.status,
            recognised_on=local_date(row.recognised_at),
            status_changed_on=local_date(row.status_changed_at),
            certificate_url=certificate_path(row.number) if active else None,
            certificate_sha256=hashes.get(row.id),
        )
        (recognised if active else withdrawn).append(entry)
    return PublicList(recognised=recognised, withdrawn=withdrawn)


def certificate_pdf(session: Session, number: str, *, viewer: Viewer | None = None) -> tuple[bytes, str]:
    """The plaque certificate: public while the branch is on the list; afterwards only to those who
    may see the recognition (the bank, the authorities), for the record."""
    row = repository.recognition_by_number(session, number)
    if row is None or (viewer is not None and not viewer.sees(row.bank_org_code, row.branch_org_code)):
        raise RecognitionNotFound(f"no green sub-branch {number!r}", number=number)
    if viewer is None and row.status not in ACTIVE_RECOGNITION:
        raise CertificateWithdrawn(
            f"the certificate of {number} is no longer valid ({row.status})", number=number
        )
    certificate = repository.certificate(session, row.id)
    if certificate is None:
        raise RecognitionNotFound(f"no certificate for {number}", number=number)
    return certificate.pdf, certificate.sha256
