"""The lifecycle's API: a partner voids events it reported; operators run and read expiry."""

from __future__ import annotations

from fastapi import APIRouter, Request

from seagreen.carbon_account.lifecycle import ExpiryRule
from seagreen.carbon_account.lifecycle_schemas import (
    ExpiryReportRead,
    ExpiryRunRead,
    VoidLineRead,
    VoidsIn,
    VoidsResultRead,
)
from seagreen.carbon_account.service import lifecycle
from seagreen.carbon_account.service.lifecycle import VoidItem, VoidResult, VoidStatus
from seagreen.identity.access import RequireOperator, RequirePartner, actor_of
from seagreen.web.deps import ReadSession, WriteSession, get_settings_dep

router = APIRouter(prefix="/api/v1", tags=["carbon account"])


def void_result_read(result: VoidResult) -> VoidsResultRead:
    return VoidsResultRead(
        request_id=result.request_id,
        voided=result.count(VoidStatus.VOIDED),
        already_voided=result.count(VoidStatus.ALREADY_VOIDED),
        not_found=result.count(VoidStatus.NOT_FOUND) + result.count(VoidStatus.INVALID),
        reduction_g=result.reduction_g,
        credited_g=result.credited_g,
        points_reversed=result.points_reversed,
        debt_points=result.debt_points,
        results=[
            VoidLineRead(
                index=line.index,
                event_id=line.event_id,
                status=line.status.value,
                reduction_g=line.reduction_g,
            )
            for line in result.lines
        ],
    )


@router.post("/events/void", response_model=VoidsResultRead, summary="Void events you reported")
def void_events(body: VoidsIn, principal: RequirePartner, session: WriteSession) -> VoidsResultRead:
    """Void up to 1,000 of your own events (a refunded fare, a corrected reading). Each event's
    reduction leaves the resident's totals exactly as if it had never been reported, and the
    points it earned are taken back; points the resident already spent become a recorded debt
    that their next points repay. Voiding an event again is harmless (``already_voided``)."""
    result = lifecycle.void_events(
        session,
        partner_code=principal.org_code or "",
        items=[VoidItem(event.event_id, event.reason) for event in body.events],
        actor=actor_of(principal),
    )
    session.commit()
    return void_result_read(result)


@router.post("/points/expire", response_model=ExpiryReportRead, summary="Run the points expiry job now")
def expire(
    request: Request, principal: RequireOperator, session: WriteSession, dry_run: bool = False
) -> ExpiryReportRead:
    """What ``seagreen points expire`` does (the app also runs it on schedule): settle what
    voids left due, then expire, first in first out, points older than the expiry period."""
    rule = ExpiryRule(get_settings_dep(request).points_expiry_months)
    report = lifecycle.expire_points(session, rule=rule, actor=actor_of(principal), dry_run=dry_run)
    session.commit()
    return ExpiryReportRead(
        cutoff=report.cutoff,
        residents=report.residents,
        points=report.points,
        reissued=report.adjusted.reissued,
        debts_repaid=report.adjusted.repaid,
        dry_run=report.dry_run,
    )


@router.get("/points/expiry-runs", response_model=list[ExpiryRunRead], summary="Past expiry runs")
def expiry_runs(_: RequireOperator, session: ReadSession) -> list[ExpiryRunRead]:
    return [ExpiryRunRead.model_validate(run) for run in lifecycle.expiry_runs(session, 24)]
