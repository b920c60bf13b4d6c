"""``verify`` recomputes the hash chain and balances and names the first row tampered with."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from seagreen.ledger import service
from seagreen.ledger.domain import AccountFlags, TransferRequest
from seagreen.ledger.service import AccountSpec


def drop_append_only_guard(session) -> None:
    """What an attacker with the owner's rights could do: remove the trigger (rolled back after the test)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER ledger_transfers_no_update"))
        session.execute(text("DROP TRIGGER ledger_transfers_no_delete"))
    else:
        session.execute(text("DROP TRIGGER ledger_transfers_append_only ON ledger_transfers"))


@pytest.fixture()
def journal(session):
    service.open_accounts(
        session,
        [
            AccountSpec("v:pool", "points"),
            AccountSpec("v:wallet", "points", AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
        ],
    )
    head = service.stats(session).transfers
    results = service.post_transfers(
        session, [TransferRequest(f"v:t{i}", "v:pool", "v:wallet", 10 + i) for i in range(5)]
    )
    assert service.verify(session).ok
    return [head + 1 + i for i in range(5)], results


def test_an_intact_journal_verifies(session, journal):
    report = service.verify(session)
    assert report.ok
    assert report.rows >= 5


def test_the_database_refuses_to_update_or_delete_journal_rows(session, journal):
    seqs, _ = journal
    with pytest.raises(DBAPIError), session.begin_nested():
        session.execute(text("UPDATE ledger_transfers SET amount = 1 WHERE seq = :s"), {"s": seqs[0]})
    with pytest.raises(DBAPIError), session.begin_nested():
        session.execute(text("DELETE FROM ledger_transfers WHERE seq = :s"), {"s": seqs[0]})


def test_an_edited_amount_is_named(session, journal):
    seqs, _ = journal
    drop_append_only_guard(session)
    session.execute(text("UPDATE ledger_transfers SET amount = amount + 1 WHERE seq = :s"), {"s": seqs[2]})
    report = service.verify(session)
    assert not report.ok
    assert report.problems[0].startswith(f"seq {seqs[2]} ")


def test_an_edited_balance_is_named(session, journal):
    session.execute(
        text("UPDATE ledger_accounts SET credits_posted = credits_posted + 5 WHERE key = 'v:wallet'")
    )
    report = service.verify(session)
    assert not report.ok
    assert "v:wallet" in report.problems[0]


def test_a_deleted_row_is_named(session, journal):
    seqs, _ = journal
    drop_append_only_guard(session)
    session.execute(text("DELETE FROM ledger_transfers WHERE seq = :s"), {"s": seqs[1]})
    report = service.verify(session)
    assert not report.ok
    assert report.problems[0].startswith(f"seq {seqs[1]}: row missing")


def test_a_deleted_last_row_is_caught_by_the_head(session, journal):
    seqs, _ = journal
    drop_append_only_guard(session)
    session.execute(text("DELETE FROM ledger_transfers WHERE seq = :s"), {"s": seqs[-1]})
    report = service.verify(session)
    assert not report.ok
    assert "rows missing at the end" in report.problems[0]


def test_an_inserted_row_is_named(session, journal):
    seqs, _ = journal
    drop_append_only_guard(session)
    # Make room after the second row and slip a forged transfer in, with a plausible-looking hash.
    for seq in reversed(seqs[2:]):
        session.execute(text("UPDATE ledger_transfers SET seq = seq + 1 WHERE seq = :s"), {"s": seq})
    session.execute(
        text(
            "INSERT INTO ledger_transfers (seq, key, debit_account_id, credit_account_id, amount, unit,"
            " flags, code, memo, content_hash, created_at_us, chain_hash)"
            " SELECT :new, 'forged', debit_account_id, credit_account_id, 999, unit, 0, code, memo,"
            " content_hash, created_at_us, chain_hash FROM ledger_transfers WHERE seq = :copy"
        ),
        {"new": seqs[2], "copy": seqs[1]},
    )
    report = service.verify(session)
    assert not report.ok
    assert report.problems[0].startswith(f"seq {seqs[2]} ")
