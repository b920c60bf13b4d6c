"""Ledger API for operators and authorities: status, verification, an account and its history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from seagreen.identity.access import Principal, require_roles
from seagreen.identity.domain import Role
from seagreen.kit.clock import from_micros
from seagreen.ledger import service
from seagreen.ledger.schemas import (
    AccountHistoryRead,
    AccountRead,
    BalanceRead,
    JournalEntryRead,
    LedgerStatusRead,
    VerifyRead,
)
from seagreen.web.deps import ReadSession

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])

LedgerReader = Annotated[
    Principal, Depends(require_roles(Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN, Role.OPERATOR))
]


def account_read(view: service.AccountView) -> AccountRead:
    b = view.balance
    return AccountRead(
        key=view.key,
        unit=view.unit,
        flags=view.flags,
        description=view.description,
        balances=BalanceRead(
            debits_pending=b.debits_pending,
            debits_posted=b.debits_posted,
            credits_pending=b.credits_pending,
            credits_posted=b.credits_posted,
            balance=b.net_credit,
            available=b.available,
        ),
    )


def entry_read(entry: service.JournalEntry) -> JournalEntryRead:
    return JournalEntryRead(
        seq=entry.seq,
        key=entry.key,
        debit_account=entry.debit_account,
        credit_account=entry.credit_account,
        amount=entry.amount,
        unit=entry.unit,
        flags=entry.flags,
        code=entry.code,
        memo=entry.memo,
        pending_seq=entry.pending_seq,
        created_at=from_micros(entry.created_at_us),
        chain_hash=entry.chain_hash,
    )


@router.get("/status", response_model=LedgerStatusRead, summary="Journal size and the head of the hash chain")
def status(_: LedgerReader, session: ReadSession) -> LedgerStatusRead:
    stats = service.stats(session)
    return LedgerStatusRead(transfers=stats.transfers, accounts=stats.accounts, head_hash=stats.head_hash)


@router.get("/verify", response_model=VerifyRead, summary="Recompute the hash chain and every balance")
def verify(_: LedgerReader, session: ReadSession) -> VerifyRead:
    report = service.verify(session)
    return VerifyRead(
        ok=report.ok,
        rows=report.rows,
        accounts=report.accounts,
        head_seq=report.head_seq,
        problems=report.problems,
    )


@router.get(
    "/accounts/{key}", response_model=AccountHistoryRead, summary="An account, its balances and history"
)
def account_history(
    key: str,
    _: LedgerReader,
    session: ReadSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before_seq: Annotated[int | None, Query(ge=1)] = None,
) -> AccountHistoryRead:
    view, entries = service.account_history(session, key, limit=limit, before_seq=before_seq)
    return AccountHistoryRead(
        account=account_read(view),
        entries=[entry_read(entry) for entry in entries],
        next_before_seq=entries[-1].seq if len(entries) == limit else None,
    )
