"""Organisations, users, API keys and residents for tests, made through the identity service."""

from __future__ import annotations

import itertools
import re

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from seagreen.audit.domain import Actor
from seagreen.config import Settings
from seagreen.identity import credentials, service
from seagreen.identity.domain import ROLES_BY_ORG_KIND, Organisation, OrgKind, ResidentContact, User
from seagreen.identity.pii import PiiProtector, national_id_check_digit
from seagreen.kit.keys import load_keys

PASSWORD = "tide-and-seagrass-42"
TEST_ACTOR = Actor.system("tests")

_serial = itertools.count(1)


@pytest.fixture()
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with tiny costs: the same code paths, milliseconds instead of a second per login."""
    hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(credentials, "password_hasher", lambda: hasher)
    monkeypatch.setattr(credentials, "_dummy_hash", lambda: hasher.hash("not a real password"))


def unique(prefix: str) -> str:
    return f"{prefix}{next(_serial)}"


def org_kind_for(roles: tuple[str, ...]) -> OrgKind:
    """An organisation kind whose members may hold all of ``roles``."""
    for kind, allowed in ROLES_BY_ORG_KIND.items():
        if set(roles) <= {str(role) for role in allowed}:
            return kind
    raise ValueError(f"no organisation kind holds all of {roles}")


def make_org(
    session: Session, kind: OrgKind = OrgKind.OPERATOR, *, code: str | None = None, parent: str | None = None
) -> Organisation:
    if kind is OrgKind.BANK_BRANCH and parent is None:
        parent = make_org(session, OrgKind.BANK).code
    code = code or unique(f"{kind.value.replace('_', '-')}-")
    return service.create_org(
        session,
        code=code,
        kind=kind,
        name_zh=f"测试{code}",
        name_en=f"Test {code}",
        parent_code=parent,
        actor=TEST_ACTOR,
    )


def make_user(
    session: Session,
    roles: tuple[str, ...] = ("platform_admin",),
    *,
    org: Organisation | None = None,
    username: str | None = None,
    password: str | None = None,
) -> User:
    org = org or make_org(session, org_kind_for(roles))
    username = username or unique("user")
    return service.create_user(
        session,
        username=username,
        display_name=f"测试用户 {username}",
        org_code=org.code,
        roles=roles,
        password=password,
        actor=TEST_ACTOR,
    )


def make_api_key(
    session: Session, roles: tuple[str, ...] = ("platform_admin",), *, org: Organisation | None = None
) -> str:
    """A new API key (the full key) for an organisation that may hold ``roles``."""
    org = org or make_org(session, org_kind_for(roles))
    return service.create_api_key(
        session, org_code=org.code, roles=roles, name=f"test key {'/'.join(roles)}", actor=TEST_ACTOR
    ).key


def pii_for(settings: Settings) -> PiiProtector:
    return PiiProtector.from_keys(load_keys(settings))


def national_id(first17: str = "37100219900307123") -> str:
    """A valid 18-character ID number (its check digit computed) for made-up first 17 digits."""
    return first17 + national_id_check_digit(first17)


def make_resident(
    session: Session, settings: Settings, *, phone: str = "13806310000", national_id_number: str | None = None
) -> tuple[str, PiiProtector]:
    pii = pii_for(settings)
    resident = service.register_resident(
        session,
        phone=phone,
        national_id=national_id_number,
        contact=ResidentContact(name="王海燕", address="山东省威海市环翠区海滨北路 1 号"),
        pii=pii,
        actor=TEST_ACTOR,
    )
    return resident.ref, pii


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


_CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def form_csrf(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _CSRF_FIELD.search(html)
    assert match, "the page has no form with a csrf field"
    return match.group(1)


def browser_login(client: TestClient, username: str, password: str = PASSWORD, next_url: str = "/"):
    """Sign in through the login form, as a browser would; returns the POST's response."""
    form = client.get("/login", params={"next": next_url})
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf": form_csrf(form.text), "next": next_url},
        follow_redirects=False,
    )
