"""kpi: the joint meeting's record for each quarter, and its actions carried forward until done

Adds `meeting_record` (one per quarter: the day the meeting was held, the organisations that attended,
the notes sealed) and `meeting_action` (what was agreed, sealed; its owner organisation, due day and
status; the quarter it was raised in and the quarter whose record marked it done). Going down loses the
meeting records and their actions.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-18 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("attended", sa.JSON(), nullable=False),
        sa.Column("notes_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_record")),
        sa.UniqueConstraint("quarter", name=op.f("uq_meeting_record_quarter")),
    )
    op.create_table(
        "meeting_action",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("raised_in", sa.Integer(), nullable=False),
        sa.Column("what_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("owner", sa.String(length=40), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "progress",
            sa.Enum("open", "in_progress", "done", name="actionstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("done_in", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_action")),
    )
    op.create_index(op.f("ix_meeting_action_raised_in"), "meeting_action", ["raised_in"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_meeting_action_raised_in"), table_name="meeting_action")
    op.drop_table("meeting_action")
    op.drop_table("meeting_record")
