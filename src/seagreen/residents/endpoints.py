"""The residents' JSON API (居民端接口): sign in by phone and code; the six views, the mall,
redemption, vouchers and authorisations of the signed-in resident. Every page under ``/me`` has
its equivalent here."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session, sessionmaker

from seagreen.benefits import service as benefits
from seagreen.carbon_account.lifecycle import ExpiryRule, day_of_day_number
from seagreen.carbon_account.service import views as carbon_views
from seagreen.db.uow import unit_of_work
from seagreen.identity.access import SESSION_COOKIE, Pii, RequireResident, actor_of
from seagreen.residents import service
from seagreen.residents.errors import CodeRejected, ResidentNotRegistered
from seagreen.residents.schemas import (
    AchievementRead,
    AuthorisationRead,
    CodeRequestedRead,
    CodeRequestIn,
    CodeVerifyIn,
    GradeHistoryRead,
    GradeRead,
    HistoryRead,
    MallRead,
    PointsRead,
    RankingRead,
    RankRead,
    RecordsRead,
    RedeemIn,
    RedemptionRead,
    ReductionsRead,
    SchemeRead,
    SignedInRead,
    SummaryRead,
)
from seagreen.web.deps import ReadSession, WriteSession, get_settings_dep

router = APIRouter(prefix="/api/v1", tags=["residents"])


def code_sender(request: Request) -> service.CodeSender:
    """The configured sender of sign-in codes (``SEAGREEN_OTP_SENDER``), made once per app."""
    sender: service.CodeSender | None = getattr(request.app.state, "code_sender", None)
    if sender is None:
        sender = service.sender_named(get_settings_dep(request).otp_sender)
        request.app.state.code_sender = sender
    return sender


def expiry_rule(request: Request) -> ExpiryRule:
    return ExpiryRule(get_settings_dep(request).points_expiry_months)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def resident_id(request: Request, principal: RequireResident) -> int:
    """The signed-in resident's id, after settling anything a void left due to them (so that
    every view shows their real balance); in a short transaction of its own."""
    if principal.resident_id is None:
        raise ResidentNotRegistered("this login is not linked to a resident")
    factory: sessionmaker[Session] = request.app.state.session_factory
    with unit_of_work(factory, read_only=True) as read:
        due = service.needs_refresh(read, principal.resident_id)
    if due:
        with unit_of_work(factory) as session:
            service.refresh(session, principal.resident_id)
    return principal.resident_id


ResidentId = Annotated[int, Depends(resident_id)]
Rule = Annotated[ExpiryRule, Depends(expiry_rule)]


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = get_settings_dep(request)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


# -- sign-in (public) ---------------------------------------------------------------------------------


@router.post("/resident-login/code", response_model=CodeRequestedRead, summary="Send a sign-in code")
def request_code(body: CodeRequestIn, request: Request, session: WriteSession, pii: Pii) -> CodeRequestedRead:
    """Send a six-digit code to a resident's phone. The answer is the same whether or not the
    number is registered; requests are throttled per number and per client (429)."""
    result = service.request_code(
        session, phone=body.phone, client=client_of(request), pii=pii, sender=code_sender(request)
    )
    session.commit()
    return CodeRequestedRead.model_validate(result)


@router.post("/resident-login/verify", response_model=SignedInRead, summary="Sign in with the code")
def verify_code(
    body: CodeVerifyIn, request: Request, response: Response, session: WriteSession, pii: Pii
) -> SignedInRead:
    """Check the code and open a session (cookie ``sg_session``); 401 if the code is not valid."""
    result = service.verify_code(
        session,
        phone=body.phone,
        code=body.code,
        pii=pii,
        session_hours=get_settings_dep(request).session_hours,
    )
    session.commit()  # a failed attempt counts too
    if not result.ok or result.session_token is None or result.principal is None or result.expires_at is None:
        raise CodeRejected("the code is not valid: ask for a new one")
    set_session_cookie(request, response, result.session_token)
    return SignedInRead(
        display_name=result.principal.display_name,
        csrf=result.principal.csrf or "",
        expires_at=result.expires_at,
    )


# -- the six views -----------------------------------------------------------------------------------


@router.get("/me/summary", response_model=SummaryRead, summary="My carbon account at a glance")
def summary(resident: ResidentId, rule: Rule, session: ReadSession) -> SummaryRead:
    home = service.home(session, resident, rule=rule)
    s = home.summary
    return SummaryRead(
        ref=s.ref,
        reduction_g=s.reduction_g,
        credited_g=s.credited_g,
        points_earned=s.points_earned,
        points=s.points,
        month_credited_g=s.month_credited_g,
        quarter=str(s.quarter),
        quarter_credited_g=s.quarter_credited_g,
        grade=GradeRead.of(s.grade),
        rank=RankRead.model_validate(s.rank),
        vouchers_active=home.vouchers_active,
        achievements=[AchievementRead.model_validate(a) for a in home.achievements],
    )


@router.get("/me/records", response_model=RecordsRead, summary="1. My behaviour records by data source")
def records(
    resident: ResidentId,
    session: ReadSession,
    before: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 60,
    source: Annotated[str | None, Query(max_length=32)] = None,
) -> RecordsRead:
    """One line per behaviour and day, newest first, with the partners that reported it."""
    view = carbon_views.records(
        session,
        resident,
        before_day=date.fromisoformat(before) if before else None,
        limit=limit,
        source=source,
    )
    return RecordsRead(
        lines=view.lines,
        sources=view.sources,
        voided=view.voided,
        next_before=None if view.next_before is None else day_of_day_number(view.next_before),
    )


@router.get("/me/reductions", response_model=ReductionsRead, summary="2. My reductions")
def reductions(resident: ResidentId, session: ReadSession) -> ReductionsRead:
    """Per behaviour (raw and credited), per dimension and month by month with the running total."""
    return ReductionsRead.model_validate(carbon_views.reductions(session, resident))


@router.get("/me/points", response_model=PointsRead, summary="3. My points balance and flows")
def points(resident: ResidentId, rule: Rule, session: ReadSession) -> PointsRead:
    """Balance, what is reserved, owed and about to expire; flows by kind and month; movements."""
    return PointsRead.model_validate(carbon_views.points(session, resident, rule=rule))


@router.get("/me/redemptions", response_model=HistoryRead, summary="4. My redemptions and vouchers")
def redemptions(
    resident: ResidentId,
    session: ReadSession,
    before: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
) -> HistoryRead:
    return HistoryRead.model_validate(benefits.history(session, resident, limit=limit, before_id=before))


@router.get(
    "/me/redemptions/{redemption_id}", response_model=RedemptionRead, summary="One voucher, with its code"
)
def redemption(
    redemption_id: int, request: Request, resident: ResidentId, session: ReadSession
) -> RedemptionRead:
    key = benefits.voucher_key(request.app.state.keys)
    return RedemptionRead.model_validate(benefits.redemption_of(session, resident, redemption_id, key=key))


@router.post(
    "/me/redemptions", response_model=RedemptionRead, status_code=201, summary="Redeem a benefit for points"
)
def redeem(
    body: RedeemIn, request: Request, resident: ResidentId, principal: RequireResident
) -> RedemptionRead:
    """Reserve the points, issue the voucher, take the points; any failure releases everything.
    Send the same ``request_key`` again to get the same redemption (safe to retry)."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    view = benefits.redeem(
        lambda: unit_of_work(factory),
        resident_id=resident,
        benefit_code=body.benefit,
        request_key=body.request_key,
        key=benefits.voucher_key(request.app.state.keys),
        actor=actor_of(principal),
    )
    return RedemptionRead.model_validate(view)


@router.get("/me/ranking", response_model=RankingRead, summary="5. My rank and achievements")
def ranking(resident: ResidentId, rule: Rule, session: ReadSession) -> RankingRead:
    """The share of residents who credited less than me (no one else's figures), and badges."""
    home = service.home(session, resident, rule=rule)
    return RankingRead(
        rank=RankRead.model_validate(home.summary.rank),
        achievements=[AchievementRead.model_validate(a) for a in home.achievements],
    )


@router.get("/me/grade", response_model=GradeHistoryRead, summary="6. My carbon grade")
def grade(resident: ResidentId, session: ReadSession) -> GradeHistoryRead:
    """The grade of the last complete quarter, the quarter so far, the last four quarters, and
    the scheme's tiers with what each means for financing."""
    history = carbon_views.grade(session, resident)
    scheme = (
        history.current.scheme if history.current else (history.to_date.scheme if history.to_date else None)
    )
    return GradeHistoryRead(
        current=GradeRead.of(history.current),
        to_date=GradeRead.of(history.to_date),
        quarters=[g for g in (GradeRead.of(q) for q in history.quarters) if g is not None],
        scheme=None if scheme is None else SchemeRead.model_validate(scheme),
    )


# -- the mall and authorisations ------------------------------------------------------------------------


@router.get("/me/mall", response_model=MallRead, summary="The benefits I can redeem")
def mall(resident: ResidentId, rule: Rule, session: ReadSession) -> MallRead:
    return MallRead.model_validate(service.mall(session, resident, rule=rule))


@router.get(
    "/me/authorisations", response_model=list[AuthorisationRead], summary="My data-source authorisations"
)
def authorisations(resident: ResidentId, session: ReadSession) -> list[AuthorisationRead]:
    return [AuthorisationRead.model_validate(a) for a in service.authorisations(session, resident)]


@router.put(
    "/me/authorisations/{partner}", response_model=list[AuthorisationRead], summary="Authorise a data partner"
)
def grant(
    partner: str, resident: ResidentId, principal: RequireResident, session: WriteSession
) -> list[AuthorisationRead]:
    result = service.set_authorisation(session, resident, partner, granted=True, actor=actor_of(principal))
    session.commit()
    return [AuthorisationRead.model_validate(a) for a in result]


@router.delete(
    "/me/authorisations/{partner}",
    response_model=list[AuthorisationRead],
    summary="Withdraw an authorisation",
)
def revoke(
    partner: str, resident: ResidentId, principal: RequireResident, session: WriteSession
) -> list[AuthorisationRead]:
    """From now on the partner's events about me are refused; what was accounted stays."""
    result = service.set_authorisation(session, resident, partner, granted=False, actor=actor_of(principal))
    session.commit()
    return [AuthorisationRead.model_validate(a) for a in result]


def new_request_key() -> str:
    return secrets.token_urlsafe(12)
