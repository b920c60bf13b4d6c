"""The pure ledger engine, without a database."""

from __future__ import annotations

from seagreen.ledger.domain import (
    AccountFlags,
    Balance,
    ExistingTransfer,
    Outcome,
    PendingInfo,
    TransferFlags,
    TransferRequest,
    apply_batch,
)

WALLET, POOL, SINK, GRAMS = "wallet", "pool", "sink", "grams"
IDS = {WALLET: 1, POOL: 2, SINK: 3, GRAMS: 4}
LINKED = TransferFlags.LINKED


def fresh(wallet_credits: int = 100) -> dict[int, Balance]:
    return {
        1: Balance(1, "points", AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS, credits_posted=wallet_credits),
        2: Balance(2, "points", 0, debits_posted=wallet_credits),
        3: Balance(3, "points", AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS),
        4: Balance(4, "g_co2e", 0),
    }


def run(requests, balances=None, existing=None, pendings=None, now=1_000):
    return apply_batch(requests, IDS, balances or fresh(), existing or {}, pendings or {}, now)


def outcomes(batch):
    return batch.outcomes


def test_posted_transfer_moves_the_amount():
    batch = run([TransferRequest("a", WALLET, POOL, 30)])
    assert outcomes(batch) == [Outcome.CREATED]
    assert batch.balances[1].net_credit == 70
    assert batch.balances[2].net_credit == -70


def test_rejects_a_debit_beyond_the_credits_of_a_guarded_wallet():
    batch = run([TransferRequest("a", WALLET, POOL, 101)])
    assert outcomes(batch) == [Outcome.EXCEEDS_CREDITS]
    assert batch.created == []


def test_rejects_a_credit_beyond_the_debits_of_a_guarded_account():
    batch = run([TransferRequest("a", POOL, SINK, 1)])
    assert outcomes(batch) == [Outcome.EXCEEDS_DEBITS]


def test_rejects_transfers_between_units_same_account_and_non_positive_amounts():
    batch = run(
        [
            TransferRequest("a", POOL, GRAMS, 1),
            TransferRequest("b", POOL, POOL, 1),
            TransferRequest("c", POOL, WALLET, 0),
            TransferRequest("d", "nobody", WALLET, 1),
            TransferRequest("e", POOL, "nobody", 1),
            TransferRequest("", POOL, WALLET, 1),
        ]
    )
    assert outcomes(batch) == [
        Outcome.UNITS_MUST_MATCH,
        Outcome.ACCOUNTS_MUST_BE_DIFFERENT,
        Outcome.AMOUNT_MUST_BE_POSITIVE,
        Outcome.DEBIT_ACCOUNT_NOT_FOUND,
        Outcome.CREDIT_ACCOUNT_NOT_FOUND,
        Outcome.KEY_MUST_NOT_BE_EMPTY,
    ]


def test_linked_chain_fails_as_a_whole_and_leaves_no_trace():
    batch = run(
        [
            TransferRequest("a", WALLET, POOL, 60, flags=LINKED),
            TransferRequest("b", WALLET, POOL, 60),
            TransferRequest("c", WALLET, POOL, 10),
        ]
    )
    assert outcomes(batch) == [Outcome.LINKED_EVENT_FAILED, Outcome.EXCEEDS_CREDITS, Outcome.CREATED]
    assert [new.key for new in batch.created] == ["c"]
    assert batch.balances[1].net_credit == 90


def test_each_transfer_in_a_chain_sees_the_previous_ones():
    batch = run(
        [
            TransferRequest("a", POOL, WALLET, 50, flags=LINKED),
            TransferRequest("b", WALLET, POOL, 150),
        ]
    )
    assert outcomes(batch) == [Outcome.CREATED, Outcome.CREATED]
    assert batch.balances[1].net_credit == 0


def test_a_chain_left_open_at_the_end_of_the_batch_fails():
    batch = run([TransferRequest("a", WALLET, POOL, 1), TransferRequest("b", WALLET, POOL, 1, flags=LINKED)])
    assert outcomes(batch) == [Outcome.CREATED, Outcome.LINKED_EVENT_CHAIN_OPEN]
    assert batch.balances[1].net_credit == 99


def test_same_key_same_content_exists_and_different_content_conflicts():
    request = TransferRequest("a", WALLET, POOL, 10)
    existing = {"a": ExistingTransfer(seq=7, content_hash=request.content_hash())}
    batch = run([request, TransferRequest("a", WALLET, POOL, 11)], existing=existing)
    assert outcomes(batch) == [Outcome.EXISTS, Outcome.EXISTS_WITH_DIFFERENT_CONTENT]
    assert batch.created == []


def test_a_key_repeated_within_one_batch_is_created_once():
    batch = run([TransferRequest("a", WALLET, POOL, 10), TransferRequest("a", WALLET, POOL, 10)])
    assert outcomes(batch) == [Outcome.CREATED, Outcome.EXISTS]
    assert batch.balances[1].net_credit == 90


def pending(amount=40, expires=None, resolved=False):
    return PendingInfo(
        seq=5,
        debit_account_id=1,
        credit_account_id=2,
        amount=amount,
        unit="points",
        flags=int(TransferFlags.PENDING),
        expires_at_us=expires,
        resolved=resolved,
    )


def held(amount=40):
    balances = fresh()
    balances[1].debits_pending = amount
    balances[2].credits_pending = amount
    return balances


def test_pending_transfer_reserves_and_counts_against_the_limit():
    batch = run(
        [
            TransferRequest("hold", WALLET, POOL, 80, flags=TransferFlags.PENDING, timeout_s=60),
            TransferRequest("spend", WALLET, POOL, 30),
        ]
    )
    assert outcomes(batch) == [Outcome.CREATED, Outcome.EXCEEDS_CREDITS]
    assert batch.balances[1].available == 20
    assert batch.created[0].expires_at_us == 1_000 + 60_000_000


def test_posting_part_of_a_pending_transfer_returns_the_rest():
    post = TransferRequest("p", pending_key="hold", amount=25, flags=TransferFlags.POST_PENDING)
    batch = run([post], balances=held(), pendings={"hold": pending()})
    assert outcomes(batch) == [Outcome.CREATED]
    wallet = batch.balances[1]
    assert (wallet.debits_pending, wallet.debits_posted, wallet.available) == (0, 25, 75)


def test_voiding_releases_the_whole_reservation():
    void = TransferRequest("v", pending_key="hold", flags=TransferFlags.VOID_PENDING)
    batch = run([void], balances=held(), pendings={"hold": pending()})
    assert outcomes(batch) == [Outcome.CREATED]
    assert batch.balances[1].available == 100


def test_a_pending_transfer_resolves_at_most_once():
    post = TransferRequest("p", pending_key="hold", flags=TransferFlags.POST_PENDING)
    void = TransferRequest("v", pending_key="hold", flags=TransferFlags.VOID_PENDING)
    batch = run([post, void], balances=held(), pendings={"hold": pending()})
    assert outcomes(batch) == [Outcome.CREATED, Outcome.PENDING_TRANSFER_ALREADY_RESOLVED]
    already = run([void], balances=held(), pendings={"hold": pending(resolved=True)})
    assert outcomes(already) == [Outcome.PENDING_TRANSFER_ALREADY_RESOLVED]


def test_an_expired_hold_cannot_be_posted_but_can_be_expired():
    post = TransferRequest("p", pending_key="hold", flags=TransferFlags.POST_PENDING)
    expire = TransferRequest("x", pending_key="hold", flags=TransferFlags.EXPIRE_PENDING)
    batch = run([post, expire], balances=held(), pendings={"hold": pending(expires=500)})
    assert outcomes(batch) == [Outcome.PENDING_TRANSFER_EXPIRED, Outcome.CREATED]
    assert batch.balances[1].available == 100


def test_posting_more_than_was_held_is_refused():
    post = TransferRequest("p", pending_key="hold", amount=41, flags=TransferFlags.POST_PENDING)
    batch = run([post], balances=held(), pendings={"hold": pending()})
    assert outcomes(batch) == [Outcome.EXCEEDS_PENDING_AMOUNT]


def test_timeout_only_on_pending_and_one_kind_of_flag_at_a_time():
    batch = run(
        [
            TransferRequest("a", WALLET, POOL, 1, timeout_s=5),
            TransferRequest("b", WALLET, POOL, 1, flags=TransferFlags.PENDING | TransferFlags.VOID_PENDING),
            TransferRequest("c", pending_key="none", flags=TransferFlags.VOID_PENDING),
        ]
    )
    assert outcomes(batch) == [
        Outcome.TIMEOUT_RESERVED_FOR_PENDING,
        Outcome.FLAGS_ARE_MUTUALLY_EXCLUSIVE,
        Outcome.PENDING_TRANSFER_NOT_FOUND,
    ]


def test_a_new_transfer_carries_the_journal_fields_in_journal_order():
    import inspect

    from seagreen.ledger.domain import NewTransfer, journal_fields

    journal = list(inspect.signature(journal_fields).parameters)
    assert journal[0] == "seq" and journal[-1] == "created_at_us"
    assert list(NewTransfer._fields[1:]) == journal[1:-1]
