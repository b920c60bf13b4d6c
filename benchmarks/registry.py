"""Registry throughput: transfers and retirements that split serial blocks, on a registry of
10,000 issuances, beside the ledger alone posting the same number of transfers (the reference,
measured in the same run); and the time to find the holder of a serial as the registry grows.

    .venv/bin/python benchmarks/registry.py [--issuances 10000] [--ops 20000] [--batch 1000] [--pg URL]

Every issuance goes through the real use cases (monitoring report, verification, issuance), every
operation through ``service.move`` (blocks carved, operation and movements written, one ledger
transfer and one audit event per operation, a signed certificate per retirement). Deterministic:
a seeded generator picks senders, receivers, projects and quantities.
The issue's floor: >= 2,000 transfer or retirement operations per second with block splitting on
SQLite, with a registry of 10,000 issuances.
"""

from __future__ import annotations

import argparse
import base64
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from seagreen.audit.domain import Actor, ActorKind
from seagreen.db.engine import make_engine, make_session_factory
from seagreen.db.migrate import upgrade
from seagreen.db.uow import unit_of_work
from seagreen.identity import service as identity
from seagreen.ledger import service as ledger
from seagreen.ledger.domain import AccountFlags, TransferRequest
from seagreen.registry import service
from seagreen.registry.schemas import ProjectCreate
from seagreen.registry.signing import Signer

sys.path.insert(0, str(Path(__file__).parent))
from ledger import scratch_postgres

FLOOR = 2_000
OWNERS = 10
PROJECTS_PER_OWNER = 10
BUYERS = 50
AUTHORITY = Actor(ActorKind.SYSTEM, "bench", "bench authority", "bench-authority")
START = datetime(2024, 1, 8, 2, tzinfo=UTC)
SIGNER = Signer(base64.b64encode(bytes(range(32))).decode())


def actor(org: str) -> Actor:
    return Actor(ActorKind.SYSTEM, "bench", f"bench {org}", org)


def owners() -> list[str]:
    return [f"owner-{n}" for n in range(OWNERS)]


def buyers() -> list[str]:
    return [f"buyer-{n}" for n in range(BUYERS)]


def setup(engine: Engine) -> dict[str, list[str]]:
    """Organisations and filed oyster projects (each owner has ``PROJECTS_PER_OWNER``)."""
    upgrade(engine)
    sessions = make_session_factory(engine)
    system = Actor.system("bench")
    with unit_of_work(sessions) as session:
        service.load_shipped(session)
        identity.create_org(
            session, code="bench-authority", kind="authority", name_zh="主管部门", actor=system
        )
        for code in owners():
            identity.create_org(session, code=code, kind="project_owner", name_zh=code, actor=system)
        for code in buyers():
            identity.create_org(session, code=code, kind="buyer", name_zh=code, actor=system)
    projects: dict[str, list[str]] = {code: [] for code in owners()}
    calendar = service.working_calendar()
    with unit_of_work(sessions) as session:
        for owner in owners():
            for n in range(PROJECTS_PER_OWNER):
                body = ProjectCreate(
                    name_zh=f"{owner} 牡蛎 {n}",
                    methodology="shellfish-csc",
                    location="乳山",
                    area_mu=Decimal(500),
                    crediting_start=date(1990, 1, 1),
                    crediting_end=date(2060, 12, 31),
                )
                code = service.register(session, body, actor=actor(owner), now=START).code
                pdd = b"%PDF-1.4 benchmark project design document"
                service.add_document(
                    session,
                    code,
                    filename="pdd.pdf",
                    content=pdd,
                    actor=actor(owner),
                )
                service.submit(session, code, actor=actor(owner), now=START)
                service.review(
                    session, code, "start_notice", "", actor=AUTHORITY, calendar=calendar, now=START
                )
                filed = START + timedelta(days=20)
                service.file(session, code, actor=AUTHORITY, now=filed, buffer_share=Decimal("0.05"))
                projects[owner].append(code)
    return projects


def issue(engine: Engine, projects: dict[str, list[str]], count: int, first_day: date) -> float:
    """``count`` more issuances (one day's harvest of one project each: 1,001 t), through the real
    use cases (monitoring report, verification, issuance); returns issuances per second."""
    sessions = make_session_factory(engine)
    owner_of = {code: owner for owner, codes in projects.items() for code in codes}
    inputs = {"culture": "non-fed", "harvests": [{"species": "oyster", "fresh_weight_t": "2850"}]}
    started = time.perf_counter()
    done, day = 0, first_day
    while done < count:
        with unit_of_work(sessions) as session:
            for code, owner in owner_of.items():
                if done == count:
                    break
                moment = START + timedelta(days=30)
                report = service.submit_report(
                    session, code, day, day, inputs, actor=actor(owner), now=moment
                )
                service.verify_report(session, report.id, "bench verifier", "ok", actor=AUTHORITY)
                service.issue(session, report.id, actor=AUTHORITY)
                done += 1
        day += timedelta(days=1)
    return count / (time.perf_counter() - started)


def plan_ops(
    projects: dict[str, list[str]], ops: int, batch: int, rng: random.Random
) -> tuple[list[tuple[str, list[service.MoveRequest]]], list[tuple[str, list[service.MoveRequest]]]]:
    """Batches of ``batch`` operations from one sender each: half sales (an owner sells a few
    tonnes of one of its projects to a buyer), half retirements (a buyer retires part of what it
    bought). Every operation takes fewer tonnes than the block it starts in, so it splits it."""
    owner_codes, buyer_codes = owners(), buyers()
    bought: dict[str, dict[str, int]] = {code: {} for code in buyer_codes}
    sales: list[tuple[str, list[service.MoveRequest]]] = []
    transfers = ops // 2
    n = 0
    while n < transfers:
        owner = rng.choice(owner_codes)
        requests = []
        for _ in range(min(batch, transfers - n)):
            code, buyer, quantity = rng.choice(projects[owner]), rng.choice(buyer_codes), rng.randint(1, 9)
            price = rng.randint(3000, 12000)
            requests.append(
                service.MoveRequest(
                    f"t{n}", "sale", code, quantity=quantity, to_org=buyer, price_fen_per_t=price
                )
            )
            bought[buyer][code] = bought[buyer].get(code, 0) + quantity
            n += 1
        sales.append((owner, requests))
    retirements: list[tuple[str, list[service.MoveRequest]]] = []
    n = 0
    while n < ops - transfers and any(q for held in bought.values() for q in held.values()):
        buyer = rng.choice(buyer_codes)
        held = bought[buyer]
        requests = []
        while len(requests) < min(batch, ops - transfers - n) and any(held.values()):
            code = rng.choice([c for c, q in held.items() if q])
            quantity = rng.randint(1, held[code])
            held[code] -= quantity
            requests.append(
                service.MoveRequest(
                    f"r{n}",
                    "retirement",
                    code,
                    quantity=quantity,
                    beneficiary_name=f"{buyer} 网点",
                    purpose="碳中和",
                )
            )
            n += 1
        if requests:
            retirements.append((buyer, requests))
    return sales, retirements


def run(engine: Engine, batches: list[tuple[str, list[service.MoveRequest]]]) -> float:
    """Operations per second applying ``batches``, one transaction per batch."""
    sessions = make_session_factory(engine)
    count = sum(len(requests) for _, requests in batches)
    started = time.perf_counter()
    for sender, requests in batches:
        with unit_of_work(sessions) as session:
            service.move(session, requests, actor=actor(sender), signer=SIGNER)
    return count / (time.perf_counter() - started)


def single_ops(engine: Engine, projects: dict[str, list[str]], count: int, rng: random.Random) -> float:
    """One sale per transaction (what one API call costs)."""
    sessions = make_session_factory(engine)
    started = time.perf_counter()
    for n in range(count):
        owner = rng.choice(owners())
        request = service.MoveRequest(
            key=f"s{n}",
            kind="sale",
            project=rng.choice(projects[owner]),
            quantity=rng.randint(1, 9),
            to_org=rng.choice(buyers()),
            price_fen_per_t=5000,
        )
        with unit_of_work(sessions) as session:
            service.move(session, [request], actor=actor(owner))
    return count / (time.perf_counter() - started)


def ledger_reference(engine: Engine, ops: int, batch: int, rng: random.Random) -> float:
    """The ledger alone: the same number of transfers between holding accounts, same batches."""
    sessions = make_session_factory(engine)
    with unit_of_work(sessions) as session:
        ledger.open_accounts(
            session,
            [ledger.AccountSpec("ref:source", "t_co2e")]
            + [
                ledger.AccountSpec(f"ref:{b}", "t_co2e", AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
                for b in buyers()
            ],
        )
    started = time.perf_counter()
    for first in range(0, ops, batch):
        requests = [
            TransferRequest(
                f"ref{n}",
                "ref:source",
                f"ref:{rng.choice(buyers())}",
                rng.randint(1, 9),
                "reference",
                memo={"n": n},
            )
            for n in range(first, min(ops, first + batch))
        ]
        with unit_of_work(sessions) as session:
            ledger.post_or_raise(session, requests)
    return ops / (time.perf_counter() - started)


def lookups(engine: Engine, count: int, rng: random.Random) -> tuple[float, int]:
    """Microseconds per holder lookup of a random serial (median over ``count``), and block count."""
    sessions = make_session_factory(engine)
    with unit_of_work(sessions, read_only=True) as session:
        check = service.consistency(session)
        assert check.ok, check.problems[:5]
        top = max(i.serial_end for i in service.issuances(session)) if check.issuances else 1
        times = []
        for _ in range(count):
            serial = rng.randint(1, top)
            started = time.perf_counter()
            service.holder_of(session, serial)
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e6, check.blocks


@dataclass
class Figures:
    issuance_rate: float
    lookup_small: float
    blocks_small: int
    lookup_big: float
    blocks_big: int
    sales: float
    retirements: float
    single: float
    reference: float


def measure(url: str, issuances: int, ops: int, batch: int, singles: int) -> Figures:
    engine = make_engine(url)
    rng = random.Random(20261128)
    projects = setup(engine)
    first = min(1_000, issuances)
    rate = issue(engine, projects, first, date(1995, 1, 1))
    lookup_small, blocks_small = lookups(engine, 2_000, rng)
    if issuances > first:
        rate = issue(engine, projects, issuances - first, date(1995, 1, 1) + timedelta(days=first // 100 + 1))
    sales, retirements = plan_ops(projects, ops, batch, rng)
    transfer_rate = run(engine, sales)
    retirement_rate = run(engine, retirements)
    single = single_ops(engine, projects, singles, rng)
    reference = ledger_reference(engine, ops // 2, batch, rng)
    lookup_big, blocks_big = lookups(engine, 2_000, rng)
    engine.dispose()
    return Figures(
        rate,
        lookup_small,
        blocks_small,
        lookup_big,
        blocks_big,
        transfer_rate,
        retirement_rate,
        single,
        reference,
    )


def report(label: str, issuances: int, batch: int, f: Figures) -> None:
    def line(what: str, rate: float, unit: str = "ops/s") -> None:
        print(f"  {what:<52}{rate:>9,.0f} {unit} = {rate / FLOOR:.2f} x floor")

    print(f"\n{label}: {issuances:,} issuances (issued at {f.issuance_rate:,.0f}/s by report, verify, issue)")
    print(f"  {'reference: the ledger alone, same transfers, batched':<52}{f.reference:>9,.0f} transfers/s")
    line(f"sales splitting blocks, {batch:,} per transaction", f.sales)
    line(f"retirements (signed certificates), {batch:,} per transaction", f.retirements)
    line("one sale per transaction", f.single)
    print(f"  holder of a serial (median): {f.lookup_small:,.0f} µs with {f.blocks_small:,} blocks,")
    print(f"                               {f.lookup_big:,.0f} µs with {f.blocks_big:,} blocks")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--issuances", type=int, default=10_000)
    parser.add_argument("--ops", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--singles", type=int, default=500)
    parser.add_argument(
        "--pg", default=None, help="also measure on PostgreSQL (a scratch database on this server)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'registry.db'}"
        figures = measure(url, args.issuances, args.ops, args.batch, args.singles)
    report("SQLite", args.issuances, args.batch, figures)
    verdict = "meets" if min(figures.sales, figures.retirements) >= FLOOR else "BELOW"
    print(f"  floor: >= {FLOOR:,} transfer or retirement ops/s with block splitting on SQLite -> {verdict}")
    if args.pg:
        with scratch_postgres(args.pg) as url:
            report(
                "PostgreSQL",
                args.issuances,
                args.batch,
                measure(url, args.issuances, args.ops, args.batch, args.singles),
            )


if __name__ == "__main__":
    main()
