"""``seagreen registry``: the ocean carbon-sink registry (海洋碳汇登记簿) at the command line.

``calculate`` and ``verify-certificate --public-key`` need no database and no network: a receipt
comes from the shipped parameter sets, a certificate is checked with the published public key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from seagreen.config import get_settings
from seagreen.errors import DomainError
from seagreen.kit.commandline import DbOption, JsonOption, console, errors, runtime
from seagreen.kit.keys import load_keys
from seagreen.registry import service
from seagreen.registry.domain.serials import parse_serial
from seagreen.registry.signing import PublicKey

app = typer.Typer(
    help="The ocean carbon-sink registry (海洋碳汇登记簿): methodologies, credits, certificates"
)


def _dump(body: object) -> None:
    typer.echo(json.dumps(body, ensure_ascii=False, indent=1, default=str))


def _fail(exc: DomainError) -> typer.Exit:
    errors.print(f"[bold red]error[/] \\[{exc.code}] {escape(exc.message)}")
    for problem in exc.details.get("errors", [])[:50]:
        errors.print(f"  {escape(problem['field'])}: {escape(problem['reason'])}")
    return typer.Exit(code=1)


@app.command()
def methodologies(as_json: JsonOption = False) -> None:
    """List the methodologies (latest versions) and their parameter sets."""
    found = service.list_methodologies()
    if as_json:
        _dump([vars(m) for m in found])
        return
    table = Table("code", "version", "name", "parameter set", "basis")
    for m in found:
        table.add_row(m.code, m.version, m.name_zh, m.parameter_set, m.basis)
    console.print(table)


@app.command()
def calculate(
    methodology: Annotated[str, typer.Option("--methodology", help="e.g. seagrass-restoration.")],
    inputs: Annotated[Path, typer.Option("--inputs", exists=True, dir_okay=False, help="A JSON file.")],
    as_json: JsonOption = False,
) -> None:
    """Compute a receipt from an inputs file with the shipped parameter sets (no database)."""
    try:
        receipt = service.calculate_file(methodology, inputs.read_bytes())
    except DomainError as exc:
        raise _fail(exc) from exc
    body = receipt.as_json()
    if as_json:
        _dump(body)
        return
    title = f"{body['methodology']} v{body['methodology_version']}"
    table = Table("step", "value", "unit", "formula", title=title)
    for step in body["steps"]:
        table.add_row(step["name"], step["value"], step["unit"], step.get("formula", ""))
    console.print(table)
    for warning in body["warnings"]:
        console.print(f"[yellow]warning[/] {escape(warning)}")
    console.print(f"result: [bold]{body['result_tco2e']}[/] t CO2e, issuable {body['issuable_t']} t")
    console.print(f"inputs sha256 {body['inputs_sha256']}; receipt sha256 {body['receipt_sha256']}")


@app.command("public-key")
def public_key(pem: Annotated[bool, typer.Option("--pem", help="Print it as PEM.")] = False) -> None:
    """Print the registry's Ed25519 public key (base64 of its 32 bytes, or PEM)."""
    key = service.public_key(load_keys(get_settings()))
    typer.echo(key.public_key_pem.strip() if pem else key.public_key_base64)


@app.command("verify-certificate")
def verify_certificate(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The certificate's JSON file.")],
    public_key: Annotated[
        str | None,
        typer.Option(
            "--public-key",
            help="The registry's public key: a PEM file, a file with its base64, or the base64 itself "
            "(default: this installation's key).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check a retirement certificate's signature offline; exit code 1 if it is not valid."""
    try:
        if public_key is None:
            key = PublicKey.parse(service.public_key(load_keys(get_settings())).public_key_base64)
        else:
            given = Path(public_key)
            key = PublicKey.parse(given.read_text() if given.is_file() else public_key)
    except ValueError as exc:
        errors.print(f"[bold red]error[/] the public key cannot be read: {escape(str(exc))}")
        raise typer.Exit(code=2) from exc
    result = service.verify(file.read_bytes(), key=key)
    if as_json:
        _dump(result.model_dump(mode="json"))
    elif result.valid and result.certificate:
        body = result.certificate
        console.print(f"[green]valid[/] {escape(result.reason)} (key {result.key_id})")
        console.print(
            f"{body['number']}: {body['quantity_tco2e']} t CO2e "
            f"retired by {escape(body['retired_by']['name'])} "
            f"for {escape(body['beneficiary']['name'])}: {escape(body['purpose'])}"
        )
    else:
        console.print(f"[bold red]NOT VALID[/] {escape(result.reason)}")
    if not result.valid:
        raise typer.Exit(code=1)


@app.command()
def projects(db: DbOption = None, as_json: JsonOption = False) -> None:
    """The public projects (under notice or filed) and their credits."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        found = service.public_projects(session)
    if as_json:
        _dump([p.model_dump(mode="json") for p in found])
        return
    table = Table("code", "name", "methodology", "state", "issued", "held", "buffer", "retired", "cancelled")
    for p in found:
        totals = p.totals
        table.add_row(
            p.code,
            p.name_zh,
            p.methodology,
            p.state,
            *(str(getattr(totals, name)) for name in ("issued", "active", "buffer", "retired", "cancelled")),
        )
    console.print(table)


@app.command()
def serial(number: Annotated[str, typer.Argument(help="A serial number.")], db: DbOption = None) -> None:
    """Who holds a serial, and every move of it since issuance."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        found = service.serial(session, parse_serial(number))
    holder = found.holder or "the buffer pool"
    console.print(f"{found.serial}: {found.state}, held by {holder} ({found.block})")
    for event in found.history:
        to = event.to_holder or event.to_state
        console.print(f"  {event.at:%Y-%m-%d} {event.kind}: {event.from_holder or '—'} → {to}")


@app.command()
def certificate(
    number: Annotated[str, typer.Argument(help="The certificate number, e.g. SGWH-R-2024-000001.")],
    out: Annotated[Path, typer.Option("--out", help="Write here (.json or .pdf).")],
    db: DbOption = None,
) -> None:
    """Export a retirement certificate as its signed JSON or as a PDF."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        if out.suffix.lower() == ".pdf":
            out.write_bytes(service.certificate_pdf(session, number, rt.keys))
        else:
            out.write_text(service.certificate_json(session, number), encoding="utf-8")
    console.print(f"wrote {out}")


@app.command()
def verify(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Check that the serial blocks tile every issuance and match the ledger; exit 1 if not."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        report = service.consistency(session)
    if as_json:
        _dump(report.model_dump())
    elif report.ok:
        counts = f"{report.issuances} issuances, {report.blocks} blocks"
        console.print(f"[green]consistent[/]: {counts}, ledger balances match")
    else:
        for problem in report.problems:
            console.print(f"[bold red]problem[/] {escape(problem)}")
    if not report.ok:
        raise typer.Exit(code=1)
