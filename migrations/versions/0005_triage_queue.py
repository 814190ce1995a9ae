"""triage queue

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 15:34:36.101521
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("risk_flagged", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index("ix_referral_queue", ["status", "risk_flagged", "created_at"], unique=False)
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.alter_column("risk_flagged", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_queue")
        batch_op.drop_column("risk_flagged")
