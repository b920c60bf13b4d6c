"""All SQL of the ledger."""

from __future__ import annotations

import secrets
import sqlite3
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from sqlalchemy import Engine, Table, func, select, update
from sqlalchemy.orm import Session, aliased

from seagreen.db.pg_arrays import execute_arrays
from seagreen.ledger.domain import MAX_AMOUNT, Balance, ExistingTransfer, PendingInfo
from seagreen.ledger.errors import BalanceOverflow
from seagreen.ledger.models import LedgerAccount, LedgerHead, LedgerTransfer

COPY_FROM_ROWS = 64  # below this, a plain INSERT costs less than setting up a COPY
NUMERIC_OUT_OF_RANGE = "22003"  # PostgreSQL's SQLSTATE for a bigint sum past 2^63 - 1
CHUNK = 900  # keeps every IN (...) under SQLite's and PostgreSQL's parameter limits
HEAD_ID = 1

_accounts = cast(Table, LedgerAccount.__table__)
_transfers = cast(Table, LedgerTransfer.__table__)


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def lock_head(session: Session) -> tuple[int, str, str]:
    """Lock the end of the hash chain for this transaction (serialises journal writers); return
    the last sequence number, its hash and the account directory's epoch."""
    row = session.execute(
        select(LedgerHead.last_seq, LedgerHead.last_hash, LedgerHead.accounts_epoch)
        .where(LedgerHead.id == HEAD_ID)
        .with_for_update()
    ).one()
    return int(row.last_seq), str(row.last_hash), str(row.accounts_epoch)


def new_accounts_epoch(session: Session) -> str:
    """Mark that accounts are being opened: every process's cached account directory is now
    stale. Returns the new epoch (``remember_accounts``)."""
    epoch = secrets.token_hex(16)
    session.execute(update(LedgerHead).where(LedgerHead.id == HEAD_ID).values(accounts_epoch=epoch))
    return epoch


def writers_begin_locked(session: Session) -> bool:
    """Whether this transaction could not have missed a commit since it began: SQLite's write
    transactions begin ``IMMEDIATE`` (``db/engine.py``), so no other writer can commit until this
    one ends; PostgreSQL's statements each see what committed before them."""
    return session.get_bind().dialect.name == "sqlite"


def read_epoch(session: Session) -> str:
    """The account directory's epoch as committed (or as this transaction wrote it), unlocked:
    enough to tell whether the cached directory may be trusted (``account_meta``)."""
    query = select(LedgerHead.accounts_epoch).where(LedgerHead.id == HEAD_ID)
    return str(session.execute(query).scalar_one())


def read_head(session: Session) -> tuple[int, str]:
    row = session.execute(
        select(LedgerHead.last_seq, LedgerHead.last_hash).where(LedgerHead.id == HEAD_ID)
    ).one()
    return int(row.last_seq), str(row.last_hash)


def set_head(session: Session, last_seq: int, last_hash: str) -> None:
    session.execute(
        update(LedgerHead).where(LedgerHead.id == HEAD_ID).values(last_seq=last_seq, last_hash=last_hash)
    )


def _marker(session: Session) -> str:
    """The driver's positional parameter marker: ``?`` for sqlite3, ``%s`` for psycopg."""
    return "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _driver_cursor(session: Session) -> Any:
    """A DB-API cursor on the session's own connection, inside its transaction.

    The posting path runs a few statements per batch over thousands of rows; going to the driver
    directly skips SQLAlchemy's per-row parameter and result processing, which costs more than the
    database work itself. Statements use positional placeholders only (see ``_marker``).
    """
    return session.connection().connection.cursor()


def _execute_arrays(session: Session, statement: str, rows: Sequence[Sequence[Any]]) -> Any:
    """PostgreSQL: one statement over many rows, each column of ``rows`` as one array parameter
    (the statement ``unnest``s them) instead of a round trip a row. The statement's placeholders
    are ``%b``: arrays sent in binary cost a third of their text form (no quoting per element); a
    column of ints is encoded at once (``seagreen.db.pg_arrays``: four columns of 1,000 ints took
    1.9 ms a statement against 3.4-3.8 as psycopg's lists)."""
    cursor = _driver_cursor(session)
    execute_arrays(cursor, statement, rows)
    return cursor  # for a statement that returns rows


def _execute(session: Session, cursor: Any, statement: str, params: Any) -> None:
    """Run a bulk statement. On PostgreSQL it is never prepared, for the reason
    ``pg_arrays.execute_arrays`` gives."""
    if _is_postgres(session):
        cursor.execute(statement, params, prepare=False)
    else:
        cursor.execute(statement, params)


def _key_lookups(session: Session, select_from: str, keys: Sequence[str]) -> Iterator[tuple[str, Any]]:
    """``select_from … WHERE key IN (…)`` in chunks; on PostgreSQL one ``key = ANY(array)``."""
    if _is_postgres(session):
        yield f"{select_from} WHERE key = ANY(%b)", (list(keys),)  # %b: binary, no quoting per key
        return
    for chunk in _chunks(keys):
        yield f"{select_from} WHERE key IN {_in_list(session, len(chunk))}", tuple(chunk)


def _in_list(session: Session, count: int) -> str:
    """``(?, ?, …)``: placeholders only; values always travel as bound parameters."""
    return "(" + ", ".join([_marker(session)] * count) + ")"


_BALANCE_COLUMNS = (
    LedgerAccount.id,
    LedgerAccount.key,
    LedgerAccount.unit,
    LedgerAccount.flags,
    LedgerAccount.debits_pending,
    LedgerAccount.debits_posted,
    LedgerAccount.credits_pending,
    LedgerAccount.credits_posted,
)

_BALANCE_SELECT = (
    "SELECT id, key, unit, flags, debits_pending, debits_posted, credits_pending, credits_posted "
    "FROM ledger_accounts WHERE "
)


def _balances_where(session: Session, column: str, values: Sequence[Any]) -> list[Any]:
    """Account balance rows by key or id, read at driver level (this runs for every posted batch)."""
    found: list[Any] = []
    cursor = _driver_cursor(session)
    for chunk in _chunks(values):
        cursor.execute(f"{_BALANCE_SELECT}{column} IN {_in_list(session, len(chunk))}", tuple(chunk))
        found.extend(cursor.fetchall())
    return found


@dataclass
class _Directory:
    epoch: str = ""
    entries: dict[str, tuple[int, str, int]] = field(default_factory=dict)


_DIRECTORY_LIMIT = 2_000_000
_directories: weakref.WeakKeyDictionary[Engine, _Directory] = weakref.WeakKeyDictionary()


def account_meta(session: Session, keys: Sequence[str], epoch: str) -> dict[str, tuple[int, str, int]]:
    """``key -> (id, unit, flags)`` for the accounts that exist, through a per-process cache.

    An account's id, unit and flags never change once it is committed, so they can be cached.
    The cache is only trusted for the ``epoch`` read from the locked head row in this same
    transaction: opening accounts writes a new random epoch, so a cache filled before (or from
    a transaction that was then rolled back, whose epoch value never comes back) is dropped.
    """
    directory = _directories.setdefault(session.get_bind().engine, _Directory())
    if directory.epoch != epoch or len(directory.entries) > _DIRECTORY_LIMIT:
        directory.epoch, directory.entries = epoch, {}
    entries = directory.entries
    unknown = [key for key in keys if key not in entries]
    if unknown:
        entries.update(account_meta_by_key(session, unknown))
    return {key: entries[key] for key in keys if key in entries}


def remember_accounts(session: Session, epoch: str, entries: dict[str, tuple[int, str, int]]) -> None:
    """Start this process's account directory at ``epoch``, just written by ``new_accounts_epoch``
    in this transaction, with accounts read in it: a posting to accounts just opened then needs no
    second look-up (a settlement of 100k new residents spent half a second in it). A new directory
    replaces the old one in one store, so a thread holding the old one keeps a consistent pair.
    Should the transaction roll back, its random epoch is never read from the head again, so
    these entries are never trusted."""
    _directories[session.get_bind().engine] = _Directory(epoch, dict(entries))


def account_meta_by_key(session: Session, keys: Sequence[str]) -> dict[str, tuple[int, str, int]]:
    """``key -> (id, unit, flags)``: what never changes about an account."""
    found: dict[str, tuple[int, str, int]] = {}
    cursor = _driver_cursor(session)
    for statement, params in _key_lookups(session, "SELECT key, id, unit, flags FROM ledger_accounts", keys):
        _execute(session, cursor, statement, params)
        for key, account_id, unit, flags in cursor.fetchall():
            found[key] = (account_id, unit, flags)
    return found


def balances_by_key(session: Session, keys: Sequence[str]) -> tuple[dict[str, int], dict[int, Balance]]:
    ids: dict[str, int] = {}
    balances: dict[int, Balance] = {}
    for account_id, key, unit, flags, dp, dd, cp, cd in _balances_where(session, "key", keys):
        ids[key] = account_id
        balances[account_id] = Balance(account_id, unit, flags, dp, dd, cp, cd)
    return ids, balances


def balances_by_id(session: Session, account_ids: Sequence[int]) -> dict[int, Balance]:
    return {
        account_id: Balance(account_id, unit, flags, dp, dd, cp, cd)
        for account_id, _key, unit, flags, dp, dd, cp, cd in _balances_where(session, "id", account_ids)
    }


def account_keys_by_id(session: Session, account_ids: Sequence[int]) -> dict[int, str]:
    rows = session.execute(
        select(LedgerAccount.id, LedgerAccount.key).where(LedgerAccount.id.in_(account_ids))
    )
    return {int(row.id): row.key for row in rows}


def reserve_account_ids(session: Session, count: int) -> list[int]:
    """``count`` ids for accounts about to be opened in this transaction, which holds the posting
    lock (``lock_head``). SQLite: the ones after the largest, which no other writer can take before
    this transaction ends (its write lock) and none is ever freed (accounts are never deleted);
    PostgreSQL: drawn from the column's sequence. Known before the insert, they need no
    ``RETURNING``, and a posting that opens accounts works on their real ids from the start."""
    if count <= 0:
        return []
    cursor = _driver_cursor(session)
    if _is_postgres(session):
        # the sequence found once (materialised), not for each id: 12.5k ids in 6 ms against 31
        _execute(
            session,
            cursor,
            "WITH s AS MATERIALIZED (SELECT CAST(pg_get_serial_sequence('ledger_accounts', 'id') "
            "AS regclass) AS seq) SELECT nextval(s.seq) FROM s, generate_series(1, %s)",
            (count,),
        )
        return sorted(int(row[0]) for row in cursor.fetchall())
    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM ledger_accounts")
    last = int(cursor.fetchone()[0])
    return list(range(last + 1, last + 1 + count))


def insert_accounts(session: Session, rows: list[NewAccount]) -> dict[str, tuple[int, str, int]]:
    """New accounts, their ids reserved (``reserve_account_ids``); return ``key -> (id, unit,
    flags)`` of each, as ``account_meta_by_key`` would. The balances are zero unless the accounts
    are opened by the posting that moves them (``service.post_transfers``)."""
    if not rows:
        return {}
    if _is_postgres(session):
        # one statement over arrays (executemany is a round trip a row: seconds for 100k accounts)
        _execute_arrays(
            session,
            f"INSERT INTO ledger_accounts ({_ACCOUNT_COLUMNS}) SELECT * FROM unnest(%b::bigint[], "  # noqa: S608
            "%b::text[], %b::text[], %b::bigint[], %b::text[], %b::bigint[], %b::bigint[], %b::bigint[], "
            "%b::bigint[], %b::bigint[])",
            rows,
        )
    else:
        values = _in_list(session, len(NewAccount._fields))
        statement = f"INSERT INTO ledger_accounts ({_ACCOUNT_COLUMNS}) VALUES {values}"  # noqa: S608
        _driver_cursor(session).executemany(statement, rows)
    return {row.key: (row.id, row.unit, row.flags) for row in rows}


class NewAccount(NamedTuple):
    """A ``ledger_accounts`` row to insert, in its columns' order (the balances as ``Balance``
    names them: zero, or what the posting that opens the account leaves on it)."""

    id: int
    key: str
    unit: str
    flags: int
    description: str
    created_at_us: int
    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0


_ACCOUNT_COLUMNS = ", ".join(NewAccount._fields)


def existing_transfers(session: Session, keys: Sequence[str]) -> dict[str, ExistingTransfer]:
    found: dict[str, ExistingTransfer] = {}
    cursor = _driver_cursor(session)
    for statement, params in _key_lookups(
        session, "SELECT key, seq, content_hash FROM ledger_transfers", keys
    ):
        _execute(session, cursor, statement, params)
        for key, seq, content_hash in cursor.fetchall():
            found[key] = ExistingTransfer(seq=seq, content_hash=content_hash)
    return found


def pendings_by_key(session: Session, keys: Sequence[str]) -> dict[str, PendingInfo]:
    resolution = aliased(LedgerTransfer)
    found: dict[str, PendingInfo] = {}
    for chunk in _chunks(keys):
        query = (
            select(
                LedgerTransfer.key,
                LedgerTransfer.seq,
                LedgerTransfer.debit_account_id,
                LedgerTransfer.credit_account_id,
                LedgerTransfer.amount,
                LedgerTransfer.unit,
                LedgerTransfer.flags,
                LedgerTransfer.expires_at_us,
                resolution.seq.label("resolved_by"),
            )
            .outerjoin(resolution, resolution.pending_seq == LedgerTransfer.seq)
            .where(LedgerTransfer.key.in_(chunk))
        )
        for row in session.execute(query):
            found[row.key] = PendingInfo(
                seq=int(row.seq),
                debit_account_id=int(row.debit_account_id),
                credit_account_id=int(row.credit_account_id),
                amount=int(row.amount),
                unit=row.unit,
                flags=int(row.flags),
                expires_at_us=row.expires_at_us,
                resolved=row.resolved_by is not None,
            )
    return found


def expired_pending_keys(session: Session, now_us: int, limit: int) -> list[str]:
    resolution = aliased(LedgerTransfer)
    query = (
        select(LedgerTransfer.key)
        .outerjoin(resolution, resolution.pending_seq == LedgerTransfer.seq)
        .where(LedgerTransfer.expires_at_us.is_not(None))
        .where(LedgerTransfer.expires_at_us <= now_us)
        .where(resolution.seq.is_(None))
        .order_by(LedgerTransfer.seq)
        .limit(limit)
    )
    return list(session.scalars(query))


TRANSFER_COLUMNS = (
    "seq",
    "key",
    "debit_account_id",
    "credit_account_id",
    "amount",
    "unit",
    "flags",
    "pending_seq",
    "expires_at_us",
    "code",
    "memo",
    "content_hash",
    "created_at_us",
    "chain_hash",
)


def insert_transfers(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """Append journal rows (tuples in ``TRANSFER_COLUMNS`` order) with one driver-level executemany.

    This is the ledger's hot path: the statement goes to the driver as is, without per-row
    parameter processing, which triples the batched posting rate on SQLite.
    """
    if not rows:
        return
    cursor = _driver_cursor(session)
    if _is_postgres(session) and len(rows) >= COPY_FROM_ROWS:
        # COPY is PostgreSQL's bulk path: several times the rate of row-by-row INSERTs.
        with cursor.copy(f"COPY ledger_transfers ({', '.join(TRANSFER_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    statement = (
        f"INSERT INTO ledger_transfers ({', '.join(TRANSFER_COLUMNS)}) "  # noqa: S608
        f"VALUES {_in_list(session, len(TRANSFER_COLUMNS))}"
    )
    cursor.executemany(statement, rows)


def add_to_balances(session: Session, deltas: list[tuple[int, int, int, int, int]]) -> None:
    """Add ``(debits_pending, debits_posted, credits_pending, credits_posted, id)`` to each account."""
    if deltas and _is_postgres(session):
        try:
            _execute_arrays(
                session,
                "UPDATE ledger_accounts AS a SET debits_pending = a.debits_pending + v.dp, "
                "debits_posted = a.debits_posted + v.dd, credits_pending = a.credits_pending + v.cp, "
                "credits_posted = a.credits_posted + v.cd "
                "FROM unnest(%b::bigint[], %b::bigint[], %b::bigint[], %b::bigint[], %b::bigint[]) "
                "AS v(dp, dd, cp, cd, id) WHERE a.id = v.id",
                deltas,
            )
        except Exception as error:
            # bigint's own check ("bigint out of range"), said as SQLite's path says it; the
            # failed statement leaves the transaction to be rolled back, as every error does
            if getattr(error, "sqlstate", None) != NUMERIC_OUT_OF_RANGE:
                raise
            raise BalanceOverflow("a ledger account's total would pass 2^63 - 1", error=str(error)) from error
        return
    if deltas:
        # SQLite: an integer sum past 2^63 - 1 would become a float. Such a total is set to NULL
        # instead, which its NOT NULL refuses (the statement fails, the caller's transaction is
        # rolled back). The engine refuses a transfer that passes it within its batch
        # (``Outcome.OVERFLOWS_*``); past a stored total, which the engine reads only for limited
        # accounts, this refuses, on every path that adds to the totals. Deltas are never negative.
        columns = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")
        sets = ", ".join(
            f"{name} = CASE WHEN ?{n} <= {MAX_AMOUNT} - {name} THEN {name} + ?{n} END"
            for n, name in enumerate(columns, start=1)
        )
        statement = f"UPDATE ledger_accounts SET {sets} WHERE id = ?5"  # noqa: S608
        try:
            _driver_cursor(session).executemany(statement, deltas)
        except sqlite3.IntegrityError as error:
            raise BalanceOverflow("a ledger account's total would pass 2^63 - 1", error=str(error)) from error


def journal(session: Session, after_seq: int = 0, batch: int = 10_000) -> Iterator[Any]:
    """Every journal row in sequence order, read in batches."""
    while True:
        rows = session.execute(
            select(_transfers).where(_transfers.c.seq > after_seq).order_by(_transfers.c.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after_seq = int(rows[-1].seq)


def all_balances(session: Session) -> Iterator[Any]:
    yield from session.execute(select(*_BALANCE_COLUMNS).order_by(LedgerAccount.id))


def transfer_by_key(session: Session, key: str) -> Any | None:
    return session.execute(select(_transfers).where(_transfers.c.key == key)).one_or_none()


def account_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(LedgerAccount)) or 0)


def account_by_key(session: Session, key: str) -> LedgerAccount | None:
    return session.scalars(select(LedgerAccount).where(LedgerAccount.key == key)).one_or_none()


def transfers_of_account(session: Session, account_id: int, limit: int, before_seq: int | None) -> list[Any]:
    """An account's journal rows, newest first, with both accounts' keys."""
    debit, credit = aliased(LedgerAccount), aliased(LedgerAccount)
    query = (
        select(
            LedgerTransfer.seq,
            LedgerTransfer.key,
            debit.key.label("debit_account"),
            credit.key.label("credit_account"),
            LedgerTransfer.amount,
            LedgerTransfer.unit,
            LedgerTransfer.flags,
            LedgerTransfer.code,
            LedgerTransfer.memo,
            LedgerTransfer.pending_seq,
            LedgerTransfer.created_at_us,
            LedgerTransfer.chain_hash,
        )
        .join(debit, debit.id == LedgerTransfer.debit_account_id)
        .join(credit, credit.id == LedgerTransfer.credit_account_id)
        .where(
            (LedgerTransfer.debit_account_id == account_id) | (LedgerTransfer.credit_account_id == account_id)
        )
    )
    if before_seq is not None:
        query = query.where(LedgerTransfer.seq < before_seq)
    return list(session.execute(query.order_by(LedgerTransfer.seq.desc()).limit(limit)))
