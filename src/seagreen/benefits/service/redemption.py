"""Redemption (兑换): reserve the points, issue a voucher, post; any failure releases everything.

Three short transactions, so that no lock is held while a voucher is being issued (which may
mean calling the provider's system):

1. **reserve** — stock, the resident's allowance for the period and (for subsidised benefits) the
   month's budget are taken by conditional updates; the points are held by a *pending* ledger
   transfer (resident → provider) that expires on its own after ``HOLD_SECONDS``. Not enough
   points, stock, allowance or budget: nothing is written and the resident is told why.
2. **issue** — the voucher gets its unique code (derived with the platform's key), the provider
   hook is called, and the hold is *posted*.
3. on any failure in 2, **release** — the hold is voided and stock, allowance and budget are given
   back; the redemption is kept as ``failed`` with the reason.

The entrypoint passes a transaction factory (like the bulk ingest), since the use case commits
between the steps. A client retrying with the same idempotency key gets the first result.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import SYSTEM, Actor
from seagreen.benefits import repository
from seagreen.benefits.domain import (
    HOLD_SECONDS,
    LimitPeriod,
    RedemptionStatus,
    local_day,
    month_number,
    period_key,
    valid_until,
    voucher_code,
    voucher_hint,
    voucher_lookup_hash,
)
from seagreen.benefits.errors import (
    BenefitNotFound,
    BenefitUnavailable,
    BudgetExhausted,
    InsufficientPoints,
    LimitReached,
    OutOfStock,
    RedemptionConflict,
    RedemptionFailed,
    RedemptionNotFound,
)
from seagreen.benefits.models import BenefitRow, RedemptionRow
from seagreen.benefits.service.catalogue import BenefitView, get_benefit
from seagreen.carbon_account.service import lifecycle as carbon_lifecycle
from seagreen.carbon_account.service import views as carbon_views
from seagreen.carbon_account.service.points import resident_account
from seagreen.kit.clock import from_micros, to_micros, utcnow
from seagreen.kit.keys import Keys
from seagreen.ledger import service as ledger
from seagreen.ledger.domain import Outcome, TransferFlags, TransferRequest, Unit

Transactions = Callable[[], AbstractContextManager[Session]]
VOUCHER_KEY_LABEL = b"seagreen:benefits:voucher:v1"


def voucher_key(keys: Keys) -> bytes:
    """The key voucher codes are derived with (from the platform's PII hash key)."""
    return hmac.new(keys.pii_hash_key, VOUCHER_KEY_LABEL, hashlib.sha256).digest()


def provider_account(org_code: str) -> str:
    return f"benefits:provider:{org_code}"


class VoucherHook(Protocol):
    """Called when a voucher is issued, before the points are taken: a provider integration
    registers the code with the provider's system here. Raising makes the redemption fail
    (and releases the points)."""

    def __call__(self, benefit: BenefitView, redemption_id: int, code: str) -> None: ...


def no_hook(benefit: BenefitView, redemption_id: int, code: str) -> None:
    """The default: the provider checks codes through the platform's API."""


@dataclass(frozen=True)
class RedemptionView:
    id: int
    benefit_code: str
    benefit_name_zh: str
    benefit_name_en: str
    benefit_kind: str
    provider_name_zh: str
    points: int
    status: RedemptionStatus
    created_at: datetime
    issued_at: datetime | None
    valid_until: datetime | None
    resolved_at: datetime | None
    voucher_hint: str | None
    refunded_points: int
    failure: str
    code: str | None = None  # the voucher code, only for its owner


def redemption_view(
    row: RedemptionRow, benefit: BenefitRow | BenefitView, provider_name_zh: str = "", code: str | None = None
) -> RedemptionView:
    return RedemptionView(
        id=int(row.id),
        benefit_code=benefit.code,
        benefit_name_zh=benefit.name_zh,
        benefit_name_en=benefit.name_en,
        benefit_kind=benefit.kind,
        provider_name_zh=provider_name_zh or getattr(benefit, "provider_name_zh", ""),
        points=int(row.points),
        status=RedemptionStatus(row.status),
        created_at=from_micros(row.created_at_us),
        issued_at=None if row.issued_at_us is None else from_micros(row.issued_at_us),
        valid_until=None if row.valid_until_us is None else from_micros(row.valid_until_us),
        resolved_at=None if row.resolved_at_us is None else from_micros(row.resolved_at_us),
        voucher_hint=row.voucher_hint,
        refunded_points=int(row.refunded_points),
        failure=row.failure,
        code=code,
    )


def _request_hash(resident_id: int, benefit_code: str) -> str:
    return hashlib.sha256(f"{resident_id}\x1f{benefit_code}".encode()).hexdigest()


# -- step 1: reserve ----------------------------------------------------------------------------


def reserve(
    session: Session,
    *,
    resident_id: int,
    benefit_code: str,
    request_key: str,
    actor: Actor,
    now: datetime | None = None,
) -> tuple[RedemptionRow, bool]:
    """Hold the points and take stock, allowance and budget; ``(redemption, True)`` when new,
    ``(the earlier redemption, False)`` when this key was used before for the same benefit."""
    moment = now or utcnow()
    now_us = to_micros(moment)
    full_key = f"{resident_id}:{request_key}"[:120]
    digest = _request_hash(resident_id, benefit_code)
    earlier = repository.redemption_by_key(session, full_key)
    if earlier is not None:
        if earlier.request_hash != digest:
            raise RedemptionConflict("this request key was used for another redemption", key=request_key)
        return earlier, False
    benefit = repository.benefit_by_code(session, benefit_code)
    if benefit is None:
        raise BenefitNotFound(f"no benefit {benefit_code!r}", code=benefit_code)
    if not benefit.active:
        raise BenefitUnavailable(f"benefit {benefit_code!r} is not offered now", code=benefit_code)
    day = local_day(moment)
    period = period_key(LimitPeriod(benefit.limit_period), day)
    month = month_number(day)
    price, cost = int(benefit.price_points), int(benefit.unit_cost_fen)
    if not repository.take_stock(session, int(benefit.id)):
        raise OutOfStock(f"{benefit.name_zh} 已兑完 (out of stock)", code=benefit_code)
    if not repository.take_limit(
        session, resident_id, int(benefit.id), period, int(benefit.per_resident_limit)
    ):
        raise LimitReached(
            f"{benefit.name_zh}: at most {benefit.per_resident_limit} per {benefit.limit_period}",
            code=benefit_code,
            limit=int(benefit.per_resident_limit),
            period=benefit.limit_period,
        )
    budget = (
        int(benefit.monthly_budget_fen)
        if benefit.subsidised and benefit.monthly_budget_fen is not None
        else None
    )
    if not repository.take_month(
        session, int(benefit.id), month, price, cost if benefit.subsidised else 0, budget
    ):
        raise BudgetExhausted(f"{benefit.name_zh}: this month's budget is used up", code=benefit_code)
    # owed points are posted and debts repaid before spending
    carbon_lifecycle.adjust_resident(session, resident_id, now=moment)
    ref = carbon_views.account_ref(session, resident_id)
    provider_code = get_benefit(session, benefit_code, now=moment).provider_code
    hold_key = f"benefits:hold:{full_key}"
    row = repository.insert_redemption(
        session,
        request_key=full_key,
        request_hash=digest,
        resident_id=resident_id,
        benefit_id=int(benefit.id),
        points=price,
        cost_fen=cost if benefit.subsidised else 0,
        period=period,
        month=month,
        status=RedemptionStatus.RESERVED.value,
        hold_key=hold_key,
        voucher_nonce=None,
        voucher_hash=None,
        voucher_hint=None,
        valid_until_us=None,
        created_at_us=now_us,
        issued_at_us=None,
        resolved_at_us=None,
        used_by_org_id=None,
        refunded_points=0,
        failure="",
    )
    ledger.open_accounts(
        session,
        [
            carbon_lifecycle.resident_account_spec(ref),
            ledger.AccountSpec(
                provider_account(provider_code), Unit.POINTS, description="points redeemed at a provider"
            ),
        ],
    )
    result = ledger.post_transfers(
        session,
        [
            TransferRequest(
                key=hold_key,
                debit_account=resident_account(ref),
                credit_account=provider_account(provider_code),
                amount=price,
                code="reserve",
                flags=TransferFlags.PENDING,
                timeout_s=HOLD_SECONDS,
                memo={"redemption": int(row.id), "benefit": benefit_code, "price_points": price},
            )
        ],
        now_us=now_us,
    )[0]
    if result.outcome is Outcome.EXCEEDS_CREDITS:
        raise InsufficientPoints(f"not enough points for {benefit.name_zh} ({price} needed)", needed=price)
    if not result.outcome.ok:
        raise RedemptionFailed(f"the points could not be reserved: {result.outcome.value}")
    audit.record(
        session,
        actor,
        "benefits.redemption.reserve",
        "redemption",
        int(row.id),
        details={"benefit": benefit_code, "points": price},
    )
    return row, True


# -- step 2: issue ------------------------------------------------------------------------------


def issue(
    session: Session,
    redemption_id: int,
    *,
    key: bytes,
    hook: VoucherHook = no_hook,
    actor: Actor = SYSTEM,
    now: datetime | None = None,
) -> RedemptionView:
    """Give the reserved redemption its voucher and post the held points."""
    moment = now or utcnow()
    row = repository.redemption(session, redemption_id, lock=True)
    if row is None:
        raise RedemptionNotFound(f"no redemption {redemption_id}", id=redemption_id)
    if row.status != RedemptionStatus.RESERVED:
        raise RedemptionFailed(f"redemption {redemption_id} is {row.status}, not reserved")
    benefit_row = repository.benefit_by_id(session, int(row.benefit_id))
    assert benefit_row is not None
    benefit = get_benefit(session, benefit_row.code, now=moment)
    nonce = secrets.token_hex(8)
    code = voucher_code(key, int(row.id), nonce)
    hook(benefit, int(row.id), code)
    result = ledger.post_transfers(
        session,
        [
            TransferRequest(
                key=f"benefits:redeem:{row.id}",
                pending_key=row.hold_key,
                code="redeem",
                flags=TransferFlags.POST_PENDING,
                memo={"redemption": int(row.id), "benefit": benefit.code, "voucher": voucher_hint(code)},
            )
        ],
        now_us=to_micros(moment),
    )[0]
    if not result.outcome.ok:
        raise RedemptionFailed(f"the reserved points could not be taken: {result.outcome.value}")
    until = valid_until(moment, benefit.validity_days)
    repository.set_redemption(
        session,
        int(row.id),
        status=RedemptionStatus.ISSUED.value,
        voucher_nonce=nonce,
        voucher_hash=voucher_lookup_hash(code),
        voucher_hint=voucher_hint(code),
        valid_until_us=to_micros(until),
        issued_at_us=to_micros(moment),
    )
    audit.record(
        session,
        actor,
        "benefits.redemption.issue",
        "redemption",
        int(row.id),
        details={"benefit": benefit.code},
    )
    fresh = repository.redemption(session, int(row.id))
    assert fresh is not None
    return redemption_view(fresh, benefit, code=code)


# -- step 3 (on failure): release -------------------------------------------------------------------


def release(session: Session, redemption_id: int, *, reason: str, now: datetime | None = None) -> bool:
    """Void the hold and give back stock, allowance and budget; ``False`` if the redemption was
    not (or no longer) reserved."""
    moment = now or utcnow()
    row = repository.redemption(session, redemption_id, lock=True)
    if row is None or row.status != RedemptionStatus.RESERVED:
        return False
    result = ledger.post_transfers(
        session,
        [
            TransferRequest(
                key=f"benefits:release:{row.id}",
                pending_key=row.hold_key,
                code="release",
                flags=TransferFlags.VOID_PENDING,
                memo={"redemption": int(row.id), "reason": reason[:200]},
            )
        ],
        now_us=to_micros(moment),
    )[0]
    if result.outcome is Outcome.PENDING_TRANSFER_EXPIRED:
        ledger.expire_pending(session, now_us=to_micros(moment))
    repository.give_back_stock(session, int(row.benefit_id))
    repository.give_back_limit(session, int(row.resident_id), int(row.benefit_id), row.period)
    repository.add_to_month(
        session,
        int(row.benefit_id),
        int(row.month),
        redemptions=-1,
        points=-int(row.points),
        spent_fen=-int(row.cost_fen),
    )
    repository.set_redemption(
        session,
        int(row.id),
        status=RedemptionStatus.FAILED.value,
        resolved_at_us=to_micros(moment),
        failure=reason[:200],
    )
    audit.record(
        session, SYSTEM, "benefits.redemption.release", "redemption", int(row.id), reason=reason[:200]
    )
    return True


def sweep_reservations(session: Session, *, now: datetime | None = None, limit: int = 1_000) -> int:
    """Release reservations that were never issued (the process died between the steps)."""
    moment = now or utcnow()
    stale = repository.stale_reservations(session, to_micros(moment) - HOLD_SECONDS * 1_000_000, limit)
    return sum(
        release(session, redemption_id, reason="not issued in time", now=moment) for redemption_id in stale
    )


# -- the whole use case -------------------------------------------------------------------------


def redeem(
    transactions: Transactions,
    *,
    resident_id: int,
    benefit_code: str,
    request_key: str,
    key: bytes,
    actor: Actor,
    hook: VoucherHook = no_hook,
    now: datetime | None = None,
) -> RedemptionView:
    """Redeem a benefit for a resident: reserve, issue, post (each step its own transaction).

    Raises ``InsufficientPoints``, ``OutOfStock``, ``LimitReached``, ``BudgetExhausted`` (nothing
    written) or ``RedemptionFailed`` (the points and counters were released)."""
    with transactions() as session:
        row, new = reserve(
            session,
            resident_id=resident_id,
            benefit_code=benefit_code,
            request_key=request_key,
            actor=actor,
            now=now,
        )
        redemption_id, status = int(row.id), RedemptionStatus(row.status)
    if not new and status is not RedemptionStatus.RESERVED:
        with transactions() as session:
            return redemption_of(session, resident_id, redemption_id, key=key)
    try:
        with transactions() as session:
            view = issue(session, redemption_id, key=key, hook=hook, actor=actor, now=now)
    except Exception as exc:  # any failure: the points and counters go back
        reason = exc.message if isinstance(exc, RedemptionFailed) else f"{type(exc).__name__}: {exc}"
        with transactions() as session:
            release(session, redemption_id, reason=reason, now=now)
        raise RedemptionFailed(
            "the voucher could not be issued; your points were not taken",
            redemption=redemption_id,
            reason=reason[:200],
        ) from exc
    return view


def redemption_of(session: Session, resident_id: int, redemption_id: int, *, key: bytes) -> RedemptionView:
    """One of the resident's redemptions, with the voucher code (only its owner sees it)."""
    row = repository.redemption(session, redemption_id)
    if row is None or int(row.resident_id) != resident_id:
        raise RedemptionNotFound(f"no redemption {redemption_id}", id=redemption_id)
    benefit = repository.benefit_by_id(session, int(row.benefit_id))
    assert benefit is not None
    view = get_benefit(session, benefit.code)
    code = voucher_code(key, int(row.id), row.voucher_nonce) if row.voucher_nonce else None
    return redemption_view(row, view, code=code)
