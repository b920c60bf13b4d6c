"""An account's totals are 64-bit integer columns. A transfer that would take one past 2^63 - 1
within its batch is refused by the engine (``overflows_debits`` / ``overflows_credits``). Past a
stored total, the totals' update refuses: PostgreSQL's bigint by itself, and on SQLite, which
would otherwise store the sum as a float, the update's own guard (``BalanceOverflow``), for every
path that adds to the totals (``post_credits`` writes without the engine)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from seagreen.ledger import repository, service
from seagreen.ledger.domain import MAX_AMOUNT, Credit, TransferRequest
from seagreen.ledger.errors import BalanceOverflow
from seagreen.ledger.models import LedgerAccount
from seagreen.ledger.service import AccountSpec

ACCOUNTS = [AccountSpec(f"of:{name}", "points", description=name) for name in ("a", "b", "c", "d")]


def _full(session) -> None:
    """``of:a`` has paid out and ``of:b`` received the largest total a column holds."""
    service.post_or_raise(
        session, [TransferRequest("of:full", "of:a", "of:b", MAX_AMOUNT, "test")], opening=ACCOUNTS
    )


def _totals(session, key: str) -> tuple[object, ...]:
    account = session.execute(select(LedgerAccount).where(LedgerAccount.key == key)).scalar_one()
    return (account.debits_pending, account.debits_posted, account.credits_pending, account.credits_posted)


@pytest.mark.parametrize(
    ("debit", "credit", "outcome"),
    [("of:a", "of:d", "overflows_debits"), ("of:c", "of:b", "overflows_credits")],
)
@pytest.mark.parametrize("pending", [False, True])
def test_the_engine_refuses_a_transfer_past_a_total_in_its_batch(session, debit, credit, outcome, pending):
    """The engine works on the batch's own sums (stored totals are read only for limited accounts,
    ``_working_balances``): a transfer that takes one past 2^63 - 1 there is refused, the others
    of the batch are created."""
    flags = service.TransferFlags.PENDING if pending else service.TransferFlags(0)
    requests = [
        TransferRequest("of:full", "of:a", "of:b", MAX_AMOUNT, "test"),
        TransferRequest("of:one", debit, credit, 1, "test", flags=flags),
    ]
    results = service.post_transfers(session, requests, opening=ACCOUNTS)
    assert [result.outcome for result in results] == ["created", outcome]
    assert _totals(session, "of:a") == (0, MAX_AMOUNT, 0, 0)
    assert _totals(session, "of:b") == (0, 0, 0, MAX_AMOUNT)
    assert _totals(session, credit if outcome == "overflows_debits" else debit) == (0, 0, 0, 0)


@pytest.mark.parametrize("through_engine", [True, False])
def test_a_transfer_past_a_stored_total_is_refused(session, through_engine):
    """Past a total stored by an earlier batch: the engine's path and ``post_credits``' own path
    (every key new, known accounts, no limits) both add to ``of:b``'s stored totals, and the update
    refuses; no total became a float."""
    _full(session)
    is_sqlite = session.get_bind().dialect.name == "sqlite"
    with pytest.raises(BalanceOverflow):  # on PostgreSQL, bigint's own error translated
        if through_engine:
            service.post_transfers(session, [TransferRequest("of:more", "of:c", "of:b", 1, "test")])
        else:
            service.post_credits(session, "of:c", [Credit("of:more", "of:b", 1, b"{}")], code="test")
    if is_sqlite:  # the failed statement changed nothing; the caller's transaction is still open
        kinds = session.execute(
            text(
                "SELECT DISTINCT typeof(debits_pending), typeof(debits_posted), typeof(credits_pending), "
                "typeof(credits_posted) FROM ledger_accounts"
            )
        ).all()
        assert kinds == [("integer", "integer", "integer", "integer")]
        assert _totals(session, "of:b") == (0, 0, 0, MAX_AMOUNT)
    session.rollback()


def test_the_totals_update_refuses_a_sum_past_a_total(session):
    """SQLite's update refuses by its NOT NULL, PostgreSQL's by bigint's range: both say
    ``BalanceOverflow``. PostgreSQL's failed statement ends what the transaction can do, so each
    refusal there runs under a savepoint of its own."""
    is_sqlite = session.get_bind().dialect.name == "sqlite"
    _full(session)
    account_id = session.execute(select(LedgerAccount.id).where(LedgerAccount.key == "of:b")).scalar_one()
    repository.add_to_balances(session, [(0, MAX_AMOUNT, 0, 0, account_id)])  # up to the largest: fine
    for delta in ((0, 0, 0, 1, account_id), (0, 1, 0, 0, account_id), (0, 0, 0, MAX_AMOUNT, account_id)):
        savepoint = None if is_sqlite else session.begin_nested()
        with pytest.raises(BalanceOverflow):
            repository.add_to_balances(session, [delta])
        if savepoint is not None:
            savepoint.rollback()
    session.expire_all()
    assert _totals(session, "of:b") == (0, MAX_AMOUNT, 0, MAX_AMOUNT)
