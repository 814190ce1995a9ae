"""a referral may be restricted (providers see the reference only); a correction keeps the old answer sealed

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("restricted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("restricted_by", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("restriction_basis_sealed", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("referral_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("correction_sealed", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("referral_event", schema=None) as batch_op:
        batch_op.drop_column("correction_sealed")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_column("restriction_basis_sealed")
        batch_op.drop_column("restricted_by")
        batch_op.drop_column("restricted_at")
