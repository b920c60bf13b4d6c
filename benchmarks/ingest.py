"""Ingest benchmark (issue 3): end-to-end events/s of ``seagreen ingest`` and of the real-time API,
each printed beside the raw bulk-insert rate of the same rows measured in the same run, and the
ingest's peak memory on a big file.

    python benchmarks/ingest.py                          # 5M events, 100k residents, SQLite
    python benchmarks/ingest.py --events 500000          # a quicker run
    python benchmarks/ingest.py --postgres postgresql://postgres@127.0.0.1:5432/test
    python benchmarks/ingest.py --memory-events 50000000 # + peak RSS of one ingest of 50M events
    python benchmarks/ingest.py --repeat 5               # five trials of each file (default three)

Deterministic synthetic data (every value a hash of the row's index, no random state): a transit
partner's bus trips and e-bus kilometres, two months, residents who all authorised the partner.
Floors from the issue: SQLite ≥ 500k events/s Parquet, ≥ 250k/s CSV; PostgreSQL ≥ 200k/s;
re-ingest (all duplicates) no slower; API ≥ 20k/s in 1,000-event batches and a one-event POST
p99 ≤ 20 ms; peak memory ≤ 1 GB at 50M events. Process CPU seconds are printed too: on a shared
machine they move less than wall time.

Each file's ingest is measured in ``--repeat`` trials, each into a fresh database and right after
a raw insert of the same rows: this machine's speed drifts by a fifth within minutes, so a raw
rate measured once at the start made the ratios move by a quarter between two runs of the same
code. The figures to quote are the medians printed after the trials. The API is measured in as
many trials, a server and a thousand residents of its own each, each right after a raw insert too,
and its medians printed. Beside each plain floor, every figure is also compared with the floor at
the pace of the moment: the floor times the raw insert measured beside the figure over the raw rate
the issue measured when it set the floors (``REFERENCE_RAW``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from sqlalchemy import text

from seagreen.audit.domain import Actor
from seagreen.carbon_account import service
from seagreen.db.engine import make_engine, make_session_factory
from seagreen.db.migrate import upgrade
from seagreen.db.uow import unit_of_work
from seagreen.identity import service as identity

NOW = datetime.fromisoformat("2024-06-30T23:00:00+08:00")
START_S = 1_714_492_800  # 2024-05-01T00:00:00+08:00 … the events span 60 days
ACTOR = Actor.system("benchmark")
PREFIX = "benchmark-dedupe-prefix"
CHUNK = 1_000_000
EARNING_A_DAY = 5
"""The API benchmark's earning batches on one day: five bus trips of 100 g, under the 600 g daily
cap, so every batch earns each of its residents a point."""
FLOORS = {"parquet": 500_000, "csv": 250_000, "postgres": 200_000, "api": 20_000}
REFERENCE_RAW = {"SQLite": 1_000_000, "PostgreSQL": 340_000}
"""The raw bulk-insert rates the issue measured on this machine when it set the floors (SQLite: an
Arrow insert of 5M rows into an indexed table; PostgreSQL: COPY). The same SQLite insert has run at
0.72M to 1.24M rows/s on different days here, so every figure is also compared with its floor at
the pace of the moment: the floor times the raw insert measured beside it, over the reference
(``paced``). The plain floors are printed too."""


def paced(floor: int, raw: float, database: str) -> float:
    """``floor`` at the pace of a run whose raw insert ran at ``raw`` rows/s (``REFERENCE_RAW``)."""
    return floor * raw / REFERENCE_RAW[database]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def synthetic(first: int, count: int, residents: int, *, scattered: bool = False) -> pa.Table:
    """Rows ``first`` … ``first + count - 1``: 70 % bus trips, 30 % e-bus km of 1.0-29.9 km.
    Their ids rise with the rows (``bus-000000001``), unless ``scattered``: then they are as a
    partner's hashed or random transaction numbers are, unique but in no order (``tx-`` and the
    row's index times an odd number modulo 2^40, which is one-to-one)."""
    index = pa.array(range(first, first + count), pa.int64())
    if scattered:
        scrambled = _mod(index, 2_654_435_761, 1 << 40)
        ids = pc.binary_join_element_wise("tx-", pc.cast(scrambled, pa.string()), "")
    else:
        ids = pc.binary_join_element_wise("bus-", pc.utf8_lpad(pc.cast(index, pa.string()), 9, "0"), "")

    resident = _mod(index, 2_654_435_761, residents)
    bus = pc.less(_mod(index, 40_503, 10), 7)
    tenths = pc.add(_mod(index, 7_919, 290), 10)
    ebus_km = pc.binary_join_element_wise(
        pc.cast(pc.divide(tenths, 10), pa.string()), pc.cast(_mod(tenths, 1, 10), pa.string()), "."
    )
    seconds = pc.add(_mod(index, 104_729, 60 * 86_400), START_S)
    return pa.table(
        {
            "event_id": ids,
            "resident_ref": pc.binary_join_element_wise("R", pc.cast(resident, pa.string()), ""),
            "behaviour": pc.if_else(bus, "bus_trip", "ebus_km"),
            "quantity": pc.if_else(bus, "1", ebus_km),
            "occurred_at": pc.cast(pc.multiply(seconds, 1_000_000), pa.timestamp("us", "UTC")),
        }
    )


def _mod(index: pa.Array, multiplier: int, modulo: int) -> pa.Array:
    """``(index × multiplier) mod modulo``, in 40 bits (no overflow for any index used here)."""
    value = pc.bit_wise_and(pc.multiply(index, multiplier), (1 << 40) - 1)
    return pc.subtract(value, pc.multiply(pc.divide(value, modulo), modulo))


def chunks(events: int, residents: int, *, scattered: bool = False) -> Iterator[pa.Table]:
    for first in range(0, events, CHUNK):
        yield synthetic(first, min(CHUNK, events - first), residents, scattered=scattered)


def write_files(
    directory: Path, events: int, residents: int, *, csv: bool = True, scattered: bool = False
) -> dict[str, Path]:
    """The same events as Parquet (typed times) and as CSV (ISO text), written chunk by chunk."""
    stem = "scattered" if scattered else "events"
    paths = {"parquet": directory / f"{stem}.parquet", "csv": directory / f"{stem}.csv"}
    schema = synthetic(0, 1, residents, scattered=scattered).schema
    with pq.ParquetWriter(paths["parquet"], schema) as parquet:
        csv_writer = pa_csv.CSVWriter(paths["csv"], schema) if csv else None
        for table in chunks(events, residents, scattered=scattered):
            parquet.write_table(table)
            if csv_writer is not None:
                csv_writer.write_table(table)
        if csv_writer is not None:
            csv_writer.close()
    return paths if csv else {"parquet": paths["parquet"]}


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


def ingest(transactions, path: Path) -> tuple[float, float, service.IngestSummary]:
    cpu, start = cpu_seconds(), time.perf_counter()
    summary = service.ingest_file(
        transactions, path, "bench-bus", prefix=PREFIX, actor=ACTOR, quarantine_dir=path.parent, now=NOW
    )
    return time.perf_counter() - start, cpu_seconds() - cpu, summary


def narrow(table: pa.Table) -> pa.Table:
    """The raw reference's rows: the event's key and text columns, as a partner file has them."""
    columns = table.select(["event_id", "resident_ref", "behaviour", "quantity"])
    return columns.add_column(0, "partner_id", pa.array([1] * len(columns), pa.int64()))


def raw_tables(events: int, count: int) -> list[pa.Table]:
    """The raw reference's rows, built once a run and inserted before every trial."""
    return [narrow(table) for table in chunks(events, count)]


RAW_COLUMNS = "partner_id BIGINT, event_id TEXT, resident_ref TEXT, behaviour TEXT, quantity TEXT"


def _timed_append(connection, table: str, rows: list[pa.Table], *, options: str = "") -> float:
    """``rows`` appended (ADBC) to a new ``table`` keyed by (partner, event id); rows/s."""
    cursor = connection.cursor()
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(f"CREATE TABLE {table} ({RAW_COLUMNS}, PRIMARY KEY (partner_id, event_id)){options}")
    connection.commit()
    start = time.perf_counter()
    for chunk in rows:
        cursor.adbc_ingest(table, chunk, mode="append")
    connection.commit()
    return sum(len(chunk) for chunk in rows) / (time.perf_counter() - start)


def raw_insert_sqlite(directory: Path, tables: list[pa.Table]) -> float:
    """ADBC ingest of the same rows into an indexed table of a database file of its own
    (deleted after)."""
    import adbc_driver_sqlite.dbapi as driver

    path = directory / f"raw-{secrets.token_hex(3)}.db"
    try:
        with driver.connect(str(path)) as connection:
            return _timed_append(connection, "raw", tables, options=" WITHOUT ROWID")
    finally:
        remove_sqlite_file(path)


def remove_sqlite_file(path: Path) -> None:
    """A SQLite database file and its log files (trials' databases are gigabytes)."""
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def raw_insert_postgres(url: str, tables: list[pa.Table]) -> float:
    """COPY (ADBC, binary) of the same rows into an indexed table (dropped after)."""
    import adbc_driver_postgresql.dbapi as driver

    with driver.connect(url.replace("+psycopg", "")) as connection:
        rate = _timed_append(connection, "bench_raw", tables)
        connection.cursor().execute("DROP TABLE bench_raw")
        connection.commit()
        return rate


@dataclass
class ApiFigures:
    capped_rate: float  # events/s, 1,000-event batches whose residents are at their daily cap
    capped_cpu_ms: float  # the server's CPU a batch
    earning_rate: float  # events/s, batches in which every resident earns a point
    earning_cpu_ms: float
    earning_lag_ms: float  # the wallets were current this long after the stream's last answer
    p99_ms: float  # one-event POSTs
    server_mib: float  # the server's peak resident memory


def api(
    url: str,
    transactions,
    batches: int,
    singles: int,
    stream: int = 200,
    residents: int = 1000,
    trial: int = 0,
    *,
    scattered: bool = False,
) -> ApiFigures:
    """Events/s in 1,000-event batches and the server's CPU a batch, the p99 of one-event POSTs and
    the server's peak memory, against the platform served by uvicorn with one worker in a process
    of its own (as ``seagreen serve`` runs it); the requests are encoded before the clock starts,
    so the figures are the server's.

    A batch holds one bus trip for each of 1,000 residents. Measured twice: ``capped``, every batch
    on the same day, so that from the seventh batch on the residents are at the trip's daily cap
    (600 g): nothing is credited and no point is posted, the cheapest path; and ``earning``, in
    which every resident earns a point in every batch and the batch leaves 1,000 ledger transfers
    to post, as a partner's real traffic of many residents and days does
    (docs/decisions/0005, phase 15). Until phase 15 only the first was measured.

    The server posts the points in rounds after its answers (docs/decisions/0035), so the clock of
    the earning case stops when every point is in the wallets: up to a round (half a second) after
    the last answer. That lag is a fixed latency, not a cost per request; over 40 batches (2-3 s)
    it moved the rate by up to a fifth from run to run, so the earning case is a sustained stream
    of ``stream`` batches (``EARNING_A_DAY`` a day: every batch still earns every resident a
    point), and the lag is reported apart. A run with fewer than 1,000 ``residents`` (a smoke
    test's) spreads each batch over those it has. Each ``trial`` of a run takes residents of its own
    (where there are that many), so that its earning batches are not capped by an earlier trial's
    on the same days.

    The residents of a trial are neighbours (ids ``R{k}`` to ``R{k + 999}``), so each batch's rows
    of totals lie on a few pages. With ``scattered``, they are spread over all the residents past
    the first ``trial`` trials' (about every hundredth of 100k), as a bus company's trips of one
    second are: nearly every row on a page of its own (phase 29)."""
    people = min(1000, residents)
    lowest = trial * people if (trial + 1) * people <= residents else 0
    step = 1
    if scattered and residents - lowest >= people:  # else a smoke test's few residents, side by side
        step = (residents - lowest) // people
    refs = [f"R{lowest + n * step}" for n in range(people)]
    with transactions() as session:
        code = f"bench-api-{secrets.token_hex(3)}"
        key = service.add_partner(session, code, kind="transit", name="bench api", actor=ACTOR).api_key
        service.set_consents(
            session,
            {ref: {"bench-bus", code} for ref in refs},
            actor=ACTOR,
            source="benchmark",
            now=datetime.fromisoformat("2024-01-01T00:00:00+08:00"),
        )
    recent = datetime.now(UTC) - timedelta(hours=20)  # the API checks times against now
    run = secrets.token_hex(4)  # new event ids on every run, even against the same database

    def body(first: int, count: int, days_back: int = 0) -> bytes:
        at = (recent - timedelta(days=days_back)).isoformat()
        events = [
            {
                "event_id": f"api-{run}-{n}",
                "resident_ref": refs[n % people],
                "behaviour": "bus_trip",
                "quantity": "1",
                "occurred_at": at,
            }
            for n in range(first, first + count)
        ]
        return json.dumps({"events": events}).encode()

    warm = 3
    capped = [body(b * 1000, 1000) for b in range(batches + warm)]
    # EARNING_A_DAY batches a day, days 1 … stream / EARNING_A_DAY back (the backfill window is 90 days)
    earning = [
        body((batches + warm + b) * 1000, 1000, days_back=1 + b // EARNING_A_DAY) for b in range(stream)
    ]
    small = [body(10_000_000 + n, 1) for n in range(singles)]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    with _server(url) as (base, pid), httpx.Client(base_url=base, headers=headers, timeout=60) as client:

        def timed(contents: list[bytes]) -> tuple[float, float, float]:
            """Until the last answer and every point it earned is in the wallets (the server posts
            them in rounds after its answers: docs/decisions/0035); also how long after the last
            answer the wallets were current, in ms."""
            cpu, start = _process_cpu(pid), time.perf_counter()
            for content in contents:
                response = client.post("/api/v1/events", content=content)
                assert response.status_code == 200, response.text
                assert response.json()["accepted"] == 1000, response.json()["results"][:2]
            answered = time.perf_counter()
            while _points_owed(transactions):
                time.sleep(0.01)
            end = time.perf_counter()
            rate = len(contents) * 1000 / (end - start)
            return rate, (_process_cpu(pid) - cpu) / len(contents) * 1000, (end - answered) * 1000

        for content in capped[:warm]:
            assert client.post("/api/v1/events", content=content).status_code == 200
        capped_rate, capped_cpu, _ = timed(capped[warm:])
        earning_rate, earning_cpu, earning_lag = timed(earning)
        latencies = []
        for content in small:
            start = time.perf_counter()
            response = client.post("/api/v1/events", content=content)
            latencies.append(time.perf_counter() - start)
            assert response.status_code == 200
        server_mib = _peak_rss_mib(pid)
    return ApiFigures(
        capped_rate,
        capped_cpu,
        earning_rate,
        earning_cpu,
        earning_lag,
        statistics.quantiles(latencies, n=100)[98] * 1000,
        server_mib,
    )


def _points_owed(transactions) -> int:
    """Residents whose points are not all in their wallets yet."""
    with transactions(read_only=True) as session:
        return int(
            session.execute(
                text("SELECT COUNT(*) FROM carbon_resident_totals WHERE points > points_posted")
            ).scalar_one()
        )


def _peak_rss_mib(pid: int) -> float:
    """The peak resident memory of another process so far."""
    return _peak_rss_kib(str(pid)) / 1024


def _peak_rss_kib(process: str) -> int:
    """The peak resident memory of a process (``self`` or a pid) since its ``exec`` (Linux /proc:
    ``VmHWM``)."""
    for row in Path(f"/proc/{process}/status").read_text().splitlines():
        if row.startswith("VmHWM:"):
            return int(row.split()[1])
    raise RuntimeError("no VmHWM in /proc: the memory figure needs Linux")


@contextmanager
def _server(url: str) -> Iterator[tuple[str, int]]:
    """``uvicorn`` with one worker on a free port, the periodic jobs off; (base URL, its pid)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(
        os.environ,
        SEAGREEN_DATABASE_URL=url,
        SEAGREEN_KEY_FILE=str(Path(tempfile.mkdtemp()) / "keys.json"),
        SEAGREEN_RUN_JOBS="false",
    )
    command = [sys.executable, "-m", "uvicorn", "seagreen.app:create_app", "--factory", "--port", str(port)]
    server = subprocess.Popen([*command, "--log-level", "warning", "--no-access-log"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code < 500:  # up
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start")
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of another process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def line(label: str, events: int, seconds: float, cpu: float, raw: float, floor: int, note: str = "") -> None:
    rate = events / seconds
    at_pace = paced(floor, raw, label.split()[0])
    print(
        f"{label:22s} {rate:10,.0f} events/s ({seconds:5.1f} s, cpu {cpu:5.1f} s){note}  "
        f"raw insert {raw:10,.0f}/s  ratio {rate / raw:.2f}  floor {floor:,}/s: {rate / floor:.2f}×, "
        f"at this pace {at_pace:,.0f}/s: {rate / at_pace:.2f}×",
        flush=True,
    )


@dataclass
class Trial:
    rate: float  # events/s of the ingest
    raw: float  # rows/s of the raw insert measured right before it

    @property
    def ratio(self) -> float:
        return self.rate / self.raw


def median_line(label: str, trials: list[Trial], floor: int) -> float:
    """The trials' median rate and median ratio (each trial's ingest against the raw insert just
    before it), with the ratios' range, and the median against the floor at each trial's pace;
    returns the median rate."""
    rate = statistics.median(trial.rate for trial in trials)
    ratios = [trial.ratio for trial in trials]
    at_pace = statistics.median(trial.rate / paced(floor, trial.raw, label.split()[0]) for trial in trials)
    print(
        f"{label:22s} median of {len(trials)}: {rate:10,.0f} events/s  "
        f"ratio {statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})  "
        f"floor {floor:,}/s: {rate / floor:.2f}×, at each trial's pace: {at_pace:.2f}×",
        flush=True,
    )
    return rate


def scattered_ids(label: str, url: str, directory: Path, events: int, count: int, rising: float) -> None:
    """The Parquet ingest again with ids in no order (``synthetic(scattered=True)``), into a
    database of its own: not a floor of the issue, but what a partner with hashed or random
    transaction numbers gets (docs/decisions/0005, phase 18), beside the rising ids' rate."""
    path = write_files(directory, events, count, csv=False, scattered=True)["parquet"]
    engine, transactions = fresh(url)
    residents(transactions, count)
    seconds, cpu, summary = ingest(transactions, path)
    assert summary.accepted == events, summary
    engine.dispose()
    path.unlink()
    print(
        f"{label} parquet, scattered ids {events / seconds:,.0f} events/s "
        f"({seconds:5.1f} s, cpu {cpu:5.1f} s), "
        f"{events / seconds / rising:.2f} of the rising ids' rate (not a floor)",
        flush=True,
    )


def run(
    label: str,
    database: Callable[[str], AbstractContextManager[str]],
    files: dict[str, Path],
    events: int,
    count: int,
    raw_rate: Callable[[str], float],
    *,
    pg: bool,
    repeat: int,
) -> dict[str, float]:
    """Each file's ingest and the re-ingest, ``repeat`` trials each, every trial into a database
    of its own (``database``) and right after a raw insert of the same rows (``raw_rate``, given
    the trial's URL): on a machine whose speed drifts, an ingest and the raw insert it is compared
    with are measured together. Each trial's figure is printed, then the medians. The API is
    measured on the CSV's last trial's database (which holds its events), in ``repeat`` trials too;
    on PostgreSQL since phase 30, before that on SQLite only. Returns the median events/s by file."""
    rates: dict[str, float] = {}
    for name, path in files.items():
        floor = FLOORS["postgres" if pg else name]
        trials: list[Trial] = []
        again: list[Trial] = []
        for trial in range(repeat):
            with database(name) as url:
                raw = raw_rate(url)
                engine, transactions = fresh(url)
                residents(transactions, count)
                seconds, cpu, summary = ingest(transactions, path)
                assert summary.accepted == events, summary
                trials.append(Trial(events / seconds, raw))
                note = f" points {summary.points:,}, trial {trial + 1}/{repeat}"
                line(f"{label} {name}", events, seconds, cpu, raw, floor, note)
                if name == "csv":
                    raw = raw_rate(url)
                    seconds, cpu, summary = ingest(transactions, path)
                    assert summary.duplicates == events, summary
                    again.append(Trial(events / seconds, raw))
                    note = f" trial {trial + 1}/{repeat}"
                    line(f"{label} re-ingest", events, seconds, cpu, raw, floor, note)
                    if trial == repeat - 1:  # on a database holding the file's events
                        api_figures(label, url, transactions, count, repeat, lambda: raw_rate(url))
                engine.dispose()
        rates[name] = median_line(f"{label} {name}", trials, floor)
        if again:
            median_line(f"{label} re-ingest", again, floor)
    return rates


def api_figures(
    label: str, url: str, transactions, count: int, repeat: int, raw_rate: Callable[[], float]
) -> None:
    """The API in ``repeat`` trials (a server each, each with residents of its own), each right
    after a raw insert (``raw_rate``) as a file's trial is: every trial's figures, then their
    medians, as for the files (one run's API figure moved by a quarter with the machine's pace)."""
    floor = FLOORS["api"]
    trials: list[ApiFigures] = []
    paces: list[float] = []  # the API floor at each trial's pace
    for trial in range(repeat):
        raw = raw_rate()
        paces.append(paced(floor, raw, label))
        figures = api(url, transactions, batches=40, singles=300, residents=count, trial=trial)
        trials.append(figures)
        note = f", trial {trial + 1}/{repeat}"
        for case, rate, cpu_ms in (
            ("earning", figures.earning_rate, figures.earning_cpu_ms),
            ("capped ", figures.capped_rate, figures.capped_cpu_ms),
        ):
            print(
                f"{label} API {case}     {rate:10,.0f} events/s in 1,000-event batches "
                f"(uvicorn, one worker: {cpu_ms:.0f} ms cpu a batch), raw insert {raw:,.0f}/s, "
                f"floor {floor:,}/s: {rate / floor:.2f}×, at this pace {paces[-1]:,.0f}/s: "
                f"{rate / paces[-1]:.2f}×{note}",
                flush=True,
            )
        print(
            f"{label} API earning     wallets current {figures.earning_lag_ms:.0f} ms after the "
            f"stream's last answer (points are posted in rounds){note}",
            flush=True,
        )
        print(
            f"{label} API             one-event POST p99 {figures.p99_ms:.1f} ms (floor 20 ms); "
            f"server peak RSS {figures.server_mib:,.0f} MiB{note}",
            flush=True,
        )
    for case, rates, cpus in (
        ("earning", [t.earning_rate for t in trials], [t.earning_cpu_ms for t in trials]),
        ("capped ", [t.capped_rate for t in trials], [t.capped_cpu_ms for t in trials]),
    ):
        rate = statistics.median(rates)
        at_pace = statistics.median(r / p for r, p in zip(rates, paces, strict=True))
        print(
            f"{label} API {case}     median of {len(trials)}: {rate:10,.0f} events/s "
            f"({min(rates):,.0f}–{max(rates):,.0f}; {statistics.median(cpus):.0f} ms cpu a batch), "
            f"floor {floor:,}/s: {rate / floor:.2f}×, at each trial's pace: {at_pace:.2f}×",
            flush=True,
        )
    p99s = [t.p99_ms for t in trials]
    print(
        f"{label} API             one-event POST p99 median of {len(trials)}: "
        f"{statistics.median(p99s):.1f} ms ({min(p99s):.1f}–{max(p99s):.1f}; floor 20 ms)",
        flush=True,
    )
    # once more with each batch's residents spread over all of them: not a floor of the issue, but
    # what a partner's traffic of random residents costs (``api(scattered=True)``)
    spread = api(url, transactions, batches=40, singles=50, residents=count, trial=repeat, scattered=True)
    for case, rate, cpu_ms, usual in (
        ("earning", spread.earning_rate, spread.earning_cpu_ms, [t.earning_rate for t in trials]),
        ("capped ", spread.capped_rate, spread.capped_cpu_ms, [t.capped_rate for t in trials]),
    ):
        print(
            f"{label} API {case}, residents scattered {rate:,.0f} events/s ({cpu_ms:.0f} ms cpu a batch), "
            f"{rate / statistics.median(usual):.2f} of the median with neighbouring residents (not a floor)",
            flush=True,
        )


def memory(directory: Path, events: int, count: int) -> None:
    """One ingest of ``events`` in a process of its own; its peak resident memory."""
    directory.mkdir(exist_ok=True)
    path = write_files(directory, events, count, csv=False)["parquet"]
    url = f"sqlite:///{directory / 'memory.db'}"
    engine, transactions = fresh(url)
    residents(transactions, count)
    engine.dispose()
    start = time.perf_counter()
    # this interpreter, this file. The child reports its own peak (``VmHWM``): Linux starts a
    # child's ``ru_maxrss`` from the parent's resident memory at the fork, and this parent has
    # ingested 5M events three times over by now (a child of a 1.3 GB parent "peaked" at 1.3 GB)
    result = subprocess.run(
        [sys.executable, __file__, "--child-ingest", url, str(path)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    seconds = time.perf_counter() - start
    peak_mib = json.loads(result.stdout.strip().splitlines()[-1])["peak_kib"] / 1024
    print(
        f"memory: one ingest of {events:,} events: peak RSS {peak_mib:,.0f} MiB (floor 1,024 MiB: "
        f"{peak_mib / 1024:.2f}×), {events / seconds:,.0f} events/s",
        flush=True,
    )


def child_ingest(url: str, path: Path) -> None:
    engine = make_engine(url)
    factory = make_session_factory(engine)

    def transactions(**options):
        return unit_of_work(factory, **options)

    ingest(transactions, path)
    print(json.dumps({"peak_kib": _peak_rss_kib("self")}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--postgres", default=None, help="PostgreSQL URL (scratch databases are created)")
    parser.add_argument("--memory-events", type=int, default=0, help="also measure one ingest's peak RSS")
    parser.add_argument(
        "--repeat", type=int, default=3, help="trials of each file's ingest, each beside its own raw insert"
    )
    parser.add_argument("--child-ingest", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_ingest:
        child_ingest(args.child_ingest[0], Path(args.child_ingest[1]))
        return
    directory = Path(tempfile.mkdtemp(prefix="seagreen-bench-"))
    try:
        measure(args, directory)
    finally:  # gigabytes of files and databases
        shutil.rmtree(directory, ignore_errors=True)


def measure(args: argparse.Namespace, directory: Path) -> None:
    files = write_files(directory, args.events, args.residents)
    tables = raw_tables(args.events, args.residents)

    @contextmanager
    def sqlite_database(name: str) -> Iterator[str]:
        path = directory / f"bench-{name}-{secrets.token_hex(3)}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            remove_sqlite_file(path)

    rates = run(
        "SQLite",
        sqlite_database,
        files,
        args.events,
        args.residents,
        lambda _url: raw_insert_sqlite(directory, tables),
        pg=False,
        repeat=args.repeat,
    )
    scattered_ids(
        "SQLite",
        f"sqlite:///{directory / 'bench-scattered.db'}",
        directory,
        args.events,
        args.residents,
        rates["parquet"],
    )
    if args.postgres:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's tests package
        from tests.db.scratch import scratch_database

        run(
            "PostgreSQL",
            lambda _name: scratch_database(args.postgres, directory),
            files,
            args.events,
            args.residents,
            lambda url: raw_insert_postgres(url, tables),
            pg=True,
            repeat=args.repeat,
        )
    if args.memory_events:
        memory(directory / "memory", args.memory_events, args.residents)


if __name__ == "__main__":
    main()
