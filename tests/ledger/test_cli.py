"""``seagreen ledger verify`` exits non-zero and names the first bad row."""

from __future__ import annotations

import sqlite3

from typer.testing import CliRunner

from seagreen.cli import app
from seagreen.db.engine import make_engine, make_session_factory
from seagreen.db.migrate import upgrade
from seagreen.db.uow import unit_of_work
from seagreen.ledger import service
from seagreen.ledger.domain import TransferRequest
from seagreen.ledger.service import AccountSpec

runner = CliRunner()


def make_ledger(path) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        service.open_accounts(session, [AccountSpec("a", "points"), AccountSpec("b", "points")])
        service.post_transfers(session, [TransferRequest(f"t{i}", "a", "b", 5) for i in range(3)])
    engine.dispose()
    return url


def test_verify_passes_on_an_intact_ledger(tmp_path):
    url = make_ledger(tmp_path / "ok.db")
    result = runner.invoke(app, ["ledger", "verify", "--db", url])
    assert result.exit_code == 0, result.output
    assert "3 transfers" in result.output


def test_verify_fails_and_names_the_edited_row(tmp_path):
    url = make_ledger(tmp_path / "bad.db")
    raw = sqlite3.connect(tmp_path / "bad.db")
    raw.execute("DROP TRIGGER ledger_transfers_no_update")
    raw.execute("UPDATE ledger_transfers SET amount = 50 WHERE seq = 2")
    raw.commit()
    raw.close()
    result = runner.invoke(app, ["ledger", "verify", "--db", url, "--json"])
    assert result.exit_code == 1
    assert "seq 2 " in result.output
