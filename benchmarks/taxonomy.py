"""Blue identification throughput: single classifications on one core, and a 100,000-row loan
book classified end to end (read CSV, classify, write, store, audit) on SQLite with a progress bar.

    .venv/bin/python benchmarks/taxonomy.py [--singles 20000] [--rows 100000]

Texts are the labelled evaluation set's descriptions, each made unique with a borrower name and a
contract number, so the loan book's in-batch cache of repeated texts does not flatter the figure.
The issue's floors: >= 2,000 classifications/s on one core; 100,000 rows in under a minute.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import tempfile
import time
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from seagreen.audit.domain import Actor
from seagreen.db.engine import make_engine, make_session_factory
from seagreen.db.migrate import upgrade
from seagreen.db.uow import unit_of_work
from seagreen.taxonomy import service
from seagreen.taxonomy.domain import Engine

FLOOR_SINGLES_PER_S = 2_000
FLOOR_BOOK_SECONDS = 60
BORROWERS = ["威海", "荣成", "文登", "乳山", "石岛", "环翠", "经区", "高区", "临港"]
KINDS = ["海洋科技", "水产", "港务", "能源", "环保", "船舶", "食品", "渔业", "建设"]


def texts(count: int, seed: int = 7) -> list[tuple[str, str]]:
    lines = service.EVALUATION_FILE.read_text(encoding="utf-8").splitlines()
    rows = list(csv.DictReader(line for line in lines if not line.startswith("#")))
    rng = random.Random(seed)
    out = []
    for index in range(count):
        row = rng.choice(rows)
        borrower = f"{rng.choice(BORROWERS)}{rng.choice(KINDS)}有限公司"
        out.append((f"{borrower}：{row['text']}（合同号HT{index:07d}）", row["industry_code"]))
    return out


def pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def singles(engine: Engine, count: int) -> float:
    cases = texts(count)
    for text, code in cases[:200]:  # warm up
        engine.classify(text, code)
    start = time.perf_counter()
    for text, code in cases:
        engine.classify(text, code or None)
    return count / (time.perf_counter() - start)


def loan_book(rows: int) -> bytes:
    rng = random.Random(11)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "text", "industry_code", "amount", "branch"])
    for index, (text, code) in enumerate(texts(rows, seed=3)):
        writer.writerow(
            [f"L{index:07d}", text, code, f"{rng.randint(1, 50_000_000)}.{rng.randint(0, 99):02d}", "支行"]
        )
    return out.getvalue().encode("utf-8")


def book(rows: int) -> tuple[float, int]:
    data = loan_book(rows)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        sessions = make_session_factory(engine)
        with unit_of_work(sessions) as session:
            service.load_shipped(session)
        with unit_of_work(sessions) as session:  # build the engine outside the timing, as a server has it
            service.engine_for(service.catalogue(session))
        start = time.perf_counter()
        with (
            Progress(
                TextColumn("loan book"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()
            ) as bar,
            unit_of_work(sessions, read_only=True) as session,
        ):
            task = bar.add_task("rows", total=rows)
            classified = service.classify_book(
                session, data, "bench.csv", progress=lambda done, total: bar.update(task, completed=done)
            )
        with unit_of_work(sessions) as session:
            batch = service.store_book(session, classified, actor=Actor.system("benchmark"))
        elapsed = time.perf_counter() - start
        engine.dispose()
    return elapsed, batch.blue + batch.light_blue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--singles", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    pin_to_one_core()
    engine = Engine(
        service.read_catalogue(
            (service.SHIPPED_DIR / "weihai-blue-r1.csv").read_bytes(),
            code="weihai-blue-r1",
            name="bench",
            status=service.VersionStatus.RECONSTRUCTION,
            subject="bench",
        )
    )
    rate = singles(engine, args.singles)
    print(f"single classifications, one core: {rate:,.0f}/s (floor {FLOOR_SINGLES_PER_S:,}/s)")
    seconds, blue = book(args.rows)
    print(
        f"loan book of {args.rows:,} rows end to end on SQLite: {seconds:.1f} s, "
        f"{args.rows / seconds:,.0f} rows/s, {blue:,} blue or light-blue (floor {FLOOR_BOOK_SECONDS} s)"
    )


if __name__ == "__main__":
    main()
