"""``seagreen audit list``: read the audit log from the command line."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from seagreen.audit import service
from seagreen.audit.domain import MAX_PAGE_SIZE, AuditQuery
from seagreen.kit.clock import LOCAL_TZ
from seagreen.kit.commandline import DbOption, JsonOption, console, runtime

app = typer.Typer(help="The audit log (审计日志).", no_args_is_help=True)


@app.command("list")
def list_events(
    action: Annotated[str | None, typer.Option(help="Action prefix, e.g. 'identity.'.")] = None,
    actor: Annotated[str | None, typer.Option(help="Actor id or label.")] = None,
    object_type: Annotated[str | None, typer.Option("--object-type")] = None,
    object_id: Annotated[str | None, typer.Option("--object-id")] = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_PAGE_SIZE)] = 50,
    before: Annotated[int | None, typer.Option(help="Only events older than this id (to page on).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The newest events, optionally filtered."""
    query = AuditQuery(
        action=action,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        before_id=before,
        limit=limit,
    )
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        page = service.list_events(session, query)
    if as_json:
        rows = [{**event.__dict__, "occurred_at": event.occurred_at.isoformat()} for event in page.items]
        console.print_json(json.dumps(rows, ensure_ascii=False))
        return
    table = Table()
    for column in ("id", "time (Beijing)", "actor", "org", "action", "object", "reason"):
        table.add_column(column, no_wrap=column in ("time (Beijing)", "action"), overflow="fold")
    for event in page.items:
        table.add_row(
            str(event.id),
            event.occurred_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
            f"{event.actor_label} ({event.actor_kind})",
            event.org_code or "",
            event.action,
            f"{event.object_type} {event.object_id}",
            event.reason,
        )
    console.print(table)
