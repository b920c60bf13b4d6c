"""The one-time sign-in codes of residents (登录验证码). Only keyed digests are stored."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from seagreen.db.base import Base, BigIntPK


class LoginCodeRow(Base):
    """A code sent to a phone: by the phone's keyed hash, with the requesting client's keyed
    hash (for throttling), its digest, expiry, attempts and whether it was used."""

    __tablename__ = "resident_login_codes"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    phone_hash: Mapped[str] = mapped_column(String(64))
    client_hash: Mapped[str] = mapped_column(String(64))
    code_digest: Mapped[str | None] = mapped_column(String(64))  # NULL: not sent (unknown phone)
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    expires_at_us: Mapped[int] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer)
    consumed_at_us: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_resident_login_codes_phone_hash_created_at_us", "phone_hash", "created_at_us"),
        Index("ix_resident_login_codes_client_hash_created_at_us", "client_hash", "created_at_us"),
    )
