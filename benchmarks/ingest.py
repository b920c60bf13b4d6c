"""Ingest benchmark (issue 3): end-to-end events/s of ``seagreen ingest`` and the real-time API,
each printed beside the raw bulk-insert rate of the same rows measured in the same run.

    python benchmarks/ingest.py                       # 5M events, 100k residents, SQLite
    python benchmarks/ingest.py --events 500000       # a quicker run
    python benchmarks/ingest.py --postgres postgresql://postgres@127.0.0.1:5432/test

Deterministic synthetic data (seeded): transit events (bus trips, e-bus km) for residents who all
authorised the partner. Floors from the issue: SQLite ≥ 500k/s Parquet, ≥ 250k/s CSV; PostgreSQL
≥ 200k/s; API ≥ 20k/s in 1,000-event batches; one-event POST p99 ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from seagreen.audit.domain import Actor
from seagreen.carbon_account import service
from seagreen.config import Settings
from seagreen.db.engine import make_engine, make_session_factory
from seagreen.db.migrate import upgrade
from seagreen.db.uow import unit_of_work
from seagreen.identity import service as identity

NOW = datetime.fromisoformat("2024-06-30T23:00:00+08:00")
ACTOR = Actor.system("benchmark")
PREFIX = "benchmark-dedupe-prefix"


def synthetic(events: int, residents: int, seed: int = 20240630) -> pa.Table:
    chance = random.Random(seed)
    resident = [chance.randrange(residents) for _ in range(events)]
    bus = [chance.random() < 0.7 for _ in range(events)]
    start = 1_714_492_800  # 2024-05-01 .. 2024-06-30
    return pa.table(
        {
            "event_id": pa.array([f"bus-{n:09d}" for n in range(events)]),
            "resident_ref": pa.array([f"R{r}" for r in resident]),
            "behaviour": pa.array(["bus_trip" if b else "ebus_km" for b in bus]),
            "quantity": pa.array(["1" if b else f"{chance.randrange(10, 300) / 10}" for b in bus]),
            "occurred_at": pa.array(
                [(start + chance.randrange(60 * 86400)) * 1_000_000 for _ in range(events)],
                pa.timestamp("us", "UTC"),
            ),
        }
    )


def fresh(url: str):
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)

    def transactions(**options):
        return unit_of_work(factory, **options)

    with transactions() as session:
        service.load_shipped(session)
        service.add_partner(session, "bench-bus", kind="transit", name="bench bus", actor=ACTOR)
    return engine, transactions


def residents(transactions, count: int) -> None:
    refs = [f"R{n}" for n in range(count)]
    with transactions() as session:
        identity.ensure_resident_refs(session, refs, actor=ACTOR)
        service.set_consents(
            session,
            {ref: {"bench-bus"} for ref in refs},
            actor=ACTOR,
            source="benchmark",
            now=datetime.fromisoformat("2024-01-01T00:00:00+08:00"),
        )


def ingest(url, transactions, path: Path) -> tuple[float, service.IngestSummary]:
    start = time.perf_counter()
    summary = service.ingest_file(
        transactions, url, path, "bench-bus", prefix=PREFIX, actor=ACTOR, quarantine_dir=path.parent, now=NOW
    )
    return time.perf_counter() - start, summary


def raw_insert_sqlite(table: pa.Table, directory: Path) -> float:
    """ADBC ingest of the same rows into an indexed table of a database file of its own."""
    import adbc_driver_sqlite.dbapi as driver

    narrow = table.select(["event_id", "resident_ref", "behaviour", "quantity"])
    with driver.connect(str(directory / f"raw-{secrets.token_hex(3)}.db")) as connection:
        cursor = connection.cursor()
        cursor.execute(
            "CREATE TABLE raw (partner_id INTEGER, event_id TEXT, resident_ref TEXT, behaviour TEXT, "
            "quantity TEXT, PRIMARY KEY (partner_id, event_id)) WITHOUT ROWID"
        )
        connection.commit()
        narrow = narrow.add_column(0, "partner_id", pa.array([1] * len(narrow), pa.int64()))
        start = time.perf_counter()
        cursor.adbc_ingest("raw", narrow, mode="append")
        connection.commit()
        return len(narrow) / (time.perf_counter() - start)


def raw_insert_postgres(table: pa.Table, url: str) -> float:
    import adbc_driver_postgresql.dbapi as driver

    narrow = table.select(["event_id", "resident_ref", "behaviour", "quantity"])
    narrow = narrow.add_column(0, "partner_id", pa.array([1] * len(narrow), pa.int64()))
    with driver.connect(url.replace("+psycopg", "")) as connection:
        cursor = connection.cursor()
        cursor.execute("DROP TABLE IF EXISTS bench_raw")
        cursor.execute(
            "CREATE TABLE bench_raw (partner_id BIGINT, event_id TEXT, resident_ref TEXT, behaviour TEXT, "
            "quantity TEXT, PRIMARY KEY (partner_id, event_id))"
        )
        connection.commit()
        start = time.perf_counter()
        cursor.adbc_ingest("bench_raw", narrow, mode="append")
        connection.commit()
        rate = len(narrow) / (time.perf_counter() - start)
        cursor.execute("DROP TABLE bench_raw")
        connection.commit()
        return rate


def api(url: str, transactions, batches: int, singles: int) -> tuple[float, float]:
    """Events/s in 1,000-event batches and the p99 of one-event POSTs, through the ASGI app."""
    from fastapi.testclient import TestClient

    from seagreen.app import create_app

    with transactions() as session:
        key = service.add_partner(session, "bench-bus", kind="transit", name="bench bus", actor=ACTOR).api_key
    settings = Settings(database_url=url, key_file=Path(tempfile.mkdtemp()) / "keys.json")
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {key}"}

    # the API checks times against the real clock: events of the last day, so they are accepted
    recent = (datetime.now(UTC) - timedelta(hours=20)).isoformat()

    def event(n: int) -> dict[str, str]:
        return {
            "event_id": f"api-{n}",
            "resident_ref": f"R{n % 1000}",
            "behaviour": "bus_trip",
            "quantity": "1",
            "occurred_at": recent,
        }

    with TestClient(app) as client:
        start = time.perf_counter()
        for b in range(batches):
            body = {"events": [event(b * 1000 + i) for i in range(1000)]}
            response = client.post("/api/v1/events", json=body, headers=headers)
            assert response.status_code == 200, response.text
            results = response.json()["results"]
            assert all(r["status"] == "accepted" for r in results), results[0]
        rate = batches * 1000 / (time.perf_counter() - start)
        latencies = []
        for n in range(singles):
            body = {"events": [event(10_000_000 + n)]}
            start = time.perf_counter()
            response = client.post("/api/v1/events", json=body, headers=headers)
            latencies.append(time.perf_counter() - start)
            assert response.status_code == 200
    return rate, statistics.quantiles(latencies, n=100)[98] * 1000


def run(label: str, make_url, table: pa.Table, directory: Path, count: int, raw: float) -> None:
    files = {"parquet": directory / "events.parquet", "csv": directory / "events.csv"}
    for name, path in files.items():
        url = make_url(name)
        engine, transactions = fresh(url)
        residents(transactions, count)
        seconds, summary = ingest(url, transactions, path)
        rate = len(table) / seconds
        print(
            f"{label} {name:7s}: {rate:10,.0f} events/s ({seconds:.1f} s; accepted {summary.accepted:,}, "
            f"points {summary.points:,})  raw insert {raw:10,.0f}/s  ratio {rate / raw:.2f}",
            flush=True,
        )
        if name == "csv":
            seconds, summary = ingest(url, transactions, path)
            rate = len(table) / seconds
            print(
                f"{label} re-ingest: {rate:10,.0f} events/s (duplicates {summary.duplicates:,})"
                f"  raw insert {raw:10,.0f}/s  ratio {rate / raw:.2f}",
                flush=True,
            )
            api_rate, p99 = api(url, transactions, batches=20, singles=300)
            print(
                f"{label} API: {api_rate:10,.0f} events/s in 1,000-event batches "
                f"(ratio {api_rate / raw:.3f});"
                f" one-event POST p99 {p99:.1f} ms",
                flush=True,
            )
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--postgres", default=None, help="PostgreSQL URL (a scratch database is created)")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="seagreen-bench-"))
    table = synthetic(args.events, args.residents)
    pq.write_table(table, directory / "events.parquet")
    pa_csv.write_csv(table, directory / "events.csv")
    raw = raw_insert_sqlite(table, directory)
    run(
        "SQLite    ",
        lambda name: f"sqlite:///{directory / f'bench-{name}.db'}",
        table,
        directory,
        args.residents,
        raw,
    )
    if args.postgres:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's tests package
        from tests.db.scratch import scratch_database

        with (
            scratch_database(args.postgres, directory) as first,
            scratch_database(args.postgres, directory) as second,
        ):
            raw_pg = raw_insert_postgres(table, first)
            urls = {"parquet": first, "csv": second}
            run("PostgreSQL", urls.__getitem__, table, directory, args.residents, raw_pg)


if __name__ == "__main__":
    main()
