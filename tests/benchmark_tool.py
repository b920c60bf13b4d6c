"""Running a benchmark of ``benchmarks/`` small, for the tests that keep each one working: a use
case whose signature or rules change fails its benchmark's test, not the next performance session
(the registry's had stopped at ``add_document`` once, and the ingest's at its API step for fewer
than 1,000 residents, unnoticed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from seagreen.db.engine import is_sqlite

ROOT = Path(__file__).resolve().parents[1]


def suite_postgres() -> str:
    """The suite's PostgreSQL URL when it runs against PostgreSQL (the CI's second run), else ''."""
    url = os.environ.get("SEAGREEN_TEST_DATABASE_URL", "")
    return url if url and not is_sqlite(url) else ""


def run_benchmark(script: str, *options: str, timeout: int = 300) -> str:
    """Run ``benchmarks/<script>`` with ``options``; its standard output (it must exit 0)."""
    done = subprocess.run(
        [sys.executable, f"benchmarks/{script}", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout
