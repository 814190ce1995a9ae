"""triage queue: an index in the queue's own order, over waiting referrals only

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 17:05:00

A page of the queue is read in index order (risk flag, arrival, id) instead of sorting every
waiting referral; see ``hub.referrals.triage.queue``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = sa.text("status IN ('submitted', 'declined_by_provider')")


def upgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referral_waiting",
            ["risk_flagged", "created_at", "id"],
            unique=False,
            postgresql_where=WAITING,
            sqlite_where=WAITING,
        )


def downgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_waiting")
