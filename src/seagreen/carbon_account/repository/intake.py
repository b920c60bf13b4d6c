# ruff: noqa: S608 - statements are built from fixed names and integer literals only (see below)
"""The real-time intake's SQL: resolve staged events against what is stored, write them, and read
and write the totals their accounting changes.

One request's checked events are written, and where needed *staged* in a temporary table
(``carbon_stage``), and a fixed sequence of set-based statements does the rest inside the
request's transaction:

1. ``INSERT … ON CONFLICT DO NOTHING`` into ``carbon_events``, in row order, so the first of
   several rows with one (partner, event_id) wins (on SQLite straight from the rows, staged
   afterwards only when step 2 or 3 has work; on PostgreSQL from the stage);
2. when fewer rows went in than were staged, every staged row is classified against the stored
   event of its key: inserted by this batch (accepted), same content hash (duplicate) or other
   content (conflict);
3. dedupe claims: the accepted rows with a dedupe hash claim it (first claim wins); a row whose
   hash was claimed by another event becomes a duplicate linked to the winner;
4. the accepted rows' month rows, version and resident totals are read, updated by the domain's
   rules (``service.intake.account_new_events``) and written back.

Writers of totals are serialised (``lock_intake``), so reading the old totals and writing the new
ones cannot race. Every statement is built from integer literals and fixed names only (no value
from outside is ever formatted into SQL); values travel as bound parameters or COPY rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Protocol

import pyarrow as pa
from sqlalchemy.orm import Session

from seagreen.db.pg_arrays import execute_arrays

INTAKE_LOCK_KEY = 0x5EA6_0006
STAGE = "carbon_stage"
NEW, DUPLICATE, CONFLICT, DEDUPE_DUPLICATE = 0, 1, 2, 3

STAGE_SCHEMA = pa.schema(
    [
        ("row_number", pa.int64()),
        ("event_id", pa.string()),
        ("resident_id", pa.int64()),
        ("behaviour_id", pa.int64()),
        ("version_id", pa.int64()),
        ("day", pa.int64()),
        ("month", pa.int64()),
        ("dom", pa.int64()),
        ("quantity_milli", pa.int64()),
        ("occurred_at_us", pa.int64()),
        ("reduction_g", pa.int64()),
        ("dedupe_hash", pa.string()),
        ("attributes", pa.string()),
    ]
)
_SQL_TYPES = {pa.int64(): "BIGINT", pa.string(): "TEXT"}
StageRow = tuple[Any, ...]
"""A checked event of the real-time intake: ``STAGE_SCHEMA``'s columns, in its order, as Python
values (a request's thousand rows stay tuples from the checks to the writes: through Arrow and
back cost more than the writes' own Python work, docs/decisions/0005, phase 28)."""
STAGE_COLUMN = {name: index for index, name in enumerate(STAGE_SCHEMA.names)}
"""A stage row's position of each column."""


class Statements(Protocol):
    """What ``index_probes`` needs of a connection (``Sql``, or a bulk file's ``BulkSql``)."""

    dialect: str

    def run(self, statement: str) -> int:
        """Execute; return the number of rows changed (-1 when the driver cannot say)."""


class Sql(Statements, Protocol):
    """A connection inside the request's transaction."""

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    @property
    def marker(self) -> str:
        """The driver's parameter marker (``?`` or ``%s``)."""

    def many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """Execute once per row of parameters."""

    def arrays(self, statement: str, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """PostgreSQL: execute once, each column of ``rows`` bound as one array (``%b``, which
        the statement ``unnest``s); the rows it returns, if any. No rows: no statement, no rows."""

    def stage(self, rows: Sequence[StageRow]) -> None:
        """Create ``carbon_stage`` (temporary) holding ``rows`` (``STAGE_SCHEMA``'s columns) plus
        the result columns ``outcome`` (``NEW``), ``winner_partner_id`` and ``winner_event_id``
        (NULL)."""

    def insert_events(self, rows: Sequence[StageRow], *, partner_id: int, batch_id: int) -> int:
        """Insert ``rows`` (``STAGE_SCHEMA``'s columns, in row order) into ``carbon_events``, a row
        whose (partner, event_id) is stored already left out; return how many went in."""


class SessionSql:
    """The session's own DB-API connection, for the real-time API's batches (at most 1,000
    events; bulk files go through ``bulk_intake``)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self._cursor: Any = session.connection().connection.cursor()

    def run(self, statement: str) -> int:
        self._cursor.execute(statement)
        return int(self._cursor.rowcount)

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cursor.execute(statement, params) if params else self._cursor.execute(statement)
        return [tuple(row) for row in self._cursor.fetchall()]

    @property
    def marker(self) -> str:
        return "?" if self.dialect == "sqlite" else "%s"

    def many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._cursor.executemany(statement, rows)

    def arrays(self, statement: str, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        # one statement and one round trip for a request's rows: psycopg's executemany sends a
        # Bind and an Execute a row, and a statement of a thousand ``%s`` is parsed again on every
        # call (too long for its cache); both cost more than the server's work (phase 29)
        if not rows:
            return []
        execute_arrays(self._cursor, statement, rows)
        return [tuple(row) for row in self._cursor.fetchall()] if self._cursor.description else []

    def stage(self, rows: Sequence[StageRow]) -> None:
        self.run(f"DROP TABLE IF EXISTS {STAGE}")
        columns = ", ".join(f"{f.name} {_SQL_TYPES[f.type]}" for f in STAGE_SCHEMA)
        self.run(
            f"CREATE TEMPORARY TABLE {STAGE} ({columns}, outcome BIGINT NOT NULL DEFAULT {NEW}, "
            "winner_partner_id BIGINT, winner_event_id TEXT)"
        )
        if not rows:
            return
        names = ", ".join(STAGE_SCHEMA.names)
        if self.dialect == "postgresql":
            with self._cursor.copy(f"COPY {STAGE} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["?"] * len(STAGE_SCHEMA))
        self._cursor.executemany(f"INSERT INTO {STAGE} ({names}) VALUES ({placeholders})", rows)

    def insert_events(self, rows: Sequence[StageRow], *, partner_id: int, batch_id: int) -> int:
        if self.dialect == "postgresql":
            # one statement of arrays, in row order: of two rows of one id the first goes in and the
            # second is left out, as one whose id is stored already (``DO NOTHING`` skips a row
            # that meets a row of the same statement too)
            self.arrays(
                f"INSERT INTO carbon_events ({', '.join(_EVENT_COLUMNS)}) SELECT {int(partner_id)}, "
                f"{int(batch_id)}, v.* FROM unnest({_EVENT_ARRAYS}) AS v ({', '.join(EVENT_INSERT_COLUMNS)}) "
                "ORDER BY v.row_number ON CONFLICT (partner_id, event_id) DO NOTHING",
                [_EVENT_VALUES(row) for row in rows],
            )
            return int(self._cursor.rowcount)
        marks = ", ".join([self.marker] * len(EVENT_INSERT_COLUMNS))
        self._cursor.executemany(
            f"INSERT INTO carbon_events ({', '.join(_EVENT_COLUMNS)}) VALUES ({int(partner_id)}, "
            f"{int(batch_id)}, {marks}) ON CONFLICT (partner_id, event_id) DO NOTHING",
            map(_EVENT_VALUES, rows),
        )
        return int(self._cursor.rowcount)  # summed over the rows: 0 for each one left out


EVENT_INSERT_COLUMNS = (
    "row_number",
    "event_id",
    "resident_id",
    "behaviour_id",
    "quantity_milli",
    "occurred_at_us",
    "day",
    "reduction_g",
    "dedupe_hash",
    "attributes",
)
"""The columns of ``carbon_events`` that come from a batch's checked rows (the batch's partner and
id are the others it writes); the bulk path writes the same (``bulk_intake``)."""
CONTENT_COLUMNS = (
    "resident_id",
    "behaviour_id",
    "quantity_milli",
    "occurred_at_us",
    "dedupe_hash",
    "attributes",
)
"""What an event says, normalised: the same (partner, event id) sent again with all of these equal
is a duplicate, with any other a conflict. The resident and behaviour as their ids (one resident a
reference, one behaviour a code, and an instant's version never changes: versions start after the
day they are published), the quantity in thousandths, the instant in µs, the dedupe key's keyed
hash, the attributes' text (``domain.attribute_text``). Compared column by column with the stored
event (``same_content``) instead of through a stored hash of them: hashing every event took a third of
the bulk checks' time (docs/decisions/0005, phase 14)."""
_NULLABLE_CONTENT = frozenset(("dedupe_hash", "attributes"))


def same_content(stored: str, staged: str) -> str:
    """SQL: the event ``stored`` and the row ``staged`` (table aliases) say the same (NULLs equal;
    neither text column ever holds ``''``)."""
    return " AND ".join(
        f"coalesce({stored}.{name}, '') = coalesce({staged}.{name}, '')"
        if name in _NULLABLE_CONTENT
        else f"{stored}.{name} = {staged}.{name}"
        for name in CONTENT_COLUMNS
    )


_EVENT_COLUMNS = ("partner_id", "batch_id", *EVENT_INSERT_COLUMNS)
_EVENT_VALUES = itemgetter(*(STAGE_COLUMN[name] for name in EVENT_INSERT_COLUMNS))
"""A stage row's values of ``EVENT_INSERT_COLUMNS``, in their order."""
_EVENT_ARRAYS = ", ".join(
    f"%b::{_SQL_TYPES[STAGE_SCHEMA.field(name).type]}[]" for name in EVENT_INSERT_COLUMNS
)
"""PostgreSQL: the array parameters of ``_EVENT_VALUES``' columns, typed, for ``unnest``."""


def lock_intake(sql: Sql) -> None:
    """Serialise writers of events and totals (SQLite's write lock does it by itself)."""
    if sql.dialect == "postgresql":
        sql.run(f"SELECT pg_advisory_xact_lock({INTAKE_LOCK_KEY})")


def lock_intake_session(session: Session) -> None:
    """``lock_intake`` for a use case that holds a session (voids, points adjustments)."""
    lock_intake(SessionSql(session))


@dataclass
class BatchOutcome:
    """What one staged batch came to."""

    counts: dict[int, int] = field(default_factory=dict)
    reduction_g: int = 0
    credited_g: int = 0
    points: int = 0
    # (row_number, outcome, winner partner id, winner event id) of the rows not accepted
    others: list[tuple[int, int, int | None, str | None]] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.counts.get(NEW, 0)

    @property
    def duplicates(self) -> int:
        return self.counts.get(DUPLICATE, 0) + self.counts.get(DEDUPE_DUPLICATE, 0)

    @property
    def conflicts(self) -> int:
        return self.counts.get(CONFLICT, 0)


def resolve(sql: Sql, rows: Sequence[StageRow], *, partner_id: int, batch_id: int) -> BatchOutcome:
    """Steps 1-3 of the module docstring for a batch's checked rows (``StageRow``). The rows
    not accepted are in ``others``, the rest are the batch's new events.

    The rows go straight into ``carbon_events``; only when some did not go in, or some carry a
    dedupe key, are they staged to be classified. A request of new events without dedupe keys, the
    usual one, is then one statement where it was five (create, fill, insert from, look for dedupe
    keys in and drop the temporary table; and a schema change makes SQLite prepare the
    connection's statements again). PostgreSQL staged every request (``COPY``) until phase 30:
    the temporary table's making, filling and dropping cost 8 ms of a request's 120."""
    p, b = int(partner_id), int(batch_id)
    staged = len(rows)
    rows = sorted(rows, key=_ROW_NUMBER)  # the first of a repeated id wins (a thousand rows at most)
    dedupe = STAGE_COLUMN["dedupe_hash"]
    has_dedupe = any(row[dedupe] is not None for row in rows)
    inserted = sql.insert_events(rows, partner_id=p, batch_id=b)
    if inserted == staged and not has_dedupe:
        return BatchOutcome(counts={NEW: staged})
    sql.stage(rows)
    classified = inserted != staged
    if classified:
        with index_probes(sql):
            sql.run(classify_statement(p, b))
    if has_dedupe and sql.rows(
        f"SELECT 1 FROM {STAGE} WHERE dedupe_hash IS NOT NULL AND outcome = {NEW} LIMIT 1"
    ):
        classified = True
        with index_probes(sql):  # the claims' key and the events' key, probed a row each
            sql.run(
                "INSERT INTO carbon_dedupe_claims (dedupe_hash, partner_id, event_id, batch_id) "
                f"SELECT dedupe_hash, {p}, event_id, {b} FROM {STAGE} "
                f"WHERE dedupe_hash IS NOT NULL AND outcome = {NEW} ORDER BY row_number "
                "ON CONFLICT (dedupe_hash) DO NOTHING"
            )
            sql.run(
                f"UPDATE {STAGE} SET outcome = {DEDUPE_DUPLICATE}, winner_partner_id = c.partner_id, "
                f"winner_event_id = c.event_id FROM carbon_dedupe_claims c "
                f"WHERE c.dedupe_hash = {STAGE}.dedupe_hash AND {STAGE}.outcome = {NEW} "
                f"AND NOT (c.partner_id = {p} AND c.event_id = {STAGE}.event_id)"
            )
            sql.run(
                f"UPDATE carbon_events SET duplicate_of_partner_id = s.winner_partner_id, "
                f"duplicate_of_event_id = s.winner_event_id FROM {STAGE} s "
                f"WHERE s.outcome = {DEDUPE_DUPLICATE} AND carbon_events.partner_id = {p} "
                "AND carbon_events.event_id = s.event_id"
            )
    outcome = BatchOutcome()
    if classified:
        for kind, count in sql.rows(f"SELECT outcome, COUNT(*) FROM {STAGE} GROUP BY outcome"):
            outcome.counts[int(kind)] = int(count)
    else:  # every staged row went in and claimed no dedupe key: all are new, no need to count
        outcome.counts[NEW] = staged
    if outcome.accepted != staged:
        outcome.others = [
            (int(row), int(kind), None if wp is None else int(wp), we)
            for row, kind, wp, we in sql.rows(
                f"SELECT row_number, outcome, winner_partner_id, winner_event_id FROM {STAGE} "
                f"WHERE outcome <> {NEW} ORDER BY row_number"
            )
        ]
    sql.run(f"DROP TABLE IF EXISTS {STAGE}")
    return outcome


_ROW_NUMBER = itemgetter(STAGE_COLUMN["row_number"])


_NO_PROBE_PLANS = ("enable_hashjoin", "enable_mergejoin", "enable_material", "enable_bitmapscan")
"""PostgreSQL: the plans ``index_probes`` turns off, leaving a nested loop over the staged rows
with one probe of the stored events' key each."""


@contextmanager
def index_probes(sql: Statements) -> Iterator[None]:
    """PostgreSQL: the statements inside join staged rows to the partner's stored events by one
    probe of the events' key a staged row, whatever the planner believes of the table. Without
    statistics (a new table, or one just grown by a partner's first file) it takes
    ``partner_id = p`` for a few rows and would hash or keep in memory every event of the partner
    for each request or group instead: a request sent again then read all of them, and a file of
    20k events sent again took 13 s (docs/decisions/0005, phase 24). SQLite plans by the keys."""
    if sql.dialect != "postgresql":
        yield
        return
    for plan in _NO_PROBE_PLANS:
        sql.run(f"SET LOCAL {plan} = off")
    yield  # an error ends the transaction, and these settings with it
    for plan in _NO_PROBE_PLANS:
        sql.run(f"RESET {plan}")


def classify_statement(partner_id: int, batch_id: int) -> str:
    """Step 2: every staged row against the stored event of its key."""
    p, b = int(partner_id), int(batch_id)
    return (
        f"UPDATE {STAGE} SET outcome = CASE WHEN e.batch_id = {b} AND e.row_number = {STAGE}.row_number "
        f"THEN {NEW} WHEN {same_content('e', STAGE)} THEN {DUPLICATE} ELSE {CONFLICT} END "
        f"FROM carbon_events e WHERE e.partner_id = {p} AND e.event_id = {STAGE}.event_id"
    )


# -- month rows, version and resident totals (the accounting of new events) ----------------------

MonthKeyIds = tuple[int, int, int]
"""(resident id, behaviour id, month number)."""


def month_rows(sql: Sql, keys: Sequence[MonthKeyIds]) -> dict[MonthKeyIds, tuple[int, int, int, str]]:
    """Stored ``(reduction_g, day_credited_g, credited_g, days)`` of these month keys."""
    found: dict[MonthKeyIds, tuple[int, int, int, str]] = {}
    if sql.dialect == "postgresql":
        # a probe of the table's key each (``LIMIT 1``: a subquery the planner cannot join whole):
        # joined, it hashed every month row of the table for a request's thousand keys
        for r, b, m, reduction, day_credited, credited, days in sql.arrays(
            "SELECT t.resident_id, t.behaviour_id, t.month, t.reduction_g, t.day_credited_g, "
            "t.credited_g, t.days FROM unnest(%b::bigint[], %b::bigint[], %b::integer[]) AS k (r, b, m) "
            "JOIN LATERAL (SELECT * FROM carbon_month_totals t WHERE t.resident_id = k.r "
            "AND t.behaviour_id = k.b AND t.month = k.m LIMIT 1) t ON true",
            keys,
        ):
            found[(r, b, m)] = (reduction, day_credited, credited, days)
        return found
    key = f"({sql.marker}, {sql.marker}, {sql.marker})"
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start : start + LOOKUP_CHUNK]
        # the keys joined to the table, so each is one primary-key look-up (a row-value IN over a
        # VALUES list made SQLite scan the whole table); bound, not written into the text
        # (``LOOKUP_CHUNK``); both drivers return these BIGINT and TEXT columns as int and str
        for r, b, m, reduction, day_credited, credited, days in sql.rows(
            f"WITH k (r, b, m) AS (VALUES {', '.join([key] * len(chunk))}) SELECT t.resident_id, "
            "t.behaviour_id, t.month, t.reduction_g, t.day_credited_g, t.credited_g, t.days FROM k "
            "JOIN carbon_month_totals t ON t.resident_id = k.r AND t.behaviour_id = k.b AND t.month = k.m",
            [value for month_key in chunk for value in month_key],
        ):
            found[(r, b, m)] = (reduction, day_credited, credited, days)
    return found


LOOKUP_CHUNK = 500
"""Keys a look-up statement of the real-time intake binds. Bound, a full chunk's statement text is
the same every request, so the driver reuses it prepared; with the values written into the text,
SQLite parsed 1,500 numbers and planned the statement again each time (1,000 month rows: about
6.5 → 3.8 ms, docs/decisions/0005, phase 17)."""


def _id_list(sql: Sql, count: int) -> str:
    return ", ".join([sql.marker] * count)


def write_month_rows(sql: Sql, rows: Sequence[tuple[int, int, int, int, int, int, str]]) -> None:
    """``(resident, behaviour, month, reduction_g, day_credited_g, credited_g, days)`` as the new
    values of their keys (each key once)."""
    columns = "resident_id, behaviour_id, month, reduction_g, day_credited_g, credited_g, days"
    update = (
        "ON CONFLICT (resident_id, behaviour_id, month) DO UPDATE SET reduction_g = excluded.reduction_g, "
        "day_credited_g = excluded.day_credited_g, credited_g = excluded.credited_g, days = excluded.days"
    )
    if sql.dialect == "postgresql":
        sql.arrays(
            f"INSERT INTO carbon_month_totals ({columns}) SELECT * FROM unnest(%b::bigint[], %b::bigint[], "
            f"%b::integer[], %b::bigint[], %b::bigint[], %b::bigint[], %b::text[]) AS v {update}",
            rows,
        )
        return
    sql.many(
        f"INSERT INTO carbon_month_totals ({columns}) VALUES ({', '.join([sql.marker] * 7)}) {update}", rows
    )


def add_version_credits(sql: Sql, rows: Sequence[tuple[int, int, int]]) -> None:
    """Add ``(resident, version, credited grams)`` to the residents' per-version totals (each
    pair once)."""
    insert = "INSERT INTO carbon_resident_version_totals (resident_id, version_id, credited_g)"
    update = (
        "ON CONFLICT (resident_id, version_id) DO UPDATE SET "
        "credited_g = carbon_resident_version_totals.credited_g + excluded.credited_g"
    )
    if sql.dialect == "postgresql":
        sql.arrays(f"{insert} SELECT * FROM unnest(%b::bigint[], %b::bigint[], %b::bigint[]) {update}", rows)
        return
    mark = sql.marker
    sql.many(f"{insert} VALUES ({mark}, {mark}, {mark}) {update}", rows)


def version_totals(sql: Sql, resident_ids: Sequence[int]) -> list[tuple[int, int, int]]:
    """``(resident, version, credited grams)`` of every version of these residents."""
    found: list[tuple[int, int, int]] = []
    for start in range(0, len(resident_ids), LOOKUP_CHUNK):
        ids = resident_ids[start : start + LOOKUP_CHUNK]
        found.extend(
            sql.rows(
                "SELECT resident_id, version_id, credited_g FROM carbon_resident_version_totals "
                f"WHERE resident_id IN ({_id_list(sql, len(ids))})",
                ids,
            )
        )
    return found


def resident_credits(sql: Sql, resident_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """``(credited_g, points)`` the totals held so far for these residents (absent: none yet)."""
    found: dict[int, tuple[int, int]] = {}
    if sql.dialect == "postgresql":
        statement = (
            "SELECT resident_id, credited_g, points FROM carbon_resident_totals "
            "WHERE resident_id = ANY(%b::bigint[])"
        )
        rows = sql.arrays(statement, [(r,) for r in resident_ids])
        return {r: (credited, points) for r, credited, points in rows}
    for start in range(0, len(resident_ids), LOOKUP_CHUNK):
        ids = resident_ids[start : start + LOOKUP_CHUNK]
        found.update(
            (r, (credited, points))  # int already (``month_rows``)
            for r, credited, points in sql.rows(
                "SELECT resident_id, credited_g, points FROM carbon_resident_totals "
                f"WHERE resident_id IN ({_id_list(sql, len(ids))})",
                ids,
            )
        )
    return found


def add_to_residents(sql: Sql, rows: Sequence[tuple[int, int, int, int]], batch_id: int) -> None:
    """``(resident, reduction added, credited added, points now)`` into the residents' totals (each
    resident once)."""
    insert = (
        "INSERT INTO carbon_resident_totals (resident_id, reduction_g, credited_g, points, points_posted, "
        "last_batch_id, settled_batch_id)"
    )
    update = (
        "ON CONFLICT (resident_id) DO UPDATE SET "
        "reduction_g = carbon_resident_totals.reduction_g + excluded.reduction_g, "
        "credited_g = carbon_resident_totals.credited_g + excluded.credited_g, "
        "points = excluded.points, last_batch_id = excluded.last_batch_id"
    )
    batch = int(batch_id)
    if sql.dialect == "postgresql":
        sql.arrays(
            f"{insert} SELECT r, reduction, credited, points, 0, {batch}, 0 FROM unnest(%b::bigint[], "
            f"%b::bigint[], %b::bigint[], %b::bigint[]) AS v (r, reduction, credited, points) {update}",
            rows,
        )
        return
    mark = sql.marker
    sql.many(f"{insert} VALUES ({mark}, {mark}, {mark}, {mark}, 0, {batch}, 0) {update}", rows)


# -- ingest runs and batches --------------------------------------------------------------------


def new_api_ingest(sql: Sql, partner_id: int, now_us: int) -> int:
    """The ingest run of one API request, done as it starts (its counts are added by
    ``add_to_ingest`` in the same transaction). One statement on the driver's cursor: the ORM's
    add and flush of the row cost several times as much, once per request."""
    rows = sql.rows(
        "INSERT INTO carbon_ingests (partner_id, source, file_name, file_sha256, status, checkpoint_row, "
        "accepted, duplicates, conflicts, rejected, reduction_g, credited_g, points, quarantine_path, "
        f"started_at_us, finished_at_us) VALUES ({int(partner_id)}, 'api', '', NULL, 'done', 0, 0, 0, 0, 0, "
        f"0, 0, 0, '', {int(now_us)}, {int(now_us)}) RETURNING id"
    )
    return int(rows[0][0])


def new_batch(sql: Sql, ingest_id: int, first_row: int, last_row: int, now_us: int) -> int:
    """A batch of the real-time API, accounted as it is written."""
    rows = sql.rows(
        "INSERT INTO carbon_batches (ingest_id, first_row, last_row, created_at_us, accounted_at_us) "
        f"VALUES ({int(ingest_id)}, {int(first_row)}, {int(last_row)}, {int(now_us)}, {int(now_us)}) "
        "RETURNING id"
    )
    return int(rows[0][0])


def add_to_ingest(
    sql: Sql,
    ingest_id: int,
    *,
    accepted: int,
    duplicates: int,
    conflicts: int,
    rejected: int,
    reduction_g: int,
    credited_g: int,
    points: int,
    checkpoint_row: int,
) -> None:
    """Add a batch's counts to its ingest run and move the checkpoint (same transaction)."""
    sql.run(
        f"UPDATE carbon_ingests SET accepted = accepted + {int(accepted)}, "
        f"duplicates = duplicates + {int(duplicates)}, conflicts = conflicts + {int(conflicts)}, "
        f"rejected = rejected + {int(rejected)}, reduction_g = reduction_g + {int(reduction_g)}, "
        f"credited_g = credited_g + {int(credited_g)}, points = points + {int(points)}, "
        f"checkpoint_row = {int(checkpoint_row)} WHERE id = {int(ingest_id)}"
    )
