"""``bulk._repeated``: the rows of a group whose event id an earlier row has, found by grouping,
or at once when the ids rise strictly with the rows (then they are all different)."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from seagreen.carbon_account.service.bulk import _repeated


def _group(ids: list[str]) -> pa.Table:
    return pa.table({"row_number": pa.array(range(1, len(ids) + 1), pa.int64()), "event_id": pa.array(ids)})


def _expected(ids: list[str]) -> list[int]:
    seen: set[str] = set()
    repeats = []
    for number, event_id in enumerate(ids, start=1):
        if event_id in seen:
            repeats.append(number)
        seen.add(event_id)
    return repeats


@given(st.lists(st.text(alphabet="ab09-é", max_size=4), max_size=40), st.booleans())
def test_the_repeated_rows_are_every_row_after_the_first_of_its_id(ids: list[str], rising: bool) -> None:
    if rising:  # the fast path's case, with the repeats a sorted list keeps next to each other
        ids = sorted(ids)
    assert sorted(_repeated(_group(ids))) == _expected(ids)


def test_ids_that_rise_but_repeat_are_not_taken_for_all_different() -> None:
    assert _repeated(_group(["a1", "a2", "a2", "a3"])) == [3]
    assert _repeated(_group(["a1", "a2", "a3"])) == []
    assert _repeated(_group(["b", "a", "b"])) == [3]
