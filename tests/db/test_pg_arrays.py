"""``seagreen.db.pg_arrays``: a column of ints as PostgreSQL's binary ``bigint[]``, read back by
psycopg's own loader (no server needed) and, on PostgreSQL, by the server through ``unnest``."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg.adapt import Transformer
from psycopg.pq import Format
from sqlalchemy.orm import Session

from seagreen.db.pg_arrays import INT8_ARRAY_OID, Int8Array, array_parameters, execute_arrays, int8_array

BIGINTS = st.integers(min_value=-(2**63), max_value=2**63 - 1)


def _load(data: bytes) -> list[int]:
    return list(Transformer().get_loader(INT8_ARRAY_OID, Format.BINARY).load(data))


@given(st.lists(BIGINTS, min_size=1, max_size=300))
def test_a_column_of_ints_reads_back_as_itself(values: list[int]) -> None:
    assert _load(int8_array(values)) == values


def test_a_value_beyond_a_bigint_is_refused() -> None:
    with pytest.raises(OverflowError, match="bigint"):
        int8_array([1, 2**63])


class _Cursor:
    """What ``array_parameters`` needs of a psycopg cursor: its adapters."""

    def __init__(self) -> None:
        self.adapters = Transformer().adapters


def test_only_columns_of_plain_ints_are_encoded() -> None:
    rows = [(1, "a", None, True, 7), (2, "b", 3, False, 8)]
    ints, texts, nullable, bools, more = array_parameters(_Cursor(), rows)
    assert isinstance(ints, Int8Array) and _load(ints) == [1, 2]
    assert isinstance(more, Int8Array) and _load(more) == [7, 8]
    # text, a column with a NULL and bools (ints to Python, not to PostgreSQL) as psycopg binds them
    assert texts == ["a", "b"] and nullable == [None, 3] and bools == [True, False]


def test_the_server_unnests_what_is_sent(session: Session, on_postgres: bool) -> None:
    if not on_postgres:
        pytest.skip("the arrays are PostgreSQL's")
    cursor = session.connection().connection.cursor()
    rows = [(n, f"r{n}", None if n % 2 else n, n % 3 == 0, -(2**62) + n) for n in range(1, 1001)]
    execute_arrays(
        cursor,
        "SELECT * FROM unnest(%b::bigint[], %b::text[], %b::bigint[], %b::boolean[], %b::bigint[]) "
        "WITH ORDINALITY AS v ORDER BY ordinality",
        rows,
    )
    assert [tuple(row[:5]) for row in cursor.fetchall()] == rows
    cursor.execute(
        "SELECT * FROM unnest(%b::integer[])", array_parameters(cursor, [(5,), (-6,)]), prepare=False
    )
    assert [row[0] for row in cursor.fetchall()] == [5, -6]
