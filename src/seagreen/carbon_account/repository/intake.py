# ruff: noqa: S608 - statements are built from fixed names and integer literals only (see below)
"""The intake's SQL: resolve staged events against what is stored, write them, account them.

One batch of checked events is *staged* in a temporary table (``carbon_stage``), then a fixed
sequence of set-based statements, the same on SQLite and PostgreSQL, does the rest inside the
batch's transaction:

1. ``INSERT … SELECT … ON CONFLICT DO NOTHING`` into ``carbon_events``, in row order, so the
   first of several rows with one (partner, event_id) wins;
2. when fewer rows went in than were staged, every staged row is classified against the stored
   event of its key: inserted by this batch (accepted), same content hash (duplicate) or other
   content (conflict);
3. dedupe claims: the accepted rows with a dedupe hash claim it (first claim wins); a row whose
   hash was claimed by another event becomes a duplicate linked to the winner;
4. the accepted rows are summed per (resident, behaviour, month, day of month) and the month,
   per-version and resident totals are updated exactly as ``domain.apply_reductions`` does
   (``month_sql``): new credited = min(total, cap), deltas are new minus old.

Writers of totals are serialised (``lock_intake``), so reading the old totals and writing the new
ones cannot race. Every statement is built from integer literals and fixed names only (no value
from outside is ever formatted into SQL); values travel as Arrow data or bound parameters.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
from sqlalchemy.orm import Session

from seagreen.carbon_account.repository import month_sql

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
        ("content_hash", pa.string()),
        ("dedupe_hash", pa.string()),
        ("attributes", pa.string()),
    ]
)
_SQL_TYPES = {pa.int64(): "BIGINT", pa.string(): "TEXT"}
_TEMP_TABLES = ("carbon_b_added", "carbon_b_month", "carbon_b_res", "carbon_b_res2")


class Sql(Protocol):
    """A connection inside the batch's transaction (the session's, or an ADBC one for bulk)."""

    dialect: str

    def run(self, statement: str) -> int:
        """Execute; return the number of rows changed (-1 when the driver cannot say)."""

    def rows(self, statement: str) -> list[tuple[Any, ...]]: ...

    def stage(self, table: pa.Table) -> None:
        """Create ``carbon_stage`` (temporary) holding ``table`` (``STAGE_SCHEMA``) plus the result
        columns ``outcome`` (``NEW``), ``winner_partner_id`` and ``winner_event_id`` (NULL)."""


SCRATCH_MIN_ROWS = 20_000
"""From this many staged rows on, SQLite stages through an ADBC-written scratch file (bulk)."""
SCRATCH_SCHEMA = "carbon_scratch"


def _adbc_sqlite() -> Any:
    try:
        import adbc_driver_sqlite.dbapi as driver
    except ImportError:  # pragma: no cover - optional: executemany stays the fallback
        return None
    return driver


class SessionSql:
    """The session's own DB-API connection (the real-time API and small batches).

    On SQLite a big batch is staged without per-row Python (docs/decisions/0005, amendment): ADBC
    writes it to a *scratch file of its own*, which no other library opens, and the session's
    ``sqlite3`` connection ``ATTACH``es that file and copies it with ``INSERT … SELECT``. The
    platform's database file is never opened through ADBC. ``ATTACH`` may run inside the
    transaction, but ``DETACH`` may not once the file was read: so only a ``bulk`` caller, which
    calls :meth:`release` after the transaction ended (commit or rollback), stages this way;
    ``release`` detaches and deletes the scratch file.
    """

    def __init__(self, session: Session, *, bulk: bool = False) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self._cursor: Any = session.connection().connection.cursor()
        self._bulk = bulk  # the caller calls release() after the transaction
        self._scratch: tuple[Any, Path] | None = None

    def run(self, statement: str) -> int:
        self._cursor.execute(statement)
        return int(self._cursor.rowcount)

    def rows(self, statement: str) -> list[tuple[Any, ...]]:
        self._cursor.execute(statement)
        return [tuple(row) for row in self._cursor.fetchall()]

    def stage(self, table: pa.Table) -> None:
        self.run(f"DROP TABLE IF EXISTS {STAGE}")
        columns = ", ".join(f"{f.name} {_SQL_TYPES[f.type]}" for f in table.schema)
        self.run(
            f"CREATE TEMPORARY TABLE {STAGE} ({columns}, outcome BIGINT NOT NULL DEFAULT {NEW}, "
            "winner_partner_id BIGINT, winner_event_id TEXT)"
        )
        if not table.num_rows:
            return
        names = ", ".join(table.schema.names)
        if self.dialect == "postgresql":
            with self._cursor.copy(f"COPY {STAGE} ({names}) FROM STDIN") as copy:
                for row in zip(*(column.to_pylist() for column in table.columns), strict=True):
                    copy.write_row(row)
            return
        if self._bulk and self._scratch is None and table.num_rows >= SCRATCH_MIN_ROWS:
            driver = _adbc_sqlite()
            if driver is not None:
                self._stage_through_scratch(driver, table, names)
                return
        placeholders = ", ".join(["?"] * table.num_columns)
        rows = zip(*(column.to_pylist() for column in table.columns), strict=True)
        self._cursor.executemany(f"INSERT INTO {STAGE} ({names}) VALUES ({placeholders})", rows)

    def _stage_through_scratch(self, driver: Any, table: pa.Table, names: str) -> None:
        directory = Path(tempfile.mkdtemp(prefix="seagreen-stage-"))
        path = directory / "stage.db"
        with driver.connect(str(path), autocommit=True) as scratch:
            cursor = scratch.cursor()
            # a throwaway file: no journal, no fsync (a crash loses it with the transaction)
            cursor.execute("PRAGMA journal_mode=OFF")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.adbc_ingest("stage", table, mode="create")
            cursor.close()
        raw = self.session.connection().connection.dbapi_connection
        self._scratch = (raw, directory)
        self._cursor.execute(f"ATTACH DATABASE ? AS {SCRATCH_SCHEMA}", (str(path),))
        self.run(f"INSERT INTO {STAGE} ({names}) SELECT {names} FROM {SCRATCH_SCHEMA}.stage")

    def release(self) -> None:
        """After the transaction: detach and delete the scratch file, if one was attached."""
        if self._scratch is None:
            return
        raw, directory = self._scratch
        self._scratch = None
        try:
            raw.execute(f"DETACH DATABASE {SCRATCH_SCHEMA}")
        finally:
            shutil.rmtree(directory, ignore_errors=True)


def lock_intake(sql: Sql) -> None:
    """Serialise writers of events and totals (SQLite's write lock does it by itself)."""
    if sql.dialect == "postgresql":
        sql.run(f"SELECT pg_advisory_xact_lock({INTAKE_LOCK_KEY})")


def lock_intake_session(session: Session) -> None:
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


def _int(value: Any) -> int:
    return 0 if value is None else int(value)


def points_expression(column: str, version_column: str, multipliers: Mapping[int, int]) -> str:
    """``Σ credited_v × (L / g_per_point_v)`` as SQL, for ``floor(… / L)``: exact integer points."""
    cases = " ".join(f"WHEN {int(v)} THEN {int(m)}" for v, m in sorted(multipliers.items()))
    return f"{column} * CASE {version_column} {cases} ELSE 0 END"


def resolve_and_account(
    sql: Sql,
    *,
    partner_id: int,
    batch_id: int,
    staged: int,
    multipliers: Mapping[int, int],
    common_multiple: int,
    report: Sequence[int] = (DUPLICATE, CONFLICT, DEDUPE_DUPLICATE),
) -> BatchOutcome:
    """Steps 1-4 of the module docstring over ``carbon_stage``; drops the temporary tables."""
    p, b = int(partner_id), int(batch_id)
    inserted = sql.run(
        "INSERT INTO carbon_events (partner_id, event_id, batch_id, row_number, resident_id, "
        "behaviour_id, quantity_milli, occurred_at_us, day, reduction_g, content_hash, dedupe_hash, "
        f"attributes) SELECT {p}, event_id, {b}, row_number, resident_id, behaviour_id, quantity_milli, "
        f"occurred_at_us, day, reduction_g, content_hash, dedupe_hash, attributes FROM {STAGE} "
        "WHERE true ORDER BY row_number ON CONFLICT (partner_id, event_id) DO NOTHING"
    )
    if sql.dialect == "sqlite" and inserted < 0:
        inserted = _int(sql.rows("SELECT changes()")[0][0])
    classified = inserted != staged
    if classified:
        sql.run(
            f"UPDATE {STAGE} SET outcome = CASE WHEN e.batch_id = {b} AND e.row_number = {STAGE}.row_number "
            f"THEN {NEW} WHEN e.content_hash = {STAGE}.content_hash THEN {DUPLICATE} ELSE {CONFLICT} END "
            f"FROM carbon_events e WHERE e.partner_id = {p} AND e.event_id = {STAGE}.event_id"
        )
    has_dedupe = sql.rows(f"SELECT 1 FROM {STAGE} WHERE dedupe_hash IS NOT NULL AND outcome = {NEW} LIMIT 1")
    if has_dedupe:
        classified = True
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
    wanted = ", ".join(str(int(kind)) for kind in report)
    if wanted and outcome.accepted != staged:
        outcome.others = [
            (int(row), int(kind), None if wp is None else int(wp), we)
            for row, kind, wp, we in sql.rows(
                f"SELECT row_number, outcome, winner_partner_id, winner_event_id FROM {STAGE} "
                f"WHERE outcome IN ({wanted}) ORDER BY row_number"
            )
        ]
    if outcome.accepted:
        _account(sql, b, multipliers, common_multiple, outcome)
    for table in (*_TEMP_TABLES, STAGE):
        sql.run(f"DROP TABLE IF EXISTS {table}")
    return outcome


def _account(
    sql: Sql, batch_id: int, multipliers: Mapping[int, int], common_multiple: int, outcome: BatchOutcome
) -> None:
    for table in _TEMP_TABLES:
        sql.run(f"DROP TABLE IF EXISTS {table}")
    sql.run(f"CREATE TEMPORARY TABLE carbon_b_added AS {month_sql.pivot_added(STAGE, f'outcome = {NEW}')}")
    sql.run(
        "CREATE TEMPORARY TABLE carbon_b_month AS "
        + month_sql.month_update("carbon_b_added", month_sql.CAPS_OF_BEHAVIOURS, "carbon_month_totals")
    )
    sql.run(month_sql.upsert_months("carbon_b_month"))
    sql.run(
        "INSERT INTO carbon_resident_version_totals (resident_id, version_id, credited_g) "
        "SELECT resident_id, version_id, CAST(SUM(credited_g - old_credited) AS BIGINT) "
        "FROM carbon_b_month WHERE true GROUP BY resident_id, version_id "
        "ON CONFLICT (resident_id, version_id) DO UPDATE SET "
        "credited_g = carbon_resident_version_totals.credited_g + excluded.credited_g"
    )
    sql.run(
        "CREATE TEMPORARY TABLE carbon_b_res AS SELECT resident_id, "
        "CAST(SUM(added_reduction) AS BIGINT) AS added_reduction, "
        "CAST(SUM(credited_g - old_credited) AS BIGINT) AS added_credited "
        "FROM carbon_b_month GROUP BY resident_id"
    )
    weighted = points_expression("v.credited_g", "v.version_id", multipliers)
    sql.run(
        "CREATE TEMPORARY TABLE carbon_b_res2 AS SELECT r.resident_id, r.added_reduction, r.added_credited, "
        "COALESCE(t.points, 0) AS old_points, COALESCE(p.points, 0) AS new_points "
        "FROM carbon_b_res r "
        f"LEFT JOIN (SELECT v.resident_id, CAST(SUM({weighted}) AS BIGINT) / {int(common_multiple)} "
        "AS points "
        "FROM carbon_resident_version_totals v WHERE v.resident_id IN (SELECT resident_id FROM carbon_b_res) "
        "GROUP BY v.resident_id) p ON p.resident_id = r.resident_id "
        "LEFT JOIN carbon_resident_totals t ON t.resident_id = r.resident_id"
    )
    sql.run(
        "INSERT INTO carbon_resident_totals (resident_id, reduction_g, credited_g, points, points_posted, "
        f"last_batch_id, settled_batch_id) SELECT resident_id, added_reduction, added_credited, new_points, "
        f"0, {int(batch_id)}, 0 FROM carbon_b_res2 WHERE true ON CONFLICT (resident_id) DO UPDATE SET "
        "reduction_g = carbon_resident_totals.reduction_g + excluded.reduction_g, "
        "credited_g = carbon_resident_totals.credited_g + excluded.credited_g, "
        "points = excluded.points, last_batch_id = excluded.last_batch_id"
    )
    reduction, credited, points = sql.rows(
        "SELECT CAST(SUM(added_reduction) AS BIGINT), CAST(SUM(added_credited) AS BIGINT), "
        "CAST(SUM(new_points - old_points) AS BIGINT) FROM carbon_b_res2"
    )[0]
    outcome.reduction_g, outcome.credited_g, outcome.points = _int(reduction), _int(credited), _int(points)


# -- ingest runs and batches --------------------------------------------------------------------


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
