"""Personal carbon account, phase 2: partners, consent, intake, events and accounting totals.

Revision ID: 0006_carbon_intake
Revises: 0005_resident_refs
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_carbon_intake"
down_revision = "0005_resident_refs"
branch_labels = None
depends_on = None

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
NO_ROWID = {"sqlite_with_rowid": False}


def _bigints(*names: str, nullable: bool = False) -> list[sa.Column]:
    return [sa.Column(name, sa.BigInteger(), nullable=nullable) for name in names]


def upgrade() -> None:
    op.create_table(
        "carbon_partners",
        sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carbon_partners")),
        sa.UniqueConstraint("code", name=op.f("uq_carbon_partners_code")),
    )
    op.create_table(
        "carbon_consents",
        sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("resident_id", sa.BigInteger(), nullable=False),
        sa.Column("partner_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("granted_at_us", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at_us", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_carbon_consents_resident_id_residents")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["carbon_partners.id"], name=op.f("fk_carbon_consents_partner_id_carbon_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carbon_consents")),
    )
    op.create_index("ix_carbon_consents_partner_resident", "carbon_consents", ["partner_id", "resident_id"])
    op.create_table(
        "carbon_ingests",
        sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("partner_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        *_bigints(
            "checkpoint_row",
            "accepted",
            "duplicates",
            "conflicts",
            "rejected",
            "reduction_g",
            "credited_g",
            "points",
        ),
        sa.Column("quarantine_path", sa.Text(), nullable=False),
        sa.Column("started_at_us", sa.BigInteger(), nullable=False),
        sa.Column("finished_at_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["carbon_partners.id"], name=op.f("fk_carbon_ingests_partner_id_carbon_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carbon_ingests")),
    )
    op.create_index("ix_carbon_ingests_partner_file", "carbon_ingests", ["partner_id", "file_sha256"])
    op.create_table(
        "carbon_batches",
        sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("ingest_id", sa.BigInteger(), nullable=False),
        *_bigints("first_row", "last_row", "created_at_us"),
        sa.ForeignKeyConstraint(
            ["ingest_id"], ["carbon_ingests.id"], name=op.f("fk_carbon_batches_ingest_id_carbon_ingests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carbon_batches")),
    )
    op.create_index(op.f("ix_carbon_batches_ingest_id"), "carbon_batches", ["ingest_id"])
    op.create_table(
        "carbon_events",
        sa.Column("partner_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        *_bigints(
            "batch_id", "row_number", "resident_id", "behaviour_id", "quantity_milli", "occurred_at_us"
        ),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("reduction_g", sa.BigInteger(), nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("dedupe_hash", sa.String(64), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=True),
        sa.Column("duplicate_of_partner_id", sa.BigInteger(), nullable=True),
        sa.Column("duplicate_of_event_id", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("partner_id", "event_id", name=op.f("pk_carbon_events")),
        **NO_ROWID,
    )
    op.create_table(
        "carbon_dedupe_claims",
        sa.Column("dedupe_hash", sa.String(64), nullable=False),
        sa.Column("partner_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("dedupe_hash", name=op.f("pk_carbon_dedupe_claims")),
        **NO_ROWID,
    )
    op.create_table(
        "carbon_day_totals",
        sa.Column("resident_id", sa.BigInteger(), nullable=False),
        sa.Column("behaviour_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        *_bigints("reduction_g", "credited_g"),
        sa.PrimaryKeyConstraint("resident_id", "behaviour_id", "day", name=op.f("pk_carbon_day_totals")),
        **NO_ROWID,
    )
    op.create_table(
        "carbon_month_totals",
        sa.Column("resident_id", sa.BigInteger(), nullable=False),
        sa.Column("behaviour_id", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        *_bigints("day_credited_g", "credited_g"),
        sa.PrimaryKeyConstraint("resident_id", "behaviour_id", "month", name=op.f("pk_carbon_month_totals")),
        **NO_ROWID,
    )
    op.create_table(
        "carbon_resident_version_totals",
        *_bigints("resident_id", "version_id", "credited_g"),
        sa.PrimaryKeyConstraint("resident_id", "version_id", name=op.f("pk_carbon_resident_version_totals")),
        **NO_ROWID,
    )
    op.create_table(
        "carbon_resident_totals",
        *_bigints(
            "resident_id",
            "reduction_g",
            "credited_g",
            "points",
            "points_posted",
            "last_batch_id",
            "settled_batch_id",
        ),
        sa.PrimaryKeyConstraint("resident_id", name=op.f("pk_carbon_resident_totals")),
    )
    op.create_table(
        "carbon_rejections",
        sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("ingest_id", sa.BigInteger(), nullable=False),
        sa.Column("row_number", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=True),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ingest_id"], ["carbon_ingests.id"], name=op.f("fk_carbon_rejections_ingest_id_carbon_ingests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carbon_rejections")),
    )
    op.create_index(op.f("ix_carbon_rejections_ingest_id"), "carbon_rejections", ["ingest_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_carbon_rejections_ingest_id"), table_name="carbon_rejections")
    op.drop_table("carbon_rejections")
    for table in (
        "carbon_resident_totals",
        "carbon_resident_version_totals",
        "carbon_month_totals",
        "carbon_day_totals",
        "carbon_dedupe_claims",
        "carbon_events",
    ):
        op.drop_table(table)
    op.drop_index(op.f("ix_carbon_batches_ingest_id"), table_name="carbon_batches")
    op.drop_table("carbon_batches")
    op.drop_index("ix_carbon_ingests_partner_file", table_name="carbon_ingests")
    op.drop_table("carbon_ingests")
    op.drop_index("ix_carbon_consents_partner_resident", table_name="carbon_consents")
    op.drop_table("carbon_consents")
    op.drop_table("carbon_partners")
