"""``seagreen behaviours``: show the catalogue in force, list versions, publish a new version."""

from __future__ import annotations

import getpass
import json
from dataclasses import asdict
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from seagreen.audit.domain import Actor
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


# -- phase 2: partners, residents, ingest, balances --------------------------------------------

partners_app = typer.Typer(help="Data partners of the personal carbon account (数据合作方).")
residents_app = typer.Typer(help="Residents of the personal carbon account and their consent (授权).")


def _actor() -> Actor:
    return Actor.cli(getpass.getuser())


@partners_app.command("add")
def partners_add(
    code: Annotated[str, typer.Argument(help="Partner (organisation) code, e.g. wh-bus.")],
    kind: Annotated[
        str, typer.Option("--kind", help="transit, utility, government, bank, clearing, recycler, peer")
    ],
    name: Annotated[str, typer.Option("--name", help="The partner's name.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a partner and print a new API key for it (shown once, never stored)."""
    with runtime(db) as rt, rt.transaction() as session:
        created = service.add_partner(session, code, kind=kind, name=name, actor=_actor())
    body = {**asdict(created.partner), "created": created.created, "api_key": created.api_key}
    if as_json:
        console.print_json(json.dumps(body, ensure_ascii=False))
        return
    verb = "registered" if created.created else "already registered;"
    console.print(f"partner [bold]{created.partner.code}[/] ({created.partner.kind}) {verb} new API key:")
    console.print(f"  {created.api_key}")
    console.print("[yellow]shown once[/]: give it to the partner now; only its hash is kept")


@partners_app.command("list")
def partners_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the partners, their kinds and how many residents authorise each."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        rows = service.list_partners(session)
    if as_json:
        console.print_json(json.dumps([asdict(row) for row in rows], ensure_ascii=False))
        return
    table = Table("code", "kind", "name", "consents")
    for row in rows:
        table.add_row(row.code, row.kind, row.name, str(row.consents))
    console.print(table)


@residents_app.command("import")
def residents_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV: resident_ref, partners.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register residents by pseudonymous ref and set the partners each one authorises."""
    with runtime(db) as rt, rt.transaction() as session:
        report = service.import_residents(session, file, actor=_actor())
    body = {
        "rows": report.rows,
        "residents_created": report.residents_created,
        "consents_granted": report.consents_granted,
        "consents_revoked": report.consents_revoked,
        "errors": [
            {"row": e.row, "field": e.field, "reason": e.reason, "detail": e.detail} for e in report.errors
        ],
    }
    if as_json:
        console.print_json(json.dumps(body, ensure_ascii=False))
    else:
        console.print(
            f"{report.rows} rows: {report.residents_created} residents registered, "
            f"{report.consents_granted} consents granted, {report.consents_revoked} revoked"
        )
        for error in report.errors:
            errors.print(f"[red]{error}[/]")
    if report.errors:
        raise typer.Exit(code=2)


READ_ALL = "已读完，记账并发放积分 / read; accounting and issuing points…"
"""The progress line once the whole file is read: on a file of millions of rows the last groups'
writes, the residents' totals and the points' postings take seconds after that."""


def ingest(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV, JSON Lines or Parquet file.")
    ],
    partner: Annotated[str, typer.Option("--partner", help="The partner code the events come from.")],
    quarantine_dir: Annotated[
        Path, typer.Option("--quarantine-dir", help="Where the quarantine file of rejected rows goes.")
    ] = Path("var/quarantine"),
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ingest a partner's bulk file: check, deduplicate, account and issue points (resumable)."""
    with runtime(db) as rt:
        prefix = service.dedupe_prefix(rt.keys)
        with Progress(
            TextColumn("[bold]ingest[/] {task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeRemainingColumn(),
            console=errors,
            disable=as_json,
        ) as progress:
            task = progress.add_task(file.name, total=file.stat().st_size)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)
                if total and done >= total:  # the last groups, the totals and the points take a while yet
                    progress.update(task, description=f"{file.name}: {READ_ALL}")

            summary = service.ingest_file(
                rt.transaction,
                file,
                partner,
                prefix=prefix,
                actor=_actor(),
                quarantine_dir=quarantine_dir,
                on_progress=on_progress,
            )
    if as_json:
        console.print_json(json.dumps(summary.as_json(), ensure_ascii=False))
        return
    console.print(
        f"accepted {summary.accepted}, duplicates {summary.duplicates}, rejected {summary.rejected} "
        f"(conflicts {summary.conflicts}); reduction {summary.reduction_g} g, "
        f"credited {summary.credited_g} g, points {summary.points}"
    )
    console.print(f"quarantine: {summary.quarantine}")


def balances(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Every resident's carbon account: reduction, credited grams and points."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        rows = service.balances(session)
    if as_json:
        console.print_json(json.dumps([asdict(row) for row in rows], ensure_ascii=False))
        return
    table = Table("resident", "reduction g", "credited g", "points")
    for row in rows:
        table.add_row(row.resident_ref, str(row.reduction_g), str(row.credited_g), str(row.points))
    console.print(table)
