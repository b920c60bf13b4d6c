"""``seagreen behaviours``: show the catalogue in force, list versions, publish a new version."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from seagreen.carbon_account import service
from seagreen.carbon_account.schemas import CatalogueRead
from seagreen.kit.commandline import DbOption, JsonOption, console, errors, runtime
from seagreen.web.i18n import translate

app = typer.Typer(help="The behaviour catalogue of the personal carbon account (低碳行为目录).")

AtOption = Annotated[
    str | None,
    typer.Option("--at", help="Show the version in force on this local date (YYYY-MM-DD); default today."),
]


def _catalogue_json(catalogue: CatalogueRead) -> dict[str, object]:
    body = catalogue.model_dump(mode="json")
    for behaviour in body["behaviours"]:
        dimension = behaviour["dimension"]
        behaviour["dimension_zh"] = translate(f"carbon_account.dimension.{dimension}", "zh-CN")
        behaviour["dimension_en"] = translate(f"carbon_account.dimension.{dimension}", "en")
    return {
        "g_per_point": body.pop("g_per_point"),
        "behaviours": body.pop("behaviours"),
        **body,
    }


def _moment(at: str | None) -> datetime | None:
    if at is None:
        return None
    try:
        day = date.fromisoformat(at)
    except ValueError as exc:
        raise typer.BadParameter(f"{at!r} is not a date (YYYY-MM-DD)", param_hint="--at") from exc
    return datetime.combine(day, time(12), tzinfo=service.LOCAL_TZ)


@app.callback(invoke_without_command=True)
def behaviours(
    ctx: typer.Context,
    db: DbOption = None,
    as_json: JsonOption = False,
    at: AtOption = None,
) -> None:
    """Show the behaviours of the version in force (or run a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    moment = _moment(at)
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        catalogue = service.catalogue_in_force(session, moment)
    if as_json:
        console.print_json(json.dumps(_catalogue_json(catalogue), ensure_ascii=False))
        return
    table = Table(
        "code",
        "行为 behaviour",
        "维度 dimension",
        "unit",
        "g CO2e / unit",
        "daily cap g",
        "monthly cap g",
        "partners",
        "factor",
        title=(
            f"{catalogue.name} — in force since {catalogue.effective_from}, "
            f"{catalogue.g_per_point} g per point"
        ),
    )
    for behaviour in catalogue.behaviours:
        table.add_row(
            behaviour.code,
            f"{behaviour.name_zh}\n{behaviour.name_en}",
            translate(f"carbon_account.dimension.{behaviour.dimension}", "zh-CN"),
            behaviour.unit,
            behaviour.factor_g_per_unit,
            "—" if behaviour.daily_cap_g is None else str(behaviour.daily_cap_g),
            "—" if behaviour.monthly_cap_g is None else str(behaviour.monthly_cap_g),
            " ".join(behaviour.partner_kinds),
            "[yellow]estimate[/]" if behaviour.factor_status == "estimate" else "published",
        )
    console.print(table)


@app.command()
def versions(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List every published version, oldest first."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        rows = service.list_versions(session)
    if as_json:
        console.print_json(json.dumps([row.model_dump(mode="json") for row in rows], ensure_ascii=False))
        return
    table = Table("code", "name", "effective from", "g per point", "behaviours", "published at", "hash")
    for row in rows:
        table.add_row(
            row.code,
            row.name,
            row.effective_from.isoformat(),
            str(row.g_per_point),
            str(row.behaviours),
            row.published_at.isoformat(timespec="seconds"),
            row.content_hash[:12],
        )
    console.print(table)


@app.command()
def publish(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Catalogue CSV file.")],
    effective_from: Annotated[
        str, typer.Option("--effective-from", help="Local date (Asia/Shanghai) it takes effect, YYYY-MM-DD.")
    ],
    code: Annotated[str, typer.Option("--code", help="Version code, e.g. weihai-v2.")],
    g_per_point: Annotated[int, typer.Option("--g-per-point", help="Grams of CO2e per carbon point.")],
    name: Annotated[str | None, typer.Option("--name", help="Version name (default: the code).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Publish a new catalogue version; it takes effect on a later date and never changes."""
    try:
        start = date.fromisoformat(effective_from)
    except ValueError as exc:
        raise typer.BadParameter(f"{effective_from!r} is not a date", param_hint="--effective-from") from exc
    with runtime(db) as rt, rt.transaction() as session:
        version = service.publish_file(
            session, file, code=code, name=name, effective_from=start, g_per_point=g_per_point
        )
    if as_json:
        console.print_json(version.model_dump_json())
        return
    if start.day != 1:
        errors.print(
            "[yellow]note[/]: the version starts mid-month; each version's monthly caps apply to its own "
            "part of that month"
        )
    console.print(
        f"published [bold]{version.code}[/]: {version.behaviours} behaviours, in force from "
        f"{version.effective_from}, {version.g_per_point} g per point (hash {version.content_hash[:12]})"
    )
