"""Pure rules of identity and access: organisation kinds, roles, who may hold which role,
the shape of credentials, login lockout and the signed-in ``Principal``.

Nothing here touches the database or the web; the service applies these rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from seagreen.audit.domain import Actor, ActorKind


class OrgKind(StrEnum):
    """What an organisation (机构) is to the platform."""

    OPERATOR = "operator"  # 平台运营方
    DATA_PARTNER = "data_partner"  # 数据合作方: bus company, utilities, government service platform
    BANK = "bank"  # 银行
    BANK_BRANCH = "bank_branch"  # 银行支行, belongs to a bank
    AUTHORITY = "authority"  # 金融管理部门: PBoC Weihai, NFRA Weihai, the local finance bureau
    PROJECT_OWNER = "project_owner"  # 碳汇项目业主
    BUYER = "buyer"  # 碳汇买方
    BENEFIT_PROVIDER = "benefit_provider"  # 权益提供方 (redemption catalogue)


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    OPERATOR = "operator"
    PARTNER = "partner"
    BANK_OFFICER = "bank_officer"
    AUTHORITY_REVIEWER = "authority_reviewer"
    PROJECT_OWNER = "project_owner"
    BUYER = "buyer"
    BENEFIT_PROVIDER = "benefit_provider"
    RESIDENT = "resident"  # 居民; held only by resident logins, never by an organisation's staff


ROLES_BY_ORG_KIND: dict[OrgKind, frozenset[Role]] = {
    OrgKind.OPERATOR: frozenset({Role.PLATFORM_ADMIN, Role.OPERATOR}),
    OrgKind.DATA_PARTNER: frozenset({Role.PARTNER}),
    OrgKind.BANK: frozenset({Role.BANK_OFFICER, Role.PARTNER}),
    OrgKind.BANK_BRANCH: frozenset({Role.BANK_OFFICER}),
    OrgKind.AUTHORITY: frozenset({Role.AUTHORITY_REVIEWER}),
    OrgKind.PROJECT_OWNER: frozenset({Role.PROJECT_OWNER}),
    OrgKind.BUYER: frozenset({Role.BUYER}),
    OrgKind.BENEFIT_PROVIDER: frozenset({Role.BENEFIT_PROVIDER}),
}
RESIDENT_ROLES = frozenset({Role.RESIDENT})


def allowed_roles(org_kind: OrgKind | None) -> frozenset[Role]:
    """Roles a member (or API key) of an organisation of this kind may hold; ``None`` is a resident."""
    return RESIDENT_ROLES if org_kind is None else ROLES_BY_ORG_KIND[org_kind]


def refused_roles(org_kind: OrgKind | None, roles: Iterable[str]) -> list[str]:
    """The roles in ``roles`` that an organisation of ``org_kind`` may not hold, sorted."""
    allowed = {str(role) for role in allowed_roles(org_kind)}
    return sorted({str(role) for role in roles} - allowed)


def effective_roles(org_kind: OrgKind | None, roles: Iterable[str]) -> frozenset[str]:
    """The roles a caller really has: those it was given that its organisation's kind allows.

    The service refuses other roles when they are given; this also holds if a kind's rules
    change later, or a row is edited behind the service's back.
    """
    allowed = {str(role) for role in allowed_roles(org_kind)}
    return frozenset(str(role) for role in roles if str(role) in allowed)


def parent_kind_required(kind: OrgKind) -> OrgKind | None:
    """A bank branch (支行) names its bank; no other kind has a parent."""
    return OrgKind.BANK if kind is OrgKind.BANK_BRANCH else None


ORG_CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,31}\Z")
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,63}\Z")
SCOPE_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*(:[a-z0-9_*]+)*)\Z")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


def normalise_username(username: str) -> str:
    return username.strip().lower()


def is_valid_org_code(code: str) -> bool:
    """Short lower-case codes such as ``wh-pbc`` or ``icbc-weihai``."""
    return bool(ORG_CODE_PATTERN.match(code))


def is_valid_username(username: str) -> bool:
    return bool(USERNAME_PATTERN.match(username))


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or ``None``. Length is what matters (NIST SP 800-63B)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"a password may have at most {MAX_PASSWORD_LENGTH} characters"
    return None


# API keys look like ``sg_<prefix>_<secret>``: the prefix is public (shown in lists, used to find
# the key), the secret is shown once when the key is created.
API_KEY_PATTERN = re.compile(r"^sg_([a-z0-9]{8})_([A-Za-z0-9_-]{20,})\Z")
API_KEY_PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
API_KEY_PREFIX_LENGTH = 8
ALL_SCOPES = "*"


def format_api_key(prefix: str, secret: str) -> str:
    return f"sg_{prefix}_{secret}"


def parse_api_key(raw: str) -> str | None:
    """The public prefix of a well-formed API key, or ``None`` if ``raw`` cannot be one."""
    match = API_KEY_PATTERN.match(raw.strip())
    return match.group(1) if match else None


def scope_allows(scopes: Iterable[str], scope: str) -> bool:
    """Whether a key's scopes grant ``scope``: ``*`` grants all, ``carbon:*`` all of ``carbon:…``."""
    for held in scopes:
        if held in (ALL_SCOPES, scope):
            return True
        if held.endswith(":*") and scope.startswith(held[:-1]):
            return True
    return False


def is_valid_scope(scope: str) -> bool:
    return bool(SCOPE_PATTERN.match(scope))


# last_used_at is written at most this often, so a busy key does not write on every request.
API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)


def touch_due(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= API_KEY_TOUCH_INTERVAL


@dataclass(frozen=True)
class LockoutPolicy:
    """After ``max_failures`` wrong passwords in a row, a username is locked for ``lock_for``."""

    max_failures: int = 5
    lock_for: timedelta = timedelta(minutes=15)


DEFAULT_LOCKOUT = LockoutPolicy()


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and now < locked_until


def after_failed_login(
    failures: int, now: datetime, policy: LockoutPolicy = DEFAULT_LOCKOUT
) -> tuple[int, datetime | None]:
    """The new failure count and lock time after one more wrong password.

    Reaching the limit locks the username and starts the count again, so that after the lock
    ends the user has the full number of tries once more.
    """
    failures += 1
    if failures >= policy.max_failures:
        return 0, now + policy.lock_for
    return failures, None


def session_expiry(now: datetime, hours: int) -> datetime:
    return now + timedelta(hours=hours)


class PrincipalKind(StrEnum):
    USER = "user"
    API_KEY = "api_key"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a signed-in user (browser session) or an API key, with their roles.

    ``csrf`` is set only for browser sessions: forms must echo it back. ``org_*`` are ``None``
    for residents, who belong to no organisation. ``scopes`` narrow what an API key may do;
    users have none and are limited by their roles alone.
    """

    kind: PrincipalKind
    user_id: int | None
    api_key_id: int | None
    org_id: int | None
    org_code: str | None
    org_kind: OrgKind | None
    roles: frozenset[str]
    scopes: frozenset[str]
    display_name: str
    csrf: str | None = None
    resident_id: int | None = None

    def has_any_role(self, roles: Iterable[str]) -> bool:
        return bool(self.roles & {str(role) for role in roles})

    def has_scope(self, scope: str) -> bool:
        return self.kind is PrincipalKind.USER or scope_allows(self.scopes, scope)

    def as_actor(self) -> Actor:
        if self.kind is PrincipalKind.API_KEY:
            return Actor(ActorKind.API_KEY, str(self.api_key_id), self.display_name, self.org_code)
        return Actor(ActorKind.USER, str(self.user_id), self.display_name, self.org_code)


@dataclass(frozen=True)
class Organisation:
    id: int
    code: str
    kind: OrgKind
    name_zh: str
    name_en: str
    parent_id: int | None
    parent_code: str | None
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    org_id: int | None
    org_code: str | None
    org_kind: OrgKind | None
    roles: frozenset[str]
    active: bool
    resident_id: int | None
    created_at: datetime
    has_password: bool


@dataclass(frozen=True)
class ApiKey:
    id: int
    prefix: str
    name: str
    org_id: int
    org_code: str
    roles: frozenset[str]
    scopes: frozenset[str]
    created_by_user_id: int | None
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class IssuedApiKey:
    """A new API key: ``key`` is the only time the full key exists outside the caller's hands."""

    key: str
    api_key: ApiKey


@dataclass(frozen=True)
class ResidentContact:
    """A resident's contact details (联系方式), kept encrypted at rest."""

    name: str = ""
    phone: str = ""
    address: str = ""


@dataclass(frozen=True)
class Resident:
    """A resident (居民) as the platform knows them: a public pseudonymous ``ref`` and nothing more."""

    id: int
    ref: str
    active: bool
    created_at: datetime
    has_national_id: bool


@dataclass(frozen=True)
class LoginResult:
    """What a password login came to; ``principal`` and ``session_token`` are set on success."""

    ok: bool
    principal: Principal | None = None
    session_token: str | None = None
    expires_at: datetime | None = None
