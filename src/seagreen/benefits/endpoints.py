"""The benefits API: operators keep the catalogue and its stock; providers check and confirm
vouchers (核销)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from seagreen.benefits import service
from seagreen.benefits.errors import NotAProvider
from seagreen.benefits.schemas import (
    BenefitAdminRead,
    BenefitCreate,
    BenefitUpdate,
    StockIn,
    VoucherCheckRead,
    VoucherCodeIn,
)
from seagreen.identity.access import Principal, RequireOperator, actor_of, require_roles
from seagreen.identity.domain import Role
from seagreen.web.deps import ReadSession, WriteSession

router = APIRouter(prefix="/api/v1", tags=["benefits"])
RequireProvider = Annotated[Principal, Depends(require_roles(Role.BENEFIT_PROVIDER))]


def _read(view: service.BenefitView) -> BenefitAdminRead:
    return BenefitAdminRead.model_validate(view)


@router.get("/benefits", response_model=list[BenefitAdminRead], summary="The benefits catalogue")
def list_benefits(_: RequireOperator, session: ReadSession, all: bool = True) -> list[BenefitAdminRead]:
    """Every benefit (``all=false``: only those offered now), with stock and this month's budget."""
    return [_read(view) for view in service.list_benefits(session, active_only=not all)]


@router.post("/benefits", response_model=BenefitAdminRead, status_code=201, summary="Add a benefit")
def create_benefit(
    body: BenefitCreate, principal: RequireOperator, session: WriteSession
) -> BenefitAdminRead:
    view = service.create_benefit(
        session,
        body.terms(),
        provider=body.provider,
        description_zh=body.description_zh,
        description_en=body.description_en,
        position=body.position,
        actor=actor_of(principal),
    )
    session.commit()
    return _read(view)


@router.get("/benefits/{code}", response_model=BenefitAdminRead, summary="One benefit")
def get_benefit(code: str, _: RequireOperator, session: ReadSession) -> BenefitAdminRead:
    return _read(service.get_benefit(session, code))


@router.patch("/benefits/{code}", response_model=BenefitAdminRead, summary="Change a benefit's terms")
def update_benefit(
    code: str, body: BenefitUpdate, principal: RequireOperator, session: WriteSession
) -> BenefitAdminRead:
    """Redemptions already made keep the terms they were made under."""
    view = service.update_benefit(
        session, code, actor=actor_of(principal), **body.model_dump(exclude_unset=True)
    )
    session.commit()
    return _read(view)


@router.post("/benefits/{code}/stock", response_model=BenefitAdminRead, summary="Add stock")
def add_stock(
    code: str, body: StockIn, principal: RequireOperator, session: WriteSession
) -> BenefitAdminRead:
    view = service.restock(session, code, body.quantity, actor=actor_of(principal))
    session.commit()
    return _read(view)


def _provider(principal: Principal) -> str:
    if not principal.org_code:
        raise NotAProvider("only a benefit provider's key may check vouchers")
    return principal.org_code


@router.post("/vouchers/check", response_model=VoucherCheckRead, summary="Check a voucher (provider)")
def check_voucher(body: VoucherCodeIn, principal: RequireProvider, session: ReadSession) -> VoucherCheckRead:
    """Whether a code is one of your vouchers and can be used; changes nothing."""
    check = service.check_voucher(session, body.code, provider_code=_provider(principal))
    return VoucherCheckRead.model_validate({**check.__dict__, "status": check.status.value})


@router.post(
    "/vouchers/confirm", response_model=VoucherCheckRead, summary="Confirm a voucher was used (provider)"
)
def confirm_voucher(
    body: VoucherCodeIn, principal: RequireProvider, session: WriteSession
) -> VoucherCheckRead:
    """Mark the voucher used (once). 409 if it was used already or has expired."""
    check = service.confirm_use(
        session, body.code, provider_code=_provider(principal), actor=actor_of(principal)
    )
    session.commit()
    return VoucherCheckRead.model_validate({**check.__dict__, "status": check.status.value})
