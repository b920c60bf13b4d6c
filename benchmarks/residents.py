"""Residents' views at city scale: the summary API's latency and the statistics page's time.

    .venv/bin/python benchmarks/residents.py [--residents 1000000] [--events 50000000]
        [--db var/bench-residents.db] [--reuse] [--requests 2000] [--page-runs 7]

The issue's floors, with 1M residents and 50M events in SQLite: the resident summary API
(``GET /api/v1/me/summary``) answers with p99 <= 50 ms, the statistics page (``GET /statistics``)
in <= 1 s. Both are measured through the whole application (routing, the session cookie or API
key, the views' queries, rendering), in process, one request at a time.

How the database is built (and why not through the intake): sending 50M events through the bulk
ingest would take hours on this shared 2-core machine, so the benchmark writes the tables the
views read directly, with set-based SQL inside SQLite: residents and their consents; 50M events
(``--events / --residents`` per resident, spread over a year and over three partners and four
behaviours); the day, month, per-version and per-resident totals *computed from those events by
GROUP BY* (with the catalogue's daily caps); ledger accounts and one ``earn`` transfer per resident
and month (what the settlements post), every fifth resident's redemption (a hold and its post),
the benefit counters; then the ranking snapshot and the monthly roll-up through the real services.
The journal rows carry no chain hash (the views never verify the chain), so the benchmark's ledger
is not a verifiable one: do not use the file for anything else.

Reference figures measured in the same run: the health endpoint through the same stack (the
framework's own floor per request), and what the statistics page would cost without its
roll-up (active residents of the latest month, counted from the month rows).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics as stats
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

from seagreen.app import create_app
from seagreen.audit.domain import Actor
from seagreen.benefits import service as benefits
from seagreen.carbon_account import service as carbon
from seagreen.carbon_account.service.lifecycle import EXPIRED_ACCOUNT, REVERSED_ACCOUNT
from seagreen.carbon_account.service.points import ISSUING_ACCOUNT
from seagreen.config import Settings
from seagreen.db.engine import make_engine, make_session_factory
from seagreen.db.migrate import upgrade
from seagreen.db.uow import unit_of_work
from seagreen.demo.residents import BENEFITS, PROVIDERS
from seagreen.identity import service as identity
from seagreen.identity.domain import OrgKind, Role
from seagreen.ledger import service as ledger
from seagreen.reference import load_reference_data
from seagreen.statistics import service as statistics

FLOOR_SUMMARY_P99_MS = 50.0
FLOOR_STATISTICS_S = 1.0
ACTOR = Actor.system("benchmark")
PARTNERS = (("bench-bus", "transit"), ("bench-power", "utility"), ("bench-unionpay", "clearing"))
# (behaviour code, partner index, grams per event): a bus trip, an e-bill, saved kWh, a QR payment
BEHAVIOURS = (
    ("bus_trip", 0, 100),
    ("utility_e_bill", 1, 24),
    ("electricity_saved_kwh", 1, 10_732),
    ("mobile_payment", 2, 5),
)
FIRST_DAY = date(2025, 1, 1)
DAYS = 365


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def prepare(url: str, keys: Path) -> Settings:
    settings = Settings(database_url=url, key_file=keys)
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        load_reference_data(session)
        for code, kind in PARTNERS:
            carbon.add_partner(session, code, kind=kind, name=code, actor=ACTOR)
        for provider in PROVIDERS:
            identity.ensure_org(
                session,
                code=provider.code,
                kind=OrgKind.BENEFIT_PROVIDER,
                name_zh=provider.name_zh,
                actor=ACTOR,
            )
        for position, item in enumerate(BENEFITS):
            benefits.ensure_benefit(
                session, item.terms, provider=item.provider, position=position, actor=ACTOR
            )
        ledger.open_accounts(
            session,
            [
                ledger.AccountSpec(key, "points")
                for key in (
                    ISSUING_ACCOUNT,
                    EXPIRED_ACCOUNT,
                    REVERSED_ACCOUNT,
                    *(benefits.provider_account(p.code) for p in PROVIDERS),
                )
            ],
        )
        identity.ensure_org(session, code="bench-ops", kind=OrgKind.OPERATOR, name_zh="运营", actor=ACTOR)
    engine.dispose()
    return settings


def build(path: Path, residents: int, per_resident: int) -> None:
    """Write the tables in bulk with SQL (see the module docstring)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-2000000")
    db.execute("PRAGMA temp_store=FILE")
    partner_ids = [
        db.execute("SELECT id FROM carbon_partners WHERE code = ?", (c,)).fetchone()[0] for c, _ in PARTNERS
    ]
    version = db.execute(
        "SELECT id FROM carbon_methodology_versions ORDER BY effective_from LIMIT 1"
    ).fetchone()[0]
    behaviour = {
        code: db.execute(
            "SELECT id, COALESCE(daily_cap_g, 1000000000) FROM carbon_behaviours WHERE version_id = ? AND "
            "code = ?",
            (version, code),
        ).fetchone()
        for code, _, _ in BEHAVIOURS
    }
    db.execute("BEGIN")
    db.execute("CREATE TEMP TABLE k(k INTEGER PRIMARY KEY)")
    db.executemany("INSERT INTO k VALUES (?)", [(n,) for n in range(per_resident)])
    db.execute("CREATE TEMP TABLE b(i INTEGER PRIMARY KEY, behaviour_id, partner_id, grams, cap)")
    db.executemany(
        "INSERT INTO b VALUES (?, ?, ?, ?, ?)",
        [(i, behaviour[c][0], partner_ids[p], g, behaviour[c][1]) for i, (c, p, g) in enumerate(BEHAVIOURS)],
    )
    first = (FIRST_DAY - date(1970, 1, 1)).days
    log(f"residents: {residents:,}")
    db.execute(
        "INSERT INTO residents (ref, phone_hash, national_id_hash, contact_encrypted, active, created_at) "
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?) "
        "SELECT printf('B%09d', x), NULL, NULL, '', 1, "
        "datetime(?, '+' || (x % 700) || ' days') FROM n",
        (residents, "2024-02-01 00:00:00"),
    )
    low, high = db.execute("SELECT MIN(id), MAX(id) FROM residents WHERE ref LIKE 'B%'").fetchone()
    db.execute(
        "INSERT INTO carbon_consents (resident_id, partner_id, scope, granted_at_us, revoked_at_us, source) "
        "SELECT r.id, p.id, 'behaviour_events', 1700000000000000, NULL, 'benchmark' "
        "FROM residents r JOIN carbon_partners p ON p.code LIKE 'bench-%' WHERE r.id BETWEEN ? AND ?",
        (low, high),
    )
    db.execute(
        "INSERT INTO carbon_ingests (partner_id, source, file_name, file_sha256, status, checkpoint_row, "
        "accepted, "
        "duplicates, conflicts, rejected, reduction_g, credited_g, points, quarantine_path, started_at_us, "
        "finished_at_us) VALUES (?, 'file', 'benchmark', NULL, 'done', 0, 0, 0, 0, 0, 0, 0, 0, '', 0, 0)",
        (partner_ids[0],),
    )
    db.execute(
        "INSERT INTO carbon_batches (ingest_id, first_row, last_row, created_at_us) VALUES (1, 0, 0, 0)"
    )
    log(f"events: {residents * per_resident:,}")
    # day of event k of resident r: spread over the year; behaviour: bus trips mostly
    db.execute(
        "INSERT INTO carbon_events (partner_id, event_id, batch_id, row_number, resident_id, behaviour_id, "
        "quantity_milli, occurred_at_us, day, reduction_g, dedupe_hash, attributes, "
        "duplicate_of_partner_id, duplicate_of_event_id) "
        "SELECT b.partner_id, printf('e%011d', r.id * ? + k.k), 1, r.id * ? + k.k, r.id, b.behaviour_id, "
        "1000, "
        "((? + (r.id * 7 + k.k * 11) % ?) * 86400 - 28800 + 30000 + (k.k % 7) * 3600) * 1000000, "
        "? + (r.id * 7 + k.k * 11) % ?, b.grams, NULL, NULL, NULL, NULL "
        "FROM residents r JOIN k JOIN b ON b.i = (CASE WHEN k.k % 10 < 6 THEN 0 WHEN k.k % 10 < 7 THEN 1 "
        "WHEN k.k % 10 < 8 THEN 2 ELSE 3 END) WHERE r.id BETWEEN ? AND ? ORDER BY r.id, k.k",
        (per_resident, per_resident, first, DAYS, first, DAYS, low, high),
    )
    log("month rows (GROUP BY over the events: each day's sum packed in its month's row)")
    month = (
        "(CAST(strftime('%Y', day * 86400, 'unixepoch') AS INTEGER) * 12 "
        "+ CAST(strftime('%m', day * 86400, 'unixepoch') AS INTEGER) - 1)"
    )
    db.execute("DROP TABLE IF EXISTS temp.day_sums")
    db.execute(
        "CREATE TEMP TABLE day_sums AS SELECT e.resident_id, e.behaviour_id, "
        f"{month.replace('day', 'e.day')} AS month, "
        "CAST(strftime('%d', e.day * 86400, 'unixepoch') AS INTEGER) AS dom, "
        "SUM(e.reduction_g) AS reduction, MIN(SUM(e.reduction_g), b.cap) AS credited "
        "FROM carbon_events e JOIN b ON b.behaviour_id = e.behaviour_id "
        "WHERE e.resident_id BETWEEN ? AND ? GROUP BY e.resident_id, e.behaviour_id, e.day",
        (low, high),
    )
    packed = " || ',' || ".join(
        f"COALESCE(CAST(SUM(CASE WHEN dom = {n} THEN reduction END) AS TEXT), '')" for n in range(1, 32)
    )
    db.execute(
        "INSERT INTO carbon_month_totals (resident_id, behaviour_id, month, reduction_g, day_credited_g, "
        f"credited_g, days) SELECT resident_id, behaviour_id, month, SUM(reduction), SUM(credited), "
        f"SUM(credited), {packed} FROM day_sums GROUP BY resident_id, behaviour_id, month"
    )
    db.execute(
        "INSERT INTO carbon_resident_version_totals (resident_id, version_id, credited_g) "
        "SELECT resident_id, ?, SUM(credited_g) FROM carbon_month_totals WHERE resident_id BETWEEN ? AND ? "
        "GROUP BY resident_id",
        (version, low, high),
    )
    db.execute(
        "INSERT INTO carbon_resident_totals (resident_id, reduction_g, credited_g, points, points_posted, "
        "last_batch_id, settled_batch_id) SELECT d.resident_id, d.reduction, v.credited_g, v.credited_g / "
        "100, "
        "v.credited_g / 100, 1, 1 FROM (SELECT resident_id, SUM(reduction_g) AS reduction FROM "
        "carbon_month_totals "
        "WHERE resident_id BETWEEN ? AND ? GROUP BY resident_id) d "
        "JOIN carbon_resident_version_totals v ON v.resident_id = d.resident_id",
        (low, high),
    )
    log("ledger: accounts, monthly earnings, redemptions")
    db.execute(
        "INSERT INTO ledger_accounts (key, unit, flags, debits_pending, debits_posted, credits_pending, "
        "credits_posted, description, created_at_us) SELECT 'carbon:points:' || ref, 'points', 1, 0, 0, 0, "
        "0, "
        "'carbon points', 0 FROM residents WHERE id BETWEEN ? AND ?",
        (low, high),
    )
    issuing = db.execute("SELECT id FROM ledger_accounts WHERE key = ?", (ISSUING_ACCOUNT,)).fetchone()[0]
    last_seq = db.execute("SELECT last_seq FROM ledger_head").fetchone()[0]
    db.execute(
        "CREATE TEMP TABLE earn AS SELECT m.resident_id, a.id AS account, m.month, SUM(m.credited_g) / 100 "
        "AS amount "
        "FROM carbon_month_totals m JOIN residents r ON r.id = m.resident_id "
        "JOIN ledger_accounts a ON a.key = 'carbon:points:' || r.ref "
        "WHERE m.resident_id BETWEEN ? AND ? GROUP BY m.resident_id, m.month HAVING amount > 0",
        (low, high),
    )
    month_start = (  # the 28th of the month, local midnight, in µs: when that month's earnings were posted
        "((CAST(julianday(printf('%04d-%02d-01', month / 12, month % 12 + 1)) AS INTEGER) - 2440587) "
        "* 86400 - 28800 + 86400 * 27) * 1000000"
    )
    db.execute(
        "INSERT INTO ledger_transfers (seq, key, debit_account_id, credit_account_id, amount, unit, flags, "
        "pending_seq, expires_at_us, code, memo, content_hash, created_at_us, chain_hash) "
        f"SELECT ? + ROW_NUMBER() OVER (ORDER BY month, resident_id), 'bench:earn:' || resident_id || ':' "
        f"|| month, "
        f"?, account, amount, 'points', 0, NULL, NULL, 'earn', '{{}}', '', {month_start}, '' FROM earn",
        (last_seq, issuing),
    )
    db.execute("CREATE TEMP TABLE earned AS SELECT account, SUM(amount) AS amount FROM earn GROUP BY account")
    db.execute("CREATE UNIQUE INDEX temp.earned_account ON earned(account)")
    db.execute(
        "UPDATE ledger_accounts SET credits_posted = (SELECT amount FROM earned WHERE earned.account = "
        "ledger_accounts.id) "
        "WHERE id IN (SELECT account FROM earned)"
    )
    db.execute(
        "UPDATE ledger_accounts SET debits_posted = debits_posted + (SELECT SUM(amount) FROM earn) WHERE "
        "id = ?",
        (issuing,),
    )
    last_seq = db.execute("SELECT MAX(seq) FROM ledger_transfers").fetchone()[0]
    benefit_rows = db.execute(
        "SELECT b.id, b.price_points, o.code FROM benefit_items b JOIN organisations o ON o.id = "
        "b.provider_org_id ORDER BY b.id"
    ).fetchall()
    db.execute("CREATE TEMP TABLE bi(i INTEGER PRIMARY KEY, id, price, account)")
    for i, (benefit_id, price, provider) in enumerate(benefit_rows):
        account = db.execute(
            "SELECT id FROM ledger_accounts WHERE key = ?", (benefits.provider_account(provider),)
        ).fetchone()[0]
        db.execute("INSERT INTO bi VALUES (?, ?, ?, ?)", (i, benefit_id, price, account))
    count = len(benefit_rows)
    db.execute(
        "CREATE TEMP TABLE red AS SELECT r.id AS resident_id, a.id AS account, bi.id AS benefit_id, "
        "bi.price, "
        "bi.account AS provider FROM residents r JOIN ledger_accounts a ON a.key = 'carbon:points:' || r.ref "
        "JOIN bi ON bi.i = r.id % ? WHERE r.id BETWEEN ? AND ? AND r.id % 5 = 0 AND a.credits_posted >= "
        "bi.price",
        (count, low, high),
    )
    now_us = int(time.time() * 1_000_000)
    db.execute(
        "INSERT INTO benefit_redemptions (request_key, request_hash, resident_id, benefit_id, points, "
        "cost_fen, "
        "period, month, status, hold_key, voucher_nonce, voucher_hash, voucher_hint, valid_until_us, "
        "created_at_us, "
        "issued_at_us, resolved_at_us, used_by_org_id, refunded_points, failure) SELECT 'bench:' || "
        "resident_id, '', "
        "resident_id, benefit_id, price, 0, 'bench', 24311, CASE WHEN resident_id % 2 = 0 THEN 'used' ELSE "
        "'issued' END, "
        "'bench:hold:' || resident_id, NULL, printf('%064x', resident_id), 'BENCH', ?, ?, ?, NULL, NULL, "
        "0, '' FROM red",
        (now_us + 86_400_000_000 * 30, now_us, now_us),
    )
    db.execute(
        "INSERT INTO ledger_transfers (seq, key, debit_account_id, credit_account_id, amount, unit, flags, "
        "pending_seq, "
        "expires_at_us, code, memo, content_hash, created_at_us, chain_hash) SELECT ? + 2 * ROW_NUMBER() "
        "OVER "
        "(ORDER BY resident_id) - 1, 'bench:hold:' || resident_id, account, provider, price, 'points', 2, "
        "NULL, NULL, "
        "'reserve', '{}', '', ?, '' FROM red",
        (last_seq, now_us),
    )
    db.execute(
        "INSERT INTO ledger_transfers (seq, key, debit_account_id, credit_account_id, amount, unit, flags, "
        "pending_seq, "
        "expires_at_us, code, memo, content_hash, created_at_us, chain_hash) SELECT t.seq + 1, "
        "'bench:redeem:' || red.resident_id, red.account, red.provider, red.price, 'points', 4, t.seq, "
        "NULL, 'redeem', "
        "'{}', '', ?, '' FROM red JOIN ledger_transfers t ON t.key = 'bench:hold:' || red.resident_id",
        (now_us,),
    )
    db.execute("CREATE UNIQUE INDEX temp.red_account ON red(account)")
    db.execute("CREATE INDEX temp.red_provider ON red(provider)")
    db.execute("CREATE INDEX temp.red_benefit ON red(benefit_id)")
    db.execute(
        "UPDATE ledger_accounts SET debits_posted = debits_posted + (SELECT price FROM red WHERE "
        "red.account = "
        "ledger_accounts.id) WHERE id IN (SELECT account FROM red)"
    )
    db.execute(
        "UPDATE ledger_accounts SET credits_posted = credits_posted + (SELECT SUM(price) FROM red WHERE "
        "red.provider = "
        "ledger_accounts.id) WHERE id IN (SELECT provider FROM red)"
    )
    db.execute(
        "INSERT INTO benefit_months (benefit_id, month, redemptions, points, spent_fen, used, expired, "
        "refunded_points) "
        "SELECT benefit_id, 24311, COUNT(*), SUM(price), 0, SUM(resident_id % 2 = 0), 0, 0 FROM red GROUP "
        "BY benefit_id"
    )
    db.execute(
        "UPDATE benefit_items SET redeemed = (SELECT COUNT(*) FROM red WHERE red.benefit_id = "
        "benefit_items.id)"
    )
    db.execute(
        "UPDATE ledger_head SET last_seq = (SELECT MAX(seq) FROM ledger_transfers), accounts_epoch = 'bench'"
    )
    db.execute("COMMIT")
    log("ANALYZE")
    db.execute("ANALYZE")
    db.execute("PRAGMA journal_mode=WAL")
    db.close()


def sessions_for(url: str, settings: Settings, count: int, residents: int) -> list[str]:
    """Signed-in browser sessions of ``count`` random residents (their cookies' tokens)."""
    engine = make_engine(url)
    tokens = []
    rng = random.Random(4)
    with unit_of_work(make_session_factory(engine)) as session:
        for n in rng.sample(range(1, residents + 1), count):
            resident = identity.get_resident(session, f"B{n:09d}")
            result = identity.open_resident_session(
                session, resident, display_name=resident.ref, session_hours=24, method="benchmark"
            )
            assert result.session_token
            tokens.append(result.session_token)
    engine.dispose()
    return tokens


def operator_key(url: str) -> str:
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as session:
        issued = identity.create_api_key(
            session, org_code="bench-ops", roles=[Role.OPERATOR], name="bench", actor=ACTOR
        )
    engine.dispose()
    return issued.key


def timed(call) -> float:
    start = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, response.text[:300]
    return elapsed


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="seagreen-bench-"))  # the run's own keys, deleted at the end
    try:
        run(folder / "keys.json")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(keys: Path) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=50_000_000)
    parser.add_argument("--db", type=Path, default=Path("var/bench-residents.db"))
    parser.add_argument("--reuse", action="store_true", help="measure an existing database built before")
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--page-runs", type=int, default=7)
    args = parser.parse_args()
    per_resident = max(1, args.events // args.residents)
    url = f"sqlite:///{args.db.resolve()}"
    os.environ["SEAGREEN_RUN_JOBS"] = "false"
    if not (args.reuse and args.db.exists()):
        args.db.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
        started = time.perf_counter()
        settings = prepare(url, keys)
        build(args.db, args.residents, per_resident)
        engine = make_engine(url)
        with unit_of_work(make_session_factory(engine)) as session:
            log("ranking snapshot and monthly roll-up (the jobs)")
            rollup = time.perf_counter()
            statistics.refresh(session)
            rollup = time.perf_counter() - rollup
        engine.dispose()
        log(f"built in {time.perf_counter() - started:,.0f} s (roll-up job {rollup:,.1f} s)")
    settings = Settings(database_url=url, key_file=keys, run_jobs=False)
    size = sum(Path(f"{args.db}{s}").stat().st_size for s in ("", "-wal") if Path(f"{args.db}{s}").exists())
    check = sqlite3.connect(args.db)
    events = check.execute("SELECT COUNT(*) FROM carbon_events").fetchone()[0]
    residents = check.execute("SELECT COUNT(*) FROM residents").fetchone()[0]
    check.close()
    print(f"database: {residents:,} residents, {events:,} events, {size / 1e9:,.1f} GB ({args.db})")

    tokens = sessions_for(url, settings, min(500, args.residents), args.residents)
    key = operator_key(url)
    app = create_app(settings)
    rng = random.Random(9)
    with TestClient(app) as client:
        for token in tokens[:50]:  # warm the caches a little, as a running server is
            client.get("/api/v1/me/summary", cookies={"sg_session": token})
        health = [timed(lambda: client.get("/api/v1/health")) for _ in range(min(args.requests, 1000))]
        summary = []
        for _ in range(args.requests):
            token = rng.choice(tokens)
            summary.append(timed(lambda t=token: client.get("/api/v1/me/summary", cookies={"sg_session": t})))
        others = {}
        for path in ("/api/v1/me/records", "/api/v1/me/points", "/api/v1/me/grade", "/me"):
            samples = []
            for _ in range(max(50, args.requests // 10)):
                token = rng.choice(tokens)
                samples.append(timed(lambda t=token, p=path: client.get(p, cookies={"sg_session": t})))
            others[path] = samples
        headers = {"Authorization": f"Bearer {key}"}
        page = [timed(lambda: client.get("/statistics", headers=headers)) for _ in range(args.page_runs)]
        api = [
            timed(lambda: client.get("/api/v1/statistics", headers=headers)) for _ in range(args.page_runs)
        ]

    naive = sqlite3.connect(args.db)
    last_month = naive.execute("SELECT MAX(month) FROM carbon_month_totals").fetchone()[0] or 0
    start = time.perf_counter()
    naive.execute(
        "SELECT COUNT(DISTINCT resident_id) FROM carbon_month_totals WHERE month = ?", (last_month,)
    ).fetchone()
    naive_s = time.perf_counter() - start
    naive.close()

    p50, p99 = percentile(summary, 0.50) * 1000, percentile(summary, 0.99) * 1000
    h99 = percentile(health, 0.99) * 1000
    print(
        f"\nresident summary API (GET /api/v1/me/summary), {len(summary):,} requests, {len(tokens)} "
        f"residents:"
    )
    print(f"  p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(summary) * 1000:.1f} ms")
    print(f"  floor p99 <= {FLOOR_SUMMARY_P99_MS:.0f} ms: {p99 / FLOOR_SUMMARY_P99_MS:.2f} of the floor")
    print(f"  reference: GET /api/v1/health through the same stack, p99 {h99:.1f} ms")
    for path, samples in others.items():
        print(
            f"  {path}: p50 {percentile(samples, 0.5) * 1000:.1f} ms, "
            f"p99 {percentile(samples, 0.99) * 1000:.1f} ms"
        )
    print(
        f"\nstatistics page (GET /statistics), {len(page)} runs: best {min(page):.3f} s, worst "
        f"{max(page):.3f} s, "
        f"median {stats.median(page):.3f} s"
    )
    print(f"  floor <= {FLOOR_STATISTICS_S:.0f} s: worst {max(page) / FLOOR_STATISTICS_S:.2f} of the floor")
    print(f"  JSON (GET /api/v1/statistics): best {min(api):.3f} s, worst {max(api):.3f} s")
    print(
        f"  reference: active residents of the latest month counted from the month rows, {naive_s:.2f} s "
        "(what the page would cost without its roll-up)"
    )


if __name__ == "__main__":
    sys.exit(main())
