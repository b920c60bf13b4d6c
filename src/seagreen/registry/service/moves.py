"""Moving serials: transfers and sales (转让/交易), retirements (注销), reversals that cancel
buffer credits (逆转), and the issuance of new blocks (签发).

A batch of operations runs under the registry's lock in one transaction, all or nothing:

1. per operation, in order: find the blocks to move (lowest serials of the holding, or an exact
   range), carve them (domain ``carve``), write the blocks and the operation row;
2. post one ledger transfer per operation, in one ledger batch;
3. write the movements, sign each retirement's certificate (it cites its ledger transfer), and
   record one audit event per operation.

Each operation carries an idempotency key, scoped to the organisation that sends it: the same key
with the same content returns the first result (``exists``); with other content it is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.identity import service as identity
from seagreen.identity.domain import OrgKind
from seagreen.identity.errors import OrgNotFound
from seagreen.kit.clock import from_micros, to_micros, utcnow
from seagreen.ledger import service as ledger
from seagreen.ledger.domain import TransferRequest
from seagreen.registry.domain.lifecycle import ProjectState
from seagreen.registry.domain.serials import (
    REGISTRY_CODE,
    Block,
    BlockId,
    BlockState,
    Carving,
    NewBlock,
    Take,
    carve,
    take_lowest,
    take_range,
)
from seagreen.registry.errors import (
    BufferInsufficient,
    HolderInvalid,
    InsufficientCredits,
    OperationConflict,
    OperationInvalid,
    ProjectNotFound,
)
from seagreen.registry.models import IssuanceRow, OperationRow, ProjectRow
from seagreen.registry.repository import blocks as repository
from seagreen.registry.repository import head
from seagreen.registry.repository import projects as project_repository
from seagreen.registry.schemas import OperationRead
from seagreen.registry.service import accounts
from seagreen.registry.service.certificates import CertificateFacts, content
from seagreen.registry.signing import Signer

HOLDER_KINDS = frozenset({OrgKind.PROJECT_OWNER, OrgKind.BUYER, OrgKind.BANK, OrgKind.BANK_BRANCH})
TRANSFER, SALE, RETIREMENT, REVERSAL, ISSUANCE = "transfer", "sale", "retirement", "reversal", "issuance"
MOVE_KINDS = (TRANSFER, SALE, RETIREMENT)


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


def content_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


def yuan_to_fen(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


def fen_to_yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


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


@dataclass
class _Op:
    """An operation being written: its row's values, what it moved, what it posts."""

    index: int
    kind: str
    key: str
    project: ProjectRow
    from_org: str | None
    to_org: str | None
    quantity: int
    moved: list[tuple[Block, Take]]
    to_state: BlockState
    to_holder: str | None
    op_id: int = 0
    request: MoveRequest | None = None
    price_fen: int | None = None
    ledger_key: str = ""
    ledger_seq: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Lookups:
    """Caches of one batch: projects, organisations, issuances."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.projects: dict[str, ProjectRow] = {}
        self.orgs: dict[str, Any] = {}
        self.issuances: dict[int, IssuanceRow] = {}
        self.by_id: dict[int, ProjectRow] = {}

    def project(self, code: str) -> ProjectRow:
        code = code.strip().upper()
        if code not in self.projects:
            row = project_repository.project_by_code(self.session, code)
            if row is None:
                raise ProjectNotFound(f"no project {code!r}", code=code)
            self.projects[code] = row
            self.by_id[row.id] = row
        return self.projects[code]

    def prefetch_projects(self, codes: Iterable[str]) -> None:
        missing = {code.strip().upper() for code in codes} - set(self.projects)
        if missing:
            for code, row in project_repository.projects_by_codes(self.session, missing).items():
                self.projects[code] = row
                self.by_id[row.id] = row

    def project_by_id(self, project_id: int) -> ProjectRow:
        if project_id not in self.by_id:
            self.by_id.update(project_repository.projects_by_ids(self.session, [project_id]))
        return self.by_id[project_id]

    def org(self, code: str, *, holder: bool, what: str) -> Any:
        if code not in self.orgs:
            try:
                self.orgs[code] = identity.get_org(self.session, code)
            except OrgNotFound:
                raise HolderInvalid(f"{what}: no organisation {code!r}", org=code) from None
        org = self.orgs[code]
        if holder and (org.kind not in HOLDER_KINDS or not org.active):
            raise HolderInvalid(f"{what}: {code} ({org.kind}) cannot hold credits", org=code)
        return org

    def prefetch(self, issuance_ids: Iterable[int]) -> None:
        missing = set(issuance_ids) - set(self.issuances)
        if missing:
            self.issuances.update(repository.issuances_by_ids(self.session, missing))

    def issuance(self, issuance_id: int) -> IssuanceRow:
        if issuance_id not in self.issuances:
            self.issuances.update(repository.issuances_by_ids(self.session, [issuance_id]))
        return self.issuances[issuance_id]

    def block_id(self, issuance_id: int, start: int, end: int) -> str:
        issued = self.issuance(issuance_id)
        project = self.project_by_id(issued.project_id)
        return str(BlockId(REGISTRY_CODE, project.code, issued.vintage_start, issued.vintage_end, start, end))


def _collect(
    session: Session, holder: str | None, state: BlockState, project_id: int, quantity: int
) -> list[Block]:
    """Enough of a holding's lowest blocks to cover ``quantity`` (read a page at a time)."""
    found: list[Block] = []
    total, after = 0, 0
    while total < quantity:
        page = repository.holding_blocks(session, holder, state, project_id, after)
        if not page:
            break
        for block in page:
            found.append(block)
            total += block.quantity
            if total >= quantity:
                break
        after = page[-1].start
    return found


def _ranges(moved: Sequence[tuple[Block, Take]]) -> list[list[int]]:
    return [[take.block.issuance_id, take.start, take.end] for _, take in moved]


def _write(
    session: Session, project_id: int, takes: Sequence[Take], state: BlockState, holder: str | None
) -> list[tuple[Block, Take]]:
    carvings: list[Carving] = [carve(take, state, holder) for take in takes]
    repository.apply_carvings(session, project_id, carvings)
    return [(take.block, take) for take in takes]


def _operation_row(
    op: _Op,
    body: dict[str, Any],
    now_us: int,
    actor: Actor,
    *,
    note: str = "",
    settlement: tuple[str, str] = ("", ""),
) -> list[Any]:
    return [
        op.key,
        op.kind,
        content_hash(body),
        op.project.id,
        op.from_org,
        op.to_org,
        op.quantity,
        op.price_fen,
        op.price_fen * op.quantity if op.price_fen is not None else None,
        settlement[0],
        settlement[1],
        note,
        orjson.dumps(_ranges(op.moved)).decode(),
        op.ledger_key,
        now_us,
        actor.label[:200],
        actor.org_code,
    ]


def _ledger_request(op: _Op) -> TransferRequest:
    if op.kind == ISSUANCE:
        raise AssertionError("issuances post two transfers (see issue)")
    debit = accounts.account_for(op.moved[0][0].state, op.from_org)
    credit = accounts.account_for(op.to_state, op.to_holder)
    return TransferRequest(
        key=op.ledger_key,
        debit_account=debit,
        credit_account=credit,
        amount=op.quantity,
        code=f"registry.{op.kind}",
        memo={"operation": op.key, "project": op.project.code, "ranges": _ranges(op.moved)},
    )


def _finish(
    session: Session,
    batch: Lookups,
    ops: Sequence[_Op],
    requests: Sequence[TransferRequest],
    actor: Actor,
    now_us: int,
) -> None:
    """Post the ledger transfers, write the movements, record the audit events."""
    results = ledger.post_or_raise(session, list(requests), now_us=now_us)
    seqs = {result.key: result.seq for result in results}
    movements = []
    for op in ops:
        op.ledger_seq = seqs.get(op.ledger_key)
        for block, take in op.moved:
            movements.append(
                (
                    op.op_id,
                    block.issuance_id,
                    take.start,
                    take.end,
                    block.state.value,
                    block.holder,
                    op.to_state.value,
                    op.to_holder,
                    now_us,
                )
            )
    repository.insert_movements(session, movements)
    _audit(session, ops, actor, now_us)


def _summary(op: _Op) -> dict[str, Any]:
    return {
        "operation": op.key,
        "kind": op.kind,
        "project": op.project.code,
        "quantity": op.quantity,
        "from": op.from_org,
        "to": op.to_holder if op.kind != RETIREMENT else None,
        "ranges": _ranges(op.moved),
        "ledger_seq": op.ledger_seq,
        **op.extra,
    }


def _audit(session: Session, ops: Sequence[_Op], actor: Actor, now_us: int) -> None:
    """One audit event per request: a single operation as itself, a batch with each of its
    operations listed (the operations and their movements are rows of their own besides)."""
    if len(ops) == 1:
        op = ops[0]
        audit.record(
            session,
            actor,
            f"registry.{op.kind}",
            "registry_operation",
            op.key,
            details=_summary(op),
            now=from_micros(now_us),
        )
        return
    audit.record(
        session,
        actor,
        "registry.batch",
        "registry_batch",
        f"{ops[0].op_id}-{ops[-1].op_id}",
        details={"count": len(ops), "operations": [_summary(op) for op in ops]},
        now=from_micros(now_us),
    )


# ---- transfers, sales, retirements -------------------------------------------------------------


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
    ops: list[_Op] = []
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
                blocks = _collect(session, from_org, BlockState.ACTIVE, project.id, request.quantity)
                takes = take_lowest(blocks, request.quantity)
        except (InsufficientCredits, OperationInvalid) as exc:
            exc.message = f"operation {index} ({request.key}): {exc.message}"
            exc.details = {**exc.details, "index": index}
            raise
        retiring = request.kind == RETIREMENT
        to_state = BlockState.RETIRED if retiring else BlockState.ACTIVE
        to_holder = from_org if retiring else request.to_org
        moved = _write(session, project.id, takes, to_state, to_holder)
        op = _Op(
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
        op.op_id = repository.insert_operation(
            session,
            _operation_row(
                op,
                body,
                now_us,
                actor,
                note=request.note,
                settlement=(request.settlement_method, request.settlement_ref),
            ),
        )
        done[key] = (digest, index)
        ops.append(op)
    if certificates != counters.certificates:
        head.advance(session, certificates=certificates)
    if ops:
        accounts.open_for(session, orgs)
        batch.prefetch(take.block.issuance_id for op in ops for _, take in op.moved)
        _finish(session, batch, ops, [_ledger_request(op) for op in ops], actor, now_us)
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


def _read(op: _Op, batch: Lookups, now_us: int) -> OperationRead:
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


def _retirement_row(batch: Lookups, op: _Op, signer: Signer | None, moment: datetime) -> tuple[Any, ...]:
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


# ---- reversals ----------------------------------------------------------------------------------


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
    blocks = _collect(session, None, BlockState.BUFFER, project.id, quantity)
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
        moved += _write(session, issued.project_id, [take], BlockState.CANCELLED, None)
    op = _Op(
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
        session, _operation_row(op, body, now_us, actor, note=reason.strip())
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
        memo={"operation": scoped, "project": project.code, "ranges": _ranges(moved)},
    )
    _finish(session, batch, [op], [request], actor, now_us)
    row = repository.operation(session, op.op_id)
    assert row is not None
    return operation_read(session, row, status="created", batch=batch)


# ---- issuance -----------------------------------------------------------------------------------


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
    op = _Op(
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
    op.op_id = repository.insert_operation(session, _operation_row(op, body, now_us, actor))
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


# ---- reads -----------------------------------------------------------------------------------


def operation_read(
    session: Session, row: OperationRow, *, status: str, batch: Lookups | None = None
) -> OperationRead:
    batch = batch or Lookups(session)
    project = batch.project_by_id(row.project_id)
    ranges = json.loads(row.ranges)
    retirement = repository.retirement_by_operation(session, row.id) if row.kind == RETIREMENT else None
    return OperationRead(
        id=row.id,
        key=row.key.split(":", 1)[1] if ":" in row.key else row.key,
        kind=row.kind,
        status="created" if status == "created" else "exists",
        project_code=project.code,
        from_org=row.from_org,
        to_org=row.to_org,
        quantity=row.quantity,
        blocks=[batch.block_id(issuance_id, start, end) for issuance_id, start, end in ranges],
        price_yuan_per_t=fen_to_yuan(row.price_fen_per_t) if row.price_fen_per_t is not None else None,
        amount_yuan=fen_to_yuan(row.amount_fen) if row.amount_fen is not None else None,
        settlement_method=row.settlement_method,
        settlement_ref=row.settlement_ref,
        ledger_key=row.ledger_key,
        created_at=from_micros(row.created_at_us),
        retirement_number=retirement.number if retirement else None,
    )
