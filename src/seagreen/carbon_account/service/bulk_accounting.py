# ruff: noqa: S608 - DuckDB over in-process Arrow tables; SQL built from fixed names and integers
"""Accounting a bulk file's new events a few groups at a time (docs/decisions/0005, phase 4).

The groups of a file commit their events one by one; their reductions wait here, summed per
(batch, resident, behaviour, day), until enough have gathered (or the file ends). Then one
transaction reads the stored totals of every touched key, computes the new ones exactly as
``domain.apply_reductions`` does (DuckDB, set-based: new day credited = min(total, daily cap),
month credited = min(Σ days, monthly cap), points = floor(Σ credited / g_per_point) over the
resident's versions), writes them, and marks the batches accounted. A file's ingest also has it
post the points each touched resident is owed to the ledger, in the same transaction, while the
next part of the residents is computed (``PendingTotals._new_totals``).

Only batches still unaccounted *under the intake lock* are taken, so a batch is accounted exactly
once even if another process recovered it meanwhile (``recover``). A batch whose ingest died
before accounting it is read back from ``carbon_events`` and accounted the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.orm import Session

from seagreen.carbon_account.repository import bulk_intake as sql_bulk
from seagreen.carbon_account.service import month_arrays
from seagreen.carbon_account.service.intake import Catalogue
from seagreen.carbon_account.service.points import PreparedPoints, post_prepared, prepare_points
from seagreen.kit import heap
from seagreen.kit.clock import now_micros

Transactions = Callable[..., AbstractContextManager[Session]]

FLUSH_ROWS = 6_000_000
"""Pending new events that trigger accounting (bounds the memory: 19 bytes an event). Fewer,
larger accountings touch each month row fewer times."""
PART_MONTH_ROWS = 50_000
"""Month rows computed together in a flush (``PendingTotals._new_months``): its memory follows the
month rows a part touches, about 3 KB each with two threads, not the events behind them."""
MONTH_BATCH_ROWS = 65_536
"""New month rows go to the database in batches of this many (``_new_totals``)."""
STALE_AFTER_US = 15 * 60 * 1_000_000
"""Another ingest's unaccounted batches older than this are taken as left by a crashed run."""

_DATE = "(DATE '1970-01-01' + CAST(day AS INTEGER))"
_MONTH = f"CAST(year({_DATE}) * 12 + month({_DATE}) - 1 AS BIGINT)"


def part_of(parts: int) -> str:
    """The part of ``parts`` a resident's rows are accounted in (SQL over ``resident_id``)."""
    return f"resident_id % {int(parts)}"


@dataclass(frozen=True)
class Accounted:
    batches: int = 0
    reduction_g: int = 0
    credited_g: int = 0
    points: int = 0


def _catalogue_table(catalogue: Catalogue) -> pa.Table:
    behaviour_ids, version_ids, daily, monthly, multipliers = [], [], [], [], []
    for version in catalogue.methodology.versions:
        version_id = catalogue.version_ids[version.code]
        for code, behaviour in version.behaviours.items():
            behaviour_ids.append(catalogue.behaviour_ids[(version.code, code)])
            version_ids.append(version_id)
            daily.append(behaviour.daily_cap_g)
            monthly.append(behaviour.monthly_cap_g)
            multipliers.append(catalogue.multipliers[version_id])
    return pa.table(
        {
            "behaviour_id": pa.array(behaviour_ids, pa.int64()),
            "version_id": pa.array(version_ids, pa.int64()),
            "daily_cap": pa.array(daily, pa.int64()),
            "monthly_cap": pa.array(monthly, pa.int64()),
            "multiplier": pa.array(multipliers, pa.int64()),
        }
    )


PENDING = pa.schema(
    [
        ("resident_id", pa.int32()),
        ("behaviour_id", pa.int16()),
        ("version_id", pa.int16()),
        ("month", pa.int16()),
        ("dom", pa.int8()),
        ("reduction_g", pa.int64()),
    ]
)
"""A pending chunk's columns, as narrow as their values allow (19 bytes an event): a flush's worth
of them is the ingest's largest allocation. Row ids past these widths (2^31 residents, 2^15
catalogue rows; months are counted from year 0, 24,300 in 2025) fail the cast loudly: Arrow's casts
are checked."""


class PendingTotals:
    """New events of committed, not yet accounted batches (``PENDING`` Arrow chunks), accounted
    with an in-process DuckDB."""

    def __init__(self, catalogue: Catalogue, *, temp_dir: Path | None = None) -> None:
        self.catalogue = catalogue
        self.common_multiple = int(catalogue.common_multiple)
        self.db = duckdb.connect()
        self._run("SET threads = 1")  # the other core checks the next groups; less CPU than two threads
        self._run("SET memory_limit = '768MB'")
        self._run("SET enable_progress_bar = false")
        if temp_dir is not None:
            self._run("SET temp_directory = ?", [str(temp_dir)])
        behaviours = _catalogue_table(catalogue)
        self.db.register("behaviours", behaviours)
        self.caps = month_arrays.Caps.of(behaviours)
        self.chunks: dict[int, list[pa.Table]] = {}  # batch id -> its new events (PENDING)
        self._pending: pa.Table | None = None  # a flush's events (also registered as ``pending``)
        self._parts_of: tuple[int, np.ndarray] | None = None  # (parts, each event's part): ``_events_of``
        self.batches: list[int] = []
        self.rows = 0

    def close(self) -> None:
        self.db.close()

    def use_threads(self, threads: int) -> None:
        self._run(f"SET threads = {int(threads)}")

    def _run(self, statement: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Execute and fetch to the end (DuckDB refuses other work while a result is unfinished)."""
        return (
            self.db.execute(statement, params).fetchall() if params else self.db.execute(statement).fetchall()
        )

    def add(self, batch_id: int, staged: pa.Table, not_new: Sequence[int] = ()) -> None:
        """A committed group's new events: ``staged`` minus the rows numbered in ``not_new``."""
        if not_new:
            staged = staged.filter(
                pc.invert(pc.is_in(staged.column("row_number"), pa.array(not_new, pa.int64())))
            )
        self.batches.append(int(batch_id))
        if not staged.num_rows:
            return
        columns = staged.select(PENDING.names).cast(PENDING)  # staged rows own their buffers (bulk.py)
        self.chunks.setdefault(int(batch_id), []).append(columns)
        self.rows += len(columns)

    def add_events(self, events: pa.Table) -> None:
        """Events read back from the database (``bulk_intake.BATCH_EVENTS``), for recovery."""
        self.batches.extend(sorted(set(events.column("batch_id").to_pylist()) - set(self.batches)))
        if not events.num_rows:
            return
        self.db.register("read_back", events)
        chunk = self.db.sql(
            "SELECT e.batch_id, e.resident_id, e.behaviour_id, b.version_id, "
            f"{_MONTH} AS month, CAST(dayofmonth({_DATE}) AS BIGINT) AS dom, e.added AS reduction_g "
            "FROM read_back e JOIN behaviours b USING (behaviour_id)"
        ).to_arrow_table()
        self.db.unregister("read_back")
        for batch in sorted(set(chunk.column("batch_id").to_pylist())):
            rows = chunk.filter(pc.equal(chunk.column("batch_id"), batch)).select(PENDING.names).cast(PENDING)
            self.chunks.setdefault(int(batch), []).append(rows)
        self.rows += len(chunk)

    def flush(
        self, sql: sql_bulk.BulkSql, *, ingest_id: int, now_us: int | None = None, settle: bool = False
    ) -> Accounted:
        """Account the pending batches that are still unaccounted, in the caller's transaction;
        with ``settle``, also post the points the touched residents are owed to the ledger
        (``points.post_points``) and record them as posted with the new totals."""
        if not self.batches:
            return Accounted()
        sql.lock()
        todo = sql_bulk.unaccounted(sql, self.batches)
        if not todo:
            self._reset()
            return Accounted()
        db = self.db
        # the batches another process accounted meanwhile are left out; the registration and
        # ``_pending`` are the only references to the events kept (``_stage_totals`` lets go of
        # both once they are summed)
        self._pending = self._taken(todo)
        db.register("pending", self._pending)
        self.chunks = {}
        result = Accounted(len(todo))
        try:
            keys = db.sql("SELECT DISTINCT resident_id, behaviour_id, month FROM pending").to_arrow_table()
            if keys.num_rows:
                parts = self.parts(keys.num_rows)
                db.register("month_keys", keys)
                del keys  # the registration holds them until their parts are known
                month_keys = db.sql(
                    f"SELECT *, {part_of(parts)} AS part FROM month_keys "
                    "ORDER BY part, resident_id, behaviour_id, month"
                ).to_arrow_table()
                db.unregister("month_keys")
                residents = db.sql("SELECT DISTINCT resident_id FROM pending ORDER BY ALL").to_arrow_table()
                result = self._new_totals(
                    sql,
                    sql_bulk.old_totals(sql, month_keys, residents),
                    parts=parts,
                    last_batch_id=max(todo),
                    batches=len(todo),
                    ingest_id=ingest_id,
                    settle=settle,
                )
        finally:
            db.unregister("pending")  # (unregistering twice is no error)
            self._pending = self._parts_of = None
        sql_bulk.mark_accounted(
            sql,
            todo,
            now_micros() if now_us is None else now_us,
            ingest_id=ingest_id,
            reduction_g=result.reduction_g,
            credited_g=result.credited_g,
            points=result.points,
        )
        self._reset()
        return result

    def _taken(self, batches: Sequence[int]) -> pa.Table:
        taken = [chunk for batch in batches for chunk in self.chunks.get(batch, [])]
        return pa.concat_tables(taken) if taken else PENDING.empty_table()

    @staticmethod
    def parts(month_rows: int) -> int:
        """The parts of the residents a flush touching ``month_rows`` month rows is computed in."""
        return max(1, -(-month_rows // PART_MONTH_ROWS))

    def _part(self, part: int, parts: int, stored: pa.Table, *, settle: bool) -> pa.Table | None:
        """One part of the residents: its pending events summed by day and added to its stored
        month rows (``stored``; ``month_arrays``, NumPy) into ``new_months``, then its residents'
        version totals and points into ``new_versions`` and ``new_residents`` (DuckDB); with
        ``settle``, the residents owed points.

        A part's pivot keeps 31 day sums a month row, and its stored rows are unpacked into 31
        days; only the narrow result (days packed again) is kept across parts. Computed for all
        residents at once, a flush of 400k month rows grew the ingest by 480 MB (docs/decisions/0005,
        phase 6); the stored month rows are read a part at a time too (phase 7). Runs on the flush's
        worker thread and touches nothing but DuckDB and NumPy (phase 8)."""
        where = "" if parts == 1 else f" WHERE {part_of(parts)} = {part}"
        events = self._events_of(part, parts)
        added = month_arrays.pivot_added(events)
        del events
        heap.release_free_heap()  # the pivot's sort, freed into this thread's arena (kit/heap.py)
        self.db.register("part_months", month_arrays.month_update(added, stored, self.caps))
        del added
        try:
            into = "CREATE TEMP TABLE new_months AS " if part == 0 else "INSERT INTO new_months "
            self._run(into + "SELECT * FROM part_months")
        finally:
            self.db.unregister("part_months")
        heap.release_free_heap()  # the part's arrays, freed into this thread's arena (kit/heap.py)
        months = f"(SELECT * FROM new_months{where})"
        of_old = where.replace("WHERE ", "WHERE o.")
        self._run(
            ("CREATE TEMP TABLE new_versions AS " if part == 0 else "INSERT INTO new_versions ")
            + "SELECT d.resident_id, d.version_id, COALESCE(o.credited_g, 0) + d.delta AS credited_g FROM ("
            "SELECT resident_id, version_id, CAST(SUM(credited_g - old_credited) AS BIGINT) AS delta "
            f"FROM {months} GROUP BY ALL) d LEFT JOIN old_versions o USING (resident_id, version_id)"
        )
        multiplier = "(SELECT DISTINCT version_id, multiplier FROM behaviours)"
        self._run(
            ("CREATE TEMP TABLE new_residents AS " if part == 0 else "INSERT INTO new_residents ")
            + "SELECT r.resident_id, r.added_reduction, r.added_credited, p.points, "
            "COALESCE(op.points, 0) AS old_points, COALESCE(op.points_posted, 0) AS old_posted, "
            "COALESCE(op.credited_g, 0) + r.added_credited AS credited_g, "
            "COALESCE(op.settled_batch_id, 0) AS old_settled, "
            f"CAST({'true' if settle else 'false'} AND p.points > COALESCE(op.points_posted, 0) AS INTEGER) "
            "AS settled_now FROM ("
            "SELECT resident_id, CAST(SUM(added_reduction) AS BIGINT) AS added_reduction, "
            "CAST(SUM(credited_g - old_credited) AS BIGINT) AS added_credited "
            f"FROM {months} GROUP BY ALL) r JOIN (SELECT resident_id, "
            f"CAST(SUM(CAST(credited_g AS HUGEINT) * m.multiplier) // {self.common_multiple} AS BIGINT) "
            f"AS points FROM (SELECT resident_id, version_id, credited_g FROM new_versions{where} UNION ALL "
            "SELECT o.resident_id, o.version_id, o.credited_g FROM old_versions o "
            f"ANTI JOIN new_versions n USING (resident_id, version_id){of_old}) v "
            f"JOIN {multiplier} m USING (version_id) GROUP BY resident_id) p USING (resident_id) "
            "LEFT JOIN old_points op USING (resident_id)"
        )
        if not settle:
            return None
        owed_where = f"{where} AND settled_now = 1" if where else " WHERE settled_now = 1"
        return self.db.sql(
            "SELECT resident_id, points, old_posted, credited_g, old_settled FROM new_residents"
            f"{owed_where} ORDER BY resident_id"
        ).to_arrow_table()

    def _events_of(self, part: int, parts: int) -> pa.Table:
        """The pending events of a part (``part_of``): a NumPy mask over the flush's events, each
        resident's part computed once, where DuckDB scanned them all again for each part (eight
        parts of 5M events: 0.18 CPU-s against 0.36, docs/decisions/0005, phase 27)."""
        pending = self._pending
        if pending is None:
            raise RuntimeError("a flush's part found no pending events")
        if parts == 1:
            return pending
        if self._parts_of is None or self._parts_of[0] != parts:
            resident = pending.column("resident_id").to_numpy()
            self._parts_of = (parts, (resident % parts).astype(np.uint8 if parts <= 256 else np.int64))
        return pending.filter(self._parts_of[1] == part)

    def _prepared_part(
        self,
        part: int,
        parts: int,
        stored: pa.Table,
        *,
        settle: bool,
        refs: dict[int, str] | None,
        ingest_id: int,
        last_batch_id: int,
    ) -> pa.Table | PreparedPoints | None:
        """``_part`` on the worker, and with ``refs`` its owed residents' credits built there too
        (``prepare_points``), so that the writer, busy posting the part before, need not build
        them. The first part has no ``refs`` yet and returns its owed residents as a table."""
        owed = self._part(part, parts, stored, settle=settle)
        if owed is None or refs is None:
            return owed
        return self._prepare(owed, refs, ingest_id=ingest_id, last_batch_id=last_batch_id)

    def _prepare(
        self, owed: pa.Table, refs: dict[int, str], *, ingest_id: int, last_batch_id: int
    ) -> PreparedPoints:
        """The credits that post ``owed`` residents' points (no session)."""
        ids, points, posted, credited, settled = (owed.column(i).to_pylist() for i in range(5))
        rows = [
            (resident, refs[resident], p, before, grams, batch, last_batch_id)
            for resident, p, before, grams, batch in zip(ids, points, posted, credited, settled, strict=True)
        ]
        return prepare_points(self.catalogue, rows, ingest_id=ingest_id)

    def _settle(self, sql: sql_bulk.BulkSql, prepared: PreparedPoints) -> int:
        """Post a part's prepared points in the flush's transaction (this thread's session)."""
        return post_prepared(sql.session, prepared)

    def _new_totals(
        self,
        sql: sql_bulk.BulkSql,
        old: sql_bulk.OldTotals,
        *,
        parts: int,
        last_batch_id: int,
        batches: int,
        ingest_id: int,
        settle: bool,
    ) -> Accounted:
        """``month_arrays`` over ``pending`` and the stored rows, part by part; the points owed posted
        (``settle``); the new totals written.

        A part is computed on a worker thread (NumPy and DuckDB) while this thread reads the next
        part's stored month rows and posts the previous part's points to the ledger (Python and the
        database, which the worker does not wait for): the settlement of a file's residents took as
        long as its accounting, one after the other, on one core (docs/decisions/0005, phase 8).
        The worker also builds each later part's credits, so that this thread, the longer of the
        two, only posts them (phase 27)."""
        db = self.db
        db.register("old_versions", old.versions)
        db.register("old_points", old.points)
        for name in ("new_months", "new_versions", "new_residents"):
            self._run(f"DROP TABLE IF EXISTS {name}")
        # a scratch file staged for a flush that then fails is deleted by ``sql.release``
        staging: Future[_FlushTotals] | None = None
        with ThreadPoolExecutor(1, thread_name_prefix="seagreen-accounting") as worker:
            running = worker.submit(
                self._prepared_part, 0, parts, old.months(0),
                settle=settle, refs=None, ingest_id=ingest_id, last_batch_id=last_batch_id,
            )  # fmt: skip
            refs = old.refs() if settle else {}  # while the first part is computed
            for part in range(parts):
                stored = old.months(part + 1) if part + 1 < parts else None  # while part is computed
                owed = running.result()
                if stored is not None:
                    running = worker.submit(
                        self._prepared_part, part + 1, parts, stored,
                        settle=settle, refs=refs, ingest_id=ingest_id, last_batch_id=last_batch_id,
                    )  # fmt: skip
                    del stored
                else:  # the new totals go to a scratch file while the last points are posted
                    staging = worker.submit(self._stage_totals, sql)
                if isinstance(owed, pa.Table):  # the first part: its credits built here
                    owed = self._prepare(owed, refs, ingest_id=ingest_id, last_batch_id=last_batch_id)
                if owed is not None and owed.credits:
                    self._settle(sql, owed)
            if staging is None:
                raise RuntimeError("a flush's last part did not stage its totals")
            staged = staging.result()
        del old
        new_months = staged.new_months
        if new_months is not None and not sql_bulk.copy_new_months(sql, new_months):
            staged = staged.with_new_rows_as_updates(new_months)
        sql_bulk.write_totals(sql, staged.totals, last_batch_id=last_batch_id)
        reduction, credited, points = staged.sums
        return Accounted(batches, reduction, credited, points)

    def _stage_totals(self, sql: sql_bulk.BulkSql) -> _FlushTotals:
        """On the worker, once every part is computed and while the writer posts the last part's
        points: the new totals read from DuckDB and made ready to write (``stage_totals``: on
        SQLite a scratch file), and the flush's sums (docs/decisions/0005, phase 19)."""
        db = self.db
        # the largest input, no longer needed (20M events: the flush's peak, while the new totals
        # are written, 1.26 -> 1.1 GB)
        for name in ("pending", "old_versions", "old_points"):
            db.unregister(name)
        self._pending = self._parts_of = None
        heap.release_free_heap()  # what the parts freed, before the totals are written
        month_columns = ", ".join(sql_bulk.MONTH_COLUMNS)
        ordered = "ORDER BY resident_id, behaviour_id, month"
        new_months = None
        months_where = ""
        if sql.dialect == "postgresql":
            # the rows no stored row had go in by COPY, not through a temporary table and an
            # upsert: less than half the server's time for a flush of new rows (0005, phase 10)
            new_months = db.sql(
                f"SELECT {month_columns} FROM new_months WHERE NOT stored {ordered}"
            ).to_arrow_table()
            months_where = " WHERE stored"
        versions = db.sql(
            "SELECT resident_id, version_id, credited_g FROM new_versions ORDER BY ALL"
        ).to_arrow_table()
        residents = db.sql(
            "SELECT resident_id, added_reduction, added_credited, points, settled_now FROM new_residents "
            "ORDER BY resident_id"
        ).to_arrow_table()
        sums = self._run(
            "SELECT COALESCE(SUM(added_reduction), 0), COALESCE(SUM(added_credited), 0), "
            "COALESCE(SUM(points - old_points), 0) FROM new_residents"
        )[0]
        # the month rows stream from DuckDB to the scratch file, never all as Arrow at once (the
        # last query on this connection until they are read: DuckDB runs one at a time)
        months = db.sql(f"SELECT {month_columns} FROM new_months{months_where} {ordered}")
        totals = sql_bulk.stage_totals(
            sql, months=months.to_arrow_reader(MONTH_BATCH_ROWS), versions=versions, residents=residents
        )
        return _FlushTotals(totals, new_months, (int(sums[0]), int(sums[1]), int(sums[2])))

    def _reset(self) -> None:
        for name in ("new_months", "new_versions", "new_residents"):
            self._run(f"DROP TABLE IF EXISTS {name}")
        self.chunks, self.batches, self.rows = {}, [], 0


@dataclass(frozen=True)
class _FlushTotals:
    """A flush's new totals made ready on the worker (``PendingTotals._stage_totals``): the rows
    to write, the new month rows to COPY first (PostgreSQL), and the flush's sums of added
    reduction, credited grams and points."""

    totals: sql_bulk.Staged
    new_months: pa.Table | None
    sums: tuple[int, int, int]

    def with_new_rows_as_updates(self, new_months: pa.Table) -> _FlushTotals:
        """The new month rows could not be copied (PostgreSQL found one stored meanwhile): they
        are written with the stored ones, as upserts."""
        tables = dict(self.totals.tables)
        tables["carbon_flush_months"] = pa.concat_tables([tables["carbon_flush_months"], new_months])
        return _FlushTotals(sql_bulk.Staged(None, self.totals.names, tables), None, self.sums)


def account(
    transactions: Transactions,
    pending: PendingTotals,
    *,
    ingest_id: int,
    scratch_dir: Path | None = None,
    last: bool = False,
) -> Accounted:
    """Account what is pending in a transaction of its own. The ``last`` accounting of a file
    also posts to the ledger, in it, every point its residents are owed (those that earlier
    accountings of the file added included: what a resident is owed is cumulative), and gives
    DuckDB two threads: nothing is left to read and check, and although its postings share the
    cores with them, one thread was slower (docs/decisions/0005, phase 8). An accounting in the
    middle of a file posts nothing: the checks of the next group run beside it, and postings there
    raised the peak memory of a 50M-event file to the floor (phase 9); a resident it touched that
    the last one does not is settled after the file (``points.settle_points``)."""
    if not pending.batches:
        return Accounted()
    sql: sql_bulk.BulkSql | None = None
    if last:
        pending.use_threads(2)
    try:
        with transactions() as session:
            sql = sql_bulk.BulkSql(session, scratch_dir)
            sql.checkpoints_elsewhere()
            sql.bounded_cache()
            return pending.flush(sql, ingest_id=ingest_id, settle=last)
    finally:
        if sql is not None:
            sql.release()


def recover(
    transactions: Transactions,
    catalogue: Catalogue,
    *,
    ingest_id: int | None,
    now_us: int | None = None,
    scratch_dir: Path | None = None,
) -> Accounted:
    """Account the batches left unaccounted by runs that died: those of ``ingest_id`` (being
    resumed) and other ingests' that made no progress for ``STALE_AFTER_US``."""
    now = now_micros() if now_us is None else now_us
    with transactions(read_only=True) as session:
        left = sql_bulk.unaccounted_batches(sql_bulk.BulkSql(session))
    latest: dict[int, int] = {}
    for _batch, ingest, _partner, created in left:
        latest[ingest] = max(latest.get(ingest, 0), created)
    owed: dict[tuple[int, int], list[int]] = {}
    for batch, ingest, partner, _created in left:
        if ingest == ingest_id or latest[ingest] < now - STALE_AFTER_US:
            owed.setdefault((ingest, partner), []).append(batch)
    total = Accounted()
    for (ingest, partner), batches in sorted(owed.items()):
        sql: sql_bulk.BulkSql | None = None
        try:
            with transactions() as session:
                sql = sql_bulk.BulkSql(session, scratch_dir)
                done = _account_read_back(
                    sql, catalogue, ingest, partner, batches, now_us=now, temp_dir=scratch_dir
                )
        finally:
            if sql is not None:
                sql.release()
        total = _plus(total, done)
    return total


def account_before_change(session: Session, catalogue: Catalogue, batch_ids: Sequence[int]) -> Accounted:
    """In the caller's transaction, account whichever of these batches is still unaccounted (a
    bulk file's events wait for their accounting a few groups; a void of one of them must find
    it in the totals first). The running ingest then skips those batches."""
    sql = sql_bulk.BulkSql(session, attach=False)
    sql.lock()
    owed: dict[tuple[int, int], list[int]] = {}
    for batch, ingest, partner, _created in sql_bulk.unaccounted_batches(sql, sorted(set(batch_ids))):
        owed.setdefault((ingest, partner), []).append(batch)
    total = Accounted()
    try:
        for (ingest, partner), batches in sorted(owed.items()):
            total = _plus(total, _account_read_back(sql, catalogue, ingest, partner, batches))
    finally:
        sql.drop_temporary()
    return total


def _account_read_back(
    sql: sql_bulk.BulkSql,
    catalogue: Catalogue,
    ingest: int,
    partner: int,
    batches: Sequence[int],
    *,
    now_us: int | None = None,
    temp_dir: Path | None = None,
) -> Accounted:
    """Account batches from their events read back from the database."""
    pending = PendingTotals(catalogue, temp_dir=temp_dir)
    try:
        sql.lock()
        pending.add_events(sql_bulk.batch_events(sql, partner, batches))
        pending.batches = sorted(set(pending.batches) | set(batches))
        return pending.flush(sql, ingest_id=ingest, now_us=now_us)
    finally:
        pending.close()


def _plus(total: Accounted, done: Accounted) -> Accounted:
    return Accounted(
        total.batches + done.batches,
        total.reduction_g + done.reduction_g,
        total.credited_g + done.credited_g,
        total.points + done.points,
    )
