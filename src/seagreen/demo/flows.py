"""``seagreen demo``: load demo organisations and users through each module's services.

Idempotent: running it again creates nothing twice. Passwords are random and returned only for
users created by this run; nothing secret is stored in the repository. The organisations are
real Weihai institutions' names used for demonstration, with made-up codes.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from seagreen.audit.domain import Actor, ActorKind
from seagreen.carbon_account import service as carbon
from seagreen.carbon_account.domain import Outcome
from seagreen.demo.branches import BranchesDemoReport, load_branches_demo
from seagreen.demo.residents import ResidentDemoReport, load_resident_demo
from seagreen.identity import service as identity
from seagreen.identity.domain import OrgKind, Role
from seagreen.kit.clock import LOCAL_TZ, utcnow
from seagreen.kit.keys import Keys
from seagreen.kit.pdf import CertificateDocument, render_certificate
from seagreen.kit.storage import DocumentStore
from seagreen.registry import service as registry
from seagreen.registry.schemas import ProjectCreate


@dataclass(frozen=True)
class DemoOrg:
    code: str
    kind: OrgKind
    name_zh: str
    name_en: str
    parent: str | None = None


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    org: str
    roles: tuple[Role, ...]


ORGANISATIONS: tuple[DemoOrg, ...] = (
    DemoOrg("seagreen-ops", OrgKind.OPERATOR, "海绿平台运营中心", "SeaGreen platform operations"),
    # The three authorities that review green sub-branches jointly.
    DemoOrg(
        "wh-finance-bureau",
        OrgKind.AUTHORITY,
        "威海市地方金融管理局",
        "Weihai Local Financial Regulatory Bureau",
    ),
    DemoOrg(
        "pbc-weihai", OrgKind.AUTHORITY, "中国人民银行威海市分行", "People's Bank of China, Weihai Branch"
    ),
    DemoOrg(
        "nfra-weihai",
        OrgKind.AUTHORITY,
        "国家金融监督管理总局威海监管分局",
        "National Financial Regulatory Administration, Weihai Branch",
    ),
    # Banks and sub-branches.
    DemoOrg("wh-commercial-bank", OrgKind.BANK, "威海市商业银行", "Weihai City Commercial Bank"),
    DemoOrg(
        "wh-commercial-bank-rc",
        OrgKind.BANK_BRANCH,
        "威海市商业银行荣成支行",
        "Weihai City Commercial Bank, Rongcheng Sub-branch",
        "wh-commercial-bank",
    ),
    DemoOrg(
        "wh-commercial-bank-hc",
        OrgKind.BANK_BRANCH,
        "威海市商业银行环翠支行",
        "Weihai City Commercial Bank, Huancui Sub-branch",
        "wh-commercial-bank",
    ),
    DemoOrg(
        "wh-commercial-bank-wd",
        OrgKind.BANK_BRANCH,
        "威海市商业银行文登支行",
        "Weihai City Commercial Bank, Wendeng Sub-branch",
        "wh-commercial-bank",
    ),
    DemoOrg("wh-rural-bank", OrgKind.BANK, "威海农商银行", "Weihai Rural Commercial Bank"),
    DemoOrg(
        "wh-rural-bank-rs",
        OrgKind.BANK_BRANCH,
        "威海农商银行乳山支行",
        "Weihai Rural Commercial Bank, Rushan Sub-branch",
        "wh-rural-bank",
    ),
    DemoOrg(
        "wh-rural-bank-rc",
        OrgKind.BANK_BRANCH,
        "威海农商银行荣成支行",
        "Weihai Rural Commercial Bank, Rongcheng Sub-branch",
        "wh-rural-bank",
    ),
    # Data partners that report residents' low-carbon behaviour.
    DemoOrg("wh-bus", OrgKind.DATA_PARTNER, "威海市公共交通集团", "Weihai Public Transport Group"),
    DemoOrg("wh-water", OrgKind.DATA_PARTNER, "威海水务集团", "Weihai Water Group"),
    DemoOrg("wh-power", OrgKind.DATA_PARTNER, "国网威海供电公司", "State Grid Weihai Power Supply"),
    DemoOrg("wh-gas", OrgKind.DATA_PARTNER, "威海港华燃气", "Weihai Towngas"),
    DemoOrg("wh-gov", OrgKind.DATA_PARTNER, "威海市政务服务平台", "Weihai government service platform"),
    DemoOrg("unionpay-wh", OrgKind.DATA_PARTNER, "中国银联山东分公司（威海）", "UnionPay Shandong (Weihai)"),
    DemoOrg("wh-recycling", OrgKind.DATA_PARTNER, "威海再生资源回收公司", "Weihai recycling company"),
    # Ocean carbon sinks and who buys them.
    DemoOrg(
        "rongcheng-seagrass",
        OrgKind.PROJECT_OWNER,
        "荣成市海草床保护项目业主",
        "Rongcheng seagrass-bed project owner",
    ),
    DemoOrg(
        "rushan-oyster", OrgKind.PROJECT_OWNER, "乳山牡蛎养殖合作社", "Rushan oyster farming cooperative"
    ),
    DemoOrg("wh-port-group", OrgKind.BUYER, "威海港集团", "Weihai Port Group"),
    # The ocean carbon-sink registry's authority and the other banks that bought Rongcheng's credits.
    DemoOrg(
        "wh-ecology-bureau", OrgKind.AUTHORITY, "威海市生态环境局", "Weihai Ecology and Environment Bureau"
    ),
    DemoOrg("rongcheng-rural-bank", OrgKind.BANK, "荣成农商银行", "Rongcheng Rural Commercial Bank"),
    DemoOrg("abc-weihai", OrgKind.BANK, "中国农业银行威海分行", "Agricultural Bank of China, Weihai Branch"),
    # Benefit providers for the carbon-points catalogue.
    DemoOrg("wh-culture", OrgKind.BENEFIT_PROVIDER, "威海市图书馆", "Weihai Library"),
)

USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "平台管理员", "seagreen-ops", (Role.PLATFORM_ADMIN,)),
    DemoUser("operator", "平台运营", "seagreen-ops", (Role.OPERATOR,)),
    DemoUser("bureau.reviewer", "市金融局审核员", "wh-finance-bureau", (Role.AUTHORITY_REVIEWER,)),
    DemoUser("pbc.reviewer", "人行威海审核员", "pbc-weihai", (Role.AUTHORITY_REVIEWER,)),
    DemoUser("nfra.reviewer", "金融监管分局审核员", "nfra-weihai", (Role.AUTHORITY_REVIEWER,)),
    DemoUser("whcb.officer", "威商银行客户经理", "wh-commercial-bank", (Role.BANK_OFFICER,)),
    DemoUser("rongcheng.officer", "荣成支行客户经理", "wh-commercial-bank-rc", (Role.BANK_OFFICER,)),
    DemoUser("seagrass.owner", "海草床项目联系人", "rongcheng-seagrass", (Role.PROJECT_OWNER,)),
    DemoUser("port.buyer", "威海港采购", "wh-port-group", (Role.BUYER,)),
    DemoUser("ecology.reviewer", "生态环境局碳汇审核员", "wh-ecology-bureau", (Role.AUTHORITY_REVIEWER,)),
    DemoUser("oyster.owner", "牡蛎合作社联系人", "rushan-oyster", (Role.PROJECT_OWNER,)),
    DemoUser("rcrb.officer", "荣成农商银行客户经理", "rongcheng-rural-bank", (Role.BANK_OFFICER,)),
    DemoUser("library.cashier", "图书馆核销员", "wh-culture", (Role.BENEFIT_PROVIDER,)),
)

DEMO_ACTOR = Actor.system("demo")


@dataclass(frozen=True)
class DemoReport:
    organisations_created: int
    users_created: int
    credentials: list[tuple[str, str]]  # (username, password) of users created by this run
    carbon: CarbonDemoReport | None = None
    branches: BranchesDemoReport | None = None
    registry: RegistryDemoReport | None = None
    resident: ResidentDemoReport | None = None


def new_password() -> str:
    return secrets.token_urlsafe(12)


def load_demo(
    session: Session,
    keys: Keys,
    *,
    now: datetime | None = None,
    residents: int | None = None,
    days: int | None = None,
    store: DocumentStore | None = None,
) -> DemoReport:
    """Create the demo organisations, users and personal-carbon-account data that do not exist
    yet (``residents`` and ``days`` shrink the carbon-account part, for tests). The green
    sub-branch demo keeps its materials in ``store``; without one it is left out."""
    orgs_created = 0
    for org in ORGANISATIONS:
        _, created = identity.ensure_org(
            session,
            code=org.code,
            kind=org.kind,
            name_zh=org.name_zh,
            name_en=org.name_en,
            parent_code=org.parent,
            actor=DEMO_ACTOR,
        )
        orgs_created += created
    credentials: list[tuple[str, str]] = []
    for user in USERS:
        password = new_password()
        _, created = identity.ensure_user(
            session,
            username=user.username,
            display_name=user.display_name,
            org_code=user.org,
            roles=[str(role) for role in user.roles],
            password=password,
            actor=DEMO_ACTOR,
        )
        if created:
            credentials.append((user.username, password))
    report = load_carbon_demo(
        session, keys, now=now, residents=residents or DEMO_RESIDENTS, days=days or DEMO_DAYS
    )
    branches = load_branches_demo(session, store, now=now or utcnow()) if store is not None else None
    registry_report = load_registry_demo(session, keys)
    resident = load_resident_demo(
        session,
        keys,
        now=now,
        days=demo_days(now or utcnow(), days or DEMO_DAYS),
        resident_refs=[demo_resident_ref(index) for index in range(1, (residents or DEMO_RESIDENTS) + 1)],
    )
    return DemoReport(
        orgs_created, len(credentials), credentials, report, branches, registry_report, resident
    )


# == personal carbon account (个人碳账户) ==========================================================
#
# Partners of every kind on the demo organisations, about 1,000 residents known by ref with their
# consents, and three months of behaviour events sent through the real-time API's use case
# (``submit_events``), so checks, caps, cross-partner deduplication and points are the real ones.
#
# Deterministic: each (partner, local day) draws from its own seeded generator, so a day's events
# are the same whenever the demo runs. A re-run sends only the days whose events are not stored
# yet, so it adds nothing on the same day and only the new days later on (the window follows the
# 90-day backfill). A few events are wrong on purpose, to show every kind of rejection.


@dataclass(frozen=True)
class DemoPartner:
    code: str
    kind: str
    name: str


CARBON_PARTNERS: tuple[DemoPartner, ...] = (
    DemoPartner("wh-bus", "transit", "威海市公共交通集团"),
    DemoPartner("wh-water", "utility", "威海水务集团"),
    DemoPartner("wh-power", "utility", "国网威海供电公司"),
    DemoPartner("wh-gas", "utility", "威海港华燃气"),
    DemoPartner("wh-gov", "government", "威海市政务服务平台"),
    DemoPartner("unionpay-wh", "clearing", "中国银联山东分公司（威海）"),
    DemoPartner("wh-commercial-bank", "bank", "威海市商业银行"),
    DemoPartner("wh-recycling", "recycler", "威海再生资源回收公司"),
)
DEMO_RESIDENTS = 1_000
DEMO_DAYS = 88  # ending yesterday; inside the default 90-day backfill window
DEMO_SEED = "seagreen-demo-v1"
API_BATCH = 1_000


def demo_resident_ref(index: int) -> str:
    return f"RDEMO{index:07d}"


@dataclass(frozen=True)
class Habits:
    """One demo resident's habits: which partners know them and how often they do what."""

    index: int
    partners: frozenset[str]  # partners the resident authorised
    uses: frozenset[str]  # partners whose services the resident uses (a few never authorised)
    bus_days: float  # chance of riding the bus on a weekday
    qr_share: float  # share of bus fares paid by UnionPay QR code
    shop_rate: float  # mobile payments a day
    household: int  # index into the household profiles (utilities)
    recycles: bool


def habits(count: int = DEMO_RESIDENTS, seed: str = DEMO_SEED) -> list[Habits]:
    rng = random.Random(f"{seed}|habits")
    people: list[Habits] = []
    for index in range(1, count + 1):
        uses = {"wh-water", "wh-power"}
        if rng.random() < 0.62:
            uses.add("wh-bus")
        if rng.random() < 0.55:
            uses.add("wh-gas")
        if rng.random() < 0.5:
            uses.add("wh-gov")
        if rng.random() < 0.7:
            uses.add("unionpay-wh")
        if rng.random() < 0.35:
            uses.add("wh-commercial-bank")
        recycles = rng.random() < 0.18
        if recycles:
            uses.add("wh-recycling")
        # most residents authorise every partner they use; some withhold one or two
        authorised = {code for code in uses if rng.random() < 0.92}
        people.append(
            Habits(
                index=index,
                partners=frozenset(authorised),
                uses=frozenset(uses),
                bus_days=rng.uniform(0.3, 0.95),
                qr_share=rng.choice((0.0, 0.2, 0.5, 0.9)),
                shop_rate=rng.choice((0.1, 0.3, 0.8, 2.0)),
                household=rng.randrange(4),
                recycles=recycles,
            )
        )
    return people


@dataclass
class CarbonDemoReport:
    partners_created: int = 0
    residents_created: int = 0
    consents_granted: int = 0
    requests: int = 0
    accepted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: int = 0
    partner_keys: list[tuple[str, str]] = field(default_factory=list)  # (partner, API key) created


Event = dict[str, object]
Generated = list[tuple[Event, bool]]  # (event, meant to be accepted)

WRONG_BEHAVIOUR = {  # a behaviour each kind may not report, for the partner-kind rejection
    "transit": "water_saved_m3",
    "utility": "bus_trip",
    "government": "mobile_payment",
    "clearing": "textile_recycled_kg",
    "bank": "e_licence_use",
    "recycler": "bus_trip",
}
FLAWS = (
    "unknown_behaviour",
    "partner_kind",
    "too_many_decimals",
    "not_positive",
    "unknown_resident",
    "no_consent",
    "missing",
    "invalid_datetime",
    "conflict",
)


def _at(day: date, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=LOCAL_TZ)


def _local(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _amount(rng: random.Random, low: float, high: float, decimals: int = 1) -> str:
    return f"{rng.uniform(low, high):.{decimals}f}"


def _rng(seed: str, code: str, day: date) -> random.Random:
    return random.Random(f"{seed}|{code}|{day.isoformat()}")


def _event(event_id: str, person: Habits, behaviour: str, quantity: str, at: str, **extra: object) -> Event:
    event: Event = {
        "event_id": event_id,
        "resident_ref": demo_resident_ref(person.index),
        "behaviour": behaviour,
        "quantity": quantity,
        "occurred_at": at,
    }
    event.update(extra)
    return event


def _bus(people: list[Habits], day: date, seed: str) -> Generated:
    """Bus rides (a fare paid by UnionPay QR code carries the clearing network's transaction id as
    ``dedupe_key``), battery-electric lines by km, and public bikes."""
    rng = _rng(seed, "wh-bus", day)
    weekday = day.weekday() < 5
    stamp = f"{day:%Y%m%d}"
    events: Generated = []
    for person in people:
        if "wh-bus" not in person.partners:
            continue
        if rng.random() >= (person.bus_days if weekday else person.bus_days * 0.35):
            continue
        trips = 2 if rng.random() < 0.85 else rng.choice((1, 3, 4))
        for trip in range(trips):
            hour = (7 if trip % 2 == 0 else 17) + trip // 2 * 2
            at = _at(day, hour, rng.randrange(60), rng.randrange(60))
            extra: dict[str, object] = {"attributes": {"line": rng.choice(("1", "12", "K1", "31", "101"))}}
            if rng.random() < person.qr_share:
                extra["dedupe_key"] = f"UPQR{stamp}{person.index:07d}{trip}"
            event_id = f"BUS{stamp}-{person.index:07d}-{trip}"
            if rng.random() < 0.25:
                km = _amount(rng, 2.0, 14.0)
                events.append((_event(event_id, person, "ebus_km", km, _local(at), **extra), True))
            else:
                events.append((_event(event_id, person, "bus_trip", "1", _local(at), **extra), True))
        if rng.random() < 0.1:
            at = _at(day, 12, rng.randrange(60))
            km = _amount(rng, 0.8, 6.0, 2)
            events.append(
                (_event(f"BIKE{stamp}-{person.index:07d}", person, "shared_bike_km", km, _local(at)), True)
            )
    return events


def _clearing(people: list[Habits], day: date, seed: str) -> Generated:
    """UnionPay: the QR bus fares again (same ``dedupe_key``, in UTC), shop payments, tickets."""
    rng = _rng(seed, "unionpay-wh", day)
    stamp = f"{day:%Y%m%d}"
    events: Generated = []
    for bus, _ in _bus(people, day, seed):
        key = bus.get("dedupe_key")
        index = int(str(bus["resident_ref"])[5:])
        if key is None or "unionpay-wh" not in people[index - 1].partners:
            continue
        at = datetime.fromisoformat(str(bus["occurred_at"])) + timedelta(seconds=3)
        event = _event(f"UP{key}", people[index - 1], "bus_trip", "1", _utc(at), dedupe_key=key)
        events.append((event, True))
    for person in people:
        if "unionpay-wh" not in person.partners:
            continue
        payments = int(rng.expovariate(1 / person.shop_rate)) if person.shop_rate else 0
        for n in range(min(payments, 14)):
            at = _at(day, rng.randrange(8, 22), rng.randrange(60), rng.randrange(60))
            event_id = f"UPPAY{stamp}{person.index:07d}{n:02d}"
            events.append((_event(event_id, person, "mobile_payment", "1", _utc(at)), True))
            if rng.random() < 0.15:
                event_id = f"UPBAG{stamp}{person.index:07d}{n:02d}"
                events.append((_event(event_id, person, "no_plastic_bag", "1", _utc(at)), True))
        if rng.random() < (0.05 if day.weekday() >= 4 else 0.01):
            at = _at(day, rng.randrange(9, 21), rng.randrange(60))
            events.append(
                (_event(f"UPTKT{stamp}{person.index:07d}", person, "online_ticket", "1", _utc(at)), True)
            )
        if rng.random() < 0.008:
            at = _at(day, rng.randrange(7, 23), rng.randrange(60))
            event_id = f"UPTRN{stamp}{person.index:07d}"
            events.append((_event(event_id, person, "online_train_ticket", "1", _utc(at)), True))
    return events


UTILITIES = {  # partner: (billing day of the month, what it saves, range of the saving)
    "wh-water": (3, "water_saved_m3", (0.0, 2.6)),
    "wh-power": (8, "electricity_saved_kwh", (0.0, 62.0)),
    "wh-gas": (12, "gas_saved_m3", (0.0, 7.0)),
}


def _utility(code: str, people: list[Habits], day: date, seed: str) -> Generated:
    """Monthly: the e-bill, its online payment and the saving against the household's baseline
    (the electricity saving is sometimes above the monthly cap)."""
    billing_day, saving, (low, high) = UTILITIES[code]
    if day.day != billing_day:
        return []
    rng = _rng(seed, code, day)
    stamp = f"{day:%Y%m}"
    events: Generated = []
    for person in people:
        if code not in person.partners:
            continue
        at = _local(_at(day, 2, rng.randrange(60)))
        ref = f"{person.index:07d}"
        if rng.random() < 0.8:
            events.append((_event(f"{code}-{stamp}-{ref}-bill", person, "utility_e_bill", "1", at), True))
        if rng.random() < 0.7:
            paid = _local(_at(day, rng.randrange(9, 22), rng.randrange(60)))
            events.append(
                (_event(f"{code}-{stamp}-{ref}-pay", person, "online_utility_payment", "1", paid), True)
            )
        amount = rng.uniform(low, high) * (0.5 + person.household / 3)
        if amount >= 0.1:
            quantity = f"{amount:.2f}" if code != "wh-power" else f"{amount:.1f}"
            events.append((_event(f"{code}-{stamp}-{ref}-save", person, saving, quantity, at), True))
        if code == "wh-gas" and day.month in (10, 11, 12, 1, 2, 3) and rng.random() < 0.3:
            paid = _local(_at(day, rng.randrange(9, 22), rng.randrange(60)))
            event_id = f"{code}-{stamp}-{ref}-heat"
            events.append((_event(event_id, person, "online_heating_payment", "1", paid), True))
    return events


def _government(people: list[Habits], day: date, seed: str) -> Generated:
    rng = _rng(seed, "wh-gov", day)
    stamp = f"{day:%Y%m%d}"
    chances = (
        ("e_government_service", 0.03),
        ("online_hospital_booking", 0.01),
        ("e_licence_use", 0.04),
        ("e_invoice", 0.05),
    )
    events: Generated = []
    for person in people:
        if "wh-gov" not in person.partners:
            continue
        for behaviour, chance in chances:
            if rng.random() < chance * (1.0 if day.weekday() < 5 else 0.4):
                at = _local(_at(day, rng.randrange(8, 20), rng.randrange(60)))
                event_id = f"GOV{stamp}-{person.index:07d}-{behaviour}"
                events.append((_event(event_id, person, behaviour, "1", at), True))
    return events


def _bank(people: list[Habits], day: date, seed: str) -> Generated:
    rng = _rng(seed, "wh-commercial-bank", day)
    stamp = f"{day:%Y%m%d}"
    events: Generated = []
    for person in people:
        if "wh-commercial-bank" not in person.partners:
            continue
        ref = f"{person.index:07d}"
        at = _local(_at(day, rng.randrange(8, 22), rng.randrange(60), rng.randrange(60)))
        if day.day == 20 and person.index % 5 < 3:
            events.append((_event(f"WHCB{stamp}{ref}ST", person, "credit_card_e_statement", "1", at), True))
        if rng.random() < 0.15:
            events.append((_event(f"WHCB{stamp}{ref}TR", person, "online_transfer", "1", at), True))
        if rng.random() < 0.01:
            events.append((_event(f"WHCB{stamp}{ref}PL", person, "paperless_bank_service", "1", at), True))
            events.append((_event(f"WHCB{stamp}{ref}PS", person, "paper_saved_sheet", "6", at), True))
        if rng.random() < 0.002:
            events.append((_event(f"WHCB{stamp}{ref}CC", person, "e_credit_card_application", "1", at), True))
        if person.index % 5 == 0 and rng.random() < 0.7:  # NEV car-loan customers report their km
            km = _amount(rng, 4.0, 120.0)
            events.append((_event(f"WHCB{stamp}{ref}NEV", person, "nev_km", km, at), True))
    return events


RECYCLED = (
    ("textile_recycled_kg", 0.5, 6.0),
    ("waste_paper_recycled_kg", 1.0, 15.0),
    ("plastic_recycled_kg", 0.3, 5.0),
    ("fishing_net_recycled_kg", 8.0, 45.0),
)


def _recycler(people: list[Habits], day: date, seed: str) -> Generated:
    rng = _rng(seed, "wh-recycling", day)
    stamp = f"{day:%Y%m%d}"
    events: Generated = []
    for person in people:
        if "wh-recycling" not in person.partners or rng.random() >= 0.06:
            continue
        behaviour, low, high = RECYCLED[0 if person.index % 7 == 0 else rng.randrange(3)]
        if person.index % 11 == 0 and rng.random() < 0.5:  # fishing families bring old nets
            behaviour, low, high = RECYCLED[3]
        at = _local(_at(day, rng.randrange(8, 18), rng.randrange(60)))
        quantity = _amount(rng, low, high, 3 if behaviour == "plastic_recycled_kg" else 2)
        events.append((_event(f"RC{stamp}-{person.index:07d}", person, behaviour, quantity, at), True))
    return events


def _flawed(partner: DemoPartner, people: list[Habits], day: date, seed: str, good: Generated) -> Generated:
    """Now and then one wrong event, so the demo shows each rejection reason."""
    rng = _rng(seed, f"{partner.code}|flaw", day)
    if not good or rng.random() >= 0.12:
        return []
    flaw = FLAWS[rng.randrange(len(FLAWS))]
    model = dict(good[rng.randrange(len(good))][0])
    model["event_id"] = f"{partner.code.upper()}-X{day:%Y%m%d}"
    model.pop("dedupe_key", None)
    if flaw == "unknown_behaviour":
        model["behaviour"] = "ferry_trip"
    elif flaw == "partner_kind":
        model["behaviour"] = WRONG_BEHAVIOUR[partner.kind]
    elif flaw == "too_many_decimals":
        model["quantity"] = "1.2345"
    elif flaw == "not_positive":
        model["quantity"] = rng.choice(("0", "-1"))
    elif flaw == "unknown_resident":
        model["resident_ref"] = "RDEMO9999999"
    elif flaw == "no_consent":
        withheld = [p for p in people if partner.code in p.uses and partner.code not in p.partners]
        if not withheld:
            return []
        model["resident_ref"] = demo_resident_ref(withheld[rng.randrange(len(withheld))].index)
    elif flaw == "missing":
        model.pop(rng.choice(("resident_ref", "quantity", "occurred_at")))
    elif flaw == "invalid_datetime":
        model["occurred_at"] = f"{day:%Y-%m-%d} 25:61"
    else:  # conflict: an event id sent before, with other content
        model = dict(good[-1][0])
        model["quantity"] = "3" if model["quantity"] != "3" else "2"
    return [(model, False)]


def _day_events(partner: DemoPartner, people: list[Habits], day: date, seed: str) -> Generated:
    if partner.kind == "transit":
        good = _bus(people, day, seed)
    elif partner.kind == "clearing":
        good = _clearing(people, day, seed)
    elif partner.kind == "utility":
        good = _utility(partner.code, people, day, seed)
    elif partner.kind == "government":
        good = _government(people, day, seed)
    elif partner.kind == "bank":
        good = _bank(people, day, seed)
    else:
        good = _recycler(people, day, seed)
    return good + _flawed(partner, people, day, seed, good)


def demo_days(now: datetime, days: int = DEMO_DAYS) -> list[date]:
    """The local days the demo fills: ``days`` days ending yesterday."""
    today = now.astimezone(LOCAL_TZ).date()
    return [today - timedelta(days=offset) for offset in range(days, 0, -1)]


def _chunks(events: list[Event], size: int) -> Iterator[list[Event]]:
    for start in range(0, len(events), size):
        yield events[start : start + size]


def load_carbon_demo(
    session: Session,
    keys: Keys,
    *,
    now: datetime | None = None,
    residents: int = DEMO_RESIDENTS,
    days: int = DEMO_DAYS,
    seed: str = DEMO_SEED,
) -> CarbonDemoReport:
    """Partners, residents with consents and the days of events that are not there yet."""
    moment = now or utcnow()
    report = CarbonDemoReport()
    carbon.load_shipped(session)
    for partner in CARBON_PARTNERS:
        known = {p.code for p in carbon.list_partners(session)}
        if partner.code in known:
            continue
        created = carbon.add_partner(
            session, partner.code, kind=partner.kind, name=partner.name, actor=DEMO_ACTOR
        )
        report.partners_created += created.created
        report.partner_keys.append((partner.code, created.api_key))
    people = habits(residents, seed)
    window = demo_days(moment, days)
    since = _at(window[0], 0, 0) - timedelta(days=1)
    refs = [demo_resident_ref(person.index) for person in people]
    _, report.residents_created = identity.ensure_resident_refs(
        session, refs, actor=DEMO_ACTOR, source="demo", now=since
    )
    wanted = {demo_resident_ref(person.index): set(person.partners) for person in people}
    change = carbon.set_consents(
        session, wanted, actor=DEMO_ACTOR, source="demo", now=since, revoke_others=False
    )
    report.consents_granted = change.granted
    catalogue = carbon.load_catalogue(session)
    prefix = carbon.dedupe_prefix(keys)
    for partner in CARBON_PARTNERS:
        by_day = [(day, _day_events(partner, people, day, seed)) for day in window]
        valid_ids = [str(e["event_id"]) for _, events in by_day for e, ok in events if ok]
        stored = carbon.known_event_ids(session, partner.code, valid_ids)
        outgoing: list[Event] = []
        for _, events in by_day:
            fresh = [e for e, ok in events if ok and str(e["event_id"]) not in stored]
            if fresh:  # a day already sent is not sent again, its wrong events neither
                outgoing.extend(fresh)
                outgoing.extend(e for e, ok in events if not ok)
        for chunk in _chunks(outgoing, API_BATCH):
            result = carbon.submit_events(
                session,
                partner_code=partner.code,
                events=chunk,
                prefix=prefix,
                actor=DEMO_ACTOR,
                now=moment,
                catalogue=catalogue,
            )
            report.requests += 1
            report.accepted += result.count(Outcome.ACCEPTED)
            report.duplicates += result.count(Outcome.DUPLICATE)
            report.conflicts += result.count(Outcome.CONFLICT)
            report.rejected += result.count(Outcome.REJECTED)
    return report


# == ocean carbon-sink registry (海洋碳汇登记簿) ================================================
#
# The Rongcheng swan-lake seagrass project (200 亩, 338.7 t CO2e over three years, bought by local
# banks to make branches carbon neutral), and an oyster farm of the Rushan cooperative, taken
# through the real use cases on the dates they would have happened: registration, submission,
# the 7-working-day notice, filing, the monitoring report, verification, issuance, sales and
# retirements. The seagrass inputs are calibrated to the published result (see
# data/registry/demo); the prices are illustrative (the real ones were not published).


@dataclass
class RegistryDemoReport:
    projects_created: int = 0
    issued_t: int = 0
    retirements: int = 0


def _registry_actor(org: str) -> Actor:
    return Actor(ActorKind.SYSTEM, "demo", f"demo ({org})", org)


def _on(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=LOCAL_TZ)


REGISTRY_AUTHORITY = "wh-ecology-bureau"
SEAGRASS_VERIFIER = "山东省海洋资源与环境研究院海洋碳汇中心"


@dataclass(frozen=True)
class DemoSink:
    owner: str
    body: ProjectCreate
    inputs: str  # data/registry/demo/<inputs>.json
    registered: date
    noticed: date
    filed: date
    buffer_share: Decimal
    period: tuple[date, date]
    reported: date
    verified: date
    issued: date
    verifier: str
    sales: tuple[tuple[str, int, str, date], ...]  # buyer, tonnes, yuan per tonne, day
    retirements: tuple[
        tuple[str, int, str, str | None, str, date], ...
    ]  # holder, t, beneficiary, org, purpose, day


DEMO_SINKS = (
    DemoSink(
        owner="rongcheng-seagrass",
        body=ProjectCreate(
            name_zh="荣成大天鹅国家级自然保护区海草床修复（演示）",
            name_en="Rongcheng swan-lake seagrass-bed restoration (demo)",
            methodology="seagrass-restoration",
            location="山东省荣成市大天鹅国家级自然保护区（天鹅湖）",
            latitude=Decimal("37.35"),
            longitude=Decimal("122.57"),
            area_mu=Decimal(200),
            crediting_start=date(2021, 1, 1),
            crediting_end=date(2050, 12, 31),
            description="全省首笔碳普惠海洋碳汇交易的示范：200 亩大叶藻海草床，核算周期 3 年，核证 338.7 吨。"
            "演示数据：参数按公开结果校准，价格为示意。",
        ),
        inputs="rongcheng-seagrass-2021-2023",
        registered=date(2024, 4, 22),
        noticed=date(2024, 4, 24),
        filed=date(2024, 5, 9),
        buffer_share=Decimal("0.10"),
        period=(date(2021, 1, 1), date(2023, 12, 31)),
        reported=date(2024, 5, 20),
        verified=date(2024, 5, 28),
        issued=date(2024, 6, 5),
        verifier=SEAGRASS_VERIFIER,
        sales=(
            ("rongcheng-rural-bank", 100, "60.00", date(2024, 6, 19)),
            ("abc-weihai", 80, "60.00", date(2024, 6, 19)),
            ("wh-commercial-bank", 100, "60.00", date(2024, 6, 19)),
        ),
        retirements=(
            (
                "wh-commercial-bank",
                50,
                "威海市商业银行荣成支行",
                "wh-commercial-bank-rc",
                "荣成支行网点 2024 年度运营碳中和",
                date(2024, 6, 20),
            ),
            (
                "rongcheng-rural-bank",
                100,
                "荣成农商银行",
                None,
                "营业网点 2024 年度运营碳中和",
                date(2024, 6, 20),
            ),
            (
                "abc-weihai",
                40,
                "中国农业银行威海分行",
                None,
                "绿色网点运营碳中和（2024 年）",
                date(2024, 6, 21),
            ),
        ),
    ),
    DemoSink(
        owner="rushan-oyster",
        body=ProjectCreate(
            name_zh="乳山湾牡蛎养殖碳汇（演示）",
            name_en="Rushan Bay oyster farming carbon sink (demo)",
            methodology="shellfish-csc",
            location="山东省乳山市乳山湾",
            latitude=Decimal("36.86"),
            longitude=Decimal("121.53"),
            area_mu=Decimal(3000),
            crediting_start=date(2024, 1, 1),
            crediting_end=date(2033, 12, 31),
            description="不投饵牡蛎养殖，按收获量核算贝壳与软体组织碳汇（演示数据）。",
        ),
        inputs="rushan-oyster-2024",
        registered=date(2025, 1, 8),
        noticed=date(2025, 1, 13),
        filed=date(2025, 1, 24),
        buffer_share=Decimal("0.05"),
        period=(date(2024, 1, 1), date(2024, 12, 31)),
        reported=date(2025, 2, 17),
        verified=date(2025, 2, 24),
        issued=date(2025, 3, 3),
        verifier="威海市海洋发展研究中心（演示）",
        sales=(("wh-port-group", 50, "85.00", date(2025, 3, 18)),),
        retirements=(
            ("wh-port-group", 30, "威海港集团", None, "港区 2025 年一季度作业碳中和", date(2025, 4, 1)),
        ),
    ),
)


def load_registry_demo(session: Session, keys: Keys) -> RegistryDemoReport:
    """The demo projects, each taken from registration to retirements (skipped once there)."""
    report = RegistryDemoReport()
    registry.load_shipped(session)
    authority = _registry_actor(REGISTRY_AUTHORITY)
    signer = registry.signer(keys)
    calendar = registry.working_calendar()
    for sink in DEMO_SINKS:
        if registry.list_projects(session, owner=sink.owner):
            continue
        owner = _registry_actor(sink.owner)
        code = registry.register(session, sink.body, actor=owner, now=_on(sink.registered)).code
        registry.add_document(
            session,
            code,
            filename="项目设计文件（演示）.pdf",
            content=render_certificate(
                CertificateDocument(
                    title="项目设计文件（演示）",
                    fields=[("项目", sink.body.name_zh), ("说明", "演示数据，非真实文件 (demo)")],
                )
            ),
            actor=owner,
            now=_on(sink.registered),
        )
        registry.submit(session, code, actor=owner, now=_on(sink.registered))
        registry.review(
            session, code, "start_notice", "", actor=authority, calendar=calendar, now=_on(sink.noticed)
        )
        registry.file(session, code, actor=authority, buffer_share=sink.buffer_share, now=_on(sink.filed))
        submitted = registry.submit_report(
            session,
            code,
            *sink.period,
            registry.demo_inputs(sink.inputs),
            actor=owner,
            now=_on(sink.reported),
        )
        registry.verify_report(
            session,
            submitted.id,
            sink.verifier,
            "核算结果复核无误（演示）",
            actor=authority,
            now=_on(sink.verified),
        )
        issued = registry.issue(session, submitted.id, actor=authority, now=_on(sink.issued))
        report.projects_created += 1
        report.issued_t += issued.quantity
        for buyer, tonnes, price, day in sink.sales:
            sale = registry.MoveRequest(
                key=f"demo-sale-{code}-{buyer}",
                kind=registry.SALE,
                project=code,
                quantity=tonnes,
                to_org=buyer,
                price_fen_per_t=registry.yuan_to_fen(Decimal(price)),
                settlement_method="bank_transfer",
                settlement_ref=f"DEMO-{code}-{buyer}",
                note="演示交易，价格为示意",
            )
            registry.move(session, [sale], actor=owner, now=_on(day))
        for holder, tonnes, beneficiary, beneficiary_org, purpose, day in sink.retirements:
            retire = registry.MoveRequest(
                key=f"demo-retire-{code}-{holder}",
                kind=registry.RETIREMENT,
                project=code,
                quantity=tonnes,
                beneficiary_name=beneficiary,
                beneficiary_org=beneficiary_org,
                purpose=purpose,
                claim_start=date(day.year, 1, 1),
                claim_end=date(day.year, 12, 31),
            )
            registry.move(session, [retire], actor=_registry_actor(holder), signer=signer, now=_on(day))
            report.retirements += 1
    return report
