"""The real-time intake (service and ``POST /api/v1/events``): every rejection reason, idempotency,
conflicts, cross-partner dedupe, consent at the event's time, caps and points through the ledger."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from seagreen.app import create_app
from seagreen.carbon_account import service
from seagreen.carbon_account.domain import Outcome
from seagreen.carbon_account.errors import IntakeTooLarge
from seagreen.carbon_account.models import EventRow
from seagreen.carbon_account.schemas import EventsResultRead, raw_event
from seagreen.ledger import service as ledger
from tests.factories.carbon_account import event, make_partner, make_residents, submit
from tests.factories.identity import TEST_ACTOR, bearer, make_api_key


@pytest.fixture()
def intake(session):
    service.load_shipped(session)
    make_partner(session, "t-bus", "transit")
    make_partner(session, "t-pay", "clearing")
    make_partner(session, "t-water", "utility")
    make_residents(session, ["r-1", "r-2"], ["t-bus", "t-pay", "t-water"])
    return session


def statuses(result):
    return [(r.status.value, [(e.field, str(e.reason)) for e in r.errors]) for r in result.results]


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"behaviour": "teleport"}, "behaviour", "unknown_behaviour"),
        ({"behaviour": "water_saved_m3"}, "behaviour", "partner_kind_not_allowed"),
        ({"quantity": "0"}, "quantity", "not_positive"),
        ({"quantity": "-2"}, "quantity", "not_positive"),
        ({"quantity": "1.2345"}, "quantity", "too_many_decimals"),
        ({"quantity": "abc"}, "quantity", "not_a_number"),
        ({"occurred_at": "2024-06-10T12:06:00+08:00"}, "occurred_at", "in_future"),
        ({"occurred_at": "2024-03-01T08:00:00+08:00"}, "occurred_at", "before_backfill_window"),
        ({"occurred_at": "yesterday"}, "occurred_at", "invalid_datetime"),
        ({"occurred_at": "9999-12-31T23:59:59-23:59"}, "occurred_at", "in_future"),  # past datetime's end
        ({"occurred_at": "9999-12-31T23:59:59"}, "occurred_at", "in_future"),
        ({"resident_ref": "r-nobody"}, "resident_ref", "unknown_resident"),
        ({"event_id": None}, "event_id", "missing"),
        ({"behaviour": ""}, "behaviour", "missing"),
        ({"quantity": None}, "quantity", "missing"),
        ({"occurred_at": None}, "occurred_at", "missing"),
        ({"resident_ref": None}, "resident_ref", "missing"),
        ({"event_id": "e\x00-1"}, "event_id", "invalid_character"),
        ({"resident_ref": "r-1\x00"}, "resident_ref", "invalid_character"),
        ({"dedupe_key": "txn\x00"}, "dedupe_key", "invalid_character"),
    ],
)
def test_rejects_with_field_and_reason(intake, overrides, field, reason):
    result = submit(intake, "t-bus", [event(**overrides)])
    assert statuses(result) == [("rejected", [(field, reason)])]
    assert service.balances(intake) == []


def test_a_time_whose_zone_takes_it_before_year_one_is_refused_not_a_failure(intake):
    result = submit(intake, "t-bus", [event(occurred_at="0001-01-01T00:00:00+14:00")])
    assert statuses(result) == [
        ("rejected", [("occurred_at", "before_backfill_window"), ("occurred_at", "no_version_in_force")])
    ]


def test_rejects_an_event_of_a_resident_who_has_not_authorised_the_partner(intake):
    make_partner(intake, "t-recycle", "recycler")
    result = submit(intake, "t-recycle", [event(behaviour="plastic_recycled_kg")])
    assert statuses(result) == [("rejected", [("resident_ref", "no_consent")])]


def test_consent_counts_at_the_time_of_the_event(intake):
    service.revoke_consent(
        intake, "r-1", "t-bus", actor=TEST_ACTOR, now=datetime.fromisoformat("2024-06-05T00:00+08:00")
    )
    result = submit(
        intake,
        "t-bus",
        [
            event(event_id="before", occurred_at="2024-06-04T08:00+08:00"),
            event(event_id="after", occurred_at="2024-06-06T08:00+08:00"),
        ],
    )
    assert statuses(result) == [("accepted", []), ("rejected", [("resident_ref", "no_consent")])]


def test_accepts_accounts_and_issues_points_through_the_ledger(intake):
    result = submit(intake, "t-bus", [event(event_id=f"e-{i}", quantity="2.5") for i in range(2)])
    assert statuses(result) == [("accepted", []), ("accepted", [])]
    [balance] = service.balances(intake)
    assert (balance.reduction_g, balance.credited_g, balance.points) == (500, 500, 5)
    account = ledger.balance(intake, "carbon:points:r-1")
    assert account.credits_posted - account.debits_posted == 5


def test_daily_cap_limits_credited_grams_but_not_reductions(intake):
    submit(intake, "t-bus", [event(event_id=f"e-{i}", quantity="3") for i in range(3)])  # 900 g, cap 600
    [balance] = service.balances(intake)
    assert (balance.reduction_g, balance.credited_g, balance.points) == (900, 600, 6)


def test_a_resend_is_a_duplicate_and_changes_nothing(intake):
    submit(intake, "t-bus", [event()])
    again = submit(intake, "t-bus", [event(quantity="1.000", occurred_at="2024-06-01T00:00:00Z")])
    assert statuses(again) == [("duplicate", [])]
    assert service.balances(intake)[0].points == 1


def test_the_same_id_with_other_content_is_a_conflict_and_the_original_is_kept(intake):
    submit(intake, "t-bus", [event()])
    again = submit(intake, "t-bus", [event(quantity="5")])
    assert statuses(again) == [("conflict", [("event_id", "conflict")])]
    assert service.balances(intake)[0].reduction_g == 100


def test_a_conflict_within_one_request_keeps_the_first(intake):
    result = submit(intake, "t-bus", [event(), event(quantity="4"), event()])
    assert [r.status for r in result.results] == [Outcome.ACCEPTED, Outcome.CONFLICT, Outcome.DUPLICATE]
    assert service.balances(intake)[0].reduction_g == 100


def test_of_one_id_sent_twice_in_a_request_the_first_row_is_stored_whatever_it_says(intake):
    result = submit(intake, "t-bus", [event(quantity="4"), event()])
    assert [r.status for r in result.results] == [Outcome.ACCEPTED, Outcome.CONFLICT]
    assert service.balances(intake)[0].reduction_g == 400


def test_the_same_event_id_from_two_partners_is_two_events(intake):
    submit(intake, "t-bus", [event()])
    other = submit(intake, "t-pay", [event()])
    assert statuses(other) == [("accepted", [])]


def test_a_dedupe_key_counts_once_across_partners_and_links_the_winner(intake):
    submit(intake, "t-bus", [event(event_id="bus-1", dedupe_key="txn-9")])
    later = submit(intake, "t-pay", [event(event_id="pay-1", dedupe_key="txn-9")])
    assert later.results[0].status is Outcome.DUPLICATE
    assert later.results[0].duplicate_of == ("t-bus", "bus-1")
    assert service.balances(intake)[0].reduction_g == 100


def test_refuses_more_than_a_thousand_events(intake):
    with pytest.raises(IntakeTooLarge):
        submit(intake, "t-bus", [event(event_id=f"e-{i}") for i in range(1001)])


def test_api_posts_events_with_a_partner_key(session_factory, settings, intake):
    key = service.add_partner(intake, "t-bus", kind="transit", name="bus", actor=TEST_ACTOR).api_key
    intake.commit()
    app = create_app(settings, session_factory=session_factory)
    with TestClient(app) as client:
        body = {
            "events": [
                event(occurred_at=datetime.now().astimezone().isoformat()),
                event(event_id="x", behaviour="nope"),
            ]
        }
        first = client.post("/api/v1/events", json=body, headers=bearer(key))
        assert first.status_code == 200, first.text
        assert first.headers["content-type"] == "application/json"
        assert [r["status"] for r in first.json()["results"]] == ["accepted", "rejected"]
        # the body is built by hand for speed: it must be exactly the documented model
        documented = EventsResultRead.model_validate(first.json()).model_dump(mode="json")
        assert documented == first.json()
        assert {"field": "behaviour", "reason": "unknown_behaviour"} in first.json()["results"][1]["errors"]
        assert (first.json()["accepted"], first.json()["rejected"]) == (1, 1)
        again = client.post("/api/v1/events", json=body, headers=bearer(key))
        assert [r["status"] for r in again.json()["results"]] == ["duplicate", "rejected"]
        ingests = client.get("/api/v1/ingests", headers=bearer(key))
        assert ingests.status_code == 200
        runs = {run["id"]: run for run in ingests.json()}
        # each request is an ingest run of its own, done, with that request's counts
        for answer, counts in ((first, (1, 0, 1)), (again, (0, 1, 1))):
            run = runs[answer.json()["ingest_id"]]
            assert (run["source"], run["status"], run["file_name"]) == ("api", "done", "")
            assert (run["accepted"], run["duplicates"], run["rejected"]) == counts
        assert runs[first.json()["ingest_id"]]["reduction_g"] == 100
        assert runs[again.json()["ingest_id"]]["reduction_g"] == 0


def test_fields_beyond_the_schema_join_the_attributes():
    plain = event()
    assert raw_event(plain) == plain
    sent = event(attributes={"line": "K1", "seat": "12"}, seat="14", vehicle="bus 3")
    assert raw_event(sent) == {
        **event(),  # the fields sent, none added
        "attributes": {"line": "K1", "seat": "14", "vehicle": "bus 3"},  # the field beside wins
    }


def test_api_keeps_extra_fields_as_attributes_and_refuses_a_field_of_the_wrong_type(
    session_factory, settings, intake
):
    key = service.add_partner(intake, "t-bus", kind="transit", name="bus", actor=TEST_ACTOR).api_key
    intake.commit()
    app = create_app(settings, session_factory=session_factory)
    now = datetime.now().astimezone().isoformat()
    with TestClient(app) as client:
        sent = client.post(
            "/api/v1/events",
            json={
                "events": [event(event_id="extra", occurred_at=now, attributes={"line": "K1"}, vehicle="3")]
            },
            headers=bearer(key),
        )
        assert sent.status_code == 200 and sent.json()["accepted"] == 1, sent.text
        wrong = client.post(
            "/api/v1/events", json={"events": [event(event_id=7, occurred_at=now)]}, headers=bearer(key)
        )
        assert wrong.status_code == 422
        assert wrong.json()["error"]["details"]["errors"][0]["field"] == "body.events.0.event_id"
        too_many = client.post(
            "/api/v1/events",
            json={"events": [event(event_id=f"n-{i}", occurred_at=now) for i in range(1001)]},
            headers=bearer(key),
        )
        assert too_many.status_code == 422
        assert too_many.json()["error"]["details"]["errors"][0]["field"] == "body.events"
        not_json = client.post("/api/v1/events", content=b'{"events": [', headers=bearer(key))
        assert not_json.status_code == 422
        assert not_json.json()["error"]["details"]["errors"][0]["field"] == "body"
        no_events = client.post("/api/v1/events", json={"event": []}, headers=bearer(key))
        assert no_events.status_code == 422
        assert no_events.json()["error"]["details"]["errors"][0]["field"] == "body.events"
        nobody = client.post("/api/v1/events", content=b'{"events": []}')  # no key: refused first
        assert nobody.status_code == 401
        # the key is checked in the endpoint's own thread, still before the body is looked at
        forged = client.post("/api/v1/events", content=b'{"events": [', headers=bearer("sg_forged"))
        assert forged.status_code == 401, forged.text
        banker = make_api_key(intake, ("bank_officer",))
        intake.commit()
        refused = client.post("/api/v1/events", content=b'{"events": [', headers=bearer(banker))
        assert refused.status_code == 403, refused.text
        openapi = client.get("/api/v1/openapi.json").json()
        documented = openapi["components"]["schemas"]["EventIn"]
        assert documented["additionalProperties"] is True and "examples" in documented
        assert documented["properties"]["quantity"]["description"].startswith("Positive")
        body = openapi["paths"]["/api/v1/events"]["post"]["requestBody"]["content"]["application/json"]
        assert body["schema"] == {"$ref": "#/components/schemas/EventsIn"}
        events = openapi["components"]["schemas"]["EventsIn"]["properties"]["events"]
        assert events["items"] == {"$ref": "#/components/schemas/EventIn"} and events["maxItems"] == 1000
    stored = intake.scalar(select(EventRow.attributes).where(EventRow.event_id == "extra"))
    assert json.loads(stored) == {"line": "K1", "vehicle": "3"}


def test_the_api_answers_every_outcome_in_the_documented_shape(session_factory, settings, intake):
    """The answer is built by hand for speed: each outcome's fields, the link to a dedupe key's
    winner, the reasons and the counts, exactly as ``EventsResultRead`` documents them."""
    bus = service.add_partner(intake, "t-bus", kind="transit", name="bus", actor=TEST_ACTOR).api_key
    pay = service.add_partner(intake, "t-pay", kind="clearing", name="pay", actor=TEST_ACTOR).api_key
    intake.commit()
    now = datetime.now().astimezone().isoformat()

    def post(client, key, *events):
        answer = client.post("/api/v1/events", json={"events": list(events)}, headers=bearer(key))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert EventsResultRead.model_validate(body).model_dump(mode="json") == body
        return body

    with TestClient(create_app(settings, session_factory=session_factory)) as client:
        first = post(
            client,
            bus,
            event(event_id="b-1", occurred_at=now, dedupe_key="txn-1"),
            event(event_id="b-2", occurred_at=now),
        )
        claim = post(
            client,
            pay,
            event(event_id="p-1", occurred_at=now, dedupe_key="txn-1"),
            event(event_id="p-2", resident_ref="r-nobody", occurred_at=now),
        )
        changed = post(client, bus, event(event_id="b-2", occurred_at=now, quantity="2"))
    assert [r["status"] for r in first["results"]] == ["accepted", "accepted"]
    assert claim["results"] == [
        answered(0, "p-1", "duplicate", link={"partner": "t-bus", "event_id": "b-1"}),
        answered(1, "p-2", "rejected", errors=[{"field": "resident_ref", "reason": "unknown_resident"}]),
    ]
    assert [claim[k] for k in ("accepted", "duplicates", "conflicts", "rejected")] == [0, 1, 0, 1]
    assert changed["results"] == [
        answered(0, "b-2", "conflict", errors=[{"field": "event_id", "reason": "conflict"}])
    ]
    assert [changed[k] for k in ("accepted", "duplicates", "conflicts", "rejected")] == [0, 0, 1, 0]


def test_an_event_holding_a_nul_character_is_refused_and_the_rest_of_the_request_taken(
    session_factory, settings, intake
):
    """PostgreSQL's text cannot hold U+0000: such an event id or resident ref failed the whole
    request there (500) and was stored as sent on SQLite. Now each database refuses that event
    alone, names its field, and keeps the refusal with the id readable."""
    from seagreen.carbon_account.models import RejectionRow

    key = service.add_partner(intake, "t-bus", kind="transit", name="bus", actor=TEST_ACTOR).api_key
    intake.commit()
    now = datetime.now().astimezone().isoformat()
    events = [
        event(event_id="n-ok", occurred_at=now),
        event(event_id="n\x00id", occurred_at=now),
        event(event_id="n-ref", resident_ref="r-1\x00", occurred_at=now),
        event(event_id="n-key", occurred_at=now, dedupe_key="\x00"),
        event(event_id="n-attr", occurred_at=now, attributes={"line\x00": "K\x001"}),
    ]
    with TestClient(create_app(settings, session_factory=session_factory)) as client:
        answer = client.post("/api/v1/events", json={"events": events}, headers=bearer(key))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [(r["event_id"], r["status"], r["errors"]) for r in body["results"]] == [
        ("n-ok", "accepted", []),
        ("n\x00id", "rejected", [{"field": "event_id", "reason": "invalid_character"}]),
        ("n-ref", "rejected", [{"field": "resident_ref", "reason": "invalid_character"}]),
        ("n-key", "rejected", [{"field": "dedupe_key", "reason": "invalid_character"}]),
        ("n-attr", "accepted", []),  # attributes are stored as JSON, where it is written \u0000
    ]
    intake.expire_all()
    kept = intake.execute(
        select(RejectionRow.row_number, RejectionRow.event_id, RejectionRow.field, RejectionRow.reason)
        .where(RejectionRow.ingest_id == body["ingest_id"])
        .order_by(RejectionRow.row_number)
    ).all()
    assert [tuple(row) for row in kept] == [
        (2, "n\ufffdid", "event_id", "invalid_character"),
        (3, "n-ref", "resident_ref", "invalid_character"),
        (4, "n-key", "dedupe_key", "invalid_character"),
    ]
    stored = intake.scalar(select(EventRow.attributes).where(EventRow.event_id == "n-attr"))
    assert json.loads(stored) == {"line\x00": "K\x001"}


def answered(index, event_id, status, *, errors=(), link=None):
    """One result of the events API's answer, as documented."""
    fields = {"index": index, "event_id": event_id, "status": status}
    return {**fields, "errors": list(errors), "duplicate_of": link}


def test_a_request_that_fails_after_its_writes_leaves_nothing_behind(
    session_factory, settings, intake, monkeypatch
):
    """The endpoint owns its transaction (``unit_of_work``): a failure after the events, totals and
    ingest row are written rolls all of them back, and the same request sent again is accepted."""
    from seagreen.carbon_account.models import IngestRow
    from seagreen.carbon_account.service import realtime

    key = service.add_partner(intake, "t-fail", kind="transit", name="fail", actor=TEST_ACTOR).api_key
    service.set_consents(intake, {"r-1": {"t-fail"}}, actor=TEST_ACTOR, source="test", revoke_others=False)
    intake.commit()
    now = datetime.now().astimezone().isoformat()
    body = {"events": [event(event_id="once", occurred_at=now)]}
    record = realtime.audit.record

    def fail_after_the_writes(*args, **kwargs):
        raise RuntimeError("the audit log is unreachable")

    monkeypatch.setattr(realtime.audit, "record", fail_after_the_writes)
    with TestClient(
        create_app(settings, session_factory=session_factory), raise_server_exceptions=False
    ) as client:
        assert client.post("/api/v1/events", json=body, headers=bearer(key)).status_code == 500
        assert intake.scalars(select(EventRow.event_id).where(EventRow.event_id == "once")).all() == []
        assert intake.scalars(select(IngestRow.id).where(IngestRow.source == "api")).all() == []
        monkeypatch.setattr(realtime.audit, "record", record)
        again = client.post("/api/v1/events", json=body, headers=bearer(key))
    assert again.status_code == 200 and again.json()["accepted"] == 1, again.text
