"""Reversals (碳汇逆转): a project lost carbon it was credited for (seagrass dieback, typhoon
damage); as many credits are cancelled from the buffer pool: the project's own buffer first, then
the pooled buffer of other projects, lowest serials first. Retired credits are never touched."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from seagreen.audit.domain import Actor
from seagreen.kit.clock import to_micros, utcnow
from seagreen.ledger.domain import TransferRequest
from seagreen.registry.domain.lifecycle import ProjectState
from seagreen.registry.domain.serials import BlockState, take_lowest
from seagreen.registry.errors import BufferInsufficient, OperationConflict, OperationInvalid
from seagreen.registry.repository import blocks as repository
from seagreen.registry.repository import head
from seagreen.registry.schemas import OperationRead
from seagreen.registry.service import accounts
from seagreen.registry.service.operations import (
    REVERSAL,
    Lookups,
    Op,
    collect,
    content_hash,
    finish,
    operation_read,
    operation_row,
    ranges_of,
    write_takes,
)


def reverse(
    session: Session,
    project_code: str,
    quantity: int,
    reason: str,
    *,
    key: str,
    actor: Actor,
    now: datetime | None = None,
) -> OperationRead:
    """Cancel ``quantity`` buffer credits for a reversal of a project (e.g. seagrass lost): the
    project's own buffer first, then the pooled buffer, lowest serials first."""
    moment = now or utcnow()
    now_us = to_micros(moment)
    if quantity <= 0:
        raise OperationInvalid("a reversal cancels a positive number of tonnes", field="quantity")
    if not reason.strip():
        raise OperationInvalid("say what was lost and how it was found", field="reason")
    batch = Lookups(session)
    project = batch.project(project_code)
    if project.state != ProjectState.FILED.value:
        raise OperationInvalid(f"project {project.code} is not filed")
    head.lock(session)
    scoped = f"reversal:{key}"
    body = {"kind": REVERSAL, "project": project.code, "quantity": quantity, "reason": reason.strip()}
    existing = repository.operations_by_keys(session, [scoped])
    if scoped in existing:
        if existing[scoped].content_hash != content_hash(body):
            raise OperationConflict(f"the key {key!r} was used for another reversal", key=key)
        return operation_read(session, existing[scoped], status="exists", batch=batch)
    blocks = collect(session, None, BlockState.BUFFER, project.id, quantity)
    available = sum(block.quantity for block in blocks)
    own = {block.id for block in blocks}
    after = 0
    while available < quantity:  # the project's own buffer is short: the pooled buffer covers it
        page = repository.pool_blocks(session, after)
        if not page:
            break
        after = page[-1].start
        for block in page:
            if block.id not in own and available < quantity:
                blocks.append(block)
                available += block.quantity
    if available < quantity:
        raise BufferInsufficient(
            f"the buffer pool holds {available} t, the reversal needs {quantity} t", available=available
        )
    takes = take_lowest(blocks, quantity)
    moved = []
    for take in takes:  # pool blocks may belong to other projects: write each under its own
        issued = batch.issuance(take.block.issuance_id)
        moved += write_takes(session, issued.project_id, [take], BlockState.CANCELLED, None)
    op = Op(
        index=0,
        kind=REVERSAL,
        key=scoped,
        project=project,
        from_org=None,
        to_org=None,
        quantity=quantity,
        moved=moved,
        to_state=BlockState.CANCELLED,
        to_holder=None,
        ledger_key=f"registry:{scoped}",
        extra={"reason": reason.strip()},
    )
    op.op_id = repository.insert_operation(
        session, operation_row(op, body, now_us, actor, note=reason.strip())
    )
    repository.insert_reversal(
        session,
        project_id=project.id,
        operation_id=op.op_id,
        quantity=quantity,
        reason=reason.strip(),
        created_at_us=now_us,
        actor_label=actor.label[:200],
    )
    accounts.open_for(session, [])
    request = TransferRequest(
        key=op.ledger_key,
        debit_account=accounts.BUFFER,
        credit_account=accounts.CANCELLED,
        amount=quantity,
        code="registry.reversal",
        memo={"operation": scoped, "project": project.code, "ranges": ranges_of(moved)},
    )
    finish(session, batch, [op], [request], actor, now_us)
    row = repository.operation(session, op.op_id)
    assert row is not None
    return operation_read(session, row, status="created", batch=batch)
