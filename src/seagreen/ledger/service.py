"""Ledger use cases: open accounts, post batches of transfers, expire holds, verify the journal.

Every function runs inside the caller's transaction and only flushes; the entrypoint commits.
Posting locks the head of the hash chain first, so journal writers are serialised (on SQLite the
``BEGIN IMMEDIATE`` write lock does the same) and balance checks and writes happen in one
transaction: no read-then-write race can overdraw an account.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import orjson
from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import SYSTEM, Actor
from seagreen.kit.clock import now_micros
from seagreen.kit.gc_pause import cycle_collection_paused
from seagreen.ledger import repository
from seagreen.ledger.domain import (
    GENESIS_HASH,
    MAX_AMOUNT,
    RESOLVING,
    AccountFlags,
    Balance,
    Credit,
    Outcome,
    PendingInfo,
    TransferFlags,
    TransferRequest,
    TransferResult,
    apply_batch,
    chain_hash,
    credit_rows,
    journal_fields,
)
from seagreen.ledger.errors import AccountConflict, AccountNotFound, TransferRejected


class AccountSpec(NamedTuple):  # a bulk settlement opens one a resident: cheaper than a dataclass
    key: str
    unit: str
    flags: AccountFlags = AccountFlags.NONE
    description: str = ""


def open_accounts(session: Session, specs: Sequence[AccountSpec]) -> dict[str, int]:
    """Create the accounts that do not exist yet; return every key's id.

    Opening an existing key with the same unit and flags is a no-op; with others, a conflict.
    Which keys exist is asked of this process's account directory first (``account_meta``): a
    points settlement opens the account of each of its residents, and the real-time API settles
    a thousand residents a request, most of whose accounts were opened long before.
    """
    wanted = {spec.key: spec for spec in specs}
    existing = repository.account_meta(session, list(wanted), repository.read_epoch(session))
    epoch = ""
    if len(existing) < len(wanted):
        # Opening takes the posting lock, and marks every process's cached directory stale.
        repository.lock_head(session)
        epoch = repository.new_accounts_epoch(session)
        if not repository.writers_begin_locked(session):  # another may have opened some meanwhile
            existing = repository.account_meta_by_key(session, list(wanted))
    missing = _missing(wanted, existing)
    if not missing:
        return {key: account_id for key, (account_id, _unit, _flags) in existing.items()}
    now = now_micros()
    ids = repository.reserve_account_ids(session, len(missing))
    created = repository.insert_accounts(
        session, [_new_account(spec, account_id, now) for spec, account_id in zip(missing, ids, strict=True)]
    )
    opened = existing | created
    repository.remember_accounts(session, epoch, opened)  # for postings later in this transaction
    return {key: meta[0] for key, meta in opened.items()}


def _missing(wanted: dict[str, AccountSpec], existing: dict[str, tuple[int, str, int]]) -> list[AccountSpec]:
    """The wanted accounts that do not exist; a conflict if one exists with another unit or flags."""
    for key, (_account_id, unit, flags) in existing.items():
        spec = wanted.get(key)
        if spec is not None and (unit != spec.unit or flags != int(spec.flags)):
            raise AccountConflict(f"account {key!r} exists with unit {unit} and flags {flags}", key=key)
    return [spec for key, spec in wanted.items() if key not in existing]


def balance(session: Session, key: str) -> Balance:
    _, balances = repository.balances_by_key(session, [key])
    if not balances:
        raise AccountNotFound(f"no ledger account {key!r}", key=key)
    return next(iter(balances.values()))


def balances(session: Session, keys: Sequence[str]) -> dict[str, Balance]:
    ids, found = repository.balances_by_key(session, keys)
    return {key: found[account_id] for key, account_id in ids.items()}


def post_transfers(
    session: Session,
    requests: Sequence[TransferRequest],
    *,
    now_us: int | None = None,
    opening: Sequence[AccountSpec] = (),
) -> list[TransferResult]:
    """Apply a batch of transfers atomically per linked chain; one result per request, in order.

    ``opening``: accounts to open first, as ``open_accounts`` does, in this transaction (opened
    even if transfers fail). Those that do not exist yet are written once, with the balances the
    batch leaves them: a settlement that opens 100k residents' accounts and credits each would
    otherwise insert them at zero and then update every one (docs/decisions/0005, phase 17)."""
    if not requests and not opening:
        return []
    with cycle_collection_paused():  # the batch allocates only acyclic tuples and strings
        return _post_transfers(session, requests, now_us, opening)


def _post_transfers(
    session: Session, requests: Sequence[TransferRequest], now_us: int | None, opening: Sequence[AccountSpec]
) -> list[TransferResult]:
    now = now_micros() if now_us is None else now_us
    last_seq, last_hash, epoch = repository.lock_head(session)

    keys = [request.key for request in requests]
    existing = repository.existing_transfers(session, keys)
    pending_keys = [r.pending_key for r in requests if r.pending_key]
    pendings = repository.pendings_by_key(session, pending_keys) if pending_keys else {}
    debit_keys = {r.debit_account for r in requests}
    credit_keys = {r.credit_account for r in requests}
    wanted = {spec.key: spec for spec in opening}
    account_keys = (debit_keys | credit_keys | wanted.keys()) - {""}
    # under the head lock, so no other writer opens accounts meanwhile: the directory is current
    meta = repository.account_meta(session, list(account_keys), epoch)
    new_accounts = _missing(wanted, meta)
    # the accounts to open have their ids before they are written (no other writer holds the lock)
    new_ids = repository.reserve_account_ids(session, len(new_accounts))
    for spec, account_id in zip(new_accounts, new_ids, strict=True):
        meta[spec.key] = (account_id, spec.unit, int(spec.flags))
    opened = set(new_ids)
    balances, before = _working_balances(debit_keys, credit_keys, meta, pendings, session, opened)
    account_ids = {key: account_id for key, (account_id, _unit, _flags) in meta.items()}

    outcome = apply_batch(list(requests), account_ids, balances, existing, pendings, now)

    if new_accounts:
        repository.insert_accounts(
            session,
            [
                _new_account(spec, account_id, now, balances.get(account_id))
                for spec, account_id in zip(new_accounts, new_ids, strict=True)
            ],
        )
        # every process's directory is stale; this transaction's starts with what it has read
        repository.remember_accounts(session, repository.new_accounts_epoch(session), meta)

    seqs: list[int | None] = [None] * len(requests)
    rows = []
    for new in outcome.created:
        last_seq += 1
        row = (last_seq, *new[1:], now)  # NewTransfer's fields after ``position`` are the journal's order
        last_hash = chain_hash(last_hash, row)
        seqs[new.position] = last_seq
        rows.append((*row, last_hash))
    if rows:
        repository.insert_transfers(session, rows)
        # the accounts it opened were written with their balances
        touched = outcome.touched - opened if opened else outcome.touched
        repository.add_to_balances(session, _deltas(outcome.balances, before, touched))
        repository.set_head(session, last_seq, last_hash)

    results = [
        _new_tuple(TransferResult, (index, request.key, result, seqs[index]))
        for index, (request, result) in enumerate(zip(requests, outcome.outcomes, strict=True))
    ]
    for index, result in enumerate(results):
        if result.outcome is Outcome.EXISTS:  # the first transfer under this key, earlier or in this batch
            prior = existing.get(result.key)
            first = prior.seq if prior else next(r.seq for r in results if r.key == result.key and r.seq)
            results[index] = result._replace(seq=first)
    return results


_ZERO = (0, 0, 0, 0)
_new_tuple = tuple.__new__  # builds a NamedTuple without its Python-level constructor (hot path)
_RESOLVING = int(RESOLVING)
_DEBITS_LIMITED = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
_CREDITS_LIMITED = int(AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS)


def _working_balances(
    debit_keys: set[str],
    credit_keys: set[str],
    meta: dict[str, tuple[int, str, int]],
    pendings: dict[str, PendingInfo],
    session: Session,
    opened: set[int],
) -> tuple[dict[int, Balance], dict[int, tuple[int, int, int, int]]]:
    """The balances the engine works on, and what they were before.

    Only an account whose limit a request in the batch may have to check (a limited account on
    the side its limit guards) is read from the database. Every other account starts from zero,
    so what the engine does to it is a delta, added in place afterwards: an issuing account or a
    wallet that only receives needs no read at all; nor does one being ``opened``.
    """
    must_read = {meta[key][0] for key in debit_keys if key in meta and meta[key][2] & _DEBITS_LIMITED} | {
        meta[key][0] for key in credit_keys if key in meta and meta[key][2] & _CREDITS_LIMITED
    }
    must_read -= opened
    balances = repository.balances_by_id(session, list(must_read)) if must_read else {}
    before = {account_id: b.totals() for account_id, b in balances.items()}
    for account_id, unit, flags in meta.values():
        if account_id not in balances:
            balances[account_id] = Balance(account_id, unit, flags)
    for pending in pendings.values():
        for account_id in (pending.debit_account_id, pending.credit_account_id):
            if account_id not in balances:
                balances[account_id] = Balance(account_id, pending.unit)
    return balances, before


def _new_account(
    spec: AccountSpec, account_id: int, now_us: int, moved: Balance | None = None
) -> repository.NewAccount:
    """The row of an account to open: at zero, or with what the batch that opens it left on it
    (a settlement opens one for each of a file's 100k residents: built past ``NewAccount``'s
    Python-level constructor)."""
    totals = _ZERO if moved is None else moved.totals()
    return _new_tuple(
        repository.NewAccount,
        (account_id, spec.key, spec.unit, int(spec.flags), spec.description, now_us, *totals),
    )


def _deltas(
    balances: dict[int, Balance], before: dict[int, tuple[int, int, int, int]], touched: set[int]
) -> list[tuple[int, int, int, int, int]]:
    deltas = []
    for account_id in sorted(touched):
        b = balances[account_id]
        dp, dd, cp, cd = before.get(account_id, _ZERO)
        deltas.append(
            (
                b.debits_pending - dp,
                b.debits_posted - dd,
                b.credits_pending - cp,
                b.credits_posted - cd,
                account_id,
            )
        )
    return deltas


def post_credits(
    session: Session,
    debit_account: str,
    credits: Sequence[Credit],
    *,
    code: str,
    now_us: int | None = None,
    opening: Sequence[AccountSpec] = (),
) -> int:
    """Post ``credits`` from one account as lone transfers that must all succeed (as
    ``post_or_raise``), in the caller's transaction; return how many were created.

    The common case (every key new, every account known or in ``opening``, one unit, positive
    amounts, no limit to check on either side) is written by ``domain.credit_rows``: the rows,
    balances and chain that ``post_transfers`` writes, without building a request, an outcome and
    a result a transfer (a bulk file's settlement posts 100k, docs/decisions/0005, phase 25). Any
    other batch goes through ``post_or_raise`` itself, so what it accepts, refuses or finds already
    posted is the engine's answer."""
    if not credits:
        post_transfers(session, [], opening=opening)  # the accounts opened, nothing posted
        return 0
    with cycle_collection_paused():
        created = _post_credits(session, debit_account, credits, code, now_us, opening)
    if created is not None:
        return created
    requests = [
        TransferRequest(key, debit_account, account, amount, code, memo=orjson.loads(memo))
        for key, account, amount, memo in credits
    ]
    results = post_or_raise(session, requests, now_us=now_us, opening=opening)
    return sum(1 for result in results if result.outcome is Outcome.CREATED)


def _post_credits(
    session: Session,
    debit_account: str,
    credits: Sequence[Credit],
    code: str,
    now_us: int | None,
    opening: Sequence[AccountSpec],
) -> int | None:
    """``post_credits``' common case; ``None`` (nothing written) where the engine must decide."""
    keys = [credit.key for credit in credits]
    accounts = [credit.credit_account for credit in credits]
    if (
        len(set(keys)) < len(keys)
        or len(set(accounts)) < len(accounts)
        or debit_account in accounts
        or not all(key and 0 < amount <= MAX_AMOUNT for key, _, amount, _ in credits)
        or sum(credit.amount for credit in credits) > MAX_AMOUNT  # the engine: overflows_debits
    ):
        return None
    now = now_micros() if now_us is None else now_us
    last_seq, last_hash, epoch = repository.lock_head(session)
    if repository.existing_transfers(session, keys):
        return None
    wanted = {spec.key: spec for spec in opening}
    meta = repository.account_meta(session, list({debit_account, *accounts, *wanted} - {""}), epoch)
    if debit_account not in meta and debit_account not in wanted:
        return None
    if any(account not in meta and account not in wanted for account in accounts):
        return None
    new_accounts = _missing(wanted, meta)
    for spec in new_accounts:  # their unit and flags for the checks; ids only once nothing can fail
        meta[spec.key] = (0, spec.unit, int(spec.flags))
    debit_unit, debit_flags = meta[debit_account][1:]
    if debit_flags & _DEBITS_LIMITED or any(
        meta[account][1] != debit_unit or meta[account][2] & _CREDITS_LIMITED for account in accounts
    ):
        return None
    new_ids = repository.reserve_account_ids(session, len(new_accounts))
    for spec, account_id in zip(new_accounts, new_ids, strict=True):
        meta[spec.key] = (account_id, spec.unit, int(spec.flags))
    credit_ids = [meta[account][0] for account in accounts]
    debit_id = meta[debit_account][0]
    rows = credit_rows(
        debit_account,
        debit_id,
        credits,
        credit_ids,
        unit=debit_unit,
        code=code,
        last_seq=last_seq,
        last_hash=last_hash,
        now_us=now,
    )
    # what the batch moves: the debit account's total, each credit account's amount (posted)
    moved = {credit_id: amount for credit_id, (_, _, amount, _) in zip(credit_ids, credits, strict=True)}
    total = sum(moved.values())
    opened = set(new_ids)
    if new_accounts:
        repository.insert_accounts(
            session,
            [
                _new_tuple(
                    repository.NewAccount,
                    (account_id, spec.key, spec.unit, int(spec.flags), spec.description, now,
                     *((0, total, 0, 0) if account_id == debit_id else (0, 0, 0, moved.get(account_id, 0)))),
                )
                for spec, account_id in zip(new_accounts, new_ids, strict=True)
            ],
        )  # fmt: skip
        repository.remember_accounts(session, repository.new_accounts_epoch(session), meta)
    repository.insert_transfers(session, rows)
    deltas = [(0, 0, 0, amount, account) for account, amount in moved.items() if account not in opened]
    if debit_id not in opened:
        deltas.append((0, total, 0, 0, debit_id))
    repository.add_to_balances(session, sorted(deltas, key=lambda delta: delta[4]))
    repository.set_head(session, rows[-1][0], rows[-1][-1])
    return len(rows)


def post_or_raise(
    session: Session,
    requests: Sequence[TransferRequest],
    *,
    now_us: int | None = None,
    opening: Sequence[AccountSpec] = (),
) -> list[TransferResult]:
    """Post a batch that must succeed as a whole; raise (the entrypoint then rolls back) if not."""
    results = post_transfers(session, requests, now_us=now_us, opening=opening)
    for result in results:
        if result.outcome is not Outcome.CREATED and result.outcome is not Outcome.EXISTS:
            raise TransferRejected(
                f"transfer {result.key!r} refused: {result.outcome.value}",
                key=result.key,
                outcome=result.outcome.value,
            )
    return results


def transfer(
    session: Session,
    key: str,
    debit_account: str,
    credit_account: str,
    amount: int,
    *,
    code: str = "transfer",
    memo: dict[str, object] | None = None,
) -> TransferResult:
    """One posted transfer that must succeed."""
    request = TransferRequest(key, debit_account, credit_account, amount, code, memo=memo or {})
    return post_or_raise(session, [request])[0]


def reverse(session: Session, key: str, reversal_key: str, reason: str) -> TransferResult:
    """Correct a posted transfer by a transfer the other way (history is never edited)."""
    original = repository.transfer_by_key(session, key)
    if original is None:
        raise AccountNotFound(f"no transfer {key!r}", key=key)
    if original.flags & (TransferFlags.PENDING | TransferFlags.VOID_PENDING | TransferFlags.EXPIRE_PENDING):
        raise TransferRejected(f"transfer {key!r} moved no posted amount", key=key, outcome="not_posted")
    keys = repository.account_keys_by_id(session, [original.debit_account_id, original.credit_account_id])
    request = TransferRequest(
        key=reversal_key,
        debit_account=keys[original.credit_account_id],
        credit_account=keys[original.debit_account_id],
        amount=int(original.amount),
        code="reversal",
        memo={"reverses": key, "reason": reason},
    )
    return post_or_raise(session, [request])[0]


def expire_pending(
    session: Session, *, now_us: int | None = None, limit: int = 10_000, actor: Actor = SYSTEM
) -> int:
    """Release every pending transfer whose timeout has passed; return how many were released
    (and, when any were, record it in the audit log)."""
    now = now_micros() if now_us is None else now_us
    keys = repository.expired_pending_keys(session, now, limit)
    requests = [
        TransferRequest(
            key=f"expire:{key}", pending_key=key, code="expiry", flags=TransferFlags.EXPIRE_PENDING
        )
        for key in keys
    ]
    results = post_transfers(session, requests, now_us=now)
    released = [result for result in results if result.outcome is Outcome.CREATED]
    if released:
        audit.record(
            session,
            actor,
            "ledger.holds.expire",
            "ledger",
            "pending",
            details={"released": len(released), "first_seq": released[0].seq, "last_seq": released[-1].seq},
        )
    return len(released)


@dataclass
class VerifyReport:
    rows: int = 0
    accounts: int = 0
    head_seq: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session, *, progress: Callable[[int, int], None] | None = None) -> VerifyReport:
    """Recompute the hash chain and every balance from the journal; report the first broken row.

    Catches a row edited, inserted or deleted behind the ledger's back, a tail cut off, and a
    balance that no longer matches the journal. ``progress(done, total)`` is called every
    10,000 rows (for a progress bar).
    """
    report = VerifyReport()
    head_seq, head_hash = repository.read_head(session)
    report.head_seq = head_seq
    expected_seq = 1
    running = GENESIS_HASH
    totals: dict[int, list[int]] = {}
    open_pending: dict[int, tuple[int, int, int]] = {}

    def bucket(account_id: int) -> list[int]:
        return totals.setdefault(account_id, [0, 0, 0, 0])

    for row in repository.journal(session):
        report.rows += 1
        if progress is not None and report.rows % 10_000 == 0:
            progress(report.rows, head_seq)
        fields = journal_fields(
            row.seq,
            row.key,
            row.debit_account_id,
            row.credit_account_id,
            row.amount,
            row.unit,
            row.flags,
            row.pending_seq,
            row.expires_at_us,
            row.code,
            row.memo,
            row.content_hash,
            row.created_at_us,
        )
        if row.seq != expected_seq:
            kind = "missing" if row.seq > expected_seq else "duplicated"
            report.problems.append(f"seq {expected_seq}: row {kind} (next row found is seq {row.seq})")
            return report
        running = chain_hash(running, fields)
        if running != row.chain_hash:
            report.problems.append(f"seq {row.seq} (key {row.key!r}): hash does not match its content")
            return report
        expected_seq += 1
        debit, credit = bucket(row.debit_account_id), bucket(row.credit_account_id)
        if row.flags & TransferFlags.PENDING:
            debit[0] += row.amount
            credit[2] += row.amount
            open_pending[row.seq] = (row.debit_account_id, row.credit_account_id, row.amount)
        elif row.flags & (
            TransferFlags.POST_PENDING | TransferFlags.VOID_PENDING | TransferFlags.EXPIRE_PENDING
        ):
            held = open_pending.pop(row.pending_seq, None)
            if held is None:
                report.problems.append(
                    f"seq {row.seq}: resolves pending seq {row.pending_seq}, which is not open"
                )
                return report
            bucket(held[0])[0] -= held[2]
            bucket(held[1])[2] -= held[2]
            if row.flags & TransferFlags.POST_PENDING:
                debit[1] += row.amount
                credit[3] += row.amount
        else:
            debit[1] += row.amount
            credit[3] += row.amount
    if expected_seq - 1 != head_seq or running != (head_hash if head_seq else GENESIS_HASH):
        report.problems.append(
            f"head says seq {head_seq}, journal ends at seq {expected_seq - 1}: rows missing at the end"
            if expected_seq - 1 != head_seq
            else f"seq {head_seq}: the head hash does not match the journal"
        )
        return report
    for account in repository.all_balances(session):
        report.accounts += 1
        stored = [
            account.debits_pending,
            account.debits_posted,
            account.credits_pending,
            account.credits_posted,
        ]
        expected = totals.get(int(account.id), [0, 0, 0, 0])
        if [int(v) for v in stored] != expected:
            report.problems.append(
                f"account {account.key!r}: stored balances {stored} differ from the journal's {expected}"
            )
            return report
    return report


@dataclass(frozen=True)
class LedgerStats:
    transfers: int
    accounts: int
    head_hash: str


def stats(session: Session) -> LedgerStats:
    last_seq, last_hash = repository.read_head(session)
    return LedgerStats(transfers=last_seq, accounts=repository.account_count(session), head_hash=last_hash)


@dataclass(frozen=True)
class AccountView:
    key: str
    unit: str
    flags: int
    description: str
    balance: Balance


@dataclass(frozen=True)
class JournalEntry:
    seq: int
    key: str
    debit_account: str
    credit_account: str
    amount: int
    unit: str
    flags: int
    code: str
    memo: dict[str, object]
    pending_seq: int | None
    created_at_us: int
    chain_hash: str


def account(session: Session, key: str) -> AccountView:
    row = repository.account_by_key(session, key)
    if row is None:
        raise AccountNotFound(f"no ledger account {key!r}", key=key)
    balance = Balance(
        row.id,
        row.unit,
        row.flags,
        row.debits_pending,
        row.debits_posted,
        row.credits_pending,
        row.credits_posted,
    )
    return AccountView(row.key, row.unit, row.flags, row.description, balance)


def account_history(
    session: Session, key: str, *, limit: int = 50, before_seq: int | None = None
) -> tuple[AccountView, list[JournalEntry]]:
    """An account and its journal entries, newest first (keyset pagination by ``before_seq``)."""
    view = account(session, key)
    rows = repository.transfers_of_account(session, view.balance.account_id, limit, before_seq)
    entries = [
        JournalEntry(
            seq=row.seq,
            key=row.key,
            debit_account=row.debit_account,
            credit_account=row.credit_account,
            amount=row.amount,
            unit=row.unit,
            flags=row.flags,
            code=row.code,
            memo=orjson.loads(row.memo),
            pending_seq=row.pending_seq,
            created_at_us=row.created_at_us,
            chain_hash=row.chain_hash,
        )
        for row in rows
    ]
    return view, entries
