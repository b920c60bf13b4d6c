"""The consents' (partner, resident) index also holds the consent's interval.

The real-time API looks up, once a request, the residents a thousand events name and the consents
they gave the partner that sent them. With the interval (granted, revoked) in the index, those
consents are read from the index alone, without a look-up of each consent's row
(docs/decisions/0005, phase 28).

Revision ID: 0430_consent_interval_in_index
Revises: 0420_events_compared_by_content
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0430_consent_interval_in_index"
down_revision = "0420_events_compared_by_content"
branch_labels = None
depends_on = None

INDEX = "ix_carbon_consents_partner_resident"


def upgrade() -> None:
    op.drop_index(INDEX, table_name="carbon_consents")
    op.create_index(INDEX, "carbon_consents", ["partner_id", "resident_id", "granted_at_us", "revoked_at_us"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="carbon_consents")
    op.create_index(INDEX, "carbon_consents", ["partner_id", "resident_id"])
