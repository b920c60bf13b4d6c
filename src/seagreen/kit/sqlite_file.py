"""Arrow tables written as a new SQLite database file, page by page, by NumPy.

A bulk ingest hands each group of accepted events to the platform's SQLite connection as a scratch
file that the connection ``ATTACH``es (docs/decisions/0005, the amendment: no second SQLite library
opens the platform's file). Writing that file through a SQLite library binds every value of every
row, one call each: 0.3 s for a group of 500k events, most of the writer's time beside its own
insert. The file format is simple and documented (https://www.sqlite.org/fileformat2.html), and a
table that is only ever read once, front to back, needs little of it: this module lays the rows
out as the records, cells and b-tree pages SQLite reads, column by column with NumPy
(docs/decisions/0037).

What it writes, and nothing else:

- page 1: the 100-byte header, then ``sqlite_schema`` as one leaf page, a row per table;
- each table: a rowid table whose rowids are 1, 2, 3 … in the rows' order, its leaf pages filled
  one after another, then interior pages above them up to one root;
- columns of any Arrow integer type (stored as 8-byte integers) or text (``string`` or
  ``large_string``, UTF-8), each nullable; a page of 64 KiB, no free pages; a row too large for a
  page (over 65,501 bytes) keeps its first part in its cell, the rest in overflow pages.

Anything else raises :class:`Unsupported` before a byte is written (a column of another type or
of ``uint64``, more than eight tables), and the caller writes the file another way. The tests
read every file back through Python's ``sqlite3`` and run SQLite's ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

PAGE_SIZE = 65_536
MAX_TABLES = 8  # their definitions share page 1 with the header
SLICE_ROWS = 65_536
"""Rows encoded at a time: bounds the temporary arrays (a few MB), not the file."""
LEAF_HEADER, INTERIOR_HEADER, FILE_HEADER = 8, 12, 100
LEAF_TABLE, INTERIOR_TABLE = 0x0D, 0x05
INTEGER_SERIAL, INTEGER_BYTES = 6, 8
SQLITE_VERSION_NUMBER = 3_040_001  # "the version that last wrote the file"; informational


class Unsupported(ValueError):
    """A table this writer does not write (the caller falls back to a SQLite library)."""


Rows: TypeAlias = "pa.Table | pa.RecordBatchReader"


def write_tables(path: Path, tables: dict[str, Rows], *, page_size: int = PAGE_SIZE) -> None:
    """Write ``tables`` (name → rows, in order) as a new SQLite database file at ``path``.

    A table's column types come from its Arrow schema: integers as ``INTEGER``, text as ``TEXT``.
    Raises :class:`Unsupported` (leaving no file) for what this module does not write. A page
    size other than 64 KiB (a power of two from 512) is for tests of deep trees and long rows."""
    if page_size < 512 or page_size > PAGE_SIZE or page_size & (page_size - 1):
        raise ValueError(f"page size {page_size}")
    if len(tables) > MAX_TABLES:
        raise Unsupported(f"{len(tables)} tables (at most {MAX_TABLES})")
    for name, rows in tables.items():
        _check_schema(name, rows.schema)
    try:
        with open(path, "wb") as out:
            out.seek(page_size)  # page 1, the schema, is written last
            writer = _PageWriter(out, size=page_size, first_page=2)
            roots = {name: _write_table(writer, rows) for name, rows in tables.items()}
            schema = pa.record_batch(
                {
                    "type": pa.array(["table"] * len(tables), pa.string()),
                    "name": pa.array(list(tables), pa.string()),
                    "tbl_name": pa.array(list(tables), pa.string()),
                    "rootpage": pa.array(list(roots.values()), pa.int64()),
                    "sql": pa.array(
                        [_create_sql(name, rows.schema) for name, rows in tables.items()], pa.string()
                    ),
                }
            )
            out.seek(0)
            out.write(_first_page(schema, pages=writer.next_page - 1, size=page_size).data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _check_schema(name: str, schema: pa.Schema) -> None:
    if not name.isidentifier():
        raise Unsupported(f"table name {name!r}")
    for field in schema:
        if not field.name.isidentifier():
            raise Unsupported(f"column name {field.name!r}")
        if pa.types.is_uint64(field.type) or not (pa.types.is_integer(field.type) or _is_text(field.type)):
            raise Unsupported(f"column {field.name} of type {field.type}")


def _is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _create_sql(name: str, schema: pa.Schema) -> str:
    columns = ", ".join(f"{f.name} {'TEXT' if _is_text(f.type) else 'INTEGER'}" for f in schema)
    return f"CREATE TABLE {name} ({columns})"


# -- records ----------------------------------------------------------------------------------
#
# A cell of a table's leaf page is: the payload's size (varint), the rowid (varint), the payload.
# The payload is a record: the header's size (varint, counting itself), each column's serial type
# (varint: 0 NULL, 6 an 8-byte integer, 13 + 2n a text of n bytes), then each value's bytes. Each
# part is built for every row at once, as a block of bytes a row (NumPy) or a binary array
# (Arrow), and Arrow joins the parts row by row: the joined array's data is the cells back to back
# and its offsets are where each begins.


def varint_sizes(values: np.ndarray) -> np.ndarray:
    """Bytes of SQLite's varint for each value (0 ≤ value < 2^56: at most 8 bytes of 7 bits)."""
    sizes = np.ones(len(values), np.int64)
    largest = int(values.max()) if len(values) else 0
    for width in range(1, 8):
        if largest < 1 << (7 * width):
            break
        sizes += values >= (1 << (7 * width))
    return sizes


def varints(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value's varint, left-aligned in a block of (rows, widest) bytes, and its size: groups
    of 7 bits, most significant first, the high bit set on every byte but the last."""
    values = values.astype(np.uint64, copy=False)
    sizes = varint_sizes(values)
    widest = int(sizes.max()) if len(sizes) else 1
    if widest == 1:
        return values.astype(np.uint8).reshape(-1, 1), sizes
    block = np.zeros((len(values), widest), np.uint8)
    for byte in range(widest):
        shift = np.clip(sizes - 1 - byte, 0, None).astype(np.uint64) * np.uint64(7)
        part = (values >> shift) & np.uint64(0x7F)
        part |= np.where(byte < sizes - 1, 0x80, 0).astype(np.uint64)
        block[:, byte] = np.where(byte < sizes, part, 0)
    return block, sizes


@dataclass
class _Part:
    """A part of every row's cell: a block of bytes a row of which each row uses the bytes where
    ``used`` is true (all of them where ``used`` is None); or integers, each written as 8 bytes
    big-endian where its run's block is made (one pass, no block of their own); or a binary
    array."""

    block: np.ndarray | None = None
    used: np.ndarray | None = None
    array: pa.Array | None = None
    ints: np.ndarray | None = None

    def width(self) -> int:
        return INTEGER_BYTES if self.ints is not None else int(self.block.shape[1])  # type: ignore[union-attr]

    def widths(self) -> np.ndarray | int:
        """Each row's bytes of the part (not an array's)."""
        return self.width() if self.used is None else self.used.sum(axis=1)

    def put(self, out: np.ndarray) -> None:
        """Write the part's bytes into ``out``, a view of its columns of a run's block."""
        if self.ints is not None:
            out.view(">i8")[:, 0] = self.ints
        else:
            out[:] = self.block

    def binary(self) -> pa.Array:
        if self.array is not None:
            return self.array
        assert self.block is not None  # (integers are written into their run's block by ``_merged``)
        rows, width = self.block.shape
        if self.used is None:
            offsets = np.arange(0, (rows + 1) * width, width, dtype=np.int64)
            data = np.ascontiguousarray(self.block).reshape(-1)
        else:
            offsets = np.zeros(rows + 1, np.int64)
            np.cumsum(self.used.sum(axis=1), out=offsets[1:])
            data = self.block[self.used]
        return pa.Array.from_buffers(
            pa.large_binary(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
        )


def _varint_part(values: np.ndarray) -> _Part:
    block, sizes = varints(values)
    if not len(sizes) or int(sizes.min()) == block.shape[1]:  # all of one size: a fixed width
        return _Part(block)
    return _Part(block, np.arange(block.shape[1]) < sizes[:, None])


def _merged(parts: list[_Part]) -> list[_Part]:
    """Runs of adjacent blocks (and integers) become one block each, so that Arrow joins fewer
    parts: a run's bytes a row are its parts side by side, and a row uses those its parts use."""
    merged: list[_Part] = []
    run: list[_Part] = []

    def end_run() -> None:
        if len(run) == 1 and run[0].ints is None:
            merged.append(run[0])
        elif run:
            rows = len(run[0].ints) if run[0].ints is not None else run[0].block.shape[0]  # type: ignore[union-attr]
            block = np.empty((rows, sum(part.width() for part in run)), np.uint8)
            at = 0
            for part in run:
                part.put(block[:, at : at + part.width()])
                at += part.width()
            if all(part.used is None for part in run):
                merged.append(_Part(block))
            else:
                used = [
                    np.ones((rows, part.width()), bool) if part.used is None else part.used for part in run
                ]
                merged.append(_Part(block, np.hstack(used)))
        run.clear()

    for part in parts:
        if part.array is None:
            run.append(part)
        else:
            end_run()
            merged.append(part)
    end_run()
    return merged


def _column_parts(array: pa.Array) -> tuple[_Part, _Part | None, np.ndarray | int]:
    """A column's serial types, its values' bytes (None: every value is empty or NULL), and their
    sizes."""
    rows = len(array)
    if pa.types.is_integer(array.type):
        if not array.null_count:
            ints = np.asarray(array.to_numpy(zero_copy_only=False))
            return _Part(np.full((rows, 1), INTEGER_SERIAL, np.uint8)), _Part(ints=ints), INTEGER_BYTES
        ints = np.asarray(array.fill_null(0).to_numpy(zero_copy_only=False)).astype(">i8")
        body = ints.view(np.uint8).reshape(rows, INTEGER_BYTES)
        valid = np.asarray(array.is_valid().to_numpy(zero_copy_only=False), bool)
        serial = np.where(valid, INTEGER_SERIAL, 0).astype(np.uint8).reshape(rows, 1)
        used = np.repeat(valid[:, None], INTEGER_BYTES, axis=1)
        return _Part(serial), _Part(body, used), np.where(valid, INTEGER_BYTES, 0).astype(np.int64)
    text = pc.fill_null(
        array.cast(pa.large_binary() if pa.types.is_large_string(array.type) else pa.binary()), b""
    )
    lengths = np.asarray(pc.binary_length(text).to_numpy(zero_copy_only=False), np.int64)
    types = 13 + 2 * lengths
    if array.null_count:
        types[np.asarray(array.is_null().to_numpy(zero_copy_only=False), bool)] = 0
    values = _Part(array=text.cast(pa.large_binary())) if lengths.any() else None
    return _varint_part(types), values, lengths


def encode_cells(batch: pa.RecordBatch, first_rowid: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The table-leaf cells of ``batch``'s rows, rowids from ``first_rowid``, back to back, each
    with its whole payload (``_spill`` moves a payload too large for a page to overflow pages):
    the bytes, each cell's start (one more than rows: the last is the end), each payload's size."""
    rows = batch.num_rows
    serials, bodies = [], []
    header = np.zeros(rows, np.int64)
    payload = np.zeros(rows, np.int64)
    for i in range(batch.num_columns):
        serial, body, sizes = _column_parts(batch.column(i))
        serials.append(serial)
        if body is not None:
            bodies.append(body)
        header += serial.widths()
        payload += sizes
    header_sizes = varint_sizes((header + 1).astype(np.uint64))  # the header's size counts its own varint
    header += varint_sizes((header + header_sizes).astype(np.uint64))
    payload += header
    rowids = np.arange(first_rowid, first_rowid + rows, dtype=np.uint64)
    parts = [_varint_part(payload), _varint_part(rowids), _varint_part(header), *serials, *bodies]
    cells = pc.binary_join_element_wise(
        *(part.binary() for part in _merged(parts)), pa.scalar(b"", pa.large_binary())
    )
    buffers = cells.buffers()
    starts = np.frombuffer(buffers[1], np.int64, rows + 1, cells.offset * 8)
    data = np.frombuffer(buffers[2], np.uint8) if buffers[2] is not None else np.zeros(0, np.uint8)
    return data, starts, payload


# -- pages ------------------------------------------------------------------------------------


class _PageWriter:
    """Appends whole pages of ``size`` bytes to the file, numbered from ``first_page``."""

    def __init__(self, out: BinaryIO, *, size: int, first_page: int) -> None:
        self.out = out
        self.size = size
        self.next_page = first_page

    def write(self, page: np.ndarray | bytes) -> int:
        if len(page) != self.size:
            raise AssertionError(f"a page of {len(page)} bytes, not {self.size}")
        self.out.write(page if isinstance(page, bytes) else page.data)
        number, self.next_page = self.next_page, self.next_page + 1
        return number


def max_local(size: int) -> int:
    """The largest payload a table's leaf cell holds without overflow pages (usable size − 35)."""
    return size - 35


def local_size(payload: int, size: int) -> int:
    """Bytes of a table-leaf payload kept in its cell on pages of ``size``; the rest goes to
    overflow pages (https://www.sqlite.org/fileformat2.html#cellformat)."""
    if payload <= max_local(size):
        return payload
    least = (size - 12) * 32 // 255 - 23
    kept = least + (payload - least) % (size - 4)
    return kept if kept <= max_local(size) else least


def _write_table(writer: _PageWriter, rows: Rows) -> int:
    """Write a table's leaf pages, then its interior pages; return its root page's number."""
    children: list[tuple[int, int]] = []  # (page, its largest rowid)
    rowid = 1
    for batch in _slices(rows):
        cells, starts, payload = encode_cells(batch, rowid)
        large = np.flatnonzero(payload > max_local(writer.size))
        if len(large):
            cells, starts = _spill(writer, cells, starts, payload, large)
        for first, last in _leaf_spans(starts, writer.size):
            page = writer.write(_leaf_page(cells, starts, first, last, writer.size))
            children.append((page, rowid + last - 1))
        rowid += batch.num_rows
    if not children:
        return writer.write(_leaf_page(np.zeros(0, np.uint8), np.zeros(1, np.int64), 0, 0, writer.size))
    while len(children) > 1:
        children = [
            (writer.write(_interior_page(group, writer.size)), group[-1][1])
            for group in _interior_groups(children, writer.size)
        ]
    return children[0][0]


def _slices(rows: Rows) -> Iterator[pa.RecordBatch]:
    batches: Iterable[pa.RecordBatch] = rows if isinstance(rows, pa.RecordBatchReader) else rows.to_batches()
    for batch in batches:
        for start in range(0, batch.num_rows, SLICE_ROWS):
            yield batch.slice(start, SLICE_ROWS)


def _spill(
    writer: _PageWriter, cells: np.ndarray, starts: np.ndarray, payload: np.ndarray, large: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The cells, each payload of the ``large`` rows cut to its local part followed by the 4-byte
    number of its first overflow page; the rest written to a chain of overflow pages (each: the
    4-byte number of the next, 0 for the last, then bytes)."""
    pieces: list[np.ndarray] = []
    sizes = np.diff(starts)
    done = 0
    room = writer.size - 4
    for row in large.tolist():
        pieces.append(cells[starts[done] : starts[row]])
        cell = cells[starts[row] : starts[row + 1]]
        head = len(cell) - int(payload[row])  # the cell's two varints
        kept = local_size(int(payload[row]), writer.size)
        rest = cell[head + kept :]
        count = -(-len(rest) // room)
        first = writer.next_page
        for n in range(count):
            chunk = rest[n * room : (n + 1) * room].tobytes()
            following = first + n + 1 if n + 1 < count else 0
            writer.write(struct.pack(">I", following) + chunk + bytes(room - len(chunk)))
        pieces.append(cell[: head + kept])
        pieces.append(np.frombuffer(struct.pack(">I", first), np.uint8))
        sizes[row] = head + kept + 4
        done = row + 1
    pieces.append(cells[starts[done] :])
    spilled = np.zeros(len(starts), np.int64)
    np.cumsum(sizes, out=spilled[1:])
    return np.concatenate(pieces), spilled


def _leaf_spans(starts: np.ndarray, size: int) -> Iterator[tuple[int, int]]:
    """Rows [first, last) of each leaf page, filled in order: a cell costs its bytes and a
    2-byte pointer."""
    rows = len(starts) - 1
    room = size - LEAF_HEADER
    cost = starts + 2 * np.arange(rows + 1)  # bytes of rows [0, i) with their pointers
    first = 0
    while first < rows:
        last = int(np.searchsorted(cost, cost[first] + room, side="right")) - 1
        if last <= first:  # a spilled cell always fits: it is at most 35 bytes less a page
            raise AssertionError("a cell larger than a page")
        yield first, last
        first = last


def _leaf_page(
    cells: np.ndarray, starts: np.ndarray, first: int, last: int, size: int, *, at: int = 0
) -> np.ndarray:
    """A table's leaf page holding rows [first, last); its b-tree header at ``at`` (100 on page 1,
    after the file's header)."""
    page = np.zeros(size, np.uint8)
    content = cells[starts[first] : starts[last]]
    top = size - len(content)
    page[top:] = content
    count = last - first
    pointers = at + LEAF_HEADER
    page[pointers : pointers + 2 * count] = (
        (starts[first:last] - starts[first] + top).astype(">u2").view(np.uint8)
    )
    page[at:pointers] = np.frombuffer(struct.pack(">BHHHB", LEAF_TABLE, 0, count, top % 65_536, 0), np.uint8)
    return page


def _varint(value: int) -> bytes:
    groups = [value & 0x7F]
    value >>= 7
    while value:
        groups.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(groups))


def _interior_groups(children: list[tuple[int, int]], size: int) -> Iterator[list[tuple[int, int]]]:
    """Children in runs that fit one interior page: a cell (4-byte page, varint key, 2-byte
    pointer) for every child but the last, which is the page's right-most pointer."""
    room = size - INTERIOR_HEADER
    group: list[tuple[int, int]] = []
    used = 0
    for child in children:
        if group:
            cost = 6 + len(_varint(group[-1][1]))  # the last child so far becomes a cell
            if used + cost > room:
                yield group
                group, used = [], 0
            else:
                used += cost
        group.append(child)
    yield group


def _interior_page(children: list[tuple[int, int]], size: int) -> bytes:
    cells = [struct.pack(">I", page) + _varint(key) for page, key in children[:-1]]
    top = size - sum(len(cell) for cell in cells)
    pointers = (
        struct.pack(f">{len(cells)}H", *np.cumsum([top] + [len(c) for c in cells[:-1]]).tolist())
        if cells
        else b""
    )
    header = struct.pack(">BHHHBI", INTERIOR_TABLE, 0, len(cells), top % 65_536, 0, children[-1][0])
    body = header + pointers
    return body + bytes(top - len(body)) + b"".join(cells)


# -- page 1 -----------------------------------------------------------------------------------


def _first_page(schema: pa.RecordBatch, *, pages: int, size: int) -> np.ndarray:
    """Page 1: the file's header, then ``sqlite_schema`` (a row per table) as one leaf page."""
    cells, starts, _payload = encode_cells(schema, 1)
    if FILE_HEADER + LEAF_HEADER + 2 * schema.num_rows + int(starts[-1]) > size:
        raise Unsupported("the tables' definitions do not fit the first page")
    page = _leaf_page(cells, starts, 0, schema.num_rows, size, at=FILE_HEADER)
    page[:FILE_HEADER] = np.frombuffer(_file_header(pages, size), np.uint8)
    return page


def _file_header(pages: int, size: int) -> bytes:
    """The database header (https://www.sqlite.org/fileformat2.html#the_database_header)."""
    change_counter = 1
    return (
        b"SQLite format 3\x00"
        + struct.pack(">HBBBBBB", size % 65_536 or 1, 1, 1, 0, 64, 32, 32)  # 1: 65,536; rollback journal
        + struct.pack(">IIII", change_counter, pages, 0, 0)  # no free pages
        + struct.pack(">IIIIIIII", 1, 4, 0, 0, 1, 0, 0, 0)  # schema cookie, format 4, UTF-8
        + bytes(20)
        + struct.pack(">II", change_counter, SQLITE_VERSION_NUMBER)
    )
