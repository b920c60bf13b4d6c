"""The lifecycle's API and commands: partners void events (API and file), operators run the
expiry and read grade schemes; the JSON keys scripts rely on."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from seagreen.app import create_app
from seagreen.carbon_account import service
from seagreen.cli import app
from seagreen.db.engine import make_engine, make_session_factory
from seagreen.db.uow import unit_of_work
from seagreen.identity import service as identity
from tests.factories.carbon_account import make_partner, make_residents, submit, write_text
from tests.factories.identity import bearer, make_api_key

runner = CliRunner()
NOW = datetime.fromisoformat("2024-06-10T12:00:00+08:00")


def trips(ref: str, prefix: str, count: int) -> list[dict[str, str]]:
    return [
        {
            "event_id": f"{prefix}{n}",
            "resident_ref": ref,
            "behaviour": "bus_trip",
            "quantity": "1",
            "occurred_at": f"2024-06-0{1 + n}T08:00:00+08:00",
        }
        for n in range(count)
    ]


@pytest.fixture()
def client(settings, session_factory):
    with TestClient(create_app(settings, session_factory=session_factory)) as test_client:
        yield test_client


def test_a_partner_voids_its_events_through_the_api(client, session):
    service.load_shipped(session)
    code = make_partner(session, "api-void-bus", "transit")
    make_residents(session, ["api-void-r"], [code])
    submit(session, code, trips("api-void-r", "v", 3))
    key = make_api_key(session, ("partner",), org=identity.get_org(session, code))
    session.commit()
    body = {"events": [{"event_id": "v0", "reason": "fare refunded"}, {"event_id": "nope"}]}
    response = client.post("/api/v1/events/void", json=body, headers=bearer(key))
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["voided"], result["not_found"], result["reduction_g"], result["points_reversed"]) == (
        1,
        1,
        100,
        1,
    )
    assert [r["status"] for r in result["results"]] == ["voided", "not_found"]
    again = client.post("/api/v1/events/void", json=body, headers=bearer(key)).json()
    assert again["already_voided"] == 1 and again["points_reversed"] == 0
    operator = make_api_key(session, ("operator",))
    session.commit()
    assert client.post("/api/v1/events/void", json=body, headers=bearer(operator)).status_code == 403


def test_an_operator_runs_the_expiry_through_the_api(client, session):
    key = make_api_key(session, ("operator",))
    session.commit()
    report = client.post("/api/v1/points/expire?dry_run=true", headers=bearer(key)).json()
    assert report["dry_run"] is True and report["cutoff"] is not None
    assert isinstance(client.get("/api/v1/points/expiry-runs", headers=bearer(key)).json(), list)


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('lifecycle-cli') / 'cli.db'}"
    assert runner.invoke(app, ["init", "--db", url]).exit_code == 0
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as session:
        make_partner(session, "cli-bus", "transit")
        make_residents(session, ["cli-r1"], ["cli-bus"])
        submit(session, "cli-bus", trips("cli-r1", "c", 5), now=NOW)
    engine.dispose()
    return url


def test_a_file_of_event_ids_is_voided_once(db_url, tmp_path):
    path = write_text(tmp_path / "voids.csv", "event_id,reason\nc0,refund\nc1,\nunknown,\n")
    first = runner.invoke(
        app, ["events", "void", str(path), "--partner", "cli-bus", "--db", db_url, "--json"]
    )
    assert first.exit_code == 0, first.output
    body = json.loads(first.output)
    assert (body["voided"], body["not_found"], body["points_reversed"], body["not_found_ids"]) == (
        2,
        1,
        2,
        ["unknown"],
    )
    again = json.loads(
        runner.invoke(
            app, ["events", "void", str(path), "--partner", "cli-bus", "--db", db_url, "--json"]
        ).output
    )
    assert (again["voided"], again["already_voided"]) == (0, 2)
    plain = write_text(tmp_path / "ids.txt", "c2\n")
    text = runner.invoke(app, ["events", "void", str(plain), "--partner", "cli-bus", "--db", db_url])
    assert "1 voided" in text.output
    shown = json.loads(runner.invoke(app, ["points", "show", "cli-r1", "--db", db_url, "--json"]).output)
    assert (shown["balance"], shown["flows"]["reversed"]) == (2, 3)


def test_the_expiry_command_reports_its_cutoff_in_json(db_url):
    result = runner.invoke(app, ["points", "expire", "--db", db_url, "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert set(body) == {"cutoff", "residents", "points", "reissued", "debts_repaid", "dry_run"}
    never = json.loads(
        runner.invoke(app, ["points", "expire", "--months", "0", "--db", db_url, "--json"]).output
    )
    assert never["cutoff"] is None


def test_grade_schemes_are_shown_calibrated_and_published(db_url, tmp_path):
    schemes = json.loads(runner.invoke(app, ["grades", "--db", db_url, "--json"]).output)
    assert [t["code"] for t in schemes[0]["tiers"]] == ["light_green", "medium_green", "deep_green"]
    calibrated = json.loads(
        runner.invoke(app, ["grades", "calibrate", "--quarter", "2024-Q2", "--db", db_url, "--json"]).output
    )
    assert calibrated["quarter"] == "2024-Q2" and calibrated["residents"] == 1
    scheme = tmp_path / "v2.toml"
    scheme.write_text(
        'code = "test-v2"\nname = "v2"\neffective_from = 2030-01-01\n'
        '[[tier]]\ncode = "green"\nname_zh = "绿"\nname_en = "Green"\nmin_g = 5000\n',
        encoding="utf-8",
    )
    published = runner.invoke(app, ["grades", "publish", str(scheme), "--db", db_url])
    assert "published: test-v2" in published.output
    assert (
        "already published" in runner.invoke(app, ["grades", "publish", str(scheme), "--db", db_url]).output
    )
    broken = tmp_path / "broken.toml"
    broken.write_text('code = "x"\n[[tier]]\ncode = "a"\n', encoding="utf-8")
    failed = runner.invoke(app, ["grades", "publish", str(broken), "--db", db_url])
    assert failed.exit_code == 1 and "carbon_grade_scheme_invalid" in failed.output


def test_statistics_benefits_and_jobs_commands(db_url, tmp_path):
    assert runner.invoke(app, ["stats", "refresh", "--db", db_url]).exit_code == 0
    shown = json.loads(runner.invoke(app, ["stats", "show", "--db", db_url, "--json"]).output)
    assert shown["live"]["residents_with_account"] == 1 and shown["months"]
    for name in ("stats.csv", "stats.xlsx"):
        result = runner.invoke(app, ["stats", "export", str(tmp_path / name), "--db", db_url])
        assert result.exit_code == 0 and (tmp_path / name).stat().st_size > 0
    assert json.loads(runner.invoke(app, ["benefits", "list", "--db", db_url, "--json"]).output) == []
    assert runner.invoke(app, ["benefits", "expire-vouchers", "--db", db_url]).exit_code == 0
    jobs = runner.invoke(app, ["jobs", "run", "--db", db_url])
    assert jobs.exit_code == 0, jobs.output
    assert "points:" in jobs.output and "statistics:" in jobs.output
