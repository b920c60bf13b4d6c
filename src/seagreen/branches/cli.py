"""``seagreen branches``: green sub-branch recognition (绿色支行认定) from the command line, and its
scheduled job, ``seagreen branches tick``."""

from __future__ import annotations

import getpass
import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from seagreen.audit.domain import Actor
from seagreen.branches import service
from seagreen.branches.domain import LOCAL_TZ, Viewer
from seagreen.branches.schemas import PROPOSAL_NOTE_ZH, RoundCreate, TickReport
from seagreen.kit.clock import utcnow
from seagreen.kit.commandline import DbOption, JsonOption, console, errors, runtime
from seagreen.kit.mail import sender_from_settings

app = typer.Typer(
    help="Green sub-branch recognition (绿色支行认定): rounds, the public list, the scheduled job."
)

READER = Viewer(reader=True)


def _actor() -> Actor:
    return Actor.cli(getpass.getuser())


def _dump(body: object) -> None:
    console.print_json(json.dumps(body, ensure_ascii=False, default=str))


def parse_now(value: str | None) -> datetime:
    """``--now``: an ISO date or time; without a zone it is Weihai's local time."""
    if not value:
        return utcnow()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("an ISO date or time, e.g. 2027-04-01T09:00", param_hint="--now") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)


@app.command("sets")
def sets(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the indicator sets; the latest is the default for a new round."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        found = service.list_sets(session)
    if as_json:
        _dump([s.model_dump(mode="json") for s in found])
        return
    table = Table("code", "status", "indicators", "pass mark", "hash")
    for s in found:
        status = f"[yellow]{s.status}[/]" if s.proposal else s.status
        table.add_row(
            s.code, status, str(len(s.indicators)), f"{s.pass_mark}/{s.max_points}", s.content_hash[:12]
        )
    console.print(table)
    if any(s.proposal for s in found):
        console.print(f"[yellow]{PROPOSAL_NOTE_ZH}[/]")


@app.command("load-set")
def load_set(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Indicator set (TOML).")],
    db: DbOption = None,
) -> None:
    """Load an indicator set (e.g. the official one, once read); a stored set never changes."""
    with runtime(db) as rt, rt.transaction() as session:
        found = service.load_file(session, file, actor=_actor())
    console.print(f"loaded [bold]{found.code}[/] ({found.status}, {len(found.indicators)} indicators)")


@app.command("rounds")
def rounds(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the recognition rounds."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        found = service.list_rounds(session)
    if as_json:
        _dump([r.model_dump(mode="json") for r in found])
        return
    table = Table("code", "title", "status", "deadline", "indicator set", "authorities")
    for r in found:
        table.add_row(r.code, r.title_zh, r.status, str(r.deadline), r.indicator_set, " ".join(r.authorities))
    console.print(table)


@app.command("open-round")
def open_round(
    code: Annotated[str, typer.Option("--code", help="Round code, e.g. 2026-2.")],
    title: Annotated[str, typer.Option("--title", help="Title in Chinese.")],
    deadline: Annotated[
        str, typer.Option("--deadline", help="Last local day for applications (YYYY-MM-DD).")
    ],
    title_en: Annotated[str, typer.Option("--title-en", help="Title in English.")] = "",
    indicator_set: Annotated[
        str | None, typer.Option("--set", help="Indicator set (default: latest).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Open a round on behalf of the reviewing authorities (their joint notice)."""
    try:
        day = date.fromisoformat(deadline)
    except ValueError:
        raise typer.BadParameter("YYYY-MM-DD", param_hint="--deadline") from None
    body = RoundCreate(
        code=code, title_zh=title, title_en=title_en, deadline=day, indicator_set=indicator_set
    )
    with runtime(db) as rt, rt.transaction() as session:
        policy = service.policy_from_settings(rt.settings)
        found = service.open_round(session, None, body, policy=policy, actor=_actor())
    console.print(f"opened round [bold]{found.code}[/], applications until {found.deadline}")


@app.command("applications")
def applications(
    db: DbOption = None,
    as_json: JsonOption = False,
    status: Annotated[str | None, typer.Option("--status", help="Only this status.")] = None,
) -> None:
    """List applications (drafts are the banks' own and not shown)."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        found = service.list_applications(session, READER, statuses=[status] if status else None)
    if as_json:
        _dump([a.model_dump(mode="json") for a in found])
        return
    table = Table("#", "round", "branch", "status", "points")
    for a in found:
        table.add_row(
            str(a.id), a.round, a.branch_name_zh, a.status, "—" if a.points is None else str(a.points)
        )
    console.print(table)


@app.command("list")
def public_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """The public list of green sub-branches."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        listing = service.public_list(session)
    if as_json:
        _dump(listing.model_dump(mode="json"))
        return
    table = Table("number", "branch", "bank", "recognised on", "certificate SHA-256")
    for e in listing.recognised:
        table.add_row(
            e.number,
            e.branch_name_zh,
            e.bank_name_zh,
            str(e.recognised_on),
            (e.certificate_sha256 or "")[:16],
        )
    console.print(table)
    for e in listing.withdrawn:
        console.print(f"[dim]{e.number} {e.branch_name_zh}: {e.status} since {e.status_changed_on}[/]")


@app.command("certificate")
def certificate(
    number: Annotated[str, typer.Argument(help="Recognition number, e.g. WHGB-2026-001.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the PDF.")],
    db: DbOption = None,
) -> None:
    """Write a branch's plaque certificate (also after withdrawal, for the record)."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        pdf, digest = service.certificate_pdf(session, number, viewer=READER)
    out.write_bytes(pdf)
    console.print(f"wrote {out} (SHA-256 {digest})")


@app.command("notices")
def notices(
    db: DbOption = None,
    as_json: JsonOption = False,
    pending: Annotated[bool, typer.Option("--pending", help="Only those not sent yet.")] = False,
) -> None:
    """Emails queued and sent, newest first."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        found = service.list_notices(session, pending_only=pending)
    if as_json:
        _dump([n.model_dump(mode="json") for n in found])
        return
    table = Table("#", "kind", "to", "subject", "sent")
    for n in found:
        sent = (
            n.sent_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if n.sent_at else f"no ({n.attempts})"
        )
        table.add_row(str(n.id), n.kind, n.recipient, n.subject, sent)
    console.print(table)


@app.command("tick")
def tick(
    db: DbOption = None,
    as_json: JsonOption = False,
    now: Annotated[
        str | None, typer.Option("--now", help="Act as at this time (ISO; local if no zone). Default: now.")
    ] = None,
    send: Annotated[
        bool, typer.Option("--send/--no-send", help="Send the queued notices afterwards.")
    ] = True,
) -> None:
    """The scheduled job: close rounds past their deadline, lapse drafts and unanswered requests,
    mark missing annual reports overdue after 31 March, withdraw plaques after an unused appeal
    period, queue reminders before 31 March; then send the queued notices. Idempotent: run it
    from cron or a systemd timer (hourly is plenty)."""
    moment = parse_now(now)
    with runtime(db) as rt:
        policy = service.policy_from_settings(rt.settings)
        with rt.transaction() as session:
            report: TickReport = service.tick(session, policy=policy, now=moment)
        if send:
            with rt.transaction() as session:
                report.notices_sent, report.notices_failed = service.deliver(
                    session, sender_from_settings(rt.settings), now=moment
                )
    if as_json:
        _dump(report.model_dump(mode="json"))
    else:
        console.print(
            f"{moment.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M} (Weihai): "
            f"{report.rounds_closed} round(s) closed, {report.drafts_lapsed} draft(s) and "
            f"{report.requests_lapsed} request(s) for more lapsed, {report.became_overdue} overdue, "
            f"{report.plaques_withdrawn} plaque(s) withdrawn, {report.reminders_queued} reminder(s) queued; "
            f"notices: {report.notices_sent} sent, {report.notices_failed} failed"
        )
    if report.notices_failed:
        errors.print(
            f"[yellow]{report.notices_failed} notice(s) could not be sent; they are retried next time[/]"
        )
        raise typer.Exit(code=2)
