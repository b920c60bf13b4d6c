"""``benchmarks/registry.py`` still runs against the registry's services: a use case whose
signature or rules change fails it here, not in the next performance session (it had stopped at
``add_document`` once, unnoticed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_registry_benchmark_runs_a_small_registry_to_its_end():
    small = ("--issuances", "300", "--ops", "200", "--batch", "50", "--singles", "10")
    done = subprocess.run(
        [sys.executable, "benchmarks/registry.py", *small],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "SQLite: 300 issuances" in done.stdout
    assert "sales splitting blocks" in done.stdout and "retirements" in done.stdout
    assert "floor: >= 2,000 transfer or retirement ops/s" in done.stdout
