"""The partners' API: send events in real time (``POST /api/v1/events``), read one's ingests."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError

from seagreen.carbon_account import service
from seagreen.carbon_account.domain import Outcome
from seagreen.carbon_account.schemas import EventsIn, EventsResultRead, IngestRead, raw_event
from seagreen.db.uow import unit_of_work
from seagreen.identity.access import Caller, RequirePartner, RequirePartnerInThread, actor_of
from seagreen.kit.clock import from_micros
from seagreen.web.deps import ReadSession

router = APIRouter(prefix="/api/v1", tags=["carbon account"])


EVENTS_IN = TypeAdapter(EventsIn)
_BODY_SCHEMA = EVENTS_IN.json_schema(ref_template="#/components/schemas/{model}")
OPENAPI_SCHEMAS: dict[str, Any] = {
    **_BODY_SCHEMA.pop("$defs"),
    "EventsIn": _BODY_SCHEMA,
}
"""The request body's schemas, for the app's OpenAPI components (``post_events`` reads its body
itself, so FastAPI does not see them)."""


@router.post(
    "/events",
    response_model=EventsResultRead,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventsIn"}}},
        }
    },
)
async def post_events(caller: RequirePartnerInThread, request: Request) -> Response:
    """Report up to 1,000 low-carbon behaviour events; each gets a result.

    `accepted`: accounted now. `duplicate`: this `event_id` was already received with the same
    content, or another partner already reported the same `dedupe_key` (`duplicate_of` names it).
    `conflict`: this `event_id` was received before with other content; the original is kept.
    `rejected`: see `errors` (field and reason). Resending a request is always safe.
    """
    # one trip through the thread pool for the whole request: the API key checked, the body
    # validated and the events written (docs/decisions/0005, phases 28 and 29)
    return await run_in_threadpool(_post_events, await request.body(), caller, request)


def _post_events(content: bytes, caller: Caller, request: Request) -> Response:
    principal = caller.resolve()  # 401 or 403 before the body is looked at, as for any route
    # the body parsed and validated in one pass of pydantic's own JSON reader: FastAPI's reading
    # (the standard library's parser, then validation of the objects it built) took twice as long
    # for a thousand events (docs/decisions/0005, phase 28)
    try:
        body: EventsIn = EVENTS_IN.validate_json(content)
    except ValidationError as error:
        raise RequestValidationError(
            [{**problem, "loc": ("body", *problem["loc"])} for problem in error.errors()]
        ) from None
    prefix = service.dedupe_prefix(request.app.state.keys)
    settler = request.app.state.settler  # posts the points after the commit, many requests at once
    # the transaction opened and closed here, in the thread that does the work: a session from
    # the ``WriteSession`` dependency was made and closed in two more trips through the thread
    # pool, each about half a millisecond on a busy server (docs/decisions/0005, phase 28)
    with unit_of_work(request.app.state.session_factory) as session:
        result = service.submit_events(
            session,
            partner_code=principal.org_code or "",
            events=[raw_event(event) for event in body["events"]],
            prefix=prefix,
            actor=actor_of(principal),
            settle=settler is None,
        )
    if settler is not None and result.owed:
        settler.notify(result.owed)
    # built as plain data and encoded once (orjson, which writes an enum as its value): a thousand
    # results through models and the response validation cost more than the accounting; the
    # shape is EventsResultRead's (tests/carbon_account/test_intake_api.py holds them together)
    results = [
        {
            "index": position,
            "event_id": event_id,
            "status": status,
            "errors": [{"field": e.field, "reason": e.reason} for e in errors] if errors else [],
            "duplicate_of": {"partner": link[0], "event_id": link[1]} if link else None,
        }
        for position, event_id, status, errors, link in result.results
    ]
    counts = Counter(status for _, _, status, _, _ in result.results)
    body_out = {
        "ingest_id": result.ingest_id,
        "accepted": counts[Outcome.ACCEPTED],
        "duplicates": counts[Outcome.DUPLICATE],
        "conflicts": counts[Outcome.CONFLICT],
        "rejected": counts[Outcome.REJECTED],
        "results": results,
    }
    return Response(orjson.dumps(body_out), media_type="application/json")


@router.get("/ingests", response_model=list[IngestRead])
def list_ingests(
    principal: RequirePartner, session: ReadSession, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[IngestRead]:
    """The calling partner's latest ingests (API requests and files), newest first."""
    rows = service.partner_ingests(session, principal.org_code or "", limit=limit)
    return [
        IngestRead(
            id=row.id,
            source=row.source,
            file_name=row.file_name,
            status=row.status,
            accepted=row.accepted,
            duplicates=row.duplicates,
            conflicts=row.conflicts,
            rejected=row.rejected,
            reduction_g=row.reduction_g,
            credited_g=row.credited_g,
            points=row.points,
            started_at=from_micros(row.started_at_us),
        )
        for row in rows
    ]
