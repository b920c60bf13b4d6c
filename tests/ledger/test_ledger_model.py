"""Hypothesis stateful test: the database ledger against a simple reference model.

The model is written independently of ``seagreen.ledger.domain``: plain dictionaries, a copy of
the whole state per linked chain. After every step the ledger must agree with it on every
balance, and the invariants must hold: conservation per unit, no overdraft on guarded accounts,
idempotent retries, all-or-nothing chains, and pending transfers that post, void or expire once.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from seagreen.ledger import service
from seagreen.ledger.domain import AccountFlags, TransferFlags, TransferRequest
from seagreen.ledger.service import AccountSpec

ACCOUNTS = {
    "issuer": ("points", AccountFlags.NONE),
    "alice": ("points", AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
    "bob": ("points", AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
    "cap": ("points", AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS),
    "grams": ("g_co2e", AccountFlags.NONE),
}
NAMES = sorted(ACCOUNTS)
SECOND = 1_000_000


@dataclass
class ModelState:
    balances: dict[str, list[int]] = field(default_factory=lambda: {n: [0, 0, 0, 0] for n in NAMES})
    transfers: dict[str, tuple] = field(default_factory=dict)
    pendings: dict[str, dict] = field(default_factory=dict)


def content(request: TransferRequest) -> tuple:
    return (
        request.debit_account,
        request.credit_account,
        request.amount,
        request.code,
        int(request.flags),
        request.pending_key,
        request.timeout_s,
    )


class Model:
    """What the ledger should do, in the most obvious code."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.state = ModelState()

    def name(self, key: str) -> str:
        return key.removeprefix(self.prefix)

    def apply_one(self, state: ModelState, request: TransferRequest, now: int) -> bool:
        if request.key in state.transfers:
            return state.transfers[request.key] == content(request)
        flags = request.flags & ~TransferFlags.LINKED
        if flags & (TransferFlags.POST_PENDING | TransferFlags.VOID_PENDING):
            hold = state.pendings.get(request.pending_key or "")
            if hold is None or hold["resolved"]:
                return False
            if hold["expires"] is not None and hold["expires"] <= now:
                return False
            amount = hold["amount"]
            if flags & TransferFlags.POST_PENDING and request.amount is not None:
                if not 0 < request.amount <= hold["amount"]:
                    return False
                amount = request.amount
            debit, credit = state.balances[hold["debit"]], state.balances[hold["credit"]]
            debit[0] -= hold["amount"]
            credit[2] -= hold["amount"]
            if flags & TransferFlags.POST_PENDING:
                debit[1] += amount
                credit[3] += amount
            hold["resolved"] = True
            state.transfers[request.key] = content(request)
            return True
        debit_name, credit_name = self.name(request.debit_account), self.name(request.credit_account)
        if debit_name == credit_name or request.amount is None or request.amount <= 0:
            return False
        if ACCOUNTS[debit_name][0] != ACCOUNTS[credit_name][0]:
            return False
        debit, credit = state.balances[debit_name], state.balances[credit_name]
        if ACCOUNTS[debit_name][1] & AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS and (
            debit[0] + debit[1] + request.amount > debit[3]
        ):
            return False
        if ACCOUNTS[credit_name][1] & AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS and (
            credit[2] + credit[3] + request.amount > credit[1]
        ):
            return False
        if flags & TransferFlags.PENDING:
            debit[0] += request.amount
            credit[2] += request.amount
            expires = now + request.timeout_s * SECOND if request.timeout_s else None
            state.pendings[request.key] = {
                "debit": debit_name,
                "credit": credit_name,
                "amount": request.amount,
                "expires": expires,
                "resolved": False,
            }
        else:
            debit[1] += request.amount
            credit[3] += request.amount
        state.transfers[request.key] = content(request)
        return True

    def apply_batch(self, requests: list[TransferRequest], now: int) -> list[bool]:
        oks: list[bool] = []
        chain: list[TransferRequest] = []
        for index, request in enumerate(requests):
            chain.append(request)
            last = index == len(requests) - 1
            if request.flags & TransferFlags.LINKED and not last:
                continue
            open_chain = bool(request.flags & TransferFlags.LINKED)
            trial = copy.deepcopy(self.state)
            results = [self.apply_one(trial, r, now) for r in chain]
            if all(results) and not open_chain:
                self.state = trial
                oks.extend(results)
            elif len(chain) == 1 and not open_chain:
                oks.append(False)
            else:
                oks.extend([False] * len(chain))
            chain = []
        return oks

    def expire(self, now: int) -> int:
        released = 0
        for hold in self.state.pendings.values():
            if not hold["resolved"] and hold["expires"] is not None and hold["expires"] <= now:
                self.state.balances[hold["debit"]][0] -= hold["amount"]
                self.state.balances[hold["credit"]][2] -= hold["amount"]
                hold["resolved"] = True
                released += 1
        return released


class LedgerMachine(RuleBasedStateMachine):
    session = None  # set by the test

    def __init__(self) -> None:
        super().__init__()
        self.savepoint = self.session.begin_nested()
        self.prefix = f"m{uuid.uuid4().hex[:10]}:"
        self.model = Model(self.prefix)
        self.now = 1_700_000_000 * SECOND
        self.counter = 0
        self.sent: list[TransferRequest] = []
        service.open_accounts(
            self.session, [AccountSpec(self.prefix + n, u, f) for n, (u, f) in ACCOUNTS.items()]
        )
        self.submit(
            [
                TransferRequest(self.key(), self.account("issuer"), self.account(n), 100)
                for n in ("alice", "bob")
            ]
        )

    def teardown(self) -> None:
        self.savepoint.rollback()

    def key(self) -> str:
        self.counter += 1
        return f"{self.prefix}t{self.counter}"

    def account(self, name: str) -> str:
        return self.prefix + name

    def submit(self, requests: list[TransferRequest]) -> None:
        results = service.post_transfers(self.session, requests, now_us=self.now)
        expected = self.model.apply_batch(requests, self.now)
        assert [r.outcome.ok for r in results] == expected, [r.outcome for r in results]
        self.sent.extend(requests)

    @rule(
        legs=st.lists(
            st.tuples(
                st.sampled_from(["alice", "alice", "bob", "issuer", "cap", "grams"]),
                st.sampled_from(["bob", "bob", "issuer", "issuer", "alice", "cap", "grams"]),
                st.integers(min_value=-1, max_value=80),
                st.booleans(),
                st.sampled_from([None, None, 30, 120]),
            ),
            min_size=1,
            max_size=3,
        ),
        link=st.sampled_from([False, False, True]),
    )
    def post_batch(self, legs, link):
        requests = []
        for index, (debit, credit, amount, is_pending, timeout) in enumerate(legs):
            flags = TransferFlags.NONE
            if link and index < len(legs) - 1:
                flags |= TransferFlags.LINKED
            if is_pending:
                flags |= TransferFlags.PENDING
            requests.append(
                TransferRequest(
                    self.key(),
                    self.account(debit),
                    self.account(credit),
                    amount,
                    "move",
                    flags,
                    timeout_s=timeout if is_pending else None,
                )
            )
        self.submit(requests)

    @rule(amount=st.integers(min_value=1, max_value=200), who=st.sampled_from(["alice", "bob", "cap"]))
    def fund(self, amount, who):
        self.submit([TransferRequest(self.key(), self.account("issuer"), self.account(who), amount, "fund")])

    @precondition(lambda self: bool(self.sent))
    @rule(data=st.data(), change=st.booleans())
    def retry(self, data, change):
        previous = data.draw(st.sampled_from(self.sent))
        if change:
            previous = TransferRequest(
                previous.key,
                previous.debit_account,
                previous.credit_account,
                (previous.amount or 0) + 1,
                previous.code,
                previous.flags,
                previous.pending_key,
                previous.timeout_s,
            )
        self.submit([previous])

    @precondition(lambda self: bool(self.model.state.pendings))
    @rule(
        data=st.data(),
        post=st.booleans(),
        partial=st.integers(min_value=-1, max_value=130),
        link=st.booleans(),
    )
    def resolve(self, data, post, partial, link):
        hold_key = data.draw(st.sampled_from(sorted(self.model.state.pendings)))
        amount = None if partial < 0 or not post else partial
        flags = TransferFlags.POST_PENDING if post else TransferFlags.VOID_PENDING
        requests = [
            TransferRequest(
                self.key(),
                pending_key=hold_key,
                amount=amount,
                code="resolve",
                flags=flags | (TransferFlags.LINKED if link else TransferFlags.NONE),
            )
        ]
        if link:
            requests.append(
                TransferRequest(self.key(), self.account("alice"), self.account("bob"), 1, "tail")
            )
        self.submit(requests)

    @rule(seconds=st.integers(min_value=1, max_value=200))
    def advance_time_and_expire(self, seconds):
        self.now += seconds * SECOND
        released = service.expire_pending(self.session, now_us=self.now)
        assert released == self.model.expire(self.now)

    @invariant()
    def balances_match_the_model_and_obey_their_flags(self):
        actual = service.balances(self.session, [self.account(n) for n in NAMES])
        per_unit: dict[str, list[int]] = {}
        for name in NAMES:
            balance = actual[self.account(name)]
            got = [
                balance.debits_pending,
                balance.debits_posted,
                balance.credits_pending,
                balance.credits_posted,
            ]
            assert got == self.model.state.balances[name], name
            unit, flags = ACCOUNTS[name]
            totals = per_unit.setdefault(unit, [0, 0])
            totals[0] += balance.credits_posted - balance.debits_posted
            totals[1] += balance.credits_pending - balance.debits_pending
            if flags & AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS:
                assert balance.debits_pending + balance.debits_posted <= balance.credits_posted
            if flags & AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS:
                assert balance.credits_pending + balance.credits_posted <= balance.debits_posted
        assert all(totals == [0, 0] for totals in per_unit.values()), per_unit


@pytest.mark.slow
def test_ledger_agrees_with_the_reference_model(session):
    LedgerMachine.session = session
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=80,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    assert service.verify(session).ok
