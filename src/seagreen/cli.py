"""The ``seagreen`` command: the root Typer app, which mounts each module's commands."""

from __future__ import annotations

import typer

from seagreen.audit import cli as audit_cli
from seagreen.benefits import cli as benefits_cli
from seagreen.branches import cli as branches_cli
from seagreen.carbon_account import cli as carbon_account_cli
from seagreen.carbon_account import lifecycle_cli as carbon_lifecycle_cli
from seagreen.identity import cli as identity_cli
from seagreen.jobs import cli as jobs_cli
from seagreen.kit.commandline import DbOption, console, runtime
from seagreen.ledger import cli as ledger_cli
from seagreen.registry import cli as registry_cli
from seagreen.statistics import cli as statistics_cli
from seagreen.taxonomy import cli as taxonomy_cli

app = typer.Typer(help="SeaGreen (海绿): green- and blue-finance platform.", no_args_is_help=True)
app.add_typer(ledger_cli.app, name="ledger")
app.add_typer(carbon_account_cli.app, name="behaviours")
app.add_typer(carbon_account_cli.partners_app, name="partners")
app.add_typer(carbon_account_cli.residents_app, name="residents")
app.command("ingest")(carbon_account_cli.ingest)
app.command("balances")(carbon_account_cli.balances)
app.add_typer(identity_cli.orgs_app, name="orgs")
app.add_typer(identity_cli.users_app, name="users")
app.add_typer(identity_cli.apikeys_app, name="apikeys")
app.add_typer(audit_cli.app, name="audit")
app.add_typer(taxonomy_cli.app, name="taxonomy")
app.add_typer(branches_cli.app, name="branches")
app.add_typer(registry_cli.app, name="registry")
app.add_typer(carbon_lifecycle_cli.points_app, name="points")
app.add_typer(carbon_lifecycle_cli.events_app, name="events")
app.add_typer(carbon_lifecycle_cli.grades_app, name="grades")
app.add_typer(benefits_cli.app, name="benefits")
app.add_typer(statistics_cli.app, name="stats")
app.add_typer(jobs_cli.app, name="jobs")


@app.command()
def init(db: DbOption = None) -> None:
    """Create or upgrade the schema and load the shipped reference data (no demo data)."""
    from seagreen.db import migrate
    from seagreen.reference import load_reference_data

    with runtime(db) as rt:
        before = migrate.current_revision(rt.engine)
        with console.status("migrating the database schema"):
            migrate.upgrade(rt.engine)
        after = migrate.current_revision(rt.engine)
        console.print(f"schema: {before or 'empty'} → [bold]{after}[/]")
        with rt.transaction() as session:
            loaded = load_reference_data(session)
        for line in loaded:
            console.print(f"reference data: {line}")


@app.command()
def demo(db: DbOption = None) -> None:
    """Load demo organisations, users and carbon-account data (idempotent). New users' passwords
    and new partners' API keys are shown once and kept in var/demo-credentials.txt (mode 0600)
    beside the development key file."""
    import os

    from rich.table import Table

    from seagreen.demo.flows import load_demo
    from seagreen.kit.storage import store_from_settings

    with runtime(db) as rt:
        with rt.transaction() as session:
            report = load_demo(session, rt.keys, store=store_from_settings(rt.settings))
        console.print(
            f"demo: {report.organisations_created} organisations and {report.users_created} users created"
        )
        carbon = report.carbon
        if carbon is not None:
            console.print(
                f"carbon account: {carbon.partners_created} partners, {carbon.residents_created} residents, "
                f"{carbon.consents_granted} consents; {carbon.requests} API requests: "
                f"{carbon.accepted} events accepted, {carbon.duplicates} duplicates, "
                f"{carbon.conflicts} conflicts, {carbon.rejected} rejected"
            )
        if report.branches is not None and report.branches.rounds:
            console.print(
                f"green sub-branches: {report.branches.rounds} rounds, {report.branches.applications} "
                f"applications, {report.branches.recognised} on the public list"
            )
        resident = report.resident
        if resident is not None:
            console.print(
                f"resident side: {resident.benefits_created} benefits created, {resident.events_sent} events "
                f"for the demo resident; {resident.redemptions} redemptions by demo residents in all"
            )
            console.print(
                f"[bold]demo resident sign-in:[/] open /me/login and enter the phone number "
                f"[bold]{resident.phone}[/]; the one-time code is printed in the terminal running "
                "`seagreen serve` (the development code sender writes it to the log)"
            )
        partner_keys = carbon.partner_keys if carbon is not None else []
        if report.credentials or partner_keys:
            path = rt.settings.key_file.parent / "demo-credentials.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a") as handle:
                handle.writelines(f"{username}\t{password}\n" for username, password in report.credentials)
                handle.writelines(f"partner:{code}\t{key}\n" for code, key in partner_keys)
            if report.credentials:
                table = Table("username", "password", title="demo sign-ins (shown once)")
                for username, password in report.credentials:
                    table.add_row(username, password)
                console.print(table)
            if partner_keys:
                keys = Table("partner", "API key", title="demo partners' API keys (shown once)")
                for code, key in partner_keys:
                    keys.add_row(code, key)
                console.print(keys)
            console.print(f"also written to {path}")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    db: DbOption = None,
    reload: bool = typer.Option(False, help="Reload on code changes (development)."),
    jobs: bool = typer.Option(True, help="Run the periodic jobs (expiry, vouchers, statistics) in the app."),
) -> None:
    """Serve the web pages and the API."""
    import os

    import uvicorn

    if db:
        os.environ["SEAGREEN_DATABASE_URL"] = db
    os.environ.setdefault("SEAGREEN_RUN_JOBS", "true" if jobs else "false")
    console.print(f"SeaGreen on http://{host}:{port}  (API docs: /docs)")
    uvicorn.run("seagreen.app:create_app", factory=True, host=host, port=port, reload=reload)


def main() -> None:
    app()
