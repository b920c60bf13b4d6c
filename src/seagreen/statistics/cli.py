"""``seagreen stats``: rebuild the roll-up, show the figures, export them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from seagreen.kit.commandline import DbOption, JsonOption, console, runtime
from seagreen.statistics import service
from seagreen.statistics.schemas import StatisticsRead

app = typer.Typer(help="Programme statistics of the personal carbon account (项目统计).")


@app.command("refresh")
def refresh(db: DbOption = None) -> None:
    """Rebuild the monthly roll-up and the ranking snapshot (the app's job does it hourly)."""
    with runtime(db) as rt, rt.transaction() as session:
        months = service.refresh(session)
    console.print(f"statistics: {months} months rolled up; ranking snapshot taken")


@app.command("show")
def show(db: DbOption = None, as_json: JsonOption = False) -> None:
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        view = service.statistics(session)
    if as_json:
        console.print_json(StatisticsRead.model_validate(view).model_dump_json())
        return
    table = Table("figure", "value", title="carbon account programme")
    for name, value in view.live.__dict__.items():
        table.add_row(name, f"{value:,}")
    table.add_row("points_redeemed", f"{view.points_redeemed:,}")
    table.add_row("redemptions", f"{view.redemptions:,}")
    console.print(table)


@app.command("export")
def export(
    output: Annotated[Path, typer.Argument(help="The file to write: .csv or .xlsx.")],
    db: DbOption = None,
) -> None:
    """Write the monthly series and the redemptions by benefit to a CSV or Excel file."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        view = service.statistics(session)
    if output.suffix.lower() == ".csv":
        output.write_bytes(service.export_csv(view))
    elif output.suffix.lower() == ".xlsx":
        output.write_bytes(service.export_xlsx(view))
    else:
        raise typer.BadParameter("write a .csv or an .xlsx file", param_hint="OUTPUT")
    console.print(
        json.dumps({"file": str(output), "months": len(view.months), "benefits": len(view.benefits)})
    )
