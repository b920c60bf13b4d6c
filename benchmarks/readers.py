"""Ingest fast-path study (issue 3): reading partner files, validating and accounting set-based, and
the raw bulk-insert rate of the same rows into SQLite and PostgreSQL, all measured in one run.

    .venv/bin/python benchmarks/readers.py [--rows 1000000] [--residents 100000] [--pg URL | --no-pg]

Deterministic synthetic data (no randomness: every value is a hash of the row's index): a transit
partner's file with ~0.5 % bad rows, as CSV and as Parquet. The optional tools come with the
``bench`` extra (``pip install -e '.[bench]'``: DuckDB, Polars, the ADBC drivers); a stage whose
tool is missing is skipped. Findings and the recommended design: docs/decisions/0005-ingest-fast-path.md.

Issue 3's reference figures, printed beside ours: raw Arrow bulk insert of 5M rows into an indexed
SQLite table ≈ 1M rows/s; PostgreSQL COPY ≈ 340k rows/s; DuckDB factors + daily caps over 5M events
≈ 2 s; end-to-end floor 500k events/s (SQLite, Parquet), 250k/s (CSV), 200k/s (PostgreSQL).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import resource
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from seagreen.carbon_account import service
from seagreen.carbon_account.intake_files import EventFileReader

NOW_UTC = "2024-06-30 16:00:00+00"  # 2024-07-01 00:00 in Weihai
TRANSIT = ["bus_trip", "ebus_km", "shared_bike_km", "online_train_ticket"]
REFERENCE = {
    "sqlite_insert": 1_000_000,
    "pg_copy": 340_000,
    "duckdb_account_s_5m": 2.0,
    "floor_sqlite_parquet": 500_000,
    "floor_sqlite_csv": 250_000,
    "floor_pg": 200_000,
}
EVENTS_DDL = """
CREATE TABLE carbon_events (
    id INTEGER PRIMARY KEY,
    partner_id INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    resident_ref TEXT NOT NULL,
    behaviour TEXT NOT NULL,
    quantity_milli BIGINT NOT NULL,
    occurred_at_us BIGINT NOT NULL,
    local_day INTEGER NOT NULL,
    reduction_g BIGINT NOT NULL,
    row_number BIGINT NOT NULL
)"""
EVENTS_INDEX = "CREATE UNIQUE INDEX uq_carbon_events_partner_event ON carbon_events (partner_id, event_id)"
COLUMNS = [
    "partner_id",
    "event_id",
    "resident_ref",
    "behaviour",
    "quantity_milli",
    "occurred_at_us",
    "local_day",
    "reduction_g",
    "row_number",
]

BLOCK_BYTES = 8 << 20  # CSV block: ~110k rows here; the reader's RSS stays ~450 MiB at any file size
READER_BATCH_ROWS = 128 * 1024  # Parquet batch
QUERY_ROWS = 512 * 1024  # rows per DuckDB query: below ~256k the per-query cost dominates (measured)
WITHOUT_ROWID_DDL = """
CREATE TABLE carbon_events (
    partner_id INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    resident_ref TEXT NOT NULL,
    behaviour TEXT NOT NULL,
    quantity_milli BIGINT NOT NULL,
    occurred_at_us BIGINT NOT NULL,
    local_day INTEGER NOT NULL,
    reduction_g BIGINT NOT NULL,
    row_number BIGINT NOT NULL,
    PRIMARY KEY (partner_id, event_id)
) WITHOUT ROWID"""

results: list[tuple[str, int, float, str]] = []


def has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def record(stage: str, rows: int, seconds: float, reference: str = "") -> None:
    results.append((stage, rows, seconds, reference))
    rate = rows / seconds if seconds else float("inf")
    print(f"  {stage:<64} {rows:>10,} rows {seconds:8.2f} s {rate:>12,.0f} rows/s  {reference}", flush=True)


@contextlib.contextmanager
def timed() -> Iterator[list[float]]:
    box = [0.0]
    start = time.perf_counter()
    yield box
    box[0] = time.perf_counter() - start


# -- data -----------------------------------------------------------------------------------------


def generate(rows: int, residents: int) -> pa.Table:
    """A transit partner's events; every value derives from the row index (deterministic)."""
    index = pa.array(range(rows), pa.int64())
    mixed = pc.bit_wise_and(pc.add(pc.multiply(index, 2_654_435_761), 12_345), 0xFFFFFFFF)
    resident = pc.binary_join_element_wise(
        "R", pc.utf8_lpad(pc.cast(pc.remainder(mixed, residents), pa.string()), 6, "0"), ""
    )
    behaviour_index = pc.remainder(pc.divide(mixed, 7), len(TRANSIT))
    behaviour = pc.take(pa.array(TRANSIT), behaviour_index)
    whole = pc.cast(pc.add(pc.remainder(pc.divide(mixed, 13), 20), 1), pa.string())
    thousandths = pc.utf8_lpad(pc.cast(pc.remainder(mixed, 1000), pa.string()), 3, "0")
    per_km = pc.binary_join_element_wise(whole, thousandths, ".")
    is_trip = pc.is_in(behaviour, pa.array(["bus_trip", "online_train_ticket"]))
    quantity = pc.if_else(is_trip, pa.scalar("1"), per_km)
    seconds_back = pc.remainder(pc.divide(mixed, 3), 85 * 86_400)  # within the 90-day window
    start = 1_719_763_200  # 2024-06-30T16:00:00Z
    local = pc.cast(
        pc.multiply(pc.add(pc.subtract(start, seconds_back), 8 * 3600), 1_000_000), pa.timestamp("us")
    )
    occurred_at = pc.strftime(local, format="%Y-%m-%dT%H:%M:%S")  # no offset: Asia/Shanghai
    bad = pc.equal(pc.remainder(index, 200), 199)  # 0.5 % of rows carry a bad quantity
    quantity = pc.if_else(bad, pa.scalar("1.2345"), quantity)
    event_id = pc.binary_join_element_wise("E", pc.cast(index, pa.string()), "")
    return pa.table(
        {
            "event_id": event_id,
            "resident_ref": resident,
            "behaviour": behaviour,
            "quantity": quantity,
            "occurred_at": occurred_at,
            "dedupe_key": pa.nulls(rows, pa.string()),
        }
    )


def write_files(table: pa.Table, folder: Path) -> tuple[Path, Path]:
    csv_path, parquet_path = folder / "events.csv", folder / "events.parquet"
    pa_csv.write_csv(table, csv_path)
    pq.write_table(table, parquet_path, row_group_size=1 << 20, compression="zstd")
    return csv_path, parquet_path


# -- reading --------------------------------------------------------------------------------------


def read_with(path: Path) -> tuple[int, float, int]:
    baseline, peak, rows, errors = pa.total_allocated_bytes(), 0, 0, 0
    with timed() as elapsed:
        for batch in EventFileReader(path):
            rows += batch.rows.num_rows
            errors += len(batch.errors)
            peak = max(peak, pa.total_allocated_bytes() - baseline)
    assert errors == 0
    return rows, elapsed[0], peak


def stage_reading(csv_path: Path, parquet_path: Path) -> None:
    print("reading (raw text columns + row numbers, streamed):")
    for path in (csv_path, parquet_path):
        rows, seconds, peak = read_with(path)
        record(f"EventFileReader {path.suffix[1:]} (Arrow peak {peak / 2**20:.0f} MiB)", rows, seconds)
    with timed() as elapsed:
        rows = sum(
            b.num_rows for b in pa_csv.open_csv(csv_path, read_options=pa_csv.ReadOptions(use_threads=True))
        )
    record("pyarrow open_csv alone, threads, no row numbers", rows, elapsed[0])
    if has("polars"):
        import polars as pl

        with timed() as elapsed:
            rows = pl.scan_csv(csv_path, infer_schema=False).select(pl.len()).collect().item()
        record("polars scan_csv (count only)", rows, elapsed[0])
    if has("duckdb"):
        import duckdb

        with timed() as elapsed:
            query = f"SELECT count(*) FROM read_csv('{csv_path}', all_varchar=true)"
            ((rows,),) = duckdb.connect().sql(query).fetchall()
        record("duckdb read_csv all_varchar (count only)", rows, elapsed[0])


# -- validate and account in DuckDB ---------------------------------------------------------------

VALIDATE_SQL = """
SELECT
    b.row_number,
    b.event_id,
    b.resident_ref,
    b.behaviour,
    TRY_CAST(b.quantity AS DECIMAL(18, 3)) AS quantity,
    TRY_CAST(b.occurred_at AS TIMESTAMPTZ) AS occurred_at,
    c.factor,
    c.daily_cap_g,
    c.monthly_cap_g,
    (c.code IS NOT NULL) AS known,
    COALESCE(list_contains(c.kinds, 'transit'), false) AS allowed,
    (b.quantity SIMILAR TO '[0-9]{1,10}(\\.[0-9]{1,3})?') AS quantity_ok
FROM batch AS b LEFT JOIN catalogue AS c ON c.code = b.behaviour
"""
ACCEPT_SQL = f"""
SELECT
    1 AS partner_id, event_id, resident_ref, behaviour,
    CAST(quantity * 1000 AS BIGINT) AS quantity_milli,
    epoch_us(occurred_at) AS occurred_at_us,
    CAST(date_diff('day', DATE '1970-01-01', CAST(timezone('Asia/Shanghai', occurred_at) AS DATE)) AS INTEGER)
        AS local_day,
    CAST(floor(CAST(factor AS DECIMAL(18, 6)) * quantity) AS BIGINT) AS reduction_g,
    row_number
FROM checked
WHERE known AND allowed AND quantity_ok AND quantity > 0 AND occurred_at IS NOT NULL
  AND occurred_at <= TIMESTAMPTZ '{NOW_UTC}' + INTERVAL 5 MINUTE
  AND occurred_at >= TIMESTAMPTZ '{NOW_UTC}' - INTERVAL 90 DAY
"""
ACCOUNT_SQL = """
WITH days AS (
    SELECT resident_ref, behaviour, local_day, sum(reduction_g) AS reduction_g
    FROM accepted GROUP BY ALL
), capped AS (
    SELECT d.resident_ref, d.behaviour,
           year(DATE '1970-01-01' + d.local_day) * 12 + month(DATE '1970-01-01' + d.local_day) AS month,
           d.reduction_g, least(d.reduction_g, c.daily_cap_g) AS day_credited, c.monthly_cap_g
    FROM days AS d JOIN catalogue AS c ON c.code = d.behaviour
), months AS (
    SELECT resident_ref, behaviour, month, sum(reduction_g) AS reduction_g,
           least(sum(day_credited), any_value(monthly_cap_g)) AS credited
    FROM capped GROUP BY ALL
)
SELECT resident_ref, sum(reduction_g) AS reduction_g, sum(credited) AS credited_g,
       floor(sum(credited) / 100) AS points
FROM months GROUP BY resident_ref
"""


def catalogue_table() -> pa.Table:
    (entry,) = service.shipped_versions()
    behaviours = service.read_catalogue_file(entry.file)
    return pa.table(
        {
            "code": [b.code for b in behaviours],
            "factor": pa.array([b.factor_g_per_unit for b in behaviours], pa.decimal128(18, 6)),
            "daily_cap_g": pa.array([b.daily_cap_g for b in behaviours], pa.int64()),
            "monthly_cap_g": pa.array([b.monthly_cap_g for b in behaviours], pa.int64()),
            "kinds": [sorted(k.value for k in b.partner_kinds) for b in behaviours],
        }
    )


def validate_file(connection, path: Path) -> tuple[pa.Table, int, float]:
    """Stream a file through EventFileReader (4-8 MiB blocks keep the reader's memory flat) and
    validate set-based in DuckDB, ~512k rows per query (smaller queries pay DuckDB's per-query cost)."""
    accepted_batches: list[pa.RecordBatch] = []
    rejected = 0
    pending: list[pa.RecordBatch] = []

    def validate(batches: list[pa.RecordBatch]) -> None:
        nonlocal rejected
        rows = pa.Table.from_batches(batches)
        connection.register("batch", rows)
        connection.execute(f"CREATE OR REPLACE TEMP VIEW checked AS {VALIDATE_SQL}")
        accepted = connection.sql(ACCEPT_SQL).to_arrow_table()
        rejected += rows.num_rows - accepted.num_rows
        accepted_batches.extend(accepted.to_batches())
        connection.unregister("batch")

    with timed() as elapsed:
        for intake in EventFileReader(path, block_bytes=BLOCK_BYTES, batch_rows=READER_BATCH_ROWS):
            rejected += len(intake.errors)
            pending.append(intake.rows)
            if sum(batch.num_rows for batch in pending) >= QUERY_ROWS:
                validate(pending)
                pending = []
        if pending:
            validate(pending)
    return pa.Table.from_batches(accepted_batches), rejected, elapsed[0]


def stage_validate_and_account(parquet_path: Path, csv_path: Path) -> pa.Table | None:
    if not has("duckdb"):
        print("validate + account: skipped (duckdb not installed)")
        return None
    import duckdb

    print("validate + account set-based in DuckDB (the reader's Arrow batches, ~512k rows a query):")
    connection = duckdb.connect()
    connection.execute("SET threads = 2")
    connection.execute("SET memory_limit = '512MB'")
    connection.execute("SET TimeZone = 'Asia/Shanghai'")  # a time without offset is Weihai time
    connection.register("catalogue", catalogue_table())
    accepted_table, rejected, seconds = validate_file(connection, csv_path)
    record(f"read CSV + validate ({rejected:,} rejected)", accepted_table.num_rows + rejected, seconds)
    accepted_table, rejected, seconds = validate_file(connection, parquet_path)
    record(f"read Parquet + validate ({rejected:,} rejected)", accepted_table.num_rows + rejected, seconds)
    connection.register("accepted", accepted_table)
    with timed() as elapsed:
        residents = connection.sql(ACCOUNT_SQL).to_arrow_table()
    record(
        f"factors + daily/monthly caps + points ({residents.num_rows:,} residents)",
        accepted_table.num_rows,
        elapsed[0],
        f"issue: ≈{REFERENCE['duckdb_account_s_5m']} s for 5M",
    )
    with timed() as elapsed:
        ((rows,),) = connection.sql(
            f"SELECT count(*) FROM read_csv('{csv_path}', all_varchar=true, store_rejects=true)"
        ).fetchall()
    record("duckdb read_csv with store_rejects (its own reader)", rows, elapsed[0])
    agree_with_domain(connection, parquet_path, accepted_table)
    return accepted_table.sort_by([("partner_id", "ascending"), ("event_id", "ascending")])


def agree_with_domain(connection, parquet_path: Path, accepted: pa.Table, sample: int = 20_000) -> None:
    """The set-based path must accept the same events with the same grams, and give each resident
    the same credited grams and points, as domain.check_event and domain.account."""
    from datetime import UTC, datetime

    from seagreen.carbon_account.domain import Methodology, MethodologyVersion, account, check_event

    (entry,) = service.shipped_versions()
    behaviours = {b.code: b for b in service.read_catalogue_file(entry.file)}
    catalogue = Methodology(
        (MethodologyVersion(entry.code, entry.name, entry.effective_from, entry.g_per_point, behaviours),)
    )
    now = datetime.fromisoformat(NOW_UTC.replace(" ", "T")).astimezone(UTC)
    expected, events = {}, []
    rows = pq.read_table(parquet_path).slice(0, sample)
    sample = rows.num_rows  # the file may hold fewer (a small run): the verdict names what was compared
    for number, raw in enumerate(rows.to_pylist(), start=1):
        result = check_event(raw, partner_kind="transit", methodology=catalogue, now=now)
        if result.event is not None:
            expected[number] = (result.event.reduction_g, result.event.day.toordinal() - 719_163)
            events.append(result.event)
    subset = accepted.filter(pc.less_equal(accepted.column("row_number"), sample))
    found = {
        row["row_number"]: (row["reduction_g"], row["local_day"])
        for row in subset.select(["row_number", "reduction_g", "local_day"]).to_pylist()
    }
    connection.register("accepted", subset)
    totals = {
        row["resident_ref"]: (row["reduction_g"], row["credited_g"], row["points"])
        for row in connection.sql(ACCOUNT_SQL).to_arrow_table().to_pylist()
    }
    reference = {
        r: (t.reduction_g, t.credited_g, t.points) for r, t in account(events, catalogue).residents.items()
    }
    verdict = "agree" if found == expected and totals == reference else "DISAGREE"
    print(
        f"  set-based checks and accounting vs the domain functions on the first {sample:,} rows: {verdict}"
    )


# -- bulk insert ----------------------------------------------------------------------------------


def sqlite_file(folder: Path, name: str) -> Path:
    path = folder / f"{name}.db"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(EVENTS_DDL)
    connection.execute(EVENTS_INDEX)
    connection.commit()
    connection.close()
    return path


def sqlite_executemany(table: pa.Table, folder: Path) -> float:
    path = sqlite_file(folder, "executemany")
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous=NORMAL")
    marks = ", ".join("?" for _ in COLUMNS)
    statement = f"INSERT INTO carbon_events ({', '.join(COLUMNS)}) VALUES ({marks})"
    with timed() as elapsed:
        connection.execute("BEGIN IMMEDIATE")
        for batch in table.to_batches(max_chunksize=100_000):
            connection.executemany(
                statement, zip(*(batch.column(c).to_pylist() for c in COLUMNS), strict=True)
            )
        connection.execute("COMMIT")
    connection.close()
    return elapsed[0]


def sqlite_adbc(table: pa.Table, folder: Path) -> float:
    import adbc_driver_sqlite.dbapi as adbc_sqlite

    path = sqlite_file(folder, "adbc")
    with adbc_sqlite.connect(str(path), autocommit=True) as connection, connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=NORMAL")
        with timed() as elapsed:
            cursor.execute("BEGIN IMMEDIATE")
            cursor.adbc_ingest("carbon_events", table.select(COLUMNS), mode="append")
            cursor.execute("COMMIT")
    return elapsed[0]


def sqlite_adbc_staging(table: pa.Table, folder: Path) -> tuple[float, float]:
    """ADBC into a TEMP staging table, then one INSERT … SELECT … ON CONFLICT DO NOTHING into a
    WITHOUT ROWID table keyed by (partner, event_id); then the same file again (all duplicates)."""
    import adbc_driver_sqlite.dbapi as adbc_sqlite

    path = folder / "staging.db"
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute(WITHOUT_ROWID_DDL)
    setup.commit()
    setup.close()
    timings = []
    with adbc_sqlite.connect(str(path), autocommit=True) as connection, connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA temp_store=MEMORY")
        for _attempt in range(2):
            with timed() as elapsed:
                cursor.execute("BEGIN IMMEDIATE")
                cursor.execute("DROP TABLE IF EXISTS temp.staging")
                cursor.adbc_ingest("staging", table.select(COLUMNS), mode="create", temporary=True)
                cursor.execute(
                    f"INSERT INTO carbon_events ({', '.join(COLUMNS)}) SELECT * FROM temp.staging "
                    "WHERE true ON CONFLICT DO NOTHING"
                )
                cursor.execute("COMMIT")
            timings.append(elapsed[0])
    return timings[0], timings[1]


@contextlib.contextmanager
def scratch_postgres(url: str) -> Iterator[str]:
    import psycopg

    name = f"seagreen_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_table(url: str, name: str) -> None:
    import psycopg

    ddl = EVENTS_DDL.replace("carbon_events", name).replace("INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(ddl)
        connection.execute(
            EVENTS_INDEX.replace("carbon_events", name).replace("uq_carbon_events", f"uq_{name}")
        )


def pg_copy_csv(table: pa.Table, url: str) -> float:
    import psycopg

    pg_table(url, "events_copy")
    with psycopg.connect(url) as connection, connection.cursor() as cursor, timed() as elapsed:
        statement = f"COPY events_copy ({', '.join(COLUMNS)}) FROM STDIN (FORMAT csv)"
        with cursor.copy(statement) as copy:
            for batch in table.select(COLUMNS).to_batches(max_chunksize=200_000):
                buffer = io.BytesIO()
                pa_csv.write_csv(batch, buffer, write_options=pa_csv.WriteOptions(include_header=False))
                copy.write(buffer.getvalue())
        connection.commit()
    return elapsed[0]


def pg_adbc(table: pa.Table, url: str) -> float:
    import adbc_driver_postgresql.dbapi as adbc_pg

    pg_table(url, "events_adbc")
    with adbc_pg.connect(url) as connection, connection.cursor() as cursor, timed() as elapsed:
        cursor.adbc_ingest("events_adbc", table.select(COLUMNS), mode="append")
        connection.commit()
    return elapsed[0]


def stage_inserts(table: pa.Table, folder: Path, pg_url: str | None) -> None:
    rows = table.num_rows
    print("raw bulk insert of the accepted rows into an indexed events table:")
    record("SQLite: sqlite3 executemany, one transaction", rows, sqlite_executemany(table, folder))
    if has("adbc_driver_sqlite"):
        reference = f"issue: ≈{REFERENCE['sqlite_insert']:,}/s"
        record(
            "SQLite: ADBC adbc_ingest (Arrow), rowid table + unique index",
            rows,
            sqlite_adbc(table, folder),
            reference,
        )
        first, again = sqlite_adbc_staging(table, folder)
        record("SQLite: ADBC → TEMP staging → INSERT…ON CONFLICT (no rowid)", rows, first, reference)
        record("SQLite: the same rows again, all duplicates", rows, again)
    if pg_url is None:
        return
    with scratch_postgres(pg_url) as url:
        reference = f"issue: ≈{REFERENCE['pg_copy']:,}/s"
        record("PostgreSQL: psycopg COPY, CSV text from pyarrow", rows, pg_copy_csv(table, url), reference)
        if has("adbc_driver_postgresql"):
            record("PostgreSQL: ADBC adbc_ingest (COPY binary)", rows, pg_adbc(table, url), reference)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="seagreen-bench-") as scratch:
        folder = Path(scratch)
        print(f"{args.rows:,} events, {args.residents:,} residents; files in {folder}")
        with timed() as elapsed:
            table = generate(args.rows, args.residents)
            csv_path, parquet_path = write_files(table, folder)
        del table
        print(
            f"  generated in {elapsed[0]:.1f} s: CSV {csv_path.stat().st_size / 2**20:.0f} MiB, "
            f"Parquet {parquet_path.stat().st_size / 2**20:.0f} MiB"
        )
        stage_reading(csv_path, parquet_path)
        accepted = stage_validate_and_account(parquet_path, csv_path)
        if accepted is None:
            print("bulk inserts: skipped (the typed rows come from the DuckDB stage)")
        else:
            stage_inserts(accepted, folder, None if args.no_pg else args.pg)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the whole run: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
