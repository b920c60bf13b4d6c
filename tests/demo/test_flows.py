from __future__ import annotations

import json

from sqlalchemy import text
from typer.testing import CliRunner

from seagreen.cli import app
from seagreen.config import get_settings
from seagreen.demo.flows import ORGANISATIONS, USERS, load_demo
from seagreen.identity import service as identity
from seagreen.identity.domain import OrgKind


def test_demo_has_the_three_authorities_and_loads_once(session):
    first = load_demo(session)
    assert first.organisations_created == len(ORGANISATIONS)
    assert [username for username, _ in first.credentials] == [user.username for user in USERS]
    authorities = {org.code for org in identity.list_orgs(session, OrgKind.AUTHORITY)}
    assert {"wh-finance-bureau", "pbc-weihai", "nfra-weihai"} <= authorities

    again = load_demo(session)
    assert (again.organisations_created, again.users_created, again.credentials) == (0, 0, [])


def test_demo_passwords_are_random_and_work(session):
    report = load_demo(session)
    passwords = [password for _, password in report.credentials]
    assert len(set(passwords)) == len(passwords)
    stored = session.execute(text("SELECT password_hash FROM users")).scalars().all()
    assert not set(passwords) & set(stored)


def test_demo_command_shows_new_passwords_once_and_keeps_them_private(tmp_path, monkeypatch):
    monkeypatch.setenv("SEAGREEN_KEY_FILE", str(tmp_path / "var" / "keys.json"))
    get_settings.cache_clear()
    try:
        url = f"sqlite:///{tmp_path / 'demo.db'}"
        runner = CliRunner()
        assert runner.invoke(app, ["init", "--db", url]).exit_code == 0
        first = runner.invoke(app, ["demo", "--db", url])
        assert first.exit_code == 0, first.output
        assert "admin" in first.output
        saved = tmp_path / "var" / "demo-credentials.txt"
        assert saved.stat().st_mode & 0o077 == 0
        assert len(saved.read_text().splitlines()) == len(USERS)
        second = runner.invoke(app, ["demo", "--db", url])
        assert "0 organisations and 0 users created" in second.output
        listed = json.loads(runner.invoke(app, ["orgs", "list", "--db", url, "--json"]).output)
        assert len(listed) == len(ORGANISATIONS)
    finally:
        get_settings.cache_clear()
