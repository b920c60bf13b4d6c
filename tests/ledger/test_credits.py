"""``post_credits``: many credits from one account, written without the engine where every one of
them would be created, must leave exactly what ``post_or_raise`` leaves for the same transfers
(journal, balances, chain), and hand every other batch to the engine."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from seagreen.ledger import service
from seagreen.ledger.domain import MAX_AMOUNT, AccountFlags, Credit, TransferRequest, canonical_json_bytes
from seagreen.ledger.errors import AccountNotFound, TransferRejected
from seagreen.ledger.models import LedgerAccount, LedgerTransfer
from seagreen.ledger.service import AccountSpec

LIMITED = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
POOL = AccountSpec("cr:pool", "points", description="issuing")
NAMES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"),
    min_size=1,
    max_size=8,
)
MEMOS = st.dictionaries(
    st.text(max_size=6),
    st.one_of(
        st.none(),
        st.integers(-(2**53), 2**53),
        st.text(max_size=12),
        st.lists(st.integers(-(2**63), 2**63 - 1), max_size=3),
    ),
    max_size=4,
)


def state(session) -> tuple[dict, list, int]:
    """Every account's balance and every journal row with accounts named by key (ids depend on
    the database: PostgreSQL does not hand a rolled-back id out again), and the journal's length."""
    accounts = session.execute(select(LedgerAccount)).scalars().all()
    keys = {account.id: account.key for account in accounts}
    balances = {
        a.key: (a.unit, a.flags, a.description, a.debits_pending, a.debits_posted, a.credits_pending,
                a.credits_posted)
        for a in accounts
    }  # fmt: skip
    journal = [
        (t.seq, t.key, keys[t.debit_account_id], keys[t.credit_account_id], t.amount, t.unit, t.flags,
         t.pending_seq, t.expires_at_us, t.code, t.memo, t.content_hash, t.created_at_us)
        for t in session.execute(select(LedgerTransfer).order_by(LedgerTransfer.seq)).scalars()
    ]  # fmt: skip
    return balances, journal, len(journal)


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[str], list[str], list[Credit]]:
    """Wallets that exist already, wallets to open, and a credit to some of each (unique keys and
    accounts, any text in their names and memos)."""
    names = draw(st.lists(NAMES, min_size=1, max_size=12, unique=True))
    old = [name for name in names if draw(st.booleans())]
    credited = [name for name in names if draw(st.integers(0, 3))]
    credits = [
        Credit(
            f"cr:t:{name}", f"cr:w:{name}", draw(st.integers(1, 10**12)), canonical_json_bytes(draw(MEMOS))
        )
        for name in credited
    ]
    return old, [name for name in names if name not in old], credits


def _prepare(session, old: list[str], *, pool_exists: bool) -> None:
    specs = [AccountSpec(f"cr:w:{name}", "points", LIMITED, "wallet") for name in old]
    service.open_accounts(session, ([POOL] if pool_exists else []) + specs)
    if old and pool_exists:  # some history: the pool has paid out, the old wallets hold points
        service.post_or_raise(
            session, [TransferRequest(f"cr:seed:{name}", POOL.key, f"cr:w:{name}", 3) for name in old]
        )
    session.flush()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=batches(), pool_exists=st.booleans())
def test_credits_leave_what_the_engine_leaves(session, batch, pool_exists):
    old, new, credits = batch
    outer = session.begin_nested()
    try:
        _prepare(session, old, pool_exists=pool_exists)
        opening = [POOL, *(AccountSpec(f"cr:w:{name}", "points", LIMITED, "wallet") for name in old + new)]
        requests = [
            TransferRequest(
                c.key, POOL.key, c.credit_account, c.amount, "earn", memo=orjson.loads(c.memo_json)
            )
            for c in credits
        ]

        engine = session.begin_nested()
        service.post_or_raise(session, requests, now_us=7_000, opening=opening)
        expected = state(session)
        engine.rollback()
        session.expire_all()

        created = service.post_credits(session, POOL.key, credits, code="earn", now_us=7_000, opening=opening)
        assert created == len(credits)
        assert state(session) == expected
        report = service.verify(session)
        assert report.ok, report.problems
    finally:
        outer.rollback()
        session.expire_all()


def test_the_common_case_does_not_run_the_engine(session, monkeypatch):
    """New keys to new and old wallets: written by ``credit_rows``, not ``apply_batch``."""
    _prepare(session, ["a"], pool_exists=True)

    def engine(*_args, **_kwargs):
        raise AssertionError("the engine ran")

    monkeypatch.setattr(service, "apply_batch", engine)
    credits = [Credit("cr:t:a", "cr:w:a", 5, b"{}"), Credit("cr:t:b", "cr:w:b", 7, b'{"n":1}')]
    opening = [
        POOL,
        AccountSpec("cr:w:a", "points", LIMITED, "wallet"),
        AccountSpec("cr:w:b", "points", LIMITED, "wallet"),
    ]
    assert service.post_credits(session, POOL.key, credits, code="earn", opening=opening) == 2
    assert service.balance(session, "cr:w:b").credits_posted == 7
    assert service.balance(session, POOL.key).debits_posted == 3 + 12


def test_a_batch_posted_again_creates_nothing(session):
    """A settlement retried after its answer was lost: the engine finds every key with the same
    content (nothing created), and refuses one whose content differs."""
    _prepare(session, [], pool_exists=True)
    opening = [POOL, AccountSpec("cr:w:a", "points", LIMITED, "wallet")]
    credits = [Credit("cr:t:a", "cr:w:a", 5, b'{"n":1}')]
    assert service.post_credits(session, POOL.key, credits, code="earn", opening=opening) == 1
    before = state(session)
    assert service.post_credits(session, POOL.key, credits, code="earn", opening=opening) == 0
    assert state(session) == before
    with pytest.raises(TransferRejected) as refused:
        service.post_credits(session, POOL.key, [credits[0]._replace(amount=6)], code="earn", opening=opening)
    assert refused.value.details["outcome"] == "exists_with_different_content"


@pytest.mark.parametrize(
    "case",
    [
        "limited debit",
        "unknown account",
        "same account twice",
        "debit credited",
        "empty key",
        "sum overflows",
    ],
)
def test_other_batches_get_the_engines_answer(session, case):
    _prepare(session, ["a", "b"], pool_exists=True)
    opening = [POOL]
    debit = POOL.key
    credits = [Credit("cr:t:1", "cr:w:a", 1, b"{}"), Credit("cr:t:2", "cr:w:b", 1, b"{}")]
    if case == "limited debit":  # a wallet cannot pay out more than it holds (3)
        debit, credits = "cr:w:a", [Credit("cr:t:1", "cr:w:b", 4, b"{}")]
    elif case == "unknown account":
        credits = [*credits, Credit("cr:t:3", "cr:w:nobody", 1, b"{}")]
    elif case == "same account twice":
        credits = [*credits, Credit("cr:t:3", "cr:w:a", 2, b"{}")]
    elif case == "debit credited":
        credits = [*credits, Credit("cr:t:3", POOL.key, 2, b"{}")]
    elif case == "sum overflows":  # each amount fits, their sum would pass the pool's total
        credits = [
            Credit("cr:t:1", "cr:w:a", MAX_AMOUNT // 2 + 1, b"{}"),
            Credit("cr:t:2", "cr:w:b", MAX_AMOUNT // 2 + 1, b"{}"),
        ]
    else:
        credits = [*credits, Credit("", "cr:w:a", 2, b"{}")]
    requests = [TransferRequest(c.key, debit, c.credit_account, c.amount, "earn") for c in credits]

    engine = session.begin_nested()
    try:
        service.post_or_raise(session, requests, now_us=9, opening=opening)
        expected: object = ("ok", state(session))
    except (TransferRejected, AccountNotFound) as exc:
        expected = ("refused", type(exc), str(exc))
    engine.rollback()
    session.expire_all()

    try:
        service.post_credits(session, debit, credits, code="earn", now_us=9, opening=opening)
        got: object = ("ok", state(session))
    except (TransferRejected, AccountNotFound) as exc:
        got = ("refused", type(exc), str(exc))
    assert got == expected
    if case != "same account twice":
        assert got[0] == "refused"
