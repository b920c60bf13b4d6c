from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from seagreen.carbon_account import service as carbon
from seagreen.cli import app
from seagreen.demo.flows import CARBON_PARTNERS, ORGANISATIONS, USERS, demo_resident_ref, load_demo
from seagreen.demo.residents import PROVIDERS
from seagreen.identity import service as identity
from seagreen.identity.domain import OrgKind
from seagreen.kit.clock import LOCAL_TZ, to_micros
from seagreen.kit.keys import load_keys
from seagreen.ledger import service as ledger

NOW = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)
SMALL = {"residents": 120, "days": 40}


@pytest.fixture()
def keys(settings):
    return load_keys(settings)


def test_demo_has_the_three_authorities_and_loads_once(session, keys):
    first = load_demo(session, keys, now=NOW, **SMALL)
    assert first.organisations_created == len(ORGANISATIONS)
    assert [username for username, _ in first.credentials] == [user.username for user in USERS]
    authorities = {org.code for org in identity.list_orgs(session, OrgKind.AUTHORITY)}
    assert {"wh-finance-bureau", "pbc-weihai", "nfra-weihai"} <= authorities

    again = load_demo(session, keys, now=NOW, **SMALL)
    assert (again.organisations_created, again.users_created, again.credentials) == (0, 0, [])


def test_demo_passwords_are_random_and_work(session, keys):
    report = load_demo(session, keys, now=NOW, **SMALL)
    passwords = [password for _, password in report.credentials]
    assert len(set(passwords)) == len(passwords)
    stored = session.execute(text("SELECT password_hash FROM users")).scalars().all()
    assert not set(passwords) & set(stored)


def test_carbon_demo_has_partners_of_every_kind_residents_and_real_accounting(session, keys):
    report = load_demo(session, keys, now=NOW, **SMALL).carbon
    assert report is not None
    partners = {p.code: p for p in carbon.list_partners(session)}
    assert {p.kind for p in partners.values()} >= {
        "transit",
        "utility",
        "government",
        "clearing",
        "bank",
        "recycler",
    }
    assert [code for code, _ in report.partner_keys] == [p.code for p in CARBON_PARTNERS]
    assert report.residents_created == SMALL["residents"]
    # most residents authorise the partners they use; not all of them do
    assert all(0 < p.consents < SMALL["residents"] for p in partners.values())
    assert report.accepted > 1_000
    assert report.duplicates > 0  # QR bus fares reported by the bus company and by UnionPay
    assert 0 < report.rejected + report.conflicts < report.accepted // 50

    reasons = set(session.execute(text("SELECT DISTINCT reason FROM carbon_rejections")).scalars().all())
    assert {"unknown_behaviour", "no_consent", "unknown_resident", "too_many_decimals"} & reasons
    linked = session.execute(
        text(
            "SELECT COUNT(*) FROM carbon_events e JOIN carbon_partners p ON p.id = e.partner_id "
            "JOIN carbon_partners w ON w.id = e.duplicate_of_partner_id "
            "WHERE p.code = 'unionpay-wh' AND w.code = 'wh-bus'"
        )
    ).scalar_one()
    assert linked == report.duplicates

    totals = carbon.totals(session)
    assert totals.residents > SMALL["residents"] // 2
    # points_posted never goes down: after a void, what is no longer earned is reversed in the
    # ledger by the lifecycle (reversed less reissued), not taken off the posted figure
    net_reversed = session.execute(
        text("SELECT COALESCE(SUM(reversed_points - reissued_points), 0) FROM carbon_points_adjustments")
    ).scalar_one()
    assert totals.points > 0 and totals.points == totals.points_posted - net_reversed
    assert 0 < totals.credited_g <= totals.reduction_g
    richest = max(carbon.balances(session), key=lambda balance: balance.points)
    account, entries = ledger.account_history(session, f"carbon:points:{richest.resident_ref}", limit=10_000)
    earned = sum(e.amount for e in entries if e.code == "earn" and e.credit_account == account.key)
    assert earned == richest.points > 0
    assert richest.resident_ref.startswith(demo_resident_ref(0)[:5])


def test_carbon_demo_adds_nothing_when_run_again_and_only_new_days_later(session, keys):
    load_demo(session, keys, now=NOW, **SMALL)
    before = carbon.totals(session)
    ingests = len(carbon.partner_ingests(session, None, limit=10_000))

    again = load_demo(session, keys, now=NOW, **SMALL).carbon
    assert again is not None
    assert (again.partners_created, again.residents_created, again.consents_granted, again.requests) == (
        0,
        0,
        0,
        0,
    )
    assert carbon.totals(session) == before
    assert len(carbon.partner_ingests(session, None, limit=10_000)) == ingests

    # three days later the window moved on: the days sent before come out exactly the same, so
    # only the three new days are sent
    last_batch = session.execute(text("SELECT MAX(id) FROM carbon_batches")).scalar_one()
    later_report = load_demo(session, keys, now=NOW + timedelta(days=3), **SMALL)
    later, resident = later_report.carbon, later_report.resident
    assert later is not None and later.accepted > 0 and resident is not None
    first_new_day = datetime(2026, 3, 20, tzinfo=LOCAL_TZ)
    earliest = session.execute(
        text("SELECT MIN(occurred_at_us) FROM carbon_events WHERE batch_id > :b"), {"b": last_batch}
    ).scalar_one()
    assert earliest >= to_micros(first_new_day)
    # the demo resident (seagreen.demo.residents) sends their own new days too
    assert (
        carbon.totals(session).events
        == before.events + later.accepted + later.duplicates + resident.events_sent
    )


def test_demo_command_shows_new_passwords_once_and_keeps_them_private(tmp_path, cli_key_file):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--db", url]).exit_code == 0
    first = runner.invoke(app, ["demo", "--db", url])
    assert first.exit_code == 0, first.output
    assert "admin" in first.output and "API key" in first.output
    saved = tmp_path / "var" / "demo-credentials.txt"
    assert saved.stat().st_mode & 0o077 == 0
    assert len(saved.read_text().splitlines()) == len(USERS) + len(CARBON_PARTNERS)
    second = runner.invoke(app, ["demo", "--db", url])
    assert "0 organisations and 0 users created" in second.output
    assert "0 API requests" in second.output
    assert len(saved.read_text().splitlines()) == len(USERS) + len(CARBON_PARTNERS)
    listed = json.loads(runner.invoke(app, ["orgs", "list", "--db", url, "--json"]).output)
    # the benefit providers of seagreen.demo.residents join the demo organisations
    assert {o["code"] for o in listed} == {o.code for o in ORGANISATIONS} | {p.code for p in PROVIDERS}
    balances = json.loads(runner.invoke(app, ["balances", "--db", url, "--json"]).output)
    assert len(balances) > 500 and all(b["points"] >= 0 for b in balances)
