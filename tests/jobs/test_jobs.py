"""The periodic jobs: each runs in its own transaction; one failing does not stop the others."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from seagreen.db.engine import make_engine, make_session_factory
from seagreen.db.migrate import upgrade
from seagreen.jobs import flows
from tests.db.scratch import scratch_database


def test_every_job_runs_and_statistics_only_hourly(session_factory, monkeypatch):
    state = flows.JobState()
    now = datetime.fromisoformat("2026-05-14T10:00:00+08:00")
    first = flows.run_all(session_factory, expiry_months=12, now=now, state=state)
    assert set(first) == {"settlement", "points", "vouchers", "codes", "statistics"}
    assert not any(line.startswith("failed") for line in first.values()), first
    called = []
    monkeypatch.setattr(flows.statistics, "store_rollup", lambda *a, **k: called.append(1) or 0)
    flows.run_all(session_factory, expiry_months=12, now=now + timedelta(minutes=10), state=state)
    assert called == []
    flows.run_all(session_factory, expiry_months=12, now=now + timedelta(hours=1), state=state)
    assert called == [1]


def test_the_expiry_runs_once_per_cutoff_and_debts_are_settled_every_time(session_factory):
    state = flows.JobState()
    now = datetime.fromisoformat("2026-05-14T10:00:00+08:00")
    first = flows.run_all(session_factory, expiry_months=12, now=now, state=state)
    assert "expired" in first["points"], first
    second = flows.run_all(session_factory, expiry_months=12, now=now + timedelta(hours=2), state=state)
    assert second["points"].startswith("expiry done for 2025-05-01"), (first, second)
    next_month = flows.run_all(
        session_factory,
        expiry_months=12,
        now=datetime.fromisoformat("2026-06-01T00:10:00+08:00"),
        state=state,
    )
    assert "expired" in next_month["points"]


def test_a_failing_job_is_reported_and_the_others_still_run(session_factory, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(flows.benefits, "expire_vouchers", broken)
    results = flows.run_all(session_factory, expiry_months=12, state=flows.JobState())
    assert results["vouchers"].startswith("failed: RuntimeError: disk full")
    assert not results["points"].startswith("failed")


def test_the_app_scheduler_runs_the_jobs_in_a_thread_and_stops(database_url, tmp_path):
    with scratch_database(database_url, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        scheduler = flows.Scheduler(make_session_factory(engine), expiry_months=12, interval_s=60)
        scheduler.start()
        deadline = time.monotonic() + 30
        while "statistics" not in scheduler.state.results and time.monotonic() < deadline:
            time.sleep(0.05)
        scheduler.stop()
        engine.dispose()
    assert set(scheduler.state.results) == {"settlement", "points", "vouchers", "codes", "statistics"}
    assert not any(line.startswith("failed") for line in scheduler.state.results.values())
