"""The residents' pages (居民端), mobile first: sign in with phone and code, the account at a
glance, the six views, the benefits mall, redemption, vouchers and authorisations. Each page has
its JSON equivalent in ``residents/endpoints.py``."""

from __future__ import annotations

import hmac
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from seagreen.benefits import service as benefits
from seagreen.benefits.errors import (
    BenefitUnavailable,
    BudgetExhausted,
    InsufficientPoints,
    LimitReached,
    OutOfStock,
    RedemptionFailed,
)
from seagreen.carbon_account.lifecycle import day_of_day_number
from seagreen.carbon_account.service import views as carbon_views
from seagreen.db.uow import unit_of_work
from seagreen.errors import DomainError
from seagreen.identity.access import OptionalPrincipal, Pii, RequireResident, actor_of, new_form_token
from seagreen.identity.domain import Role
from seagreen.identity.pages import safe_next
from seagreen.kit import charts
from seagreen.kit.clock import LOCAL_TZ
from seagreen.residents import service
from seagreen.residents.endpoints import (
    ResidentId,
    Rule,
    client_of,
    code_sender,
    new_request_key,
    set_session_cookie,
)
from seagreen.residents.errors import InvalidPhone, TooManyCodeRequests
from seagreen.web.deps import ReadSession, WriteSession, get_locale, get_settings_dep
from seagreen.web.i18n import key, translate
from seagreen.web.rendering import render

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "sg_resident_login"
EXPIRED, BAD_PHONE, BAD_CODE = (
    "identity.login.form_expired",
    "resident.login.bad_phone",
    "resident.login.bad_code",
)
THROTTLED = "resident.login.throttled"
REDEEM_ERRORS = (
    InsufficientPoints,
    OutOfStock,
    LimitReached,
    BudgetExhausted,
    BenefitUnavailable,
    RedemptionFailed,
)


# -- formatting helpers for the templates ------------------------------------------------------------


def kg(grams: int) -> str:
    return f"{grams / 1000:,.1f}"


def grams_text(grams: int) -> str:
    return f"{grams:,} g" if abs(grams) < 1000 else f"{grams / 1000:,.2f} kg"


def when(moment: Any) -> str:
    return "" if moment is None else moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def day_text(moment: Any) -> str:
    return "" if moment is None else moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d")


def name(locale: str, zh: str, en: str) -> str:
    return zh if locale == "zh-CN" or not en else en


def month_labels(months: list[date], locale: str) -> list[str]:
    """``9月`` / ``Sep`` within one year; ``25-09`` when the months span years."""
    if len({month.year for month in months}) > 1:
        return [month.strftime("%y-%m") for month in months]
    return [f"{month.month}月" if locale == "zh-CN" else month.strftime("%b") for month in months]


def _context(request: Request, **values: Any) -> dict[str, Any]:
    locale = get_locale(request)
    return {
        "kg": kg,
        "grams": grams_text,
        "when": when,
        "day_text": day_text,
        "pick": lambda zh, en: name(locale, zh, en),
        "key": key,
        "section": values.pop("section", ""),
        **values,
    }


# -- sign in --------------------------------------------------------------------------------------------


def _login_page(
    request: Request,
    *,
    step: str,
    next_url: str,
    phone: str = "",
    masked: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    token = new_form_token()
    settings = get_settings_dep(request)
    response = render(
        request,
        "residents/login.html",
        _context(
            request,
            step=step,
            csrf=token,
            next=next_url,
            phone=phone,
            masked=masked,
            error=error,
            code_in_log=isinstance(code_sender(request), service.LogSender),
        ),
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path="/me/login",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


def _refused(
    request: Request, *, step: str, target: str, phone: str, message: str, status: int, **params: Any
) -> Response:
    error = translate(message, get_locale(request), **params)
    return _login_page(request, step=step, next_url=target, phone=phone, error=error, status=status)


def _login_csrf_ok(request: Request, csrf: str) -> bool:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return bool(expected) and hmac.compare_digest(expected.encode(), csrf.encode())


@router.get("/me/login", response_class=HTMLResponse)
def login_page(request: Request, principal: OptionalPrincipal, next: str = "/me") -> Response:
    if principal is not None and Role.RESIDENT in principal.roles:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, step="phone", next_url=safe_next(next))


@router.post("/me/login", response_class=HTMLResponse)
def send_code(
    request: Request,
    session: WriteSession,
    pii: Pii,
    phone: Annotated[str, Form(max_length=40)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/me",
) -> Response:
    target = safe_next(next)
    if not _login_csrf_ok(request, csrf):
        return _refused(request, step="phone", target=target, phone=phone, message=EXPIRED, status=403)
    try:
        sent = service.request_code(
            session, phone=phone, client=client_of(request), pii=pii, sender=code_sender(request)
        )
    except InvalidPhone:
        return _refused(request, step="phone", target=target, phone=phone, message=BAD_PHONE, status=422)
    except TooManyCodeRequests as exc:
        wait = exc.details.get("retry_after", 60)
        return _refused(
            request, step="code", target=target, phone=phone, message=THROTTLED, status=429, seconds=wait
        )
    session.commit()
    return _login_page(request, step="code", next_url=target, phone=phone, masked=sent.masked_phone)


@router.post("/me/login/verify", response_class=HTMLResponse)
def verify(
    request: Request,
    session: WriteSession,
    pii: Pii,
    phone: Annotated[str, Form(max_length=40)] = "",
    code: Annotated[str, Form(max_length=20)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/me",
) -> Response:
    target = safe_next(next)
    if not _login_csrf_ok(request, csrf):
        return _refused(request, step="phone", target=target, phone=phone, message=EXPIRED, status=403)
    try:
        result = service.verify_code(
            session, phone=phone, code=code, pii=pii, session_hours=get_settings_dep(request).session_hours
        )
    except InvalidPhone:
        return _refused(request, step="phone", target=target, phone=phone, message=BAD_PHONE, status=422)
    session.commit()
    if not result.ok or result.session_token is None:
        return _refused(request, step="code", target=target, phone=phone, message=BAD_CODE, status=401)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, result.session_token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/me/login")
    return response


# -- the account at a glance -------------------------------------------------------------------------------


@router.get("/me", response_class=HTMLResponse)
def home(request: Request, resident: ResidentId, rule: Rule, session: ReadSession) -> Response:
    view = service.home(session, resident, rule=rule)
    rank = view.summary.rank
    return render(
        request,
        "residents/home.html",
        _context(
            request,
            section="home",
            home=view,
            s=view.summary,
            gauge=charts.gauge(rank.percentile or 0),
        ),
    )


# -- 1. records ----------------------------------------------------------------------------------------------


@router.get("/me/records", response_class=HTMLResponse)
def records(
    request: Request,
    resident: ResidentId,
    session: ReadSession,
    before: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
    source: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    view = carbon_views.records(
        session, resident, before_day=date.fromisoformat(before) if before else None, limit=60, source=source
    )
    days: dict[date, list[Any]] = {}
    for line in view.lines:
        days.setdefault(line.day, []).append(line)
    more = None if view.next_before is None else day_of_day_number(view.next_before).isoformat()
    return render(
        request,
        "residents/records.html",
        _context(request, section="records", view=view, days=days, more=more, source=source or ""),
    )


# -- 2. reductions -----------------------------------------------------------------------------------------


@router.get("/me/reductions", response_class=HTMLResponse)
def reductions(request: Request, resident: ResidentId, session: ReadSession) -> Response:
    view = carbon_views.reductions(session, resident)
    locale = get_locale(request)
    months = view.months[-12:]
    labels = month_labels([m.month for m in months], locale)
    cumulative = charts.line(
        [m.cumulative_credited_g for m in months], labels, fmt=lambda g: charts.compact(g // 1000)
    )
    monthly = charts.bars([m.credited_g for m in months], labels, fmt=lambda g: charts.compact(g // 1000))
    top = view.behaviours[:10]
    behaviour_rows = charts.shares(
        [(name(locale, b.behaviour.name_zh, b.behaviour.name_en), b.credited_g) for b in top]
    )
    dimension_rows = charts.shares(
        [
            (translate(f"carbon_account.dimension.{d.dimension}", locale), d.credited_g)
            for d in view.dimensions
        ]
    )
    return render(
        request,
        "residents/reductions.html",
        _context(
            request,
            section="reductions",
            view=view,
            cumulative=cumulative,
            monthly=monthly,
            behaviour_rows=behaviour_rows,
            dimension_rows=dimension_rows,
        ),
    )


# -- 3. points -----------------------------------------------------------------------------------------------

FLOW_SERIES = ("earned", "redeemed", "expired", "reversed")


@router.get("/me/points", response_class=HTMLResponse)
def points(request: Request, resident: ResidentId, rule: Rule, session: ReadSession) -> Response:
    view = carbon_views.points(session, resident, rule=rule)
    locale = get_locale(request)
    months = view.months[-12:]
    labels = month_labels([m.month for m in months], locale)
    chart = charts.stacked(
        [[m.flows.get(kind, 0) for m in months] for kind in FLOW_SERIES],
        labels,
        names=[translate(f"resident.flow.{kind}", locale) for kind in FLOW_SERIES],
    )
    return render(
        request,
        "residents/points.html",
        _context(request, section="points", view=view, chart=chart, series=FLOW_SERIES),
    )


# -- 4. vouchers -------------------------------------------------------------------------------------------


@router.get("/me/vouchers", response_class=HTMLResponse)
def vouchers(
    request: Request,
    resident: ResidentId,
    session: ReadSession,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    history = benefits.history(session, resident, limit=30, before_id=before)
    return render(request, "residents/vouchers.html", _context(request, section="vouchers", history=history))


@router.get("/me/vouchers/{redemption_id}", response_class=HTMLResponse)
def voucher(
    redemption_id: int,
    request: Request,
    resident: ResidentId,
    rule: Rule,
    session: ReadSession,
    new: Annotated[int, Query(ge=0, le=1)] = 0,
) -> Response:
    view = benefits.redemption_of(
        session, resident, redemption_id, key=benefits.voucher_key(request.app.state.keys)
    )
    ref = carbon_views.account_ref(session, resident)
    position = carbon_views.points_position(session, ref, rule=rule)
    return render(
        request,
        "residents/voucher.html",
        _context(request, section="vouchers", r=view, new=bool(new), position=position),
    )


# -- 5. ranking and 6. grade -------------------------------------------------------------------------------


@router.get("/me/ranking", response_class=HTMLResponse)
def ranking(request: Request, resident: ResidentId, rule: Rule, session: ReadSession) -> Response:
    view = service.home(session, resident, rule=rule)
    rank = view.summary.rank
    return render(
        request,
        "residents/ranking.html",
        _context(request, section="ranking", rank=rank, gauge=charts.gauge(rank.percentile or 0), home=view),
    )


@router.get("/me/grade", response_class=HTMLResponse)
def grade(request: Request, resident: ResidentId, session: ReadSession) -> Response:
    history = carbon_views.grade(session, resident)
    scheme = (
        history.current.scheme if history.current else (history.to_date.scheme if history.to_date else None)
    )
    progress = None
    if history.to_date and history.to_date.next_tier:
        target = history.to_date.next_tier.min_g
        progress = min(100, history.to_date.credited_g * 100 // max(1, target))
    return render(
        request,
        "residents/grade.html",
        _context(request, section="grade", history=history, scheme=scheme, progress=progress),
    )


# -- the mall and redemption -----------------------------------------------------------------------------


@router.get("/me/mall", response_class=HTMLResponse)
def mall(request: Request, resident: ResidentId, rule: Rule, session: ReadSession) -> Response:
    view = service.mall(session, resident, rule=rule)
    return render(request, "residents/mall.html", _context(request, section="mall", mall=view))


def _benefit_page(
    request: Request,
    session: Any,
    resident: int,
    rule: Any,
    code: str,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    item = service.mall_item(session, resident, code, rule=rule)
    ref = carbon_views.account_ref(session, resident)
    position = carbon_views.points_position(session, ref, rule=rule)
    return render(
        request,
        "residents/benefit.html",
        _context(
            request, section="mall", item=item, position=position, request_key=new_request_key(), error=error
        ),
        status_code=status,
    )


@router.get("/me/mall/{code}", response_class=HTMLResponse)
def benefit(code: str, request: Request, resident: ResidentId, rule: Rule, session: ReadSession) -> Response:
    return _benefit_page(request, session, resident, rule, code)


@router.post("/me/mall/{code}/redeem", response_class=HTMLResponse)
def redeem(
    code: str,
    request: Request,
    resident: ResidentId,
    rule: Rule,
    principal: RequireResident,
    request_key: Annotated[str, Form(min_length=8, max_length=64)],
) -> Response:
    factory = request.app.state.session_factory
    try:
        view = benefits.redeem(
            lambda: unit_of_work(factory),
            resident_id=resident,
            benefit_code=code,
            request_key=request_key,
            key=benefits.voucher_key(request.app.state.keys),
            actor=actor_of(principal),
        )
    except REDEEM_ERRORS as exc:
        with unit_of_work(factory, read_only=True) as session:
            return _benefit_page(
                request, session, resident, rule, code, error=_redeem_error(request, exc), status=exc.status
            )
    return RedirectResponse(f"/me/vouchers/{view.id}?new=1", status_code=303)


def _redeem_error(request: Request, exc: DomainError) -> str:
    key = f"resident.redeem_error.{exc.code}"
    text = translate(key, get_locale(request))
    return exc.message if text == key else text


# -- authorisations --------------------------------------------------------------------------------------


@router.get("/me/authorisations", response_class=HTMLResponse)
def authorisations(request: Request, resident: ResidentId, session: ReadSession) -> Response:
    items = service.authorisations(session, resident)
    return render(
        request, "residents/authorisations.html", _context(request, section="authorisations", items=items)
    )


@router.post("/me/authorisations/{partner}", response_class=HTMLResponse)
def change_authorisation(
    partner: str,
    resident: ResidentId,
    principal: RequireResident,
    session: WriteSession,
    action: Annotated[str, Form(pattern="^(grant|revoke)$")],
) -> Response:
    service.set_authorisation(
        session, resident, partner, granted=action == "grant", actor=actor_of(principal)
    )
    session.commit()
    return RedirectResponse(f"/me/authorisations#p-{partner}", status_code=303)
