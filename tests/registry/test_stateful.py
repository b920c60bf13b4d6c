"""Serial ranges against a reference model (Hypothesis stateful test, on the real database).

The model is a plain dict ``serial -> (project, state, holder)``. Rules issue credits through
reports, transfer and retire by quantity or by exact range (often ranges that are not held),
and record reversals. After every step: the blocks tile every issuance with no overlap, every
serial is in exactly the state and place the model says, the ledger balances equal the blocks,
the totals are conserved, and no retired or cancelled serial ever changed.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from seagreen.errors import DomainError
from seagreen.registry import service
from seagreen.registry.repository import blocks as block_repository
from tests.factories.registry import (
    AFTER_NOTICE,
    SIGNER,
    actor_for,
    filed_project,
    make_cast,
    oyster_inputs,
    project_body,
    retirement,
    transfer,
)

WHEN = AFTER_NOTICE + timedelta(days=30)
TERMINAL = ("retired", "cancelled")


class RegistryModel(RuleBasedStateMachine):
    def __init__(self, session, cast, projects):
        super().__init__()
        self.session = session
        self.cast = cast
        self.projects = projects
        self.holders = [cast.owner, cast.bank, cast.other_bank, cast.buyer]
        self.savepoint = session.begin_nested()
        self.model: dict[int, tuple[str, str, str | None]] = {}
        self.terminal: dict[int, tuple[str, str, str | None]] = {}
        self.day = {code: date(2010, 1, 1) for code in projects}
        self.keys = 0
        self.issued = 0

    def teardown(self) -> None:
        self.savepoint.rollback()

    def key(self) -> str:
        self.keys += 1
        return f"k{self.keys}"

    def attempt(self, action) -> bool:
        """Run ``action`` in a savepoint, as an entrypoint would; False if it was refused."""
        nested = self.session.begin_nested()
        try:
            action()
        except DomainError:
            nested.rollback()
            return False
        nested.commit()
        return True

    # ---- rules --------------------------------------------------------------------------------

    @rule(project=st.integers(0, 1), fresh=st.integers(3, 90))
    def issue(self, project, fresh):
        code = self.projects[project]
        day = self.day[code]
        self.day[code] = day + timedelta(days=1)
        report = service.submit_report(
            self.session, code, day, day, oyster_inputs(str(fresh)), actor=self.cast.owner_actor, now=WHEN
        )
        service.verify_report(self.session, report.id, "v", "s", actor=self.cast.authority_actor, now=WHEN)
        issuance = service.issue(self.session, report.id, actor=self.cast.authority_actor, now=WHEN)
        for serial in range(issuance.serial_start, issuance.serial_start + issuance.owner_quantity):
            self.model[serial] = (code, "active", self.cast.owner)
        for serial in range(issuance.serial_start + issuance.owner_quantity, issuance.serial_end + 1):
            self.model[serial] = (code, "buffer", None)
        self.issued += issuance.quantity

    def _lowest(self, code, holder, quantity):
        held = sorted(
            s for s, (p, state, h) in self.model.items() if p == code and state == "active" and h == holder
        )
        return held[:quantity] if len(held) >= quantity else None

    @precondition(lambda self: self.model)
    @rule(
        project=st.integers(0, 1),
        sender=st.integers(0, 3),
        receiver=st.integers(0, 3),
        quantity=st.integers(1, 25),
        retire=st.booleans(),
    )
    def move_by_quantity(self, project, sender, receiver, quantity, retire):
        code, source, target = self.projects[project], self.holders[sender], self.holders[receiver]
        if not retire and source == target:
            return
        request = (
            retirement(self.key(), code, quantity) if retire else transfer(self.key(), code, target, quantity)
        )
        expected = self._lowest(code, source, quantity)
        done = self.attempt(
            lambda: service.move(self.session, [request], actor=actor_for(source), signer=SIGNER, now=WHEN)
        )
        assert done == (expected is not None)
        for serial in expected or []:
            self.model[serial] = (code, "retired", source) if retire else (code, "active", target)

    @precondition(lambda self: self.model)
    @rule(
        project=st.integers(0, 1),
        sender=st.integers(0, 3),
        receiver=st.integers(0, 3),
        data=st.data(),
        retire=st.booleans(),
    )
    def move_by_range(self, project, sender, receiver, data, retire):
        code, source, target = self.projects[project], self.holders[sender], self.holders[receiver]
        if not retire and source == target:
            return
        top = max(self.model)
        start = data.draw(st.integers(1, top))
        end = data.draw(st.integers(start, min(top + 2, start + 30)))
        serials = (start, end)
        request = (
            retirement(self.key(), code, serials=serials)
            if retire
            else transfer(self.key(), code, target, serials=serials)
        )
        expected = all(self.model.get(s) == (code, "active", source) for s in range(start, end + 1))
        done = self.attempt(
            lambda: service.move(self.session, [request], actor=actor_for(source), signer=SIGNER, now=WHEN)
        )
        assert done == expected
        if done:
            for serial in range(start, end + 1):
                self.model[serial] = (code, "retired", source) if retire else (code, "active", target)

    @precondition(lambda self: self.model)
    @rule(project=st.integers(0, 1), quantity=st.integers(1, 8))
    def reversal(self, project, quantity):
        code = self.projects[project]
        own = sorted(s for s, (p, state, _) in self.model.items() if p == code and state == "buffer")
        pool = sorted(s for s, (p, state, _) in self.model.items() if p != code and state == "buffer")
        expected = (own + pool)[:quantity] if len(own) + len(pool) >= quantity else None
        done = self.attempt(
            lambda: service.reverse(
                self.session,
                code,
                quantity,
                "loss",
                key=self.key(),
                actor=self.cast.authority_actor,
                now=WHEN,
            )
        )
        assert done == (expected is not None)
        for serial in expected or []:
            self.model[serial] = (self.model[serial][0], "cancelled", None)

    # ---- invariants ---------------------------------------------------------------------------

    @invariant()
    def every_serial_is_where_the_model_says(self):
        blocks = block_repository.all_blocks(self.session)
        codes = {p.id: p.code for p in map(lambda c: service.get_row(self.session, c), self.projects)}
        issuances = block_repository.issuances_by_ids(self.session, {b.issuance_id for b in blocks})
        actual = {}
        for block in blocks:
            project = codes.get(issuances[block.issuance_id].project_id)
            if project is None:
                continue  # another test's serials (none inside this savepoint; kept for safety)
            for serial in range(block.start, block.end + 1):
                assert serial not in actual, f"serial {serial} is in two blocks"
                actual[serial] = (project, block.state.value, block.holder)
        assert actual == self.model

    @invariant()
    def the_blocks_tile_the_issuances_and_match_the_ledger(self):
        report = service.consistency(self.session)
        assert report.ok, report.problems[:5]

    @invariant()
    def totals_are_conserved(self):
        assert len(self.model) == self.issued

    @invariant()
    def retired_and_cancelled_serials_never_change(self):
        for serial, place in self.terminal.items():
            assert self.model[serial] == place
        self.terminal.update({s: place for s, place in self.model.items() if place[1] in TERMINAL})


@pytest.mark.slow
def test_serial_ranges_behave_like_the_reference_model(session):
    cast = make_cast(session)
    body = {"crediting_start": date(2010, 1, 1), "crediting_end": date(2060, 12, 31)}
    projects = [
        filed_project(session, cast, project_body("shellfish-csc", **body), buffer_share=Decimal("0.2"))
        for _ in range(2)
    ]
    session.flush()
    run_state_machine_as_test(
        lambda: RegistryModel(session, cast, projects),
        settings=settings(
            max_examples=30,
            stateful_step_count=18,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
