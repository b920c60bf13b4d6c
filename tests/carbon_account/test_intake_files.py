"""Reading partners' bulk files: formats, encodings, malformed rows, row numbers, bounded batches."""

from __future__ import annotations

import codecs
import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from seagreen.carbon_account.domain import check_event, parse_occurred_at
from seagreen.carbon_account.encodings import decode_text, detect_encoding
from seagreen.carbon_account.errors import IntakeFileInvalid
from seagreen.carbon_account.intake_files import (
    BATCH_SCHEMA,
    LOCAL_OFFSET_US,
    TYPED_LIMIT_US,
    EventFileReader,
    FileFormat,
    detect_format,
    read_events,
)
from seagreen.carbon_account.schemas import EventsIn, raw_event
from seagreen.kit.clock import LOCAL_TZ, to_micros
from tests.factories.carbon_account import csv_text, event_rows, jsonl_text, methodology, write_text
from tests.factories.carbon_account import event as factory_event

NOW = datetime(2024, 6, 10, 4, 0, tzinfo=UTC)
EVENT_FIELDS = ("event_id", "resident_ref", "behaviour", "quantity", "occurred_at", "dedupe_key")

CHINESE_ROWS = [
    {
        "event_id": "e-1",
        "resident_ref": "威海居民-甲",
        "behaviour": "bus_trip",
        "quantity": "2",
        "occurred_at": "2024-06-01T08:00:00",
        "dedupe_key": "银联-0001",
        "线路": "环翠区 1 路",
    },
    {
        "event_id": "e-2",
        "resident_ref": "威海居民-乙",
        "behaviour": "online_utility_payment",
        "quantity": "1",
        "occurred_at": "2024-06-01T09:30:00+08:00",
        "dedupe_key": "",
        "线路": "",
    },
]
CHINESE_HEADER = ["event_id", "resident_ref", "behaviour", "quantity", "occurred_at", "dedupe_key", "线路"]


def read_all(path, **options):
    reader = EventFileReader(path, **options)
    batches = list(reader)
    rows: dict[str, list] = {name: [] for name in BATCH_SCHEMA.names}
    errors = []
    for batch in batches:
        assert batch.rows.schema.equals(BATCH_SCHEMA)
        for name, values in batch.rows.to_pydict().items():
            rows[name].extend(values)
        errors.extend(batch.errors)
    return reader, rows, errors


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("gbk", "gb18030")],
)
def test_reads_chinese_csv_in_each_encoding(tmp_path, encoding, detected):
    path = write_text(tmp_path / "events.csv", csv_text(CHINESE_ROWS, CHINESE_HEADER), encoding)
    reader, rows, errors = read_all(path)
    assert errors == []
    assert reader.encoding == detected
    assert rows["row_number"] == [2, 3]
    assert rows["resident_ref"] == ["威海居民-甲", "威海居民-乙"]
    assert rows["dedupe_key"] == ["银联-0001", None]
    assert json.loads(rows["attributes"][0]) == {"线路": "环翠区 1 路"}
    assert rows["attributes"][1] is None


def test_encoding_is_decided_by_the_first_non_ascii_text_even_far_into_the_file(tmp_path):
    ascii_rows = event_rows(30_000)  # well over a megabyte of plain ASCII first
    text = csv_text([*ascii_rows, {**CHINESE_ROWS[0], "event_id": "late"}])
    path = write_text(tmp_path / "late.csv", text, "gbk")
    assert path.stat().st_size > 1 << 20
    reader, rows, errors = read_all(path)
    assert errors == []
    assert reader.encoding == "gb18030"
    assert rows["resident_ref"][-1] == "威海居民-甲"
    assert rows["row_number"][-1] == 30_002


def test_undecodable_bytes_reject_only_their_row(tmp_path):
    good = csv_text(CHINESE_ROWS, CHINESE_HEADER).encode("utf-8")
    broken = good.replace("威海居民-乙".encode(), b"\xff\xfe\xfd")
    path = tmp_path / "broken.csv"
    path.write_bytes(broken)
    _, rows, errors = read_all(path)
    assert [(e.row, e.field, e.reason) for e in errors] == [(3, "resident_ref", "invalid_encoding")]
    assert rows["event_id"] == ["e-1"]


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_replacement_character_in_a_file_is_text_kept_as_the_api_keeps_it(tmp_path, encoding):
    """U+FFFD is a character like any other (an earlier system's conversion often leaves one): it
    is kept in every field and attribute, in CSV and JSON Lines; only bytes that do not decode
    reject their row."""
    replaced = [
        {**CHINESE_ROWS[0], "resident_ref": "威海居民-\ufffd", "线路": "\ufffd 路"},
        {**CHINESE_ROWS[1], "event_id": "e-\ufffd"},
    ]
    csv_path = write_text(tmp_path / "replaced.csv", csv_text(replaced, CHINESE_HEADER), encoding)
    jsonl_path = write_text(tmp_path / "replaced.jsonl", jsonl_text(replaced), encoding)
    for path in (csv_path, jsonl_path):
        reader, rows, errors = read_all(path)
        assert errors == []
        assert reader.encoding == encoding
        assert rows["resident_ref"] == ["威海居民-\ufffd", "威海居民-乙"]
        assert rows["event_id"] == ["e-1", "e-\ufffd"]
        assert json.loads(rows["attributes"][0]) == {"线路": "\ufffd 路"}


def test_undecodable_bytes_reject_their_json_line_beside_a_real_replacement_character(tmp_path):
    text = jsonl_text([{**CHINESE_ROWS[0], "resident_ref": "威海居民-\ufffd"}, CHINESE_ROWS[1]])
    path = tmp_path / "broken.jsonl"
    path.write_bytes(text.encode().replace("威海居民-乙".encode(), b"\xff\xfe\xfd"))
    reader, rows, errors = read_all(path)
    assert reader.encoding == "utf-8"
    assert [(e.row, e.field, e.reason) for e in errors] == [(2, "row", "invalid_encoding")]
    assert rows["resident_ref"] == ["威海居民-\ufffd"]


def test_malformed_rows_become_errors_with_their_row_numbers(tmp_path):
    text = (
        "event_id,resident_ref,behaviour,quantity,occurred_at\n"
        "e-1,r-1,bus_trip,1,2024-06-01T08:00:00\n"  # row 2
        "e-2,r-2\n"  # row 3: too few columns
        "\n"  # row 4: blank, skipped silently
        'e-3,"r-3\nsecond line",bus_trip,1,2024-06-01T08:00:00\n'  # row 5: one row, two lines
        "e-4,r-4,bus_trip,1,2024-06-01T08:00:00,extra\n"  # row 6: too many columns
        "e-5,r-5,bus_trip,1,2024-06-01T08:00:00\n"  # row 7
        "e-6\n"  # row 8: too few, at the very end
    )
    path = write_text(tmp_path / "malformed.csv", text)
    _, rows, errors = read_all(path)
    assert rows["row_number"] == [2, 5, 7]
    assert rows["event_id"] == ["e-1", "e-3", "e-5"]
    assert [(e.row, e.field, e.reason) for e in errors] == [
        (3, "row", "wrong_column_count"),
        (6, "row", "wrong_column_count"),
        (8, "row", "wrong_column_count"),
    ]


def test_row_numbers_stay_right_across_many_small_batches(tmp_path):
    rows_in = event_rows(3_000)
    lines = csv_text(rows_in).splitlines(keepends=True)
    broken_rows = {10, 777, 1500, 2999}  # spreadsheet rows (header is row 1)
    for row in broken_rows:
        lines[row - 1] = "broken,row\n"
    path = write_text(tmp_path / "many.csv", "".join(lines))
    _, rows, errors = read_all(path, block_bytes=4096)
    assert sorted(e.row for e in errors) == sorted(broken_rows)
    expected = [row for row in range(2, 3_002) if row not in broken_rows]
    assert rows["row_number"] == expected
    assert rows["event_id"] == [f"e-{row - 1}" for row in expected]


def test_missing_required_columns_refuse_the_whole_file(tmp_path):
    path = write_text(tmp_path / "bad.csv", "event_id,resident_ref,quantity\n1,2,3\n")
    with pytest.raises(IntakeFileInvalid, match="behaviour, occurred_at"):
        list(read_events(path))


def test_duplicate_or_reserved_columns_refuse_the_whole_file(tmp_path):
    header = "event_id,resident_ref,behaviour,quantity,occurred_at"
    with pytest.raises(IntakeFileInvalid, match="duplicate"):
        list(read_events(write_text(tmp_path / "a.csv", header + ",quantity\n")))
    with pytest.raises(IntakeFileInvalid, match="reserved"):
        list(read_events(write_text(tmp_path / "b.csv", header + ",row_number\n")))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_reads_json_lines(tmp_path, encoding):
    records = [
        {"event_id": 1, "resident_ref": "威海居民-甲", "behaviour": "bus_trip", "quantity": 1.5,
         "occurred_at": "2024-06-01T08:00:00+08:00", "线路": "1 路", "meta": {"a": [1, 2]}},
        {"event_id": "e-2", "resident_ref": "r-2", "behaviour": "bus_trip", "quantity": "2",
         "occurred_at": "2024-06-01T08:00:00"},
    ]  # fmt: skip
    text = jsonl_text(records[:1]) + "\n" + "not json\n" + "[1, 2]\n"
    text += '{"event_id": "e-x", "resident_ref": {"nested": 1}, "behaviour": "b", "quantity": 1}\n'
    text += jsonl_text(records[1:])
    path = write_text(tmp_path / "events.jsonl", text, encoding)
    reader, rows, errors = read_all(path)
    assert reader.format is FileFormat.JSONL
    assert reader.encoding == encoding
    assert rows["row_number"] == [1, 6]
    assert rows["event_id"] == ["1", "e-2"]
    assert rows["quantity"] == ["1.5", "2"]  # the number's own text, never a float
    assert json.loads(rows["attributes"][0]) == {"meta": '{"a":[1,2]}', "线路": "1 路"}
    assert [(e.row, e.field, e.reason) for e in errors] == [
        (3, "row", "invalid_json"),
        (4, "row", "not_an_object"),
        (5, "resident_ref", "not_a_scalar"),
    ]


def test_a_json_line_escaping_half_a_surrogate_pair_is_refused_naming_its_member(tmp_path):
    """JSON may write ``"\\ud800"``; Python parses it into a text no UTF-8 can hold, which failed the
    whole file (Arrow's and the databases' text are UTF-8). The row is refused instead; a whole
    pair written as escapes is a character like any other."""
    good = '"resident_ref": "r-1", "behaviour": "bus_trip", "quantity": "1", "occurred_at": "2024-06-01"'
    lines = [
        f'{{"event_id": "e-1", {good}}}',
        f'{{"event_id": "e-2\\ud800", {good}}}',
        f'{{"event_id": "e-3", {good}, "line": "\\udfff", "meta": {{"k": ["\\ud83d"]}}}}',
        f'{{"event_id": "e-4", {good}, "\\ud800": "x"}}',
        f'{{"event_id": "e-5 \\ud83d\\ude8c", {good}}}',
    ]
    _reader, rows, errors = read_all(write_text(tmp_path / "events.jsonl", "\n".join(lines) + "\n"))
    assert rows["event_id"] == ["e-1", "e-5 \U0001f68c"]
    assert [(e.row, e.field, e.reason) for e in errors] == [
        (2, "event_id", "invalid_encoding"),
        (3, "line", "invalid_encoding"),
        (3, "meta", "invalid_encoding"),
        (4, "row", "invalid_encoding"),
    ]


@pytest.mark.parametrize(
    "bad",
    [
        'e-9,r-1,bus_trip,1,2024-06-01T08:00:00+08:00,"' + "x" * 3000 + '"',  # longer than a block
        'e-9,r-1,bus_trip,1,2024-06-01T08:00:00+08:00,"an unclosed quote',  # the rest is one field
    ],
)
def test_a_csv_row_longer_than_a_read_block_fails_the_file_saying_where_and_why(tmp_path, bad):
    """Arrow said only "straddling object straddles two block boundaries"; an unclosed quotation
    mark makes the rest of the file one field, so any large file with one ends that way."""
    good = [f"e-{n},r-1,bus_trip,1,2024-06-01T08:00:00+08:00," for n in range(40)]
    lines = ["event_id,resident_ref,behaviour,quantity,occurred_at,note", *good, bad, *good[:30]]
    path = write_text(tmp_path / "events.csv", "\n".join(lines) + "\n")
    with pytest.raises(IntakeFileInvalid, match=r"at or after row \d+ is longer than 1 KiB") as failed:
        read_all(path, block_bytes=1024)
    assert 2 <= failed.value.details["row"] <= 42  # the bad row is row 42
    assert "quotation mark" in failed.value.message


def _texts(values: list[bytes | None]) -> pa.Array:
    """A ``string`` array holding these bytes as they are, valid UTF-8 or not (as a careless
    Parquet writer stores them)."""
    offsets, data = [0], b""
    for value in values:
        data += value or b""
        offsets.append(len(data))
    buffers = [
        pa.array([v is not None for v in values]).buffers()[1],
        pa.array(offsets, pa.int32()).buffers()[1],
    ]
    return pa.Array.from_buffers(pa.string(), len(values), [*buffers, pa.py_buffer(data)])


def test_parquet_text_that_is_not_utf8_is_refused_by_the_row_and_the_rest_read(tmp_path):
    """Arrow reads a Parquet text column's bytes as they are; the first function to look at bytes
    that are not UTF-8 failed the whole file. Each such value's row is refused as a CSV's
    undecodable bytes are, whichever column holds it, dictionary-encoded or not."""
    table = pa.table(
        {
            "event_id": _texts([b"e-1", b"e-2\xff", b"e-3", b"e-4", b"\xe5\xa8\x81-5"]),
            "resident_ref": _texts([b"r-1", b"r-1", b"r-\xc3", b"r-1", b"r-1"]).dictionary_encode(),
            "behaviour": pa.array(["bus_trip"] * 5),
            "quantity": pa.array(["1"] * 5),
            "occurred_at": pa.array(["2024-06-01T08:00:00+08:00"] * 5),
            "线路": _texts([b"1", None, b"2", b"\x80", "威海".encode()]),
        }
    )
    path = tmp_path / "events.parquet"
    pq.write_table(table, path)
    _reader, rows, errors = read_all(path)
    assert rows["event_id"] == ["e-1", "威-5"]
    assert [json.loads(a) for a in rows["attributes"]] == [{"线路": "1"}, {"线路": "威海"}]
    assert sorted((e.row, e.field, e.reason) for e in errors) == [
        (2, "event_id", "invalid_encoding"),
        (3, "resident_ref", "invalid_encoding"),
        (4, "attributes", "invalid_encoding"),
    ]


@pytest.mark.parametrize(("unit", "zone"), [("s", "UTC"), ("ms", None)])
def test_a_parquet_time_too_far_out_to_be_in_microseconds_is_held_not_a_failure(tmp_path, unit, zone):
    """Multiplied into µs, 10^15 s overflowed and failed the whole file."""
    per_unit = {"s": 1, "ms": 1_000}[unit]
    times = [1_717_200_000 * per_unit, None, 10**15 * per_unit, -(10**15) * per_unit]
    table = pa.table(
        {
            "event_id": [f"e-{n}" for n in range(4)],
            "resident_ref": ["r-1"] * 4,
            "behaviour": ["bus_trip"] * 4,
            "quantity": ["1"] * 4,
            "occurred_at": pa.array(times, pa.timestamp(unit, zone)),
        }
    )
    pq.write_table(table, tmp_path / "events.parquet")
    _reader, rows, errors = read_all(tmp_path / "events.parquet")
    local = 0 if zone else 8 * 3_600_000_000
    held = TYPED_LIMIT_US - TYPED_LIMIT_US % 1_000  # in whole ms: Parquet stores seconds as ms
    assert rows["occurred_at_us"] == [1_717_200_000_000_000 - local, None, held - local, -held - local]
    assert errors == []


def test_reads_parquet_with_typed_columns(tmp_path):
    table = pa.table(
        {
            "event_id": pa.array(["e-1", "e-2", "e-3"]),
            "resident_ref": pa.array(["威海居民-甲", "r-2", "r-3"]).dictionary_encode(),
            "behaviour": pa.array(["bus_trip"] * 3),
            "quantity": pa.array([1.5, 2.0, 0.001]),
            "occurred_at": pa.array(
                [
                    datetime(2024, 6, 1, 0, 0, tzinfo=UTC),
                    None,
                    datetime(2024, 6, 1, 1, 2, 3, 500, tzinfo=UTC),
                ],
                pa.timestamp("us", tz="UTC"),
            ),
            "station": pa.array([7, None, 9], pa.int32()),
        }
    )
    path = tmp_path / "events.parquet"
    pq.write_table(table, path, row_group_size=2)
    reader, rows, errors = read_all(path, batch_rows=2)
    assert errors == []
    assert reader.format is FileFormat.PARQUET
    assert rows["row_number"] == [1, 2, 3]
    assert rows["resident_ref"][0] == "威海居民-甲"
    assert rows["quantity"] == ["1.5", "2", "0.001"]
    # a typed time stays a number (µs since the epoch, UTC): nothing to format and parse again
    assert rows["occurred_at"] == [None, None, None]
    assert rows["occurred_at_us"] == [
        to_micros(datetime(2024, 6, 1, 0, 0, tzinfo=UTC)),
        None,
        to_micros(datetime(2024, 6, 1, 1, 2, 3, 500, tzinfo=UTC)),
    ]
    assert rows["attributes"] == ['{"station":"7"}', None, '{"station":"9"}']


def test_parquet_time_without_zone_is_local_time(tmp_path):
    table = pa.table(
        {
            "event_id": ["e-1"],
            "resident_ref": ["r-1"],
            "behaviour": ["bus_trip"],
            "quantity": pa.array([1], pa.int64()),
            "occurred_at": pa.array([datetime(2024, 6, 1, 8, 0)], pa.timestamp("ms")),
        }
    )
    path = tmp_path / "naive.parquet"
    pq.write_table(table, path)
    _, rows, _ = read_all(path)
    # a time without zone is Asia/Shanghai's
    assert rows["occurred_at_us"] == [to_micros(datetime(2024, 6, 1, 8, 0, tzinfo=LOCAL_TZ))]
    assert rows["quantity"] == ["1"]


@pytest.mark.parametrize("zone", ["Asia/Shanghai", None])
def test_parquet_nanosecond_times_are_read_to_the_microsecond_as_their_text_would_be(tmp_path, zone):
    """pandas writes times in nanoseconds; the platform keeps microseconds. The extra digits go
    as they go when the same time is read as text: the last nanosecond of a day stays that day."""
    texts = [
        "2024-06-08T23:59:59.999999999",
        "2024-06-09T08:00:00.000000500",
        "2024-06-09T08:00:01.123456789",
    ]
    nanos = [
        (to_micros(datetime.fromisoformat(text[:26]).replace(tzinfo=LOCAL_TZ)) * 1000 + int(text[26:]))
        for text in texts
    ]
    table = pa.table(
        {
            "event_id": ["e-1", "e-2", "e-3"],
            "resident_ref": ["r-1"] * 3,
            "behaviour": ["bus_trip"] * 3,
            "quantity": ["1"] * 3,
            # a time without zone holds the local wall time (UTC+8) counted as if it were UTC
            "occurred_at": pa.array(
                nanos if zone else [n + LOCAL_OFFSET_US * 1000 for n in nanos], pa.timestamp("ns", zone)
            ),
        }
    )
    path = tmp_path / "pandas.parquet"
    pq.write_table(table, path)
    _, rows, errors = read_all(path)
    assert errors == []
    assert rows["occurred_at_us"] == [to_micros(parse_occurred_at(text)[0]) for text in texts]


def test_parquet_with_a_nested_column_is_refused(tmp_path):
    table = pa.table(
        {
            "event_id": ["e-1"],
            "resident_ref": ["r-1"],
            "behaviour": ["bus_trip"],
            "quantity": pa.array([[1]]),
            "occurred_at": ["2024-06-01"],
        }
    )
    path = tmp_path / "nested.parquet"
    pq.write_table(table, path)
    with pytest.raises(IntakeFileInvalid, match="quantity"):
        list(read_events(path))


def test_parquet_extra_columns_of_any_kind_are_kept_as_the_api_would_keep_them(tmp_path):
    """True/false, lists, structures, maps and doubles in extra columns are attributes, written
    as the API writes the same values (``domain.attribute_text``); an event column must still be a
    scalar, and an extra column of a type that is no value (bytes) refuses the file, naming it."""
    base = {
        "event_id": ["e-1", "e-2"],
        "resident_ref": ["r-1", "r-2"],
        "behaviour": ["bus_trip"] * 2,
        "quantity": ["1", "2"],
        "occurred_at": ["2024-06-01T08:00:00"] * 2,
    }
    extra = {
        "low_floor": pa.array([True, None]),
        "speed_kmh": pa.array([1.0, 22.5]),
        "fare": pa.array([Decimal("1.50"), None], pa.decimal128(5, 2)),
        "line": pa.array([2.0, None]).dictionary_encode(),
        "load": pa.array([0.5, None], pa.float32()),
        "stops": pa.array([[3, 4], []]),
        "stop": pa.array([{"name": "威海站", "no": 7}, None]),
        "fares": pa.array([[("adult", 1)], None], pa.map_(pa.string(), pa.int64())),
    }
    path = tmp_path / "typed-extras.parquet"
    pq.write_table(pa.table({**base, **extra}), path)
    reader, rows, errors = read_all(path)
    assert errors == []
    assert reader.extra_columns == list(extra)
    assert [json.loads(text) for text in rows["attributes"]] == [
        {
            "fare": "1.5",
            "fares": '[["adult",1]]',
            "line": "2.0",
            "load": "0.5",
            "low_floor": "true",
            "speed_kmh": "1.0",
            "stop": '{"name":"威海站","no":7}',
            "stops": "[3,4]",
        },
        {"speed_kmh": "22.5", "stops": "[]"},
    ]
    pq.write_table(pa.table({**base, "photo": pa.array([b"\x89PNG", None])}), path)
    with pytest.raises(IntakeFileInvalid, match="photo"):
        list(read_events(path))


def test_json_lines_attributes_object_is_merged_as_the_api_merges_it(tmp_path):
    """A line may be an event exactly as the API takes it: the members of its ``attributes``
    object are attributes, beside any other field (which wins over a member of the same name);
    an ``attributes`` that is not an object is the row's error."""
    event = {
        "event_id": "e-1", "resident_ref": "r-1", "behaviour": "bus_trip", "quantity": "1",
        "occurred_at": "2024-06-01T08:00:00",
    }  # fmt: skip
    records = [
        {**event, "attributes": {"line": "K1", "low_floor": True, "speed": 1.50}, "vehicle": 3},
        {**event, "event_id": "e-2", "attributes": {"line": "K1"}, "line": "K2"},
        {**event, "event_id": "e-3", "attributes": "K1"},
        {**event, "event_id": "e-4", "attributes": None},
    ]
    path = write_text(tmp_path / "api-shaped.jsonl", jsonl_text(records))
    reader, rows, errors = read_all(path)
    assert rows["event_id"] == ["e-1", "e-2", "e-4"]
    assert [None if text is None else json.loads(text) for text in rows["attributes"]] == [
        {"line": "K1", "low_floor": "true", "speed": "1.5", "vehicle": "3"},
        {"line": "K2"},
        None,
    ]
    assert [(e.row, e.field, e.reason) for e in errors] == [(3, "attributes", "not_an_object")]
    assert reader.extra_columns == ["line", "low_floor", "speed", "vehicle"]


def test_format_is_told_by_suffix_or_content(tmp_path):
    assert detect_format(tmp_path / "x.ndjson") is FileFormat.JSONL
    assert detect_format(write_text(tmp_path / "x.dat", '{"a": 1}\n')) is FileFormat.JSONL
    assert detect_format(write_text(tmp_path / "y.dat", "event_id,resident_ref\n")) is FileFormat.CSV
    pq.write_table(pa.table({"a": [1]}), tmp_path / "z.bin")
    assert detect_format(tmp_path / "z.bin") is FileFormat.PARQUET


def test_encoding_detection_rules():
    assert detect_encoding(codecs.BOM_UTF8 + b"abc") == "utf-8-sig"
    assert detect_encoding(b"plain ascii") is None
    assert detect_encoding("威海".encode()) == "utf-8"
    assert detect_encoding("威海".encode()[:-1]) == "utf-8"  # a character cut at the end of the sample
    assert detect_encoding("威海".encode("gbk")) == "gb18030"
    assert detect_encoding("威海市个人碳账户".encode("gbk") * 50) == "gb18030"
    assert detect_encoding("威海市个人碳账户".encode() * 50 + b"\xff") == "utf-8"  # one damaged byte
    # a real U+FFFD is a good character, not a damaged byte: with three of them, one damaged byte
    # is still one in four
    assert detect_encoding("\ufffd\ufffd\ufffd威".encode() + b"\xff") == "utf-8"
    assert decode_text("威海".encode("gb18030")) == "威海"
    assert decode_text(codecs.BOM_UTF8 + "威海".encode()) == "威海"


@pytest.mark.slow
def test_a_large_file_is_read_in_bounded_batches_with_flat_memory(tmp_path):
    path = tmp_path / "large.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(csv_text([]))
        for start in range(1, 200_001, 20_000):
            handle.write(csv_text(event_rows(20_000, start=start)).split("\n", 1)[1])
    size = path.stat().st_size
    assert size > 10 << 20
    progress: list[tuple[int, int]] = []
    baseline = pa.total_allocated_bytes()
    peak = 0
    batches = 0
    rows = 0
    for batch in read_events(
        path, block_bytes=256 << 10, on_progress=lambda done, total: progress.append((done, total))
    ):
        batches += 1
        rows += batch.rows.num_rows
        assert batch.rows.num_rows <= 5_000  # 256 KiB of ~80-byte rows
        peak = max(peak, pa.total_allocated_bytes() - baseline)
    assert rows == 200_000
    assert batches >= size // (256 << 10)
    assert peak < 8 << 20, f"Arrow memory grew to {peak} bytes for a {size}-byte file"
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    assert progress[-1] == (size, size)


@pytest.mark.slow
def test_a_large_parquet_file_is_read_with_flat_memory(tmp_path):
    """Parquet row groups read are let go: a reader that pre-buffers keeps every column chunk it
    read until the file closes, so its memory grows by the file's compressed size."""
    path = tmp_path / "large.parquet"
    schema = None
    writer = None
    for start in range(1, 300_001, 20_000):
        rows = event_rows(20_000, start=start)
        for row in rows:  # incompressible ids: the file is mostly their bytes
            row["event_id"] = hashlib.sha256(row["event_id"].encode()).hexdigest()
        table = pa.Table.from_pylist(rows)
        schema = schema or table.schema
        writer = writer or pq.ParquetWriter(path, schema)
        writer.write_table(table.cast(schema), row_group_size=20_000)
    assert writer is not None
    writer.close()
    size = path.stat().st_size
    assert size > 12 << 20
    baseline = pa.total_allocated_bytes()
    peak = rows_read = 0
    for batch in read_events(path, batch_rows=10_000):
        rows_read += batch.rows.num_rows
        peak = max(peak, pa.total_allocated_bytes() - baseline)
    assert rows_read == 300_000
    assert peak < size // 2, f"Arrow memory grew to {peak} bytes reading a {size}-byte file"


def test_a_header_only_file_has_no_rows_and_an_empty_file_is_refused(tmp_path):
    header_only = write_text(
        tmp_path / "header.csv", "event_id,resident_ref,behaviour,quantity,occurred_at\n"
    )
    assert list(read_events(header_only)) == []
    with pytest.raises(IntakeFileInvalid, match="no header"):
        list(read_events(write_text(tmp_path / "empty.csv", "")))


_JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
)
_JSON_VALUES = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
_NAMES = st.text(min_size=1, max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    members=st.dictionaries(_NAMES, _JSON_VALUES, max_size=4),
    fields=st.dictionaries(
        _NAMES.filter(lambda name: name not in {*EVENT_FIELDS, "attributes"}), _JSON_VALUES, max_size=4
    ),
)
def test_json_lines_keep_any_attributes_as_the_api_keeps_the_same_json(tmp_path, members, fields):
    """The same JSON event, as an API request and as a JSON Lines line, gives the same attribute
    text (part of its content): whatever the values' types, a resend through the other
    channel is a duplicate."""
    sent = {**factory_event(), "attributes": members, **fields}
    body = TypeAdapter(EventsIn).validate_json(json.dumps({"events": [sent]}))  # as FastAPI reads it
    checked = check_event(
        raw_event(body["events"][0]), partner_kind="transit", methodology=methodology(), now=NOW
    )
    assert checked.event is not None
    kept = checked.event.attributes
    api_text = (
        json.dumps(dict(sorted(kept.items())), ensure_ascii=False, separators=(",", ":")) if kept else None
    )
    path = write_text(tmp_path / "same.jsonl", json.dumps(sent) + "\n")  # ASCII: no encoding to detect
    _, rows, errors = read_all(path)
    assert errors == []
    assert rows["attributes"] == [api_text]
