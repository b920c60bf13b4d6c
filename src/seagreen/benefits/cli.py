"""``seagreen benefits``: the catalogue, stock and the vouchers' jobs."""

from __future__ import annotations

import getpass
import json
from typing import Annotated

import typer
from rich.table import Table

from seagreen.audit.domain import Actor
from seagreen.benefits import service
from seagreen.benefits.schemas import BenefitAdminRead
from seagreen.kit.commandline import DbOption, JsonOption, console, runtime

app = typer.Typer(help="Benefits (权益) and vouchers: catalogue, stock, expiry.")


@app.command("list")
def list_benefits(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Every benefit with its stock, this month's budget and redemptions."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        views = service.list_benefits(session, active_only=False)
    if as_json:
        console.print_json(
            json.dumps([BenefitAdminRead.model_validate(v).model_dump() for v in views], ensure_ascii=False)
        )
        return
    table = Table("code", "name", "provider", "points", "stock", "redeemed", "active")
    for v in views:
        stock = "∞" if v.stock_left is None else f"{v.stock_left:,}"
        table.add_row(
            v.code, v.name_zh, v.provider_code, str(v.price_points), stock, f"{v.redeemed:,}", str(v.active)
        )
    console.print(table)


@app.command("stock")
def stock(
    code: Annotated[str, typer.Argument(help="The benefit's code.")],
    quantity: Annotated[int, typer.Argument(help="Vouchers to add.")],
    db: DbOption = None,
) -> None:
    with runtime(db) as rt, rt.transaction() as session:
        view = service.restock(session, code, quantity, actor=Actor.cli(getpass.getuser()))
    console.print(f"{view.code}: {view.stock_left:,} in stock")


@app.command("expire-vouchers")
def expire_vouchers(db: DbOption = None) -> None:
    """Expire vouchers past their validity (refunded or not by each benefit's rule) and release
    reservations never issued (the app runs both on schedule)."""
    with runtime(db) as rt, rt.transaction() as session:
        released = service.sweep_reservations(session)
        report = service.expire_vouchers(session)
    console.print(
        f"{report.expired} vouchers expired ({report.refunded} refunded, {report.points_refunded} points); "
        f"{released} stale reservations released"
    )
