"""What the real-time API and the bulk path share: the catalogue as ids, the checks of one event
in Python (the reference semantics, ``domain.check_event``), residents and consent, and writing a
checked batch (stage, resolve, account, checkpoint) in the caller's transaction."""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from operator import itemgetter

import pyarrow as pa
from sqlalchemy.orm import Session

from seagreen.carbon_account import repository
from seagreen.carbon_account.domain import (
    DEFAULT_BACKFILL_DAYS,
    AcceptedEvent,
    FieldError,
    IntakeReason,
    Methodology,
    PartnerKind,
    accepted_window,
    add_to_packed_month,
    attributes_json,
    check_event,
    day_number,
    dedupe_hash,
    epoch_micros,
    month_number,
    quantity_milli,
)
from seagreen.carbon_account.errors import PartnerNotFound
from seagreen.carbon_account.repository import intake as sql_intake
from seagreen.carbon_account.repository import partners as partner_rows
from seagreen.carbon_account.service.catalogue import methodology as load_methodology
from seagreen.kit.keys import Keys


def dedupe_prefix(keys: Keys) -> str:
    """The secret prefix of dedupe-key hashes, derived from the platform's PII hash key."""
    return hmac.new(keys.pii_hash_key, b"seagreen:carbon:dedupe:v1", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Catalogue:
    """Every published version with the database ids the intake writes, and the points rates."""

    methodology: Methodology
    version_ids: Mapping[str, int]
    behaviour_ids: Mapping[tuple[str, str], int]
    multipliers: Mapping[int, int]  # version id -> common_multiple / g_per_point
    common_multiple: int
    hashes: Mapping[str, str]
    caps: Mapping[int, tuple[int | None, int | None, int]]  # behaviour id -> (daily, monthly, version id)


_CATALOGUES: dict[tuple[object, ...], Catalogue] = {}
_CATALOGUES_KEPT = 8


def load_catalogue(session: Session) -> Catalogue:
    """Every published version, as the intake uses it. Versions are append-only, so a catalogue
    built once is reused while the database's list of (version id, content hash) and its last
    behaviour id stay the same (one small query instead of reading every behaviour per request)."""
    key = (session.get_bind().engine.url, *repository.catalogue_signature(session))
    cached = _CATALOGUES.get(key)
    if cached is None:
        cached = _build_catalogue(session)
        if len(_CATALOGUES) >= _CATALOGUES_KEPT:
            _CATALOGUES.pop(next(iter(_CATALOGUES)))
        _CATALOGUES[key] = cached
    return cached


def _build_catalogue(session: Session) -> Catalogue:
    methodology = load_methodology(session)
    version_ids, behaviour_ids = repository.catalogue_ids(session)
    rates = {version_ids[v.code]: v.g_per_point for v in methodology.versions}
    common = math.lcm(*rates.values()) if rates else 1
    return Catalogue(
        methodology=methodology,
        version_ids=version_ids,
        behaviour_ids=behaviour_ids,
        multipliers={version_id: common // rate for version_id, rate in rates.items()},
        common_multiple=common,
        hashes={v.code: v.content_hash() for v in methodology.versions},
        caps={
            behaviour_ids[(v.code, code)]: (b.daily_cap_g, b.monthly_cap_g, version_ids[v.code])
            for v in methodology.versions
            for code, b in v.behaviours.items()
        },
    )


@dataclass(frozen=True)
class Partner:
    id: int
    code: str
    kind: PartnerKind
    name: str


def partner(session: Session, code: str) -> Partner:
    row = partner_rows.partner_key(session, code)
    if row is None:
        raise PartnerNotFound(f"no carbon-account partner {code!r}", code=code)
    partner_id, partner_code, kind, name = row
    return Partner(partner_id, partner_code, PartnerKind(kind), name)


@dataclass
class CheckedBatch:
    """A batch after the checks: the rows to stage (in row order) and the errors of the others, by
    row number."""

    rows: list[sql_intake.StageRow]
    errors: dict[int, list[FieldError]] = field(default_factory=dict)
    event_ids: dict[int, str] = field(default_factory=dict)

    @cached_property
    def staged(self) -> pa.Table:
        """The rows as an Arrow table (``STAGE_SCHEMA``), as the bulk path stages them."""
        schema = sql_intake.STAGE_SCHEMA
        columns = zip(*self.rows, strict=True) if self.rows else [()] * len(schema)
        return pa.table([pa.array(c, f.type) for c, f in zip(columns, schema, strict=True)], schema=schema)


def consented(intervals: Sequence[tuple[int, int | None]], at_us: int) -> bool:
    return any(granted <= at_us and (revoked is None or at_us < revoked) for granted, revoked in intervals)


def check_events_python(
    session: Session,
    catalogue: Catalogue,
    who: Partner,
    raw_events: Sequence[tuple[int, Mapping[str, object]]],
    *,
    now: datetime,
    prefix: str,
    backfill_days: int = DEFAULT_BACKFILL_DAYS,
) -> CheckedBatch:
    """Check ``(row number, raw event)`` pairs one by one (the API path and the bulk path's
    unusual rows), then who they are about: a known resident who authorised this partner."""
    errors: dict[int, list[FieldError]] = {}
    event_ids: dict[int, str] = {}
    accepted: list[tuple[int, AcceptedEvent]] = []
    for number, raw in raw_events:
        result = check_event(
            raw,
            partner_kind=who.kind,
            methodology=catalogue.methodology,
            now=now,
            backfill_days=backfill_days,
        )
        event_ids[number] = str(raw.get("event_id") or "").strip()
        if result.event is None:
            errors[number] = list(result.errors)
        else:
            accepted.append((number, result.event))
    refs = [event.resident_ref for _, event in accepted]
    ids, consents = partner_rows.residents_and_consents(session, who.id, refs)
    intervals: dict[int, list[tuple[int, int | None]]] = {}
    for resident_id, granted, revoked in consents:
        intervals.setdefault(resident_id, []).append((granted, revoked))
    rows: list[sql_intake.StageRow] = []  # each in STAGE_SCHEMA's column order
    behaviour_ids, version_ids = catalogue.behaviour_ids, catalogue.version_ids
    # what a request's events share is worked out once: the local day's numbers, a quantity's
    # thousandths, a resident's one consent interval (the usual case) tested inline
    days: dict[date, tuple[int, int, int]] = {}
    millis: dict[Decimal, int] = {}
    no_intervals: list[tuple[int, int | None]] = []
    for number, event in accepted:
        found = ids.get(event.resident_ref)
        if found is None:
            errors[number] = [FieldError("resident_ref", IntakeReason.UNKNOWN_RESIDENT)]
            continue
        at_us = epoch_micros(event.occurred_at)
        spans = intervals.get(found, no_intervals)
        if len(spans) == 1:
            since, until = spans[0]
            allowed = since <= at_us and (until is None or at_us < until)
        else:
            allowed = consented(spans, at_us)
        if not allowed:
            errors[number] = [FieldError("resident_ref", IntakeReason.NO_CONSENT)]
            continue
        day = event.day
        day_numbers = days.get(day)
        if day_numbers is None:
            day_numbers = days[day] = (day_number(day), month_number(day), day.day)
        quantity = event.quantity
        milli = millis.get(quantity)
        if milli is None:
            milli = millis[quantity] = quantity_milli(quantity)
        dedupe_key = event.dedupe_key
        rows.append(
            (
                number,
                event.event_id,
                found,
                behaviour_ids[(event.version, event.behaviour)],
                version_ids[event.version],
                *day_numbers,
                milli,
                at_us,
                event.reduction_g,
                None if dedupe_key is None else dedupe_hash(prefix, dedupe_key),
                attributes_json(event.attributes) if event.attributes else None,
            )
        )
    return CheckedBatch(rows, errors, event_ids)


def write_batch(
    sql: sql_intake.Sql,
    *,
    catalogue: Catalogue,
    partner_id: int,
    ingest_id: int,
    first_row: int,
    last_row: int,
    rows: Sequence[sql_intake.StageRow],
    rejected: int,
    now_us: int,
) -> sql_intake.BatchOutcome:
    """Stage, resolve and account one checked batch and move its ingest's checkpoint, all in the
    caller's transaction (which the entrypoint commits)."""
    sql_intake.lock_intake(sql)
    batch_id = sql_intake.new_batch(sql, ingest_id, first_row, last_row, now_us)
    outcome = sql_intake.BatchOutcome()
    if rows:
        outcome = sql_intake.resolve(sql, rows, partner_id=partner_id, batch_id=batch_id)
        new = rows
        if outcome.others:
            not_new = {row for row, *_ in outcome.others}
            number = sql_intake.STAGE_COLUMN["row_number"]
            new = [row for row in rows if row[number] not in not_new]
        outcome.reduction_g, outcome.credited_g, outcome.points = account_new_events(
            sql, catalogue, new, batch_id=batch_id
        )
    sql_intake.add_to_ingest(
        sql,
        ingest_id,
        accepted=outcome.accepted,
        duplicates=outcome.duplicates,
        conflicts=outcome.conflicts,
        rejected=rejected + outcome.conflicts,
        reduction_g=outcome.reduction_g,
        credited_g=outcome.credited_g,
        points=outcome.points,
        checkpoint_row=last_row,
    )
    return outcome


def account_new_events(
    sql: sql_intake.Sql, catalogue: Catalogue, events: Sequence[sql_intake.StageRow], *, batch_id: int
) -> tuple[int, int, int]:
    """Add new events (``StageRow``, a request's worth) to their month rows and their
    residents' totals by the domain's rules; return the reduction, credited grams and points
    they added. (A bulk file's many groups are accounted set-based: ``bulk_accounting``.)"""
    if not events:
        return 0, 0, 0
    added: dict[sql_intake.MonthKeyIds, dict[int, int]] = {}
    for resident, behaviour, month, day, grams in map(_ACCOUNTED, events):
        by_day = added.setdefault((resident, behaviour, month), {})
        by_day[day] = by_day.get(day, 0) + grams
    stored = sql_intake.month_rows(sql, sorted(added))
    months: list[tuple[int, int, int, int, int, int, str]] = []
    credits: dict[tuple[int, int], int] = {}
    reductions: dict[int, int] = {}
    for key, by_day in sorted(added.items()):
        resident, behaviour, month = key
        daily_cap, monthly_cap, version = catalogue.caps[behaviour]
        old_reduction, old_day_credited, old_credited, packed = stored.get(key, _NO_MONTH)
        days, reduction, day_credited, credited = add_to_packed_month(
            packed, old_reduction, old_day_credited, by_day, daily_cap_g=daily_cap, monthly_cap_g=monthly_cap
        )
        months.append((*key, reduction, day_credited, credited, days))
        credits[(resident, version)] = credits.get((resident, version), 0) + credited - old_credited
        reductions[resident] = reductions.get(resident, 0) + reduction - old_reduction
    sql_intake.write_month_rows(sql, months)
    sql_intake.add_version_credits(sql, [(r, v, grams) for (r, v), grams in sorted(credits.items())])
    residents = sorted(reductions)
    credited_by_resident: dict[int, int] = {}
    for (resident, _version), grams in credits.items():
        credited_by_resident[resident] = credited_by_resident.get(resident, 0) + grams
    stored_totals = sql_intake.resident_credits(sql, residents)  # resident -> (credited_g, points)
    multipliers = set(catalogue.multipliers.values())
    weighted: dict[int, int] = {}
    if len(multipliers) == 1:  # one points rate: points follow the resident's credited grams
        (multiplier,) = multipliers
        for r in residents:
            weighted[r] = (stored_totals.get(r, (0, 0))[0] + credited_by_resident.get(r, 0)) * multiplier
    else:  # rates differ by version: weigh each version's credited grams
        weighted = dict.fromkeys(residents, 0)
        for resident, version, grams in sql_intake.version_totals(sql, residents):
            weighted[resident] += grams * catalogue.multipliers[version]
    rows = [
        (r, reductions[r], credited_by_resident.get(r, 0), weighted[r] // catalogue.common_multiple)
        for r in residents
    ]
    sql_intake.add_to_residents(sql, rows, batch_id)
    return (
        sum(reductions.values()),
        sum(credited_by_resident.values()),
        sum(points - stored_totals.get(r, (0, 0))[1] for r, _, _, points in rows),
    )


_NO_MONTH: tuple[int, int, int, str | None] = (0, 0, 0, None)
_ACCOUNTED = itemgetter(
    *(
        sql_intake.STAGE_COLUMN[name]
        for name in ("resident_id", "behaviour_id", "month", "dom", "reduction_g")
    )
)
"""What the accounting reads of a stage row: its month key, its day of the month, its grams."""


def window(now: datetime, backfill_days: int) -> tuple[int, int]:
    """The accepted span of ``occurred_at`` in µs (``domain.accepted_window``)."""
    oldest, latest = accepted_window(now, backfill_days)
    return epoch_micros(oldest), epoch_micros(latest)
