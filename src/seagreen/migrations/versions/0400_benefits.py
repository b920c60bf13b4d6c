"""Personal carbon account II: benefits and redemptions, residents' sign-in codes, the points
lifecycle (voids, adjustments, expiry runs), grade schemes, ranking snapshots, monthly statistics,
and an index of residents' own consents.

Revision ID: 0400_benefits
Revises: 0310_registry
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from seagreen.db.append_only import protect, unprotect

revision = "0400_benefits"
down_revision = "0310_registry"
branch_labels = None
depends_on = None

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PROTECTED = ("carbon_event_voids", "carbon_grade_schemes", "carbon_expiry_runs")


def _id() -> sa.Column:
    return sa.Column("id", BigIntPK, primary_key=True, autoincrement=True)


def _big(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def upgrade() -> None:
    # -- points lifecycle -------------------------------------------------------------------
    op.create_table(
        "carbon_void_requests",
        _id(),
        _big("partner_id"),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        _big("voided"),
        _big("already_voided"),
        _big("not_found"),
        _big("reduction_g"),
        _big("credited_g"),
        _big("points_reversed"),
        _big("debt_points"),
        _big("created_at_us"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carbon_void_requests")),
    )
    op.create_index(op.f("ix_carbon_void_requests_partner_id"), "carbon_void_requests", ["partner_id"])
    op.create_table(
        "carbon_event_voids",
        sa.Column("partner_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        _big("request_id"),
        _big("resident_id"),
        _big("behaviour_id"),
        sa.Column("day", sa.Integer(), nullable=False),
        _big("reduction_g"),
        sa.Column("accounted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        _big("voided_at_us"),
        sa.PrimaryKeyConstraint("partner_id", "event_id", name=op.f("pk_carbon_event_voids")),
    )
    op.create_index(op.f("ix_carbon_event_voids_resident_id"), "carbon_event_voids", ["resident_id"])
    op.create_table(
        "carbon_points_adjustments",
        sa.Column("resident_id", sa.BigInteger(), autoincrement=False, nullable=False),
        _big("reversed_points"),
        _big("reissued_points"),
        _big("updated_at_us"),
        sa.PrimaryKeyConstraint("resident_id", name=op.f("pk_carbon_points_adjustments")),
    )
    op.create_table(
        "carbon_expiry_runs",
        _id(),
        _big("cutoff_us"),
        sa.Column("rule_months", sa.Integer(), nullable=False),
        _big("started_at_us"),
        _big("finished_at_us"),
        _big("residents"),
        _big("points"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carbon_expiry_runs")),
    )
    # -- standing: grades and ranking ---------------------------------------------------------
    op.create_table(
        "carbon_grade_schemes",
        _id(),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("source_file", sa.String(200), nullable=False),
        _big("published_at_us"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carbon_grade_schemes")),
        sa.UniqueConstraint("code", name=op.f("uq_carbon_grade_schemes_code")),
        sa.UniqueConstraint("effective_from", name=op.f("uq_carbon_grade_schemes_effective_from")),
    )
    op.create_table(
        "carbon_ranking_snapshots",
        _id(),
        sa.Column("metric", sa.String(40), nullable=False),
        _big("residents"),
        sa.Column("quantiles", sa.Text(), nullable=False),
        _big("computed_at_us"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carbon_ranking_snapshots")),
    )
    op.create_index("ix_carbon_ranking_snapshots_metric_id", "carbon_ranking_snapshots", ["metric", "id"])
    op.create_index("ix_carbon_consents_resident_id", "carbon_consents", ["resident_id"])
    # -- statistics ---------------------------------------------------------------------------
    op.create_table(
        "carbon_stats_months",
        sa.Column("month", sa.Integer(), autoincrement=False, nullable=False),
        *(
            _big(name)
            for name in (
                "residents_registered",
                "residents_new",
                "residents_active",
                "reduction_g",
                "credited_g",
                "points_issued",
                "points_redeemed",
                "points_expired",
                "points_reversed",
                "redemptions",
                "refreshed_at_us",
            )
        ),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_carbon_stats_months")),
    )
    # -- residents' sign-in codes -------------------------------------------------------------
    op.create_table(
        "resident_login_codes",
        _id(),
        sa.Column("phone_hash", sa.String(64), nullable=False),
        sa.Column("client_hash", sa.String(64), nullable=False),
        sa.Column("code_digest", sa.String(64), nullable=True),
        _big("created_at_us"),
        _big("expires_at_us"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _big("consumed_at_us", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_login_codes")),
    )
    op.create_index(
        "ix_resident_login_codes_phone_hash_created_at_us",
        "resident_login_codes",
        ["phone_hash", "created_at_us"],
    )
    op.create_index(
        "ix_resident_login_codes_client_hash_created_at_us",
        "resident_login_codes",
        ["client_hash", "created_at_us"],
    )
    # -- benefits -----------------------------------------------------------------------------
    op.create_table(
        "benefit_items",
        _id(),
        sa.Column("code", sa.String(40), nullable=False),
        _big("provider_org_id"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name_zh", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("description_zh", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("price_points", sa.Integer(), nullable=False),
        _big("stock_left", nullable=True),
        _big("redeemed"),
        sa.Column("per_resident_limit", sa.Integer(), nullable=False),
        sa.Column("limit_period", sa.String(8), nullable=False),
        sa.Column("validity_days", sa.Integer(), nullable=False),
        sa.Column("refund_on_expiry", sa.Boolean(), nullable=False),
        sa.Column("subsidised", sa.Boolean(), nullable=False),
        _big("unit_cost_fen"),
        _big("monthly_budget_fen", nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _big("created_at_us"),
        _big("updated_at_us"),
        sa.CheckConstraint("per_resident_limit > 0", name=op.f("ck_benefit_items_limit_positive")),
        sa.CheckConstraint("price_points > 0", name=op.f("ck_benefit_items_price_positive")),
        sa.CheckConstraint(
            "stock_left IS NULL OR stock_left >= 0", name=op.f("ck_benefit_items_stock_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["provider_org_id"],
            ["organisations.id"],
            name=op.f("fk_benefit_items_provider_org_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benefit_items")),
        sa.UniqueConstraint("code", name=op.f("uq_benefit_items_code")),
    )
    op.create_index(op.f("ix_benefit_items_provider_org_id"), "benefit_items", ["provider_org_id"])
    op.create_table(
        "benefit_months",
        sa.Column("benefit_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Integer(), autoincrement=False, nullable=False),
        *(
            _big(name)
            for name in ("redemptions", "points", "spent_fen", "used", "expired", "refunded_points")
        ),
        sa.PrimaryKeyConstraint("benefit_id", "month", name=op.f("pk_benefit_months")),
    )
    op.create_table(
        "benefit_limit_counters",
        sa.Column("resident_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("benefit_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("period", sa.String(12), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "resident_id", "benefit_id", "period", name=op.f("pk_benefit_limit_counters")
        ),
    )
    op.create_table(
        "benefit_redemptions",
        _id(),
        sa.Column("request_key", sa.String(120), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        _big("resident_id"),
        _big("benefit_id"),
        sa.Column("points", sa.Integer(), nullable=False),
        _big("cost_fen"),
        sa.Column("period", sa.String(12), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("hold_key", sa.String(160), nullable=False),
        sa.Column("voucher_nonce", sa.String(32), nullable=True),
        sa.Column("voucher_hash", sa.String(64), nullable=True),
        sa.Column("voucher_hint", sa.String(8), nullable=True),
        _big("valid_until_us", nullable=True),
        _big("created_at_us"),
        _big("issued_at_us", nullable=True),
        _big("resolved_at_us", nullable=True),
        _big("used_by_org_id", nullable=True),
        sa.Column("refunded_points", sa.Integer(), nullable=False),
        sa.Column("failure", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["benefit_id"], ["benefit_items.id"], name=op.f("fk_benefit_redemptions_benefit_id_benefit_items")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_benefit_redemptions_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benefit_redemptions")),
        sa.UniqueConstraint("request_key", name=op.f("uq_benefit_redemptions_request_key")),
        sa.UniqueConstraint("voucher_hash", name=op.f("uq_benefit_redemptions_voucher_hash")),
    )
    op.create_index(op.f("ix_benefit_redemptions_benefit_id"), "benefit_redemptions", ["benefit_id"])
    op.create_index("ix_benefit_redemptions_resident_id_id", "benefit_redemptions", ["resident_id", "id"])
    op.create_index(
        "ix_benefit_redemptions_status_valid_until_us", "benefit_redemptions", ["status", "valid_until_us"]
    )
    for table in PROTECTED:
        protect(table)


def downgrade() -> None:
    for table in reversed(PROTECTED):
        unprotect(table)
    op.drop_index("ix_benefit_redemptions_status_valid_until_us", table_name="benefit_redemptions")
    op.drop_index("ix_benefit_redemptions_resident_id_id", table_name="benefit_redemptions")
    op.drop_index(op.f("ix_benefit_redemptions_benefit_id"), table_name="benefit_redemptions")
    op.drop_table("benefit_redemptions")
    op.drop_table("benefit_limit_counters")
    op.drop_table("benefit_months")
    op.drop_index(op.f("ix_benefit_items_provider_org_id"), table_name="benefit_items")
    op.drop_table("benefit_items")
    op.drop_index("ix_resident_login_codes_client_hash_created_at_us", table_name="resident_login_codes")
    op.drop_index("ix_resident_login_codes_phone_hash_created_at_us", table_name="resident_login_codes")
    op.drop_table("resident_login_codes")
    op.drop_table("carbon_stats_months")
    op.drop_index("ix_carbon_consents_resident_id", table_name="carbon_consents")
    op.drop_index("ix_carbon_ranking_snapshots_metric_id", table_name="carbon_ranking_snapshots")
    op.drop_table("carbon_ranking_snapshots")
    op.drop_table("carbon_grade_schemes")
    op.drop_table("carbon_expiry_runs")
    op.drop_table("carbon_points_adjustments")
    op.drop_index(op.f("ix_carbon_event_voids_resident_id"), table_name="carbon_event_voids")
    op.drop_table("carbon_event_voids")
    op.drop_index(op.f("ix_carbon_void_requests_partner_id"), table_name="carbon_void_requests")
    op.drop_table("carbon_void_requests")
