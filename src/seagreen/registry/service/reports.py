"""Monitoring reports (监测报告) → verification (核证) → issuance (签发).

A report's receipt is computed when it is submitted, recomputed when it is verified and again when
it is issued: each time the methodology version, the parameter set's SHA-256 and the result must
give the very same receipt, so what is issued is what anyone can recompute. Periods of one project
never overlap, and a report is issued at most once (a unique index on the issuance's report).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.kit.clock import from_micros, to_micros, utcnow
from seagreen.registry.domain.lifecycle import (
    LIVE_REPORT_STATES,
    Period,
    ProjectState,
    ReportAction,
    ReportState,
    report_transition,
)
from seagreen.registry.domain.receipts import Receipt, canonical_inputs, canonical_json, dec_str
from seagreen.registry.domain.serials import REGISTRY_CODE, BlockId, buffer_split
from seagreen.registry.errors import (
    IssuanceRefused,
    NotYourProject,
    PeriodOverlaps,
    RegistryError,
    ReportInvalid,
    ReportNotFound,
    TransitionRefused,
)
from seagreen.registry.models import IssuanceRow, ReportRow
from seagreen.registry.repository import blocks as block_repository
from seagreen.registry.repository import head
from seagreen.registry.repository import projects as repository
from seagreen.registry.schemas import IssuanceRead, ReportRead
from seagreen.registry.service.issuance import NewIssuance, issue_blocks
from seagreen.registry.service.methodologies import calculate, receipt_json, recompute
from seagreen.registry.service.projects import get_row, local_day

DAYS_PER_YEAR = Decimal("365.25")
YEARS_TOLERANCE = Decimal("0.02")


def report_read(row: ReportRow, project_code: str, *, with_receipt: bool = False) -> ReportRead:
    return ReportRead(
        id=row.id,
        project_code=project_code,
        period_start=row.period_start,
        period_end=row.period_end,
        state=row.state,
        methodology=row.methodology,
        methodology_version=row.methodology_version,
        parameter_set=row.parameter_set,
        parameter_set_version=row.parameter_set_version,
        inputs_sha256=row.inputs_sha256,
        receipt_sha256=row.receipt_sha256,
        result_tco2e=row.result_tco2e,
        issuable_t=row.issuable_t,
        submitted_at=from_micros(row.submitted_at_us),
        submitted_by=row.submitted_by,
        verifier=row.verifier,
        verification_statement=row.verification_statement,
        verified_at=from_micros(row.verified_at_us) if row.verified_at_us else None,
        returned_reason=row.returned_reason,
        receipt=json.loads(row.receipt_json) if with_receipt else None,
    )


def _check_years(inputs: dict[str, Any], period: Period) -> None:
    """A methodology that takes the period's length in years must be given the report's."""
    if "years" not in inputs:
        return
    try:
        years = Decimal(str(inputs["years"]))
    except ArithmeticError:
        return  # the methodology names this field's problem
    actual = Decimal(period.days) / DAYS_PER_YEAR
    if abs(years - actual) > YEARS_TOLERANCE:
        raise ReportInvalid(
            f"inputs.years is {inputs['years']}, but the period {period.start} – {period.end} is "
            f"{actual.quantize(Decimal('0.01'))} years",
            field="inputs.years",
        )


def submit_report(
    session: Session,
    project_code: str,
    period_start: date,
    period_end: date,
    inputs: dict[str, Any],
    *,
    actor: Actor,
    now: datetime | None = None,
) -> ReportRead:
    """The owner submits monitoring results for a period: the receipt is computed now and kept."""
    moment = now or utcnow()
    project = get_row(session, project_code)
    if actor.org_code != project.owner_org:
        raise NotYourProject(f"project {project.code} belongs to {project.owner_org}", code=project.code)
    if project.state != ProjectState.FILED.value:
        raise TransitionRefused(
            f"project {project.code} is {project.state}: monitoring starts once it is filed"
        )
    period = Period(period_start, period_end)
    if period_end < period_start:
        raise ReportInvalid("the period ends before it starts", field="period_end")
    if not period.within(Period(project.crediting_start, project.crediting_end)):
        raise ReportInvalid(
            "the period must lie within the crediting period "
            f"{project.crediting_start} – {project.crediting_end}",
            field="period_start",
        )
    if period_end > local_day(moment):
        raise ReportInvalid("a monitoring period must have ended before it is reported", field="period_end")
    _check_years(inputs, period)
    receipt = calculate(session, project.methodology, inputs, methodology_version=project.methodology_version)
    head.lock(session)
    _check_overlap(session, project.id, period, exclude=None)
    report_id = repository.insert_report(
        session,
        project_id=project.id,
        period_start=period_start,
        period_end=period_end,
        state=ReportState.SUBMITTED.value,
        methodology=receipt.methodology,
        methodology_version=receipt.methodology_version,
        parameter_set=receipt.parameter_set.code,
        parameter_set_version=receipt.parameter_set.version,
        inputs_json=canonical_json(canonical_inputs(inputs)).decode("utf-8"),
        inputs_sha256=receipt.inputs_sha256,
        receipt_json=receipt_json(receipt),
        receipt_sha256=receipt.sha256,
        result_tco2e=format(receipt.result_tco2e, "f"),
        issuable_t=receipt.issuable_t,
        submitted_at_us=to_micros(moment),
        submitted_by=actor.label[:200],
        verifier="",
        verification_statement="",
        verified_at_us=None,
        verified_by="",
        returned_reason="",
    )
    audit.record(
        session,
        actor,
        "registry.report.submit",
        "registry_report",
        report_id,
        details={
            "project": project.code,
            "period": [period_start.isoformat(), period_end.isoformat()],
            "result_tco2e": format(receipt.result_tco2e, "f"),
            "receipt_sha256": receipt.sha256,
        },
        now=moment,
    )
    return get_report(session, report_id, with_receipt=True)


def _check_overlap(session: Session, project_id: int, period: Period, *, exclude: int | None) -> None:
    for other in repository.reports(session, project_id):
        if other.id == exclude or ReportState(other.state) not in LIVE_REPORT_STATES:
            continue
        if period.overlaps(Period(other.period_start, other.period_end)):
            raise PeriodOverlaps(
                f"the period {period.start} – {period.end} overlaps report {other.id} "
                f"({other.period_start} – {other.period_end}, {other.state})",
                report=other.id,
            )


def _report(session: Session, report_id: int) -> ReportRow:
    row = repository.report(session, report_id)
    if row is None:
        raise ReportNotFound(f"no monitoring report {report_id}", report=report_id)
    return row


def _reproduce(session: Session, row: ReportRow) -> Receipt:
    """Recompute the report's receipt; refuse if it is not byte for byte the stored one."""
    again = recompute(session, json.loads(row.receipt_json))
    if again.sha256 != row.receipt_sha256:
        raise RegistryError(
            f"report {row.id}: recomputing gives receipt {again.sha256}, not the stored {row.receipt_sha256}",
            report=row.id,
        )
    return again


def verify_report(
    session: Session,
    report_id: int,
    verifier: str,
    statement: str,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> ReportRead:
    """The authority records the verification (核证): who verified and what they state."""
    moment = now or utcnow()
    row = _report(session, report_id)
    new_state = report_transition(ReportState(row.state), ReportAction.VERIFY)
    if not verifier.strip() or not statement.strip():
        raise ReportInvalid("name the verification body and its statement")
    receipt = _reproduce(session, row)
    repository.update_report(
        session,
        report_id,
        state=new_state.value,
        verifier=verifier.strip()[:200],
        verification_statement=statement.strip(),
        verified_at_us=to_micros(moment),
        verified_by=actor.label[:200],
    )
    audit.record(
        session,
        actor,
        "registry.report.verify",
        "registry_report",
        report_id,
        reason=statement.strip(),
        details={"verifier": verifier.strip(), "receipt_sha256": receipt.sha256},
        now=moment,
    )
    return get_report(session, report_id)


def return_report(
    session: Session, report_id: int, reason: str, *, actor: Actor, now: datetime | None = None
) -> ReportRead:
    """The authority returns a report (its period becomes free for a corrected one)."""
    row = _report(session, report_id)
    new_state = report_transition(ReportState(row.state), ReportAction.RETURN)
    if not reason.strip():
        raise ReportInvalid("say why the report is returned", field="reason")
    repository.update_report(session, report_id, state=new_state.value, returned_reason=reason.strip())
    audit.record(
        session, actor, "registry.report.return", "registry_report", report_id, reason=reason.strip(), now=now
    )
    return get_report(session, report_id)


def issue(session: Session, report_id: int, *, actor: Actor, now: datetime | None = None) -> IssuanceRead:
    """The authority issues a verified report's credits: whole tonnes of its receipt, the buffer
    share to the pool (rounded up), the rest to the owner, as the next serials of the registry."""
    moment = now or utcnow()
    head.lock(session)
    row = _report(session, report_id)
    report_transition(ReportState(row.state), ReportAction.ISSUE)
    project = repository.projects_by_ids(session, [row.project_id])[row.project_id]
    if project.state != ProjectState.FILED.value:
        raise IssuanceRefused(f"project {project.code} is {project.state}, not filed")
    period = Period(row.period_start, row.period_end)
    for other in repository.reports(session, project.id):
        issued = other.id != row.id and other.state == ReportState.ISSUED.value
        if issued and period.overlaps(Period(other.period_start, other.period_end)):
            raise PeriodOverlaps(f"report {other.id} was issued for an overlapping period", report=other.id)
    receipt = _reproduce(session, row)
    quantity = receipt.issuable_t
    if quantity <= 0:
        raise IssuanceRefused(f"report {report_id} allows no whole tonne ({receipt.result_tco2e} t CO2e)")
    share = Decimal(project.buffer_share or "0")
    owner_quantity, buffer_quantity = buffer_split(quantity, share)
    issuance_id = issue_blocks(
        session,
        NewIssuance(
            project=project,
            report_id=row.id,
            vintage_start=row.period_start,
            vintage_end=row.period_end,
            quantity=quantity,
            owner_quantity=owner_quantity,
            buffer_quantity=buffer_quantity,
            buffer_share=dec_str(share),
            receipt_sha256=receipt.sha256,
        ),
        actor=actor,
        now=moment,
    )
    repository.update_report(session, report_id, state=ReportState.ISSUED.value)
    found = block_repository.issuance(session, issuance_id)
    assert found is not None
    return issuance_read(found, project.code)


# ---- reads ------------------------------------------------------------------------------------


def get_report(session: Session, report_id: int, *, with_receipt: bool = False) -> ReportRead:
    row = _report(session, report_id)
    project = repository.projects_by_ids(session, [row.project_id])[row.project_id]
    return report_read(row, project.code, with_receipt=with_receipt)


def report_project_code(session: Session, report_id: int) -> str:
    row = _report(session, report_id)
    return repository.projects_by_ids(session, [row.project_id])[row.project_id].code


def project_reports(session: Session, project_code: str) -> list[ReportRead]:
    project = get_row(session, project_code)
    return [report_read(row, project.code) for row in repository.reports(session, project.id)]


def pending_reports(session: Session) -> list[ReportRead]:
    """Reports waiting for the authority: submitted (to verify) and verified (to issue)."""
    rows = repository.reports_in_states(session, [ReportState.SUBMITTED.value, ReportState.VERIFIED.value])
    codes = {p.id: p.code for p in repository.projects_by_ids(session, {r.project_id for r in rows}).values()}
    return [report_read(row, codes[row.project_id]) for row in rows]


def issuance_read(row: IssuanceRow, project_code: str) -> IssuanceRead:
    block = BlockId(
        REGISTRY_CODE, project_code, row.vintage_start, row.vintage_end, row.serial_start, row.serial_end
    )
    return IssuanceRead(
        id=row.id,
        project_code=project_code,
        report_id=row.report_id,
        vintage_start=row.vintage_start,
        vintage_end=row.vintage_end,
        quantity=row.quantity,
        owner_quantity=row.owner_quantity,
        buffer_quantity=row.buffer_quantity,
        buffer_share=row.buffer_share,
        serial_start=row.serial_start,
        serial_end=row.serial_end,
        block=str(block),
        receipt_sha256=row.receipt_sha256,
        owner_org=row.owner_org,
        issued_at=from_micros(row.issued_at_us),
    )
