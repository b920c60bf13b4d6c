"""The real-time API's use case: a partner sends up to 1,000 events, each gets a result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.carbon_account.domain import DEFAULT_BACKFILL_DAYS, FieldError, IntakeReason, Outcome, kept_text
from seagreen.carbon_account.errors import IntakeTooLarge, NotAPartner
from seagreen.carbon_account.repository import ingests as ingest_rows
from seagreen.carbon_account.repository import intake as sql_intake
from seagreen.carbon_account.repository import partners as partner_rows
from seagreen.carbon_account.service.intake import (
    Catalogue,
    Partner,
    check_events_python,
    load_catalogue,
    partner,
    write_batch,
)
from seagreen.carbon_account.service.points import settle_points
from seagreen.kit.clock import to_micros, utcnow
from seagreen.kit.gc_pause import cycle_collection_paused

MAX_EVENTS = 1_000


class EventResult(NamedTuple):  # a thousand a request: a named tuple builds cheaper than a frozen dataclass
    position: int  # the event's place in the request, from 0 (the answer's "index")
    event_id: str
    status: Outcome
    errors: tuple[FieldError, ...] = ()
    duplicate_of: tuple[str, str] | None = None  # (partner code, event id) of the winning claim


@dataclass
class SubmitResult:
    ingest_id: int
    results: list[EventResult] = field(default_factory=list)
    points: int = 0  # the points the request's events added to their residents' totals
    owed: tuple[int, ...] = ()  # without ``settle``: the residents (ids) whose new points are owed

    def count(self, status: Outcome) -> int:
        return sum(1 for result in self.results if result.status is status)


@cycle_collection_paused()  # a thousand events make ~100k objects and no cycle (kit/gc_pause.py)
def submit_events(
    session: Session,
    *,
    partner_code: str,
    events: Sequence[Mapping[str, object]],
    prefix: str,
    actor: Actor,
    now: datetime | None = None,
    backfill_days: int = DEFAULT_BACKFILL_DAYS,
    catalogue: Catalogue | None = None,
    settle: bool = True,
) -> SubmitResult:
    """Check, deduplicate, account and issue points for a partner's events, in the caller's
    transaction. Sending the same events again gives ``duplicate`` for each and changes nothing.

    ``settle``: post the points the residents are owed to the ledger in this transaction too;
    without it they stay owed (``points > points_posted``) for ``settle_points`` to post later, as
    the web app's ``PointsSettler`` does for many requests at once (docs/decisions/0035)."""
    if len(events) > MAX_EVENTS:
        raise IntakeTooLarge(f"at most {MAX_EVENTS} events per request", count=len(events))
    moment = now or utcnow()
    try:
        who: Partner = partner(session, partner_code)
    except Exception as exc:
        raise NotAPartner(f"organisation {partner_code!r} is not a carbon-account partner") from exc
    catalogue = catalogue or load_catalogue(session)
    now_us = to_micros(moment)
    sql = sql_intake.SessionSql(session)
    ingest_id = sql_intake.new_api_ingest(sql, who.id, now_us)
    numbered = [(index + 1, event) for index, event in enumerate(events)]
    checked = check_events_python(
        session, catalogue, who, numbered, now=moment, prefix=prefix, backfill_days=backfill_days
    )
    outcome = write_batch(
        sql,
        catalogue=catalogue,
        partner_id=who.id,
        ingest_id=ingest_id,
        first_row=1,
        last_row=max(len(events), 1),
        rows=checked.rows,
        rejected=len(checked.errors),
        now_us=now_us,
    )
    others = {row: (kind, winner, event) for row, kind, winner, event in outcome.others}
    winners = partner_rows.partner_codes_by_id(session, [w for _, w, _ in others.values() if w is not None])
    result = SubmitResult(ingest_id, points=outcome.points)
    rejections: list[dict[str, object]] = []
    for number, _event in numbered:
        event_id = checked.event_ids.get(number, "")
        if number in checked.errors:
            errors = tuple(checked.errors[number])
            result.results.append(EventResult(number - 1, event_id, Outcome.REJECTED, errors))
        elif number in others:
            kind, winner, winner_event = others[number]
            if kind == sql_intake.CONFLICT:
                errors = (FieldError("event_id", IntakeReason.CONFLICT),)
                result.results.append(EventResult(number - 1, event_id, Outcome.CONFLICT, errors))
            else:
                link = (winners[winner], winner_event or "") if winner is not None else None
                result.results.append(EventResult(number - 1, event_id, Outcome.DUPLICATE, duplicate_of=link))
            continue
        else:
            result.results.append(EventResult(number - 1, event_id, Outcome.ACCEPTED))
            continue
        rejections.extend(
            {
                "ingest_id": ingest_id,
                "row_number": number,
                "event_id": kept_text(event_id[:128]) or None,
                "field": error.field,
                "reason": str(error.reason),
                "detail": "",
            }
            for error in errors
        )
    for number, (kind, _, _) in others.items():
        if kind == sql_intake.CONFLICT:
            rejections.append(
                {
                    "ingest_id": ingest_id,
                    "row_number": number,
                    "event_id": kept_text(checked.event_ids.get(number, "")[:128]) or None,
                    "field": "event_id",
                    "reason": IntakeReason.CONFLICT.value,
                    "detail": "same event_id with other content; the original is kept",
                }
            )
    ingest_rows.insert_rejections(session, rejections)
    if outcome.points:
        resident = sql_intake.STAGE_COLUMN["resident_id"]
        residents = sorted({row[resident] for row in checked.rows})
        if settle:
            settle_points(session, catalogue, resident_ids=residents, ingest_id=ingest_id)
        else:
            result.owed = tuple(residents)
    audit.record(
        session,
        actor,
        "carbon_account.ingest.api",
        "ingest",
        ingest_id,
        details={
            "partner": who.code,
            "events": len(events),
            "accepted": outcome.accepted,
            "duplicates": outcome.duplicates,
            "rejected": len(checked.errors) + outcome.conflicts,
        },
    )
    return result
