"""Ledger throughput: single and batched transfers on SQLite and PostgreSQL, each beside the raw
INSERT rate of the same rows into a table with the same columns and indexes, measured in the same run.

    .venv/bin/python benchmarks/ledger.py [--transfers 200000] [--batch 8190] [--pg URL | --no-pg]

The hash chain is on (it always is). Deterministic data: a seeded generator picks the accounts.
The issue's floor: batched posting >= 50,000 transfers/s on SQLite.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from seagreen.db.engine import make_engine, make_session_factory
from seagreen.db.migrate import upgrade
from seagreen.db.uow import unit_of_work
from seagreen.ledger import service
from seagreen.ledger.domain import AccountFlags, TransferRequest
from seagreen.ledger.repository import TRANSFER_COLUMNS
from seagreen.ledger.service import AccountSpec

RESIDENTS = 10_000
FLOOR_BATCHED_SQLITE = 50_000
RAW_COLUMNS = ", ".join(TRANSFER_COLUMNS)


@contextmanager
def scratch_postgres(url: str):
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    name = f"seagreen_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def requests_for(prefix: str, count: int, rng: random.Random) -> list[TransferRequest]:
    return [
        TransferRequest(
            key=f"{prefix}{n}",
            debit_account="platform:points",
            credit_account=f"resident:{rng.randrange(RESIDENTS)}:points",
            amount=rng.randrange(1, 500),
            code="earn",
            memo={"batch": prefix},
        )
        for n in range(count)
    ]


def setup(engine: Engine) -> None:
    upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        specs = [AccountSpec("platform:points", "points")]
        specs += [
            AccountSpec(f"resident:{n}:points", "points", AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
            for n in range(RESIDENTS)
        ]
        service.open_accounts(session, specs)


def post_single(engine: Engine, count: int, rng: random.Random) -> float:
    sessions = make_session_factory(engine)
    requests = requests_for("single-", count, rng)
    started = time.perf_counter()
    for request in requests:
        with unit_of_work(sessions) as session:
            service.post_or_raise(session, [request])
    return count / (time.perf_counter() - started)


def post_batched(engine: Engine, count: int, batch: int, rng: random.Random) -> float:
    sessions = make_session_factory(engine)
    requests = requests_for("batch-", count, rng)
    started = time.perf_counter()
    for start in range(0, count, batch):
        with unit_of_work(sessions) as session:
            service.post_or_raise(session, requests[start : start + batch])
    return count / (time.perf_counter() - started)


def create_twin_table(engine: Engine) -> None:
    """``bench_raw``: the journal's columns, keys and indexes, without its triggers."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("CREATE TABLE bench_raw (LIKE ledger_transfers INCLUDING ALL)"))
            return
        ddl = connection.execute(
            text(
                "SELECT type, sql FROM sqlite_master WHERE tbl_name = 'ledger_transfers' AND sql IS NOT NULL"
            )
        ).all()
        for kind, sql in sorted(ddl, key=lambda row: row.type != "table"):
            if kind in ("table", "index"):
                twin = sql.replace("ledger_transfers", "bench_raw", 1)
                if kind == "index":
                    twin = twin.replace("INDEX ", "INDEX bench_", 1).replace(
                        " ON ledger_transfers", " ON bench_raw"
                    )
                connection.execute(text(twin))


def raw_insert(engine: Engine, batch: int) -> tuple[float, int]:
    """Write the batched run's journal rows again into a twin table with the driver's fastest bulk
    path (``executemany`` on SQLite, ``COPY`` on PostgreSQL), one transaction per batch: the
    reference the posting rate is compared with."""
    create_twin_table(engine)
    with engine.begin() as connection:
        query = text(f"SELECT {RAW_COLUMNS} FROM ledger_transfers WHERE key LIKE 'batch-%' ORDER BY seq")
        rows = [tuple(row) for row in connection.execute(query)]
    insert = f"INSERT INTO bench_raw ({RAW_COLUMNS}) VALUES ({', '.join(['?'] * len(TRANSFER_COLUMNS))})"
    started = time.perf_counter()
    for start in range(0, len(rows), batch):
        with engine.begin() as connection:
            cursor = connection.connection.cursor()
            if engine.dialect.name == "postgresql":
                with cursor.copy(f"COPY bench_raw ({RAW_COLUMNS}) FROM STDIN") as copy:
                    for row in rows[start : start + batch]:
                        copy.write_row(row)
            else:
                cursor.executemany(insert, rows[start : start + batch])
    return len(rows) / (time.perf_counter() - started), len(rows)


def measure(label: str, url: str, transfers: int, batch: int, singles: int) -> dict[str, float]:
    engine = make_engine(url)
    setup(engine)
    rng = random.Random(20261127)
    single = post_single(engine, singles, rng)
    batched = post_batched(engine, transfers, batch, rng)
    raw, rows = raw_insert(engine, batch)
    with unit_of_work(make_session_factory(engine), read_only=True) as session:
        report = service.verify(session)
    engine.dispose()
    assert report.ok, report.problems
    print(f"\n{label}: {transfers:,} transfers in batches of {batch:,}; {singles:,} single; chain verified")
    print(f"  raw bulk write of the same rows {raw:>12,.0f} rows/s   ({rows:,} rows, reference)")
    print(f"  batched posting (hash chain)    {batched:>12,.0f} transfers/s   = {batched / raw:.2f} x raw")
    print(
        f"  single transfer per transaction {single:>12,.0f} transfers/s   = {single / raw:.4f} x raw insert"
    )
    return {"raw": raw, "batched": batched, "single": single}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transfers", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=8_190)
    parser.add_argument("--singles", type=int, default=2_000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        sqlite = measure(
            "SQLite", f"sqlite:///{Path(folder) / 'bench.db'}", args.transfers, args.batch, args.singles
        )
    verdict = "meets" if sqlite["batched"] >= FLOOR_BATCHED_SQLITE else "BELOW"
    print(f"  floor: batched >= {FLOOR_BATCHED_SQLITE:,}/s on SQLite -> {verdict}")
    if not args.no_pg:
        with scratch_postgres(args.pg) as url:
            measure("PostgreSQL", url, args.transfers, args.batch, args.singles)


if __name__ == "__main__":
    main()
