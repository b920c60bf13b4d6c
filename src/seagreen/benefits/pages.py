"""Benefits pages: the operator's catalogue and stock administration (权益与库存管理), and the
provider's voucher desk (核销台). Their JSON equivalents are in ``benefits/endpoints.py``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from seagreen.benefits import service
from seagreen.benefits.domain import BenefitKind, LimitPeriod
from seagreen.benefits.endpoints import RequireProvider
from seagreen.benefits.errors import BenefitExists, BenefitInvalid, BenefitNotFound
from seagreen.benefits.schemas import BenefitCreate
from seagreen.errors import DomainError
from seagreen.identity import service as identity
from seagreen.identity.access import RequireOperator, actor_of
from seagreen.identity.domain import OrgKind
from seagreen.kit.clock import LOCAL_TZ
from seagreen.web.deps import ReadSession, WriteSession, get_locale
from seagreen.web.i18n import key
from seagreen.web.rendering import render

router = APIRouter(include_in_schema=False)


def yuan(fen: int | None) -> str:
    return "—" if fen is None else f"¥{fen / 100:,.2f}"


def _admin(
    request: Request,
    session: Any,
    *,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "benefits/admin.html",
        {
            "benefits": service.list_benefits(session, active_only=False),
            "figures": {f.benefit.code: f for f in service.by_benefit(session)},
            "providers": identity.list_orgs(session, OrgKind.BENEFIT_PROVIDER),
            "kinds": [kind.value for kind in BenefitKind],
            "periods": [period.value for period in LimitPeriod],
            "yuan": yuan,
            "error": error,
            "form": form or {},
            "key": key,
        },
        status_code=status,
    )


@router.get("/benefits/admin", response_class=HTMLResponse)
def admin(request: Request, _: RequireOperator, session: ReadSession) -> Response:
    return _admin(request, session)


def _int(value: str, default: int | None = None) -> int | None:
    value = value.strip()
    return default if value == "" else int(value)


@router.post("/benefits/admin", response_class=HTMLResponse)
def create(
    request: Request,
    principal: RequireOperator,
    session: WriteSession,
    code: Annotated[str, Form(max_length=40)],
    provider: Annotated[str, Form(max_length=32)],
    kind: Annotated[str, Form(max_length=16)],
    name_zh: Annotated[str, Form(max_length=100)],
    name_en: Annotated[str, Form(max_length=200)],
    price_points: Annotated[str, Form(max_length=10)],
    description_zh: Annotated[str, Form(max_length=2000)] = "",
    stock: Annotated[str, Form(max_length=12)] = "",
    per_resident_limit: Annotated[str, Form(max_length=6)] = "1",
    limit_period: Annotated[str, Form(max_length=8)] = "month",
    validity_days: Annotated[str, Form(max_length=6)] = "30",
    refund_on_expiry: Annotated[str, Form(max_length=3)] = "",
    unit_cost_fen: Annotated[str, Form(max_length=12)] = "",
    monthly_budget_fen: Annotated[str, Form(max_length=14)] = "",
) -> Response:
    form = {
        "code": code,
        "provider": provider,
        "kind": kind,
        "name_zh": name_zh,
        "name_en": name_en,
        "price_points": price_points,
        "stock": stock,
        "per_resident_limit": per_resident_limit,
        "limit_period": limit_period,
        "validity_days": validity_days,
        "unit_cost_fen": unit_cost_fen,
        "monthly_budget_fen": monthly_budget_fen,
        "description_zh": description_zh,
    }
    try:
        budget = _int(monthly_budget_fen)
        body = BenefitCreate(
            code=code,
            provider=provider,
            kind=kind,
            name_zh=name_zh,
            name_en=name_en,
            description_zh=description_zh,
            price_points=_int(price_points, 0) or 0,
            stock=_int(stock),
            per_resident_limit=_int(per_resident_limit, 1) or 1,
            limit_period=limit_period,
            validity_days=_int(validity_days, 30) or 30,
            refund_on_expiry=refund_on_expiry == "on",
            subsidised=budget is not None,
            unit_cost_fen=_int(unit_cost_fen, 0) or 0,
            monthly_budget_fen=budget,
        )
        service.create_benefit(
            session,
            body.terms(),
            provider=body.provider,
            description_zh=body.description_zh,
            actor=actor_of(principal),
        )
    except ValueError:
        session.rollback()
        return _admin(request, session, error="numbers only in the number fields", form=form, status=422)
    except (BenefitInvalid, BenefitExists) as exc:
        session.rollback()
        return _admin(request, session, error=exc.message, form=form, status=exc.status)
    session.commit()
    return RedirectResponse(f"/benefits/admin/{code.strip()}", status_code=303)


def _detail(
    request: Request, session: Any, code: str, *, error: str | None = None, status: int = 200
) -> Response:
    benefit = service.get_benefit(session, code)
    figures = next((f for f in service.by_benefit(session) if f.benefit.code == code), None)
    return render(
        request,
        "benefits/detail.html",
        {
            "b": benefit,
            "figures": figures,
            "periods": [p.value for p in LimitPeriod],
            "yuan": yuan,
            "error": error,
            "key": key,
        },
        status_code=status,
    )


@router.get("/benefits/admin/{code}", response_class=HTMLResponse)
def detail(code: str, request: Request, _: RequireOperator, session: ReadSession) -> Response:
    return _detail(request, session, code)


@router.post("/benefits/admin/{code}", response_class=HTMLResponse)
def update(
    code: str,
    request: Request,
    principal: RequireOperator,
    session: WriteSession,
    name_zh: Annotated[str, Form(max_length=100)],
    name_en: Annotated[str, Form(max_length=200)],
    price_points: Annotated[str, Form(max_length=10)],
    per_resident_limit: Annotated[str, Form(max_length=6)],
    limit_period: Annotated[str, Form(max_length=8)],
    validity_days: Annotated[str, Form(max_length=6)],
    description_zh: Annotated[str, Form(max_length=2000)] = "",
    refund_on_expiry: Annotated[str, Form(max_length=3)] = "",
    active: Annotated[str, Form(max_length=3)] = "",
    monthly_budget_fen: Annotated[str, Form(max_length=14)] = "",
) -> Response:
    try:
        service.update_benefit(
            session,
            code,
            actor=actor_of(principal),
            name_zh=name_zh,
            name_en=name_en,
            description_zh=description_zh,
            price_points=_int(price_points),
            per_resident_limit=_int(per_resident_limit),
            limit_period=limit_period,
            validity_days=_int(validity_days),
            refund_on_expiry=refund_on_expiry == "on",
            active=active == "on",
            **({"monthly_budget_fen": _int(monthly_budget_fen)} if monthly_budget_fen.strip() else {}),
        )
    except ValueError:
        session.rollback()
        return _detail(request, session, code, error="numbers only in the number fields", status=422)
    except (BenefitInvalid, BenefitNotFound) as exc:
        session.rollback()
        return _detail(request, session, code, error=exc.message, status=exc.status)
    session.commit()
    return RedirectResponse(f"/benefits/admin/{code}", status_code=303)


@router.post("/benefits/admin/{code}/stock", response_class=HTMLResponse)
def stock(
    code: str,
    request: Request,
    principal: RequireOperator,
    session: WriteSession,
    quantity: Annotated[str, Form(max_length=10)],
) -> Response:
    try:
        service.restock(session, code, int(quantity), actor=actor_of(principal))
    except ValueError:
        session.rollback()
        return _detail(request, session, code, error="a whole number of vouchers", status=422)
    except BenefitInvalid as exc:
        session.rollback()
        return _detail(request, session, code, error=exc.message, status=exc.status)
    session.commit()
    return RedirectResponse(f"/benefits/admin/{code}", status_code=303)


# -- the provider's voucher desk -------------------------------------------------------------------


def _desk(
    request: Request, *, check: Any = None, error: str | None = None, code: str = "", status: int = 200
) -> Response:
    return render(
        request,
        "benefits/desk.html",
        {
            "check": check,
            "error": error,
            "code": code,
            "local": lambda m: "" if m is None else m.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
            "locale": get_locale(request),
            "key": key,
        },
        status_code=status,
    )


@router.get("/benefits/vouchers", response_class=HTMLResponse)
def desk(request: Request, _: RequireProvider) -> Response:
    return _desk(request)


@router.post("/benefits/vouchers", response_class=HTMLResponse)
def desk_action(
    request: Request,
    principal: RequireProvider,
    session: WriteSession,
    code: Annotated[str, Form(max_length=40)],
    action: Annotated[str, Form(pattern="^(check|confirm)$")] = "check",
) -> Response:
    provider = principal.org_code or ""
    try:
        if action == "confirm":
            check = service.confirm_use(session, code, provider_code=provider, actor=actor_of(principal))
            session.commit()
        else:
            check = service.check_voucher(session, code, provider_code=provider)
    except DomainError as exc:
        session.rollback()
        return _desk(request, error=exc.message, code=code, status=exc.status)
    return _desk(request, check=check, code=check.code)
