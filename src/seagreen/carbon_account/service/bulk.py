"""``seagreen ingest FILE --partner CODE``: a partner's bulk file, set-based (docs/decisions/0005).

The file streams through ``intake_files.read_events`` in Arrow batches, grouped to about 512k
rows. DuckDB checks each group (every rule of ``domain.check_event`` as a column, plus residents
and consent) and computes reductions and hashes; rows whose quantity or time is written in an
unusual form go through ``domain.check_event`` itself, so the domain stays the specification.
Each group is then **one transaction** on an ADBC connection: stage the checked rows, resolve
them against the stored events, and move the ingest's checkpoint; their accounting waits for a few
groups (``bulk_accounting``). Each accounting also posts the points its residents are owed to the
ledger in its own transaction (``points.post_points``); ``points.settle_points`` at the end posts
whatever is still owed (left by a run that died, or recovered batches).

A crash at any moment loses at most the group in flight: the re-run finds the unfinished ingest
by the file's SHA-256 and partner, skips the rows up to its checkpoint, truncates the quarantine
file to the same row, and goes on; events committed before are duplicates anyway, never counted
twice. The transactions are opened by the caller's ``Transactions`` (the entrypoint owns them).
"""

from __future__ import annotations

import csv
import hashlib
import queue
import shutil
import tempfile
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import AbstractContextManager, closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.carbon_account.domain import (
    DEFAULT_BACKFILL_DAYS,
    NUL,
    WHITE_SPACE,
    FieldError,
    IntakeReason,
    RowError,
    day_number,
    kept_text,
)
from seagreen.carbon_account.intake_files import (
    ATTRIBUTES,
    DEFAULT_BLOCK_BYTES,
    EVENT_COLUMNS,
    LOCAL_OFFSET_US,
    TYPED_TIME,
    IntakeBatch,
    read_events,
    text_bytes,
)
from seagreen.carbon_account.repository import bulk_intake as sql_bulk
from seagreen.carbon_account.repository import ingests as ingest_rows
from seagreen.carbon_account.repository import intake as sql_intake
from seagreen.carbon_account.repository import partners as partner_rows
from seagreen.carbon_account.service import bulk_accounting
from seagreen.carbon_account.service.intake import (
    Catalogue,
    Partner,
    check_events_python,
    load_catalogue,
    partner,
    window,
)
from seagreen.carbon_account.service.points import settle_points
from seagreen.identity import service as identity
from seagreen.kit import heap
from seagreen.kit.clock import LOCAL_TZ, from_micros, to_micros, utcnow
from seagreen.kit.gc_pause import cycle_collection_paused

GROUP_ROWS = 524_288
FIRST_GROUP_ROWS = 131_072
"""A file's first group is smaller: nothing can be written before it is checked (phase 11)."""
QUARANTINE_HEADER = ["row_number", "event_id", "field", "reason", "detail"]

Transactions = Callable[..., AbstractContextManager[Session]]
"""``transactions(read_only=False)``: the entrypoint's unit of work."""
BatchHook = Callable[[int, int], None]
"""Called after each committed group with (groups committed so far, last row number)."""


@dataclass
class IngestSummary:
    """The JSON summary of ``seagreen ingest`` (keys scripted against: keep them)."""

    ingest_id: int
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    reduction_g: int = 0
    credited_g: int = 0
    points: int = 0
    quarantine: str = ""
    resumed_from_row: int = 0
    conflicts: int = 0
    rows: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "reduction_g": self.reduction_g,
            "credited_g": self.credited_g,
            "points": self.points,
            "quarantine": self.quarantine,
            "ingest_id": self.ingest_id,
            "conflicts": self.conflicts,
            "resumed_from_row": self.resumed_from_row,
        }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


# -- DuckDB checks -----------------------------------------------------------------------------

_Q_PLAIN = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)"
_TS_PLAIN = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?"
)


_INT64_MAX = (1 << 63) - 1


class DuckChecks:
    """The set-based form of ``domain.check_event`` plus residents and consent, for one ingest."""

    def __init__(
        self,
        session: Session,
        catalogue: Catalogue,
        who: Partner,
        *,
        now: datetime,
        prefix: str,
        backfill_days: int,
    ) -> None:
        self.catalogue, self.who = catalogue, who
        self.now, self.prefix, self.backfill_days = now, prefix, backfill_days
        self.db = duckdb.connect()
        self.db.execute("SET threads = 2")
        self.db.execute("SET memory_limit = '512MB'")
        versions = catalogue.methodology.versions
        behaviours: dict[str, list[Any]] = {
            "version_id": [],
            "code": [],
            "behaviour_id": [],
            "factor_micro": [],
        }
        allowed: list[bool] = []
        for version in versions:
            version_id = catalogue.version_ids[version.code]
            for code, behaviour in version.behaviours.items():
                behaviours["version_id"].append(version_id)
                behaviours["code"].append(code)
                behaviours["behaviour_id"].append(catalogue.behaviour_ids[(version.code, code)])
                behaviours["factor_micro"].append(int(behaviour.factor_g_per_unit * 1_000_000))
                allowed.append(behaviour.allows(who.kind))
        # the largest quantity (in thousandths) whose product with the factor fits 64 bits: below
        # it the reduction is computed in BIGINT, above it in HUGEINT (seven times slower)
        max_milli = [
            _INT64_MAX // factor if factor > 0 else _INT64_MAX for factor in behaviours["factor_micro"]
        ]
        self.db.register(
            "behaviours",
            pa.table({**behaviours, "allowed": allowed, "max_milli": max_milli}).cast(
                pa.schema(
                    [
                        ("version_id", pa.int64()),
                        ("code", pa.string()),
                        ("behaviour_id", pa.int64()),
                        ("factor_micro", pa.int64()),
                        ("allowed", pa.bool_()),
                        ("max_milli", pa.int64()),
                    ]
                )
            ),
        )
        self.known_codes = sorted({code for version in versions for code in version.behaviours})
        self.db.register("known_codes", pa.table({"code": pa.array(self.known_codes, pa.string())}))
        starts = sorted(
            (day_number(version.effective_from), catalogue.version_ids[version.code]) for version in versions
        )
        cases = " ".join(f"WHEN day >= {int(start)} THEN {int(vid)}" for start, vid in reversed(starts))
        self.version_case = f"CASE {cases} ELSE NULL END" if starts else "NULL"
        # a resident with one consent interval is checked in SQL; one with several (granted,
        # revoked, granted again) is rare and goes through the Python checks
        intervals: dict[int, list[tuple[int, int | None]]] = {}
        refs: dict[int, str] = {}
        for resident, ref, granted, revoked in partner_rows.consents_of_partner(session, who.id):
            intervals.setdefault(resident, []).append((granted, revoked))
            refs[resident] = ref
        resident_ids = sorted(intervals)
        single = [intervals[r][0] if len(intervals[r]) == 1 else (None, None) for r in resident_ids]
        self.db.register(
            "residents",
            pa.table(
                {
                    "ref": pa.array([refs[r] for r in resident_ids], pa.string()),
                    "resident_id": pa.array(resident_ids, pa.int64()),
                    "granted_us": pa.array([g for g, _ in single], pa.int64()),
                    "revoked_us": pa.array([v for _, v in single], pa.int64()),
                    "several": pa.array([len(intervals[r]) > 1 for r in resident_ids], pa.bool_()),
                }
            ),
        )
        self.oldest_us, self.latest_us = window(now, backfill_days)

    def close(self) -> None:
        self.db.close()

    def check(self, raw: pa.Table, session: Session) -> tuple[pa.Table, list[RowError], dict[int, str]]:
        """Accepted rows (``STAGE_SCHEMA``, in row order: ``bulk_intake.in_key_order`` relies on
        it), the errors of the others, and their event ids. ``session`` answers what the rejected
        and unusual rows need to know (a short read transaction: one held for the whole file would
        keep SQLite from checkpointing its log)."""
        stripped = _stripped(raw)
        held = _rows_holding_nul(stripped)  # refused by the domain's checks, never seen by DuckDB
        if held is not None:
            stripped = stripped.filter(pc.invert(held))
        rows = self._query(stripped, errors=False)
        # one mask per outcome; only the stage's columns are copied for the (many) accepted rows
        plain = pc.equal(rows.column("unusual"), False)
        good = pc.and_(plain, pc.equal(rows.column("ok"), True))
        bad_mask = pc.and_(plain, pc.equal(rows.column("ok"), False))
        unusual_mask = pc.equal(rows.column("unusual"), True)
        staged = rows.select(sql_intake.STAGE_SCHEMA.names)
        if not pc.all(good).as_py():
            staged = staged.filter(good)
        staged = _owned(_runs_in_row_order(staged.cast(sql_intake.STAGE_SCHEMA)))
        bad = rows.slice(0, 0)
        if pc.any(bad_mask).as_py():
            # the refused rows again, with a column for each check: what each found wrong
            numbers = rows.filter(bad_mask).column("row_number")
            bad = self._query(stripped.filter(pc.is_in(stripped.column("row_number"), numbers)), errors=True)
        unusual = rows.filter(unusual_mask) if pc.any(unusual_mask).as_py() else rows.slice(0, 0)
        to_domain = set(unusual.column("row_number").to_pylist())
        if held is not None:
            to_domain.update(raw.column("row_number").filter(held).to_pylist())
        errors: list[RowError] = []
        event_ids: dict[int, str] = {}
        if bad.num_rows:
            unknown_refs = self._unknown_refs(bad, session)
            for record in bad.to_pylist():
                number = int(record["row_number"])
                event_ids[number] = record["event_id"] or ""
                for error in self._errors_of(record, unknown_refs):
                    errors.append(RowError(number, error.field, str(error.reason)))
        if to_domain:
            wanted = pa.array(sorted(to_domain), pa.int64())
            originals = raw.filter(pc.is_in(raw.column("row_number"), wanted))
            checked = check_events_python(
                session,
                self.catalogue,
                self.who,
                [(int(r["row_number"]), _raw_event(r)) for r in originals.to_pylist()],
                now=self.now,
                prefix=self.prefix,
                backfill_days=self.backfill_days,
            )
            for number, problems in checked.errors.items():
                event_ids[number] = checked.event_ids.get(number, "")
                errors.extend(RowError(number, e.field, str(e.reason)) for e in problems)
            if checked.staged.num_rows:
                staged = pa.concat_tables([staged, checked.staged]).sort_by("row_number")
        return staged, sorted(errors, key=lambda e: e.row), event_ids

    def _query(self, raw: pa.Table, *, errors: bool) -> pa.Table:
        """The checks of ``raw`` (stripped): the staged columns, ``ok`` and ``unusual``; with
        ``errors``, also each check's finding (``_errors_of``). Those ten columns, nearly all
        null, cost an eighth of the query's CPU to hand over for every row, and only the refused
        rows need them (docs/decisions/0005, phase 25)."""
        self.db.register("raw", raw)
        try:
            return self.db.sql(self._sql(errors=errors), params=[self.prefix]).to_arrow_table()
        finally:
            self.db.unregister("raw")

    def _unknown_refs(self, bad: pa.Table, session: Session) -> set[str]:
        refs = bad.filter(pc.field("resident_missing") == True).column("resident_ref").to_pylist()  # noqa: E712
        wanted = sorted({ref for ref in refs if ref})
        known = identity.resident_ids(session, wanted) if wanted else {}
        return {ref for ref in wanted if ref not in known}

    @staticmethod
    def _errors_of(record: dict[str, Any], unknown_refs: set[str]) -> list[FieldError]:
        errors = [
            FieldError(name, record[f"e_{name}"])
            for name in ("event_id", "resident_ref", "behaviour", "quantity", "occurred_at", "dedupe_key")
            if record[f"e_{name}"]
        ]
        if record["e_behaviour2"]:
            errors.append(FieldError("behaviour", record["e_behaviour2"]))
        if record["e_time2"]:
            errors.append(FieldError("occurred_at", record["e_time2"]))
        if record["e_version"]:
            errors.append(FieldError("occurred_at", record["e_version"]))
        if not errors:
            if record["resident_missing"]:
                reason = (
                    IntakeReason.UNKNOWN_RESIDENT
                    if record["resident_ref"] in unknown_refs
                    else IntakeReason.NO_CONSENT
                )
                errors.append(FieldError("resident_ref", reason))
            elif not record["consented"]:
                errors.append(FieldError("resident_ref", IntakeReason.NO_CONSENT))
        return _ordered(errors)

    def _sql(self, *, errors: bool) -> str:
        version = self.version_case
        findings = (
            "resident_ref, e_event_id, e_resident_ref, e_behaviour, e_quantity, e_occurred_at, e_time2, "
            "e_version, e_behaviour2, e_dedupe_key, resident_missing, consented,"
            if errors
            else ""
        )
        oldest, latest = int(self.oldest_us), int(self.latest_us)
        offset = LOCAL_OFFSET_US
        # fixed SQL with integer literals; values are bound ($1) or come as Arrow tables. Past the
        # plain-form regexes (``_Q_PLAIN``, ``_TS_PLAIN``; other forms go to the domain's checks)
        # string functions take the values apart: a plain time's zone, if any, is a final "Z" or
        # the one "+" or "-" after its 10-character date (four more regexes did that: a fifth of the
        # query's CPU, phase 12). A plain quantity (a sign, digits, at most one point) is exact as a
        # DECIMAL(18, 3) if it has at most three decimal digits, which its text tells; one that does
        # not fit goes to the domain's checks (taking its digits apart as text was 40 % of the
        # query's CPU, phase 25). With more decimals it is refused, for them or for being zero.
        return f"""
WITH t AS (
  SELECT row_number,
    nullif(event_id, '') AS event_id,
    nullif(resident_ref, '') AS resident_ref,
    nullif(behaviour, '') AS behaviour,
    nullif(quantity, '') AS q,
    nullif(occurred_at, '') AS ts,
    nullif(dedupe_key, '') AS dedupe_key,
    {ATTRIBUTES} AS attributes,
    {TYPED_TIME} AS typed_us
  FROM raw
), s AS (
  SELECT *,
    regexp_full_match(q, '{_Q_PLAIN}') AS q_plain,
    regexp_full_match(ts, '{_TS_PLAIN}') AS ts_plain,
    greatest(instr(substr(ts, 11), '+'), instr(substr(ts, 11), '-')) AS ts_sign,
    instr(q, '.') AS q_dot
  FROM t
), f AS (
  SELECT *, CASE WHEN q_dot > 0 THEN length(q) - q_dot ELSE 0 END AS q_decimal_digits FROM s
), u AS (
  SELECT *,
    CASE WHEN q_plain AND q_decimal_digits <= 3 THEN TRY_CAST(q AS DECIMAL(18, 3)) END AS q_value,
    starts_with(q, '-') AS q_negative,
    CASE WHEN NOT ts_plain OR length(ts) <= 10 THEN '' WHEN ends_with(ts, 'Z') THEN 'Z'
      WHEN ts_sign > 0 THEN substr(ts, 10 + ts_sign) ELSE '' END AS ts_zone
  FROM f
), p AS (
  SELECT *,
    (q IS NOT NULL AND NOT q_plain) OR (q_plain IS TRUE AND q_decimal_digits <= 3 AND q_value IS NULL)
      OR (ts IS NOT NULL AND NOT ts_plain) AS unusual,
    CASE WHEN ts_zone = '' THEN ts ELSE left(ts, length(ts) - length(ts_zone)) END AS ts_local
  FROM u
), n AS (
  SELECT *,
    CASE WHEN q_decimal_digits > 3 THEN NOT regexp_matches(q, '[1-9]') ELSE q_value = 0 END AS q_zero,
    q_decimal_digits > 3 AS q_decimals,
    q_value > 1000000000 AS q_large,
    epoch_us(TRY_CAST(ts_local AS TIMESTAMP)) AS local_us,
    CASE WHEN ts_zone = '' THEN {offset}
         WHEN ts_zone = 'Z' THEN 0
         ELSE (CASE WHEN starts_with(ts_zone, '-') THEN -1 ELSE 1 END) * (
           CAST(substr(ts_zone, 2, 2) AS BIGINT) * 3600000000
           + COALESCE(TRY_CAST(nullif(substr(replace(ts_zone, ':', ''), 4, 2), '') AS BIGINT), 0) * 60000000)
    END AS zone_us
  FROM p
), m AS (
  SELECT *, coalesce(typed_us, local_us - zone_us) AS at_us,
    CAST(floor((coalesce(typed_us, local_us - zone_us) + {offset}) / 86400000000) AS BIGINT) AS day,
    CASE WHEN q_value IS NULL OR q_negative OR q_zero OR q_large THEN NULL
      ELSE CAST(q_value * 1000 AS BIGINT) END AS milli
  FROM n
), v AS (
  SELECT m.*, {version} AS version_id FROM m
), c AS (
  SELECT v.*,
    CASE WHEN v.event_id IS NULL THEN 'missing' WHEN length(v.event_id) > 128 THEN 'too_long' END
      AS e_event_id,
    CASE WHEN v.resident_ref IS NULL THEN 'missing' WHEN length(v.resident_ref) > 64 THEN 'too_long' END
      AS e_resident_ref,
    CASE WHEN v.behaviour IS NULL THEN 'missing' WHEN length(v.behaviour) > 64 THEN 'too_long' END
      AS e_behaviour,
    CASE WHEN v.q IS NULL THEN 'missing' WHEN v.q_negative OR v.q_zero THEN 'not_positive'
      WHEN v.q_decimals THEN 'too_many_decimals' WHEN v.q_large THEN 'too_large' END AS e_quantity,
    CASE WHEN v.typed_us IS NOT NULL THEN NULL WHEN v.ts IS NULL THEN 'missing'
      WHEN v.local_us IS NULL THEN 'invalid_datetime' END AS e_occurred_at,
    CASE WHEN v.at_us IS NULL THEN NULL WHEN v.at_us > {latest} THEN 'in_future'
      WHEN v.at_us < {oldest} THEN 'before_backfill_window' END AS e_time2,
    CASE WHEN v.at_us IS NOT NULL AND v.version_id IS NULL THEN 'no_version_in_force' END AS e_version,
    CASE WHEN v.behaviour IS NULL THEN NULL
      WHEN v.at_us IS NOT NULL AND v.version_id IS NOT NULL AND b.behaviour_id IS NULL
        THEN 'unknown_behaviour'
      WHEN (v.at_us IS NULL OR v.version_id IS NULL)
        AND v.behaviour NOT IN (SELECT code FROM known_codes) THEN 'unknown_behaviour'
      WHEN b.behaviour_id IS NOT NULL AND NOT b.allowed THEN 'partner_kind_not_allowed' END AS e_behaviour2,
    CASE WHEN length(v.dedupe_key) > 256 THEN 'too_long' END AS e_dedupe_key,
    b.behaviour_id, b.factor_micro, b.max_milli, r.resident_id,
    r.resident_id IS NULL AS resident_missing,
    coalesce(r.several, false) AS several,
    coalesce(r.granted_us <= v.at_us AND (r.revoked_us IS NULL OR v.at_us < r.revoked_us), false) AS consented
  FROM v
  LEFT JOIN behaviours b ON b.version_id = v.version_id AND b.code = v.behaviour
  LEFT JOIN residents r ON r.ref = v.resident_ref
)
SELECT row_number, event_id, unusual OR several AS unusual, {findings}
  (e_event_id IS NULL AND e_resident_ref IS NULL AND e_behaviour IS NULL AND e_quantity IS NULL
   AND e_occurred_at IS NULL AND e_time2 IS NULL AND e_version IS NULL AND e_behaviour2 IS NULL
   AND e_dedupe_key IS NULL AND NOT resident_missing AND consented) AS ok,
  resident_id, behaviour_id, version_id, day,
  CAST(year(local_date) * 12 + month(local_date) - 1 AS BIGINT) AS month,
  CAST(dayofmonth(local_date) AS BIGINT) AS dom,
  milli AS quantity_milli, at_us AS occurred_at_us,
  CASE WHEN milli <= max_milli THEN (factor_micro * milli) // 1000000000
    ELSE CAST((CAST(factor_micro AS HUGEINT) * milli) // 1000000000 AS BIGINT) END AS reduction_g,
  CASE WHEN dedupe_key IS NOT NULL THEN sha256($1 || dedupe_key) END AS dedupe_hash,
  attributes
FROM (SELECT *, DATE '1970-01-01' + CAST(day AS INTEGER) AS local_date FROM c) c
"""  # noqa: S608


def _stripped(raw: pa.Table) -> pa.Table:
    """``raw`` with its text fields stripped as ``str.strip()`` strips them (``domain.WHITE_SPACE``).
    Arrow does it before the checks' query: DuckDB's ``trim`` leaves tabs and line breaks, which let
    a file's ``"e1\\t"`` be another event than the API's ``"e1"``; and a sixth of the query's time
    went to its six ``trim`` calls (docs/decisions/0005, phase 12)."""
    for name in EVENT_COLUMNS:
        index = raw.schema.get_field_index(name)
        raw = raw.set_column(index, name, pc.utf8_trim(raw.column(index), characters=WHITE_SPACE))
    return raw


IDENTIFIERS = ("event_id", "resident_ref", "behaviour", "dedupe_key")
"""The text columns in which ``domain.NUL`` is refused (``Reason.INVALID_CHARACTER``)."""


def _rows_holding_nul(table: pa.Table) -> pa.ChunkedArray | None:
    """Which rows hold ``domain.NUL`` in an identifier, or ``None`` when none does (a file's usual
    case: a look at each column's bytes for a zero, 1-2 ms for 512k rows, before any row is
    looked at). Those rows go through ``check_event``, which refuses them: PostgreSQL cannot
    store the character, and a row-by-row test in the checks' query would cost every file."""
    held: pa.ChunkedArray | None = None
    for name in IDENTIFIERS:
        column = table.column(name)
        if not any(_has_zero_byte(chunk) for chunk in column.chunks):
            continue
        found = pc.fill_null(pc.match_substring(column, NUL), False)
        held = found if held is None else pc.or_(held, found)
    return held


def _has_zero_byte(chunk: pa.Array) -> bool:
    """Whether the bytes of ``chunk``'s own texts hold a zero."""
    view = text_bytes(chunk)
    return bool(view.size and view.min() == 0)


def _owned(table: pa.Table) -> pa.Table:
    """``table`` in buffers of its own. A column that needed no cast is still the buffer DuckDB
    exported its result in, and an imported Arrow batch is freed only when all of its columns are:
    the staged rows (and the pending events taken from them) would keep each group's whole result
    alive (checking nine groups and keeping their pending columns: 1.35 GB resident, 0.84 GB with
    copies)."""
    return pa.table(
        [pa.concat_arrays(column.chunks) if column.num_chunks else column for column in table.columns],
        schema=table.schema,
    )


MAX_RUNS = 64
"""``_runs_in_row_order`` puts at most this many slices in order; more are taken as a sort's."""


def _runs_in_row_order(table: pa.Table) -> pa.Table:
    """``table`` in row order, not yet in buffers of its own. DuckDB's two threads hand back a
    group as two runs, each in row order, that interleave by the blocks each thread took (five
    to seven slices of rows in a row, for the benchmark's groups of 512k). The order comes from a
    stable sort of the row numbers (a merge of the runs: a few milliseconds), and the rows as
    the slices of it that are consecutive rows of ``table``, which ``_owned`` then copies once
    anyway: a sort by row number took 50 ms of the checks' thread a group, and its copies
    faulted in as many fresh pages again (docs/decisions/0005, phase 26). More slices than
    ``MAX_RUNS`` are taken as the sort's."""
    numbers = table.column("row_number").to_numpy()
    if len(numbers) < 2 or bool(np.all(numbers[1:] > numbers[:-1])):
        return table
    order = np.argsort(numbers, kind="stable")
    starts = np.concatenate(([0], np.flatnonzero(np.diff(order) != 1) + 1))
    if len(starts) > MAX_RUNS:
        return table.take(pa.array(order))
    lengths = np.diff(np.concatenate((starts, [len(order)])))
    return pa.concat_tables(
        [table.slice(int(order[start]), int(length)) for start, length in zip(starts, lengths, strict=True)]
    )


_FIELD_ORDER = {"event_id": 0, "resident_ref": 1, "behaviour": 2, "quantity": 3, "occurred_at": 4}


def _ordered(errors: list[FieldError]) -> list[FieldError]:
    """The order ``check_event`` reports in (fields in order; the behaviour's own checks last)."""
    first = [e for e in errors if not (e.field == "behaviour" and e.reason in _LATE_BEHAVIOUR)]
    late = [e for e in errors if e.field == "behaviour" and e.reason in _LATE_BEHAVIOUR]
    dedupe = [e for e in first if e.field == "dedupe_key"]
    first = sorted((e for e in first if e.field != "dedupe_key"), key=lambda e: _FIELD_ORDER.get(e.field, 9))
    return first + late + dedupe


_LATE_BEHAVIOUR = frozenset({"unknown_behaviour", "partner_kind_not_allowed"})


def _raw_event(record: dict[str, Any]) -> dict[str, object]:
    import json

    event: dict[str, object] = {
        name: record.get(name)
        for name in ("event_id", "resident_ref", "behaviour", "quantity", "occurred_at", "dedupe_key")
    }
    if record.get(ATTRIBUTES):
        event["attributes"] = json.loads(record[ATTRIBUTES])
    if record.get(TYPED_TIME) is not None:
        event["occurred_at"] = from_micros(int(record[TYPED_TIME]))
    return event


# -- the run -----------------------------------------------------------------------------------


def _groups(batches: Iterator[IntakeBatch], rows: int) -> Iterator[tuple[pa.Table, list[RowError]]]:
    """The file's batches gathered into groups of about ``rows`` rows; the first group of at most
    ``FIRST_GROUP_ROWS``: the writer waits for it, idle, while it is read and checked."""
    pending: list[pa.RecordBatch] = []
    errors: list[RowError] = []
    count, wanted = 0, min(rows, FIRST_GROUP_ROWS)
    for batch in batches:
        if batch.rows.num_rows:
            pending.append(batch.rows)
            count += batch.rows.num_rows
        errors.extend(batch.errors)
        del batch
        if count >= wanted:
            count, wanted = 0, rows
            yield _drained(pending, errors)  # holds nothing of the group while it waits here
    if pending or errors:
        yield _drained(pending, errors)


def _drained(pending: list[pa.RecordBatch], errors: list[RowError]) -> tuple[pa.Table, list[RowError]]:
    """The gathered batches as one table, and their errors; both lists emptied."""
    table = pa.Table.from_batches(pending) if pending else pa.table({"row_number": pa.array([], pa.int64())})
    taken = list(errors)
    pending.clear()
    errors.clear()
    return table, taken


def _truncate_quarantine(path: Path, checkpoint: int) -> None:
    """Keep the header and the rows up to the checkpoint (a crash may have left more)."""
    if not path.exists():
        _new_quarantine(path)
        return
    kept = path.with_suffix(".tmp")
    with (
        path.open(newline="", encoding="utf-8") as source,
        kept.open("w", newline="", encoding="utf-8") as target,
    ):
        reader, writer = csv.reader(source), csv.writer(target)
        for index, row in enumerate(reader):
            if index == 0 or (row and row[0].isdigit() and int(row[0]) <= checkpoint):
                writer.writerow(row)
    kept.replace(path)


def _new_quarantine(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerow(QUARANTINE_HEADER)


@dataclass
class _CheckedGroup:
    """One group of the file after the checks, ready to be written in one transaction; on SQLite
    its accepted rows go to a scratch file of their own first (``scratch``)."""

    staged: pa.Table
    errors: list[RowError]
    event_ids: dict[int, str]
    first_row: int
    last_row: int
    scratch: Path | None = None

    @property
    def has_dedupe(self) -> bool:
        column = self.staged.column("dedupe_hash")
        return column.null_count < len(column)

    def write_scratch(self, scratch_dir: Path) -> None:
        """Put the accepted rows in a new SQLite file of their own (never the platform's), in key
        order (``bulk_intake.in_key_order``), which the writer's transaction attaches and inserts
        from; once. The checks' thread does it when the writer is busy (``_one_ahead``); else the
        writer, before its transaction."""
        if self.scratch is None and self.staged.num_rows:
            folder = Path(tempfile.mkdtemp(prefix="seagreen-group-", dir=scratch_dir))
            columns = sql_bulk.in_key_order(self.staged.select(list(sql_bulk.EVENT_INSERT_COLUMNS)))
            sql_bulk.write_scratch(folder / "stage.db", {"stage": columns})
            self.scratch = folder / "stage.db"

    def discard(self) -> None:
        if self.scratch is not None:
            shutil.rmtree(self.scratch.parent, ignore_errors=True)
            self.scratch = None


def _checked_groups(
    transactions: Transactions,
    catalogue: Catalogue,
    who: Partner,
    path: Path,
    *,
    checkpoint: int,
    now: datetime,
    prefix: str,
    backfill_days: int,
    group_rows: int,
    block_bytes: int,
    on_progress: Callable[[int, int], None] | None,
) -> Generator[_CheckedGroup, None, None]:
    """Read the file past ``checkpoint`` and check it, group by group."""
    with transactions(read_only=True) as session:
        checks = DuckChecks(session, catalogue, who, now=now, prefix=prefix, backfill_days=backfill_days)
    try:
        batches = read_events(path, block_bytes=block_bytes, on_progress=on_progress)
        for table, read_errors in _groups(batches, group_rows):
            errors = [e for e in read_errors if e.row > checkpoint]
            if table.num_rows and checkpoint:
                table = table.filter(pc.greater(table.column("row_number"), checkpoint))
            if not table.num_rows and not errors:
                continue
            staged, check_errors, event_ids = _empty_stage(), list[RowError](), dict[int, str]()
            if table.num_rows:
                with transactions(read_only=True) as session:
                    staged, check_errors, event_ids = checks.check(table, session)
            errors = sorted(errors + check_errors, key=lambda e: e.row)
            rows = table.column("row_number") if table.num_rows else pa.array([], pa.int64())
            numbers = [e.row for e in errors] + (
                [pc.min(rows).as_py(), pc.max(rows).as_py()] if len(rows) else []
            )
            group = _CheckedGroup(staged, errors, event_ids, min(numbers), max(numbers))
            # this frame waits at the yield while the group is written: only the group stays alive
            del table, rows, staged
            yield group
    finally:
        checks.close()


_T = TypeVar("_T")


def _one_ahead(
    items: Generator[_T, None, None], *, meanwhile: Callable[[_T], None] | None = None
) -> Generator[_T, None, None]:
    """Iterate ``items`` in a thread of its own, at most one item ahead of the consumer.

    The generator runs entirely in that thread (its database session included). An exception
    in it is raised here; when the consumer stops (an exception, a crash hook), the thread is
    told to stop, closes the generator and is joined before this returns. ``meanwhile`` is
    called in that thread with a made item that the consumer would not take at once (it is busy
    with the one before, not waiting for this one), before it is handed over (docs/decisions/0005,
    phase 23)."""
    handoff: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()
    waiting = threading.Event()  # the consumer waits for an item: one put now is taken at once

    def put(message: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                handoff.put(message, timeout=0.05)
            except queue.Full:
                continue
            return True
        return False

    def produce() -> None:
        try:
            for item in items:
                if meanwhile is not None and not waiting.is_set():
                    meanwhile(item)
                if not put(("item", item)):
                    break
                del item  # the consumer has it: not kept alive here while the next one is made
        except BaseException as exc:  # handed to the consumer, which raises it
            put(("error", exc))
            return
        finally:
            items.close()
        put(("done", None))

    thread = threading.Thread(target=produce, name="seagreen-ingest-checks", daemon=True)
    thread.start()
    try:
        while True:
            waiting.set()
            try:
                kind, value = handoff.get()
            finally:
                waiting.clear()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        thread.join()


@cycle_collection_paused()  # hundreds of thousands of objects at the start and in the settlement
def ingest_file(
    transactions: Transactions,
    path: Path,
    partner_code: str,
    *,
    prefix: str,
    actor: Actor,
    quarantine_dir: Path,
    now: datetime | None = None,
    backfill_days: int = DEFAULT_BACKFILL_DAYS,
    group_rows: int = GROUP_ROWS,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
    on_progress: Callable[[int, int], None] | None = None,
    after_batch: BatchHook | None = None,
    flush_rows: int = bulk_accounting.FLUSH_ROWS,
) -> IngestSummary:
    """Ingest a partner's file; resumable after a crash (see the module docstring)."""
    moment = now or utcnow()
    digest = file_sha256(path)
    with transactions() as session:
        dialect = session.get_bind().dialect.name
        checkpoints = sql_bulk.background_checkpoints(session)
        who = partner(session, partner_code)
        catalogue = load_catalogue(session)
        found = ingest_rows.unfinished_ingest(session, who.id, digest)
        if found is None:
            row = ingest_rows.insert_ingest(
                session,
                partner_id=who.id,
                source="file",
                file_name=path.name[:300],
                file_sha256=digest,
                status="running",
                quarantine_path="",
                started_at_us=to_micros(moment),
            )
            quarantine = (quarantine_dir / f"ingest-{row.id}-{path.stem[:80]}.quarantine.csv").resolve()
            ingest_rows.set_quarantine_path(session, int(row.id), str(quarantine))
            audit.record(
                session,
                actor,
                "carbon_account.ingest.start",
                "ingest",
                int(row.id),
                details={"partner": who.code, "file": path.name, "sha256": digest},
            )
            ingest_id, checkpoint = int(row.id), 0
        else:
            ingest_id, checkpoint = int(found.id), int(found.checkpoint_row)
            quarantine = Path(found.quarantine_path)
    if checkpoint:
        _truncate_quarantine(quarantine, checkpoint)
    else:
        _new_quarantine(quarantine)

    scratch_root = Path(tempfile.mkdtemp(prefix="seagreen-ingest-"))
    pending = bulk_accounting.PendingTotals(catalogue, temp_dir=scratch_root)
    try:
        # Arrow's buffers on the C heap; every block of 2 MiB or more in a mapping of its own (kit/heap.py)
        with checkpoints, heap.arrow_on_the_c_heap(), heap.large_blocks_mapped():
            # what runs that died left committed but unaccounted: this file's, and stale others'
            bulk_accounting.recover(transactions, catalogue, ingest_id=ingest_id, scratch_dir=scratch_root)
            groups = _checked_groups(
                transactions,
                catalogue,
                who,
                path,
                checkpoint=checkpoint,
                now=moment,
                prefix=prefix,
                backfill_days=backfill_days,
                group_rows=group_rows,
                block_bytes=block_bytes,
                on_progress=on_progress,
            )
            # read and check group n+1 in a thread while group n is written (DuckDB, Arrow, ADBC and
            # the drivers release the GIL); the writes stay in this thread, one group at a time
            # on SQLite the rows go to a scratch file first: whichever thread is free writes it
            in_scratch = dialect == "sqlite"
            meanwhile = (lambda group: group.write_scratch(scratch_root)) if in_scratch else None
            with closing(_one_ahead(groups, meanwhile=meanwhile)) as ahead:
                for committed, group in enumerate(ahead, start=1):
                    written = _commit_group(
                        transactions,
                        group,
                        who.id,
                        ingest_id,
                        scratch_dir=scratch_root,
                        quarantine=quarantine,
                        stage_in_scratch=in_scratch,
                    )
                    if written.batch_id is not None:
                        pending.add(written.batch_id, group.staged, written.not_new_rows)
                    if after_batch is not None:
                        after_batch(committed, group.last_row)
                    del group, written  # before the flush: its pending events are copies
                    heap.release_free_heap()  # what this group's checks and writes freed (kit/heap.py)
                    if pending.rows >= flush_rows:
                        bulk_accounting.account(
                            transactions, pending, ingest_id=ingest_id, scratch_dir=scratch_root
                        )
                        heap.release_free_heap()  # the flush's, before both threads go on
            heap.release_free_heap()  # the checks' DuckDB is closed: its memory, before the last flush
            bulk_accounting.account(
                transactions, pending, ingest_id=ingest_id, scratch_dir=scratch_root, last=True
            )
    finally:
        pending.close()
        shutil.rmtree(scratch_root, ignore_errors=True)

    while True:
        with transactions() as session:
            residents, _points = settle_points(session, catalogue, ingest_id=ingest_id)
        if not residents:
            break
    with transactions() as session:
        ingest_rows.finish_ingest(session, ingest_id, to_micros(utcnow()))
        done = ingest_rows.ingest_by_id(session, ingest_id)
        assert done is not None
        summary = IngestSummary(
            ingest_id=ingest_id,
            accepted=int(done.accepted),
            duplicates=int(done.duplicates),
            rejected=int(done.rejected),
            reduction_g=int(done.reduction_g),
            credited_g=int(done.credited_g),
            points=int(done.points),
            quarantine=done.quarantine_path,
            conflicts=int(done.conflicts),
        )
        audit.record(
            session,
            actor,
            "carbon_account.ingest.finish",
            "ingest",
            ingest_id,
            details={k: v for k, v in summary.as_json().items() if k != "quarantine"},
        )
    return summary


def _commit_group(
    transactions: Transactions,
    group: _CheckedGroup,
    partner_id: int,
    ingest_id: int,
    *,
    scratch_dir: Path,
    quarantine: Path,
    stage_in_scratch: bool,
) -> _Written:
    """One group in a transaction of its own; its rejected rows go to the quarantine file.
    ``stage_in_scratch`` (SQLite): the accepted rows are in a scratch file first (written here,
    before the transaction, unless the checks' thread had time to: docs/decisions/0005, phase 7)."""
    sql: sql_bulk.BulkSql | None = None
    try:
        if stage_in_scratch:
            group.write_scratch(scratch_dir)
        with transactions() as writer:
            sql = sql_bulk.BulkSql(writer, scratch_dir)
            sql.checkpoints_elsewhere()
            sql.bounded_cache()
            written = _write_group(sql, group, partner_id=partner_id, ingest_id=ingest_id)
            conflicts = [
                RowError(row, "event_id", IntakeReason.CONFLICT.value, "same event_id with other content")
                for row in written.conflict_rows
            ]
            conflict_ids = _event_ids_of(group.staged, written.conflict_rows)
            # written before the commit: a re-run truncates whatever lies past the checkpoint
            _append_quarantine(quarantine, group.errors, conflicts, {**group.event_ids, **conflict_ids})
        return written
    finally:
        if sql is not None:
            sql.release()
        group.discard()


@dataclass
class _Written:
    batch_id: int | None
    conflict_rows: list[int]
    not_new_rows: list[int]


def _write_group(sql: sql_bulk.BulkSql, group: _CheckedGroup, *, partner_id: int, ingest_id: int) -> _Written:
    """One group in the caller's transaction: its batch, its new events, the others classified,
    the ingest's counts and checkpoint. Accounting comes later (``bulk_accounting``)."""
    sql.lock()
    staged = group.staged.num_rows
    now_us = to_micros(utcnow())
    batch_id = sql_bulk.new_batch(
        sql, ingest_id, group.first_row, group.last_row, now_us, accounted=not staged
    )
    rejected = len({e.row for e in group.errors})
    if not staged:
        sql_bulk.add_counts(
            sql,
            ingest_id,
            accepted=0,
            duplicates=0,
            conflicts=0,
            rejected=rejected,
            checkpoint_row=group.last_row,
        )
        return _Written(None, [], [])
    repeats = True  # SQLite looks for repeated ids apart only after classify_stored
    stored: sql_bulk.StoredRows | None = None
    if group.scratch is not None:  # SQLite: insert from the scratch file, first of a key winning
        stage = f"{sql.attach(group.scratch)}.stage"
        inserted = 0
        if sql_bulk.first_is_stored(sql, group.staged, partner_id=partner_id):
            # likely a file sent again: classify the stored rows first, as on PostgreSQL, and
            # insert only if some are not (an insert of rows that are all stored probes the key
            # of each for nothing, and their row numbers are read back: 0005, phase 11)
            stored = sql_bulk.classify_stored(
                sql,
                stage,
                partner_id=partner_id,
                row_numbers=group.staged.column("row_number"),
                likely_all=True,
            )
            repeats = bool(_repeated(group.staged))
        if stored is None or len(stored.rows) < staged:
            inserted = sql_bulk.insert_events(sql, stage, partner_id=partner_id, batch_id=batch_id)
    else:  # PostgreSQL: COPY straight in; when some ids are stored, COPY the others
        repeated = _repeated(group.staged)
        repeats = bool(repeated)
        copied = (
            None
            if repeated
            else sql_bulk.copy_if_all_new(sql, group.staged, partner_id=partner_id, batch_id=batch_id)
        )
        stage = ""  # read only when some rows did not go in, or for dedupe keys
        if copied is None or group.has_dedupe:  # classification reads the content and dedupe hashes
            keys = group.staged.select(list(sql_bulk.KEY_COLUMNS))
            stage = sql.put({"carbon_bulk_keys": keys})["carbon_bulk_keys"]
        if copied is None:  # stored ids among them: classify those, COPY the others
            stored = sql_bulk.classify_stored(
                sql,
                stage,
                partner_id=partner_id,
                row_numbers=group.staged.column("row_number"),
                likely_all=not repeated,  # copy_if_all_new found a stored id: most often the first
            )
            fresh = group.staged
            if len(stored.rows) == staged:  # a file sent again: every row is stored
                fresh = fresh.slice(0, 0)
            elif skip := sorted(set(stored.rows) | set(repeated)):
                fresh = fresh.filter(
                    pc.invert(pc.is_in(fresh.column("row_number"), pa.array(skip, pa.int64())))
                )
            copied = sql_bulk.copy_events(sql, fresh, partner_id=partner_id, batch_id=batch_id)
        inserted = copied
    classified = sql_bulk.classify(
        sql,
        stage,
        partner_id=partner_id,
        batch_id=batch_id,
        all_inserted=inserted == staged,
        has_dedupe=group.has_dedupe,
        want_not_new=True,
        stored=stored,
        repeated=repeats,
    )
    not_new = sum(classified.counts.values())
    sql_bulk.add_counts(
        sql,
        ingest_id,
        accepted=staged - not_new,
        duplicates=classified.duplicates,
        conflicts=classified.conflicts,
        rejected=rejected + classified.conflicts,
        checkpoint_row=group.last_row,
    )
    if inserted == 0 and not not_new:  # pragma: no cover - every staged row is either new or not
        raise RuntimeError("staged rows neither inserted nor classified")
    return _Written(batch_id, classified.conflict_rows, classified.not_new_rows)


def _repeated(staged: pa.Table) -> list[int]:
    """Row numbers of rows whose event id an earlier row of the group has (the first one wins).

    Ids that rise strictly with the rows, as a partner's sequential ids do, are all different:
    one comparison a row (2 ms a group) instead of grouping them (60-240 ms, on PostgreSQL's
    writer between two COPYs while the server waits: docs/decisions/0005, phase 24)."""
    ids = staged.column("event_id")
    if ids.null_count == 0 and (
        len(ids) < 2 or pc.all(pc.less(ids.slice(0, len(ids) - 1), ids.slice(1))).as_py()
    ):
        return []
    firsts = staged.group_by("event_id").aggregate([("row_number", "min")]).column("row_number_min")
    if len(firsts) == staged.num_rows:
        return []
    others = staged.filter(pc.invert(pc.is_in(staged.column("row_number"), firsts)))
    return others.column("row_number").to_pylist()


def _empty_stage() -> pa.Table:
    return sql_intake.STAGE_SCHEMA.empty_table()


def _event_ids_of(staged: pa.Table, rows: list[int]) -> dict[int, str]:
    if not rows:
        return {}
    picked = staged.filter(pc.is_in(staged.column("row_number"), pa.array(rows, pa.int64())))
    return dict(
        zip(picked.column("row_number").to_pylist(), picked.column("event_id").to_pylist(), strict=True)
    )


def _append_quarantine(
    path: Path, errors: list[RowError], conflicts: list[RowError], event_ids: dict[int, str]
) -> None:
    if not errors and not conflicts:
        return
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        for error in sorted(errors + conflicts, key=lambda e: e.row):
            writer.writerow(
                [error.row, kept_text(event_ids.get(error.row, "")), error.field, error.reason, error.detail]
            )


__all__ = ["LOCAL_TZ", "IngestSummary", "ingest_file"]
