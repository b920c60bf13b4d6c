"""Blue industry catalogue: versions, items, national mappings (append-only) and classified loan books.

Revision ID: 0100_taxonomy
Revises: 0006_carbon_intake
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from seagreen.db.append_only import protect, unprotect

revision = "0100_taxonomy"
down_revision = "0006_carbon_intake"
branch_labels = None
depends_on = None

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PROTECTED = ("taxonomy_versions", "taxonomy_items", "taxonomy_national_mappings", "taxonomy_batches")


def upgrade() -> None:
    op.create_table(
        "taxonomy_versions",
        sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("source_file", sa.String(200), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("published_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxonomy_versions")),
        sa.UniqueConstraint("code", name=op.f("uq_taxonomy_versions_code")),
    )
    op.create_table(
        "taxonomy_items",
        sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("version_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(12), nullable=False),
        sa.Column("level1_code", sa.String(4), nullable=False),
        sa.Column("level1_zh", sa.String(100), nullable=False),
        sa.Column("level1_en", sa.String(200), nullable=False),
        sa.Column("level2_code", sa.String(8), nullable=False),
        sa.Column("level2_zh", sa.String(100), nullable=False),
        sa.Column("level2_en", sa.String(200), nullable=False),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(300), nullable=False),
        sa.Column("tier", sa.String(12), nullable=False),
        sa.Column("description_zh", sa.Text(), nullable=False),
        sa.Column("gbt4754_codes", sa.String(200), nullable=False),
        sa.Column("keywords_zh", sa.Text(), nullable=False),
        sa.Column("keywords_extra_zh", sa.Text(), nullable=False),
        sa.Column("qualifiers_zh", sa.Text(), nullable=False),
        sa.Column("source_or_basis", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["taxonomy_versions.id"],
            name=op.f("fk_taxonomy_items_version_id_taxonomy_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxonomy_items")),
        sa.UniqueConstraint("version_id", "code", name=op.f("uq_taxonomy_items_version_id_code")),
    )
    op.create_index(op.f("ix_taxonomy_items_version_id"), "taxonomy_items", ["version_id"])
    op.create_table(
        "taxonomy_national_mappings",
        sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.Column("edition", sa.String(8), nullable=False),
        sa.Column("text", sa.String(300), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["taxonomy_items.id"],
            name=op.f("fk_taxonomy_national_mappings_item_id_taxonomy_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxonomy_national_mappings")),
        sa.UniqueConstraint("item_id", "edition", name=op.f("uq_taxonomy_national_mappings_item_id_edition")),
    )
    op.create_index(op.f("ix_taxonomy_national_mappings_item_id"), "taxonomy_national_mappings", ["item_id"])
    op.create_table(
        "taxonomy_batches",
        sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("version_id", sa.BigInteger(), nullable=False),
        sa.Column("engine_version", sa.String(60), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("actor_label", sa.String(200), nullable=False),
        sa.Column("org_code", sa.String(64), nullable=True),
        sa.Column("source_name", sa.String(200), nullable=False),
        sa.Column("input_hash", sa.String(64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("blue", sa.Integer(), nullable=False),
        sa.Column("light_blue", sa.Integer(), nullable=False),
        sa.Column("not_blue", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("blue_fen", sa.BigInteger(), nullable=False),
        sa.Column("light_blue_fen", sa.BigInteger(), nullable=False),
        sa.Column("summary_json", sa.Text(), nullable=False),
        sa.Column("result_csv_gz", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["taxonomy_versions.id"],
            name=op.f("fk_taxonomy_batches_version_id_taxonomy_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxonomy_batches")),
    )
    op.create_index(op.f("ix_taxonomy_batches_version_id"), "taxonomy_batches", ["version_id"])
    op.create_index(op.f("ix_taxonomy_batches_org_code"), "taxonomy_batches", ["org_code"])
    for table in PROTECTED:
        protect(table)


def downgrade() -> None:
    for table in reversed(PROTECTED):
        unprotect(table)
    op.drop_index(op.f("ix_taxonomy_batches_org_code"), table_name="taxonomy_batches")
    op.drop_index(op.f("ix_taxonomy_batches_version_id"), table_name="taxonomy_batches")
    op.drop_table("taxonomy_batches")
    op.drop_index(op.f("ix_taxonomy_national_mappings_item_id"), table_name="taxonomy_national_mappings")
    op.drop_table("taxonomy_national_mappings")
    op.drop_index(op.f("ix_taxonomy_items_version_id"), table_name="taxonomy_items")
    op.drop_table("taxonomy_items")
    op.drop_table("taxonomy_versions")
