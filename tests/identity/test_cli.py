"""``seagreen orgs|users|apikeys``, against a database of their own (the commands commit)."""

import getpass
import json

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from seagreen.cli import app
from seagreen.db.engine import make_engine
from seagreen.db.migrate import upgrade
from tests.db.scratch import scratch_database

runner = CliRunner()


@pytest.fixture()
def db(database_url, tmp_path):
    with scratch_database(database_url, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


def run(db, *args, stdin=None):
    result = runner.invoke(app, [*args, "--db", db], input=stdin)
    return result


def audit_rows(db):
    engine = make_engine(db)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT action, actor_kind, actor_id, object_id FROM audit_events ORDER BY id")
        )
        found = [tuple(row) for row in rows]
    engine.dispose()
    return found


def test_registers_organisations_users_and_keys_and_audits_them_as_the_os_user(db):
    assert (
        run(
            db, "orgs", "add", "wh-pbc", "--kind", "authority", "--name-zh", "人行威海", "--name-en", "PBoC"
        ).exit_code
        == 0
    )
    assert run(db, "orgs", "add", "icbc-wh", "--kind", "bank", "--name-zh", "工行威海").exit_code == 0
    branch = run(
        db,
        "orgs",
        "add",
        "icbc-wh-rs",
        "--kind",
        "bank_branch",
        "--name-zh",
        "工行乳山支行",
        "--parent",
        "icbc-wh",
    )
    assert branch.exit_code == 0, branch.output
    orgs = json.loads(run(db, "orgs", "list", "--json").output)
    assert {org["code"]: org["parent"] for org in orgs} == {
        "icbc-wh": None,
        "icbc-wh-rs": "icbc-wh",
        "wh-pbc": None,
    }

    added = run(
        db,
        "users",
        "add",
        "li.na",
        "--org",
        "wh-pbc",
        "--role",
        "authority_reviewer",
        "--password-stdin",
        stdin="long-enough-pw\n",
    )
    assert added.exit_code == 0, added.output
    users = json.loads(run(db, "users", "list", "--json").output)
    assert [(u["username"], u["roles"], u["active"]) for u in users] == [
        ("li.na", ["authority_reviewer"], True)
    ]

    assert run(db, "users", "deactivate", "li.na", "--reason", "调岗").exit_code == 0
    assert json.loads(run(db, "users", "list", "--json").output)[0]["active"] is False

    actions = [row[0] for row in audit_rows(db)]
    assert actions == [
        "identity.org.create",
        "identity.org.create",
        "identity.org.create",
        "identity.user.create",
        "identity.user.deactivate",
    ]
    assert {(row[1], row[2]) for row in audit_rows(db)} == {("cli", getpass.getuser())}


def test_an_api_key_is_printed_once_and_can_be_revoked_by_its_prefix(db):
    run(db, "orgs", "add", "wh-bus", "--kind", "data_partner", "--name-zh", "威海公交")
    created = run(
        db,
        "apikeys",
        "create",
        "--org",
        "wh-bus",
        "--role",
        "partner",
        "--scope",
        "carbon:report",
        "--name",
        "刷卡数据",
        "--json",
    )
    assert created.exit_code == 0, created.output
    issued = json.loads(created.output)
    assert issued["key"].startswith(f"sg_{issued['prefix']}_")
    assert issued["scopes"] == ["carbon:report"]

    listing = run(db, "apikeys", "list")
    assert issued["prefix"] in listing.output
    assert issued["key"] not in listing.output
    assert json.loads(run(db, "apikeys", "list", "--json").output)[0]["revoked_at"] is None

    assert run(db, "apikeys", "revoke", issued["prefix"], "--reason", "轮换").exit_code == 0
    assert json.loads(run(db, "apikeys", "list", "--json").output)[0]["revoked_at"] is not None
    assert [row[0] for row in audit_rows(db)][-2:] == ["identity.api_key.create", "identity.api_key.revoke"]


def test_refusals_exit_non_zero_with_the_reason(db):
    run(db, "orgs", "add", "wh-pbc", "--kind", "authority", "--name-zh", "人行威海")
    refused = run(db, "users", "add", "x.y", "--org", "wh-pbc", "--role", "bank_officer", "--no-password")
    assert refused.exit_code == 1
    assert "may not hold bank_officer" in refused.output
    missing = run(db, "apikeys", "revoke", "zzzzzzzz")
    assert missing.exit_code == 1
    assert "no API key" in missing.output
    assert [row[0] for row in audit_rows(db)] == ["identity.org.create"]


def test_audit_list_shows_the_newest_events(db):
    run(db, "orgs", "add", "wh-pbc", "--kind", "authority", "--name-zh", "人行威海")
    run(db, "orgs", "add", "wh-bus", "--kind", "data_partner", "--name-zh", "威海公交")
    listed = json.loads(run(db, "audit", "list", "--action", "identity.org", "--json").output)
    assert [event["object_id"] for event in listed] == ["wh-bus", "wh-pbc"]
    assert "identity.org.create" in run(db, "audit", "list").output
