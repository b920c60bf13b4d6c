"""``benchmarks/registry.py`` still runs against the registry's services (it had stopped at
``add_document`` once, unnoticed)."""

from __future__ import annotations

import pytest

from tests.benchmark_tool import run_benchmark


@pytest.mark.slow
def test_the_registry_benchmark_runs_a_small_registry_to_its_end():
    out = run_benchmark(
        "registry.py", "--issuances", "300", "--ops", "200", "--batch", "50", "--singles", "10"
    )
    assert "SQLite: 300 issuances" in out
    assert "sales splitting blocks" in out and "retirements" in out
    assert "floor: >= 2,000 transfer or retirement ops/s" in out
