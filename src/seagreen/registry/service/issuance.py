"""Issuance (签发): the next serials of the registry for a verified report, the owner's block and
the buffer's block, their operation, movements, ledger transfers and audit record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.kit.clock import to_micros
from seagreen.ledger import service as ledger
from seagreen.ledger.domain import TransferRequest
from seagreen.registry.domain.serials import BlockState, NewBlock
from seagreen.registry.models import ProjectRow
from seagreen.registry.repository import blocks as repository
from seagreen.registry.repository import head
from seagreen.registry.service import accounts
from seagreen.registry.service.operations import ISSUANCE, Op, operation_row


@dataclass(frozen=True)
class NewIssuance:
    project: ProjectRow
    report_id: int
    vintage_start: date
    vintage_end: date
    quantity: int
    owner_quantity: int
    buffer_quantity: int
    buffer_share: str
    receipt_sha256: str


def issue_blocks(session: Session, issuance: NewIssuance, *, actor: Actor, now: datetime) -> int:
    """Take the next serials for a verified report: the owner's block and the buffer's block,
    their operation, movements, ledger transfers and audit record. Returns the issuance id."""
    now_us = to_micros(now)
    counters = head.lock(session)
    start = counters.next_serial
    end = start + issuance.quantity - 1
    head.advance(session, next_serial=end + 1)
    project = issuance.project
    key = f"issuance:report-{issuance.report_id}"
    op = Op(
        index=0,
        kind=ISSUANCE,
        key=key,
        project=project,
        from_org=None,
        to_org=project.owner_org,
        quantity=issuance.quantity,
        moved=[],
        to_state=BlockState.ACTIVE,
        to_holder=project.owner_org,
        ledger_key=f"registry:{key}",
    )
    body = {"kind": ISSUANCE, "report": issuance.report_id, "quantity": issuance.quantity}
    op.op_id = repository.insert_operation(session, operation_row(op, body, now_us, actor))
    issuance_id = repository.insert_issuance(
        session,
        project_id=project.id,
        report_id=issuance.report_id,
        operation_id=op.op_id,
        vintage_start=issuance.vintage_start,
        vintage_end=issuance.vintage_end,
        quantity=issuance.quantity,
        owner_quantity=issuance.owner_quantity,
        buffer_quantity=issuance.buffer_quantity,
        buffer_share=issuance.buffer_share,
        serial_start=start,
        serial_end=end,
        receipt_sha256=issuance.receipt_sha256,
        owner_org=project.owner_org,
        issued_at_us=now_us,
        issued_by=actor.label[:200],
    )
    new_blocks = []
    requests = []
    memo = {"operation": key, "project": project.code, "issuance": issuance_id}
    if issuance.owner_quantity:
        owner_end = start + issuance.owner_quantity - 1
        new_blocks.append(NewBlock(issuance_id, start, owner_end, BlockState.ACTIVE, project.owner_org))
        requests.append(
            TransferRequest(
                key=f"registry:{key}:owner",
                debit_account=accounts.ISSUED,
                credit_account=accounts.holding(project.owner_org),
                amount=issuance.owner_quantity,
                code="registry.issuance",
                memo={**memo, "range": [start, owner_end]},
            )
        )
    if issuance.buffer_quantity:
        buffer_start = start + issuance.owner_quantity
        new_blocks.append(NewBlock(issuance_id, buffer_start, end, BlockState.BUFFER, None))
        requests.append(
            TransferRequest(
                key=f"registry:{key}:buffer",
                debit_account=accounts.ISSUED,
                credit_account=accounts.BUFFER,
                amount=issuance.buffer_quantity,
                code="registry.issuance",
                memo={**memo, "range": [buffer_start, end]},
            )
        )
    repository.insert_blocks(session, project.id, new_blocks)
    accounts.open_for(session, [project.owner_org])
    ledger.post_or_raise(session, requests, now_us=now_us)
    repository.insert_movements(
        session,
        [
            (op.op_id, issuance_id, b.start, b.end, None, None, b.state.value, b.holder, now_us)
            for b in new_blocks
        ],
    )
    audit.record(
        session,
        actor,
        "registry.issuance",
        "registry_issuance",
        issuance_id,
        details={
            "project": project.code,
            "report": issuance.report_id,
            "serials": [start, end],
            "owner": issuance.owner_quantity,
            "buffer": issuance.buffer_quantity,
            "receipt_sha256": issuance.receipt_sha256,
        },
        now=now,
    )
    return issuance_id
