"""``benchmarks/ingest_stages.py`` (where a bulk ingest's time goes) still times every stage it
names: a stage function renamed or moved fails it here, not in the next performance session."""

from __future__ import annotations

import json

from tests.benchmark_tool import run_benchmark, suite_postgres


def _stages(*options: str) -> dict:
    out = run_benchmark("ingest_stages.py", "--events", "20000", "--residents", "500", "--json", *options)
    return json.loads(out.strip().splitlines()[-1])


def test_the_stage_tool_times_every_stage_of_a_small_ingest():
    result = _stages()
    assert (result["database"], result["file"], result["accepted"]) == ("sqlite", "parquet", 20_000)
    labels = {stage["label"] for stage in result["stages"]}
    assert labels == {
        "checks: set-up",
        "checks",
        "scratch file",
        "group commit",
        "accounting",
        "accounting: a part",
        "accounting: stored totals",
        "accounting: settlement",
        "accounting: totals staged",
        "accounting: totals written",
        "accounting: marked",
        "settlement after",
    }
    assert all(stage["calls"] >= 1 and stage["wall_s"] >= 0 for stage in result["stages"])
    assert {s["thread"] for s in result["stages"] if s["label"] == "checks"} == {"checks"}
    threads = {s["label"]: s["thread"] for s in result["stages"]}
    assert threads["accounting: a part"] == "accounting"  # DuckDB on the flush's worker
    assert threads["accounting: settlement"] == "writer"  # the session stays on its thread
    assert threads["accounting: totals staged"] == "accounting"  # beside the last settlement
    assert 0 < result["loop_seconds"] <= result["seconds"]
    assert result["after_loop_seconds"] == result["seconds"] - result["loop_seconds"]


def test_the_stage_tool_times_a_csv_file_on_the_suites_database():
    """On PostgreSQL (the CI's second run) a scratch database of that server; else SQLite."""
    postgres = suite_postgres()
    result = _stages("--csv", *(["--postgres", postgres] if postgres else []))
    assert (result["database"], result["file"], result["accepted"]) == (
        "postgresql" if postgres else "sqlite",
        "csv",
        20_000,
    )
    labels = {stage["label"] for stage in result["stages"]}
    assert {"checks", "group commit", "accounting", "accounting: a part", "settlement after"} <= labels
    assert ("scratch file" in labels) is not postgres  # only SQLite stages the rows in a file
