"""``seagreen branches``: rounds, the list, certificates, notices and the scheduled job at a given time."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from seagreen.cli import app
from seagreen.db.engine import make_engine, make_session_factory
from seagreen.db.migrate import upgrade
from seagreen.db.uow import unit_of_work
from tests.factories.branches import make_world, recognised

runner = CliRunner()


@pytest.fixture()
def db(tmp_path) -> str:
    """A database with the world of the service tests and one recognised branch."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        recognised(make_world(session, tmp_path))
    engine.dispose()
    return url


def run(*args: str):
    return runner.invoke(app, ["branches", *args])


def test_the_scheduled_job_acts_at_the_time_it_is_given(db):
    result = run("tick", "--now", "2027-04-01T09:00", "--no-send", "--json", "--db", db)
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["rounds_closed"], body["became_overdue"], body["notices_sent"]) == (1, 1, 0)
    assert body["now"].startswith("2027-04-01T09:00:00+08:00")
    again = json.loads(run("tick", "--now", "2027-04-01T10:00", "--no-send", "--json", "--db", db).output)
    assert (again["rounds_closed"], again["became_overdue"]) == (0, 0)
    pending = json.loads(run("notices", "--pending", "--json", "--db", db).output)
    assert [n["kind"] for n in pending] == ["overdue", "recognised"]


def test_a_bad_time_is_refused(db):
    result = run("tick", "--now", "next spring", "--db", db)
    assert result.exit_code == 2 and "--now" in result.output


def test_rounds_sets_list_and_certificate(db, tmp_path):
    assert [r["code"] for r in json.loads(run("rounds", "--json", "--db", db).output)] == ["2026-1"]
    sets = json.loads(run("sets", "--json", "--db", db).output)
    assert sets[0]["code"] == "weihai-gb-p1" and sets[0]["proposal"] is True
    listing = json.loads(run("list", "--json", "--db", db).output)
    number = listing["recognised"][0]["number"]
    out = tmp_path / "plaque.pdf"
    result = run("certificate", number, "--out", str(out), "--db", db)
    assert result.exit_code == 0 and out.read_bytes().startswith(b"%PDF")
    assert listing["recognised"][0]["certificate_sha256"] in result.output.replace("\n", "")
    missing = run("certificate", "WHGB-1999-001", "--out", str(out), "--db", db)
    assert missing.exit_code == 1 and "branches_recognition_not_found" in missing.output


def test_opening_a_round_from_the_command_line(db):
    result = run(
        "open-round", "--code", "2099-1", "--title", "远期批次", "--deadline", "2099-06-30", "--db", db
    )
    assert result.exit_code == 0, result.output
    assert "2099-1" in run("rounds", "--db", db).output
    past = run("open-round", "--code", "2000-1", "--title", "过去", "--deadline", "2000-06-30", "--db", db)
    assert past.exit_code == 1 and "after today" in past.output
