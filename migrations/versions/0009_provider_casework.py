"""provider casework: decline reasons, first contact, sessions and measures, outcomes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DECLINE_REASONS = (
    "no_capacity",
    "not_our_specialism",
    "outside_area",
    "risk_too_high",
    "already_supported",
    "other",
)
OUTCOMES = ("support_completed", "disengaged", "couldnt_contact", "no_longer_wanted", "referred_elsewhere")


def upgrade() -> None:
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "decline_reason",
                sa.Enum(*DECLINE_REASONS, name="declinereason", native_enum=False, length=32),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("first_contact_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("first_contact_channel", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column(
                "outcome", sa.Enum(*OUTCOMES, name="outcome", native_enum=False, length=32), nullable=True
            )
        )
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("decline_note_sealed", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("measures_sealed", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.drop_column("measures_sealed")
        batch_op.drop_column("decline_note_sealed")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("outcome")
        batch_op.drop_column("first_contact_channel")
        batch_op.drop_column("first_contact_on")
        batch_op.drop_column("decline_reason")
