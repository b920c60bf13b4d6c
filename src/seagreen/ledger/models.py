"""Ledger tables. Transfers are append-only (a database trigger refuses UPDATE and DELETE)."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from seagreen.db.base import Base, BigIntPK

ACCOUNT_FILLFACTOR = 70


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    unit: Mapped[str] = mapped_column(String(24))
    flags: Mapped[int] = mapped_column(Integer, default=0)
    debits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    debits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at_us: Mapped[int] = mapped_column(BigInteger)

    # PostgreSQL: room on each page for the balance updates every transfer makes, so that they
    # stay heap-only (no index entries); migration 0410
    __table_args__ = ({"postgresql_with": {"fillfactor": ACCOUNT_FILLFACTOR}},)


class LedgerTransfer(Base):
    """One journal row. ``seq`` is gapless and ``chain_hash`` covers this row and the one before."""

    __tablename__ = "ledger_transfers"

    # On SQLite an INTEGER primary key is the rowid itself: no second index to maintain.
    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    debit_account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_accounts.id"), index=True)
    credit_account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str] = mapped_column(String(24))
    flags: Mapped[int] = mapped_column(Integer)
    pending_seq: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("ledger_transfers.seq"))
    expires_at_us: Mapped[int | None] = mapped_column(BigInteger)
    code: Mapped[str] = mapped_column(String(40))
    memo: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    chain_hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        # A pending transfer is resolved (posted, voided or expired) at most once.
        Index(
            "uq_ledger_transfers_pending_seq",
            "pending_seq",
            unique=True,
            postgresql_where=text("pending_seq IS NOT NULL"),
            sqlite_where=text("pending_seq IS NOT NULL"),
        ),
        Index(
            "ix_ledger_transfers_open_pending",
            "expires_at_us",
            postgresql_where=text("expires_at_us IS NOT NULL"),
            sqlite_where=text("expires_at_us IS NOT NULL"),
        ),
    )


class LedgerHead(Base):
    """The end of the hash chain: the last sequence number and its hash (a single row)."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
    # A new random value whenever accounts are opened: processes caching the account directory
    # (key -> id, unit, flags) drop their cache when it differs (see repository.account_meta).
    accounts_epoch: Mapped[str] = mapped_column(String(32))
