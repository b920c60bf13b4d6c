"""Serial blocks (连续编号区块): which tonnes exist, where each one is, and how they move.

One serial is one tonne of CO2e. An issuance takes the next free integer range ``[start, end]``
from the registry's single counter, so a serial number is unique across the whole registry and
is never reused. Every serial sits in exactly one block, and every block is in exactly one state
with at most one holder:

* ``active`` (持有): held by an organisation, may be transferred, sold or retired;
* ``buffer`` (缓冲库): in the registry's pooled buffer against reversals;
* ``retired`` (注销): claimed for a beneficiary; terminal, never moves again;
* ``cancelled`` (作废): cancelled, e.g. from the buffer for a reversal; terminal.

Moving part of a block carves it: the part that moves becomes a block of its own and the parts
before and after it stay behind as blocks of their own. Blocks are never merged back, so each
block is one lineage a reviewer can follow. The rules here are pure; the service applies them to
the database under the registry's lock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from itertools import pairwise

from seagreen.registry.errors import InsufficientCredits, OperationInvalid, SerialsNotHeld

REGISTRY_CODE = "SGWH"  # 海绿·威海 ocean carbon-sink registry
SERIAL_DIGITS = 9


class BlockState(StrEnum):
    ACTIVE = "active"
    BUFFER = "buffer"
    RETIRED = "retired"
    CANCELLED = "cancelled"


TERMINAL_STATES = frozenset({BlockState.RETIRED, BlockState.CANCELLED})


@dataclass(frozen=True, slots=True)
class Block:
    id: int
    issuance_id: int
    start: int
    end: int  # inclusive
    state: BlockState
    holder: str | None  # an organisation's code; None in the buffer pool

    @property
    def quantity(self) -> int:
        return self.end - self.start + 1

    def contains(self, serial: int) -> bool:
        return self.start <= serial <= self.end


@dataclass(frozen=True, slots=True)
class Take:
    """The part ``[start, end]`` of ``block`` that an operation moves."""

    block: Block
    start: int
    end: int

    @property
    def quantity(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True, slots=True)
class NewBlock:
    issuance_id: int
    start: int
    end: int
    state: BlockState
    holder: str | None


@dataclass(frozen=True, slots=True)
class Carving:
    """How one take is written: the existing row (it keeps its ``start``) gets ``end``, ``state``
    and ``holder``; the other parts become new rows."""

    block_id: int
    end: int
    state: BlockState
    holder: str | None
    inserts: tuple[NewBlock, ...]


def carve(take: Take, state: BlockState, holder: str | None) -> Carving:
    """Move ``take`` to ``state``/``holder``; what is left before and after stays as it was."""
    block = take.block
    if not (block.start <= take.start <= take.end <= block.end):
        raise ValueError(f"take [{take.start}, {take.end}] is not inside block [{block.start}, {block.end}]")
    inserts: list[NewBlock] = []
    if take.start > block.start:  # the row keeps the part before; the moved part is new
        patch = (take.start - 1, block.state, block.holder)
        inserts.append(NewBlock(block.issuance_id, take.start, take.end, state, holder))
    else:
        patch = (take.end, state, holder)
    if take.end < block.end:
        inserts.append(NewBlock(block.issuance_id, take.end + 1, block.end, block.state, block.holder))
    return Carving(block.id, patch[0], patch[1], patch[2], tuple(inserts))


def take_lowest(blocks: Sequence[Block], quantity: int) -> list[Take]:
    """The lowest serials of ``blocks`` (sorted by start) that add up to ``quantity``."""
    if quantity <= 0:
        raise OperationInvalid("the quantity must be a positive whole number of tonnes", quantity=quantity)
    takes: list[Take] = []
    needed = quantity
    for block in blocks:
        if needed == 0:
            break
        part = min(needed, block.quantity)
        takes.append(Take(block, block.start, block.start + part - 1))
        needed -= part
    if needed:
        available = quantity - needed
        raise InsufficientCredits(
            f"only {available} t available, {quantity} t asked", available=available, asked=quantity
        )
    return takes


def take_range(
    blocks: Sequence[Block], start: int, end: int, *, state: BlockState, holder: str | None
) -> list[Take]:
    """The takes that move exactly ``[start, end]``: ``blocks`` (sorted by start) must cover every
    serial of it, all in ``state`` and held by ``holder``."""
    if start <= 0 or end < start:
        raise OperationInvalid(f"[{start}, {end}] is not a serial range", start=start, end=end)
    takes: list[Take] = []
    expected = start
    for block in blocks:
        if block.end < start or block.start > end:
            continue
        if block.start > expected or block.state is not state or block.holder != holder:
            break
        takes.append(Take(block, max(block.start, start), min(block.end, end)))
        expected = min(block.end, end) + 1
        if expected > end:
            return takes
    raise SerialsNotHeld(
        f"serial {expected} of [{start}, {end}] is not {state} in this holding",
        first_serial=expected,
        start=start,
        end=end,
    )


def buffer_split(quantity: int, buffer_share: Decimal) -> tuple[int, int]:
    """``(to the owner, to the buffer pool)`` of an issuance: the buffer's part is rounded up, so
    the pool never gets less than its share."""
    if not Decimal(0) <= buffer_share < Decimal(1):
        raise OperationInvalid("the buffer share must be at least 0 and less than 1", share=str(buffer_share))
    buffer = int((Decimal(quantity) * buffer_share).to_integral_value(rounding=ROUND_CEILING))
    return quantity - buffer, buffer


# ---------------------------------------------------------------------------------------------
# Serial numbers as text
# ---------------------------------------------------------------------------------------------

_BLOCK_ID = re.compile(
    r"^(?P<registry>[A-Z0-9]{2,8})-(?P<project>P[0-9]{4,})-(?P<vfrom>[0-9]{8})-(?P<vto>[0-9]{8})"
    r"-(?P<start>[0-9]{9,})-(?P<end>[0-9]{9,})$"
)


@dataclass(frozen=True)
class BlockId:
    """``SGWH-P0001-20210101-20231231-000000001-000000338``: registry, project, vintage (the
    monitoring period), first and last serial."""

    registry: str
    project: str
    vintage_start: date
    vintage_end: date
    start: int
    end: int

    def __str__(self) -> str:
        return (
            f"{self.registry}-{self.project}-{self.vintage_start:%Y%m%d}-{self.vintage_end:%Y%m%d}"
            f"-{self.start:0{SERIAL_DIGITS}d}-{self.end:0{SERIAL_DIGITS}d}"
        )

    @property
    def quantity(self) -> int:
        return self.end - self.start + 1


def parse_block_id(text: str) -> BlockId:
    match = _BLOCK_ID.match(text.strip())
    if not match:
        raise OperationInvalid(
            f"{text!r} is not a serial block number (SGWH-P0001-YYYYMMDD-YYYYMMDD-start-end)"
        )
    try:
        vintage_start = date(int(match["vfrom"][:4]), int(match["vfrom"][4:6]), int(match["vfrom"][6:]))
        vintage_end = date(int(match["vto"][:4]), int(match["vto"][4:6]), int(match["vto"][6:]))
    except ValueError:
        raise OperationInvalid(f"{text!r} has an impossible vintage date") from None
    start, end = int(match["start"]), int(match["end"])
    if end < start:
        raise OperationInvalid(f"{text!r} ends before it starts")
    return BlockId(match["registry"], match["project"], vintage_start, vintage_end, start, end)


def format_serial(serial: int) -> str:
    return f"{serial:0{SERIAL_DIGITS}d}"


def parse_serial(text: str) -> int:
    """A serial given as ``123``, ``000000123`` or inside a block number's start."""
    cleaned = text.strip()
    if not cleaned.isdigit() or int(cleaned) <= 0:
        raise OperationInvalid(f"{text!r} is not a serial number (a positive whole number)")
    return int(cleaned)


# ---------------------------------------------------------------------------------------------
# The invariant, checked over a whole registry
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedRange:
    issuance_id: int
    start: int
    end: int


def tiling_problems(issued: Iterable[IssuedRange], blocks: Iterable[Block]) -> list[str]:
    """Where the blocks fail to tile the issued ranges exactly: a gap, an overlap, a block outside
    any issuance or in another issuance's range. Empty when the registry is consistent."""
    problems: list[str] = []
    ranges = sorted(issued, key=lambda r: r.start)
    for before, after in pairwise(ranges):
        if after.start <= before.end:
            problems.append(f"issuances {before.issuance_id} and {after.issuance_id} overlap")
    by_issuance: dict[int, list[Block]] = {}
    for block in blocks:
        if block.end < block.start:
            problems.append(f"block {block.id} ends before it starts")
        by_issuance.setdefault(block.issuance_id, []).append(block)
    known = {r.issuance_id for r in ranges}
    for issuance_id in sorted(set(by_issuance) - known):
        problems.append(f"blocks of unknown issuance {issuance_id}")
    for issued_range in ranges:
        expected = issued_range.start
        for block in sorted(by_issuance.get(issued_range.issuance_id, []), key=lambda b: b.start):
            if block.start != expected:
                kind = "gap" if block.start > expected else "overlap"
                problems.append(
                    f"issuance {issued_range.issuance_id}: {kind} at serial {expected} (block {block.id})"
                )
            expected = max(expected, block.end + 1)
        if expected != issued_range.end + 1:
            problems.append(
                f"issuance {issued_range.issuance_id}: blocks end at {expected - 1}, "
                f"the issuance at {issued_range.end}"
            )
    return problems
