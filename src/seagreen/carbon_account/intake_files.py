"""Reading partners' bulk event files (CSV, JSON Lines, Parquet) as a stream of Arrow batches.

Whatever the format, a file comes out as :class:`IntakeBatch` es of at most a few MiB: an Arrow
record batch with the raw event columns as text (``event_id``, ``resident_ref``, ``behaviour``,
``quantity``, ``occurred_at``, ``dedupe_key``), the file's other columns as a JSON object in
``attributes``, and the ``row_number`` every error report refers to; plus the rows that could not
be read at all, each as a :class:`~seagreen.carbon_account.domain.RowError`. Memory stays flat
whatever the size of the file. Values are not checked here: that is
:func:`seagreen.carbon_account.domain.check_event`'s job.

Row numbers are those a person sees: for CSV the spreadsheet row (the header is row 1, the first
record row 2; a quoted value with a line break stays one row); for JSON Lines the line number;
for Parquet the record's position from 1.

Text encodings: a UTF-8 byte-order mark means UTF-8; otherwise the first stretch of the file that
is not plain ASCII decides: strict UTF-8 if it decodes as such, else GB18030 (a superset of GBK and
GB2312). Bytes that still do not decode make their row an ``invalid_encoding`` error.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from seagreen.carbon_account.domain import RowError, attribute_text, attributes_json
from seagreen.carbon_account.encodings import UNDECODABLE, UNDECODABLE_ERRORS, detect_encoding
from seagreen.carbon_account.errors import IntakeFileInvalid

REQUIRED_COLUMNS = ("event_id", "resident_ref", "behaviour", "quantity", "occurred_at")
OPTIONAL_COLUMNS = ("dedupe_key",)
EVENT_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
ROW_NUMBER = "row_number"
ATTRIBUTES = "attributes"
_NOT_ATTRIBUTES = frozenset((*EVENT_COLUMNS, ATTRIBUTES))
TYPED_TIME = "occurred_at_us"
"""A Parquet file's typed ``occurred_at`` as µs since the epoch (UTC); its text is then NULL."""
LOCAL_OFFSET_US = 8 * 3600 * 1_000_000  # Asia/Shanghai: UTC+8 all year since 1991

BATCH_SCHEMA = pa.schema(
    [pa.field(ROW_NUMBER, pa.int64(), nullable=False)]
    + [pa.field(name, pa.string()) for name in EVENT_COLUMNS]
    + [pa.field(ATTRIBUTES, pa.string()), pa.field(TYPED_TIME, pa.int64())]
)

DEFAULT_BLOCK_BYTES = 4 << 20
DEFAULT_BATCH_ROWS = 65_536
READ_CHUNK = 1 << 20

ProgressCallback = Callable[[int, int], None]
"""Called after each batch with (bytes read so far, size of the file)."""


class FileFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    PARQUET = "parquet"


_SUFFIXES = {
    ".csv": FileFormat.CSV,
    ".txt": FileFormat.CSV,
    ".jsonl": FileFormat.JSONL,
    ".ndjson": FileFormat.JSONL,
    ".json": FileFormat.JSONL,
    ".parquet": FileFormat.PARQUET,
    ".pq": FileFormat.PARQUET,
}


@dataclass
class IntakeBatch:
    """A slice of a file: readable rows (``BATCH_SCHEMA``) and the rows that were not."""

    rows: pa.RecordBatch
    errors: list[RowError] = field(default_factory=list)


def detect_format(path: Path) -> FileFormat:
    """By the file name's suffix, else by its first bytes."""
    known = _SUFFIXES.get(path.suffix.lower())
    if known is not None:
        return known
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(b"PAR1"):
        return FileFormat.PARQUET
    if head.lstrip(codecs.BOM_UTF8).lstrip().startswith(b"{"):
        return FileFormat.JSONL
    return FileFormat.CSV


class _CountingReader(io.RawIOBase):
    """The raw file, counting the bytes read for the progress callback."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._handle.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()

    def readinto(self, buffer: Any) -> int:
        count = self._handle.readinto(buffer)  # type: ignore[attr-defined]
        if count:
            self.bytes_read += count
        return int(count or 0)


class _Utf8Stream(io.RawIOBase):
    """The file's text re-encoded as UTF-8, whatever its encoding (decided on the fly, see
    :func:`detect_encoding`); undecodable bytes become ``UNDECODABLE``, which later marks their row."""

    def __init__(self, raw: io.RawIOBase) -> None:
        self._raw = raw
        self.encoding: str | None = None
        self._decoder: codecs.IncrementalDecoder | None = None
        self._pending = b""
        self._first = True
        self.undecodable = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._pending:
            chunk = self._raw.read(READ_CHUNK)
            if not chunk:
                if self._decoder is not None:
                    self._pending = self._encode(self._decoder.decode(b"", final=True))
                    self._decoder = None
                    continue
                return 0
            self._pending = self._convert(chunk)
        size = min(len(view), len(self._pending))
        view[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _convert(self, chunk: bytes) -> bytes:
        first, self._first = self._first, False
        if self._decoder is None:
            encoding = detect_encoding(chunk) if first or not chunk.isascii() else None
            if encoding is None:
                return chunk
            self.encoding = encoding
            self._decoder = codecs.getincrementaldecoder(encoding)(UNDECODABLE_ERRORS)
        return self._encode(self._decoder.decode(chunk))

    def _encode(self, text: str) -> bytes:
        if UNDECODABLE in text:
            self.undecodable = True
        return text.encode("utf-8")


def _row_numbers(first: int, count: int) -> pa.Array:
    """``first``, ``first + 1``, … as ``count`` int64 values, made by NumPy: Arrow's conversion of a
    Python ``range`` visits each integer as a Python object (0.65 s of the checks' thread for 5M
    rows, against 0.01 s)."""
    return pa.array(np.arange(first, first + count, dtype=np.int64))


def _attributes_json(columns: dict[str, list[str | None]], count: int) -> pa.Array:
    """Each row's extra columns (their values already as text) as compact JSON, sorted by name."""
    if not columns:
        return pa.nulls(count, pa.string())
    names = list(columns)
    values = [
        attributes_json({name: text for name, text in zip(names, row, strict=True) if text is not None})
        for row in zip(*columns.values(), strict=True)
    ]
    return pa.array(values, pa.string())


def _assemble(
    row_numbers: pa.Array,
    source: pa.RecordBatch,
    extra_values: dict[str, list[str | None]],
    typed_time: pa.Array | None = None,
) -> pa.RecordBatch:
    """The batch as the checks read it: ``source``'s event columns (text), the extra columns'
    values (text, by column name) as one JSON attribute, and the typed time if there is one."""
    count = len(row_numbers)
    arrays: list[pa.Array] = [row_numbers]
    for name in EVENT_COLUMNS:
        arrays.append(source.column(name) if name in source.schema.names else pa.nulls(count, pa.string()))
    arrays.append(_attributes_json(extra_values, count))
    arrays.append(pa.nulls(count, pa.int64()) if typed_time is None else typed_time)
    return pa.RecordBatch.from_arrays(arrays, schema=BATCH_SCHEMA)


def _column_names(names: list[str]) -> list[str]:
    """Header names, trimmed; an unnamed column (a trailing comma) becomes ``column_N``."""
    return [name.strip().lstrip("\ufeff") or f"column_{index}" for index, name in enumerate(names, start=1)]


def _check_header(names: list[str]) -> list[str]:
    """The file's column names, checked; returns the extra (attribute) columns."""
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise IntakeFileInvalid(f"duplicate columns: {', '.join(duplicates)}", columns=duplicates)
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise IntakeFileInvalid(f"missing columns: {', '.join(missing)}", columns=missing)
    if ROW_NUMBER in names or ATTRIBUTES in names:
        raise IntakeFileInvalid(f"the column names {ROW_NUMBER!r} and {ATTRIBUTES!r} are reserved")
    return [name for name in names if name not in EVENT_COLUMNS]


def _drop_encoding_errors(batch: pa.RecordBatch, errors: list[RowError]) -> pa.RecordBatch:
    bad = None
    for name in (*EVENT_COLUMNS, ATTRIBUTES):
        hits = pc.fill_null(pc.match_substring(batch.column(name), UNDECODABLE), False)
        if not pc.any(hits).as_py():
            continue
        for row_number in pc.filter(batch.column(ROW_NUMBER), hits).to_pylist():
            errors.append(RowError(row_number, name, "invalid_encoding"))
        bad = hits if bad is None else pc.or_(bad, hits)
    if bad is None:
        return batch
    return batch.filter(pc.invert(bad))


def _drop_blank_rows(batch: pa.RecordBatch, source: pa.RecordBatch) -> pa.RecordBatch:
    """Blank lines (every column empty) are skipped, not errors."""
    if source.num_columns == 0 or batch.num_rows == 0:
        return batch
    any_value = None
    for column in source.columns:
        present = pc.is_valid(column)
        any_value = present if any_value is None else pc.or_(any_value, present)
    assert any_value is not None
    if pc.all(any_value).as_py():
        return batch
    return batch.filter(any_value)


def _csv_header(head: bytes) -> list[str]:
    text = head.decode("utf-8", errors="replace")
    first_line = text.splitlines()[0] if text else ""
    if not first_line.strip():
        raise IntakeFileInvalid("the file has no header row")
    try:
        names = next(csv.reader([first_line]))
    except csv.Error as exc:
        raise IntakeFileInvalid(f"the header row cannot be read: {exc}") from exc
    return _column_names(names)


def _empty_batch() -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([], schema=BATCH_SCHEMA)


class EventFileReader:
    """One partner file, read batch by batch: ``for batch in EventFileReader(path): ...``.

    ``format``, ``columns`` and ``extra_columns`` are known once iteration has started;
    ``encoding`` once the reader met the first non-ASCII text (``None`` for an ASCII file).
    """

    def __init__(
        self,
        path: Path,
        *,
        file_format: FileFormat | None = None,
        block_bytes: int = DEFAULT_BLOCK_BYTES,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.path = path
        self.format = file_format or detect_format(path)
        self.block_bytes = block_bytes
        self.batch_rows = batch_rows
        self.on_progress = on_progress
        self.total_bytes = path.stat().st_size
        self.bytes_read = 0
        self.encoding: str | None = None
        self.columns: list[str] = []
        self.extra_columns: list[str] = []

    def __iter__(self) -> Iterator[IntakeBatch]:
        readers = {
            FileFormat.CSV: self._csv,
            FileFormat.JSONL: self._jsonl,
            FileFormat.PARQUET: self._parquet,
        }
        with self.path.open("rb") as handle:
            counting = _CountingReader(handle)
            for batch in readers[self.format](counting):
                self.bytes_read = counting.bytes_read
                if self.on_progress is not None:
                    self.on_progress(self.bytes_read, self.total_bytes)
                yield batch

    # -- CSV ----------------------------------------------------------------------------------

    def _csv(self, raw: _CountingReader) -> Iterator[IntakeBatch]:
        stream = _Utf8Stream(raw)
        buffered = io.BufferedReader(stream, buffer_size=READ_CHUNK)
        names = _csv_header(buffered.peek(READ_CHUNK))
        self.columns = names
        self.extra_columns = _check_header(names)
        rejected: dict[int, RowError] = {}

        def on_invalid_row(row: Any) -> str:
            number = int(row.number)
            detail = f"{row.actual_columns} columns instead of {row.expected_columns}"
            rejected[number] = RowError(number, "row", "wrong_column_count", detail)
            return "skip"

        reader = pa_csv.open_csv(
            buffered,
            read_options=pa_csv.ReadOptions(
                use_threads=False, block_size=self.block_bytes, column_names=names, skip_rows=1
            ),
            parse_options=pa_csv.ParseOptions(
                invalid_row_handler=on_invalid_row, ignore_empty_lines=False, newlines_in_values=True
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )
        next_row = 2  # row 1 is the header
        # the row the next batch starts at, read only if that batch fails (late binding wanted)
        for record_batch in _csv_batches(reader, lambda: next_row, self.block_bytes):  # noqa: B023
            count = record_batch.num_rows
            errors: list[RowError] = []
            if not any(number < next_row + count for number in rejected):
                row_numbers = _row_numbers(next_row, count)
                next_row += count
            else:
                numbers: list[int] = []
                while len(numbers) < count:
                    if next_row in rejected:
                        errors.append(rejected.pop(next_row))
                    else:
                        numbers.append(next_row)
                    next_row += 1
                row_numbers = pa.array(numbers, pa.int64())
            while next_row in rejected:  # rejected rows right after this batch's last one
                errors.append(rejected.pop(next_row))
                next_row += 1
            extra = {name: record_batch.column(name).to_pylist() for name in self.extra_columns}
            batch = _drop_blank_rows(_assemble(row_numbers, record_batch, extra), record_batch)
            if stream.undecodable:
                batch = _drop_encoding_errors(batch, errors)
            self.encoding = stream.encoding
            yield IntakeBatch(batch, sorted(errors, key=lambda error: error.row))
        self.encoding = stream.encoding
        if rejected:
            yield IntakeBatch(_empty_batch(), sorted(rejected.values(), key=lambda error: error.row))

    # -- JSON Lines ---------------------------------------------------------------------------

    def _jsonl(self, raw: _CountingReader) -> Iterator[IntakeBatch]:
        buffered = io.BufferedReader(raw, buffer_size=READ_CHUNK)
        encoding: str | None = None  # undecided while the lines are plain ASCII
        columns: dict[str, list[Any]] = {name: [] for name in EVENT_COLUMNS}
        attributes: list[str | None] = []
        numbers: list[int] = []
        errors: list[RowError] = []
        seen_extra: set[str] = set()

        def flush() -> IntakeBatch:
            arrays = [pa.array(numbers, pa.int64())]
            arrays += [pa.array(columns[name], pa.string()) for name in EVENT_COLUMNS]
            arrays.append(pa.array(attributes, pa.string()))
            arrays.append(pa.nulls(len(numbers), pa.int64()))
            batch = IntakeBatch(pa.RecordBatch.from_arrays(arrays, schema=BATCH_SCHEMA), list(errors))
            for values in columns.values():
                values.clear()
            attributes.clear()
            numbers.clear()
            errors.clear()
            self.extra_columns = sorted(seen_extra)
            return batch

        for number, line in enumerate(buffered, start=1):
            if number == 1 and line.startswith(codecs.BOM_UTF8):
                encoding = self.encoding = "utf-8-sig"
                line = line[len(codecs.BOM_UTF8) :]
            if encoding is None and not line.isascii():
                encoding = self.encoding = detect_encoding(line + buffered.peek(READ_CHUNK)) or "utf-8"
            codec = "utf-8" if encoding in (None, "utf-8-sig") else encoding
            text = line.decode(codec, errors=UNDECODABLE_ERRORS).strip()
            if not text:
                continue
            record, row_errors = _json_record(number, text)
            if record is None:
                errors.extend(row_errors)
                continue
            numbers.append(number)
            for name in EVENT_COLUMNS:
                columns[name].append(_scalar_text(record.get(name)))
            extra = _json_attributes(record)
            seen_extra.update(extra)
            attributes.append(attributes_json(extra))
            if len(numbers) >= self.batch_rows:
                yield flush()
        if numbers or errors:
            yield flush()

    # -- Parquet ------------------------------------------------------------------------------

    def _parquet(self, raw: _CountingReader) -> Iterator[IntakeBatch]:
        # Arrow's own file, not the Python one: column chunks read through Python arrive as bytes
        # objects on Python's heap (a row group's worth at a time), which held on to hundreds of
        # MiB; progress comes from the rows read (Parquet is read by seeking anyway). No pre-buffering:
        # the reader keeps every pre-buffered column chunk until the file is closed, so memory grew
        # by the file's compressed size (300 MB at 20M events); without it, reading is faster, not slower
        try:
            parquet = pq.ParquetFile(pa.OSFile(str(self.path)), buffer_size=READ_CHUNK, pre_buffer=False)
        except (pa.ArrowInvalid, OSError) as exc:
            raise IntakeFileInvalid(f"not a readable Parquet file: {exc}") from exc
        schema = parquet.schema_arrow
        names = list(schema.names)
        self.columns = names
        self.extra_columns = _check_header(names)
        for name in names:
            kind = schema.field(name).type
            if name in self.extra_columns:
                if not (_text_castable(kind) or _attribute_type(kind)):
                    raise IntakeFileInvalid(
                        f"column {name!r} has type {kind}, which is not text, a number, a time, "
                        "true/false, a list or a structure",
                        column=name,
                    )
            elif not _text_castable(kind):
                raise IntakeFileInvalid(
                    f"column {name!r} has type {kind}, which is not text, a number or a time", column=name
                )
        total_rows = max(parquet.metadata.num_rows, 1)
        next_row = 1
        for record_batch in parquet.iter_batches(batch_size=self.batch_rows):
            count = record_batch.num_rows
            row_numbers = _row_numbers(next_row, count)
            next_row += count
            record_batch, undecodable = _undecodable_marked(record_batch)
            columns = {name: record_batch.column(name) for name in EVENT_COLUMNS if name in names}
            typed = _typed_time(columns["occurred_at"])
            if typed is not None:  # kept as a number: no text to format here and parse again
                columns["occurred_at"] = pa.nulls(count, pa.string())
            as_text = pa.RecordBatch.from_arrays(
                [_to_text(column) for column in columns.values()], names=list(columns)
            )
            extra = {name: _attribute_values(record_batch.column(name)) for name in self.extra_columns}
            raw.bytes_read = self.total_bytes * (next_row - 1) // total_rows  # Parquet is read by seeking
            batch = _assemble(row_numbers, as_text, extra, typed)
            errors: list[RowError] = []
            if undecodable:  # refused as a CSV's undecodable bytes are (``invalid_encoding``)
                batch = _drop_encoding_errors(batch, errors)
            yield IntakeBatch(batch, errors)


def _undecodable_marked(batch: pa.RecordBatch) -> tuple[pa.RecordBatch, bool]:
    """``batch`` with each text value that is not UTF-8 replaced by ``UNDECODABLE``, and whether
    there was one. A Parquet writer may store such bytes in a column typed as text; Arrow read
    them as they were, and the first function to look at them failed the whole file. A column
    whose bytes are all ASCII is valid without a closer look (a NumPy pass: 14 ms for all the
    columns of the benchmark's 5M rows); another is validated by Arrow, and only a failing one is
    mended value by value."""
    found = False
    for index, column in enumerate(batch.columns):
        kind = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)) or _utf8(column):
            continue
        texts = column.dictionary_decode() if pa.types.is_dictionary(column.type) else column
        values = [None if raw is None else _decoded(raw) for raw in texts.cast(pa.binary()).to_pylist()]
        batch = batch.set_column(index, batch.schema.field(index).with_type(kind), pa.array(values, kind))
        found = True
    return batch, found


def text_bytes(array: pa.Array) -> np.ndarray:
    """The bytes of a ``string`` or ``large_string`` array's own values, as a NumPy view of its
    data buffer (never the whole buffer: a slice shares it with the rest of its column, and an
    array of nulls may fill it with zeros)."""
    if array.null_count == len(array):
        return np.empty(0, np.uint8)
    _validity, offsets, data = array.buffers()
    width = np.int64 if pa.types.is_large_string(array.type) else np.int32
    bounds = np.frombuffer(offsets, dtype=width)
    start, end = int(bounds[array.offset]), int(bounds[array.offset + len(array)])
    if data is None or end <= start:
        return np.empty(0, np.uint8)
    return np.frombuffer(data, np.uint8, end - start, start)


def _utf8(column: pa.Array) -> bool:
    if pa.types.is_dictionary(column.type):
        return _utf8(column.dictionary)
    view = text_bytes(column)
    if view.size == 0 or view.max() < 0x80:
        return True
    try:
        column.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _decoded(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return UNDECODABLE


def _csv_batches(reader: Any, next_row: Callable[[], int], block_bytes: int) -> Iterator[pa.RecordBatch]:
    """``reader``'s batches; a row Arrow cannot fit in one read block (``block_bytes``) fails the
    file with an ``IntakeFileInvalid`` that says where and why, instead of Arrow's "straddling
    object straddles two block boundaries". Such a row is nearly always a quotation mark that is
    never closed: the rest of the file then reads as one field (values may hold line breaks)."""
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except pa.ArrowInvalid as exc:
            first = next_row()
            if "straddl" in str(exc):
                raise IntakeFileInvalid(
                    f"a row at or after row {first} is longer than {block_bytes >> 10:,} KiB or never "
                    'ends: most often a quotation mark (") that is not closed; the rows before it '
                    "were read",
                    row=first,
                ) from exc
            raise IntakeFileInvalid(
                f"the CSV cannot be read at or after row {first}: {exc}", row=first
            ) from exc
        yield batch


def _json_record(number: int, text: str) -> tuple[dict[str, Any] | None, list[RowError]]:
    """One JSON Lines record, or why it cannot be one."""
    if UNDECODABLE in text:
        return None, [RowError(number, "row", "invalid_encoding")]
    try:
        record = json.loads(text, parse_float=Decimal, parse_constant=str)
    except ValueError as exc:
        return None, [RowError(number, "row", "invalid_json", str(exc))]
    if not isinstance(record, dict):
        return None, [RowError(number, "row", "not_an_object")]
    if "\\u" in text:  # only an escape can write half of a surrogate pair: the usual line has none
        # the member named, unless its name is the broken text (which the quarantine file cannot hold)
        broken = {
            name if _encodable(name) else "row"
            for name, value in record.items()
            if not _encodable((name, value))
        }
        if broken:
            return None, [RowError(number, name, "invalid_encoding") for name in sorted(broken)]
    nested = [
        RowError(number, name, "not_a_scalar")
        for name in EVENT_COLUMNS
        if isinstance(record.get(name), dict | list)
    ]
    if record.get(ATTRIBUTES) is not None and not isinstance(record[ATTRIBUTES], dict):
        nested.append(RowError(number, ATTRIBUTES, "not_an_object"))
    if nested:
        return None, nested
    return record, []


def _encodable(value: Any) -> bool:
    """Whether ``value`` (parsed JSON) has no text with a lone surrogate: JSON lets a line write
    ``"\\ud800"``, which Python parses into a string that no UTF-8 text, Arrow's or a database's,
    can hold (it failed a whole file)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_encodable(key) and _encodable(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return all(_encodable(item) for item in value)
    return True


def _json_attributes(record: dict[str, Any]) -> dict[str, str]:
    """A JSON Lines record's attributes, as the API takes them from the same object: the members of
    its ``attributes`` object and every other field that is not an event field (which replaces an
    attribute of the same name), each value as :func:`domain.attribute_text` writes it."""
    merged = dict(record.get(ATTRIBUTES) or {})
    merged.update((key, value) for key, value in record.items() if key not in _NOT_ATTRIBUTES)
    return {key: attribute_text(value) for key, value in sorted(merged.items()) if value is not None}


def _scalar_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _text_castable(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        return _text_castable(kind.value_type)
    return (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_decimal(kind)
        or pa.types.is_timestamp(kind)
        or pa.types.is_date(kind)
        or pa.types.is_null(kind)
    )


def _attribute_type(kind: pa.DataType) -> bool:
    """An extra Parquet column's type that is kept as attribute text though it is no event field's."""
    return pa.types.is_boolean(kind) or _nested_type(kind)


def _nested_type(kind: pa.DataType) -> bool:
    return (
        pa.types.is_list(kind)
        or pa.types.is_large_list(kind)
        or pa.types.is_fixed_size_list(kind)
        or pa.types.is_struct(kind)
        or pa.types.is_map(kind)
    )


def _attribute_values(column: pa.Array) -> list[str | None]:
    """An extra Parquet column's values as the text the API would keep for the same values
    (``domain.attribute_text``): a double, a decimal or a nested value through Python (``1.0``
    stays ``1.0``, a decimal ``1.50`` is the number ``1.5`` as JSON's, a list is JSON); any other
    type as Arrow writes it as text (a bool ``true``, an integer ``7``)."""
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    kind = column.type
    if pa.types.is_float64(kind) or pa.types.is_decimal(kind) or _nested_type(kind):
        return [None if value is None else attribute_text(value) for value in column.to_pylist()]
    texts: list[str | None] = _to_text(column).to_pylist()
    return texts


TYPED_LIMIT_US = 1 << 62
"""A Parquet time further from 1970 than this (about 146,000 years) is held at it: multiplied
into µs it overflowed, which failed the whole file. Far outside any window, it is refused as in the
future or too old, and a zone's offset still fits beside it."""
_MICROS_PER_UNIT = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": 1}


def _typed_time(column: pa.Array) -> pa.Array | None:
    """A timestamp column as µs since the epoch, UTC (a time without zone is Asia/Shanghai)."""
    kind = column.type
    if pa.types.is_dictionary(kind) or not pa.types.is_timestamp(kind):
        return None
    # nanoseconds (pandas's unit) lose their last three digits, as a text time's do when it is
    # read (``…59.999999999`` is still that second, never the next day's first); a coarser unit
    # is multiplied, a time too far out to be multiplied held at ``TYPED_LIMIT_US`` first
    per_us = _MICROS_PER_UNIT[kind.unit]
    if per_us > 1:
        limit = TYPED_LIMIT_US // per_us
        stored = pc.cast(column, pa.int64())
        held = pc.max_element_wise(
            pc.min_element_wise(stored, limit, skip_nulls=False), -limit, skip_nulls=False
        )
        column = held.view(kind)
    as_us = pc.cast(column, pa.timestamp("us", kind.tz), safe=kind.unit != "ns")
    micros = pc.cast(as_us, pa.int64())
    return micros if kind.tz is not None else pc.subtract(micros, LOCAL_OFFSET_US)


def _to_text(column: pa.Array) -> pa.Array:
    """A Parquet column as the text a CSV would have held (a time without zone stays without)."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.dictionary_decode()
        kind = column.type
    if pa.types.is_string(kind):
        return column
    if pa.types.is_timestamp(kind):
        if kind.tz is not None:
            return pc.strftime(pc.cast(column, pa.timestamp(kind.unit, "UTC")), format="%Y-%m-%dT%H:%M:%SZ")
        return pc.strftime(column, format="%Y-%m-%dT%H:%M:%S")  # %S carries the fraction
    return pc.cast(column, pa.string())


def read_events(
    path: Path,
    *,
    file_format: FileFormat | None = None,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    on_progress: ProgressCallback | None = None,
) -> Iterator[IntakeBatch]:
    """Stream a partner file as :class:`IntakeBatch` es (see :class:`EventFileReader`)."""
    return iter(
        EventFileReader(
            path,
            file_format=file_format,
            block_bytes=block_bytes,
            batch_rows=batch_rows,
            on_progress=on_progress,
        )
    )
