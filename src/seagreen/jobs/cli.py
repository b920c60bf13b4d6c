"""``seagreen jobs run``: every periodic job once (for cron, when the app does not run them)."""

from __future__ import annotations

import typer

from seagreen.jobs.flows import JobState, run_all
from seagreen.kit.commandline import DbOption, console, runtime

app = typer.Typer(help="Periodic jobs: points expiry, vouchers, statistics (定时任务).")


@app.command("run")
def run(db: DbOption = None) -> None:
    """Run every job once (schedule it, e.g. every 10 minutes, if the web app's jobs are off)."""
    with runtime(db) as rt:
        results = run_all(rt.sessions, expiry_months=rt.settings.points_expiry_months, state=JobState())
    failed = False
    for name, line in results.items():
        console.print(f"{name}: {line}")
        failed = failed or line.startswith("failed")
    if failed:
        raise typer.Exit(code=1)
