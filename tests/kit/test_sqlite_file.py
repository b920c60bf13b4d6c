"""Arrow tables written as SQLite files by NumPy (kit.sqlite_file), read back by SQLite itself."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seagreen.kit import sqlite_file

INT_TYPES = {
    pa.int8(): (-(2**7), 2**7 - 1),
    pa.int16(): (-(2**15), 2**15 - 1),
    pa.int32(): (-(2**31), 2**31 - 1),
    pa.int64(): (-(2**63), 2**63 - 1),
    pa.uint8(): (0, 2**8 - 1),
    pa.uint32(): (0, 2**32 - 1),
}


def read_back(path: Path, name: str) -> tuple[list[tuple[object, ...]], str]:
    with closing(sqlite3.connect(path)) as connection:
        check = connection.execute("PRAGMA integrity_check").fetchall()
        rows = connection.execute(f"SELECT rowid, * FROM {name} ORDER BY rowid").fetchall()
    return rows, check[0][0]


def expected(table: pa.Table) -> list[tuple[object, ...]]:
    return [(n, *row.values()) for n, row in enumerate(table.to_pylist(), start=1)]


@st.composite
def tables(draw: st.DrawFn) -> pa.Table:
    rows = draw(st.integers(0, 300))
    columns = {}
    for n in range(draw(st.integers(1, 5))):
        if draw(st.booleans()):
            kind = draw(st.sampled_from(list(INT_TYPES)))
            low, high = INT_TYPES[kind]
            values = st.one_of(
                st.none(), st.integers(low, high), st.sampled_from([low, high, 0, 1, -1 if low else 2])
            )
        else:
            kind = draw(st.sampled_from([pa.string(), pa.large_string()]))
            # a text's serial type is a varint of one byte up to 57 bytes of text, two up to 8,185,
            # three beyond: each column's rows all of one width, or of several
            short, hashes = st.text(max_size=20), st.text("0123456789abcdef", min_size=64, max_size=64)
            long = st.text(min_size=200, max_size=3_000)  # beyond a small page: overflow pages
            values = draw(
                st.sampled_from(
                    [
                        st.one_of(st.none(), short),
                        st.one_of(st.none(), short, long),
                        hashes,
                        st.one_of(st.none(), hashes),
                        long,
                        st.just("長" * 3_000),  # 9,000 bytes: a three-byte serial type in every row
                    ]
                )
            )
        columns[f"c{n}"] = pa.array(draw(st.lists(values, min_size=rows, max_size=rows)), kind)
    return pa.table(columns)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(table=tables(), page_size=st.sampled_from([512, 1024, 4096, 65_536]), chunks=st.integers(1, 3))
def test_sqlite_reads_back_every_row_in_order_and_finds_the_file_sound(
    tmp_path_factory: pytest.TempPathFactory, table: pa.Table, page_size: int, chunks: int
) -> None:
    path = tmp_path_factory.mktemp("sqlite-file") / "t.db"
    size = -(-table.num_rows // chunks) or 1
    chunked = pa.concat_tables([table.slice(at, size) for at in range(0, max(table.num_rows, 1), size)])
    sqlite_file.write_tables(path, {"t": chunked, "other": table.slice(0, 2)}, page_size=page_size)
    rows, check = read_back(path, "t")
    assert check == "ok"
    assert rows == expected(table)
    assert read_back(path, "other")[0] == expected(table.slice(0, 2))


def test_a_row_whose_texts_all_need_two_byte_serial_types_sorts_and_checks_sound(tmp_path: Path) -> None:
    """A keyed hash (64 characters: serial type 141, a two-byte varint) in the only row: the
    header's size must count both bytes, else SQLite reads every later value one byte early."""
    digest = "49db5bd863651d3f6af597caad36a3ca5b380394b3d8e848e169fb8624158195"
    table = pa.table(
        {"n": [601], "id": ["e-599"], "digest": [digest], "extra": pa.array([None], pa.string())}
    )
    path = tmp_path / "one.db"
    sqlite_file.write_tables(path, {"stage": table})
    rows, check = read_back(path, "stage")
    assert check == "ok"
    assert rows == [(1, 601, "e-599", digest, None)]
    with closing(sqlite3.connect(path)) as connection:
        ordered = connection.execute("SELECT digest, n FROM stage ORDER BY digest, n").fetchall()
    assert ordered == [(digest, 601)]


def test_a_large_table_gets_interior_pages_over_interior_pages(tmp_path: Path) -> None:
    """512-byte pages: 30k rows take about 2,000 leaves, so two levels of interior pages."""
    count = 30_000
    table = pa.table(
        {
            "id": pa.array(np.arange(count) * 7 - 50_000),
            "name": pa.array([f"event-{n:06d}" for n in range(count)]),
        }
    )
    path = tmp_path / "deep.db"
    sqlite_file.write_tables(path, {"t": table}, page_size=512)
    rows, check = read_back(path, "t")
    assert check == "ok"
    assert rows == expected(table)
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("SELECT name FROM t WHERE rowid = 12345").fetchone() == ("event-012344",)
        (root,) = connection.execute("SELECT rootpage FROM sqlite_schema WHERE name = 't'").fetchone()
    data = path.read_bytes()

    def page(number: int) -> bytes:
        return data[(number - 1) * 512 : number * 512]

    right_most = int.from_bytes(page(root)[8:12], "big")
    assert page(root)[0] == page(right_most)[0] == 0x05  # an interior page above interior pages


def test_a_row_larger_than_a_page_spills_to_overflow_pages(tmp_path: Path) -> None:
    text = "海绿" * 70_000  # 420,000 bytes of UTF-8: seven 64 KiB pages
    table = pa.table({"n": [1, 2, 3], "body": ["before", text, "after"]})
    path = tmp_path / "long.db"
    sqlite_file.write_tables(path, {"t": table})
    rows, check = read_back(path, "t")
    assert check == "ok"
    assert rows == [(1, 1, "before"), (2, 2, text), (3, 3, "after")]


def test_empty_tables_and_the_schema_read_as_sqlite_wrote_them(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    schema = pa.schema([("a", pa.int64()), ("b", pa.string())])
    sqlite_file.write_tables(
        path, {"e": schema.empty_table(), "f": pa.RecordBatchReader.from_batches(schema, [])}
    )
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("SELECT count(*) FROM e").fetchone() == (0,)
        assert connection.execute("SELECT sql FROM sqlite_schema WHERE name = 'f'").fetchone() == (
            "CREATE TABLE f (a INTEGER, b TEXT)",
        )
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("PRAGMA page_size").fetchone() == (65_536,)


def test_a_stream_of_batches_is_written_as_it_comes(tmp_path: Path) -> None:
    batches = [pa.record_batch({"a": [n, n + 1], "b": [str(n), None]}) for n in range(0, 100, 2)]
    reader = pa.RecordBatchReader.from_batches(batches[0].schema, iter(batches))
    path = tmp_path / "stream.db"
    sqlite_file.write_tables(path, {"s": reader})
    rows, check = read_back(path, "s")
    assert check == "ok"
    assert rows == [(n + 1, n, str(n) if n % 2 == 0 else None) for n in range(100)]


@pytest.mark.parametrize(
    "column",
    [pa.array([1.5]), pa.array([2**64 - 1], pa.uint64()), pa.array([b"x"], pa.binary())],
    ids=["float", "uint64", "binary"],
)
def test_what_it_does_not_write_is_refused_before_a_file_exists(tmp_path: Path, column: pa.Array) -> None:
    path = tmp_path / "refused.db"
    with pytest.raises(sqlite_file.Unsupported):
        sqlite_file.write_tables(path, {"ok": pa.table({"a": [1]}), "t": pa.table({"x": column})})
    assert not path.exists()


def test_a_failure_midway_leaves_no_file(tmp_path: Path) -> None:
    schema = pa.schema([("a", pa.int64())])

    def batches():
        yield pa.record_batch({"a": [1, 2]})
        raise OSError("the source went away")

    path = tmp_path / "half.db"
    with pytest.raises(OSError, match="went away"):
        sqlite_file.write_tables(path, {"t": pa.RecordBatchReader.from_batches(schema, batches())})
    assert not path.exists()


@pytest.mark.parametrize("value", [0, 1, 127, 128, 16_383, 16_384, 2**21, 2**35, 2**56 - 1])
def test_varints_are_sqlites(value: int) -> None:
    """SQLite's varint: 7 bits a byte, most significant first, the high bit on all but the last
    (checked against the Python encoder of the schema page, and by size)."""
    block, sizes = sqlite_file.varints(np.array([value], np.uint64))
    encoded = bytes(block[0, : sizes[0]])
    assert encoded == sqlite_file._varint(value)
    decoded = 0
    for byte in encoded:
        decoded = (decoded << 7) | (byte & 0x7F)
    assert decoded == value
    assert all(byte & 0x80 for byte in encoded[:-1]) and not encoded[-1] & 0x80
