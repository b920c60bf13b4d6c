"""The real-time API's points, posted to the ledger in rounds (docs/decisions/0035).

A request of the events API accounts its events and adds the points they earn to the residents'
totals before it answers. Posting those points to each resident's ledger account (one transfer a
resident a request) cost as much again as all the rest of a request of 1,000 events. So the
request leaves them owed (``points > points_posted``) and, once it has committed, tells the
web app's settler which residents are owed. The settler waits ``delay_s`` (a round), so that the
requests of a busy moment pile up, then posts what each of those residents is owed in one
transfer, in transactions of ``chunk`` residents (short: a request waiting for SQLite's write
lock waits little). A resident's wallet is then about a round behind the totals.

Nothing is lost when the process stops or dies: the points stay owed in the totals. ``stop``
posts what is owed before it returns; the first round of the next settler, the periodic jobs and
every file ingest post whatever any resident is owed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from sqlalchemy.orm import Session, sessionmaker

from seagreen.carbon_account import service
from seagreen.db.uow import unit_of_work

LOG = logging.getLogger(__name__)

CHUNK = 2_000
"""Residents settled in one transaction (about 60 ms on SQLite, which holds its write lock)."""


class PointsSettler:
    """Posts owed points in rounds, in a daemon thread of the web app (see the module docstring)."""

    def __init__(self, factory: sessionmaker[Session], *, delay_s: float, chunk: int = CHUNK) -> None:
        self.factory = factory
        self.delay_s = delay_s
        self.chunk = chunk
        self.rounds = 0  # rounds that posted something, for the tests and the logs
        self._lock = threading.Lock()
        self._owed: set[int] = set()
        self._everyone = True  # the first round looks at every resident: what a process left owed
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="seagreen-points-settler", daemon=True)

    def start(self) -> None:
        self._wake.set()
        self._thread.start()

    def notify(self, resident_ids: Iterable[int]) -> None:
        """A request that left these residents owed points has committed."""
        with self._lock:
            self._owed.update(resident_ids)
        self._wake.set()

    def stop(self) -> None:
        """Post what is owed now, then end the thread."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=60)

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            self._stop.wait(self.delay_s)  # the round: more requests pile up (none when stopping)
            self._wake.clear()
            try:
                self.settle_owed()
            except Exception:  # logged; the residents stay owed and the next round tries again
                LOG.exception("posting the real-time API's points failed")
                if self._stop.is_set():  # stopping: left owed for the jobs or the next process
                    return
                self._wake.set()
                self._stop.wait(max(self.delay_s, 1.0))
            if self._stop.is_set() and not self._wake.is_set():
                return

    def settle_owed(self) -> int:
        """Post what the residents notified so far (every resident, in the first round) are
        owed, ``chunk`` residents a transaction; return how many were posted to."""
        with self._lock:
            owed, self._owed = sorted(self._owed), set()
            everyone, self._everyone = self._everyone, False
        posted = 0
        try:
            if everyone:
                while True:
                    with unit_of_work(self.factory) as session:
                        residents, _ = service.settle_points(
                            session, service.load_catalogue(session), limit=self.chunk
                        )
                    posted += residents
                    if residents < self.chunk:
                        break
            else:
                for start in range(0, len(owed), self.chunk):
                    with unit_of_work(self.factory) as session:
                        residents, _ = service.settle_points(
                            session,
                            service.load_catalogue(session),
                            resident_ids=owed[start : start + self.chunk],
                            limit=self.chunk,
                        )
                    posted += residents
        except BaseException:
            # all asked again next round: a resident whose transaction committed owes nothing then
            with self._lock:
                self._owed.update(owed)
                self._everyone = self._everyone or everyone
            raise
        if posted:
            self.rounds += 1
        return posted
