"""Ledger accounts leave room on each page for their balance updates (PostgreSQL).

Every transfer updates two ``ledger_accounts`` rows (their four balance columns, none of them
indexed). With full pages PostgreSQL writes each new row version elsewhere and adds it to both
of the table's indexes; with a fill factor of 70 the version usually fits on its own page and
the update is a heap-only tuple (HOT): no index entries, less to vacuum. A settlement that opens
100k residents' accounts and credits each of them spent 1.33-1.39 s updating their balances,
1.05-1.14 s with this (docs/decisions/0005, phase 11). Pages written before keep their fill;
SQLite has no such setting.

Revision ID: 0410_ledger_fillfactor
Revises: 0400_benefits
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0410_ledger_fillfactor"
down_revision = "0400_benefits"
branch_labels = None
depends_on = None

FILLFACTOR = 70  # models.LedgerAccount's postgresql_with, frozen here


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE ledger_accounts SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE ledger_accounts RESET (fillfactor)")
