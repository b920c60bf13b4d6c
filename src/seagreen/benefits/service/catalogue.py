"""The benefits catalogue (权益目录): create, change, restock, withdraw, list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.benefits import repository
from seagreen.benefits.domain import (
    BenefitTerms,
    LimitPeriod,
    check_terms,
    local_day,
    month_number,
    period_key,
)
from seagreen.benefits.errors import BenefitExists, BenefitInvalid, BenefitNotFound
from seagreen.benefits.models import BenefitRow
from seagreen.identity import service as identity
from seagreen.identity.domain import Organisation, OrgKind
from seagreen.identity.errors import OrgNotFound
from seagreen.kit.clock import to_micros, utcnow


@dataclass(frozen=True)
class BenefitView:
    code: str
    kind: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    provider_code: str
    provider_name_zh: str
    provider_name_en: str
    price_points: int
    stock_left: int | None
    redeemed: int
    per_resident_limit: int
    limit_period: str
    validity_days: int
    refund_on_expiry: bool
    subsidised: bool
    unit_cost_fen: int
    monthly_budget_fen: int | None
    active: bool
    position: int
    id: int = 0
    spent_this_month_fen: int = 0

    @property
    def budget_left_fen(self) -> int | None:
        if self.monthly_budget_fen is None:
            return None
        return max(0, self.monthly_budget_fen - self.spent_this_month_fen)

    @property
    def in_stock(self) -> bool:
        return self.stock_left is None or self.stock_left > 0

    @property
    def budget_allows(self) -> bool:
        left = self.budget_left_fen
        return left is None or left >= self.unit_cost_fen


def _providers(session: Session) -> dict[int, Organisation]:
    return {org.id: org for org in identity.list_orgs(session)}


def _view(row: BenefitRow, providers: dict[int, Organisation], spent: int = 0) -> BenefitView:
    org = providers.get(int(row.provider_org_id))
    return BenefitView(
        code=row.code,
        kind=row.kind,
        name_zh=row.name_zh,
        name_en=row.name_en,
        description_zh=row.description_zh,
        description_en=row.description_en,
        provider_code=org.code if org else "",
        provider_name_zh=org.name_zh if org else "",
        provider_name_en=org.name_en if org else "",
        price_points=int(row.price_points),
        stock_left=None if row.stock_left is None else int(row.stock_left),
        redeemed=int(row.redeemed),
        per_resident_limit=int(row.per_resident_limit),
        limit_period=row.limit_period,
        validity_days=int(row.validity_days),
        refund_on_expiry=bool(row.refund_on_expiry),
        subsidised=bool(row.subsidised),
        unit_cost_fen=int(row.unit_cost_fen),
        monthly_budget_fen=None if row.monthly_budget_fen is None else int(row.monthly_budget_fen),
        active=bool(row.active),
        position=int(row.position),
        id=int(row.id),
        spent_this_month_fen=spent,
    )


def _raise_problems(problems: list[tuple[str, str]], code: str) -> None:
    if problems:
        listed = "; ".join(f"{field}: {reason}" for field, reason in problems)
        raise BenefitInvalid(
            f"benefit {code!r}: {listed}",
            errors=[{"field": field, "reason": reason} for field, reason in problems],
        )


def _provider(session: Session, code: str) -> Organisation:
    try:
        org = identity.get_org(session, code)
    except OrgNotFound:
        raise BenefitInvalid(
            f"no organisation {code!r}", errors=[{"field": "provider", "reason": "unknown organisation"}]
        ) from None
    if org.kind is not OrgKind.BENEFIT_PROVIDER:
        raise BenefitInvalid(
            f"organisation {code!r} is a {org.kind}, not a benefit provider",
            errors=[{"field": "provider", "reason": "not a benefit provider"}],
        )
    return org


def create_benefit(
    session: Session,
    terms: BenefitTerms,
    *,
    provider: str,
    description_zh: str = "",
    description_en: str = "",
    position: int = 100,
    actor: Actor,
    now: datetime | None = None,
) -> BenefitView:
    """Add a benefit to the catalogue (active at once)."""
    _raise_problems(check_terms(terms), terms.code)
    org = _provider(session, provider)
    if repository.benefit_by_code(session, terms.code) is not None:
        raise BenefitExists(f"benefit {terms.code!r} exists", code=terms.code)
    moment = to_micros(now or utcnow())
    row = repository.insert_benefit(
        session,
        code=terms.code,
        provider_org_id=org.id,
        kind=terms.kind,
        name_zh=terms.name_zh.strip(),
        name_en=terms.name_en.strip(),
        description_zh=description_zh.strip(),
        description_en=description_en.strip(),
        price_points=terms.price_points,
        stock_left=terms.stock,
        redeemed=0,
        per_resident_limit=terms.per_resident_limit,
        limit_period=terms.limit_period,
        validity_days=terms.validity_days,
        refund_on_expiry=terms.refund_on_expiry,
        subsidised=terms.subsidised,
        unit_cost_fen=terms.unit_cost_fen,
        monthly_budget_fen=terms.monthly_budget_fen,
        active=True,
        position=position,
        created_at_us=moment,
        updated_at_us=moment,
    )
    audit.record(
        session,
        actor,
        "benefits.benefit.create",
        "benefit",
        terms.code,
        details={"provider": org.code, "price_points": terms.price_points, "stock": terms.stock},
    )
    return _view(row, {org.id: org})


EDITABLE = (
    "name_zh",
    "name_en",
    "description_zh",
    "description_en",
    "price_points",
    "per_resident_limit",
    "limit_period",
    "validity_days",
    "refund_on_expiry",
    "subsidised",
    "unit_cost_fen",
    "monthly_budget_fen",
    "position",
    "active",
)


def update_benefit(session: Session, code: str, *, actor: Actor, **changes: Any) -> BenefitView:
    """Change a benefit's terms; a redemption already made keeps the terms it was made under
    (its points, cost and voucher validity are stored with it)."""
    row = repository.benefit_by_code(session, code)
    if row is None:
        raise BenefitNotFound(f"no benefit {code!r}", code=code)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise BenefitInvalid(
            f"cannot change {', '.join(unknown)}",
            errors=[{"field": f, "reason": "not editable"} for f in unknown],
        )
    current = _view(row, {})
    wanted = {
        name: value for name, value in changes.items() if value is not None or name == "monthly_budget_fen"
    }
    terms = BenefitTerms(
        code=current.code,
        kind=current.kind,
        name_zh=wanted.get("name_zh", current.name_zh),
        name_en=wanted.get("name_en", current.name_en),
        price_points=wanted.get("price_points", current.price_points),
        stock=current.stock_left,
        per_resident_limit=wanted.get("per_resident_limit", current.per_resident_limit),
        limit_period=wanted.get("limit_period", current.limit_period),
        validity_days=wanted.get("validity_days", current.validity_days),
        refund_on_expiry=wanted.get("refund_on_expiry", current.refund_on_expiry),
        subsidised=wanted.get("subsidised", current.subsidised),
        unit_cost_fen=wanted.get("unit_cost_fen", current.unit_cost_fen),
        monthly_budget_fen=wanted.get("monthly_budget_fen", current.monthly_budget_fen),
    )
    _raise_problems(check_terms(terms), code)
    if not wanted:
        return get_benefit(session, code)
    repository.update_benefit(session, int(row.id), **wanted, updated_at_us=to_micros(utcnow()))
    audit.record(
        session, actor, "benefits.benefit.update", "benefit", code, details={"changed": sorted(wanted)}
    )
    return get_benefit(session, code)


def restock(session: Session, code: str, quantity: int, *, actor: Actor) -> BenefitView:
    """Add stock (a positive number) to a benefit with limited stock."""
    row = repository.benefit_by_code(session, code)
    if row is None:
        raise BenefitNotFound(f"no benefit {code!r}", code=code)
    if quantity <= 0:
        raise BenefitInvalid("add a positive quantity", errors=[{"field": "quantity", "reason": "positive"}])
    if row.stock_left is None:
        raise BenefitInvalid(
            f"benefit {code!r} has unlimited stock",
            errors=[{"field": "quantity", "reason": "unlimited stock"}],
        )
    repository.add_stock(session, int(row.id), quantity)
    audit.record(session, actor, "benefits.benefit.restock", "benefit", code, details={"quantity": quantity})
    session.expire_all()
    return get_benefit(session, code)


def get_benefit(session: Session, code: str, *, now: datetime | None = None) -> BenefitView:
    row = repository.benefit_by_code(session, code)
    if row is None:
        raise BenefitNotFound(f"no benefit {code!r}", code=code)
    month = month_number(local_day(now or utcnow()))
    spent = repository.spent_this_month(session, [int(row.id)], month)
    return _view(row, _providers(session), spent.get(int(row.id), 0))


def list_benefits(
    session: Session, *, active_only: bool = True, now: datetime | None = None
) -> list[BenefitView]:
    rows = repository.list_benefits(session, active_only=active_only)
    month = month_number(local_day(now or utcnow()))
    spent = repository.spent_this_month(session, [int(row.id) for row in rows], month)
    providers = _providers(session)
    return [_view(row, providers, spent.get(int(row.id), 0)) for row in rows]


def ensure_benefit(
    session: Session,
    terms: BenefitTerms,
    *,
    provider: str,
    description_zh: str = "",
    description_en: str = "",
    position: int = 100,
    actor: Actor,
) -> tuple[BenefitView, bool]:
    """The benefit ``terms.code``, created if missing (an existing one is left as it is)."""
    if repository.benefit_by_code(session, terms.code) is not None:
        return get_benefit(session, terms.code), False
    view = create_benefit(
        session,
        terms,
        provider=provider,
        description_zh=description_zh,
        description_en=description_en,
        position=position,
        actor=actor,
    )
    return view, True


def allowance_used(
    session: Session, resident_id: int, benefits: list[BenefitView], *, now: datetime | None = None
) -> dict[str, int]:
    """``benefit code -> redemptions counted`` against the resident's limit in the current period."""
    day = local_day(now or utcnow())
    periods = {b.id: period_key(LimitPeriod(b.limit_period), day) for b in benefits}
    used = repository.used_in_period(session, resident_id, periods)
    return {b.code: used.get(b.id, 0) for b in benefits}
