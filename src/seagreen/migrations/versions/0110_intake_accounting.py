"""Bulk intake accounts batches after they commit; a month row carries its days' reductions.

- ``carbon_batches.accounted_at_us``: a bulk file's groups of events commit one by one and are
  accounted together a few groups later (docs/decisions/0005, phase 4); this says which batches
  the totals already hold. Batches written before this revision were accounted as they were
  written.
- ``carbon_month_totals`` gains ``reduction_g`` and ``d01`` … ``d31`` (Σ reduction on each day of
  the month) and ``carbon_day_totals`` goes: the day sums move into their month's row, so a file
  writes one row per (resident, behaviour, month) instead of one per day.

Revision ID: 0110_intake_accounting
Revises: 0100_taxonomy
Create Date: 2026-11-28
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0110_intake_accounting"
down_revision = "0100_taxonomy"
branch_labels = None
depends_on = None

DAY_COLUMNS = tuple(f"d{n:02d}" for n in range(1, 32))
EPOCH = date(1970, 1, 1)
CHUNK = 10_000


def _month_and_column(day: int) -> tuple[int, str]:
    moment = EPOCH + timedelta(days=day)
    return moment.year * 12 + moment.month - 1, f"d{moment.day:02d}"


def upgrade() -> None:
    with op.batch_alter_table("carbon_batches") as batch:
        batch.add_column(sa.Column("accounted_at_us", sa.BigInteger(), nullable=True))
    op.execute("UPDATE carbon_batches SET accounted_at_us = created_at_us")
    op.create_index(op.f("ix_carbon_batches_accounted_at_us"), "carbon_batches", ["accounted_at_us"])

    with op.batch_alter_table("carbon_month_totals") as batch:
        batch.add_column(sa.Column("reduction_g", sa.BigInteger(), nullable=False, server_default="0"))
        for name in DAY_COLUMNS:
            batch.add_column(sa.Column(name, sa.BigInteger(), nullable=True))
    connection = op.get_bind()
    found = connection.execute(
        sa.text("SELECT resident_id, behaviour_id, day, reduction_g FROM carbon_day_totals")
    ).fetchall()
    updates: dict[str, list[dict[str, int]]] = {}
    for resident, behaviour, day, reduction in found:
        month, column = _month_and_column(int(day))
        updates.setdefault(column, []).append(
            {"r": int(resident), "b": int(behaviour), "m": month, "g": int(reduction)}
        )
    for column, rows in updates.items():
        statement = sa.text(
            f"UPDATE carbon_month_totals SET {column} = :g, reduction_g = reduction_g + :g "  # noqa: S608
            "WHERE resident_id = :r AND behaviour_id = :b AND month = :m"
        )
        for start in range(0, len(rows), CHUNK):
            connection.execute(statement, rows[start : start + CHUNK])
    with op.batch_alter_table("carbon_month_totals") as batch:
        batch.alter_column("reduction_g", server_default=None)
    op.drop_table("carbon_day_totals")


def downgrade() -> None:
    op.create_table(
        "carbon_day_totals",
        sa.Column("resident_id", sa.BigInteger(), nullable=False),
        sa.Column("behaviour_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("reduction_g", sa.BigInteger(), nullable=False),
        sa.Column("credited_g", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("resident_id", "behaviour_id", "day", name=op.f("pk_carbon_day_totals")),
        sqlite_with_rowid=False,
    )
    connection = op.get_bind()
    caps = dict(connection.execute(sa.text("SELECT id, daily_cap_g FROM carbon_behaviours")).fetchall())
    columns = ", ".join(DAY_COLUMNS)
    rows = []
    for resident, behaviour, month, *days in connection.execute(
        sa.text(f"SELECT resident_id, behaviour_id, month, {columns} FROM carbon_month_totals")  # noqa: S608
    ).fetchall():
        first = date(int(month) // 12, int(month) % 12 + 1, 1)
        cap = caps.get(behaviour)
        for offset, reduction in enumerate(days):
            if reduction is None:
                continue
            credited = reduction if cap is None else min(int(reduction), int(cap))
            rows.append(
                {
                    "resident_id": resident,
                    "behaviour_id": behaviour,
                    "day": (first - EPOCH).days + offset,
                    "reduction_g": reduction,
                    "credited_g": credited,
                }
            )
    table = sa.table(
        "carbon_day_totals",
        *(sa.column(name) for name in ("resident_id", "behaviour_id", "day", "reduction_g", "credited_g")),
    )
    for start in range(0, len(rows), CHUNK):
        connection.execute(table.insert(), rows[start : start + CHUNK])
    with op.batch_alter_table("carbon_month_totals") as batch:
        for name in DAY_COLUMNS:
            batch.drop_column(name)
        batch.drop_column("reduction_g")

    op.drop_index(op.f("ix_carbon_batches_accounted_at_us"), table_name="carbon_batches")
    with op.batch_alter_table("carbon_batches") as batch:
        batch.drop_column("accounted_at_us")
