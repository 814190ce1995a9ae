"""each referral records the privacy notice the person or their referrer saw

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Referrals sent before the notice existed keep None: nobody was shown one.
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("privacy_notice", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_column("privacy_notice")
