"""Builders for green sub-branch tests: a world of three authorities and two banks with branches,
a complete form, small real files of each accepted type, and helpers that walk an application
to a given state through the service (never by writing rows)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from seagreen.audit.domain import Actor, ActorKind
from seagreen.branches import service
from seagreen.branches.domain import LOCAL_TZ, Policy, Viewer
from seagreen.branches.schemas import (
    ApplicationCreate,
    ApplicationRead,
    FindingCreate,
    ReportCreate,
    ReviewCreate,
    RoundCreate,
)
from seagreen.identity.domain import OrgKind
from seagreen.kit.mail import Email
from seagreen.kit.storage import LocalStore
from tests.factories.identity import make_org

AUTHORITIES = ("auth-bureau", "auth-pbc", "auth-nfra")
LEAD = "auth-bureau"
T0 = datetime(2026, 5, 10, 10, 0, tzinfo=LOCAL_TZ)  # a Sunday morning in Weihai, mid-round

GOOD_FORM: dict[str, str | list[str]] = {
    "loans_total": "1,000,000,000.00",
    "loans_total_prev": "900000000",
    "green_loans": "700000000",
    "green_loans_prev": "560000000",
    "new_loans": "300000000",
    "green_new_loans": "220000000",
    "new_loans_prev": "280000000",
    "green_new_loans_prev": "180000000",
    "npl_total": "8000000",
    "green_npl": "2000000",
    "loan_rate": "4.35",
    "green_loan_rate": "3.95",
    "credit_customers": "120",
    "green_customers": "80",
    "green_department": "yes",
    "separate_quota": "yes",
    "approval_channel": "yes",
    "green_staff": "5",
    "training_hours": "160",
    "product_lines": ["green_credit", "blue_finance", "carbon_finance"],
    "es_due_diligence": "yes",
    "es_veto": "yes",
    "env_disclosure": "yes",
}  # 100 points of 100
NARRATIVE = "本支行设立绿色金融部，单列绿色信贷规模，开通绿色审批通道，重点支持海洋牧场和海上风电。"


def pdf_bytes(text: str = "materials") -> bytes:
    body = f"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% {text}\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    return body.encode()


def png_bytes() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def actor_for(viewer: Viewer, name: str = "tester") -> Actor:
    return Actor(ActorKind.USER, name, f"{name}@{viewer.org_code}", viewer.org_code)


class FakeSender:
    """Keeps what it was asked to send; can be told to fail."""

    def __init__(self) -> None:
        self.sent: list[Email] = []
        self.fail_with: Exception | None = None

    def send(self, message: Email) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(message)


@dataclass
class World:
    session: Session
    policy: Policy
    store: LocalStore
    bank: Viewer
    branch_officer: Viewer
    other_bank: Viewer
    authorities: dict[str, Viewer]
    admin: Viewer
    branch: str
    second_branch: str
    other_branch: str
    round: str = "2026-1"
    max_bytes: int = 1024 * 1024
    clock: list[datetime] = field(default_factory=lambda: [T0])

    @property
    def now(self) -> datetime:
        return self.clock[0]

    def advance(self, **delta: float) -> datetime:
        self.clock[0] = self.clock[0] + timedelta(**delta)
        return self.clock[0]

    def at(self, moment: datetime) -> datetime:
        self.clock[0] = moment
        return moment

    def authority(self, code: str) -> Viewer:
        return self.authorities[code]

    @property
    def lead(self) -> Viewer:
        return self.authorities[self.policy.lead_authority]


def make_world(session: Session, tmp_path: Path) -> World:
    for code in AUTHORITIES:
        make_org(session, OrgKind.AUTHORITY, code=code)
    bank = make_org(session, OrgKind.BANK, code="bank-a")
    branch = make_org(session, OrgKind.BANK_BRANCH, code="bank-a-rc", parent=bank.code)
    second = make_org(session, OrgKind.BANK_BRANCH, code="bank-a-hc", parent=bank.code)
    other = make_org(session, OrgKind.BANK, code="bank-b")
    other_branch = make_org(session, OrgKind.BANK_BRANCH, code="bank-b-rs", parent=other.code)
    service.load_shipped(session)
    world = World(
        session=session,
        policy=Policy(
            authorities=AUTHORITIES, lead_authority=LEAD, appeal_days=30, reminder_days=(30, 14, 3)
        ),
        store=LocalStore(tmp_path / "uploads"),
        bank=Viewer(org_code=bank.code, bank=bank.code),
        branch_officer=Viewer(org_code=branch.code, bank=bank.code, branch=branch.code),
        other_bank=Viewer(org_code=other.code, bank=other.code),
        authorities={code: Viewer(org_code=code, authority=code) for code in AUTHORITIES},
        admin=Viewer(org_code="ops", reader=True),
        branch=branch.code,
        second_branch=second.code,
        other_branch=other_branch.code,
    )
    service.open_round(
        session,
        world.authority(LEAD),
        RoundCreate(code=world.round, title_zh="2026 年第一批绿色支行认定", deadline=date(2026, 6, 30)),
        policy=world.policy,
        actor=actor_for(world.authority(LEAD)),
        now=T0 - timedelta(days=10),
    )
    return world


def files(world: World, *uploads: service.Upload) -> service.Attachments:
    return service.Attachments(world.store, uploads, world.max_bytes)


def draft(
    world: World,
    *,
    branch: str | None = None,
    values: dict[str, str | list[str]] | None = None,
    uploads: bool = True,
) -> ApplicationRead:
    return service.create_application(
        world.session,
        world.bank,
        ApplicationCreate(
            round=world.round,
            branch=branch or world.branch,
            contact_name="李海",
            contact_phone="0631-5200000",
            contact_email="green@bank-a.example",
            narrative=NARRATIVE,
            values=dict(GOOD_FORM if values is None else values),
        ),
        actor=actor_for(world.bank),
        now=world.now,
        attachments=files(world, service.Upload("说明材料.pdf", pdf_bytes())) if uploads else None,
    )


def submitted(world: World, **kwargs: object) -> ApplicationRead:
    application = draft(world, **kwargs)  # type: ignore[arg-type]
    return service.submit_application(
        world.session, world.bank, application.id, actor=actor_for(world.bank), now=world.now
    )


def review(
    world: World, authority: str, application_id: int, decision: str, **extra: object
) -> ApplicationRead:
    viewer = world.authority(authority)
    return service.review_application(
        world.session,
        viewer,
        application_id,
        ReviewCreate(decision=decision, reason=extra.pop("reason", "按材料审核"), **extra),  # type: ignore[arg-type]
        policy=world.policy,
        actor=actor_for(viewer),
        now=world.now,
    )


def recognised(world: World, **kwargs: object) -> str:
    """A branch recognised by all three authorities; returns its number."""
    application = submitted(world, **kwargs)
    for code in AUTHORITIES:
        application = review(world, code, application.id, "approve")
    assert application.recognition is not None
    return application.recognition


def report(world: World, number: str, year: int) -> None:
    service.submit_report(
        world.session,
        world.bank,
        number,
        ReportCreate(year=year, narrative="年度绿色金融运营情况良好。", values=dict(GOOD_FORM)),
        policy=world.policy,
        actor=actor_for(world.bank),
        now=world.now,
    )


def find(world: World, authority: str, number: str, finding: str) -> None:
    viewer = world.authority(authority)
    service.record_finding(
        world.session,
        viewer,
        number,
        FindingCreate(finding=finding, reason="进一步调查核实"),  # type: ignore[arg-type]
        policy=world.policy,
        actor=actor_for(viewer),
        now=world.now,
    )


def tick(world: World) -> object:
    return service.tick(world.session, policy=world.policy, now=world.now)


Step = Callable[[World], object]
