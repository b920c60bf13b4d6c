"""PostgreSQL: a statement's rows bound as one array per column, each column encoded in one step.

The real-time intake and the ledger write a request's rows with one statement that ``unnest``s
array parameters (one round trip, not one a row). psycopg dumps a Python list of ints element by
element in Python (``ListBinaryDumper``), about a microsecond an element: the six statements of
a request of 1,000 events were a quarter of the API server's samples in py-spy, most of it that
(docs/decisions/0005, phase 30). A column of ints is encoded here instead as PostgreSQL's binary
``bigint[]`` with one ``struct.pack``: four columns of 1,000 ints took 1.9 ms a statement against
3.4-3.8. A column of anything else (text, a ``None``, a bool) is left to psycopg as before.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from psycopg.adapt import Dumper
from psycopg.pq import Format

INT8_OID = 20
INT8_ARRAY_OID = 1016
_INTS = {int}


class Int8Array(bytes):
    """A column of ints already in PostgreSQL's binary array form (``array_recv``): one
    dimension, no NULLs, elements of ``bigint`` each preceded by its length (8)."""


class Int8ArrayDumper(Dumper):
    """Sends an ``Int8Array`` as it is, typed ``bigint[]``."""

    format = Format.BINARY
    oid = INT8_ARRAY_OID

    def dump(self, obj: Any) -> bytes:
        return bytes(obj)


@lru_cache(maxsize=64)
def _layout(count: int) -> struct.Struct:
    # header: dimensions, has-nulls flag, element type; the one dimension: length, lower bound;
    # then each element as (length, value)
    return struct.Struct(">iiiii" + "iq" * count)


def int8_array(values: Sequence[int]) -> Int8Array:
    """``values`` (ints, none ``None``) as a binary ``bigint[]``; ``OverflowError`` for one beyond
    64 bits (which no column of these statements can hold either)."""
    count = len(values)
    flat: list[int] = [8] * (2 * count)
    flat[1::2] = values
    try:
        return Int8Array(_layout(count).pack(1, 0, INT8_OID, count, 1, *flat))
    except struct.error as exc:
        raise OverflowError(f"a value of this column does not fit in a bigint: {exc}") from exc


def _column(values: tuple[Any, ...]) -> Any:
    # only a column all of whose values are exactly int (not bool, not None): the rest as psycopg
    # would bind them (a list)
    if set(map(type, values)) == _INTS:
        return int8_array(values)
    return list(values)


def array_parameters(cursor: Any, rows: Sequence[Sequence[Any]]) -> list[Any]:
    """The columns of ``rows`` as the parameters of one ``unnest`` statement run on ``cursor``
    (a psycopg cursor, which is taught here to send an ``Int8Array``)."""
    cursor.adapters.register_dumper(Int8Array, Int8ArrayDumper)
    return [_column(column) for column in zip(*rows, strict=True)]


def execute_arrays(cursor: Any, statement: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run ``statement`` once over ``rows`` (at least one), each column bound as one array (its
    placeholders ``%b``, which it ``unnest``s). Never prepared: psycopg prepares a statement after
    five runs, and the server may then reuse a generic plan, which does not know how long the
    arrays are and can pick a nested loop over a sequential scan (seen: 50x slower)."""
    cursor.execute(statement, array_parameters(cursor, rows), prepare=False)
