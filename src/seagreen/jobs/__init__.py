"""Periodic jobs of the platform (定时任务), run by ``seagreen jobs run`` (cron) or inside the
web app (``SEAGREEN_RUN_JOBS=true``; ``seagreen serve`` turns it on)."""
