"""Vouchers (兑换券): providers check and confirm them; unused ones expire, refunded or not.

A provider finds a voucher only by its code and only among its own benefits: a code of another
provider's benefit is "not found", so nobody learns about codes that are not theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import SYSTEM, Actor
from seagreen.benefits import repository
from seagreen.benefits.domain import RedemptionStatus, normalise_voucher_code, voucher_lookup_hash
from seagreen.benefits.errors import (
    VoucherAlreadyUsed,
    VoucherExpired,
    VoucherInvalid,
    VoucherNotFound,
    VoucherNotUsable,
)
from seagreen.benefits.models import RedemptionRow
from seagreen.benefits.service.catalogue import get_benefit, list_benefits
from seagreen.benefits.service.redemption import RedemptionView, provider_account, redemption_view
from seagreen.carbon_account.service import lifecycle as carbon_lifecycle
from seagreen.carbon_account.service import views as carbon_views
from seagreen.carbon_account.service.points import resident_account
from seagreen.identity import service as identity
from seagreen.kit.clock import from_micros, to_micros, utcnow
from seagreen.ledger import service as ledger
from seagreen.ledger.domain import TransferRequest


@dataclass(frozen=True)
class VoucherCheck:
    """What a provider's cashier sees for a code: never who the resident is."""

    code: str
    benefit_code: str
    benefit_name_zh: str
    benefit_name_en: str
    status: RedemptionStatus
    valid_until: datetime | None
    used_at: datetime | None


def _find(session: Session, raw_code: str, provider_code: str, *, lock: bool) -> tuple[str, RedemptionRow]:
    code = normalise_voucher_code(raw_code)
    if code is None:
        raise VoucherInvalid("not a voucher code: check the 13 characters (the last one is a check)")
    row = repository.redemption_by_voucher(session, voucher_lookup_hash(code), lock=lock)
    if row is None:
        raise VoucherNotFound("no such voucher")
    benefit = repository.benefit_by_id(session, int(row.benefit_id))
    provider = identity.get_org(session, provider_code)
    if benefit is None or int(benefit.provider_org_id) != provider.id:
        raise VoucherNotFound("no such voucher")
    return code, row


def _check(session: Session, code: str, row: RedemptionRow) -> VoucherCheck:
    benefit = repository.benefit_by_id(session, int(row.benefit_id))
    assert benefit is not None
    used_at = (
        from_micros(row.resolved_at_us)
        if row.status == RedemptionStatus.USED and row.resolved_at_us
        else None
    )
    return VoucherCheck(
        code=code,
        benefit_code=benefit.code,
        benefit_name_zh=benefit.name_zh,
        benefit_name_en=benefit.name_en,
        status=RedemptionStatus(row.status),
        valid_until=None if row.valid_until_us is None else from_micros(row.valid_until_us),
        used_at=used_at,
    )


def check_voucher(session: Session, raw_code: str, *, provider_code: str) -> VoucherCheck:
    code, row = _find(session, raw_code, provider_code, lock=False)
    return _check(session, code, row)


def confirm_use(
    session: Session, raw_code: str, *, provider_code: str, actor: Actor, now: datetime | None = None
) -> VoucherCheck:
    """The provider confirms the voucher was used (核销). Once only, and only while valid."""
    moment = now or utcnow()
    code, row = _find(session, raw_code, provider_code, lock=True)
    status = RedemptionStatus(row.status)
    if status is RedemptionStatus.USED:
        used = from_micros(row.resolved_at_us or 0)
        raise VoucherAlreadyUsed(
            f"this voucher was already used at {used.isoformat()}", used_at=used.isoformat()
        )
    if status is RedemptionStatus.EXPIRED or (
        status is RedemptionStatus.ISSUED
        and row.valid_until_us is not None
        and row.valid_until_us <= to_micros(moment)
    ):
        raise VoucherExpired("this voucher has expired")
    if status is not RedemptionStatus.ISSUED:
        raise VoucherNotUsable(f"this voucher is {status.value}")
    provider = identity.get_org(session, provider_code)
    repository.set_redemption(
        session,
        int(row.id),
        status=RedemptionStatus.USED.value,
        resolved_at_us=to_micros(moment),
        used_by_org_id=provider.id,
    )
    repository.add_to_month(session, int(row.benefit_id), int(row.month), used=1)
    audit.record(
        session, actor, "benefits.voucher.use", "redemption", int(row.id), details={"provider": provider_code}
    )
    fresh = repository.redemption(session, int(row.id))
    assert fresh is not None
    return _check(session, code, fresh)


@dataclass
class VoucherExpiry:
    expired: int = 0
    refunded: int = 0
    points_refunded: int = 0


def expire_vouchers(session: Session, *, now: datetime | None = None, limit: int = 5_000) -> VoucherExpiry:
    """Vouchers past their validity become ``expired``; the benefit's rule says whether the points
    come back (a refund posted from the provider's account to the resident's)."""
    moment = now or utcnow()
    now_us = to_micros(moment)
    report = VoucherExpiry()
    for redemption_id in repository.vouchers_past_validity(session, now_us, limit):
        row = repository.redemption(session, redemption_id, lock=True)
        if row is None or row.status != RedemptionStatus.ISSUED:
            continue
        benefit = repository.benefit_by_id(session, int(row.benefit_id))
        assert benefit is not None
        refund = int(row.points) if benefit.refund_on_expiry else 0
        if refund:
            ref = carbon_views.account_ref(session, int(row.resident_id))
            provider = get_benefit(session, benefit.code).provider_code
            ledger.open_accounts(session, [carbon_lifecycle.resident_account_spec(ref)])
            ledger.post_or_raise(
                session,
                [
                    TransferRequest(
                        f"benefits:refund:{row.id}",
                        provider_account(provider),
                        resident_account(ref),
                        refund,
                        "refund",
                        memo={
                            "redemption": int(row.id),
                            "rule": "unused voucher expired; the benefit refunds",
                        },
                    )
                ],
                now_us=now_us,
            )
            report.refunded += 1
            report.points_refunded += refund
        repository.set_redemption(
            session,
            int(row.id),
            status=RedemptionStatus.EXPIRED.value,
            resolved_at_us=now_us,
            refunded_points=refund,
        )
        repository.add_to_month(
            session, int(row.benefit_id), int(row.month), expired=1, refunded_points=refund
        )
        report.expired += 1
    if report.expired:
        audit.record(
            session,
            SYSTEM,
            "benefits.voucher.expire",
            "vouchers",
            moment.date().isoformat(),
            details={
                "expired": report.expired,
                "refunded": report.refunded,
                "points": report.points_refunded,
            },
        )
    return report


# -- a resident's history -----------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    redemptions: list[RedemptionView]
    next_before: int | None
    counts: dict[str, int]


def history(session: Session, resident_id: int, *, limit: int = 30, before_id: int | None = None) -> History:
    """The resident's redemptions, newest first (no codes: open one to see its code)."""
    rows = repository.redemptions_of(session, resident_id, limit=limit + 1, before_id=before_id)
    benefits = {benefit.id: benefit for benefit in list_benefits(session, active_only=False)}
    views = [redemption_view(row, benefits[int(row.benefit_id)]) for row in rows[:limit]]
    next_before = int(rows[limit - 1].id) if len(rows) > limit else None
    return History(views, next_before, repository.status_counts_of(session, resident_id))


def kinds_redeemed(session: Session, resident_id: int) -> dict[str, int]:
    return repository.kinds_redeemed_by(session, resident_id)
