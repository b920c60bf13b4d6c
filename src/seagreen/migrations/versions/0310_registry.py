"""Ocean carbon-sink registry: parameter sets, projects and their review, monitoring reports,
issuances, serial blocks, operations and movements, retirements with signed certificates, reversals.

Revision ID: 0310_registry
Revises: 0300_branches
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from seagreen.db.append_only import protect, unprotect

revision = "0310_registry"
down_revision = "0300_branches"
branch_labels = None
depends_on = None

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# What happened is append-only; only the current place of serials, projects, objections and
# reports changes.
PROTECTED = (
    "registry_parameter_sets",
    "registry_project_events",
    "registry_documents",
    "registry_operations",
    "registry_issuances",
    "registry_movements",
    "registry_retirements",
    "registry_reversals",
)


def upgrade() -> None:
    op.create_table(
        "registry_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("next_serial", sa.BigInteger(), nullable=False),
        sa.Column("projects", sa.Integer(), nullable=False),
        sa.Column("certificates", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_head")),
    )
    op.create_table(
        "registry_parameter_sets",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("loaded_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_parameter_sets")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_registry_parameter_sets_code_version")),
    )
    op.create_table(
        "registry_projects",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("owner_org", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("methodology", sa.String(length=40), nullable=False),
        sa.Column("methodology_version", sa.String(length=16), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("latitude", sa.String(length=16), nullable=False),
        sa.Column("longitude", sa.String(length=16), nullable=False),
        sa.Column("area_ha", sa.String(length=24), nullable=False),
        sa.Column("crediting_start", sa.Date(), nullable=False),
        sa.Column("crediting_end", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("buffer_share", sa.String(length=8), nullable=False),
        sa.Column("notice_round", sa.Integer(), nullable=False),
        sa.Column("notice_published", sa.Date(), nullable=True),
        sa.Column("notice_last_day", sa.Date(), nullable=True),
        sa.Column("notice_calendar", sa.String(length=60), nullable=False),
        sa.Column("notice_complete", sa.Boolean(), nullable=True),
        sa.Column("filed_at_us", sa.BigInteger(), nullable=True),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_projects")),
        sa.UniqueConstraint("code", name=op.f("uq_registry_projects_code")),
    )
    op.create_index(op.f("ix_registry_projects_owner_org"), "registry_projects", ["owner_org"])
    op.create_index(op.f("ix_registry_projects_state"), "registry_projects", ["state"])
    op.create_table(
        "registry_documents",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at_us", sa.BigInteger(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["registry_projects.id"],
            name=op.f("fk_registry_documents_project_id_registry_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_documents")),
    )
    op.create_index(op.f("ix_registry_documents_project_id"), "registry_documents", ["project_id"])
    op.create_table(
        "registry_objections",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("notice_round", sa.Integer(), nullable=False),
        sa.Column("author_label", sa.String(length=200), nullable=False),
        sa.Column("author_org", sa.String(length=32), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("resolved_by", sa.String(length=200), nullable=False),
        sa.Column("resolved_at_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["registry_projects.id"],
            name=op.f("fk_registry_objections_project_id_registry_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_objections")),
    )
    op.create_index(op.f("ix_registry_objections_project_id"), "registry_objections", ["project_id"])
    op.create_table(
        "registry_operations",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("from_org", sa.String(length=32), nullable=True),
        sa.Column("to_org", sa.String(length=32), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("price_fen_per_t", sa.BigInteger(), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("settlement_method", sa.String(length=32), nullable=False),
        sa.Column("settlement_ref", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("ranges", sa.Text(), nullable=False),
        sa.Column("ledger_key", sa.String(length=160), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=True),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("actor_org", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["registry_projects.id"],
            name=op.f("fk_registry_operations_project_id_registry_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_operations")),
        sa.UniqueConstraint("key", name=op.f("uq_registry_operations_key")),
    )
    op.create_index(
        "ix_registry_operations_project_kind", "registry_operations", ["project_id", "kind", "id"]
    )
    op.create_table(
        "registry_project_events",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=24), nullable=False),
        sa.Column("to_state", sa.String(length=24), nullable=False),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("actor_org", sa.String(length=32), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["registry_projects.id"],
            name=op.f("fk_registry_project_events_project_id_registry_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_project_events")),
    )
    op.create_index(op.f("ix_registry_project_events_project_id"), "registry_project_events", ["project_id"])
    op.create_table(
        "registry_reports",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("methodology", sa.String(length=40), nullable=False),
        sa.Column("methodology_version", sa.String(length=16), nullable=False),
        sa.Column("parameter_set", sa.String(length=60), nullable=False),
        sa.Column("parameter_set_version", sa.String(length=20), nullable=False),
        sa.Column("inputs_json", sa.Text(), nullable=False),
        sa.Column("inputs_sha256", sa.String(length=64), nullable=False),
        sa.Column("receipt_json", sa.Text(), nullable=False),
        sa.Column("receipt_sha256", sa.String(length=64), nullable=False),
        sa.Column("result_tco2e", sa.String(length=40), nullable=False),
        sa.Column("issuable_t", sa.BigInteger(), nullable=False),
        sa.Column("submitted_at_us", sa.BigInteger(), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("verifier", sa.String(length=200), nullable=False),
        sa.Column("verification_statement", sa.Text(), nullable=False),
        sa.Column("verified_at_us", sa.BigInteger(), nullable=True),
        sa.Column("verified_by", sa.String(length=200), nullable=False),
        sa.Column("returned_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["registry_projects.id"],
            name=op.f("fk_registry_reports_project_id_registry_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_reports")),
    )
    op.create_index(op.f("ix_registry_reports_project_id"), "registry_reports", ["project_id"])
    op.create_table(
        "registry_issuances",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("report_id", sa.BigInteger(), nullable=False),
        sa.Column("operation_id", sa.BigInteger(), nullable=False),
        sa.Column("vintage_start", sa.Date(), nullable=False),
        sa.Column("vintage_end", sa.Date(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("owner_quantity", sa.BigInteger(), nullable=False),
        sa.Column("buffer_quantity", sa.BigInteger(), nullable=False),
        sa.Column("buffer_share", sa.String(length=8), nullable=False),
        sa.Column("serial_start", sa.BigInteger(), nullable=False),
        sa.Column("serial_end", sa.BigInteger(), nullable=False),
        sa.Column("receipt_sha256", sa.String(length=64), nullable=False),
        sa.Column("owner_org", sa.String(length=32), nullable=False),
        sa.Column("issued_at_us", sa.BigInteger(), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["registry_operations.id"],
            name=op.f("fk_registry_issuances_operation_id_registry_operations"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["registry_projects.id"],
            name=op.f("fk_registry_issuances_project_id_registry_projects"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["registry_reports.id"],
            name=op.f("fk_registry_issuances_report_id_registry_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_issuances")),
        sa.UniqueConstraint("report_id", name=op.f("uq_registry_issuances_report_id")),
        sa.UniqueConstraint("serial_start", name=op.f("uq_registry_issuances_serial_start")),
    )
    op.create_index(op.f("ix_registry_issuances_project_id"), "registry_issuances", ["project_id"])
    op.create_table(
        "registry_movements",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("operation_id", sa.BigInteger(), nullable=False),
        sa.Column("issuance_id", sa.BigInteger(), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("end", sa.BigInteger(), nullable=False),
        sa.Column("from_state", sa.String(length=12), nullable=True),
        sa.Column("from_holder", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=12), nullable=False),
        sa.Column("to_holder", sa.String(length=32), nullable=True),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["registry_operations.id"],
            name=op.f("fk_registry_movements_operation_id_registry_operations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_movements")),
    )
    op.create_index("ix_registry_movements_issuance_start", "registry_movements", ["issuance_id", "start"])
    op.create_index(op.f("ix_registry_movements_operation_id"), "registry_movements", ["operation_id"])
    op.create_table(
        "registry_retirements",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("operation_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("retired_by", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("beneficiary_name", sa.String(length=200), nullable=False),
        sa.Column("beneficiary_org", sa.String(length=32), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("claim_start", sa.Date(), nullable=True),
        sa.Column("claim_end", sa.Date(), nullable=True),
        sa.Column("retired_at_us", sa.BigInteger(), nullable=False),
        sa.Column("certificate_json", sa.Text(), nullable=False),
        sa.Column("certificate_sha256", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["registry_operations.id"],
            name=op.f("fk_registry_retirements_operation_id_registry_operations"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["registry_projects.id"],
            name=op.f("fk_registry_retirements_project_id_registry_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_retirements")),
        sa.UniqueConstraint("number", name=op.f("uq_registry_retirements_number")),
        sa.UniqueConstraint("operation_id", name=op.f("uq_registry_retirements_operation_id")),
    )
    op.create_index(op.f("ix_registry_retirements_project_id"), "registry_retirements", ["project_id"])
    op.create_index(op.f("ix_registry_retirements_retired_by"), "registry_retirements", ["retired_by"])
    op.create_table(
        "registry_reversals",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("operation_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["registry_operations.id"],
            name=op.f("fk_registry_reversals_operation_id_registry_operations"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["registry_projects.id"],
            name=op.f("fk_registry_reversals_project_id_registry_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_reversals")),
        sa.UniqueConstraint("operation_id", name=op.f("uq_registry_reversals_operation_id")),
    )
    op.create_index(op.f("ix_registry_reversals_project_id"), "registry_reversals", ["project_id"])
    op.create_table(
        "registry_blocks",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("issuance_id", sa.BigInteger(), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("end", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("holder", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuance_id"],
            ["registry_issuances.id"],
            name=op.f("fk_registry_blocks_issuance_id_registry_issuances"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["registry_projects.id"],
            name=op.f("fk_registry_blocks_project_id_registry_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_blocks")),
        sa.UniqueConstraint("start", name=op.f("uq_registry_blocks_start")),
    )
    op.create_index(
        "ix_registry_blocks_holding", "registry_blocks", ["holder", "state", "project_id", "start"]
    )
    op.create_index("ix_registry_blocks_pool", "registry_blocks", ["state", "project_id", "start"])

    head = sa.table(
        "registry_head",
        sa.column("id", sa.Integer()),
        sa.column("next_serial", sa.BigInteger()),
        sa.column("projects", sa.Integer()),
        sa.column("certificates", sa.Integer()),
    )
    op.bulk_insert(head, [{"id": 1, "next_serial": 1, "projects": 0, "certificates": 0}])
    for table in PROTECTED:
        protect(table)


def downgrade() -> None:
    for table in reversed(PROTECTED):
        unprotect(table)
    op.drop_index("ix_registry_blocks_pool", table_name="registry_blocks")
    op.drop_index("ix_registry_blocks_holding", table_name="registry_blocks")
    op.drop_table("registry_blocks")
    op.drop_index(op.f("ix_registry_reversals_project_id"), table_name="registry_reversals")
    op.drop_table("registry_reversals")
    op.drop_index(op.f("ix_registry_retirements_retired_by"), table_name="registry_retirements")
    op.drop_index(op.f("ix_registry_retirements_project_id"), table_name="registry_retirements")
    op.drop_table("registry_retirements")
    op.drop_index(op.f("ix_registry_movements_operation_id"), table_name="registry_movements")
    op.drop_index("ix_registry_movements_issuance_start", table_name="registry_movements")
    op.drop_table("registry_movements")
    op.drop_index(op.f("ix_registry_issuances_project_id"), table_name="registry_issuances")
    op.drop_table("registry_issuances")
    op.drop_index(op.f("ix_registry_reports_project_id"), table_name="registry_reports")
    op.drop_table("registry_reports")
    op.drop_index(op.f("ix_registry_project_events_project_id"), table_name="registry_project_events")
    op.drop_table("registry_project_events")
    op.drop_index("ix_registry_operations_project_kind", table_name="registry_operations")
    op.drop_table("registry_operations")
    op.drop_index(op.f("ix_registry_objections_project_id"), table_name="registry_objections")
    op.drop_table("registry_objections")
    op.drop_index(op.f("ix_registry_documents_project_id"), table_name="registry_documents")
    op.drop_table("registry_documents")
    op.drop_index(op.f("ix_registry_projects_state"), table_name="registry_projects")
    op.drop_index(op.f("ix_registry_projects_owner_org"), table_name="registry_projects")
    op.drop_table("registry_projects")
    op.drop_table("registry_parameter_sets")
    op.drop_table("registry_head")
