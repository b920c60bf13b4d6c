"""``BulkSql.arrow``: query rows come back as Arrow through CSV the database writes; every value,
NULL and the awkward texts included, must survive the trip on both databases."""

from __future__ import annotations

import itertools
import sqlite3
from contextlib import closing
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from seagreen.carbon_account.repository import bulk_intake
from seagreen.carbon_account.repository.bulk_intake import BulkSql
from seagreen.db.engine import SQLITE_CACHE_KIB, autocheckpoint_pages, make_engine, make_session_factory
from seagreen.db.uow import unit_of_work

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
        pytest.skip("PostgreSQL's buffers are the server's")
    raw = session.connection().connection.dbapi_connection
    sql = BulkSql(session, attach=False)
    sql.bounded_cache()
    assert raw.execute("PRAGMA cache_size").fetchone()[0] == -bulk_intake.BULK_CACHE_KIB
    sql.release()
    assert raw.execute("PRAGMA cache_size").fetchone()[0] == -SQLITE_CACHE_KIB


def test_a_bulk_writers_checkpoints_are_left_to_the_thread_for_its_transaction_only(session: Session) -> None:
    """``release`` gives the connection back the autocheckpoint it had (the engine sets it from the
    file's page size: decision 0038), whatever that was."""
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no autocheckpoint")
    raw = session.connection().connection.dbapi_connection
    before = raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    assert before == autocheckpoint_pages(raw.execute("PRAGMA page_size").fetchone()[0])
    raw.execute("PRAGMA wal_autocheckpoint=1234")  # the connection's own, not a constant
    sql = BulkSql(session, attach=False)
    sql.checkpoints_elsewhere()
    assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    sql.release()
    assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1234
    raw.execute(f"PRAGMA wal_autocheckpoint={before}")


def _stream(table: pa.Table) -> pa.RecordBatchReader:
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=7_000))


STREAMED = pa.table({"k": pa.array(range(50_000), pa.int64()), "t": [f"t{n}" for n in range(50_000)]})


def test_a_stream_of_batches_goes_to_a_scratch_file_like_a_table(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'stream.db'}")
    factory = make_session_factory(engine)
    sql: BulkSql | None = None
    try:
        with unit_of_work(factory) as session:
            sql = BulkSql(session, tmp_path)
            names = sql.put({"streamed": _stream(STREAMED), "whole": STREAMED})
            assert sql.arrow(f"SELECT k, t FROM {names['streamed']} ORDER BY k", STREAMED.schema) == STREAMED
            assert sql.arrow(f"SELECT k, t FROM {names['whole']} ORDER BY k", STREAMED.schema) == STREAMED
    finally:
        if sql is not None:
            sql.release()
        engine.dispose()


def test_a_stream_of_batches_is_read_whole_where_no_scratch_file_is_used(session: Session) -> None:
    sql = BulkSql(session, attach=False)
    try:
        name = sql.put({"streamed_rows": _stream(STREAMED)})["streamed_rows"]
        assert sql.arrow(f"SELECT k, t FROM {name} ORDER BY k", STREAMED.schema) == STREAMED
    finally:
        sql.drop_temporary()


def _month_rows(keys: list[tuple[int, int, int]], grams: int) -> pa.Table:
    return pa.table(
        {
            "resident_id": pa.array([r for r, _, _ in keys], pa.int64()),
            "behaviour_id": pa.array([b for _, b, _ in keys], pa.int64()),
            "month": pa.array([m for _, _, m in keys], pa.int64()),
            "reduction_g": pa.array([grams] * len(keys), pa.int64()),
            "day_credited_g": pa.array([grams] * len(keys), pa.int64()),
            "credited_g": pa.array([grams] * len(keys), pa.int64()),
            "days": pa.array([f"{grams}" + "," * 30] * len(keys), pa.string()),
        }
    )


@pytest.mark.postgres
def test_new_month_rows_go_in_by_copy_and_a_stored_one_sends_them_back_whole(session: Session) -> None:
    sql = BulkSql(session, attach=False)
    assert bulk_intake.copy_new_months(sql, _month_rows([(90_001, 1, 24_300), (90_002, 1, 24_300)], 5))
    # one of these is stored already: none of them is written, and the transaction goes on
    assert not bulk_intake.copy_new_months(sql, _month_rows([(90_003, 1, 24_300), (90_001, 1, 24_300)], 7))
    assert bulk_intake.copy_new_months(sql, _month_rows([], 9))
    stored = sql.rows(
        "SELECT resident_id, reduction_g, days FROM carbon_month_totals WHERE resident_id > 90000 ORDER BY 1"
    )
    assert stored == [(90_001, 5, "5" + "," * 30), (90_002, 5, "5" + "," * 30)]


def test_a_staged_scratch_file_is_deleted_at_release_whether_it_was_put_or_not(tmp_path: Path) -> None:
    """A flush stages its new totals on another thread (``BulkSql.stage``) while its transaction
    goes on; should the transaction fail before they are put, the file must not outlive it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'staged.db'}")
    factory = make_session_factory(engine)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    try:
        with unit_of_work(factory) as session:
            sql = BulkSql(session, scratch)
            put = sql.put_staged(sql.stage({"kept": STREAMED}))
            unused = sql.stage({"never_put": _stream(STREAMED)})
            assert unused.path is not None and unused.path.exists()
            assert sql.arrow(f"SELECT k, t FROM {put['kept']} ORDER BY k", STREAMED.schema) == STREAMED
            assert len(list(scratch.iterdir())) == 2
        sql.release()  # after the transaction, as the ingest's flushes do
        assert list(scratch.iterdir()) == []
    finally:
        engine.dispose()


def test_scratch_files_are_laid_out_by_numpy_and_what_it_cannot_write_goes_through_adbc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Integers and texts: pages written by ``kit.sqlite_file`` (64 KiB pages, ADBC's are 4 KiB);
    a column it does not write (unsigned 64-bit integers): ADBC writes the whole file instead."""
    adbc_files: list[Path] = []
    adbc = bulk_intake._write_scratch_adbc

    def recorded(path: Path, tables: dict) -> None:
        adbc_files.append(path)
        adbc(path, tables)

    monkeypatch.setattr(bulk_intake, "_write_scratch_adbc", recorded)
    bulk_intake.write_scratch(tmp_path / "ints.db", {"t": STREAMED})
    unsigned = pa.table({"k": [1, 2], "x": pa.array([5, 2**40], pa.uint64())})
    bulk_intake.write_scratch(tmp_path / "unsigned.db", {"t": unsigned})
    assert adbc_files == [tmp_path / "unsigned.db"]
    for name, table in (("ints.db", STREAMED), ("unsigned.db", unsigned)):
        with closing(sqlite3.connect(tmp_path / name)) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            page_size = connection.execute("PRAGMA page_size").fetchone()[0]
            rows = connection.execute("SELECT * FROM t ORDER BY rowid").fetchall()
        assert page_size == (65_536 if name == "ints.db" else 4_096)
        assert rows == [tuple(row.values()) for row in table.to_pylist()]
