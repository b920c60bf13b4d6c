"""``seagreen points`` (expiry, adjustments, a resident's points), ``seagreen events void`` (a
partner's file of event ids) and ``seagreen grades`` (carbon-grade schemes)."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from seagreen.audit.domain import Actor
from seagreen.carbon_account.lifecycle import ExpiryRule
from seagreen.carbon_account.service import lifecycle, standing, views
from seagreen.carbon_account.service.lifecycle import VoidStatus
from seagreen.carbon_account.standing import Quarter
from seagreen.identity import service as identity
from seagreen.kit.commandline import DbOption, JsonOption, console, errors, runtime

points_app = typer.Typer(help="Carbon points' lifecycle (积分生命周期): expiry, adjustments after voids.")
events_app = typer.Typer(help="Partners' events: void those reported in error (作废).")
grades_app = typer.Typer(help="Carbon grade schemes (碳信用等级方案).")


def _actor() -> Actor:
    return Actor.cli(getpass.getuser())


@points_app.command("expire")
def expire(
    db: DbOption = None,
    as_json: JsonOption = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would expire; post nothing.")
    ] = False,
    months: Annotated[
        int | None,
        typer.Option("--months", help="Expiry period in months (default: SEAGREEN_POINTS_EXPIRY_MONTHS)."),
    ] = None,
) -> None:
    """Expire points older than the expiry period, first in first out (schedule it daily, e.g.
    from cron at 00:10; running it more often or twice changes nothing)."""
    with runtime(db) as rt:
        rule = ExpiryRule(rt.settings.points_expiry_months if months is None else months)
        with rt.transaction() as session:
            report = lifecycle.expire_points(session, rule=rule, actor=_actor(), dry_run=dry_run)
    body = {
        "cutoff": report.cutoff.isoformat() if report.cutoff else None,
        "residents": report.residents,
        "points": report.points,
        "reissued": report.adjusted.reissued,
        "debts_repaid": report.adjusted.repaid,
        "dry_run": dry_run,
    }
    if as_json:
        console.print_json(json.dumps(body))
        return
    if report.cutoff is None:
        console.print("points never expire (expiry period 0)")
        return
    verb = "would expire" if dry_run else "expired"
    console.print(
        f"{verb} {report.points:,} points of {report.residents:,} residents earned before "
        f"{report.cutoff:%Y-%m-%d %H:%M %Z}; after voids: {report.adjusted.reissued:,} reissued, "
        f"{report.adjusted.repaid:,} repaid"
    )


@points_app.command("adjust")
def adjust(db: DbOption = None) -> None:
    """Settle what voids left due: reissue points the settlement absorbed, repay debts."""
    with runtime(db) as rt, rt.transaction() as session:
        done = lifecycle.adjust_all(session)
    console.print(f"{done.residents} residents adjusted: {done.reissued:,} reissued, {done.repaid:,} repaid")


@points_app.command("show")
def show(
    ref: Annotated[str, typer.Argument(help="The resident's ref.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """A resident's points: balance, available, reserved, owed, expiring; flows by kind."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        resident = identity.get_resident(session, ref)
        view = views.points(session, resident.id, rule=ExpiryRule(rt.settings.points_expiry_months))
    position = view.position
    body = {
        "resident_ref": ref,
        "balance": position.balance,
        "available": position.available,
        "reserved": position.reserved,
        "debt": position.debt,
        "unsettled": position.unsettled,
        "expiring": {
            "points": position.expiring.points,
            "at": position.expiring.at.isoformat() if position.expiring.at else None,
        },
        "flows": view.flows,
    }
    if as_json:
        console.print_json(json.dumps(body))
        return
    table = Table("", "points", title=f"carbon points of {ref}")
    for key in ("balance", "available", "reserved", "debt", "unsettled"):
        table.add_row(key, f"{body[key]:,}")
    for kind, amount in view.flows.items():
        table.add_row(kind, f"{amount:,}")
    console.print(table)


@events_app.command("void")
def void(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, help="CSV (event_id[,reason]), JSON Lines or one id a line."
        ),
    ],
    partner: Annotated[str, typer.Option("--partner", help="The partner that reported the events.")],
    reason: Annotated[str, typer.Option("--reason", help="Reason for rows that give none.")] = "",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Void a partner's events from a file, 1,000 per transaction, through the same use case as
    ``POST /api/v1/events/void``. Running the same file again voids nothing twice."""
    items = lifecycle.read_void_file(file, reason=reason)
    totals = {
        "voided": 0,
        "already_voided": 0,
        "not_found": 0,
        "reduction_g": 0,
        "points_reversed": 0,
        "debt_points": 0,
    }
    missing: list[str] = []
    with runtime(db) as rt:
        for start in range(0, len(items), lifecycle.MAX_VOIDS):
            chunk = items[start : start + lifecycle.MAX_VOIDS]
            with rt.transaction() as session:
                result = lifecycle.void_events(
                    session,
                    partner_code=partner,
                    items=chunk,
                    actor=_actor(),
                    source="file",
                    file_name=file.name,
                )
            totals["voided"] += result.count(VoidStatus.VOIDED)
            totals["already_voided"] += result.count(VoidStatus.ALREADY_VOIDED)
            totals["not_found"] += result.count(VoidStatus.NOT_FOUND) + result.count(VoidStatus.INVALID)
            totals["reduction_g"] += result.reduction_g
            totals["points_reversed"] += result.points_reversed
            totals["debt_points"] += result.debt_points
            missing += [
                line.event_id
                for line in result.lines
                if line.status in (VoidStatus.NOT_FOUND, VoidStatus.INVALID)
            ]
    if as_json:
        console.print_json(json.dumps({**totals, "not_found_ids": missing[:1000]}))
        return
    console.print(
        f"{totals['voided']:,} voided, {totals['already_voided']:,} already voided, "
        f"{totals['not_found']:,} not found; "
        f"{totals['reduction_g']:,} g removed, {totals['points_reversed']:,} points taken back "
        f"({totals['debt_points']:,} owed)"
    )
    if missing:
        errors.print(f"not found: {', '.join(missing[:20])}{' …' if len(missing) > 20 else ''}")


@grades_app.callback(invoke_without_command=True)
def grades(ctx: typer.Context, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Show the grade schemes (or run a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        schemes = standing.grade_schemes(session)
    if as_json:
        console.print_json(json.dumps([s.canonical() for s in schemes], ensure_ascii=False))
        return
    for scheme in schemes:
        table = Table(
            "grade", "from (kg / quarter)", "financing", title=f"{scheme.name} — from {scheme.effective_from}"
        )
        for tier in scheme.tiers:
            table.add_row(f"{tier.name_zh} {tier.name_en}", f"{tier.min_g / 1000:,.1f}", tier.financing_en)
        console.print(table)


@grades_app.command("publish")
def publish(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A grade scheme TOML file.")],
    db: DbOption = None,
) -> None:
    """Publish a new grade scheme; it applies to quarters ending on or after its date."""
    with runtime(db) as rt:
        scheme = standing.read_scheme_file(file)
        with rt.transaction() as session:
            created = standing.publish_scheme(session, scheme, source_file=file.name, actor=_actor())
    console.print(
        f"{'published' if created else 'already published'}: {scheme.code} from {scheme.effective_from}"
    )


@grades_app.command("calibrate")
def calibrate(
    db: DbOption = None,
    as_json: JsonOption = False,
    quarter: Annotated[
        str | None, typer.Option("--quarter", help="e.g. 2026-Q3 (default: the last complete one).")
    ] = None,
) -> None:
    """The distribution of a quarter's credited reduction and the thresholds the shipped rule
    would give (light green 10 kg; medium at the median; deep at the 85th percentile)."""
    chosen = None
    if quarter:
        year, _, number = quarter.partition("-Q")
        try:
            chosen = Quarter(int(year), int(number))
        except ValueError as exc:
            raise typer.BadParameter("write a quarter as 2026-Q3", param_hint="--quarter") from exc
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        result = standing.calibration(session, chosen)
    body = {
        "quarter": str(result.quarter),
        "residents": result.residents,
        "percentiles_g": result.percentiles,
        "suggested_min_g": result.suggested,
    }
    if as_json:
        console.print_json(json.dumps(body))
        return
    console.print(f"{result.quarter}: {result.residents:,} residents with credited reductions")
    for percent, grams in result.percentiles.items():
        console.print(f"  P{percent}: {grams / 1000:,.1f} kg")
    if result.suggested:
        console.print("suggested thresholds (kg): " + ", ".join(f"{g / 1000:,.0f}" for g in result.suggested))
