"""Builders for benefits' tests: providers, terms, benefits, residents with points, transactions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from seagreen.benefits import service
from seagreen.benefits.domain import BenefitTerms
from seagreen.carbon_account.service import lifecycle
from seagreen.carbon_account.service.points import ISSUING_ACCOUNT, resident_account
from seagreen.identity import service as identity
from seagreen.identity.domain import OrgKind
from seagreen.kit.clock import to_micros
from seagreen.ledger import service as ledger
from seagreen.ledger.domain import TransferRequest
from tests.factories.identity import TEST_ACTOR, unique

VOUCHER_KEY = b"test-voucher-key-test-voucher-key"


def make_provider(session: Session, code: str | None = None) -> str:
    code = code or unique("provider-")
    identity.ensure_org(
        session,
        code=code,
        kind=OrgKind.BENEFIT_PROVIDER,
        name_zh=f"权益方{code}",
        name_en=f"Provider {code}",
        actor=TEST_ACTOR,
    )
    return code


def terms(**overrides: Any) -> BenefitTerms:
    values: dict[str, Any] = {
        "code": unique("bus-ride-"),
        "kind": "transit",
        "name_zh": "1分钱乘公交",
        "name_en": "1-cent bus ride",
        "price_points": 20,
        "stock": 100,
        "per_resident_limit": 4,
        "limit_period": "month",
        "validity_days": 30,
        "refund_on_expiry": True,
        "subsidised": False,
        "unit_cost_fen": 0,
        "monthly_budget_fen": None,
    }
    values.update(overrides)
    return BenefitTerms(**values)


def make_benefit(session: Session, provider: str | None = None, **overrides: Any) -> service.BenefitView:
    return service.create_benefit(
        session, terms(**overrides), provider=provider or make_provider(session), actor=TEST_ACTOR
    )


def make_funded_resident(
    session: Session, points: int, *, ref: str | None = None, at: datetime | None = None
) -> tuple[str, int]:
    """A resident known by ref with ``points`` earned (posted straight to the ledger)."""
    ref = ref or unique("bf-r")
    ids, _ = identity.ensure_resident_refs(session, [ref], actor=TEST_ACTOR)
    if points:
        ledger.open_accounts(
            session, [ledger.AccountSpec(ISSUING_ACCOUNT, "points"), lifecycle.resident_account_spec(ref)]
        )
        ledger.post_or_raise(
            session,
            [TransferRequest(f"fund:{ref}:{points}", ISSUING_ACCOUNT, resident_account(ref), points, "earn")],
            now_us=None if at is None else to_micros(at),
        )
    return ref, ids[ref]


def transactions(factory: sessionmaker[Session]) -> Callable[[], AbstractContextManager[Session]]:
    @contextmanager
    def unit() -> Iterator[Session]:
        session = factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    return unit
