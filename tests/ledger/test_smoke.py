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
