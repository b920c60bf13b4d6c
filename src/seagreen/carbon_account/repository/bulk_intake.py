# ruff: noqa: S608 - statements are built from fixed names and integer literals only (see below)
"""The bulk intake's SQL (docs/decisions/0005, phase 4): events in, classified, accounted later.

A bulk file is written group by group. Each group is one transaction that inserts its new events
(``insert_events``), classifies the rows that did not go in and claims dedupe keys (``classify``),
and moves the ingest's checkpoint. The totals are updated a few groups later, once for all of them
(``old_totals`` then ``write_totals``), and the batches are marked accounted in that transaction:
many groups' events touch each (resident, behaviour, day) row once instead of once per group.

Arrow tables reach SQL through :class:`BulkSql`: on SQLite as a scratch file that ADBC writes and
no other library opens (never the platform's file: two SQLite libraries in one process do not
share locks, decision 0005's amendment), which the session's connection ``ATTACH``es; on
PostgreSQL as a temporary table filled by ``COPY``. Every statement is built from integer literals
and fixed names only; values travel as Arrow data or bound parameters.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy.orm import Session

from seagreen.carbon_account.repository.intake import (
    CONTENT_COLUMNS,
    EVENT_INSERT_COLUMNS,
    index_probes,
    same_content,
)
from seagreen.db.checkpoints import BackgroundCheckpoints
from seagreen.kit import sqlite_file

DUPLICATE, CONFLICT, DEDUPE_DUPLICATE = 1, 2, 3
FETCH_ROWS = 32_768
BULK_CACHE_KIB = 16_384  # a bulk ingest's writer: 16 MiB of page cache (``BulkSql.bounded_cache``)
INTAKE_LOCK_KEY = 0x5EA6_0006  # the same lock as the real-time intake's (repository.intake)
OTHERS = "carbon_bulk_others"
UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE
_T = TypeVar("_T")


def _sql_type(kind: pa.DataType, integer: str) -> str:
    """The column type of an Arrow type (integers of any width, text)."""
    if pa.types.is_integer(kind):
        return integer
    if pa.types.is_string(kind):
        return "TEXT"
    raise TypeError(f"no column type for {kind}")


KEY_COLUMNS = ("row_number", "event_id", *CONTENT_COLUMNS)


def _adbc_sqlite() -> Any:
    import adbc_driver_sqlite.dbapi as driver

    return driver


Rows: TypeAlias = "pa.Table | pa.RecordBatchReader"
"""Rows to put somewhere: a table, or a stream of batches read once (never held all at once)."""


@dataclass(frozen=True)
class Staged:
    """Tables ``BulkSql.stage`` made ready to put: a scratch file (SQLite), or the tables read."""

    path: Path | None
    names: tuple[str, ...]
    tables: dict[str, pa.Table] = field(default_factory=dict)


def write_scratch(path: Path, tables: dict[str, Rows]) -> None:
    """Write Arrow tables into a new SQLite file of their own (a throwaway: a crash loses it with
    its transaction). Each is a rowid table whose rowids follow the rows' order, so reading it in
    that order costs no sort. The pages are laid out by ``kit.sqlite_file`` (NumPy: three to four
    times as fast as binding each value through a SQLite library, docs/decisions/0037); what it
    does not write goes through ADBC's SQLite, without journal or fsync."""
    try:
        sqlite_file.write_tables(path, tables)
    except sqlite_file.Unsupported:
        _write_scratch_adbc(path, tables)


def _write_scratch_adbc(path: Path, tables: dict[str, Rows]) -> None:
    with _adbc_sqlite().connect(str(path), autocommit=True) as scratch:
        cursor = scratch.cursor()
        cursor.execute("PRAGMA journal_mode=OFF")
        cursor.execute("PRAGMA synchronous=OFF")
        for name, table in tables.items():
            columns = ", ".join(f"{f.name} {_sql_type(f.type, 'INTEGER')}" for f in table.schema)
            cursor.execute(f"CREATE TABLE {name} ({columns})")
            if isinstance(table, pa.RecordBatchReader) or table.num_rows:
                cursor.adbc_ingest(name, table, mode="append")
        cursor.close()


def _csv_field(column: str, kind: pa.DataType) -> str:
    """SQLite: a column as a CSV field: NULL as nothing, text always quoted (so an empty text
    stays apart from NULL)."""
    if pa.types.is_string(kind):
        return f"CASE WHEN {column} IS NULL THEN '' ELSE '\"' || replace({column}, '\"', '\"\"') || '\"' END"
    return f"COALESCE(CAST({column} AS TEXT), '')"


def _parse_csv(data: bytes, schema: pa.Schema) -> pa.Table:
    if not data:
        return schema.empty_table()
    return pa_csv.read_csv(
        io.BytesIO(data),
        read_options=pa_csv.ReadOptions(column_names=schema.names, use_threads=False),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types=schema,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    ).cast(schema)


class BulkSql:
    """The session's own DB-API connection inside the caller's transaction, with Arrow tables put
    where its SQL can read them. ``release()`` must be called after the transaction ended (commit
    or rollback): SQLite refuses ``DETACH`` inside a transaction that read the attached file."""

    def __init__(self, session: Session, scratch_dir: Path | None = None, *, attach: bool = True) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self._raw: Any = session.connection().connection.dbapi_connection
        self._cursor: Any = session.connection().connection.cursor()
        self._scratch_dir = scratch_dir
        self._attach = attach  # False: a caller whose transaction another entrypoint ends (no scratch)
        self._attached: list[tuple[str, Path]] = []
        self._staged: list[Path] = []  # scratch directories ``stage`` made, put or not
        self._temporary: list[str] = []
        # the connection's own settings while this transaction changes them (``release`` restores)
        self._autocheckpoint: int | None = None
        self._cache_size: int | None = None

    def bounded_cache(self) -> None:
        """This transaction keeps ``BULK_CACHE_KIB`` of SQLite page cache instead of the platform's
        (restored by ``release``): a bulk ingest's writer fills any cache it gets, and its own
        rows arrive in order (docs/decisions/0005, phase 7: 20M events, −80 MB at the peak)."""
        if self.dialect == "sqlite" and self._cache_size is None:
            self._cache_size = int(self._raw.execute("PRAGMA cache_size").fetchone()[0])
            self._raw.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")

    def checkpoints_elsewhere(self) -> None:
        """This transaction's commit leaves the WAL checkpoint to ``background_checkpoints``
        (restored by ``release``)."""
        if self.dialect == "sqlite" and self._autocheckpoint is None:
            self._autocheckpoint = int(self._raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
            self._raw.execute("PRAGMA wal_autocheckpoint=0")

    # -- plain statements ---------------------------------------------------------------------

    def run(self, statement: str, params: Sequence[Any] = ()) -> int:
        self._cursor.execute(statement, params) if params else self._cursor.execute(statement)
        return int(self._cursor.rowcount)

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cursor.execute(statement, params) if params else self._cursor.execute(statement)
        return [tuple(row) for row in self._cursor.fetchall()]

    def arrow(self, statement: str, schema: pa.Schema) -> pa.Table:
        """The rows of a query as an Arrow table, parsed by Arrow from CSV the database writes: on
        PostgreSQL ``COPY … TO STDOUT``, on SQLite one text line a row, fetched a slice at a time
        (a flush reads hundreds of thousands of month rows: one Python object a row instead of
        seven, and never all of them as Python objects at once)."""
        if self.dialect == "postgresql":
            buffer = io.BytesIO()
            with self._cursor.copy(f"COPY ({statement}) TO STDOUT (FORMAT csv)") as copy:
                for block in copy:
                    buffer.write(block)
            return _parse_csv(buffer.getvalue(), schema)
        names = [f"c{n}" for n in range(len(schema))]
        line = " || ',' || ".join(_csv_field(name, f.type) for name, f in zip(names, schema, strict=True))
        self._cursor.execute(f"WITH q ({', '.join(names)}) AS ({statement}) SELECT {line} FROM q")
        tables = []
        while rows := self._cursor.fetchmany(FETCH_ROWS):
            tables.append(_parse_csv("\n".join(row[0] for row in rows).encode(), schema))
        return pa.concat_tables(tables) if tables else schema.empty_table()

    def changes(self) -> int:
        """Rows changed by the last INSERT/UPDATE (SQLite's sqlite3 reports -1 for INSERT … SELECT)."""
        count = int(self._cursor.rowcount)
        if count < 0 and self.dialect == "sqlite":
            count = int(self.rows("SELECT changes()")[0][0])
        return count

    @contextmanager
    def index_probes(self) -> Iterator[None]:
        """PostgreSQL: the statements inside join staged rows to stored events by one index probe
        a staged row. The planner, which cannot know how few of the ids are stored, would hash
        the partner's every stored event for each group instead, so that a file's groups cost
        more and more (1.75 s a group at 5M stored events, against 0.5 s of probes for ids that
        are not stored and 1.0 s for ids in order that are).

        Nor may it keep the partner's events in memory to compare every staged row with each
        (``intake.index_probes``): before the table has statistics it takes ``partner_id = p`` for
        a few rows, and a file of 20k events sent again took 13 s (docs/decisions/0005, phase 24)."""
        with index_probes(self):
            yield

    def lock(self) -> None:
        """Serialise writers of events and totals (SQLite's write lock does it by itself)."""
        if self.dialect == "postgresql":
            self.run(f"SELECT pg_advisory_xact_lock({INTAKE_LOCK_KEY})")

    # -- Arrow tables in SQL --------------------------------------------------------------------

    def attach(self, path: Path) -> str:
        """SQLite: attach a scratch file (``write_scratch``); return its schema name."""
        alias = f"sg_scratch{len(self._attached)}"
        self._cursor.execute(f"ATTACH DATABASE ? AS {alias}", (str(path),))
        self._attached.append((alias, path))
        return alias

    def put(self, tables: dict[str, Rows]) -> dict[str, str]:
        """Make Arrow tables readable as tables for the rest of the transaction; return their names
        (on SQLite all in one scratch file, on PostgreSQL temporary tables dropped at commit). A
        stream of batches goes to the scratch file as it comes; elsewhere it is read whole first."""
        return self.put_staged(self.stage(tables))

    def stage(self, tables: dict[str, Rows]) -> Staged:
        """``put``'s first half, which uses neither the session nor its connection, so another
        thread may do it meanwhile: on SQLite the scratch file written, elsewhere the rows read."""
        if self.dialect == "postgresql" or not self._attach:
            whole = {
                name: rows.read_all() if isinstance(rows, pa.RecordBatchReader) else rows
                for name, rows in tables.items()
            }
            return Staged(None, tuple(tables), whole)
        directory = Path(tempfile.mkdtemp(prefix="seagreen-put-", dir=self._scratch_dir))
        self._staged.append(directory)  # deleted by ``release``, whether it is ever put or not
        path = directory / "tables.db"
        write_scratch(path, tables)
        return Staged(path, tuple(tables))

    def put_staged(self, staged: Staged) -> dict[str, str]:
        """``put``'s second half, in this transaction: the staged tables' names."""
        if staged.path is None:
            return self._put_whole(staged.tables)
        alias = self.attach(staged.path)
        return {name: f"{alias}.{name}" for name in staged.names}

    def _put_whole(self, tables: dict[str, pa.Table]) -> dict[str, str]:
        if self.dialect == "postgresql":
            for name, table in tables.items():
                columns = ", ".join(f"{f.name} {_sql_type(f.type, 'BIGINT')}" for f in table.schema)
                self.run(f"CREATE TEMPORARY TABLE {name} ({columns}) ON COMMIT DROP")
                copy_csv(self._cursor, name, table)
            return {name: name for name in tables}
        # SQLite without scratch files: small amounts, inside a transaction this object does not end
        for name, table in tables.items():
            columns = ", ".join(f"{f.name} {_sql_type(f.type, 'BIGINT')}" for f in table.schema)
            self.run(f"DROP TABLE IF EXISTS temp.{name}")
            self.run(f"CREATE TEMPORARY TABLE {name} ({columns})")
            self._temporary.append(name)
            if table.num_rows:
                marks = ", ".join(["?"] * table.num_columns)
                rows = zip(*(column.to_pylist() for column in table.columns), strict=True)
                self._cursor.executemany(f"INSERT INTO temp.{name} VALUES ({marks})", rows)
        return {name: f"temp.{name}" for name in tables}

    def drop_temporary(self) -> None:
        """Drop the temporary tables ``put`` made without scratch files (inside the transaction)."""
        temporary, self._temporary = self._temporary, []
        for name in temporary:
            self.run(f"DROP TABLE IF EXISTS temp.{name}")

    def release(self) -> None:
        """After the transaction: detach and delete the scratch files."""
        if self._autocheckpoint is not None:
            self._raw.execute(f"PRAGMA wal_autocheckpoint={self._autocheckpoint}")
            self._autocheckpoint = None
        if self._cache_size is not None:
            self._raw.execute(f"PRAGMA cache_size={self._cache_size}")
            self._cache_size = None
        attached, self._attached = self._attached, []
        staged, self._staged = self._staged, []
        try:
            for alias, path in attached:
                try:
                    self._raw.execute(f"DETACH DATABASE {alias}")
                finally:
                    path.unlink(missing_ok=True)
        finally:
            for directory in staged:
                shutil.rmtree(directory, ignore_errors=True)


def background_checkpoints(session: Session) -> BackgroundCheckpoints:
    """Checkpoint the SQLite WAL from a thread of its own while a bulk ingest writes (no-op on
    PostgreSQL); the ingest's transactions call ``BulkSql.checkpoints_elsewhere``."""
    return BackgroundCheckpoints(session.get_bind().engine)


def copy_csv(cursor: Any, table_name: str, table: pa.Table, columns: Sequence[str] | None = None) -> None:
    """PostgreSQL ``COPY … FROM STDIN`` of an Arrow table, as CSV written by Arrow (no per-row Python).
    Arrow writes a null as an empty field and an empty string as ``""``: COPY reads them back so."""
    if not table.num_rows:
        return
    names = ", ".join(columns or table.schema.names)
    options = pa_csv.WriteOptions(include_header=False, batch_size=65_536)
    with cursor.copy(f"COPY {table_name} ({names}) FROM STDIN (FORMAT csv)") as copy:
        for batch in table.to_batches(max_chunksize=65_536):
            buffer = io.BytesIO()
            pa_csv.write_csv(batch, buffer, options)
            copy.write(buffer.getvalue())


# -- one group: events in, the others classified -------------------------------------------------


def insert_events(sql: BulkSql, stage: str, *, partner_id: int, batch_id: int) -> int:
    """SQLite: insert the staged rows, the first of a key in row order winning; return how many
    went in. The stage was written in key order (``in_key_order``: by event id, then row number),
    so its rowid order is that order and ``ORDER BY rowid`` costs no sort: the rows of a repeated id
    come in row order, and the inserts walk the table's key in one direction (ids that are not in
    row order, such as hashed or random transaction ids, no longer land each on a page of their
    own: docs/decisions/0005, phase 18)."""
    p, b = int(partner_id), int(batch_id)
    columns = ", ".join(EVENT_INSERT_COLUMNS)
    sql.run(
        f"INSERT INTO carbon_events (partner_id, batch_id, {columns}) "
        f"SELECT {p}, {b}, {columns} FROM {stage} WHERE true ORDER BY rowid "
        "ON CONFLICT (partner_id, event_id) DO NOTHING"
    )
    return sql.changes()


def in_key_order(events: pa.Table) -> pa.Table:
    """``events`` (in row order) sorted by event id, then row number: the order of the events'
    table's key (the bytes of the UTF-8 text, as SQLite and PostgreSQL's ``C`` collations compare;
    others nearly so); unchanged when their ids already rise with the rows, as a partner's
    sequential ids do (one comparison a row)."""
    ids = events.column("event_id")
    if len(ids) < 2 or pc.all(pc.less_equal(ids.slice(0, len(ids) - 1), ids.slice(1))).as_py():
        return events
    return events.sort_by([("event_id", "ascending"), ("row_number", "ascending")])


def first_is_stored(sql: BulkSql, events: pa.Table, *, partner_id: int) -> bool:
    """Whether the partner's events have the id of ``events``' first row (a group, in row order):
    then the group is likely part of a file sent again (one index probe)."""
    if not events.num_rows:
        return False
    marker = "?" if sql.dialect == "sqlite" else "%s"
    first = events.column("event_id")[0].as_py()
    statement = f"SELECT 1 FROM carbon_events WHERE partner_id = {marker} AND event_id = {marker}"
    return bool(sql.rows(statement, (int(partner_id), first)))


@dataclass(frozen=True)
class StoredRows:
    """What ``classify_stored`` found: the row numbers of the staged rows whose event id the
    partner's events already have, and whether every staged row is a duplicate of its stored
    event (``all_duplicates``: then nothing is left to classify, and ``OTHERS`` was not made)."""

    rows: list[int]
    all_duplicates: bool = False


def classify_stored(
    sql: BulkSql, stage: str, *, partner_id: int, row_numbers: pa.ChunkedArray, likely_all: bool
) -> StoredRows:
    """Before the group's events go in (on PostgreSQL when some of their ids are stored; on SQLite
    when ``first_is_stored``): classify the staged rows (``KEY_COLUMNS``, ``row_numbers`` theirs)
    whose event id the partner's events already have (duplicate or conflict) into ``OTHERS``, in
    one index probe a row, and return their row numbers. ``classify`` then goes on from there.
    When every row is stored (a file sent again), the row numbers are the group's own, not read
    back (half a million a group).

    ``likely_all`` (the group's first id is stored: a file sent again, most likely unchanged):
    the stored rows are counted first, and when every staged row is a duplicate, that is the
    answer, without writing a row of ``OTHERS`` (on PostgreSQL, with its index, a third of the
    probes' time: docs/decisions/0005, phase 16). Otherwise the rows are probed again as above."""
    p = int(partner_id)
    if likely_all:
        with sql.index_probes():
            ((matched, same),) = sql.rows(_stored_counts_statement(stage, p))
        if int(matched) == int(same or 0) == len(row_numbers):
            return StoredRows(row_numbers.to_pylist(), all_duplicates=True)
    _new_others(sql)
    with sql.index_probes():
        sql.run(_stored_rows_statement(stage, p))
    if sql.changes() == len(row_numbers):
        return StoredRows(row_numbers.to_pylist())
    return StoredRows([int(row) for (row,) in sql.rows(f"SELECT row_number FROM {OTHERS}")])


def _stored_counts_statement(stage: str, partner_id: int) -> str:
    """The staged rows whose id a stored event has, and how many of them say the same."""
    return (
        f"SELECT COUNT(*), SUM(CASE WHEN {same_content('e', 's')} THEN 1 ELSE 0 END) "
        f"FROM {stage} s JOIN carbon_events e ON e.partner_id = {int(partner_id)} "
        "AND e.event_id = s.event_id"
    )


def _new_others(sql: BulkSql) -> None:
    sql.run(f"DROP TABLE IF EXISTS {OTHERS}")
    sql.run(
        f"CREATE TEMPORARY TABLE {OTHERS} (row_number BIGINT PRIMARY KEY, outcome BIGINT NOT NULL, "
        "winner_partner_id BIGINT, winner_event_id TEXT, event_id TEXT)"
    )


def _stored_rows_statement(stage: str, partner_id: int, batch_id: int | None = None) -> str:
    """Staged rows whose id a stored event has into ``OTHERS``: the same content a duplicate,
    other content a conflict. With ``batch_id``: besides the row's own event of that batch, and
    only rows not classified yet."""
    where = (
        f"WHERE NOT (e.batch_id = {int(batch_id)} AND e.row_number = s.row_number) AND NOT EXISTS "
        f"(SELECT 1 FROM {OTHERS} o WHERE o.row_number = s.row_number)"
        if batch_id is not None
        else ""
    )
    return (
        f"INSERT INTO {OTHERS} (row_number, outcome) SELECT s.row_number, "
        f"CASE WHEN {same_content('e', 's')} THEN {DUPLICATE} ELSE {CONFLICT} END "
        f"FROM {stage} s JOIN carbon_events e ON e.partner_id = {int(partner_id)} "
        f"AND e.event_id = s.event_id {where}"
    )


def copy_events(sql: BulkSql, events: pa.Table, *, partner_id: int, batch_id: int) -> int:
    """PostgreSQL: COPY new events straight into ``carbon_events`` (faster than staging them), in
    key order (``in_key_order``): ids that do not rise with the rows then reach the key's index in
    one sweep instead of a page each (docs/decisions/0005, phase 18)."""
    table = in_key_order(events.select(list(EVENT_INSERT_COLUMNS)))
    count = table.num_rows
    table = table.add_column(0, "batch_id", pa.array([int(batch_id)] * count, pa.int64()))
    table = table.add_column(0, "partner_id", pa.array([int(partner_id)] * count, pa.int64()))
    copy_csv(sql._cursor, "carbon_events", table)
    return count


def copy_if_all_new(sql: BulkSql, events: pa.Table, *, partner_id: int, batch_id: int) -> int | None:
    """PostgreSQL: COPY the events straight in if none of their ids is stored (a new file: no
    look-up of each); if one is, write nothing and return None (the caller looks them up). The
    first id is looked up first, so that a file sent again costs no COPY; the intake lock keeps
    other writers of events out meanwhile."""
    if not events.num_rows:
        return 0
    if first_is_stored(sql, events, partner_id=partner_id):
        return None  # a file sent again: no COPY that would fail at its end
    return _unless_a_key_exists(
        sql, lambda: copy_events(sql, events, partner_id=partner_id, batch_id=batch_id)
    )


def _unless_a_key_exists(sql: BulkSql, copy: Callable[[], _T]) -> _T | None:
    """PostgreSQL: run ``copy`` (a COPY into a table with a unique key) under a savepoint and
    return what it returns; if a row's key is in the table already, undo it all and return None
    (the transaction goes on)."""
    sql.run("SAVEPOINT sg_copy_new_rows")
    try:
        done = copy()
    except Exception as exc:
        if getattr(exc, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
        sql.run("ROLLBACK TO SAVEPOINT sg_copy_new_rows")
        return None
    sql.run("RELEASE SAVEPOINT sg_copy_new_rows")
    return done


@dataclass
class Classified:
    """What the rows of a group that did not simply go in came to."""

    counts: dict[int, int] = field(default_factory=dict)
    conflict_rows: list[int] = field(default_factory=list)
    not_new_rows: list[int] = field(default_factory=list)

    @property
    def conflicts(self) -> int:
        return self.counts.get(CONFLICT, 0)

    @property
    def duplicates(self) -> int:
        return self.counts.get(DUPLICATE, 0) + self.counts.get(DEDUPE_DUPLICATE, 0)


def classify(
    sql: BulkSql,
    stage: str,
    *,
    partner_id: int,
    batch_id: int,
    all_inserted: bool,
    has_dedupe: bool,
    want_not_new: bool,
    stored: StoredRows | None = None,
    repeated: bool = True,
) -> Classified:
    """Classify the staged rows that are not new events of this batch: same key and content
    (duplicate), same key and other content (conflict); then let the new rows claim their dedupe
    keys, first claim winning, and link a row whose key another event holds to that winner.
    ``stage`` has ``KEY_COLUMNS`` (the event id and content). After ``classify_stored``
    (``stored``) only rows repeating an id of the group itself are left to look up, if there are
    any (``repeated``); its row numbers are the rows not new unless more are classified here
    (then they are read back). When it found every row a duplicate, that is all."""
    p, b = int(partner_id), int(batch_id)
    if stored is not None and stored.all_duplicates:
        rows = list(stored.rows)
        return Classified({DUPLICATE: len(rows)}, [], rows if want_not_new else [])
    stored_classified = stored is not None
    stored_rows = stored.rows if stored is not None else None
    result = Classified()
    if all_inserted and not has_dedupe and not stored_classified:
        return result
    if not stored_classified:
        _new_others(sql)
    read_back = stored_rows is None  # rows classified here are known only to the database
    if not all_inserted and (repeated or not stored_classified):
        read_back = True
        with sql.index_probes():
            sql.run(_stored_rows_statement(stage, p, b))
    if has_dedupe:
        new_with_key = (
            f"s.dedupe_hash IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {OTHERS} o WHERE o.row_number = s.row_number)"
        )
        # the claims go in by key (the first row of a key still claims it first), so that keyed
        # hashes, which are random, reach the claims' key in one sweep instead of a page each
        sql.run(
            "INSERT INTO carbon_dedupe_claims (dedupe_hash, partner_id, event_id, batch_id) "
            f"SELECT s.dedupe_hash, {p}, s.event_id, {b} FROM {stage} s WHERE {new_with_key} "
            "ORDER BY s.dedupe_hash, s.row_number ON CONFLICT (dedupe_hash) DO NOTHING"
        )
        claimed = sql.changes()
        # a row loses when its key was claimed before it: none did if every keyed row claimed
        # its own (the first partner to send those keys). Else the losers, linked to the winning
        # claim, are written where they are read, never fetched row by row
        (keyed,) = sql.rows(f"SELECT COUNT(*) FROM {stage} s WHERE {new_with_key}")[0]
        if int(keyed) != claimed:
            sql.run(
                f"INSERT INTO {OTHERS} (row_number, outcome, winner_partner_id, winner_event_id, event_id) "
                f"SELECT s.row_number, {DEDUPE_DUPLICATE}, c.partner_id, c.event_id, s.event_id "
                f"FROM {stage} s JOIN carbon_dedupe_claims c ON c.dedupe_hash = s.dedupe_hash "
                f"WHERE {new_with_key} AND NOT (c.partner_id = {p} AND c.event_id = s.event_id)"
            )
            if sql.changes():
                read_back = True
                with sql.index_probes():
                    sql.run(
                        "UPDATE carbon_events SET duplicate_of_partner_id = o.winner_partner_id, "
                        f"duplicate_of_event_id = o.winner_event_id FROM {OTHERS} o "
                        f"WHERE o.outcome = {DEDUPE_DUPLICATE} AND carbon_events.partner_id = {p} "
                        "AND carbon_events.event_id = o.event_id"
                    )
    for kind, count in sql.rows(f"SELECT outcome, COUNT(*) FROM {OTHERS} GROUP BY outcome"):
        result.counts[int(kind)] = int(count)
    if result.conflicts:
        result.conflict_rows = [
            int(row)
            for (row,) in sql.rows(
                f"SELECT row_number FROM {OTHERS} WHERE outcome = {CONFLICT} ORDER BY row_number"
            )
        ]
    if want_not_new and any(result.counts.values()):
        result.not_new_rows = (
            [int(row) for (row,) in sql.rows(f"SELECT row_number FROM {OTHERS}")]
            if read_back
            else list(stored_rows or ())
        )
    sql.run(f"DROP TABLE {OTHERS}")
    return result


def new_batch(
    sql: BulkSql, ingest_id: int, first_row: int, last_row: int, now_us: int, *, accounted: bool
) -> int:
    """A batch of a bulk file; ``accounted`` when it has no new event to account."""
    done = str(int(now_us)) if accounted else "NULL"
    rows = sql.rows(
        "INSERT INTO carbon_batches (ingest_id, first_row, last_row, created_at_us, accounted_at_us) "
        f"VALUES ({int(ingest_id)}, {int(first_row)}, {int(last_row)}, {int(now_us)}, {done}) RETURNING id"
    )
    return int(rows[0][0])


def add_counts(
    sql: BulkSql,
    ingest_id: int,
    *,
    accepted: int,
    duplicates: int,
    conflicts: int,
    rejected: int,
    checkpoint_row: int,
) -> None:
    """Add a group's outcome counts to its ingest run and move the checkpoint (same transaction)."""
    sql.run(
        f"UPDATE carbon_ingests SET accepted = accepted + {int(accepted)}, "
        f"duplicates = duplicates + {int(duplicates)}, conflicts = conflicts + {int(conflicts)}, "
        f"rejected = rejected + {int(rejected)}, checkpoint_row = {int(checkpoint_row)} "
        f"WHERE id = {int(ingest_id)}"
    )


# -- accounting several groups at once -----------------------------------------------------------

MONTH_COLUMNS = (
    "resident_id",
    "behaviour_id",
    "month",
    "reduction_g",
    "day_credited_g",
    "credited_g",
    "days",
)
OLD_MONTHS = pa.schema([(name, pa.string() if name == "days" else pa.int64()) for name in MONTH_COLUMNS])
OLD_VERSIONS = pa.schema(
    [("resident_id", pa.int64()), ("version_id", pa.int64()), ("credited_g", pa.int64())]
)
OLD_POINTS = pa.schema(
    [
        (name, pa.int64())
        for name in ("resident_id", "points", "points_posted", "credited_g", "settled_batch_id")
    ]
)
BATCH_EVENTS = pa.schema(
    [
        ("batch_id", pa.int64()),
        ("resident_id", pa.int64()),
        ("behaviour_id", pa.int64()),
        ("day", pa.int64()),
        ("added", pa.int64()),
    ]
)


@dataclass(frozen=True)
class OldTotals:
    """What a flush starts from: the version totals and points of the touched residents, and the
    touched month rows, read a part of the residents at a time (``months``)."""

    sql: BulkSql
    month_keys: str
    people: str
    versions: pa.Table
    points: pa.Table

    def refs(self) -> dict[int, str]:
        """The touched residents' refs (their ledger accounts are named by them)."""
        return {
            int(resident): str(ref)
            for resident, ref in self.sql.rows(
                f"SELECT r.id, r.ref FROM {self.people} p JOIN residents r ON r.id = p.resident_id"
            )
        }

    def months(self, part: int) -> pa.Table:
        """The stored month rows of the touched keys of ``part`` (keys sorted, for ordered look-ups)."""
        columns = ", ".join(f"m.{name}" for name in MONTH_COLUMNS)
        return self.sql.arrow(
            f"SELECT {columns} FROM {self.month_keys} k JOIN carbon_month_totals m "
            "ON m.resident_id = k.resident_id AND m.behaviour_id = k.behaviour_id AND m.month = k.month "
            f"WHERE k.part = {int(part)}",
            OLD_MONTHS,
        )


def old_totals(sql: BulkSql, month_keys: pa.Table, residents: pa.Table) -> OldTotals:
    """The stored totals of the touched (resident, behaviour, month) keys, which carry the ``part``
    of the residents they belong to, and of the touched residents."""
    names = sql.put({"carbon_flush_month_keys": month_keys, "carbon_flush_ids": residents})
    people = names["carbon_flush_ids"]
    return OldTotals(
        sql=sql,
        month_keys=names["carbon_flush_month_keys"],
        people=people,
        versions=sql.arrow(
            "SELECT v.resident_id, v.version_id, v.credited_g FROM "
            f"{people} r JOIN carbon_resident_version_totals v ON v.resident_id = r.resident_id",
            OLD_VERSIONS,
        ),
        points=sql.arrow(
            "SELECT t.resident_id, t.points, t.points_posted, t.credited_g, t.settled_batch_id FROM "
            f"{people} r "
            "JOIN carbon_resident_totals t ON t.resident_id = r.resident_id",
            OLD_POINTS,
        ),
    )


def copy_new_months(sql: BulkSql, months: pa.Table) -> bool:
    """PostgreSQL: COPY month rows (``MONTH_COLUMNS``) that no stored row has straight into
    ``carbon_month_totals``; True when they went in. The writers of totals hold the intake lock,
    so none can have appeared since they were read; should one have, nothing of them is written
    (a savepoint) and False tells the caller to write them with the others, as updates."""
    if not months.num_rows:
        return True

    def copy() -> int:
        copy_csv(sql._cursor, "carbon_month_totals", months)  # by the table's own column names
        return months.num_rows

    return _unless_a_key_exists(sql, copy) is not None


def stage_totals(sql: BulkSql, *, months: Rows, versions: pa.Table, residents: pa.Table) -> Staged:
    """``write_totals``' rows made ready (``BulkSql.stage``: any thread may do it)."""
    return sql.stage(
        {"carbon_flush_months": months, "carbon_flush_versions": versions, "carbon_flush_people": residents}
    )


def write_totals(sql: BulkSql, staged: Staged, *, last_batch_id: int) -> None:
    """Write the new totals (``stage_totals``): month and version rows as their new values;
    residents' reduction and credited grams as additions, their points as the new total, and where
    ``settled_now`` their points as posted to the ledger by this flush (``settled_batch_id`` =
    ``last_batch_id``)."""
    last = int(last_batch_id)
    names = sql.put_staged(staged)
    columns = ", ".join(MONTH_COLUMNS)
    sql.run(
        f"INSERT INTO carbon_month_totals ({columns}) SELECT {columns} FROM {names['carbon_flush_months']} "
        "WHERE true ON CONFLICT (resident_id, behaviour_id, month) DO UPDATE SET "
        "reduction_g = excluded.reduction_g, day_credited_g = excluded.day_credited_g, "
        "credited_g = excluded.credited_g, days = excluded.days"
    )
    sql.run(
        "INSERT INTO carbon_resident_version_totals (resident_id, version_id, credited_g) "
        f"SELECT resident_id, version_id, credited_g FROM {names['carbon_flush_versions']} WHERE true "
        "ON CONFLICT (resident_id, version_id) DO UPDATE SET credited_g = excluded.credited_g"
    )
    sql.run(
        "INSERT INTO carbon_resident_totals (resident_id, reduction_g, credited_g, points, points_posted, "
        "last_batch_id, settled_batch_id) SELECT resident_id, added_reduction, added_credited, points, "
        f"CASE WHEN settled_now = 1 THEN points ELSE 0 END, {last}, "
        f"CASE WHEN settled_now = 1 THEN {last} ELSE 0 END "
        f"FROM {names['carbon_flush_people']} WHERE true "
        "ON CONFLICT (resident_id) DO UPDATE SET "
        "reduction_g = carbon_resident_totals.reduction_g + excluded.reduction_g, "
        "credited_g = carbon_resident_totals.credited_g + excluded.credited_g, "
        "points = excluded.points, last_batch_id = excluded.last_batch_id, "
        "points_posted = CASE WHEN excluded.settled_batch_id > 0 THEN excluded.points_posted "
        "ELSE carbon_resident_totals.points_posted END, "
        "settled_batch_id = CASE WHEN excluded.settled_batch_id > 0 THEN excluded.settled_batch_id "
        "ELSE carbon_resident_totals.settled_batch_id END"
    )


def unaccounted(sql: BulkSql, batch_ids: Sequence[int]) -> list[int]:
    """Which of these batches the totals do not hold yet (read under the intake lock)."""
    if not batch_ids:
        return []
    ids = ", ".join(str(int(b)) for b in batch_ids)
    return sorted(
        int(b)
        for (b,) in sql.rows(f"SELECT id FROM carbon_batches WHERE id IN ({ids}) AND accounted_at_us IS NULL")
    )


def mark_accounted(
    sql: BulkSql,
    batch_ids: Sequence[int],
    now_us: int,
    *,
    ingest_id: int,
    reduction_g: int,
    credited_g: int,
    points: int,
) -> None:
    """The batches' events are in the totals; their ingest run gets the grams and points."""
    ids = ", ".join(str(int(b)) for b in batch_ids)
    sql.run(f"UPDATE carbon_batches SET accounted_at_us = {int(now_us)} WHERE id IN ({ids})")
    sql.run(
        f"UPDATE carbon_ingests SET reduction_g = reduction_g + {int(reduction_g)}, "
        f"credited_g = credited_g + {int(credited_g)}, points = points + {int(points)} "
        f"WHERE id = {int(ingest_id)}"
    )


def unaccounted_batches(
    sql: BulkSql, batch_ids: Sequence[int] | None = None
) -> list[tuple[int, int, int, int]]:
    """``(batch id, ingest id, partner id, created_at_us)`` of every batch not accounted yet (of
    these batches only, if given)."""
    among = ""
    if batch_ids is not None:
        if not batch_ids:
            return []
        among = f" AND b.id IN ({', '.join(str(int(b)) for b in batch_ids)})"
    return [
        (int(b), int(i), int(p), int(c))
        for b, i, p, c in sql.rows(
            "SELECT b.id, b.ingest_id, i.partner_id, b.created_at_us FROM carbon_batches b JOIN "
            f"carbon_ingests i ON i.id = b.ingest_id WHERE b.accounted_at_us IS NULL{among} ORDER BY b.id"
        )
    ]


def batch_events(sql: BulkSql, partner_id: int, batch_ids: Sequence[int]) -> pa.Table:
    """The accountable events of these batches, read back (to account batches whose ingest died
    before accounting them). A scan of the partner's events: the rare path."""
    ids = ", ".join(str(int(b)) for b in batch_ids)
    return sql.arrow(
        "SELECT batch_id, resident_id, behaviour_id, day, reduction_g FROM carbon_events "
        f"WHERE partner_id = {int(partner_id)} AND batch_id IN ({ids}) AND duplicate_of_partner_id IS NULL",
        BATCH_EVENTS,
    )
