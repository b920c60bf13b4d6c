"""``benchmarks/ledger.py`` still runs against the ledger's services, small, on SQLite and (in
the CI's second run) on the suite's PostgreSQL server."""

from __future__ import annotations

import pytest

from tests.benchmark_tool import run_benchmark, suite_postgres


@pytest.mark.slow
def test_the_ledger_benchmark_posts_and_verifies_a_small_chain():
    postgres = suite_postgres()
    databases = ("--pg", postgres) if postgres else ("--no-pg",)
    out = run_benchmark("ledger.py", "--transfers", "2000", "--batch", "500", "--singles", "20", *databases)
    assert "SQLite: 2,000 transfers in batches of 500; 20 single; chain verified" in out
    assert "batched posting (hash chain)" in out and "floor: batched >= 50,000/s on SQLite" in out
    assert ("PostgreSQL: 2,000 transfers in batches of 500; 20 single; chain verified" in out) == bool(
        postgres
    )
