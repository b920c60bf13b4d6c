import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

import seagreen.audit
from seagreen.audit import service
from seagreen.audit.domain import Actor, ActorKind, AuditQuery
from seagreen.audit.errors import InvalidAuditEvent, InvalidAuditQuery

ALICE = Actor(ActorKind.USER, "1", "审核员甲", "wh-pbc")
KEY = Actor(ActorKind.API_KEY, "7", "sg_abcd1234", "wh-bus")
T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def record_some(session):
    ids = [
        service.record(session, ALICE, "identity.org.create", "organisation", "wh-nfra", now=T0),
        service.record(session, KEY, "carbon.report.accept", "report", 41, now=T0 + timedelta(hours=1)),
        service.record(
            session, ALICE, "identity.user.deactivate", "user", 3, reason="离职", now=T0 + timedelta(days=1)
        ),
        service.record(session, KEY, "carbon.report.accept", "report", 42, now=T0 + timedelta(days=2)),
    ]
    return ids


def listed(session, **filters):
    return [event.object_id for event in service.list_events(session, AuditQuery(**filters)).items]


def test_records_an_event_with_its_actor_reason_and_details(session):
    event_id = service.record(
        session,
        ALICE,
        "identity.user.deactivate",
        "user",
        3,
        reason="离职",
        details={"username": "li.na"},
        now=T0,
    )
    [event] = service.list_events(session, AuditQuery(before_id=event_id + 1, limit=1)).items
    assert event.id == event_id
    assert (event.actor_kind, event.actor_id, event.actor_label, event.org_code) == (
        "user",
        "1",
        "审核员甲",
        "wh-pbc",
    )
    assert (event.action, event.object_type, event.object_id) == ("identity.user.deactivate", "user", "3")
    assert event.reason == "离职"
    assert event.details == {"username": "li.na"}
    assert event.occurred_at == T0


def test_lists_newest_first_and_filters(session):
    record_some(session)
    assert listed(session, limit=4) == ["42", "3", "41", "wh-nfra"]
    assert listed(session, action="carbon.") == ["42", "41"]
    assert listed(session, action="identity.user") == ["3"]
    assert listed(session, actor="审核员甲")[:2] == ["3", "wh-nfra"]
    assert listed(session, actor="7")[:2] == ["42", "41"]
    assert listed(session, org_code="wh-bus")[:2] == ["42", "41"]
    assert listed(session, object_type="report", object_id="41") == ["41"]
    assert listed(session, since=T0 + timedelta(hours=1), until=T0 + timedelta(days=2)) == ["3", "41"]


def test_an_action_prefix_is_matched_literally(session):
    service.record(session, ALICE, "identity.user_x.create", "user", "a")
    service.record(session, ALICE, "identity.userx.create", "user", "b")
    assert listed(session, action="identity.user_") == ["a"]
    assert listed(session, action="identity%") == []


def test_pages_continue_where_the_last_one_ended_without_gaps_or_repeats(session):
    recorded = [service.record(session, KEY, "carbon.report.accept", "report", n) for n in range(23)]
    seen, before = [], None
    while True:
        page = service.list_events(session, AuditQuery(action="carbon.report", before_id=before, limit=5))
        seen.extend(event.id for event in page.items)
        if page.next_before is None:
            break
        before = page.next_before
    tail = [event_id for event_id in seen if event_id in set(recorded)]
    assert tail == sorted(recorded, reverse=True)


def test_refuses_an_action_that_is_not_a_dotted_name(session):
    for action in ("", "create", "Identity.User", "identity. user", "identity..user"):
        with pytest.raises(InvalidAuditEvent):
            service.record(session, ALICE, action, "user", 1)


def test_refuses_a_time_window_that_ends_before_it_starts(session):
    with pytest.raises(InvalidAuditQuery):
        service.list_events(session, AuditQuery(since=T0, until=T0))


def test_actor_kinds_are_the_four_known_ones():
    assert Actor("cli", "root", "cli:root").kind is ActorKind.CLI
    assert Actor.cli("root") == Actor(ActorKind.CLI, "root", "cli:root")
    with pytest.raises(ValueError):
        Actor("robot", "1", "x")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET reason = 'rewritten' WHERE id = :id",
        "DELETE FROM audit_events WHERE id = :id",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_event(session, statement):
    event_id = service.record(session, ALICE, "identity.org.create", "organisation", "wh-pbc")
    session.flush()
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text(statement), {"id": event_id})
    reason = session.execute(
        text("SELECT reason FROM audit_events WHERE id = :id"), {"id": event_id}
    ).scalar_one()
    assert reason == ""


def test_the_audit_core_never_imports_identity():
    """identity records audit events, so the audit log's core must not depend on identity."""
    package = Path(seagreen.audit.__file__).parent
    for name in ("domain", "errors", "models", "repository", "schemas", "service"):
        tree = ast.parse((package / f"{name}.py").read_text())
        imported = [
            node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
        ]
        imported += [
            alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        ]
        assert not [module for module in imported if module.startswith("seagreen.identity")], name
