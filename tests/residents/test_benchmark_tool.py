"""``benchmarks/residents.py`` still builds its residents and events and reads every view of the
resident's portal it times, small."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.benchmark_tool import run_benchmark


@pytest.mark.slow
def test_the_residents_benchmark_reads_every_view_of_a_small_city(tmp_path: Path):
    out = run_benchmark(
        "residents.py",
        *("--residents", "1000", "--events", "20000", "--db", str(tmp_path / "residents.db")),
        *("--requests", "30", "--page-runs", "1"),
    )
    for view in ("/api/v1/me/records", "/api/v1/me/points", "/api/v1/me/grade", "/me:"):
        assert view in out
    assert "floor p99 <= 50 ms" in out and "statistics page (GET /statistics), 1 runs" in out
