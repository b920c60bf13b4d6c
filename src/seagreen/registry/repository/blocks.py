"""SQL of serial blocks and of what moves them: issuances, operations, movements, retirements and
reversals.

The statements that run for every transfer or retirement go to the driver directly (on the
session's own connection, inside its transaction), as the ledger's posting path does: SQLAlchemy's
per-statement processing would cost more than the database work. ``end`` is quoted: it is an SQL
keyword.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from seagreen.registry.domain.serials import Block, BlockState, Carving, NewBlock
from seagreen.registry.models import (
    BlockRow,
    IssuanceRow,
    MovementRow,
    OperationRow,
    RetirementRow,
    ReversalRow,
)

_operations = cast(Table, OperationRow.__table__)
_issuances = cast(Table, IssuanceRow.__table__)
_retirements = cast(Table, RetirementRow.__table__)
_reversals = cast(Table, ReversalRow.__table__)

BLOCK_COLUMNS = 'id, issuance_id, start, "end", state, holder'
PAGE = 256  # the most blocks read per probe when collecting a quantity


def _cursor(session: Session) -> Any:
    return session.connection().connection.cursor()


def _sql(session: Session, statement: str) -> str:
    """``statement`` written with ``?`` placeholders, in the driver's own style."""
    if session.get_bind().dialect.paramstyle == "qmark":
        return statement
    return statement.replace("?", "%s")


def _block(row: Sequence[Any]) -> Block:
    return Block(int(row[0]), int(row[1]), int(row[2]), int(row[3]), BlockState(row[4]), row[5])


def holding_blocks(
    session: Session, holder: str | None, state: BlockState, project_id: int, after: int, limit: int = PAGE
) -> list[Block]:
    """The next ``limit`` blocks of one holding (or of the buffer pool when ``holder`` is None)
    of one project, from serial ``after`` on, lowest first."""
    cursor = _cursor(session)
    if holder is None:
        statement = (
            f"SELECT {BLOCK_COLUMNS} FROM registry_blocks WHERE state = ? AND project_id = ? "  # noqa: S608
            "AND start > ? AND holder IS NULL ORDER BY start LIMIT ?"
        )
        cursor.execute(_sql(session, statement), (state.value, project_id, after, limit))
    else:
        statement = (
            f"SELECT {BLOCK_COLUMNS} FROM registry_blocks WHERE holder = ? AND state = ? "  # noqa: S608
            "AND project_id = ? AND start > ? ORDER BY start LIMIT ?"
        )
        cursor.execute(_sql(session, statement), (holder, state.value, project_id, after, limit))
    return [_block(row) for row in cursor.fetchall()]


def pool_blocks(session: Session, after: int, limit: int = PAGE) -> list[Block]:
    """Buffer blocks of every project, lowest serial first (a reversal beyond its own buffer)."""
    cursor = _cursor(session)
    statement = (
        f"SELECT {BLOCK_COLUMNS} FROM registry_blocks WHERE state = ? AND start > ? "  # noqa: S608
        "ORDER BY start LIMIT ?"
    )
    cursor.execute(_sql(session, statement), (BlockState.BUFFER.value, after, limit))
    return [_block(row) for row in cursor.fetchall()]


def block_at(session: Session, serial: int) -> Block | None:
    """The block holding ``serial``: the greatest ``start`` not above it (one probe of the unique
    index on ``start``), if its ``end`` reaches the serial."""
    cursor = _cursor(session)
    statement = f"SELECT {BLOCK_COLUMNS} FROM registry_blocks WHERE start <= ? ORDER BY start DESC LIMIT 1"  # noqa: S608
    cursor.execute(_sql(session, statement), (serial,))
    row = cursor.fetchone()
    if row is None:
        return None
    block = _block(row)
    return block if block.contains(serial) else None


def blocks_covering(session: Session, start: int, end: int) -> list[Block]:
    """Every block that holds a serial of ``[start, end]``, in order."""
    first = block_at(session, start)
    lower = first.start if first is not None else start
    cursor = _cursor(session)
    statement = f"SELECT {BLOCK_COLUMNS} FROM registry_blocks WHERE start >= ? AND start <= ? ORDER BY start"  # noqa: S608
    cursor.execute(_sql(session, statement), (lower, end))
    return [_block(row) for row in cursor.fetchall()]


def insert_blocks(session: Session, project_id: int, blocks: Iterable[NewBlock]) -> None:
    rows = [(b.issuance_id, project_id, b.start, b.end, b.state.value, b.holder) for b in blocks]
    if rows:
        statement = (
            'INSERT INTO registry_blocks (issuance_id, project_id, start, "end", state, holder) '
            "VALUES (?, ?, ?, ?, ?, ?)"
        )
        _cursor(session).executemany(_sql(session, statement), rows)


def apply_carvings(session: Session, project_id: int, carvings: Sequence[Carving]) -> None:
    """Write carved blocks: the existing rows first (they keep their start), then the new parts."""
    statement = _sql(session, 'UPDATE registry_blocks SET "end" = ?, state = ?, holder = ? WHERE id = ?')
    rows = [(carving.end, carving.state.value, carving.holder, carving.block_id) for carving in carvings]
    if len(rows) == 1:
        _cursor(session).execute(statement, rows[0])
    else:
        _cursor(session).executemany(statement, rows)
    insert_blocks(session, project_id, (new for carving in carvings for new in carving.inserts))


def all_blocks(session: Session) -> list[Block]:
    cursor = _cursor(session)
    cursor.execute(f"SELECT {BLOCK_COLUMNS} FROM registry_blocks ORDER BY start")  # noqa: S608
    return [_block(row) for row in cursor.fetchall()]


def totals_by_account(session: Session) -> list[tuple[str, str | None, int]]:
    """``(state, holder, quantity)`` summed over every block."""
    query = (
        select(BlockRow.state, BlockRow.holder, func.sum(BlockRow.end - BlockRow.start + 1))
        .group_by(BlockRow.state, BlockRow.holder)
        .order_by(BlockRow.state, BlockRow.holder)
    )
    return [(row[0], row[1], int(row[2])) for row in session.execute(query)]


def holdings(session: Session, holder: str | None = None) -> list[tuple[str | None, int, str, int]]:
    """``(holder, project_id, state, quantity)`` summed over blocks (one holder's, or everyone's)."""
    query = select(
        BlockRow.holder, BlockRow.project_id, BlockRow.state, func.sum(BlockRow.end - BlockRow.start + 1)
    ).group_by(BlockRow.holder, BlockRow.project_id, BlockRow.state)
    if holder is not None:
        query = query.where(BlockRow.holder == holder)
    return [(row[0], int(row[1]), row[2], int(row[3])) for row in session.execute(query)]


def blocks_of_holder(session: Session, holder: str, *, limit: int = 200) -> list[tuple[Block, int]]:
    """A holder's blocks with their project id, lowest serial first."""
    query = (
        select(
            BlockRow.id,
            BlockRow.issuance_id,
            BlockRow.start,
            BlockRow.end,
            BlockRow.state,
            BlockRow.holder,
            BlockRow.project_id,
        )
        .where(BlockRow.holder == holder)
        .order_by(BlockRow.start)
        .limit(limit)
    )
    return [(_block(row[:6]), int(row[6])) for row in session.execute(query)]


# ---------------------------------------------------------------------------------------------
# Issuances, operations, movements
# ---------------------------------------------------------------------------------------------


def insert_issuance(session: Session, **values: Any) -> int:
    return int(session.execute(insert(_issuances).returning(_issuances.c.id), values).scalar_one())


def issuance(session: Session, issuance_id: int) -> IssuanceRow | None:
    return session.get(IssuanceRow, issuance_id)


def issuances_by_ids(session: Session, ids: Iterable[int]) -> dict[int, IssuanceRow]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    return {row.id: row for row in session.scalars(select(IssuanceRow).where(IssuanceRow.id.in_(wanted)))}


def issuances(session: Session, project_id: int | None = None, limit: int = 500) -> list[IssuanceRow]:
    query = select(IssuanceRow)
    if project_id is not None:
        query = query.where(IssuanceRow.project_id == project_id)
    return list(session.scalars(query.order_by(IssuanceRow.id.desc()).limit(limit)))


def issued_ranges(session: Session) -> list[tuple[int, int, int]]:
    rows = session.execute(select(IssuanceRow.id, IssuanceRow.serial_start, IssuanceRow.serial_end))
    return [(int(r[0]), int(r[1]), int(r[2])) for r in rows]


OPERATION_COLUMNS = (
    "key",
    "kind",
    "content_hash",
    "project_id",
    "from_org",
    "to_org",
    "quantity",
    "price_fen_per_t",
    "amount_fen",
    "settlement_method",
    "settlement_ref",
    "note",
    "ranges",
    "ledger_key",
    "created_at_us",
    "actor_label",
    "actor_org",
)


def insert_operation(session: Session, values: Sequence[Any]) -> int:
    """A new operation row from values in ``OPERATION_COLUMNS`` order; its id."""
    cursor = _cursor(session)
    marks = ", ".join("?" for _ in OPERATION_COLUMNS)
    statement = (
        f"INSERT INTO registry_operations ({', '.join(OPERATION_COLUMNS)}) VALUES ({marks}) RETURNING id"  # noqa: S608
    )
    cursor.execute(_sql(session, statement), tuple(values))
    return int(cursor.fetchone()[0])


def insert_operations(session: Session, rows: Sequence[Sequence[Any]]) -> dict[str, int]:
    """New operation rows (values in ``OPERATION_COLUMNS`` order) in one statement; key -> id."""
    marks = ", ".join("?" for _ in OPERATION_COLUMNS)
    statement = f"INSERT INTO registry_operations ({', '.join(OPERATION_COLUMNS)}) VALUES ({marks})"  # noqa: S608
    _cursor(session).executemany(_sql(session, statement), [tuple(row) for row in rows])
    keys = [row[0] for row in rows]
    found = select(OperationRow.key, OperationRow.id).where(OperationRow.key.in_(keys))
    return {key: int(operation_id) for key, operation_id in session.execute(found)}


def operations_by_keys(session: Session, keys: Sequence[str]) -> dict[str, OperationRow]:
    if not keys:
        return {}
    return {
        row.key: row for row in session.scalars(select(OperationRow).where(OperationRow.key.in_(list(keys))))
    }


def operation(session: Session, operation_id: int) -> OperationRow | None:
    return session.get(OperationRow, operation_id)


def operations(
    session: Session, *, project_id: int | None = None, kinds: Iterable[str] | None = None, limit: int = 200
) -> list[OperationRow]:
    query = select(OperationRow)
    if project_id is not None:
        query = query.where(OperationRow.project_id == project_id)
    if kinds is not None:
        query = query.where(OperationRow.kind.in_(list(kinds)))
    return list(session.scalars(query.order_by(OperationRow.id.desc()).limit(limit)))


MOVEMENT_COLUMNS = (
    "operation_id",
    "issuance_id",
    "start",
    '"end"',
    "from_state",
    "from_holder",
    "to_state",
    "to_holder",
    "at_us",
)


def insert_movements(session: Session, rows: Sequence[tuple[Any, ...]]) -> None:
    if rows:
        marks = ", ".join("?" for _ in MOVEMENT_COLUMNS)
        statement = f"INSERT INTO registry_movements ({', '.join(MOVEMENT_COLUMNS)}) VALUES ({marks})"  # noqa: S608
        _cursor(session).executemany(_sql(session, statement), rows)


def movements_of_serial(
    session: Session, issuance_id: int, serial: int
) -> list[tuple[MovementRow, OperationRow]]:
    """Every movement of a range that contained ``serial``, oldest first, with its operation."""
    query = (
        select(MovementRow, OperationRow)
        .join(OperationRow, OperationRow.id == MovementRow.operation_id)
        .where(MovementRow.issuance_id == issuance_id, MovementRow.start <= serial, MovementRow.end >= serial)
        .order_by(MovementRow.id)
    )
    return [(row[0], row[1]) for row in session.execute(query)]


RETIREMENT_COLUMNS = (
    "operation_id",
    "number",
    "project_id",
    "retired_by",
    "quantity",
    "beneficiary_name",
    "beneficiary_org",
    "purpose",
    "claim_start",
    "claim_end",
    "retired_at_us",
    "certificate_json",
    "certificate_sha256",
    "key_id",
)


def insert_retirements(session: Session, rows: Sequence[tuple[Any, ...]]) -> None:
    """Retirement rows from values in ``RETIREMENT_COLUMNS`` order."""
    if rows:
        marks = ", ".join("?" for _ in RETIREMENT_COLUMNS)
        statement = f"INSERT INTO registry_retirements ({', '.join(RETIREMENT_COLUMNS)}) VALUES ({marks})"  # noqa: S608
        if session.get_bind().dialect.name == "sqlite":  # stored as SQLAlchemy stores a Date on SQLite
            rows = [tuple(v.isoformat() if isinstance(v, date) else v for v in row) for row in rows]
        _cursor(session).executemany(_sql(session, statement), rows)


def retirement_by_number(session: Session, number: str) -> RetirementRow | None:
    return session.scalars(select(RetirementRow).where(RetirementRow.number == number)).one_or_none()


def retirement_by_operation(session: Session, operation_id: int) -> RetirementRow | None:
    return session.scalars(
        select(RetirementRow).where(RetirementRow.operation_id == operation_id)
    ).one_or_none()


def retirements(
    session: Session, *, retired_by: str | None = None, project_id: int | None = None, limit: int = 200
) -> list[RetirementRow]:
    query = select(RetirementRow)
    if retired_by is not None:
        query = query.where(RetirementRow.retired_by == retired_by)
    if project_id is not None:
        query = query.where(RetirementRow.project_id == project_id)
    return list(session.scalars(query.order_by(RetirementRow.id.desc()).limit(limit)))


def insert_reversal(session: Session, **values: Any) -> int:
    return int(session.execute(insert(_reversals).returning(_reversals.c.id), values).scalar_one())


def reversals(session: Session, project_id: int | None = None) -> list[ReversalRow]:
    query = select(ReversalRow)
    if project_id is not None:
        query = query.where(ReversalRow.project_id == project_id)
    return list(session.scalars(query.order_by(ReversalRow.id.desc())))
