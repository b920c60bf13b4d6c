"""Serial blocks as pure rules: carving, taking the lowest serials, exact ranges, the buffer's
share, serial numbers as text, and the tiling invariant; checked against a set of serials."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seagreen.registry.domain.serials import (
    Block,
    BlockId,
    BlockState,
    IssuedRange,
    NewBlock,
    Take,
    buffer_split,
    carve,
    parse_block_id,
    take_lowest,
    take_range,
    tiling_problems,
)
from seagreen.registry.errors import InsufficientCredits, OperationInvalid, SerialsNotHeld

A = BlockState.ACTIVE


def block(start: int, end: int, holder: str | None = "a", state: BlockState = A, block_id: int = 1) -> Block:
    return Block(block_id, 7, start, end, state, holder)


def test_moving_the_head_of_a_block_keeps_the_row_for_the_moved_part():
    carving = carve(Take(block(1, 100), 1, 30), A, "b")
    assert (carving.end, carving.state, carving.holder) == (30, A, "b")
    assert carving.inserts == (NewBlock(7, 31, 100, A, "a"),)


def test_moving_the_middle_of_a_block_leaves_three_blocks():
    carving = carve(Take(block(1, 100), 40, 60), BlockState.RETIRED, "a")
    assert (carving.end, carving.state, carving.holder) == (39, A, "a")
    assert carving.inserts == (NewBlock(7, 40, 60, BlockState.RETIRED, "a"), NewBlock(7, 61, 100, A, "a"))


def test_moving_a_whole_block_only_changes_its_state_and_holder():
    carving = carve(Take(block(5, 9), 5, 9), BlockState.CANCELLED, None)
    assert (carving.end, carving.state, carving.holder, carving.inserts) == (
        9,
        BlockState.CANCELLED,
        None,
        (),
    )


def test_a_take_outside_its_block_is_a_bug():
    with pytest.raises(ValueError, match="not inside"):
        carve(Take(block(1, 10), 5, 11), A, "b")


def test_the_lowest_serials_are_taken_first_across_blocks():
    takes = take_lowest([block(1, 3), block(10, 19, block_id=2)], 5)
    assert [(t.start, t.end) for t in takes] == [(1, 3), (10, 11)]


def test_taking_more_than_is_held_names_what_is_available():
    with pytest.raises(InsufficientCredits) as caught:
        take_lowest([block(1, 3)], 4)
    assert caught.value.details == {"available": 3, "asked": 4}


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_quantity_must_be_a_positive_whole_number(quantity):
    with pytest.raises(OperationInvalid):
        take_lowest([block(1, 3)], quantity)


def test_an_exact_range_may_span_contiguous_blocks_of_one_holding():
    takes = take_range([block(1, 10), block(11, 20, block_id=2)], 8, 12, state=A, holder="a")
    assert [(t.block.id, t.start, t.end) for t in takes] == [(1, 8, 10), (2, 11, 12)]


@pytest.mark.parametrize(
    ("blocks", "first_bad"),
    [
        ([block(1, 10), block(11, 20, holder="b", block_id=2)], 11),  # someone else's
        ([block(1, 10), block(11, 20, state=BlockState.RETIRED, block_id=2)], 11),  # retired
        ([block(1, 10), block(14, 20, block_id=2)], 11),  # a gap (not issued, or elsewhere)
        ([block(1, 9)], 10),  # runs past the holding
    ],
)
def test_an_exact_range_must_be_wholly_active_in_the_holding(blocks, first_bad):
    with pytest.raises(SerialsNotHeld) as caught:
        take_range(blocks, 5, 15, state=A, holder="a")
    assert caught.value.details["first_serial"] == first_bad


@pytest.mark.parametrize(
    ("quantity", "share", "split"),
    [
        (338, "0.10", (304, 34)),
        (421, "0.05", (399, 22)),
        (10, "0", (10, 0)),
        (1, "0.10", (0, 1)),
        (35, "0.10", (31, 4)),
    ],
)
def test_the_buffer_gets_its_share_rounded_up(quantity, share, split):
    assert buffer_split(quantity, Decimal(share)) == split


@pytest.mark.parametrize("share", ["1", "-0.1", "1.5"])
def test_a_buffer_share_outside_0_to_1_is_refused(share):
    with pytest.raises(OperationInvalid):
        buffer_split(10, Decimal(share))


def test_a_block_number_reads_back_to_what_it_says():
    text = "SGWH-P0001-20210101-20231231-000000001-000000338"
    parsed = parse_block_id(text)
    assert parsed == BlockId("SGWH", "P0001", date(2021, 1, 1), date(2023, 12, 31), 1, 338)
    assert str(parsed) == text and parsed.quantity == 338


@pytest.mark.parametrize(
    "text",
    [
        "SGWH-P0001-20210101-20231231-000000338-000000001",
        "SGWH-P0001-20211301-20231231-000000001-000000002",
        "P0001-1-2",
        "",
    ],
)
def test_a_malformed_block_number_is_refused(text):
    with pytest.raises(OperationInvalid):
        parse_block_id(text)


def test_tiling_finds_gaps_overlaps_and_short_ends():
    issued = [IssuedRange(1, 1, 10), IssuedRange(2, 11, 20)]
    good = [block(1, 4, block_id=1), block(5, 10, block_id=2), Block(3, 2, 11, 20, A, "a")]
    assert (
        tiling_problems(
            issued, [Block(b.id, 1 if b.start <= 10 else 2, b.start, b.end, b.state, b.holder) for b in good]
        )
        == []
    )
    problems = tiling_problems(
        issued, [Block(1, 1, 1, 4, A, "a"), Block(2, 1, 6, 10, A, "a"), Block(3, 2, 11, 19, A, "a")]
    )
    assert any("gap at serial 5" in p for p in problems) and any("blocks end at 19" in p for p in problems)
    overlap = tiling_problems(
        issued, [Block(1, 1, 1, 6, A, "a"), Block(2, 1, 5, 10, A, "a"), Block(3, 2, 11, 20, A, "a")]
    )
    assert any("overlap at serial 7" in p for p in overlap)


# ---- against a model: every serial in a set ----------------------------------------------------

moves = st.lists(st.tuples(st.integers(1, 40), st.integers(0, 2)), max_size=25)


@given(moves)
def test_carving_conserves_every_serial_and_never_overlaps(steps):
    """Apply takes of the lowest serials from three holders in turn; the blocks always tile 1..100
    and each serial is where a plain dict of serial -> holder says it is."""
    holders = ["a", "b", "c"]
    blocks = {1: Block(1, 1, 1, 100, A, "a")}
    model = dict.fromkeys(range(1, 101), "a")
    next_id = 2
    for quantity, target in steps:
        sender = next((h for h in holders if any(b.holder == h for b in blocks.values())), "a")
        held = sorted((b for b in blocks.values() if b.holder == sender), key=lambda b: b.start)
        available = sum(b.quantity for b in held)
        if quantity > available:
            with pytest.raises(InsufficientCredits):
                take_lowest(held, quantity)
            continue
        receiver = holders[target]
        for take in take_lowest(held, quantity):
            carving = carve(take, A, receiver)
            old = blocks[carving.block_id]
            blocks[carving.block_id] = Block(
                old.id, old.issuance_id, old.start, carving.end, carving.state, carving.holder
            )
            for new in carving.inserts:
                blocks[next_id] = Block(next_id, new.issuance_id, new.start, new.end, new.state, new.holder)
                next_id += 1
        for serial in sorted(s for s, h in model.items() if h == sender)[:quantity]:
            model[serial] = receiver
        assert tiling_problems([IssuedRange(1, 1, 100)], blocks.values()) == []
        assert {s: b.holder for b in blocks.values() for s in range(b.start, b.end + 1)} == model
