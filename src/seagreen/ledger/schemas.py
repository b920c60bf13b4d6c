"""Ledger API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class LedgerStatusRead(BaseModel):
    transfers: int = Field(description="Journal rows so far (the head's sequence number).")
    accounts: int
    head_hash: str = Field(description="SHA-256 chain hash of the last journal row.")


class VerifyRead(BaseModel):
    ok: bool
    rows: int
    accounts: int
    head_seq: int
    problems: list[str]


class BalanceRead(BaseModel):
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int
    balance: int = Field(description="Posted credits less posted debits.")
    available: int = Field(description="Balance less pending debits (what can still be spent).")


class AccountRead(BaseModel):
    key: str
    unit: str
    flags: int
    description: str
    balances: BalanceRead


class JournalEntryRead(BaseModel):
    seq: int
    key: str
    debit_account: str
    credit_account: str
    amount: int
    unit: str
    flags: int
    code: str
    memo: dict[str, Any]
    pending_seq: int | None
    created_at: datetime
    chain_hash: str


class AccountHistoryRead(BaseModel):
    account: AccountRead
    entries: list[JournalEntryRead]
    next_before_seq: int | None = Field(description="Pass as before_seq for the next (older) page.")
