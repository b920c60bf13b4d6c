"""What a signed-in resident sees and does (a cross-module flow): their account at a glance,
the six views, the benefits mall, redemption and vouchers, and their authorisations.

Each function reads through the owning module's service: the carbon account for records,
reductions, points, rank and grade; benefits for the mall, redemptions and vouchers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from seagreen.audit.domain import Actor
from seagreen.benefits import service as benefits
from seagreen.carbon_account import service as carbon
from seagreen.carbon_account.lifecycle import ExpiryRule
from seagreen.carbon_account.service import lifecycle as carbon_lifecycle
from seagreen.carbon_account.service import views as carbon_views
from seagreen.carbon_account.standing import Achievement, Facts, achievements
from seagreen.kit.clock import LOCAL_TZ, utcnow

# -- the account at a glance ------------------------------------------------------------------------


@dataclass(frozen=True)
class Home:
    summary: carbon_views.AccountSummary
    vouchers_active: int
    achievements: list[Achievement]


def needs_refresh(session: Session, resident_id: int) -> bool:
    """Whether points may be due to the resident after a void (checked on a read transaction)."""
    return carbon_lifecycle.may_need_adjustment(session, resident_id)


def refresh(session: Session, resident_id: int, *, now: datetime | None = None) -> bool:
    """Settle what a void left due to the resident (reissues, debt repayment) before they look."""
    return carbon_lifecycle.adjust_resident(session, resident_id, now=now)


def achievements_of(
    session: Session, resident_id: int, summary: carbon_views.AccountSummary
) -> list[Achievement]:
    reductions = carbon_views.reductions(session, resident_id)
    kinds = benefits.kinds_redeemed(session, resident_id)
    facts = Facts(
        reduction_g=summary.reduction_g,
        credited_g=summary.credited_g,
        dimensions=frozenset(d.dimension for d in reductions.dimensions if d.credited_g > 0),
        travel_credited_g=sum(d.credited_g for d in reductions.dimensions if d.dimension == "travel"),
        redemptions=sum(kinds.values()),
        donations=kinds.get("donation", 0),
        active_months=sum(1 for month in reductions.months if month.credited_g > 0),
        percentile=summary.rank.percentile,
    )
    return achievements(facts)


def home(session: Session, resident_id: int, *, rule: ExpiryRule, now: datetime | None = None) -> Home:
    summary = carbon_views.summary(session, resident_id, rule=rule, now=now)
    counts = benefits.history(session, resident_id, limit=1).counts
    return Home(summary, counts.get("issued", 0), achievements_of(session, resident_id, summary))


# -- the benefits mall -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MallItem:
    benefit: benefits.BenefitView
    used: int
    remaining: int  # what the resident may still redeem in the period
    affordable: bool
    blocked: str | None  # why it cannot be redeemed now: out_of_stock, limit, budget, points


@dataclass(frozen=True)
class Mall:
    available_points: int
    debt: int
    items: list[MallItem]


def mall(session: Session, resident_id: int, *, rule: ExpiryRule, now: datetime | None = None) -> Mall:
    moment = now or utcnow()
    ref = carbon_views.account_ref(session, resident_id)
    position = carbon_views.points_position(session, ref, rule=rule, now=moment)
    offered = benefits.list_benefits(session, active_only=True, now=moment)
    used = benefits.allowance_used(session, resident_id, offered, now=moment)
    items = []
    for benefit in offered:
        remaining = max(0, benefit.per_resident_limit - used[benefit.code])
        affordable = position.available >= benefit.price_points
        blocked = None
        if not benefit.in_stock:
            blocked = "out_of_stock"
        elif remaining == 0:
            blocked = "limit"
        elif not benefit.budget_allows:
            blocked = "budget"
        elif not affordable:
            blocked = "points"
        items.append(MallItem(benefit, used[benefit.code], remaining, affordable, blocked))
    return Mall(position.available, position.debt, items)


def mall_item(
    session: Session, resident_id: int, code: str, *, rule: ExpiryRule, now: datetime | None = None
) -> MallItem:
    benefit = benefits.get_benefit(session, code, now=now)
    for item in mall(session, resident_id, rule=rule, now=now).items:
        if item.benefit.code == code:
            return item
    return MallItem(benefit, 0, 0, False, "unavailable")


# -- authorisations ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Authorisation:
    partner_code: str
    partner_name: str
    kind: str
    active: bool
    granted_at: datetime | None
    revoked_at: datetime | None
    behaviours: list[tuple[str, str, str]]  # (code, name_zh, name_en) the partner may report


def authorisations(session: Session, resident_id: int, *, now: datetime | None = None) -> list[Authorisation]:
    """Every partner, with the resident's current authorisation of it (授权管理)."""
    consents = carbon_views.consents_of(session, resident_id)
    catalogue = carbon.catalogue_in_force(session, now)
    out = []
    for partner in carbon.list_partners(session):
        mine = [c for c in consents if c.partner_code == partner.code]
        current = next((c for c in mine if c.revoked_at is None), None)
        shown = current or (mine[0] if mine else None)
        out.append(
            Authorisation(
                partner_code=partner.code,
                partner_name=partner.name,
                kind=partner.kind,
                active=current is not None,
                granted_at=shown.granted_at if shown else None,
                revoked_at=shown.revoked_at if shown and current is None else None,
                behaviours=[
                    (b.code, b.name_zh, b.name_en)
                    for b in catalogue.behaviours
                    if partner.kind in b.partner_kinds
                ],
            )
        )
    return sorted(out, key=lambda a: (not a.active, a.partner_code))


def set_authorisation(
    session: Session,
    resident_id: int,
    partner_code: str,
    *,
    granted: bool,
    actor: Actor,
    now: datetime | None = None,
) -> list[Authorisation]:
    """Grant or revoke one partner's authorisation from now on; events before a revocation stay."""
    ref = carbon_views.account_ref(session, resident_id)
    carbon.get_partner(session, partner_code)
    if granted:
        carbon.grant_consent(session, ref, partner_code, actor=actor, now=now)
    else:
        carbon.revoke_consent(session, ref, partner_code, actor=actor, now=now)
    return authorisations(session, resident_id, now=now)


def local_time(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
