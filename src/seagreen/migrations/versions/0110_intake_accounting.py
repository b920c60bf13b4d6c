"""Bulk intake accounts batches after they commit; a month row carries its days' reductions.

- ``carbon_batches.accounted_at_us``: a bulk file's groups of events commit one by one and are
  accounted together a few groups later (docs/decisions/0005, phase 4); this says which batches
  the totals already hold. Batches written before this revision were accounted as they were
  written.
- ``carbon_month_totals`` gains ``reduction_g`` and ``days`` (Σ reduction on each day of the
  month, packed: ``"600,,1076,…"``) and ``carbon_day_totals`` goes: the day sums move into their
  month's row, so a file writes one row per (resident, behaviour, month) instead of one per day.
- ``carbon_events.content_hash`` becomes the first 60 bits of the SHA-256 as an integer (it was the
  first 32 hex digits as text): a third of the event row. A stored hash keeps its first 15 digits,
  so a resend of an older event still compares equal. (Downgrading keeps those 15 digits as text:
  the old code would then take a resend of such an event for a conflict.)

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

EPOCH = date(1970, 1, 1)
CHUNK = 10_000
EMPTY_DAYS = "," * 30  # 31 empty fields (the packing is domain.pack_days's, frozen here)


def _month_and_day(day: int) -> tuple[int, int]:
    moment = EPOCH + timedelta(days=day)
    return moment.year * 12 + moment.month - 1, moment.day


def _pack(days: list[int | None]) -> str:
    return ",".join("" if grams is None else str(grams) for grams in days)


def upgrade() -> None:
    with op.batch_alter_table("carbon_batches") as batch:
        batch.add_column(sa.Column("accounted_at_us", sa.BigInteger(), nullable=True))
    op.execute("UPDATE carbon_batches SET accounted_at_us = created_at_us")
    op.create_index(op.f("ix_carbon_batches_accounted_at_us"), "carbon_batches", ["accounted_at_us"])

    with op.batch_alter_table("carbon_month_totals") as batch:
        batch.add_column(sa.Column("reduction_g", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("days", sa.Text(), nullable=False, server_default=EMPTY_DAYS))
    connection = op.get_bind()
    months: dict[tuple[int, int, int], list[int | None]] = {}
    for resident, behaviour, day, reduction in connection.execute(
        sa.text("SELECT resident_id, behaviour_id, day, reduction_g FROM carbon_day_totals")
    ):
        month, day_of_month = _month_and_day(int(day))
        days = months.setdefault((int(resident), int(behaviour), month), [None] * 31)
        days[day_of_month - 1] = int(reduction)
    rows = [
        {"r": r, "b": b, "m": m, "g": sum(d for d in days if d is not None), "days": _pack(days)}
        for (r, b, m), days in months.items()
    ]
    statement = sa.text(
        "UPDATE carbon_month_totals SET reduction_g = :g, days = :days "
        "WHERE resident_id = :r AND behaviour_id = :b AND month = :m"
    )
    for start in range(0, len(rows), CHUNK):
        connection.execute(statement, rows[start : start + CHUNK])
    with op.batch_alter_table("carbon_month_totals") as batch:
        batch.alter_column("reduction_g", server_default=None)
        batch.alter_column("days", server_default=None)
    op.drop_table("carbon_day_totals")

    stored = connection.execute(
        sa.text("SELECT partner_id, event_id, content_hash FROM carbon_events")
    ).fetchall()
    with op.batch_alter_table("carbon_events") as batch:
        batch.add_column(sa.Column("content_hash_60", sa.BigInteger(), nullable=True))
    converted = [{"p": p, "e": e, "h": int(h[:15], 16)} for p, e, h in stored]
    statement = sa.text(
        "UPDATE carbon_events SET content_hash_60 = :h WHERE partner_id = :p AND event_id = :e"
    )
    for start in range(0, len(converted), CHUNK):
        connection.execute(statement, converted[start : start + CHUNK])
    with op.batch_alter_table("carbon_events") as batch:
        batch.drop_column("content_hash")
        batch.alter_column("content_hash_60", new_column_name="content_hash", nullable=False)


def downgrade() -> None:
    connection = op.get_bind()
    stored = connection.execute(
        sa.text("SELECT partner_id, event_id, content_hash FROM carbon_events")
    ).fetchall()
    with op.batch_alter_table("carbon_events") as batch:
        batch.add_column(sa.Column("content_hash_text", sa.String(32), nullable=True))
    converted = [{"p": p, "e": e, "h": format(int(h), "015x")} for p, e, h in stored]
    statement = sa.text(
        "UPDATE carbon_events SET content_hash_text = :h WHERE partner_id = :p AND event_id = :e"
    )
    for start in range(0, len(converted), CHUNK):
        connection.execute(statement, converted[start : start + CHUNK])
    with op.batch_alter_table("carbon_events") as batch:
        batch.drop_column("content_hash")
        batch.alter_column("content_hash_text", new_column_name="content_hash", nullable=False)

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
    caps = dict(connection.execute(sa.text("SELECT id, daily_cap_g FROM carbon_behaviours")).fetchall())
    rows = []
    for resident, behaviour, month, packed in connection.execute(
        sa.text("SELECT resident_id, behaviour_id, month, days FROM carbon_month_totals")
    ).fetchall():
        first = date(int(month) // 12, int(month) % 12 + 1, 1)
        cap = caps.get(behaviour)
        for offset, text in enumerate(packed.split(",")):
            if not text:
                continue
            reduction = int(text)
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
        batch.drop_column("days")
        batch.drop_column("reduction_g")

    op.drop_index(op.f("ix_carbon_batches_accounted_at_us"), table_name="carbon_batches")
    with op.batch_alter_table("carbon_batches") as batch:
        batch.drop_column("accounted_at_us")
