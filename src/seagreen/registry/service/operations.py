"""The machinery every registry operation shares: an operation's row and idempotency hash,
the batch's lookups (projects, organisations, issuances), finding and carving blocks, the ledger
transfer, the movements and the audit event. Transfers, sales and retirements (``moves``),
reversals (``reversals``) and issuances (``issuance``) are built from it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.identity import service as identity
from seagreen.identity.domain import OrgKind
from seagreen.identity.errors import OrgNotFound
from seagreen.kit.clock import from_micros
from seagreen.ledger import service as ledger
from seagreen.ledger.domain import TransferRequest
from seagreen.registry.domain.serials import REGISTRY_CODE, Block, BlockId, BlockState, Carving, Take, carve
from seagreen.registry.errors import HolderInvalid, ProjectNotFound
from seagreen.registry.models import IssuanceRow, OperationRow, ProjectRow
from seagreen.registry.repository import blocks as repository
from seagreen.registry.repository import projects as project_repository
from seagreen.registry.schemas import OperationRead
from seagreen.registry.service import accounts

HOLDER_KINDS = frozenset({OrgKind.PROJECT_OWNER, OrgKind.BUYER, OrgKind.BANK, OrgKind.BANK_BRANCH})


TRANSFER, SALE, RETIREMENT, REVERSAL, ISSUANCE = "transfer", "sale", "retirement", "reversal", "issuance"


MOVE_KINDS = (TRANSFER, SALE, RETIREMENT)
FIRST_PAGE = 4


def content_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


def yuan_to_fen(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


def fen_to_yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


@dataclass
class Op:
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
    request: Any = None  # the MoveRequest of a transfer, sale or retirement
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
        self.block_ids: dict[tuple[int, int, int], str] = {}

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
        known = self.block_ids.get((issuance_id, start, end))
        if known is not None:
            return known
        issued = self.issuance(issuance_id)
        project = self.project_by_id(issued.project_id)
        text = str(BlockId(REGISTRY_CODE, project.code, issued.vintage_start, issued.vintage_end, start, end))
        self.block_ids[(issuance_id, start, end)] = text
        return text


def collect(
    session: Session, holder: str | None, state: BlockState, project_id: int, quantity: int
) -> list[Block]:
    """Enough of a holding's lowest blocks to cover ``quantity``: a few first (most operations
    take one block), then pages twice as long each time."""
    found: list[Block] = []
    total, after, size = 0, 0, FIRST_PAGE
    while total < quantity:
        page = repository.holding_blocks(session, holder, state, project_id, after, size)
        size = min(size * 2, repository.PAGE)
        if not page:
            break
        for block in page:
            found.append(block)
            total += block.quantity
            if total >= quantity:
                break
        after = page[-1].start
    return found


def ranges_of(moved: Sequence[tuple[Block, Take]]) -> list[list[int]]:
    return [[take.block.issuance_id, take.start, take.end] for _, take in moved]


def write_takes(
    session: Session, project_id: int, takes: Sequence[Take], state: BlockState, holder: str | None
) -> list[tuple[Block, Take]]:
    carvings: list[Carving] = [carve(take, state, holder) for take in takes]
    repository.apply_carvings(session, project_id, carvings)
    return [(take.block, take) for take in takes]


def operation_row(
    op: Op,
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
        orjson.dumps(ranges_of(op.moved)).decode(),
        op.ledger_key,
        now_us,
        actor.label[:200],
        actor.org_code,
    ]


def ledger_request(op: Op) -> TransferRequest:
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
        memo={"operation": op.key, "project": op.project.code, "ranges": ranges_of(op.moved)},
    )


def finish(
    session: Session,
    batch: Lookups,
    ops: Sequence[Op],
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


def _summary(op: Op) -> dict[str, Any]:
    return {
        "operation": op.key,
        "kind": op.kind,
        "project": op.project.code,
        "quantity": op.quantity,
        "from": op.from_org,
        "to": op.to_holder if op.kind != RETIREMENT else None,
        "ranges": ranges_of(op.moved),
        "ledger_seq": op.ledger_seq,
        **op.extra,
    }


def _audit(session: Session, ops: Sequence[Op], actor: Actor, now_us: int) -> None:
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


def operation_read(
    session: Session, row: OperationRow, *, status: str, batch: Lookups | None = None
) -> OperationRead:
    batch = batch or Lookups(session)
    project = batch.project_by_id(row.project_id)
    ranges = orjson.loads(row.ranges)
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
