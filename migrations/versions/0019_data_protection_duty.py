"""an administrator may hold the data-protection duty (subject access, legal holds, erasure)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("data_protection", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.alter_column("data_protection", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_column("data_protection")
