"""referral timeline, provider team mailbox

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 16:31:51.953120
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = (
    "submitted",
    "info_requested",
    "allocated",
    "accepted",
    "in_support",
    "closed",
    "declined_by_provider",
    "signposted",
    "withdrawn",
)


def _status() -> sa.Enum:
    return sa.Enum(*STATUSES, name="referralstatus", native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "referral_event",
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "allocated",
                "info_requested",
                "info_received",
                "signposted",
                "withdrawn",
                name="eventkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("from_status", _status(), nullable=True),
        sa.Column("to_status", _status(), nullable=True),
        sa.Column("note_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_referral_event_provider_id_provider"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_referral_event_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_event")),
    )
    with op.batch_alter_table("referral_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_event_referral_id"), ["referral_id"], unique=False)

    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referrals_email", sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.drop_column("referrals_email")

    with op.batch_alter_table("referral_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_event_referral_id"))
    op.drop_table("referral_event")
