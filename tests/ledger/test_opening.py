"""Accounts opened by the posting that moves them (``post_transfers(..., opening=...)``): the
same journal and balances as ``open_accounts`` followed by the posting, each new account written
once with the balance the batch leaves on it."""

import pytest
from sqlalchemy import select

from seagreen.ledger import repository, service
from seagreen.ledger.domain import AccountFlags, Outcome, TransferFlags, TransferRequest
from seagreen.ledger.errors import AccountConflict
from seagreen.ledger.models import LedgerAccount, LedgerTransfer
from seagreen.ledger.service import AccountSpec

LIMITED = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
SPECS = [
    AccountSpec("open:pool", "points", description="the pool"),
    *(AccountSpec(f"open:r{n}", "points", LIMITED, "a wallet") for n in range(6)),
]


def batch() -> list[TransferRequest]:
    """Credits to old and new wallets, a hold on a new one, one refused (a new wallet cannot pay
    out what it does not have) and one new wallet that nothing moves."""
    return [
        TransferRequest("open:t0", "open:pool", "open:r0", 5, memo={"n": 0}),
        TransferRequest("open:t1", "open:pool", "open:r3", 7),
        TransferRequest("open:t2", "open:pool", "open:r4", 4, flags=TransferFlags.PENDING, timeout_s=60),
        TransferRequest("open:t3", "open:r5", "open:pool", 1),  # refused: r5 is new and empty
        TransferRequest("open:t4", "open:r3", "open:r0", 2),
    ]


def state(session) -> tuple[dict, list]:
    """Every account's balance and every journal row, accounts named by key (ids depend on the
    database: PostgreSQL does not hand a rolled-back id out again)."""
    accounts = session.execute(select(LedgerAccount)).scalars().all()
    keys = {account.id: account.key for account in accounts}
    balances = {
        a.key: (
            a.unit,
            a.flags,
            a.description,
            a.debits_pending,
            a.debits_posted,
            a.credits_pending,
            a.credits_posted,
        )
        for a in accounts
    }
    journal = [
        (
            t.seq,
            t.key,
            keys[t.debit_account_id],
            keys[t.credit_account_id],
            t.amount,
            t.flags,
            t.memo,
            t.content_hash,
        )
        for t in session.execute(select(LedgerTransfer).order_by(LedgerTransfer.seq)).scalars()
    ]
    return balances, journal


def test_opening_with_the_posting_leaves_what_opening_then_posting_leaves(session):
    service.open_accounts(session, SPECS[:3])  # the pool and two wallets exist already
    service.post_or_raise(session, [TransferRequest("open:seed", "open:pool", "open:r1", 3)])
    session.flush()

    apart = session.begin_nested()
    service.open_accounts(session, SPECS)
    expected_results = service.post_transfers(session, batch(), now_us=1_000)
    expected = state(session)
    apart.rollback()
    session.expire_all()

    results = service.post_transfers(session, batch(), now_us=1_000, opening=SPECS)
    assert [(r.outcome, r.seq) for r in results] == [(r.outcome, r.seq) for r in expected_results]
    assert results[3].outcome is Outcome.EXCEEDS_CREDITS
    assert state(session) == expected
    assert service.balance(session, "open:r3").net_credit == 5  # 7 in, 2 out
    assert service.balance(session, "open:r4").credits_pending == 4
    assert service.balance(session, "open:r2").net_credit == 0  # opened, nothing moved it
    report = service.verify(session)  # the chain covers the stored ids; balances match the journal
    assert report.ok, report.problems


def test_accounts_opened_by_a_posting_are_written_once_and_remembered(session, monkeypatch):
    service.open_accounts(session, SPECS[:1])
    written: list[list[repository.NewAccount]] = []
    updated: list[int] = []
    insert, add = repository.insert_accounts, repository.add_to_balances
    monkeypatch.setattr(
        repository, "insert_accounts", lambda s, rows: written.append(rows) or insert(s, rows)
    )
    monkeypatch.setattr(
        repository,
        "add_to_balances",
        lambda s, deltas: updated.extend(d[-1] for d in deltas) or add(s, deltas),
    )
    requests = [TransferRequest(f"once:{n}", "open:pool", f"open:r{n}", n + 1) for n in range(6)]
    service.post_or_raise(session, requests, opening=SPECS)
    (rows,) = written
    assert [(row.key, row.credits_posted) for row in rows] == [(f"open:r{n}", n + 1) for n in range(6)]
    pool = service.balance(session, "open:pool")
    assert updated == [pool.account_id]  # the new wallets are not updated after their insert
    assert pool.debits_posted == 21

    looked_up: list[list[str]] = []
    real = repository.account_meta_by_key
    monkeypatch.setattr(
        repository, "account_meta_by_key", lambda s, keys: looked_up.append(keys) or real(s, keys)
    )
    again = service.post_transfers(session, [TransferRequest("once:back", "open:r5", "open:pool", 6)])
    assert again[0].outcome is Outcome.CREATED
    assert looked_up == []  # the accounts it opened are in this transaction's directory
    assert service.verify(session).ok


def test_opening_an_account_that_exists_with_other_flags_is_a_conflict(session):
    service.open_accounts(session, [AccountSpec("open:r0", "points")])
    with pytest.raises(AccountConflict):
        service.post_transfers(session, [TransferRequest("c:1", "open:pool", "open:r0", 1)], opening=SPECS)


def test_new_accounts_take_ids_no_account_has_before_they_are_written(session, monkeypatch):
    """A posting that opens accounts gives them their ids before it applies the batch
    (``reserve_account_ids``): the rows are written with exactly those ids, the journal names them,
    later openings take other ids, and the ledger verifies."""
    service.open_accounts(session, SPECS[:2])
    session.flush()
    reserved: list[list[int]] = []
    reserve = repository.reserve_account_ids
    monkeypatch.setattr(
        repository, "reserve_account_ids", lambda s, count: reserved.append(reserve(s, count)) or reserved[-1]
    )
    service.post_or_raise(
        session,
        [TransferRequest(f"ids:t{n}", "open:pool", f"open:r{n}", n + 1) for n in range(2, 5)],
        opening=SPECS,
    )
    session.flush()
    service.open_accounts(session, [AccountSpec("open:later", "points")])
    session.flush()
    ids = {a.key: a.id for a in session.execute(select(LedgerAccount)).scalars()}
    assert len(set(ids.values())) == len(ids)  # (other tests' accounts may be there too)
    assert reserved[0] == [ids[spec.key] for spec in SPECS[2:]]  # the five new wallets, in order
    assert reserved[1] == [ids["open:later"]]
    assert min(reserved[0]) > max(ids[spec.key] for spec in SPECS[:2])
    credited = {
        t.credit_account_id: t.amount
        for t in session.execute(select(LedgerTransfer).where(LedgerTransfer.key.like("ids:%"))).scalars()
    }
    assert credited == {ids[f"open:r{n}"]: n + 1 for n in range(2, 5)}
    report = service.verify(session)
    assert report.ok, report.problems
