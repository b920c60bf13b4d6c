import pytest

from seagreen.ledger import service
from seagreen.ledger.domain import AccountFlags, Outcome, TransferRequest
from seagreen.ledger.service import AccountSpec


def test_transfer_moves_points_and_verify_passes(session):
    service.open_accounts(
        session,
        [
            AccountSpec("platform:points", "points", AccountFlags.NONE),
            AccountSpec("resident:1:points", "points", AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
        ],
    )
    results = service.post_transfers(
        session, [TransferRequest("t1", "platform:points", "resident:1:points", 100)]
    )
    assert results[0].outcome is Outcome.CREATED
    assert service.balance(session, "resident:1:points").net_credit == 100
    report = service.verify(session)
    assert report.ok, report.problems


def test_an_account_rolled_back_is_not_remembered_by_the_account_cache(session):
    service.open_accounts(session, [AccountSpec("cache:pool", "points")])
    savepoint = session.begin_nested()
    service.open_accounts(session, [AccountSpec("cache:gone", "points")])
    gone_id = service.balance(session, "cache:gone").account_id
    assert service.post_transfers(session, [TransferRequest("c1", "cache:pool", "cache:gone", 5)])[
        0
    ].outcome.ok
    savepoint.rollback()

    service.open_accounts(session, [AccountSpec("cache:new", "g_co2e")])
    if session.get_bind().dialect.name == "sqlite":  # SQLite hands the rolled-back id out again
        assert service.balance(session, "cache:new").account_id == gone_id
    refused = service.post_transfers(session, [TransferRequest("c2", "cache:pool", "cache:gone", 5)])
    assert refused[0].outcome is Outcome.CREDIT_ACCOUNT_NOT_FOUND
    wrong_unit = service.post_transfers(session, [TransferRequest("c3", "cache:pool", "cache:new", 5)])
    assert wrong_unit[0].outcome is Outcome.UNITS_MUST_MATCH
    assert service.verify(session).ok


def test_postings_to_accounts_just_opened_need_no_second_look_up(session, monkeypatch):
    """``open_accounts`` leaves the accounts it read or made in the account directory, under the
    epoch it wrote, so postings that follow in the same transaction look none of them up again
    (a settlement of a file's 100k new residents spent half a second in that look-up), and the
    opening itself knows the new accounts' ids before their insert (``reserve_account_ids``), not
    from a second look-up."""
    from seagreen.ledger import repository

    looked_up: list[int] = []
    steps: list[str] = []
    real, insert = repository.account_meta_by_key, repository.insert_accounts

    def counted(session, keys):
        looked_up.append(len(keys))
        steps.append("look-up")
        return real(session, keys)

    monkeypatch.setattr(repository, "account_meta_by_key", counted)
    monkeypatch.setattr(repository, "insert_accounts", lambda *a: steps.append("insert") or insert(*a))
    opened = service.open_accounts(
        session,
        [AccountSpec("seed:pool", "points"), *(AccountSpec(f"seed:r{n}", "points") for n in range(50))],
    )
    # which of them exist is looked up (again under the lock on PostgreSQL); the new ones' ids
    # are reserved before their insert, not read in a look-up after it
    assert steps in (["look-up", "insert"], ["look-up", "look-up", "insert"])
    assert opened == {key: real(session, [key])[key][0] for key in opened}
    opening = len(looked_up)
    results = service.post_transfers(
        session, [TransferRequest(f"seed:t{n}", "seed:pool", f"seed:r{n}", 1) for n in range(50)]
    )
    assert all(result.outcome is Outcome.CREATED for result in results)
    assert len(looked_up) == opening
    assert service.balance(session, "seed:r7").net_credit == 1
    assert service.verify(session).ok


def test_releasing_expired_holds_is_audited(session):
    from sqlalchemy import text

    from seagreen.ledger.domain import TransferFlags

    service.open_accounts(
        session,
        [
            AccountSpec("hold:pool", "points"),
            AccountSpec("hold:w", "points", AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
        ],
    )
    service.transfer(session, "hold:fund", "hold:pool", "hold:w", 10)
    request = TransferRequest("hold:h1", "hold:w", "hold:pool", 4, flags=TransferFlags.PENDING, timeout_s=1)
    assert service.post_transfers(session, [request], now_us=1_000_000)[0].outcome is Outcome.CREATED
    assert service.expire_pending(session, now_us=3_000_000) >= 1
    assert service.balance(session, "hold:w").available == 10
    actions = session.execute(
        text("SELECT action FROM audit_events WHERE action = 'ledger.holds.expire'")
    ).all()
    assert actions


@pytest.mark.postgres
def test_account_pages_keep_room_for_balance_updates_on_postgresql(session):
    """Each transfer rewrites two account rows; with room on the page (fill factor 70, migration
    0410) PostgreSQL keeps those updates heap-only instead of adding index entries for each."""
    from sqlalchemy import text

    options = session.execute(
        text("SELECT reloptions FROM pg_class WHERE relname = 'ledger_accounts'")
    ).scalar()
    assert options == ["fillfactor=70"]


def test_opening_accounts_the_directory_holds_looks_none_of_them_up(session, monkeypatch):
    """A settlement opens the account of every resident it pays, most of them opened long before:
    those this process's account directory holds (under the epoch the head has) are not looked
    up again (the real-time API settles a thousand residents a request)."""
    from seagreen.ledger import repository
    from seagreen.ledger.errors import AccountConflict

    specs = [AccountSpec("dir:pool", "points"), *(AccountSpec(f"dir:r{n}", "points") for n in range(20))]
    first = service.open_accounts(session, specs)
    looked_up: list[list[str]] = []
    real = repository.account_meta_by_key

    def counted(session, keys):
        looked_up.append(list(keys))
        return real(session, keys)

    monkeypatch.setattr(repository, "account_meta_by_key", counted)
    assert service.open_accounts(session, specs) == first
    assert looked_up == []
    more = service.open_accounts(session, [*specs, AccountSpec("dir:r20", "points")])
    assert looked_up[0] == ["dir:r20"]  # only the key it does not hold
    assert more["dir:r20"] == service.balance(session, "dir:r20").account_id
    with pytest.raises(AccountConflict):  # held with another unit: still refused
        service.open_accounts(session, [AccountSpec("dir:r3", "g_co2e")])
