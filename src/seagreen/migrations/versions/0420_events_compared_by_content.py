"""Events are compared with a resend column by column; their stored content hash goes.

A resend of a (partner, event id) is a duplicate when it says the same, a conflict when not. That
was decided by a 60-bit SHA-256 of the event's normalised content, computed for every event as it
came in and stored with it. The stored event already holds that content (resident, behaviour,
quantity, instant, the dedupe key's keyed hash, attributes), so a resend is now compared with it
column by column (``repository.intake.same_content``), and nothing is hashed: the hash took a third of the
bulk checks' time (docs/decisions/0005, phase 14).

Downgrade recomputes the old hash from the stored columns. It covered the dedupe key's own text,
which is stored only as its keyed hash: for an event with a dedupe key the recomputed hash cannot
be the old one, so after a downgrade a resend of such an event is a conflict, not a duplicate.

Revision ID: 0420_events_compared_by_content
Revises: 0410_ledger_fillfactor
Create Date: 2026-11-30
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0420_events_compared_by_content"
down_revision = "0410_ledger_fillfactor"
branch_labels = None
depends_on = None

CHUNK = 10_000


def upgrade() -> None:
    with op.batch_alter_table("carbon_events") as batch:
        batch.drop_column("content_hash")


def _old_hash(
    ref: str, behaviour: str, milli: int, at_us: int, dedupe: str | None, attributes: str | None
) -> int:
    """The hash as revision 0110 to 0410 computed it (``domain.intake_content_hash``, frozen)."""
    text = "\x1f".join((ref, behaviour, str(milli), str(at_us), dedupe or "", attributes or ""))
    return int(hashlib.sha256(text.encode()).hexdigest()[:15], 16)


def downgrade() -> None:
    """The hash again for every event, read and written a key range at a time (in key order after
    the last key done), so that memory stays flat however many events there are."""
    connection = op.get_bind()
    with op.batch_alter_table("carbon_events") as batch:
        batch.add_column(sa.Column("content_hash", sa.BigInteger(), nullable=True))
    read = sa.text(
        "SELECT e.partner_id, e.event_id, coalesce(r.ref, ''), coalesce(b.code, ''), e.quantity_milli, "
        "e.occurred_at_us, e.dedupe_hash, e.attributes FROM carbon_events e "
        "LEFT JOIN residents r ON r.id = e.resident_id "
        "LEFT JOIN carbon_behaviours b ON b.id = e.behaviour_id "
        "WHERE (e.partner_id, e.event_id) > (:p, :e) ORDER BY e.partner_id, e.event_id LIMIT :n"
    )
    write = sa.text("UPDATE carbon_events SET content_hash = :h WHERE partner_id = :p AND event_id = :e")
    after: tuple[int, str] = (-1, "")  # before every key: partner ids are positive
    while stored := connection.execute(read, {"p": after[0], "e": after[1], "n": CHUNK}).fetchall():
        rows = [
            {"p": p, "e": e, "h": _old_hash(ref, code, int(milli), int(at_us), dedupe, attributes)}
            for p, e, ref, code, milli, at_us, dedupe, attributes in stored
        ]
        connection.execute(write, rows)
        after = (int(stored[-1][0]), str(stored[-1][1]))
    with op.batch_alter_table("carbon_events") as batch:
        batch.alter_column("content_hash", existing_type=sa.BigInteger(), nullable=False)
