"""``benchmarks/taxonomy.py`` still classifies through the catalogue's services, small."""

from __future__ import annotations

import pytest

from tests.benchmark_tool import run_benchmark


@pytest.mark.slow
def test_the_taxonomy_benchmark_classifies_a_small_loan_book():
    out = run_benchmark("taxonomy.py", "--singles", "200", "--rows", "1000")
    assert "single classifications, one core:" in out and "(floor 2,000/s)" in out
    assert "loan book of 1,000 rows end to end on SQLite" in out
