"""``BulkSql.arrow``: query rows come back as Arrow through CSV the database writes; every value,
NULL and the awkward texts included, must survive the trip on both databases."""

from __future__ import annotations

import itertools

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from seagreen.carbon_account.repository import bulk_intake
from seagreen.carbon_account.repository.bulk_intake import BulkSql
from seagreen.db.engine import SQLITE_CACHE_KIB

SCHEMA = pa.schema([("n", pa.int64()), ("big", pa.int64()), ("text", pa.string())])

texts = st.one_of(
    st.none(),
    st.sampled_from(["", '"', '""', ",", "a,b", "line\nbreak", "\r\n", " x ", "碳积分", "NULL", "\\N"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20),
)
_names = itertools.count()
rows = st.lists(
    st.tuples(
        st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), st.integers(-(2**63), 2**63 - 1), texts
    ),
    max_size=30,
)


def _values(session: Session, data: list[tuple[int | None, int, str | None]]) -> pa.Table:
    """Put the rows in (``put``: COPY or inserts) and read them back (``arrow``)."""
    table = pa.table(
        {
            "k": pa.array(range(len(data)), pa.int64()),
            "n": pa.array([n for n, _, _ in data], pa.int64()),
            "big": pa.array([b for _, b, _ in data], pa.int64()),
            "text": pa.array([t for _, _, t in data], pa.string()),
        }
    )
    sql = BulkSql(session, attach=False)
    try:
        wanted = f"arrow_trip_{next(_names)}"  # PostgreSQL drops it at commit, not before
        name = sql.put({wanted: table})[wanted]
        return sql.arrow(f"SELECT n, big, text FROM {name} ORDER BY k", SCHEMA)
    finally:
        sql.drop_temporary()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=rows)
def test_every_value_survives(session: Session, data: list[tuple[int | None, int, str | None]]) -> None:
    got = _values(session, data)
    assert got.schema == SCHEMA
    assert got.num_rows == len(data)
    assert list(zip(*(c.to_pylist() for c in got.columns), strict=True)) == data


def test_many_rows_come_back_in_order(session: Session) -> None:
    data = [(n, n * 1_000_003, f"d{n}," * (n % 5) or None) for n in range(70_000)]
    got = _values(session, data)
    assert got.num_rows == len(data)
    assert got.column("big").to_pylist() == [b for _, b, _ in data]
    assert got.column("text").to_pylist() == [t for _, _, t in data]


def test_a_bulk_writers_page_cache_is_bounded_for_its_transaction_only(session: Session) -> None:
    if session.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL's buffers are the server's
    raw = session.connection().connection.dbapi_connection
    sql = BulkSql(session, attach=False)
    sql.bounded_cache()
    assert raw.execute("PRAGMA cache_size").fetchone()[0] == -bulk_intake.BULK_CACHE_KIB
    sql.release()
    assert raw.execute("PRAGMA cache_size").fetchone()[0] == -SQLITE_CACHE_KIB
