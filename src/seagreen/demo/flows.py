"""``seagreen demo``: load demo organisations and users through each module's services.

Idempotent: running it again creates nothing twice. Passwords are random and returned only for
users created by this run; nothing secret is stored in the repository. The organisations are
real Weihai institutions' names used for demonstration, with made-up codes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from seagreen.audit.domain import Actor
from seagreen.identity import service as identity
from seagreen.identity.domain import OrgKind, Role


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
    DemoOrg("wh-rural-bank", OrgKind.BANK, "威海农商银行", "Weihai Rural Commercial Bank"),
    DemoOrg(
        "wh-rural-bank-rs",
        OrgKind.BANK_BRANCH,
        "威海农商银行乳山支行",
        "Weihai Rural Commercial Bank, Rushan Sub-branch",
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
)

DEMO_ACTOR = Actor.system("demo")


@dataclass(frozen=True)
class DemoReport:
    organisations_created: int
    users_created: int
    credentials: list[tuple[str, str]]  # (username, password) of users created by this run


def new_password() -> str:
    return secrets.token_urlsafe(12)


def load_demo(session: Session) -> DemoReport:
    """Create the demo organisations and users that do not exist yet."""
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
    return DemoReport(orgs_created, len(credentials), credentials)
