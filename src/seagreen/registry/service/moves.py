"""Moving serials: transfers and sales (转让/交易) and retirements (注销), in batches.

A batch of operations runs under the registry's lock in one transaction, all or nothing:

1. per operation, in order: find the blocks to move (lowest serials of the holding, or an exact
   range), carve them (domain ``carve``), write the blocks and the operation row;
2. post one ledger transfer per operation, in one ledger batch;
3. write the movements, sign each retirement's certificate (it cites its ledger transfer), and
   record one audit event for the request (see ``operations``).

Each operation carries an idempotency key, scoped to the organisation that sends it: the same key
with the same content returns the first result (``exists``); with other content it is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from seagreen.audit.domain import Actor
from seagreen.kit.clock import from_micros, to_micros, utcnow
from seagreen.registry.domain.lifecycle import ProjectState
from seagreen.registry.domain.serials import REGISTRY_CODE, BlockState, take_lowest, take_range
from seagreen.registry.errors import HolderInvalid, InsufficientCredits, OperationConflict, OperationInvalid
from seagreen.registry.repository import blocks as repository
from seagreen.registry.repository import head
from seagreen.registry.schemas import OperationRead
from seagreen.registry.service import accounts
from seagreen.registry.service.certificates import CertificateFacts, content
from seagreen.registry.service.operations import (
    MOVE_KINDS,
    RETIREMENT,
    SALE,
    TRANSFER,
    Lookups,
    Op,
    collect,
    content_hash,
    fen_to_yuan,
    finish,
    ledger_request,
    operation_read,
    operation_row,
    write_takes,
)
from seagreen.registry.signing import Signer

__all__ = ["RETIREMENT", "SALE", "TRANSFER", "MoveRequest", "move"]


@dataclass(frozen=True)
class MoveRequest:
    """One transfer, sale or retirement as a client asks for it."""

    key: str
    kind: str
    project: str
    quantity: int | None = None
    serial_start: int | None = None
    serial_end: int | None = None
    to_org: str | None = None
    price_fen_per_t: int | None = None
    settlement_method: str = ""
    settlement_ref: str = ""
    note: str = ""
    beneficiary_name: str = ""
    beneficiary_org: str | None = None
    purpose: str = ""
    claim_start: date | None = None
    claim_end: date | None = None

    def content(self, from_org: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": self.kind,
            "from": from_org,
            "project": self.project.upper(),
            "quantity": self.quantity,
            "range": [self.serial_start, self.serial_end] if self.serial_start is not None else None,
            "to": self.to_org,
            "price_fen_per_t": self.price_fen_per_t,
            "settlement": [self.settlement_method, self.settlement_ref],
            "note": self.note,
        }
        if self.kind == RETIREMENT:
            body["retirement"] = {
                "beneficiary": [self.beneficiary_name, self.beneficiary_org],
                "purpose": self.purpose,
                "claim": [str(self.claim_start), str(self.claim_end)],
            }
        return body


def _check_shape(index: int, request: MoveRequest, from_org: str) -> None:
    def refuse(message: str, **details: Any) -> None:
        raise OperationInvalid(
            f"operation {index} ({request.key}): {message}", index=index, key=request.key, **details
        )

    if request.kind not in MOVE_KINDS:
        refuse(f"unknown kind {request.kind!r}")
    if not request.key or len(request.key) > 80:
        refuse("an idempotency key of 1 to 80 characters is needed")
    by_range = request.serial_start is not None or request.serial_end is not None
    if by_range == (request.quantity is not None):
        refuse("give a quantity or an exact serial range")
    if request.quantity is not None and request.quantity <= 0:
        refuse("the quantity must be a positive number of whole tonnes", field="quantity")
    if by_range and (
        request.serial_start is None
        or request.serial_end is None
        or request.serial_end < request.serial_start
    ):
        refuse("a serial range needs serial_start ≤ serial_end", field="serial_end")
    if request.kind in (TRANSFER, SALE):
        if not request.to_org:
            refuse("name the organisation that receives the credits", field="to_org")
        if request.to_org == from_org:
            refuse("credits cannot be transferred to their own holder", field="to_org")
    if request.kind == SALE and (request.price_fen_per_t is None or request.price_fen_per_t <= 0):
        refuse("a sale needs a positive price per tonne", field="price")
    if request.kind == TRANSFER and request.price_fen_per_t is not None:
        refuse("a transfer with a price is a sale", field="price")
    if request.kind == RETIREMENT:
        if not request.beneficiary_name.strip():
            refuse("a retirement names its beneficiary", field="beneficiary_name")
        if not request.purpose.strip():
            refuse("a retirement states its purpose", field="purpose")
        if (request.claim_start is None) != (request.claim_end is None) or (
            request.claim_start and request.claim_end and request.claim_end < request.claim_start
        ):
            refuse("the claimed period needs a start and an end, in order", field="claim_end")


def move(
    session: Session,
    requests: Sequence[MoveRequest],
    *,
    actor: Actor,
    signer: Signer | None = None,
    now: datetime | None = None,
) -> list[OperationRead]:
    """Apply transfers, sales and retirements from the actor's organisation, all or nothing."""
    moment = now or utcnow()
    now_us = to_micros(moment)
    from_org = actor.org_code
    if not from_org:
        raise HolderInvalid("credits are moved by the organisation that holds them")
    for index, request in enumerate(requests):
        _check_shape(index, request, from_org)
    batch = Lookups(session)
    batch.org(from_org, holder=True, what="sender")
    counters = head.lock(session)
    batch.prefetch_projects(request.project for request in requests)
    scoped = [f"{from_org}:{request.key}" for request in requests]
    existing = repository.operations_by_keys(session, scoped)
    results: list[OperationRead | None] = [None] * len(requests)
    done: dict[str, tuple[str, int]] = {}  # key -> (content hash, position) within this batch
    ops: list[Op] = []
    rows: list[list[Any]] = []
    orgs = {from_org}
    certificates = counters.certificates
    for index, (request, key) in enumerate(zip(requests, scoped, strict=True)):
        body = request.content(from_org)
        digest = content_hash(body)
        if key in existing or key in done:
            prior_hash = existing[key].content_hash if key in existing else done[key][0]
            if prior_hash != digest:
                raise OperationConflict(
                    f"operation {index}: the key {request.key!r} was used for another operation",
                    index=index,
                    key=request.key,
                )
            continue
        project = batch.project(request.project)
        if project.state != ProjectState.FILED.value:
            raise OperationInvalid(f"operation {index}: project {project.code} is not filed", index=index)
        if request.to_org:
            batch.org(request.to_org, holder=True, what=f"operation {index}")
            orgs.add(request.to_org)
        if request.beneficiary_org:
            batch.org(request.beneficiary_org, holder=False, what=f"operation {index} beneficiary")
        try:
            if request.serial_start is not None and request.serial_end is not None:
                covering = repository.blocks_covering(session, request.serial_start, request.serial_end)
                takes = take_range(
                    covering,
                    request.serial_start,
                    request.serial_end,
                    state=BlockState.ACTIVE,
                    holder=from_org,
                )
                if any(batch.issuance(t.block.issuance_id).project_id != project.id for t in takes):
                    raise OperationInvalid(
                        f"operation {index}: the range is not of project {project.code}", index=index
                    )
            else:
                assert request.quantity is not None
                blocks = collect(session, from_org, BlockState.ACTIVE, project.id, request.quantity)
                takes = take_lowest(blocks, request.quantity)
        except (InsufficientCredits, OperationInvalid) as exc:
            exc.message = f"operation {index} ({request.key}): {exc.message}"
            exc.details = {**exc.details, "index": index}
            raise
        retiring = request.kind == RETIREMENT
        to_state = BlockState.RETIRED if retiring else BlockState.ACTIVE
        to_holder = from_org if retiring else request.to_org
        moved = write_takes(session, project.id, takes, to_state, to_holder)
        op = Op(
            index=index,
            kind=request.kind,
            key=key,
            project=project,
            from_org=from_org,
            to_org=None if retiring else request.to_org,
            quantity=sum(take.quantity for take in takes),
            moved=moved,
            to_state=to_state,
            to_holder=to_holder,
            request=request,
            price_fen=request.price_fen_per_t,
            ledger_key=f"registry:{key}",
        )
        if retiring:
            certificates += 1
            op.extra["certificate"] = f"{REGISTRY_CODE}-R-{moment.year}-{certificates:06d}"
        if request.kind == SALE:
            op.extra["price_fen_per_t"] = request.price_fen_per_t
        settlement = (request.settlement_method, request.settlement_ref)
        rows.append(operation_row(op, body, now_us, actor, note=request.note, settlement=settlement))
        done[key] = (digest, index)
        ops.append(op)
    if certificates != counters.certificates:
        head.advance(session, certificates=certificates)
    if ops:
        ids = repository.insert_operations(session, rows)
        for op in ops:
            op.op_id = ids[op.key]
        accounts.open_for(session, orgs)
        batch.prefetch(take.block.issuance_id for op in ops for _, take in op.moved)
        finish(session, batch, ops, [ledger_request(op) for op in ops], actor, now_us)
        retired = [_retirement_row(batch, op, signer, moment) for op in ops if op.kind == RETIREMENT]
        repository.insert_retirements(session, retired)
    created = {op.index: op for op in ops}
    for op in ops:
        results[op.index] = _read(op, batch, now_us)
    first = {op.key: results[op.index] for op in ops}
    for index, key in enumerate(scoped):
        if index in created:
            continue
        if key in first:  # repeated within this batch
            prior = first[key]
            assert prior is not None
            results[index] = prior.model_copy(update={"status": "exists"})
        else:
            results[index] = operation_read(session, existing[key], status="exists", batch=batch)
    return [result for result in results if result is not None]


def _read(op: Op, batch: Lookups, now_us: int) -> OperationRead:
    request = op.request
    return OperationRead(
        id=op.op_id,
        key=request.key if request else op.key,
        kind=op.kind,
        status="created",
        project_code=op.project.code,
        from_org=op.from_org,
        to_org=op.to_org,
        quantity=op.quantity,
        blocks=[batch.block_id(t.block.issuance_id, t.start, t.end) for _, t in op.moved],
        price_yuan_per_t=fen_to_yuan(op.price_fen) if op.price_fen is not None else None,
        amount_yuan=fen_to_yuan(op.price_fen * op.quantity) if op.price_fen is not None else None,
        settlement_method=request.settlement_method if request else "",
        settlement_ref=request.settlement_ref if request else "",
        ledger_key=op.ledger_key,
        created_at=from_micros(now_us),
        retirement_number=op.extra.get("certificate"),
    )


def _retirement_row(batch: Lookups, op: Op, signer: Signer | None, moment: datetime) -> tuple[Any, ...]:
    """The retirement's row, with its signed certificate (which cites its ledger transfer)."""
    if signer is None:
        raise OperationInvalid("retirements need the registry's signing key")
    request = op.request
    assert request is not None and op.from_org is not None
    project = op.project
    number = op.extra["certificate"]
    serials = []
    for _, take in op.moved:
        issued = batch.issuance(take.block.issuance_id)
        serials.append(
            {
                "block": batch.block_id(issued.id, take.start, take.end),
                "start": take.start,
                "end": take.end,
                "quantity": take.quantity,
                "issuance": issued.id,
                "vintage_start": issued.vintage_start.isoformat(),
                "vintage_end": issued.vintage_end.isoformat(),
                "receipt_sha256": issued.receipt_sha256,
            }
        )
    facts = CertificateFacts(
        number=number,
        retired_at=moment.replace(microsecond=0),
        quantity=op.quantity,
        retired_by=op.from_org,
        retired_by_name=batch.org(op.from_org, holder=True, what="sender").name_zh,
        beneficiary_name=request.beneficiary_name.strip(),
        beneficiary_org=request.beneficiary_org,
        purpose=request.purpose.strip(),
        claim_start=request.claim_start,
        claim_end=request.claim_end,
        project={
            "code": project.code,
            "name_zh": project.name_zh,
            "name_en": project.name_en,
            "methodology": project.methodology,
            "methodology_version": project.methodology_version,
            "location": project.location,
        },
        serials=serials,
        ledger_key=op.ledger_key,
        ledger_seq=op.ledger_seq,
    )
    signed, text = signer.sign_to_text(content(facts))
    return (
        op.op_id,
        number,
        project.id,
        op.from_org,
        op.quantity,
        facts.beneficiary_name[:200],
        facts.beneficiary_org,
        facts.purpose,
        facts.claim_start,
        facts.claim_end,
        to_micros(facts.retired_at),
        text,
        hashlib.sha256(text.encode()).hexdigest(),
        signed["signature"]["key_id"],
    )
