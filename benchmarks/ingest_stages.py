"""Where a bulk ingest's time goes (issue 3): one ingest, each stage timed.

    python benchmarks/ingest_stages.py                   # 5M events, 100k residents, Parquet, SQLite
    python benchmarks/ingest_stages.py --events 500000   # a quicker run
    python benchmarks/ingest_stages.py --csv             # the CSV file
    python benchmarks/ingest_stages.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
    python benchmarks/ingest_stages.py --json            # the figures as JSON

The same data as ``benchmarks/ingest.py``. The stages are the functions of the bulk path that
do the work (``STAGES``), wrapped while the ingest runs: for each, the calls, the wall time
inside it, the CPU time of the calling thread inside it (DuckDB's worker threads are not
counted), and when it first started and last ended, in seconds from the ingest's start. The
loop is the part where groups are checked on one thread and written on the other; after it
comes the file's last accounting, then the settlement through the ledger. A stage function
that no longer exists fails the run (a test runs it small), so the tool keeps up with the code.
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import ingest as bench
from seagreen.carbon_account.repository import bulk_intake as sql_bulk
from seagreen.carbon_account.service import bulk, bulk_accounting

STAGES: tuple[tuple[str, Any, str], ...] = (
    ("checks: set-up", bulk.DuckChecks, "__init__"),
    ("checks", bulk.DuckChecks, "check"),
    ("scratch file", bulk._CheckedGroup, "write_scratch"),
    ("group commit", bulk, "_commit_group"),
    ("accounting", bulk_accounting, "account"),
    ("accounting: a part", bulk_accounting.PendingTotals, "_part"),
    ("accounting: stored totals", sql_bulk, "old_totals"),
    ("accounting: settlement", bulk_accounting.PendingTotals, "_settle"),
    ("accounting: totals staged", bulk_accounting.PendingTotals, "_stage_totals"),
    ("accounting: totals written", sql_bulk, "write_totals"),
    ("accounting: marked", sql_bulk, "mark_accounted"),
    ("settlement after", bulk, "settle_points"),
)
"""(label, owner, attribute): the functions timed. ``group commit`` includes the scratch file
when the writer writes it (the checks' thread writes it when it is ahead). An accounting
computes its parts on a worker thread while the writer posts the previous part's points
(``accounting: settlement``); ``settlement after`` finds what is left (nothing, after a
clean run)."""


def _thread() -> str:
    current = threading.current_thread()
    if current is threading.main_thread():
        return "writer"
    return "accounting" if current.name.startswith("seagreen-accounting") else "checks"


@dataclass
class Stage:
    label: str
    thread: str
    calls: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    first_s: float = float("inf")
    last_s: float = 0.0


class Recorder:
    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.stages: dict[tuple[str, str], Stage] = {}
        self._lock = threading.Lock()

    def wrap(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            began, cpu = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                ended, used = time.perf_counter(), time.thread_time() - cpu
                thread = _thread()
                with self._lock:
                    stage = self.stages.setdefault((label, thread), Stage(label, thread))
                    stage.calls += 1
                    stage.wall_s += ended - began
                    stage.cpu_s += used
                    stage.first_s = min(stage.first_s, began - self.start)
                    stage.last_s = max(stage.last_s, ended - self.start)

        return timed


@contextmanager
def timed_stages(recorder: Recorder) -> Iterator[None]:
    with ExitStack() as patches:
        for label, owner, name in STAGES:
            function = getattr(owner, name)  # AttributeError: the code moved on, update STAGES
            patches.enter_context(mock.patch.object(owner, name, recorder.wrap(label, function)))
        yield


def run(
    events: int, residents: int, directory: Path, *, postgres: str | None = None, csv: bool = False
) -> dict[str, Any]:
    """One ingest of the benchmark's Parquet file (or its CSV file), each stage timed; on a SQLite
    file of its own, or on a scratch PostgreSQL database created on ``postgres``'s server."""
    path = bench.write_files(directory, events, residents, csv=csv)["csv" if csv else "parquet"]
    with ExitStack() as scratch:
        if postgres:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's tests package
            from tests.db.scratch import scratch_database

            url = scratch.enter_context(scratch_database(postgres, directory))
        else:
            url = f"sqlite:///{directory / 'stages.db'}"
        return _timed_ingest(url, path, events, residents)


def _timed_ingest(url: str, path: Path, events: int, residents: int) -> dict[str, Any]:
    engine, transactions = bench.fresh(url)
    bench.residents(transactions, residents)
    recorder = Recorder()
    with timed_stages(recorder):
        recorder.start = time.perf_counter()
        seconds, cpu, summary = bench.ingest(transactions, path)
    engine.dispose()
    stages = sorted(recorder.stages.values(), key=lambda s: (s.first_s, s.thread))
    commits = [s for s in stages if s.label == "group commit"]
    loop_end = max((s.last_s for s in commits), default=0.0)
    return {
        "database": engine.dialect.name,
        "file": path.suffix.lstrip("."),
        "events": events,
        "residents": residents,
        "accepted": summary.accepted,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "events_per_s": events / seconds,
        "loop_seconds": loop_end,
        "loop_events_per_s": events / loop_end if loop_end else None,
        "after_loop_seconds": seconds - loop_end,
        "stages": [asdict(stage) for stage in stages],
    }


def show(result: dict[str, Any]) -> None:
    print(
        f"{result['database']}, {result['file']}: "
        f"{result['events']:,} events, {result['residents']:,} residents: {result['seconds']:.2f} s "
        f"({result['events_per_s']:,.0f} events/s), process CPU {result['cpu_seconds']:.2f} s"
    )
    print(
        f"loop (checks and group commits) {result['loop_seconds']:.2f} s, "
        f"{result['loop_events_per_s'] or 0:,.0f} events/s; after it (last accounting, settlement) "
        f"{result['after_loop_seconds']:.2f} s"
    )
    print(f"{'stage':26s} {'thread':10s} {'calls':>5s} {'wall s':>7s} {'cpu s':>7s} {'from':>6s} {'to':>6s}")
    for s in result["stages"]:
        print(
            f"{s['label']:26s} {s['thread']:10s} {s['calls']:5d} {s['wall_s']:7.2f} {s['cpu_s']:7.2f} "
            f"{s['first_s']:6.2f} {s['last_s']:6.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--postgres", default=None, help="PostgreSQL URL (a scratch database is created)")
    parser.add_argument("--csv", action="store_true", help="the CSV file instead of the Parquet file")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="seagreen-stages-"))
    try:
        result = run(args.events, args.residents, directory, postgres=args.postgres, csv=args.csv)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    if args.json:
        print(json.dumps(result))
    else:
        show(result)


if __name__ == "__main__":
    main()
