"""safe contact on first contact: voicemail left and service named, and a neutral email sender name

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 23:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_contact_voicemail_left", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("first_contact_service_named", sa.Boolean(), nullable=True))
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender_name", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("sender_name")
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.drop_column("first_contact_service_named")
        batch_op.drop_column("first_contact_voicemail_left")
