"""The audit log (审计日志): an append-only record of who did what, when and why."""
