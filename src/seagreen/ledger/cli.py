"""``seagreen ledger …``: verify the journal, release expired holds, show an account."""

from __future__ import annotations

import getpass
import json

import typer
from rich.progress import Progress
from rich.table import Table

from seagreen.audit.domain import Actor
from seagreen.kit.commandline import DbOption, JsonOption, console, errors, runtime
from seagreen.ledger import service

app = typer.Typer(help="The double-entry ledger (账本).", no_args_is_help=True)


@app.command()
def verify(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Recompute the hash chain and all balances; exit 1 and name the first bad row if any."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        total = service.stats(session).transfers
        with Progress(transient=True, console=errors, disable=as_json or total < 50_000) as bar:
            task = bar.add_task("verifying the journal", total=total)
            report = service.verify(session, progress=lambda done, _total: bar.update(task, completed=done))
    if as_json:
        console.print_json(
            json.dumps(
                {
                    "ok": report.ok,
                    "rows": report.rows,
                    "accounts": report.accounts,
                    "head_seq": report.head_seq,
                    "problems": report.problems,
                }
            )
        )
    elif report.ok:
        console.print(
            f"[green]ledger ok[/]: {report.rows} transfers, {report.accounts} accounts, chain intact"
        )
    else:
        for problem in report.problems:
            errors.print(f"[bold red]ledger broken[/]: {problem}")
    if not report.ok:
        raise typer.Exit(code=1)


@app.command()
def expire(db: DbOption = None) -> None:
    """Release pending transfers (holds) whose timeout has passed."""
    with runtime(db) as rt, rt.transaction() as session:
        released = service.expire_pending(session, actor=Actor.cli(getpass.getuser()))
    console.print(f"released {released} expired holds")


@app.command()
def account(key: str, db: DbOption = None) -> None:
    """Show one account's balances."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        balance = service.balance(session, key)
    table = Table(
        "key", "unit", "debits pending", "debits posted", "credits pending", "credits posted", "balance"
    )
    table.add_row(
        key,
        balance.unit,
        *(
            str(v)
            for v in (
                balance.debits_pending,
                balance.debits_posted,
                balance.credits_pending,
                balance.credits_posted,
                balance.net_credit,
            )
        ),
    )
    console.print(table)
