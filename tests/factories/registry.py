"""Builders for the registry's tests: organisations and actors, projects taken to any state through
the real use cases (with the dates a real review would have), issued credits, a signing key."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from seagreen.audit.domain import Actor, ActorKind
from seagreen.identity.domain import OrgKind
from seagreen.registry import service
from seagreen.registry.schemas import IssuanceRead, ProjectCreate
from seagreen.registry.signing import Signer
from tests.factories.identity import make_org, unique

SIGNER = Signer(base64.b64encode(bytes(range(1, 33))).decode())
CALENDAR = service.working_calendar()
T0 = datetime(2024, 4, 22, 2, tzinfo=UTC)  # a Monday, 10:00 in Weihai; a notice then ends on 2024-04-30


def actor_for(org_code: str, label: str | None = None) -> Actor:
    return Actor(ActorKind.USER, label or org_code, label or f"user of {org_code}", org_code)


@dataclass
class Cast:
    """The organisations of a registry test: an owner, an authority, two banks, a branch, a buyer."""

    owner: str
    authority: str
    bank: str
    other_bank: str
    branch: str
    buyer: str

    @property
    def owner_actor(self) -> Actor:
        return actor_for(self.owner)

    @property
    def authority_actor(self) -> Actor:
        return actor_for(self.authority)

    @property
    def bank_actor(self) -> Actor:
        return actor_for(self.bank)

    @property
    def other_bank_actor(self) -> Actor:
        return actor_for(self.other_bank)

    @property
    def buyer_actor(self) -> Actor:
        return actor_for(self.buyer)


def make_cast(session: Session) -> Cast:
    service.load_shipped(session)
    bank = make_org(session, OrgKind.BANK)
    return Cast(
        owner=make_org(session, OrgKind.PROJECT_OWNER).code,
        authority=make_org(session, OrgKind.AUTHORITY).code,
        bank=bank.code,
        other_bank=make_org(session, OrgKind.BANK).code,
        branch=make_org(session, OrgKind.BANK_BRANCH, parent=bank.code).code,
        buyer=make_org(session, OrgKind.BUYER).code,
    )


def seagrass_inputs(**changes: Any) -> dict[str, Any]:
    inputs = service.demo_inputs("rongcheng-seagrass-2021-2023")
    inputs.update(changes)
    return inputs


def oyster_inputs(fresh_t: str = "100") -> dict[str, Any]:
    return {"culture": "non-fed", "harvests": [{"species": "oyster", "fresh_weight_t": fresh_t}]}


def project_body(methodology: str = "seagrass-restoration", **changes: Any) -> ProjectCreate:
    values: dict[str, Any] = {
        "name_zh": unique("测试海草床"),
        "methodology": methodology,
        "location": "荣成天鹅湖",
        "area_mu": Decimal(200),
        "crediting_start": date(2021, 1, 1),
        "crediting_end": date(2040, 12, 31),
    }
    values.update(changes)
    return ProjectCreate(**values)


def submitted_project(session: Session, cast: Cast, body: ProjectCreate | None = None) -> str:
    code = service.register(session, body or project_body(), actor=cast.owner_actor, now=T0).code
    service.add_document(
        session,
        code,
        filename="pdd.pdf",
        content=b"%PDF-1.4 test",
        actor=cast.owner_actor,
        now=T0,
    )
    service.submit(session, code, actor=cast.owner_actor, now=T0)
    return code


def noticed_project(session: Session, cast: Cast, body: ProjectCreate | None = None) -> str:
    code = submitted_project(session, cast, body)
    service.review(session, code, "start_notice", "", actor=cast.authority_actor, calendar=CALENDAR, now=T0)
    return code


AFTER_NOTICE = T0 + timedelta(days=17)  # 2024-05-09, after the notice's last day


def filed_project(
    session: Session,
    cast: Cast,
    body: ProjectCreate | None = None,
    *,
    buffer_share: Decimal = Decimal("0.10"),
) -> str:
    code = noticed_project(session, cast, body)
    service.file(session, code, actor=cast.authority_actor, buffer_share=buffer_share, now=AFTER_NOTICE)
    return code


def issued(
    session: Session,
    cast: Cast,
    code: str,
    inputs: dict[str, Any],
    period: tuple[date, date] = (date(2021, 1, 1), date(2023, 12, 31)),
    *,
    at: datetime = AFTER_NOTICE + timedelta(days=5),
) -> IssuanceRead:
    report = service.submit_report(session, code, *period, inputs, actor=cast.owner_actor, now=at)
    service.verify_report(session, report.id, "核证机构", "无误", actor=cast.authority_actor, now=at)
    return service.issue(session, report.id, actor=cast.authority_actor, now=at)


def oyster_project_with_credits(
    session: Session, cast: Cast, fresh_t: str = "100", *, buffer_share: Decimal = Decimal("0.10")
) -> tuple[str, IssuanceRead]:
    """A filed oyster project with one year issued (100 t of fresh oysters: 35 t, 4 to the buffer)."""
    code = filed_project(
        session,
        cast,
        project_body("shellfish-csc", crediting_start=date(2023, 1, 1), crediting_end=date(2032, 12, 31)),
        buffer_share=buffer_share,
    )
    issuance = issued(session, cast, code, oyster_inputs(fresh_t), (date(2023, 1, 1), date(2023, 12, 31)))
    return code, issuance


def sale(key: str, project: str, quantity: int, to_org: str, price_fen: int = 6000) -> service.MoveRequest:
    return service.MoveRequest(
        key=key,
        kind=service.SALE,
        project=project,
        quantity=quantity,
        to_org=to_org,
        price_fen_per_t=price_fen,
    )


def transfer(
    key: str, project: str, to_org: str, quantity: int | None = None, serials: tuple[int, int] | None = None
) -> service.MoveRequest:
    start, end = serials if serials else (None, None)
    return service.MoveRequest(
        key=key,
        kind=service.TRANSFER,
        project=project,
        quantity=quantity,
        serial_start=start,
        serial_end=end,
        to_org=to_org,
    )


def retirement(
    key: str,
    project: str,
    quantity: int | None = None,
    serials: tuple[int, int] | None = None,
    **changes: Any,
) -> service.MoveRequest:
    start, end = serials if serials else (None, None)
    values: dict[str, Any] = {
        "key": key,
        "kind": service.RETIREMENT,
        "project": project,
        "quantity": quantity,
        "serial_start": start,
        "serial_end": end,
        "beneficiary_name": "威海市商业银行荣成支行",
        "purpose": "网点 2024 年度运营碳中和",
        "claim_start": date(2024, 1, 1),
        "claim_end": date(2024, 12, 31),
    }
    values.update(changes)
    return service.MoveRequest(**values)
