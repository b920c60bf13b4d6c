"""Green sub-branch recognition: indicator sets, rounds, applications, submissions, joint reviews,
recognitions with certificates, annual reports, appeals and findings, documents, the notice outbox.

Revision ID: 0300_branches
Revises: 0110_intake_accounting
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from seagreen.db.append_only import protect, unprotect

revision = "0300_branches"
down_revision = "0110_intake_accounting"
branch_labels = None
depends_on = None

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = sa.DateTime(timezone=True)
PROTECTED = (
    "branch_indicator_sets",
    "branch_submissions",
    "branch_reviews",
    "branch_appeal_findings",
    "branch_certificates",
    "branch_documents",
)


def upgrade() -> None:
    op.create_table(
        "branch_indicator_sets",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("source_file", sa.String(length=200), nullable=False),
        sa.Column("body_json", sa.Text(), nullable=False),
        sa.Column("loaded_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_indicator_sets")),
        sa.UniqueConstraint("code", name=op.f("uq_branch_indicator_sets_code")),
    )
    op.create_table(
        "branch_notices",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("recognition_id", sa.BigInteger(), nullable=True),
        sa.Column("application_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("sent_at", UTC, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_notices")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_branch_notices_dedupe_key")),
    )
    op.create_index(op.f("ix_branch_notices_application_id"), "branch_notices", ["application_id"])
    op.create_index(op.f("ix_branch_notices_recognition_id"), "branch_notices", ["recognition_id"])
    op.create_index(op.f("ix_branch_notices_sent_at"), "branch_notices", ["sent_at"])
    op.create_table(
        "branch_rounds",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("indicator_set_id", sa.BigInteger(), nullable=False),
        sa.Column("authorities", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("opened_at", UTC, nullable=False),
        sa.Column("deadline_at", UTC, nullable=False),
        sa.Column("closed_at", UTC, nullable=True),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_set_id"],
            ["branch_indicator_sets.id"],
            name=op.f("fk_branch_rounds_indicator_set_id_branch_indicator_sets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_rounds")),
        sa.UniqueConstraint("code", name=op.f("uq_branch_rounds_code")),
    )
    op.create_index(op.f("ix_branch_rounds_indicator_set_id"), "branch_rounds", ["indicator_set_id"])
    op.create_table(
        "branch_applications",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("round_id", sa.BigInteger(), nullable=False),
        sa.Column("bank_org_code", sa.String(length=64), nullable=False),
        sa.Column("branch_org_code", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("form_json", sa.Text(), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("contact_name", sa.String(length=100), nullable=False),
        sa.Column("contact_phone", sa.String(length=40), nullable=False),
        sa.Column("contact_email", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("submitted_at", UTC, nullable=True),
        sa.Column("more_deadline_at", UTC, nullable=True),
        sa.Column("decided_at", UTC, nullable=True),
        sa.Column("current_submission_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"], ["branch_rounds.id"], name=op.f("fk_branch_applications_round_id_branch_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_applications")),
    )
    op.create_index(op.f("ix_branch_applications_bank_org_code"), "branch_applications", ["bank_org_code"])
    op.create_index(
        op.f("ix_branch_applications_branch_org_code"), "branch_applications", ["branch_org_code"]
    )
    op.create_index(op.f("ix_branch_applications_round_id"), "branch_applications", ["round_id"])
    op.create_index(op.f("ix_branch_applications_status"), "branch_applications", ["status"])
    op.create_table(
        "branch_documents",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("application_id", sa.BigInteger(), nullable=False),
        sa.Column("attached_to", sa.String(length=20), nullable=False),
        sa.Column("attached_id", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("uploaded_at", UTC, nullable=False),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        sa.Column("org_code", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["branch_applications.id"],
            name=op.f("fk_branch_documents_application_id_branch_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_documents")),
    )
    op.create_index(op.f("ix_branch_documents_application_id"), "branch_documents", ["application_id"])
    op.create_table(
        "branch_recognitions",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.BigInteger(), nullable=False),
        sa.Column("bank_org_code", sa.String(length=64), nullable=False),
        sa.Column("branch_org_code", sa.String(length=64), nullable=False),
        sa.Column("authorities", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("recognised_at", UTC, nullable=False),
        sa.Column("status_changed_at", UTC, nullable=False),
        sa.Column("appeal_until", UTC, nullable=True),
        sa.Column("contact_email", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["branch_applications.id"],
            name=op.f("fk_branch_recognitions_application_id_branch_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_recognitions")),
        sa.UniqueConstraint("application_id", name=op.f("uq_branch_recognitions_application_id")),
        sa.UniqueConstraint("number", name=op.f("uq_branch_recognitions_number")),
        sa.UniqueConstraint("year", "serial", name=op.f("uq_branch_recognitions_year_serial")),
    )
    op.create_index(op.f("ix_branch_recognitions_bank_org_code"), "branch_recognitions", ["bank_org_code"])
    op.create_index(
        op.f("ix_branch_recognitions_branch_org_code"), "branch_recognitions", ["branch_org_code"]
    )
    op.create_index(op.f("ix_branch_recognitions_status"), "branch_recognitions", ["status"])
    op.create_table(
        "branch_submissions",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("application_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("submitted_at", UTC, nullable=False),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("values_json", sa.Text(), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("documents_json", sa.Text(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("score_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["branch_applications.id"],
            name=op.f("fk_branch_submissions_application_id_branch_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_submissions")),
        sa.UniqueConstraint("application_id", "seq", name=op.f("uq_branch_submissions_application_id_seq")),
    )
    op.create_index(op.f("ix_branch_submissions_application_id"), "branch_submissions", ["application_id"])
    op.create_table(
        "branch_appeals",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("recognition_id", sa.BigInteger(), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("filed_at", UTC, nullable=False),
        sa.Column("filed_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["recognition_id"],
            ["branch_recognitions.id"],
            name=op.f("fk_branch_appeals_recognition_id_branch_recognitions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_appeals")),
    )
    op.create_index(op.f("ix_branch_appeals_recognition_id"), "branch_appeals", ["recognition_id"])
    op.create_table(
        "branch_certificates",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("recognition_id", sa.BigInteger(), nullable=False),
        sa.Column("issued_at", UTC, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recognition_id"],
            ["branch_recognitions.id"],
            name=op.f("fk_branch_certificates_recognition_id_branch_recognitions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_certificates")),
    )
    op.create_index(op.f("ix_branch_certificates_recognition_id"), "branch_certificates", ["recognition_id"])
    op.create_table(
        "branch_reports",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("recognition_id", sa.BigInteger(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("values_json", sa.Text(), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("documents_json", sa.Text(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("score_json", sa.Text(), nullable=False),
        sa.Column("submitted_at", UTC, nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("decided_at", UTC, nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_by_org", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recognition_id"],
            ["branch_recognitions.id"],
            name=op.f("fk_branch_reports_recognition_id_branch_recognitions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_reports")),
        sa.UniqueConstraint("recognition_id", "year", name=op.f("uq_branch_reports_recognition_id_year")),
    )
    op.create_index(op.f("ix_branch_reports_recognition_id"), "branch_reports", ["recognition_id"])
    op.create_table(
        "branch_reviews",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("application_id", sa.BigInteger(), nullable=False),
        sa.Column("submission_id", sa.BigInteger(), nullable=False),
        sa.Column("authority_code", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("disputed", sa.String(length=400), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("more_deadline_at", UTC, nullable=True),
        sa.Column("decided_at", UTC, nullable=False),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["branch_applications.id"],
            name=op.f("fk_branch_reviews_application_id_branch_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["branch_submissions.id"],
            name=op.f("fk_branch_reviews_submission_id_branch_submissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_reviews")),
    )
    op.create_index(op.f("ix_branch_reviews_application_id"), "branch_reviews", ["application_id"])
    op.create_index(op.f("ix_branch_reviews_submission_id"), "branch_reviews", ["submission_id"])
    op.create_table(
        "branch_appeal_findings",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("appeal_id", sa.BigInteger(), nullable=False),
        sa.Column("authority_code", sa.String(length=64), nullable=False),
        sa.Column("finding", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_at", UTC, nullable=False),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["branch_appeals.id"],
            name=op.f("fk_branch_appeal_findings_appeal_id_branch_appeals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_appeal_findings")),
    )
    op.create_index(op.f("ix_branch_appeal_findings_appeal_id"), "branch_appeal_findings", ["appeal_id"])

    for table in PROTECTED:
        protect(table)


def downgrade() -> None:
    for table in reversed(PROTECTED):
        unprotect(table)
    op.drop_index(op.f("ix_branch_appeal_findings_appeal_id"), table_name="branch_appeal_findings")
    op.drop_table("branch_appeal_findings")
    op.drop_index(op.f("ix_branch_reviews_submission_id"), table_name="branch_reviews")
    op.drop_index(op.f("ix_branch_reviews_application_id"), table_name="branch_reviews")
    op.drop_table("branch_reviews")
    op.drop_index(op.f("ix_branch_reports_recognition_id"), table_name="branch_reports")
    op.drop_table("branch_reports")
    op.drop_index(op.f("ix_branch_certificates_recognition_id"), table_name="branch_certificates")
    op.drop_table("branch_certificates")
    op.drop_index(op.f("ix_branch_appeals_recognition_id"), table_name="branch_appeals")
    op.drop_table("branch_appeals")
    op.drop_index(op.f("ix_branch_submissions_application_id"), table_name="branch_submissions")
    op.drop_table("branch_submissions")
    op.drop_index(op.f("ix_branch_recognitions_status"), table_name="branch_recognitions")
    op.drop_index(op.f("ix_branch_recognitions_branch_org_code"), table_name="branch_recognitions")
    op.drop_index(op.f("ix_branch_recognitions_bank_org_code"), table_name="branch_recognitions")
    op.drop_table("branch_recognitions")
    op.drop_index(op.f("ix_branch_documents_application_id"), table_name="branch_documents")
    op.drop_table("branch_documents")
    op.drop_index(op.f("ix_branch_applications_status"), table_name="branch_applications")
    op.drop_index(op.f("ix_branch_applications_round_id"), table_name="branch_applications")
    op.drop_index(op.f("ix_branch_applications_branch_org_code"), table_name="branch_applications")
    op.drop_index(op.f("ix_branch_applications_bank_org_code"), table_name="branch_applications")
    op.drop_table("branch_applications")
    op.drop_index(op.f("ix_branch_rounds_indicator_set_id"), table_name="branch_rounds")
    op.drop_table("branch_rounds")
    op.drop_index(op.f("ix_branch_notices_sent_at"), table_name="branch_notices")
    op.drop_index(op.f("ix_branch_notices_recognition_id"), table_name="branch_notices")
    op.drop_index(op.f("ix_branch_notices_application_id"), table_name="branch_notices")
    op.drop_table("branch_notices")
    op.drop_table("branch_indicator_sets")
