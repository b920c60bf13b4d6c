"""The checks' result put back in row order (``bulk._runs_in_row_order``): DuckDB returns a group as
a few runs in row order, which interleave by blocks; slicing them in order must give exactly what a
sort would."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from seagreen.carbon_account.service import bulk


def _table(numbers: list[int]) -> pa.Table:
    return pa.table({"row_number": pa.array(numbers, pa.int64()), "event_id": [f"e{n}" for n in numbers]})


@st.composite
def runs(draw: st.DrawFn) -> list[int]:
    """Row numbers cut into runs, the runs shuffled; sometimes two runs interleave, sometimes there
    are more runs than ``MAX_RUNS``."""
    count = draw(st.integers(0, 300))
    numbers = sorted(draw(st.sets(st.integers(1, 10_000), min_size=count, max_size=count)))
    cuts = sorted(draw(st.sets(st.integers(1, max(count - 1, 1)), max_size=min(count, 80))))
    pieces = [numbers[a:b] for a, b in zip([0, *cuts], [*cuts, count], strict=True) if numbers[a:b]]
    if draw(st.booleans()) and len(pieces) >= 2:  # two runs whose row numbers interleave
        merged = pieces[0] + pieces[1]
        pieces = [merged[0::2], merged[1::2], *pieces[2:]]
    order = draw(st.permutations(range(len(pieces))))
    return [n for index in order for n in pieces[index]]


@given(runs())
def test_runs_come_back_in_row_order(numbers):
    table = _table(numbers)
    ordered = bulk._runs_in_row_order(table)
    assert ordered.equals(table.sort_by("row_number"))


def test_two_runs_are_sliced_not_sorted():
    """The usual case (DuckDB's two threads) costs no sort: the result is the two runs' slices of
    the original buffers, not a new array."""
    table = _table([*range(6, 11), *range(1, 6)])
    ordered = bulk._runs_in_row_order(table)
    assert ordered.column("row_number").to_pylist() == list(range(1, 11))
    assert [len(chunk) for chunk in ordered.column("row_number").chunks] == [5, 5]


def test_two_runs_that_interleave_by_blocks_are_sliced_not_sorted():
    """What DuckDB's two threads hand back for a group: each thread's blocks in row order, the two
    threads' blocks interleaved. Six slices of the original buffers, not a sorted copy (which
    the earlier version made whenever two runs interleaved: every group of the benchmark)."""
    blocks = [list(range(start, start + 4)) for start in range(0, 24, 4)]
    numbers = [n for block in blocks[0::2] + blocks[1::2] for n in block]
    table = _table(numbers)
    ordered = bulk._runs_in_row_order(table)
    assert ordered.column("row_number").to_pylist() == list(range(24))
    assert [len(chunk) for chunk in ordered.column("row_number").chunks] == [4] * 6
