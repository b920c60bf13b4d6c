"""Behaviour catalogue: methodology versions and their behaviours (append-only).

Revision ID: 0004_behaviour_catalogue
Revises: 0003_audit
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from seagreen.db.append_only import protect, unprotect

revision = "0004_behaviour_catalogue"
down_revision = "0003_audit"
branch_labels = None
depends_on = None

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "carbon_methodology_versions",
        sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("g_per_point", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("source_file", sa.String(200), nullable=False),
        sa.Column("published_at_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "g_per_point > 0", name=op.f("ck_carbon_methodology_versions_g_per_point_positive")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carbon_methodology_versions")),
        sa.UniqueConstraint("code", name=op.f("uq_carbon_methodology_versions_code")),
        sa.UniqueConstraint("effective_from", name=op.f("uq_carbon_methodology_versions_effective_from")),
    )
    op.create_table(
        "carbon_behaviours",
        sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("version_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(48), nullable=False),
        sa.Column("name_zh", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("dimension", sa.String(24), nullable=False),
        sa.Column("unit", sa.String(24), nullable=False),
        sa.Column("factor_g_per_unit", sa.String(40), nullable=False),
        sa.Column("daily_cap_g", sa.BigInteger(), nullable=True),
        sa.Column("monthly_cap_g", sa.BigInteger(), nullable=True),
        sa.Column("partner_kinds", sa.String(120), nullable=False),
        sa.Column("factor_status", sa.String(16), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["carbon_methodology_versions.id"],
            name=op.f("fk_carbon_behaviours_version_id_carbon_methodology_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carbon_behaviours")),
        sa.UniqueConstraint("version_id", "code", name=op.f("uq_carbon_behaviours_version_id_code")),
    )
    op.create_index(op.f("ix_carbon_behaviours_version_id"), "carbon_behaviours", ["version_id"])
    protect("carbon_methodology_versions")
    protect("carbon_behaviours")


def downgrade() -> None:
    unprotect("carbon_behaviours")
    unprotect("carbon_methodology_versions")
    op.drop_index(op.f("ix_carbon_behaviours_version_id"), table_name="carbon_behaviours")
    op.drop_table("carbon_behaviours")
    op.drop_table("carbon_methodology_versions")
