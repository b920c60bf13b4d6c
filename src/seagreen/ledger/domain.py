"""Pure ledger rules: what a batch of transfer requests does to a set of balances.

The engine is deterministic and has no I/O: the service loads the accounts, existing transfers
and pending transfers a batch touches, calls :func:`apply_batch`, and writes what it returns.
Semantics follow TigerBeetle:

* every transfer debits one account and credits another of the same unit, by a positive integer;
* an account may forbid its debits to exceed its credits (a points wallet) or the reverse;
* a transfer with ``LINKED`` succeeds only together with the next one (a chain ends at the first
  transfer without the flag); one failure fails the whole chain;
* a ``PENDING`` transfer reserves the amount; a later ``POST_PENDING`` moves all or part of it,
  ``VOID_PENDING`` releases it and an expiry releases it after its timeout;
* the same key with the same content is the same transfer (``exists``); with other content it is
  refused (``exists_with_different_content``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntFlag, StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

import orjson

GENESIS_HASH = "0" * 64
MAX_AMOUNT = 2**63 - 1


class AccountFlags(IntFlag):
    NONE = 0
    DEBITS_MUST_NOT_EXCEED_CREDITS = 1
    CREDITS_MUST_NOT_EXCEED_DEBITS = 2


class TransferFlags(IntFlag):
    NONE = 0
    LINKED = 1
    PENDING = 2
    POST_PENDING = 4
    VOID_PENDING = 8
    EXPIRE_PENDING = 16  # written by the ledger itself when a pending transfer times out


RESOLVING = TransferFlags.POST_PENDING | TransferFlags.VOID_PENDING | TransferFlags.EXPIRE_PENDING

# Plain ints for the hot path (IntFlag arithmetic costs a Python call per operation).
_LINKED = int(TransferFlags.LINKED)
_PENDING = int(TransferFlags.PENDING)
_RESOLVING = int(RESOLVING)
_DEBITS_LIMITED = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
_CREDITS_LIMITED = int(AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS)


class Unit(StrEnum):
    """Units in use. An account holds one unit; a transfer moves that unit only."""

    POINTS = "points"
    G_CO2E = "g_co2e"
    T_CO2E = "t_co2e"
    FEN = "fen"


class Outcome(StrEnum):
    CREATED = "created"
    EXISTS = "exists"
    EXISTS_WITH_DIFFERENT_CONTENT = "exists_with_different_content"
    LINKED_EVENT_FAILED = "linked_event_failed"
    LINKED_EVENT_CHAIN_OPEN = "linked_event_chain_open"
    KEY_MUST_NOT_BE_EMPTY = "key_must_not_be_empty"
    FLAGS_ARE_MUTUALLY_EXCLUSIVE = "flags_are_mutually_exclusive"
    ACCOUNTS_MUST_BE_DIFFERENT = "accounts_must_be_different"
    AMOUNT_MUST_BE_POSITIVE = "amount_must_be_positive"
    AMOUNT_TOO_LARGE = "amount_too_large"
    DEBIT_ACCOUNT_NOT_FOUND = "debit_account_not_found"
    CREDIT_ACCOUNT_NOT_FOUND = "credit_account_not_found"
    UNITS_MUST_MATCH = "units_must_match"
    TIMEOUT_RESERVED_FOR_PENDING = "timeout_reserved_for_pending_transfer"
    PENDING_TRANSFER_NOT_FOUND = "pending_transfer_not_found"
    PENDING_TRANSFER_NOT_PENDING = "pending_transfer_not_pending"
    PENDING_TRANSFER_ALREADY_RESOLVED = "pending_transfer_already_resolved"
    PENDING_TRANSFER_EXPIRED = "pending_transfer_expired"
    EXCEEDS_PENDING_AMOUNT = "exceeds_pending_transfer_amount"
    EXCEEDS_CREDITS = "exceeds_credits"
    EXCEEDS_DEBITS = "exceeds_debits"
    OVERFLOWS_DEBITS = "overflows_debits"
    OVERFLOWS_CREDITS = "overflows_credits"

    @property
    def ok(self) -> bool:
        return self in (Outcome.CREATED, Outcome.EXISTS)


@dataclass(slots=True)
class Balance:
    """An account's four running totals, TigerBeetle style, plus what constrains them."""

    account_id: int
    unit: str
    flags: int = 0
    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0

    @property
    def net_credit(self) -> int:
        """Posted credits less posted debits: a wallet's balance."""
        return self.credits_posted - self.debits_posted

    @property
    def available(self) -> int:
        """What a debit could still take from a credit-normal account."""
        return self.credits_posted - self.debits_posted - self.debits_pending

    def totals(self) -> tuple[int, int, int, int]:
        """``(debits_pending, debits_posted, credits_pending, credits_posted)``."""
        return (self.debits_pending, self.debits_posted, self.credits_pending, self.credits_posted)

    def copy(self) -> Balance:
        return Balance(
            self.account_id,
            self.unit,
            self.flags,
            self.debits_pending,
            self.debits_posted,
            self.credits_pending,
            self.credits_posted,
        )


NO_MEMO: Mapping[str, Any] = MappingProxyType({})


class TransferRequest(NamedTuple):
    """What a client asks for. Accounts are named by key; ``pending_key`` names the pending
    transfer that a post or void resolves (its accounts are then taken from it). ``amount`` of a
    post may be ``None`` (the whole pending amount).

    A named tuple (immutable, as a frozen dataclass is, and built in half the time): the points
    settlement of a bulk file builds one for each of its residents, the API's settler a thousand
    a round (docs/decisions/0005, phase 17)."""

    key: str
    debit_account: str = ""
    credit_account: str = ""
    amount: int | None = None
    code: str = "transfer"
    flags: TransferFlags = TransferFlags.NONE
    pending_key: str | None = None
    timeout_s: int | None = None
    memo: Mapping[str, Any] = NO_MEMO

    def content_hash(self, memo: bytes | None = None) -> str:
        """Hash of everything that defines the request, to tell a retry from a different request.

        ``memo`` is the canonical JSON of ``self.memo`` when the caller has it already.
        """
        fields = (
            self.debit_account,
            self.credit_account,
            self.amount,
            self.code,
            int(self.flags),
            self.pending_key,
            self.timeout_s,
        )
        return content_hash(fields, canonical_json_bytes(self.memo) if memo is None else memo)


def content_hash(fields: tuple[Any, ...], memo_json: bytes) -> str:
    """SHA-256 over a request's defining fields (``TransferRequest.content_hash``' order) as a
    compact JSON array, a unit separator, and its memo's canonical JSON."""
    return hashlib.sha256(orjson.dumps(fields) + b"\x1f" + memo_json).hexdigest()


@dataclass(frozen=True)
class PendingInfo:
    seq: int
    debit_account_id: int
    credit_account_id: int
    amount: int
    unit: str
    flags: int
    expires_at_us: int | None
    resolved: bool


@dataclass(frozen=True)
class ExistingTransfer:
    seq: int
    content_hash: str


class NewTransfer(NamedTuple):
    """A journal row the batch creates (``seq`` and the chain hash are assigned on write)."""

    position: int  # the request's place in its batch
    key: str
    debit_account_id: int
    credit_account_id: int
    amount: int
    unit: str
    flags: int
    pending_seq: int | None
    expires_at_us: int | None
    code: str
    memo: str
    content_hash: str


_new_tuple = tuple.__new__


class TransferResult(NamedTuple):
    position: int  # the request's place in its batch
    key: str
    outcome: Outcome
    seq: int | None = None


@dataclass
class BatchOutcome:
    outcomes: list[Outcome]  # one per request, in order
    created: list[NewTransfer]
    balances: dict[int, Balance]
    touched: set[int]


_CANONICAL = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def canonical_json_bytes(value: Mapping[str, Any]) -> bytes:
    """Sorted keys, no spaces, UTF-8 as is; anything not JSON-native (Decimal, date) as its str()."""
    if not value:
        return b"{}"
    return orjson.dumps(value, option=_CANONICAL, default=str)


def chain_hash(prev_hash: str, row: tuple[Any, ...]) -> str:
    """SHA-256 over the previous hash (64 hex characters) followed by the row's fields (see
    ``journal_fields``) as a compact JSON array: ``sha256(prev + '[seq,"key",…]')``."""
    return hashlib.sha256(prev_hash.encode() + orjson.dumps(row)).hexdigest()


class Credit(NamedTuple):
    """One transfer of ``post_credits``' batch (all from the same account): its key, the account
    credited, the amount, and the memo already as canonical JSON (``canonical_json_bytes``)."""

    key: str
    credit_account: str
    amount: int
    memo_json: bytes


def credit_rows(
    debit_account: str,
    debit_id: int,
    credits: Sequence[Credit],
    credit_ids: Sequence[int],
    *,
    unit: str,
    code: str,
    last_seq: int,
    last_hash: str,
    now_us: int,
) -> list[tuple[Any, ...]]:
    """The journal rows (``TRANSFER_COLUMNS``, chain hash last) that ``apply_batch`` and the
    service's chain would write for ``credits`` as lone transfers, none flagged, each creating a
    transfer: the caller has checked that every one would (new keys, distinct accounts, positive
    amounts within ``MAX_AMOUNT``, one unit, no limit to check). The same content hash as
    ``TransferRequest.content_hash``, the same chain as ``chain_hash``; without the engine's
    per-request state, which a settlement of 100k residents paid for by the second."""
    rows: list[tuple[Any, ...]] = []
    seq = last_seq
    for (key, credit_account, amount, memo_json), credit_id in zip(credits, credit_ids, strict=True):
        content = content_hash((debit_account, credit_account, amount, code, 0, None, None), memo_json)
        seq += 1
        memo = memo_json.decode()
        row = (seq, key, debit_id, credit_id, amount, unit, 0, None, None, code, memo, content, now_us)
        last_hash = chain_hash(last_hash, row)
        rows.append((*row, last_hash))
    return rows


def journal_fields(
    seq: int,
    key: str,
    debit_account_id: int,
    credit_account_id: int,
    amount: int,
    unit: str,
    flags: int,
    pending_seq: int | None,
    expires_at_us: int | None,
    code: str,
    memo: str,
    content_hash: str,
    created_at_us: int,
) -> tuple[Any, ...]:
    """The fields a chain hash covers, in their fixed order."""
    return (
        seq,
        key,
        debit_account_id,
        credit_account_id,
        amount,
        unit,
        flags,
        pending_seq,
        expires_at_us,
        code,
        memo,
        content_hash,
        created_at_us,
    )


class _ChainFailed(Exception):
    pass


@dataclass
class _Undo:
    balances: dict[int, Balance] = field(default_factory=dict)
    created: int = 0
    resolved: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)


def apply_batch(
    requests: list[TransferRequest],
    account_ids: Mapping[str, int],
    balances: dict[int, Balance],
    existing: Mapping[str, ExistingTransfer],
    pendings: Mapping[str, PendingInfo],
    now_us: int,
) -> BatchOutcome:
    """Apply ``requests`` in order to ``balances`` (mutated) and return a result for each.

    ``account_ids`` maps account keys to ids; ``existing`` holds transfers already in the journal
    under the batch's keys; ``pendings`` holds the pending transfers named by ``pending_key``.
    """
    results: list[Outcome] = [Outcome.CREATED] * len(requests)
    created: list[NewTransfer] = []
    touched: set[int] = set()
    seen: dict[str, str] = {}  # key -> content hash, for the transfers created in this batch
    resolved_here: set[str] = set()

    chain_start: int | None = None
    undo = _Undo()
    failed_chain = False

    for index, request in enumerate(requests):
        linked = bool(int(request.flags) & _LINKED)
        if chain_start is None and not linked:
            # A lone transfer (the common case): it fails before it changes anything.
            outcome, new = _apply_one(
                request, index, account_ids, balances, existing, pendings, seen, resolved_here, now_us, None
            )
            results[index] = outcome
            if new is not None:
                created.append(new)
                touched.add(new.debit_account_id)
                touched.add(new.credit_account_id)
            continue
        if chain_start is None:
            chain_start = index
            failed_chain = False
            if linked:
                undo = _Undo()
        if failed_chain:
            results[index] = Outcome.LINKED_EVENT_FAILED
        else:
            # A lone transfer fails before it changes anything; only chains need an undo log.
            in_chain = linked or chain_start != index
            outcome, new = _apply_one(
                request,
                index,
                account_ids,
                balances,
                existing,
                pendings,
                seen,
                resolved_here,
                now_us,
                undo if in_chain else None,
            )
            if outcome is Outcome.CREATED or outcome is Outcome.EXISTS:
                if new is not None:
                    created.append(new)
                    if in_chain:
                        undo.created += 1
                    touched.add(new.debit_account_id)
                    touched.add(new.credit_account_id)
                results[index] = outcome
            else:
                results[index] = outcome
                if chain_start != index or linked:
                    failed_chain = True
                    _rollback_chain(undo, balances, created, seen, resolved_here)
                    for earlier in range(chain_start, index):
                        results[earlier] = Outcome.LINKED_EVENT_FAILED
        if not linked:
            chain_start = None
        elif index == len(requests) - 1:
            # The batch ended inside a chain: the whole open chain fails.
            if not failed_chain:
                _rollback_chain(undo, balances, created, seen, resolved_here)
            assert chain_start is not None
            for earlier in range(chain_start, index):
                if results[earlier].ok:
                    results[earlier] = Outcome.LINKED_EVENT_FAILED
            results[index] = Outcome.LINKED_EVENT_CHAIN_OPEN
    return BatchOutcome(outcomes=results, created=created, balances=balances, touched=touched)


def _rollback_chain(
    undo: _Undo,
    balances: dict[int, Balance],
    created: list[NewTransfer],
    seen: dict[str, str],
    resolved_here: set[str],
) -> None:
    for account_id, before in undo.balances.items():
        balances[account_id] = before
    if undo.created:
        del created[len(created) - undo.created :]
    for key in undo.keys:
        seen.pop(key, None)
    for key in undo.resolved:
        resolved_here.discard(key)
    undo.balances.clear()
    undo.created = 0
    undo.keys.clear()
    undo.resolved.clear()


def _remember(undo: _Undo | None, balances: dict[int, Balance], *account_ids: int) -> None:
    if undo is None:
        return
    for account_id in account_ids:
        if account_id not in undo.balances:
            undo.balances[account_id] = balances[account_id].copy()


def _apply_one(
    request: TransferRequest,
    index: int,
    account_ids: Mapping[str, int],
    balances: dict[int, Balance],
    existing: Mapping[str, ExistingTransfer],
    pendings: Mapping[str, PendingInfo],
    seen: dict[str, str],
    resolved_here: set[str],
    now_us: int,
    undo: _Undo | None,
) -> tuple[Outcome, NewTransfer | None]:
    key = request.key
    if not key:
        return Outcome.KEY_MUST_NOT_BE_EMPTY, None
    memo_json = canonical_json_bytes(request.memo)
    content = request.content_hash(memo_json)
    memo = memo_json.decode()
    prior = existing.get(key)
    if prior is not None:
        return (
            Outcome.EXISTS if prior.content_hash == content else Outcome.EXISTS_WITH_DIFFERENT_CONTENT
        ), None
    if key in seen:
        return (Outcome.EXISTS if seen[key] == content else Outcome.EXISTS_WITH_DIFFERENT_CONTENT), None

    all_flags = int(request.flags)
    flags = all_flags & ~_LINKED
    if flags & (flags - 1):  # more than one of pending / post / void / expire
        return Outcome.FLAGS_ARE_MUTUALLY_EXCLUSIVE, None
    timeout_s = request.timeout_s
    if timeout_s is not None and not flags & _PENDING:
        return Outcome.TIMEOUT_RESERVED_FOR_PENDING, None

    if flags & _RESOLVING:
        return _resolve_pending(
            request, index, flags, balances, pendings, resolved_here, now_us, undo, memo, content, seen
        )

    debit_id = account_ids.get(request.debit_account)
    credit_id = account_ids.get(request.credit_account)
    if debit_id is None:
        return Outcome.DEBIT_ACCOUNT_NOT_FOUND, None
    if credit_id is None:
        return Outcome.CREDIT_ACCOUNT_NOT_FOUND, None
    if debit_id == credit_id:
        return Outcome.ACCOUNTS_MUST_BE_DIFFERENT, None
    amount = request.amount
    if amount is None or amount <= 0:
        return Outcome.AMOUNT_MUST_BE_POSITIVE, None
    if amount > MAX_AMOUNT:
        return Outcome.AMOUNT_TOO_LARGE, None
    debit, credit = balances[debit_id], balances[credit_id]
    unit = debit.unit
    if unit != credit.unit:
        return Outcome.UNITS_MUST_MATCH, None
    if debit.flags & _DEBITS_LIMITED and (
        debit.debits_pending + debit.debits_posted + amount > debit.credits_posted
    ):
        return Outcome.EXCEEDS_CREDITS, None
    if credit.flags & _CREDITS_LIMITED and (
        credit.credits_pending + credit.credits_posted + amount > credit.debits_posted
    ):
        return Outcome.EXCEEDS_DEBITS, None
    # a total is a 64-bit column: past it SQLite would store a float, PostgreSQL would raise
    if debit.debits_pending + debit.debits_posted + amount > MAX_AMOUNT:
        return Outcome.OVERFLOWS_DEBITS, None
    if credit.credits_pending + credit.credits_posted + amount > MAX_AMOUNT:
        return Outcome.OVERFLOWS_CREDITS, None
    if undo is not None:
        _remember(undo, balances, debit_id, credit_id)
        undo.keys.append(key)
    expires = None
    if flags & _PENDING:
        debit.debits_pending += amount
        credit.credits_pending += amount
        if timeout_s:
            expires = now_us + timeout_s * 1_000_000
    else:
        debit.debits_posted += amount
        credit.credits_posted += amount
    seen[key] = content
    # tuple.__new__ skips NamedTuple's Python-level constructor: this runs once per transfer.
    row = (
        index,
        key,
        debit_id,
        credit_id,
        amount,
        unit,
        all_flags,
        None,
        expires,
        request.code,
        memo,
        content,
    )
    return Outcome.CREATED, _new_tuple(NewTransfer, row)


def _resolve_pending(
    request: TransferRequest,
    index: int,
    flags: int,
    balances: dict[int, Balance],
    pendings: Mapping[str, PendingInfo],
    resolved_here: set[str],
    now_us: int,
    undo: _Undo | None,
    memo: str,
    content: str,
    seen: dict[str, str],
) -> tuple[Outcome, NewTransfer | None]:
    pending = pendings.get(request.pending_key or "")
    if pending is None:
        return Outcome.PENDING_TRANSFER_NOT_FOUND, None
    if not pending.flags & _PENDING:
        return Outcome.PENDING_TRANSFER_NOT_PENDING, None
    assert request.pending_key is not None
    if pending.resolved or request.pending_key in resolved_here:
        return Outcome.PENDING_TRANSFER_ALREADY_RESOLVED, None
    expired = pending.expires_at_us is not None and pending.expires_at_us <= now_us
    if flags & TransferFlags.EXPIRE_PENDING:  # a plain int & an IntFlag is an int
        if not expired:
            return Outcome.PENDING_TRANSFER_NOT_PENDING, None
    elif expired:
        return Outcome.PENDING_TRANSFER_EXPIRED, None
    amount = pending.amount
    if flags & TransferFlags.POST_PENDING and request.amount is not None:
        if request.amount <= 0:
            return Outcome.AMOUNT_MUST_BE_POSITIVE, None
        if request.amount > pending.amount:
            return Outcome.EXCEEDS_PENDING_AMOUNT, None
        amount = request.amount
    debit = balances[pending.debit_account_id]
    credit = balances[pending.credit_account_id]
    _remember(undo, balances, debit.account_id, credit.account_id)
    debit.debits_pending -= pending.amount
    credit.credits_pending -= pending.amount
    if flags & TransferFlags.POST_PENDING:
        debit.debits_posted += amount
        credit.credits_posted += amount
    resolved_here.add(request.pending_key)
    seen[request.key] = content
    if undo is not None:
        undo.resolved.append(request.pending_key)
        undo.keys.append(request.key)
    return Outcome.CREATED, NewTransfer(
        position=index,
        key=request.key,
        debit_account_id=pending.debit_account_id,
        credit_account_id=pending.credit_account_id,
        amount=amount,
        unit=pending.unit,
        flags=int(request.flags),
        pending_seq=pending.seq,
        expires_at_us=None,
        code=request.code,
        memo=memo,
        content_hash=content,
    )
