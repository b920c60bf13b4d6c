"""``seagreen demo``, personal carbon account II: benefit providers and a catalogue of twelve
benefits, a demo resident who signs in by phone, their history, and redemptions by other demo
residents, so that every resident view and operator page has something real to show.

The demo resident (演示居民) signs in with phone ``DEMO_PHONE``; the development code sender
writes the one-time code to the terminal running ``seagreen serve``. Their history is made with
the real use cases, some of them run "as of" a past moment (the services take ``now``):

* 14 to 12 months ago they earned points in the Weihai pilot (posted with those months' dates)
  and redeemed a 1-cent bus ride; the expiry job then expires, first in first out, what was left
  of the points earned more than 12 months before the current month;
* in the last weeks: a metro ticket (its voucher expired unused and was refunded), an e-book,
  two bus rides (one used), a seagrass-bed donation; the bus company voided one refunded trip.

Idempotent: the history is made only when the demo resident is first registered; events,
redemptions and voids carry fixed keys, so a second run adds nothing.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from seagreen.audit.domain import Actor
from seagreen.benefits import service as benefits
from seagreen.benefits.domain import BenefitTerms
from seagreen.benefits.errors import (
    BudgetExhausted,
    InsufficientPoints,
    LimitReached,
    OutOfStock,
    VoucherAlreadyUsed,
)
from seagreen.carbon_account import service as carbon
from seagreen.carbon_account.lifecycle import ExpiryRule
from seagreen.carbon_account.service import lifecycle
from seagreen.carbon_account.service.lifecycle import VoidItem
from seagreen.carbon_account.service.points import ISSUING_ACCOUNT, resident_account
from seagreen.identity import service as identity
from seagreen.identity.domain import OrgKind, ResidentContact
from seagreen.identity.pii import PiiProtector
from seagreen.kit.clock import LOCAL_TZ, to_micros, utcnow
from seagreen.kit.keys import Keys
from seagreen.ledger import service as ledger
from seagreen.ledger.domain import TransferRequest
from seagreen.statistics import service as statistics

DEMO_ACTOR = Actor.system("demo")
DEMO_PHONE = "13800138000"
DEMO_NAME = "王海（演示居民）"
DEMO_PARTNERS = ("wh-bus", "wh-water", "wh-power", "unionpay-wh", "wh-gov", "wh-recycling")
EXPIRY = ExpiryRule(12)


@dataclass(frozen=True)
class Provider:
    code: str
    name_zh: str
    name_en: str


PROVIDERS: tuple[Provider, ...] = (
    Provider("wh-transit-card", "威海公交一卡通服务中心", "Weihai transit card service centre"),
    Provider("qd-metro", "青岛地铁集团", "Qingdao Metro Group"),
    Provider("wh-culture", "威海市图书馆", "Weihai Library"),
    Provider("wh-life-pay", "威海生活缴费服务平台", "Weihai utility payment service"),
    Provider("wh-green-merchants", "威海绿色商户联盟", "Weihai green merchants alliance"),
    Provider("wh-greening", "威海市绿化公益基金会", "Weihai greening charity fund"),
    Provider("seagrass-fund", "荣成海草床保护公益基金", "Rongcheng seagrass conservation fund"),
    Provider("wh-liugong-island", "刘公岛景区", "Liugong Island scenic area"),
)


@dataclass(frozen=True)
class DemoBenefit:
    terms: BenefitTerms
    provider: str
    description_zh: str
    description_en: str


def _terms(code: str, kind: str, zh: str, en: str, price: int, **rules: object) -> BenefitTerms:
    values: dict[str, object] = {
        "stock": None,
        "per_resident_limit": 1,
        "limit_period": "month",
        "validity_days": 30,
        "refund_on_expiry": False,
        "subsidised": False,
        "unit_cost_fen": 0,
        "monthly_budget_fen": None,
    }
    values.update(rules)
    return BenefitTerms(code=code, kind=kind, name_zh=zh, name_en=en, price_points=price, **values)  # type: ignore[arg-type]


# Prices follow the research (docs/resident/benefits.md): a commuter earns about 44 points a month;
# Dazhou's bus scheme gives a free ride for 20 points and caps its free tickets by a monthly budget.
BENEFITS: tuple[DemoBenefit, ...] = (
    DemoBenefit(
        _terms(
            "bus-1-cent",
            "transit",
            "1分钱乘公交",
            "1-cent bus ride",
            20,
            per_resident_limit=20,
            validity_days=7,
            refund_on_expiry=True,
            subsidised=True,
            unit_cost_fen=199,
            monthly_budget_fen=1_990_000,
        ),
        "wh-transit-card",
        "凭券在威海市区任一公交线路刷码乘车一次只需 1 分钱，差额由市财政补贴；每月补贴名额有限，兑完即止。",
        "One ride on any Weihai city bus for 1 fen; the city pays the rest within a monthly budget.",
    ),
    DemoBenefit(
        _terms(
            "bike-free-ride",
            "transit",
            "公共自行车免费骑行券",
            "Free public-bike ride",
            15,
            stock=5000,
            per_resident_limit=10,
            validity_days=7,
            refund_on_expiry=True,
        ),
        "wh-transit-card",
        "一次 2 小时内的公共自行车免费骑行。",
        "A free public-bike ride of up to 2 hours.",
    ),
    DemoBenefit(
        _terms(
            "metro-ticket",
            "transit",
            "青岛地铁单程票",
            "Qingdao metro single ticket",
            60,
            stock=2000,
            per_resident_limit=4,
            validity_days=30,
            refund_on_expiry=True,
        ),
        "qd-metro",
        "威海尚无地铁；去青岛出差、探亲时可用，任意两站间单程一次。（演示数据）",
        "Weihai has no metro: for trips to Qingdao, one ride between any two stations. (demo data)",
    ),
    DemoBenefit(
        _terms(
            "ebook-month",
            "ebook",
            "电子书借阅月卡",
            "E-book library month pass",
            100,
            stock=1000,
            validity_days=30,
        ),
        "wh-culture",
        "威海市图书馆数字阅读平台 30 天会员，畅读电子书和有声书。",
        "30 days of the Weihai Library's digital reading platform: e-books and audiobooks.",
    ),
    DemoBenefit(
        _terms(
            "utility-2-yuan",
            "utility",
            "水电燃气费抵扣 2 元",
            "2 yuan off a utility bill",
            150,
            stock=3000,
            per_resident_limit=2,
            validity_days=60,
            refund_on_expiry=True,
        ),
        "wh-life-pay",
        "在线缴纳水、电、燃气费时抵扣 2 元。",
        "2 yuan off when you pay a water, power or gas bill online.",
    ),
    DemoBenefit(
        _terms(
            "merchant-50-10",
            "merchant",
            "绿色商户满50减10",
            "10 off 50 at green merchants",
            120,
            stock=2000,
            per_resident_limit=2,
            validity_days=14,
        ),
        "wh-green-merchants",
        "在联盟内的绿色商户消费满 50 元立减 10 元。",
        "10 yuan off a purchase of 50 or more at the alliance's green merchants.",
    ),
    DemoBenefit(
        _terms(
            "reusable-cup-coffee",
            "merchant",
            "自带杯咖啡立减 3 元",
            "3 yuan off coffee in your own cup",
            40,
            stock=1500,
            per_resident_limit=4,
            validity_days=14,
        ),
        "wh-green-merchants",
        "自带杯购买咖啡立减 3 元。",
        "3 yuan off a coffee bought in your own cup.",
    ),
    DemoBenefit(
        _terms(
            "tree-black-pine",
            "donation",
            "捐种一棵黑松",
            "Plant a black pine",
            300,
            per_resident_limit=5,
            limit_period="year",
            validity_days=365,
        ),
        "wh-greening",
        "为威海海岸防护林捐种一棵黑松，基金会确认后发放电子证书。",
        "A black pine for Weihai's coastal shelter forest; the fund confirms and sends an e-certificate.",
    ),
    DemoBenefit(
        _terms(
            "seagrass-sqm",
            "donation",
            "守护一平方米海草床",
            "Protect a square metre of seagrass",
            200,
            per_resident_limit=10,
            limit_period="year",
            validity_days=365,
        ),
        "seagrass-fund",
        "支持荣成天鹅湖海草床修复与看护一平方米一年。",
        "Restoring and watching over one square metre of Rongcheng's seagrass bed for a year.",
    ),
    DemoBenefit(
        _terms(
            "liugong-ticket",
            "culture",
            "刘公岛景区门票 8 折",
            "20 % off a Liugong Island ticket",
            200,
            stock=500,
            limit_period="quarter",
            validity_days=90,
            refund_on_expiry=True,
        ),
        "wh-liugong-island",
        "刘公岛景区门票 8 折，含往返船票。",
        "20 % off the Liugong Island ticket, return ferry included.",
    ),
    DemoBenefit(
        _terms(
            "library-print",
            "culture",
            "图书馆打印复印 20 页",
            "20 printed pages at the library",
            30,
            stock=3000,
            per_resident_limit=3,
            validity_days=30,
        ),
        "wh-culture",
        "在威海市图书馆自助打印或复印 20 页。",
        "Print or copy 20 pages at the Weihai Library.",
    ),
    DemoBenefit(
        _terms(
            "green-loan-rate",
            "finance",
            "绿色消费贷利率优惠券",
            "Green consumer-loan rate coupon",
            500,
            stock=300,
            limit_period="year",
            validity_days=90,
        ),
        "wh-green-merchants",
        "申请合作银行绿色消费贷时，年利率再降 0.2 个百分点（以银行审批为准）。",
        "0.2 percentage points off a partner bank's green consumer-loan rate (subject to approval).",
    ),
)


@dataclass
class ResidentDemoReport:
    phone: str = DEMO_PHONE
    ref: str = ""
    created: bool = False
    benefits_created: int = 0
    events_sent: int = 0
    redemptions: int = 0  # by all demo residents, in all


def _steps(session: Session) -> benefits.Transactions:
    """A transaction factory for the redemption use case inside the demo's one transaction:
    each step is a savepoint, so a refused step leaves nothing behind."""

    @contextmanager
    def step() -> Iterator[Session]:
        with session.begin_nested():
            yield session

    return step


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ)


def _events(ref: str, days: list[date]) -> dict[str, list[dict[str, object]]]:
    """A commuter's weeks: the bus to work, shop payments, utilities on their billing days,
    online government services now and then, recycling twice a month."""
    out: dict[str, list[dict[str, object]]] = {code: [] for code in DEMO_PARTNERS}

    def add(partner: str, event_id: str, behaviour: str, quantity: str, at: datetime) -> None:
        out[partner].append(
            {
                "event_id": event_id,
                "resident_ref": ref,
                "behaviour": behaviour,
                "quantity": quantity,
                "occurred_at": at.isoformat(timespec="seconds"),
            }
        )

    for day in days:
        rng = random.Random(f"seagreen-demo-resident|{ref}|{day.isoformat()}")  # a day is always the same
        stamp = f"{day:%Y%m%d}"
        if day.weekday() < 5:
            add("wh-bus", f"ME-BUS-{stamp}-1", "bus_trip", "1", _local(day, 7, 40 + rng.randrange(10)))
            add("wh-bus", f"ME-BUS-{stamp}-2", "bus_trip", "1", _local(day, 17, 50 + rng.randrange(9)))
        for n in range(rng.randrange(3)):
            add(
                "unionpay-wh",
                f"ME-PAY-{stamp}-{n}",
                "mobile_payment",
                "1",
                _local(day, 12 + n * 3, rng.randrange(60)),
            )
        if day.day == 3:
            add(
                "wh-water",
                f"ME-WATER-{day:%Y%m}",
                "water_saved_m3",
                f"{rng.uniform(0.8, 2.4):.2f}",
                _local(day, 2),
            )
        if day.day == 8:
            add(
                "wh-power",
                f"ME-POWER-{day:%Y%m}-save",
                "electricity_saved_kwh",
                f"{rng.uniform(18, 40):.1f}",
                _local(day, 2),
            )
            add("wh-power", f"ME-POWER-{day:%Y%m}-bill", "utility_e_bill", "1", _local(day, 2, 5))
            add("wh-power", f"ME-POWER-{day:%Y%m}-pay", "online_utility_payment", "1", _local(day, 20, 15))
        if day.day in (11, 25):
            add("wh-gov", f"ME-GOV-{stamp}", "e_government_service", "1", _local(day, 10, 30))
        if day.day in (6, 20):
            add(
                "wh-recycling",
                f"ME-RC-{stamp}",
                "waste_paper_recycled_kg",
                f"{rng.uniform(2, 6):.2f}",
                _local(day, 16),
            )
    return out


def _earn_then(session: Session, ref: str, key: str, points: int, at: datetime) -> None:
    ledger.open_accounts(
        session, [ledger.AccountSpec(ISSUING_ACCOUNT, "points"), lifecycle.resident_account_spec(ref)]
    )
    ledger.post_or_raise(
        session,
        [
            TransferRequest(
                key,
                ISSUING_ACCOUNT,
                resident_account(ref),
                points,
                "earn",
                memo={"source": "Weihai pilot points, imported with the month earned (demo)"},
            )
        ],
        now_us=to_micros(at),
    )


def _month_ago(moment: datetime, months: int, day: int) -> datetime:
    local = moment.astimezone(LOCAL_TZ)
    index = local.year * 12 + local.month - 1 - months
    return datetime.combine(date(index // 12, index % 12 + 1, day), time(10), tzinfo=LOCAL_TZ)


def _redeem(
    session: Session, keys: Keys, resident_id: int, code: str, key: str, at: datetime
) -> benefits.RedemptionView | None:
    try:
        return benefits.redeem(
            _steps(session),
            resident_id=resident_id,
            benefit_code=code,
            request_key=key,
            key=benefits.voucher_key(keys),
            actor=DEMO_ACTOR,
            now=at,
        )
    except (InsufficientPoints, LimitReached, OutOfStock, BudgetExhausted):
        return None


def _confirm(session: Session, view: benefits.RedemptionView | None, provider: str, at: datetime) -> None:
    if view is None or view.code is None:
        return
    with suppress(VoucherAlreadyUsed):
        benefits.confirm_use(session, view.code, provider_code=provider, actor=DEMO_ACTOR, now=at)


def load_resident_demo(
    session: Session, keys: Keys, *, now: datetime | None = None, days: list[date], resident_refs: list[str]
) -> ResidentDemoReport:
    moment = now or utcnow()
    report = ResidentDemoReport()
    for provider in PROVIDERS:
        identity.ensure_org(
            session,
            code=provider.code,
            kind=OrgKind.BENEFIT_PROVIDER,
            name_zh=provider.name_zh,
            name_en=provider.name_en,
            actor=DEMO_ACTOR,
        )
    for position, item in enumerate(BENEFITS, start=1):
        _, created = benefits.ensure_benefit(
            session,
            item.terms,
            provider=item.provider,
            description_zh=item.description_zh,
            description_en=item.description_en,
            position=position * 10,
            actor=DEMO_ACTOR,
        )
        report.benefits_created += created
    pii = PiiProtector.from_keys(keys)
    resident, created = identity.ensure_resident(
        session,
        phone=DEMO_PHONE,
        contact=ResidentContact(name=DEMO_NAME, phone=DEMO_PHONE),
        pii=pii,
        actor=DEMO_ACTOR,
    )
    report.ref, report.created = resident.ref, created
    granted = _local(days[0], 0) - timedelta(days=1) if days else moment
    carbon.set_consents(
        session,
        {resident.ref: set(DEMO_PARTNERS)},
        actor=DEMO_ACTOR,
        source="demo",
        now=granted,
        revoke_others=False,
    )
    if created:
        _earn_then(session, resident.ref, f"demo:pilot:{resident.ref}:1", 120, _month_ago(moment, 14, 12))
        _earn_then(session, resident.ref, f"demo:pilot:{resident.ref}:2", 100, _month_ago(moment, 13, 9))
        old = _redeem(session, keys, resident.id, "bus-1-cent", "demo-pilot-bus", _month_ago(moment, 13, 20))
        _confirm(session, old, "wh-transit-card", _month_ago(moment, 13, 21))
        _earn_then(session, resident.ref, f"demo:pilot:{resident.ref}:3", 500, _month_ago(moment, 12, 4))
        lifecycle.expire_points(session, rule=EXPIRY, now=moment, actor=DEMO_ACTOR)
    prefix = carbon.dedupe_prefix(keys)
    catalogue = carbon.load_catalogue(session)
    for partner, events in _events(resident.ref, days).items():
        stored = carbon.known_event_ids(session, partner, [str(e["event_id"]) for e in events])
        fresh = [e for e in events if str(e["event_id"]) not in stored]
        for start in range(0, len(fresh), 1000):
            carbon.submit_events(
                session,
                partner_code=partner,
                events=fresh[start : start + 1000],
                prefix=prefix,
                actor=DEMO_ACTOR,
                now=moment,
                catalogue=catalogue,
            )
        report.events_sent += len(fresh)
    if created:
        _redeem(session, keys, resident.id, "metro-ticket", "demo-metro", moment - timedelta(days=40))
        _redeem(session, keys, resident.id, "ebook-month", "demo-ebook", moment - timedelta(days=20))
        _redeem(session, keys, resident.id, "seagrass-sqm", "demo-seagrass", moment - timedelta(days=10))
        bus = _redeem(session, keys, resident.id, "bus-1-cent", "demo-bus-1", moment - timedelta(days=5))
        _confirm(session, bus, "wh-transit-card", moment - timedelta(days=5, hours=-2))
        _redeem(session, keys, resident.id, "bus-1-cent", "demo-bus-2", moment - timedelta(days=2))
        weekdays = [day for day in days if day.weekday() < 5]
        if weekdays:
            refunded = f"ME-BUS-{weekdays[-1]:%Y%m%d}-2"
            lifecycle.void_events(
                session,
                partner_code="wh-bus",
                items=[VoidItem(refunded, "车费已退款 fare refunded")],
                actor=DEMO_ACTOR,
                now=moment,
                catalogue=catalogue,
            )
    _others_redeem(session, keys, resident_refs, moment)
    benefits.expire_vouchers(session, now=moment)
    report.redemptions = sum(b.redeemed for b in benefits.list_benefits(session, active_only=False))
    statistics.refresh(session, now=moment)
    return report


def _others_redeem(session: Session, keys: Keys, refs: list[str], moment: datetime) -> None:
    """Some of the other demo residents redeem something (fixed keys: once only)."""
    ids = identity.resident_ids(session, refs)
    for number, ref in enumerate(refs):
        if ref not in ids or number % 6 != 0:
            continue
        rng = random.Random(f"seagreen-demo-redemptions|{ref}")  # the same choice on every run
        item = BENEFITS[rng.randrange(len(BENEFITS))]
        at = moment - timedelta(days=rng.randrange(1, 25), hours=rng.randrange(12))
        view = _redeem(session, keys, ids[ref], item.terms.code, f"demo-{ref}-1", at)
        if view is not None and rng.random() < 0.4:
            _confirm(session, view, item.provider, at + timedelta(hours=3))
