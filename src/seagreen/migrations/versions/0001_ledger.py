"""Ledger: accounts, append-only journal with hash chain, chain head.

Revision ID: 0001_ledger
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from seagreen.db.append_only import protect, unprotect

revision = "0001_ledger"
down_revision = None
branch_labels = None
depends_on = None

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_accounts",
        sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("unit", sa.String(24), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("debits_pending", sa.BigInteger(), nullable=False),
        sa.Column("debits_posted", sa.BigInteger(), nullable=False),
        sa.Column("credits_pending", sa.BigInteger(), nullable=False),
        sa.Column("credits_posted", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint("key", name=op.f("uq_ledger_accounts_key")),
    )
    op.create_table(
        "ledger_transfers",
        sa.Column("seq", BigIntPK, autoincrement=False, nullable=False),
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("debit_account_id", sa.BigInteger(), nullable=False),
        sa.Column("credit_account_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("unit", sa.String(24), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("pending_seq", BigIntPK, nullable=True),
        sa.Column("expires_at_us", sa.BigInteger(), nullable=True),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("chain_hash", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["debit_account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_ledger_transfers_debit_account_id_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["credit_account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_ledger_transfers_credit_account_id_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["pending_seq"],
            ["ledger_transfers.seq"],
            name=op.f("fk_ledger_transfers_pending_seq_ledger_transfers"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_transfers")),
        sa.UniqueConstraint("key", name=op.f("uq_ledger_transfers_key")),
    )
    op.create_index(op.f("ix_ledger_transfers_debit_account_id"), "ledger_transfers", ["debit_account_id"])
    op.create_index(op.f("ix_ledger_transfers_credit_account_id"), "ledger_transfers", ["credit_account_id"])
    op.create_index(
        "uq_ledger_transfers_pending_seq",
        "ledger_transfers",
        ["pending_seq"],
        unique=True,
        postgresql_where=sa.text("pending_seq IS NOT NULL"),
        sqlite_where=sa.text("pending_seq IS NOT NULL"),
    )
    op.create_index(
        "ix_ledger_transfers_open_pending",
        "ledger_transfers",
        ["expires_at_us"],
        postgresql_where=sa.text("expires_at_us IS NOT NULL"),
        sqlite_where=sa.text("expires_at_us IS NOT NULL"),
    )
    head = op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("accounts_epoch", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_head")),
    )
    op.bulk_insert(head, [{"id": 1, "last_seq": 0, "last_hash": "0" * 64, "accounts_epoch": "genesis"}])
    protect("ledger_transfers")


def downgrade() -> None:
    unprotect("ledger_transfers")
    op.drop_table("ledger_head")
    op.drop_index("ix_ledger_transfers_open_pending", table_name="ledger_transfers")
    op.drop_index("uq_ledger_transfers_pending_seq", table_name="ledger_transfers")
    op.drop_index(op.f("ix_ledger_transfers_credit_account_id"), table_name="ledger_transfers")
    op.drop_index(op.f("ix_ledger_transfers_debit_account_id"), table_name="ledger_transfers")
    op.drop_table("ledger_transfers")
    op.drop_table("ledger_accounts")
