"""The public registry (公开登记簿): projects, issuances, holdings by organisation, retirements,
prices; the holder of any serial with its history; and the consistency check of blocks against
the ledger (``seagreen registry verify``)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy.orm import Session

from seagreen.kit.clock import from_micros
from seagreen.ledger import service as ledger
from seagreen.registry.domain.lifecycle import PUBLIC_STATES
from seagreen.registry.domain.serials import BlockState, IssuedRange, tiling_problems
from seagreen.registry.errors import RetirementNotFound, SerialNotFound
from seagreen.registry.repository import blocks as repository
from seagreen.registry.repository import projects as project_repository
from seagreen.registry.schemas import (
    ConsistencyRead,
    HoldingRead,
    IssuanceRead,
    OverviewRead,
    PricePoint,
    ProjectRead,
    RetirementRead,
    SerialEvent,
    SerialRead,
    TotalsRead,
)
from seagreen.registry.service import accounts
from seagreen.registry.service.operations import SALE, Lookups, fen_to_yuan
from seagreen.registry.service.projects import _org_name, project_read
from seagreen.registry.service.reports import issuance_read

STATE_FIELD = {
    BlockState.ACTIVE.value: "active",
    BlockState.BUFFER.value: "buffer",
    BlockState.RETIRED.value: "retired",
    BlockState.CANCELLED.value: "cancelled",
}


def project_totals(session: Session) -> dict[int, TotalsRead]:
    """Per project: tonnes issued and where they are now (active, buffer, retired, cancelled)."""
    totals: dict[int, TotalsRead] = defaultdict(TotalsRead)
    for _holder, project_id, state, quantity in repository.holdings(session):
        entry = totals[project_id]
        setattr(entry, STATE_FIELD[state], getattr(entry, STATE_FIELD[state]) + quantity)
        entry.issued += quantity
    return dict(totals)


def public_projects(session: Session) -> list[ProjectRead]:
    totals = project_totals(session)
    names: dict[str, str] = {}
    rows = project_repository.projects(session, states=[state.value for state in PUBLIC_STATES])
    return [project_read(session, row, totals=totals.get(row.id), names=names) for row in rows]


def holdings(session: Session, holder: str | None = None) -> list[HoldingRead]:
    """Tonnes by organisation, project and state (the buffer pool has no organisation)."""
    projects = project_repository.projects_by_ids(
        session, [p for _, p, _, _ in repository.holdings(session, holder)]
    )
    names: dict[str, str] = {}
    found = [
        HoldingRead(
            org_code=org,
            org_name=_org_name(session, org, names) if org else "",  # the buffer pool has no organisation
            project_code=projects[project_id].code,
            project_name=projects[project_id].name_zh,
            state=state,
            quantity=quantity,
        )
        for org, project_id, state, quantity in repository.holdings(session, holder)
    ]
    return sorted(found, key=lambda h: (h.org_code or "~", h.project_code, h.state))


def retirement_read(session: Session, row: Any, names: dict[str, str] | None = None) -> RetirementRead:
    document = json.loads(row.certificate_json)
    body = document["certificate"]
    names = {} if names is None else names
    return RetirementRead(
        number=row.number,
        project_code=body["project"]["code"],
        project_name=body["project"]["name_zh"],
        retired_by=row.retired_by,
        retired_by_name=_org_name(session, row.retired_by, names),
        quantity=row.quantity,
        beneficiary_name=row.beneficiary_name,
        beneficiary_org=row.beneficiary_org,
        purpose=row.purpose,
        claim_start=row.claim_start,
        claim_end=row.claim_end,
        retired_at=from_micros(row.retired_at_us),
        blocks=[serial["block"] for serial in body["serials"]],
        certificate_sha256=row.certificate_sha256,
        key_id=row.key_id,
    )


def retirements(
    session: Session, *, retired_by: str | None = None, project_code: str | None = None
) -> list[RetirementRead]:
    project_id = None
    if project_code:
        project = project_repository.project_by_code(session, project_code.upper())
        project_id = project.id if project else -1
    names: dict[str, str] = {}
    return [
        retirement_read(session, row, names)
        for row in repository.retirements(session, retired_by=retired_by, project_id=project_id)
    ]


def retirement(session: Session, number: str) -> RetirementRead:
    row = repository.retirement_by_number(session, number.strip())
    if row is None:
        raise RetirementNotFound(f"no retirement certificate {number!r}", number=number)
    return retirement_read(session, row)


def issuances(session: Session, project_code: str | None = None) -> list[IssuanceRead]:
    project_id = None
    if project_code:
        project = project_repository.project_by_code(session, project_code.upper())
        project_id = project.id if project else -1
    rows = repository.issuances(session, project_id)
    codes = {
        p.id: p.code
        for p in project_repository.projects_by_ids(session, {r.project_id for r in rows}).values()
    }
    return [issuance_read(row, codes[row.project_id]) for row in rows]


def prices(session: Session, project_code: str | None = None) -> list[PricePoint]:
    """Every sale's price per tonne, oldest first: a project's price history."""
    project_id = None
    if project_code:
        project = project_repository.project_by_code(session, project_code.upper())
        project_id = project.id if project else -1
    rows = repository.operations(session, project_id=project_id, kinds=[SALE], limit=1000)
    codes = {
        p.id: p.code
        for p in project_repository.projects_by_ids(session, {r.project_id for r in rows}).values()
    }
    names: dict[str, str] = {}
    return [
        PricePoint(
            at=from_micros(row.created_at_us),
            project_code=codes[row.project_id],
            quantity=row.quantity,
            price_yuan_per_t=fen_to_yuan(row.price_fen_per_t or 0),
            buyer=_org_name(session, row.to_org, names),
        )
        for row in reversed(rows)
    ]


def overview(session: Session) -> OverviewRead:
    projects = public_projects(session)
    totals = TotalsRead()
    for project in projects:
        for name in ("issued", "active", "buffer", "retired", "cancelled"):
            setattr(totals, name, getattr(totals, name) + getattr(project.totals, name))
    return OverviewRead(
        totals=totals,
        projects=projects,
        issuances=issuances(session),
        holdings=holdings(session),
        retirements=retirements(session),
        prices=prices(session),
    )


def holder_of(session: Session, number: int) -> tuple[str, str | None]:
    """``(state, holder)`` of serial ``number``: one probe of the unique index on ``start``."""
    block = repository.block_at(session, number)
    if block is None:
        raise SerialNotFound(f"serial {number} has not been issued", serial=number)
    return block.state.value, block.holder


def serial(session: Session, number: int) -> SerialRead:
    """Who holds serial ``number`` now (one index probe), and every move of the tonne since issue."""
    block = repository.block_at(session, number)
    if block is None:
        raise SerialNotFound(f"serial {number} has not been issued", serial=number)
    batch = Lookups(session)
    issued = batch.issuance(block.issuance_id)
    project = batch.project_by_id(issued.project_id)
    history = [
        SerialEvent(
            kind=operation.kind,
            operation_key=operation.key.split(":", 1)[-1],
            from_state=movement.from_state,
            from_holder=movement.from_holder,
            to_state=movement.to_state,
            to_holder=movement.to_holder,
            range=batch.block_id(movement.issuance_id, movement.start, movement.end),
            at=from_micros(movement.at_us),
        )
        for movement, operation in repository.movements_of_serial(session, block.issuance_id, number)
    ]
    return SerialRead(
        serial=number,
        block=batch.block_id(block.issuance_id, block.start, block.end),
        state=block.state.value,
        holder=block.holder,
        project_code=project.code,
        project_name=project.name_zh,
        vintage_start=issued.vintage_start,
        vintage_end=issued.vintage_end,
        history=history,
    )


def consistency(session: Session) -> ConsistencyRead:
    """Do the blocks tile every issuance exactly, and does every ledger balance equal its blocks?"""
    issued = [IssuedRange(*row) for row in repository.issued_ranges(session)]
    blocks = repository.all_blocks(session)
    problems = tiling_problems(issued, blocks)
    expected: dict[str, int] = defaultdict(int)
    for block in blocks:
        expected[accounts.account_for(block.state, block.holder)] += block.quantity
    expected[accounts.ISSUED] = -sum(r.end - r.start + 1 for r in issued)
    keys = sorted(expected)
    balances = ledger.balances(session, keys) if keys else {}
    for key in keys:
        balance = balances.get(key)
        actual = balance.credits_posted - balance.debits_posted if balance else 0
        if actual != expected[key]:
            problems.append(f"ledger account {key}: balance {actual} t, blocks say {expected[key]} t")
    return ConsistencyRead(ok=not problems, blocks=len(blocks), issuances=len(issued), problems=problems)
