"""Pure rules of benefits (权益) and their redemption (兑换): the catalogue's constraints, the
per-resident limit periods, the voucher code and the redemption state machine.

A redemption goes ``reserved`` (points held by a pending ledger transfer, stock, limit and budget
taken) → ``issued`` (a voucher with a unique code; the hold is posted) or ``failed`` (the hold
voided, stock, limit and budget given back). An issued voucher becomes ``used`` when its provider
confirms it, or ``expired`` at the end of its validity, refunded or not by the benefit's rule.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{1,39}\Z")
MAX_PRICE_POINTS = 1_000_000
MAX_VALIDITY_DAYS = 3_650
HOLD_SECONDS = 600  # a reservation not issued within this time is released by the ledger


class BenefitKind(StrEnum):
    TRANSIT = "transit"  # 公交、地铁
    EBOOK = "ebook"  # 电子书、阅读会员
    UTILITY = "utility"  # 水电燃气费抵扣
    MERCHANT = "merchant"  # 绿色商户优惠券
    DONATION = "donation"  # 公益捐赠（植树、护海）
    CULTURE = "culture"  # 文旅、场馆
    FINANCE = "finance"  # 金融权益
    OTHER = "other"


class LimitPeriod(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    EVER = "ever"


def period_key(period: LimitPeriod, day: date) -> str:
    """The per-resident limit's counting period that contains a local day."""
    if period is LimitPeriod.DAY:
        return day.isoformat()
    if period is LimitPeriod.WEEK:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if period is LimitPeriod.MONTH:
        return f"{day.year}-{day.month:02d}"
    if period is LimitPeriod.QUARTER:
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if period is LimitPeriod.YEAR:
        return str(day.year)
    return "ever"


def month_number(day: date) -> int:
    return day.year * 12 + day.month - 1


def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def valid_until(issued_at: datetime, validity_days: int) -> datetime:
    """A voucher is valid through the end of the local day ``validity_days - 1`` days after the
    day it was issued (1 = only that day)."""
    last = local_day(issued_at) + timedelta(days=validity_days - 1)
    return datetime.combine(last + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)


@dataclass(frozen=True)
class BenefitTerms:
    """What a benefit costs and how it may be redeemed (checked by :func:`check_terms`)."""

    code: str
    kind: str
    name_zh: str
    name_en: str
    price_points: int
    stock: int | None  # None: unlimited
    per_resident_limit: int
    limit_period: str
    validity_days: int
    refund_on_expiry: bool
    subsidised: bool = False
    unit_cost_fen: int = 0
    monthly_budget_fen: int | None = None


def check_terms(terms: BenefitTerms) -> list[tuple[str, str]]:
    """Every problem as ``(field, reason)``; empty when the terms are acceptable."""
    problems: list[tuple[str, str]] = []
    if not CODE_PATTERN.match(terms.code):
        problems.append(("code", "2-40 lower-case letters, digits, _ or -, starting with a letter"))
    if terms.kind not in {kind.value for kind in BenefitKind}:
        problems.append(("kind", f"one of {', '.join(BenefitKind)}"))
    if not terms.name_zh.strip():
        problems.append(("name_zh", "missing"))
    if not terms.name_en.strip():
        problems.append(("name_en", "missing"))
    if not 0 < terms.price_points <= MAX_PRICE_POINTS:
        problems.append(("price_points", f"a whole number from 1 to {MAX_PRICE_POINTS}"))
    if terms.stock is not None and terms.stock < 0:
        problems.append(("stock", "not negative (leave empty for unlimited)"))
    if terms.per_resident_limit <= 0:
        problems.append(("per_resident_limit", "at least 1"))
    if terms.limit_period not in {period.value for period in LimitPeriod}:
        problems.append(("limit_period", f"one of {', '.join(LimitPeriod)}"))
    if not 0 < terms.validity_days <= MAX_VALIDITY_DAYS:
        problems.append(("validity_days", f"1 to {MAX_VALIDITY_DAYS} days"))
    if terms.unit_cost_fen < 0:
        problems.append(("unit_cost_fen", "not negative"))
    if terms.subsidised:
        if terms.unit_cost_fen <= 0:
            problems.append(("unit_cost_fen", "a subsidised benefit costs the budget something per voucher"))
        if terms.monthly_budget_fen is None or terms.monthly_budget_fen < terms.unit_cost_fen:
            problems.append(
                ("monthly_budget_fen", "a subsidised benefit needs a monthly budget of at least one voucher")
            )
    elif terms.monthly_budget_fen is not None:
        problems.append(("monthly_budget_fen", "only subsidised benefits have a monthly budget"))
    return problems


class RedemptionStatus(StrEnum):
    RESERVED = "reserved"
    ISSUED = "issued"
    FAILED = "failed"
    USED = "used"
    EXPIRED = "expired"


TRANSITIONS: dict[RedemptionStatus, frozenset[RedemptionStatus]] = {
    RedemptionStatus.RESERVED: frozenset({RedemptionStatus.ISSUED, RedemptionStatus.FAILED}),
    RedemptionStatus.ISSUED: frozenset({RedemptionStatus.USED, RedemptionStatus.EXPIRED}),
    RedemptionStatus.FAILED: frozenset(),
    RedemptionStatus.USED: frozenset(),
    RedemptionStatus.EXPIRED: frozenset(),
}


def can_move(current: RedemptionStatus, to: RedemptionStatus) -> bool:
    return to in TRANSITIONS[current]


# ---------------------------------------------------------------------------------------------
# Voucher codes
# ---------------------------------------------------------------------------------------------

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U: nothing to misread
CHECK_SYMBOLS = CROCKFORD + "*~$=U"  # Crockford's mod-37 check symbols
CODE_CHARS = 12
_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0"})


def _check_symbol(body: str) -> str:
    value = 0
    for char in body:
        value = value * 32 + CROCKFORD.index(char)
    return CHECK_SYMBOLS[value % 37]


def voucher_code(key: bytes, redemption_id: int, nonce: str) -> str:
    """The voucher code of a redemption: 12 Crockford base-32 characters derived with the
    platform's key (so the database alone cannot produce codes) and a check symbol, shown in
    groups of four: ``7K3M-Q9TX-2HBD-R``."""
    digest = hmac.new(key, f"voucher:{redemption_id}:{nonce}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big") >> (64 - 5 * CODE_CHARS)
    body = "".join(CROCKFORD[(number >> (5 * i)) & 31] for i in reversed(range(CODE_CHARS)))
    return f"{body[0:4]}-{body[4:8]}-{body[8:12]}-{_check_symbol(body)}"


def normalise_voucher_code(raw: str) -> str | None:
    """A code as typed by a cashier (any case, spaces or dashes, O for 0, I or L for 1) in its
    canonical form, or ``None`` when it cannot be a voucher code (wrong length or check symbol)."""
    text = re.sub(r"[\s-]", "", raw.upper()).translate(_CONFUSABLE)
    if len(text) != CODE_CHARS + 1:
        return None
    body, check = text[:CODE_CHARS], text[CODE_CHARS]
    if any(char not in CROCKFORD for char in body) or _check_symbol(body) != check:
        return None
    return f"{body[0:4]}-{body[4:8]}-{body[8:12]}-{check}"


def voucher_lookup_hash(code: str) -> str:
    """What the database keeps to find a voucher by its code (never the code itself)."""
    return hashlib.sha256(f"seagreen:voucher:{code}".encode()).hexdigest()


def voucher_hint(code: str) -> str:
    """The last group, to tell vouchers apart in lists without showing the code."""
    return code[-6:]
