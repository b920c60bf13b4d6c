"""``benchmarks/ingest.py`` (issue 3's figures) and ``benchmarks/readers.py`` (the file readers
and raw inserts it is measured against) still run to their end, small: on SQLite and, in the
CI's second run, on the suite's PostgreSQL server too. The ingest's had stopped at its API step
for fewer than 1,000 residents, and its PostgreSQL re-ingest showed a plan that compared every
row with every stored event (test_bulk_index_probes.py). Each file is measured in trials, each
beside a raw insert of its own, and the medians are printed."""

from __future__ import annotations

import importlib.util
import re

import pytest

from tests.benchmark_tool import run_benchmark, suite_postgres


@pytest.mark.slow
def test_the_ingest_benchmark_measures_every_figure_of_a_small_file():
    # its raw PostgreSQL insert is ADBC's COPY, from the ``bench`` extra (which CI does not install)
    postgres = suite_postgres() if importlib.util.find_spec("adbc_driver_postgresql") else ""
    out = run_benchmark(
        "ingest.py",
        "--events",
        "20000",
        "--residents",
        "500",
        "--repeat",
        "2",
        *(("--postgres", postgres) if postgres else ()),
    )
    databases = ("SQLite", "PostgreSQL") if postgres else ("SQLite",)
    for database in databases:
        for case in ("parquet", "csv", "re-ingest"):
            assert re.search(
                rf"^{database} {case} +[\d,]+ events/s .* raw insert +[\d,]+/s +ratio ", out, re.M
            ), (
                database,
                case,
                out,
            )
            # two trials, each beside its own raw insert, then their medians
            trials = re.findall(rf"^{database} {case} .* trial (\d)/2  raw insert ", out, re.M)
            assert trials == ["1", "2"], (database, case, out)
            assert re.search(
                rf"^{database} {case} +median of 2: +[\d,]+ events/s +ratio \d+\.\d+ \(\d+\.\d+–\d+\.\d+\) ",
                out,
                re.M,
            ), (database, case, out)
    assert re.search(r"^SQLite API earning +[\d,]+ events/s in 1,000-event batches", out, re.M), out
    # every figure beside the raw insert measured with it, and against the floor at that pace
    assert re.search(
        r"^SQLite API earning +[\d,]+ events/s .* raw insert [\d,]+/s, floor 20,000/s: \d+\.\d+×, "
        r"at this pace [\d,]+/s: \d+\.\d+×, trial 1/2$",
        out,
        re.M,
    ), out
    assert re.search(r"^SQLite parquet .* at this pace [\d,]+/s: \d+\.\d+×$", out, re.M), out
    assert re.search(r"^SQLite parquet +median of 2: .* at each trial's pace: \d+\.\d+×$", out, re.M), out
    assert re.search(r"^SQLite API earning +median of 2: .* at each trial's pace: \d+\.\d+×$", out, re.M), out
    # and once with the residents of each batch spread over all of them (not a floor)
    assert re.search(
        r"^SQLite API earning, residents scattered [\d,]+ events/s .* \d+\.\d+ of the median", out, re.M
    ), out
    # the API in as many trials, then the medians of their rates and of their p99s
    api_trials = re.findall(r"^SQLite API earning +[\d,]+ events/s .*, trial (\d)/2$", out, re.M)
    assert api_trials == ["1", "2"], out
    for case in ("earning", "capped "):
        assert re.search(rf"^SQLite API {case} +median of 2: +[\d,]+ events/s \(", out, re.M), (case, out)
    assert re.search(r"^SQLite API +one-event POST p99 median of 2: \d+\.\d ms", out, re.M), out
    # the API on PostgreSQL too, on the database of its CSV's last trial (phase 30)
    for database in databases:
        assert re.search(rf"^{database} API earning +median of 2: +[\d,]+ events/s \(", out, re.M), out
        assert re.search(rf"^{database} API +one-event POST p99 median of 2: ", out, re.M), out
    assert "one-event POST p99" in out and "scattered ids" in out


@pytest.mark.slow
def test_the_readers_benchmark_reads_checks_and_inserts_a_small_file():
    postgres = suite_postgres()
    out = run_benchmark(
        "readers.py",
        "--rows",
        "10000",
        "--residents",
        "1000",
        *(("--pg", postgres) if postgres else ("--no-pg",)),
    )
    assert "set-based checks and accounting vs the domain functions on the first 10,000 rows: agree" in out
    assert "SQLite: ADBC adbc_ingest (Arrow)" in out
    assert ("PostgreSQL: psycopg COPY" in out) == bool(postgres)
