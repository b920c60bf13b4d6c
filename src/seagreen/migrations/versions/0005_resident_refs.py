"""Residents known by a pseudonymous reference alone: longer refs, phone optional.

Revision ID: 0005_resident_refs
Revises: 0004_behaviour_catalogue
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_resident_refs"
down_revision = "0004_behaviour_catalogue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("residents") as batch:
        batch.alter_column("ref", existing_type=sa.String(16), type_=sa.String(64), existing_nullable=False)
        batch.alter_column("phone_hash", existing_type=sa.String(64), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("residents") as batch:
        batch.alter_column("phone_hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("ref", existing_type=sa.String(64), type_=sa.String(16), existing_nullable=False)
