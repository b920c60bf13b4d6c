"""The periodic jobs, each in its own transaction so that one failing does not stop the others:

* ``settlement`` — post to the ledger any points residents are still owed (the web app's settler
  posts the events API's in rounds; this catches what a stopped process left);
* ``points`` — adjustments after voids, then FIFO expiry of points (``seagreen points expire``);
* ``vouchers`` — release reservations never issued, expire vouchers (refund by rule);
* ``statistics`` — the monthly roll-up and the ranking snapshot (at most hourly);
* ``codes`` — delete residents' sign-in code records older than a week.

Every job is idempotent, so running them often, twice or from two processes is harmless.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from seagreen.audit.domain import Actor
from seagreen.benefits import service as benefits
from seagreen.carbon_account import service as carbon
from seagreen.carbon_account.lifecycle import ExpiryRule
from seagreen.carbon_account.service import lifecycle
from seagreen.db.uow import unit_of_work
from seagreen.kit.clock import utcnow
from seagreen.residents import service as residents
from seagreen.statistics import service as statistics

LOG = logging.getLogger("seagreen.jobs")
JOB_ACTOR = Actor.system("jobs")
STATISTICS_EVERY = timedelta(hours=1)


@dataclass
class JobState:
    last_statistics: datetime | None = None
    results: dict[str, str] = field(default_factory=dict)


def run_all(
    factory: sessionmaker[Session],
    *,
    expiry_months: int,
    now: datetime | None = None,
    state: JobState | None = None,
) -> dict[str, str]:
    """Run every job once; return a line per job (its result or its error)."""
    moment = now or utcnow()
    state = state or JobState()
    jobs: list[tuple[str, Callable[[Session], str]]] = [
        ("settlement", _settlement),
        ("points", lambda s: _points(s, expiry_months, moment)),
        ("vouchers", lambda s: _vouchers(s, moment)),
        ("codes", lambda s: f"{residents.purge_codes(s, now=moment)} old sign-in codes deleted"),
    ]
    for name, job in jobs:
        try:
            with unit_of_work(factory) as session:
                state.results[name] = job(session)
        except Exception as exc:  # a failing job is logged; the others still run
            LOG.exception("job %s failed", name)
            state.results[name] = f"failed: {type(exc).__name__}: {exc}"
    if state.last_statistics is None or moment - state.last_statistics >= STATISTICS_EVERY:
        try:
            with unit_of_work(factory, read_only=True) as session:  # the long part takes no write lock
                rollup = statistics.compute_rollup(session, now=moment)
            with unit_of_work(factory) as session:
                state.results["statistics"] = f"{statistics.store_rollup(session, rollup)} months rolled up"
            state.last_statistics = moment
        except Exception as exc:
            LOG.exception("job statistics failed")
            state.results["statistics"] = f"failed: {type(exc).__name__}: {exc}"
    return dict(state.results)


def _settlement(session: Session) -> str:
    """Every owed point to the ledger (before the expiry, which reads the ledger)."""
    residents, points = carbon.settle_everyone(session, carbon.load_catalogue(session))
    return f"{points} owed points of {residents} residents posted"


def _points(session: Session, months: int, now: datetime) -> str:
    """Adjustments after voids every time (cheap); the expiry once per cutoff (a cutoff moves
    monthly, and a second run with the same cutoff finds nothing: the grouped pass over the
    journal is not repeated every few minutes)."""
    rule = ExpiryRule(months)
    cutoff = rule.cutoff(now)
    if cutoff is not None and lifecycle.last_cutoff(session) == cutoff:
        adjusted = lifecycle.adjust_all(session, now=now)
        return f"expiry done for {cutoff:%Y-%m-%d}; {adjusted.reissued} reissued, {adjusted.repaid} repaid"
    report = lifecycle.expire_points(session, rule=rule, now=now, actor=JOB_ACTOR)
    return (
        f"{report.points} points of {report.residents} residents expired; {report.adjusted.reissued} reissued"
    )


def _vouchers(session: Session, now: datetime) -> str:
    released = benefits.sweep_reservations(session, now=now)
    report = benefits.expire_vouchers(session, now=now)
    return f"{report.expired} vouchers expired ({report.refunded} refunded); {released} reservations released"


class Scheduler:
    """Runs the jobs every ``interval_s`` seconds in a daemon thread of the web app."""

    def __init__(self, factory: sessionmaker[Session], *, expiry_months: int, interval_s: int) -> None:
        self.factory = factory
        self.expiry_months = expiry_months
        self.interval_s = max(10, interval_s)
        self.state = JobState()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="seagreen-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            run_all(self.factory, expiry_months=self.expiry_months, state=self.state)
            self._stop.wait(self.interval_s)
