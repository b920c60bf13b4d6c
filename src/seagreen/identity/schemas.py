"""What the identity API takes and returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from seagreen.identity.domain import ALL_SCOPES, OrgKind, Role


class PrincipalRead(BaseModel):
    """Who the caller is (``GET /api/v1/me``)."""

    model_config = ConfigDict(from_attributes=True)

    kind: str
    display_name: str
    org_code: str | None
    org_kind: OrgKind | None
    roles: list[str]
    scopes: list[str]
    resident_id: int | None = None


class OrgCreate(BaseModel):
    code: str = Field(min_length=2, max_length=32, examples=["wh-pbc"])
    kind: OrgKind
    name_zh: str = Field(min_length=1, max_length=200, examples=["中国人民银行威海市分行"])
    name_en: str = Field(default="", max_length=200, examples=["PBoC Weihai Branch"])
    parent_code: str | None = Field(default=None, description="the bank of a bank branch")


class OrgRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    kind: OrgKind
    name_zh: str
    name_en: str
    parent_code: str | None
    active: bool
    created_at: datetime


class UserCreate(BaseModel):
    username: str = Field(min_length=3, max_length=64)
    display_name: str = Field(default="", max_length=200)
    org_code: str
    roles: list[Role] = Field(min_length=1)
    password: SecretStr | None = Field(
        default=None, description="at least 8 characters; without one the user cannot sign in yet"
    )


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    org_code: str | None
    roles: list[str]
    active: bool
    created_at: datetime


class DeactivateUser(BaseModel):
    reason: str = Field(default="", max_length=500)


class ApiKeyCreate(BaseModel):
    org_code: str
    roles: list[Role] = Field(min_length=1)
    scopes: list[str] = Field(default_factory=lambda: [ALL_SCOPES])
    name: str = Field(default="", max_length=200, examples=["bus ticketing feed"])


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    prefix: str
    name: str
    org_code: str
    roles: list[str]
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyIssued(ApiKeyRead):
    key: str = Field(description="the full key: shown once, store it now; SeaGreen keeps only its hash")


class RevokeApiKey(BaseModel):
    reason: str = Field(default="", max_length=500)


class ResidentCreate(BaseModel):
    phone: str = Field(max_length=32, examples=["138 0631 0000"])
    national_id: str | None = Field(default=None, max_length=32)
    name: str = Field(default="", max_length=100)
    address: str = Field(default="", max_length=300)


class ResidentLookup(BaseModel):
    """Find a resident by phone (or ID number). Sent in the body, so it never lands in URL logs."""

    phone: str | None = Field(default=None, max_length=32)
    national_id: str | None = Field(default=None, max_length=32)
    reason: str = Field(default="", max_length=500)


class ResidentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    ref: str
    active: bool
    created_at: datetime


class ResidentContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    phone: str
    address: str


class ResidentFound(BaseModel):
    resident: ResidentRead
    contact: ResidentContactRead
