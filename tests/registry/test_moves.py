"""Transfers, sales, retirements and reversals: blocks split, the ledger follows, retired and
cancelled serials never move again, retries are idempotent, and a batch is all or nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from seagreen.ledger import service as ledger
from seagreen.registry import service
from seagreen.registry.errors import (
    BufferInsufficient,
    HolderInvalid,
    InsufficientCredits,
    OperationConflict,
    OperationInvalid,
    SerialsNotHeld,
)
from seagreen.registry.signing import verify_text
from tests.factories.registry import (
    AFTER_NOTICE,
    SIGNER,
    actor_for,
    oyster_project_with_credits,
    retirement,
    sale,
    transfer,
)

WHEN = AFTER_NOTICE + timedelta(days=20)


def move(session, actor, *requests):
    return service.move(session, list(requests), actor=actor, signer=SIGNER, now=WHEN)


def holding(session, org: str, code: str, state: str = "active") -> int:
    return sum(
        h.quantity for h in service.holdings(session, org) if h.project_code == code and h.state == state
    )


def assert_consistent(session):
    report = service.consistency(session)
    assert report.ok, report.problems


def test_a_sale_moves_the_lowest_serials_and_splits_the_block(session, cast):
    code, issuance = oyster_project_with_credits(session, cast)  # 35 t: 31 to the owner, 4 to the buffer
    [result] = move(session, cast.owner_actor, sale("s1", code, 10, cast.bank, 6500))
    start = issuance.serial_start
    assert result.status == "created" and result.kind == "sale"
    assert result.blocks == [f"{issuance.block.rsplit('-', 2)[0]}-{start:09d}-{start + 9:09d}"]
    assert (result.price_yuan_per_t, result.amount_yuan) == ("65.00", "650.00")
    assert holding(session, cast.bank, code) == 10 and holding(session, cast.owner, code) == 21
    assert service.serial(session, start + 9).holder == cast.bank
    assert service.serial(session, start + 10).holder == cast.owner
    assert_consistent(session)


def test_the_ledger_holds_each_organisations_tonnes(session, cast):
    code, _ = oyster_project_with_credits(session, cast)
    move(session, cast.owner_actor, transfer("t1", code, cast.bank, 12))
    move(session, cast.bank_actor, retirement("r1", code, 5))
    bank = ledger.balance(session, f"registry:holdings:{cast.bank}")
    owner = ledger.balance(session, f"registry:holdings:{cast.owner}")
    assert (bank.net_credit, owner.net_credit) == (7, 19)
    assert ledger.balance(session, "registry:retired").net_credit >= 5
    assert ledger.verify(session).ok


def test_prices_of_sales_make_the_projects_price_history(session, cast):
    code, _ = oyster_project_with_credits(session, cast)
    move(
        session,
        cast.owner_actor,
        sale("s1", code, 5, cast.bank, 6000),
        sale("s2", code, 5, cast.other_bank, 7250),
    )
    move(session, cast.owner_actor, transfer("gift", code, cast.buyer, 1))
    prices = service.prices(session, code)
    assert [(p.price_yuan_per_t, p.quantity) for p in prices] == [("60.00", 5), ("72.50", 5)]


def test_a_retirement_records_its_beneficiary_and_signs_a_certificate(session, cast):
    code, issuance = oyster_project_with_credits(session, cast)
    move(session, cast.owner_actor, sale("s1", code, 20, cast.bank))
    [result] = move(
        session,
        cast.bank_actor,
        retirement("r1", code, 8, beneficiary_name="荣成支行", beneficiary_org=cast.branch),
    )
    assert result.retirement_number and result.retirement_number.startswith("SGWH-R-2024-")
    found = service.retirement(session, result.retirement_number)
    assert (found.quantity, found.beneficiary_name, found.beneficiary_org) == (8, "荣成支行", cast.branch)
    document = service.certificate_json(session, result.retirement_number)
    assert verify_text(document, SIGNER.public_key).valid
    body = json.loads(document)["certificate"]
    assert body["serials"][0]["receipt_sha256"] == issuance.receipt_sha256
    assert body["ledger"]["seq"] and body["project"]["code"] == code
    assert holding(session, cast.bank, code, "retired") == 8 and holding(session, cast.bank, code) == 12
    assert_consistent(session)


def test_retired_and_cancelled_serials_never_move_again(session, cast):
    code, issuance = oyster_project_with_credits(session, cast)
    first = issuance.serial_start
    move(session, cast.owner_actor, retirement("r1", code, serials=(first, first + 4)))
    for request in (
        transfer("t1", code, cast.bank, serials=(first, first + 1)),
        retirement("r2", code, serials=(first + 3, first + 6)),
    ):
        with pytest.raises(SerialsNotHeld, match=f"serial {first}|serial {first + 3}"):
            move(session, cast.owner_actor, request)
    buffer_first = issuance.serial_start + issuance.owner_quantity
    service.reverse(session, code, 1, "海草床退化", key="rv1", actor=cast.authority_actor, now=WHEN)
    assert service.serial(session, buffer_first).state == "cancelled"
    with pytest.raises(SerialsNotHeld):
        move(session, cast.owner_actor, transfer("t2", code, cast.bank, serials=(buffer_first, buffer_first)))


def test_an_exact_range_in_the_middle_of_a_block_leaves_three_blocks(session, cast):
    code, issuance = oyster_project_with_credits(session, cast)
    middle = issuance.serial_start + 10
    [result] = move(session, cast.owner_actor, transfer("t1", code, cast.bank, serials=(middle, middle + 2)))
    assert result.quantity == 3
    states = [service.serial(session, s).holder for s in (middle - 1, middle, middle + 2, middle + 3)]
    assert states == [cast.owner, cast.bank, cast.bank, cast.owner]
    assert_consistent(session)


def test_a_holder_cannot_move_more_than_it_has(session, cast):
    code, _ = oyster_project_with_credits(session, cast)
    with pytest.raises(InsufficientCredits, match="only 31 t available, 40 t asked"):
        move(session, cast.owner_actor, transfer("t1", code, cast.bank, 40))


@pytest.mark.parametrize(
    ("request_", "error", "message"),
    [
        (lambda c: transfer("t", c.code, c.owner, 1), OperationInvalid, "their own holder"),
        (lambda c: transfer("t", c.code, c.authority, 1), HolderInvalid, "cannot hold credits"),
        (lambda c: transfer("t", c.code, "no-such-org", 1), HolderInvalid, "no organisation"),
        (lambda c: sale("t", c.code, 1, c.bank, 0), OperationInvalid, "positive price"),
        (lambda c: retirement("t", c.code, 1, purpose=" "), OperationInvalid, "states its purpose"),
        (
            lambda c: retirement("t", c.code, 1, beneficiary_name=""),
            OperationInvalid,
            "names its beneficiary",
        ),
        (lambda c: retirement("t", c.code, 1, claim_end=None), OperationInvalid, "claimed period"),
        (lambda c: transfer("t", c.code, c.bank), OperationInvalid, "quantity or an exact serial range"),
    ],
)
def test_a_malformed_operation_is_refused_with_its_reason(session, cast, request_, error, message):
    code, _ = oyster_project_with_credits(session, cast)

    class Names:
        pass

    names = Names()
    names.__dict__.update(vars(cast), code=code)
    with pytest.raises(error, match=message):
        move(session, cast.owner_actor, request_(names))


def test_a_retry_with_the_same_key_moves_nothing_twice(session, cast):
    code, _ = oyster_project_with_credits(session, cast)
    [first] = move(session, cast.owner_actor, sale("deal-7", code, 4, cast.bank))
    [again] = move(session, cast.owner_actor, sale("deal-7", code, 4, cast.bank))
    assert again.status == "exists" and (again.id, again.blocks) == (first.id, first.blocks)
    assert holding(session, cast.bank, code) == 4
    with pytest.raises(OperationConflict, match="deal-7"):
        move(session, cast.owner_actor, sale("deal-7", code, 5, cast.bank))


def test_keys_are_scoped_to_the_sending_organisation(session, cast):
    code, _ = oyster_project_with_credits(session, cast)
    move(session, cast.owner_actor, sale("k1", code, 6, cast.bank))
    [bank_op] = move(session, cast.bank_actor, transfer("k1", code, cast.other_bank, 2))
    assert bank_op.status == "created"


def test_a_batch_repeating_a_key_applies_it_once(session, cast):
    code, _ = oyster_project_with_credits(session, cast)
    results = move(
        session, cast.owner_actor, transfer("a", code, cast.bank, 2), transfer("a", code, cast.bank, 2)
    )
    assert [r.status for r in results] == ["created", "exists"] and holding(session, cast.bank, code) == 2


def test_a_batch_is_all_or_nothing(session, cast):
    code, _ = oyster_project_with_credits(session, cast)
    savepoint = session.begin_nested()
    with pytest.raises(InsufficientCredits) as caught:
        move(
            session, cast.owner_actor, transfer("a", code, cast.bank, 20), transfer("b", code, cast.bank, 20)
        )
    savepoint.rollback()
    assert caught.value.details["index"] == 1 and "operation 1 (b)" in caught.value.message
    assert holding(session, cast.bank, code) == 0 and holding(session, cast.owner, code) == 31


def test_a_reversal_cancels_the_projects_buffer_first_then_the_pool(session, cast):
    first, first_issuance = oyster_project_with_credits(session, cast)  # 4 in its buffer
    second, second_issuance = oyster_project_with_credits(session, cast)  # 4 more in the pool
    result = service.reverse(
        session, second, 6, "台风损毁养殖筏架", key="typhoon", actor=cast.authority_actor, now=WHEN
    )
    assert result.kind == "reversal" and result.quantity == 6
    own = second_issuance.serial_start + second_issuance.owner_quantity
    assert all(service.serial(session, s).state == "cancelled" for s in range(own, own + 4))
    pooled = first_issuance.serial_start + first_issuance.owner_quantity
    assert [service.serial(session, s).state for s in range(pooled, pooled + 4)] == [
        "cancelled",
        "cancelled",
        "buffer",
        "buffer",
    ]
    again = service.reverse(
        session, second, 6, "台风损毁养殖筏架", key="typhoon", actor=cast.authority_actor, now=WHEN
    )
    assert again.status == "exists"
    with pytest.raises(BufferInsufficient, match="holds 2 t"):
        service.reverse(session, first, 3, "再次损失", key="again", actor=cast.authority_actor, now=WHEN)
    assert_consistent(session)
    assert ledger.balance(session, "registry:cancelled").net_credit >= 6


def test_the_holder_of_any_serial_and_its_history(session, cast):
    code, issuance = oyster_project_with_credits(session, cast)
    serial = issuance.serial_start + 2
    move(session, cast.owner_actor, sale("s", code, 5, cast.bank))
    move(session, cast.bank_actor, retirement("r", code, 3))
    found = service.serial(session, serial)
    assert (found.state, found.holder, found.project_code) == ("retired", cast.bank, code)
    assert [e.kind for e in found.history] == ["issuance", "sale", "retirement"]
    assert service.holder_of(session, serial) == ("retired", cast.bank)


def test_only_organisations_that_hold_credits_can_send_them(session, cast):
    code, _ = oyster_project_with_credits(session, cast)
    with pytest.raises(HolderInvalid, match="cannot hold"):
        move(session, actor_for(cast.authority), transfer("x", code, cast.bank, 1))
