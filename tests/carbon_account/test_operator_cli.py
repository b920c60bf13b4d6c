"""The operator's commands of the personal carbon account, run as an operator's script runs them:
``partners add``, ``residents import``, ``ingest --json`` and ``balances --json``. Their names and
JSON keys are what operators script against (issue 3), so they are checked here through the
command line itself, against a SQLite file of the test's own (the commands commit)."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seagreen.carbon_account.cli import READ_ALL
from seagreen.cli import app
from tests.factories.carbon_account import csv_text, write_text

runner = CliRunner()


@pytest.fixture
def db_url(tmp_path: Path, cli_key_file: Path) -> str:
    url = f"sqlite:///{tmp_path / 'operator.db'}"
    assert runner.invoke(app, ["init", "--db", url]).exit_code == 0
    return url


def run(*args: str) -> dict | list:
    result = runner.invoke(app, [*args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_an_operators_script_registers_imports_ingests_and_reads_balances(db_url, tmp_path):
    added = runner.invoke(
        app, ["partners", "add", "wh-bus", "--kind", "transit", "--name", "威海公交", "--db", db_url]
    )
    assert added.exit_code == 0, added.output
    assert re.search(r"^\s+sg_\S{20,}$", added.stdout, re.MULTILINE), added.stdout  # the key, once
    assert added.stdout.count("sg_") == 1
    assert "shown once" in added.stdout
    run("partners", "add", "wh-water", "--kind", "utility", "--name", "威海水务", "--db", db_url, "--json")

    residents = write_text(
        tmp_path / "residents.csv", "resident_ref,partners\nR1,wh-bus\nR2,wh-bus wh-water\nR3,wh-water\n"
    )
    imported = run("residents", "import", str(residents), "--db", db_url, "--json")
    assert imported == {
        "rows": 3,
        "residents_created": 3,
        "consents_granted": 4,
        "consents_revoked": 0,
        "errors": [],
    }

    # after the consents just granted, within the five minutes the future is allowed
    at = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    rows = [
        {"event_id": "b1", "resident_ref": "R1", "behaviour": "bus_trip", "quantity": "1", "occurred_at": at},
        {"event_id": "b2", "resident_ref": "R1", "behaviour": "bus_trip", "quantity": "1", "occurred_at": at},
        {"event_id": "b3", "resident_ref": "R2", "behaviour": "bus_trip", "quantity": "1", "occurred_at": at},
        {"event_id": "b4", "resident_ref": "R3", "behaviour": "bus_trip", "quantity": "1", "occurred_at": at},
        {"event_id": "b5", "resident_ref": "R2", "behaviour": "no_such", "quantity": "1", "occurred_at": at},
    ]
    events = write_text(tmp_path / "wh-bus-day.csv", csv_text(rows))
    quarantine_dir = tmp_path / "quarantine"
    ingest = ["ingest", str(events), "--partner", "wh-bus", "--quarantine-dir", str(quarantine_dir)]
    summary = run(*ingest, "--db", db_url, "--json")
    assert {"accepted", "duplicates", "rejected", "reduction_g", "credited_g", "points", "quarantine"} <= set(
        summary
    )
    # weihai-v1: a bus trip is 100 g, 100 g a point
    assert (summary["accepted"], summary["duplicates"], summary["rejected"]) == (3, 0, 2)
    assert (summary["reduction_g"], summary["credited_g"], summary["points"]) == (300, 300, 3)
    with open(summary["quarantine"], newline="", encoding="utf-8") as handle:
        quarantined = {
            (row["row_number"], row["event_id"], row["field"], row["reason"])
            for row in csv.DictReader(handle)
        }
    assert quarantined == {
        ("5", "b4", "resident_ref", "no_consent"),
        ("6", "b5", "behaviour", "unknown_behaviour"),
    }
    assert Path(summary["quarantine"]).parent == quarantine_dir.resolve()

    balances = run("balances", "--db", db_url, "--json")
    assert sorted(balances, key=lambda b: b["resident_ref"]) == [
        {"resident_ref": "R1", "reduction_g": 200, "credited_g": 200, "points": 2},
        {"resident_ref": "R2", "reduction_g": 100, "credited_g": 100, "points": 1},
    ]

    # the same file again, as an operator re-runs a script: every event a duplicate, nothing added;
    # without --json a summary line, and the progress line says what happens after the last byte
    again = runner.invoke(app, [*ingest, "--db", db_url], env={"COLUMNS": "200"})
    assert again.exit_code == 0, again.output
    assert "accepted 0, duplicates 3, rejected 2" in again.stdout
    assert READ_ALL in again.stderr
    assert run("balances", "--db", db_url, "--json") == balances
