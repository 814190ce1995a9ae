"""intake drafts: one sealed row per page

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 16:22:07.757132

Unsent answers are short-lived (24 hours) and sealed under row ids this revision changes, so drafts
in progress when it runs are not carried over: a person part-way through a form starts that form
again. Apply it when no one is filling in a form (see docs/OPERATIONS.md, upgrades).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _source() -> sa.Enum:
    return sa.Enum("professional", "self", name="referralsource", native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "intake_draft_page",
        sa.Column("draft_id", sa.Uuid(), nullable=False),
        sa.Column("source", _source(), nullable=False),
        sa.Column("page", sa.String(length=20), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answers_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_draft_page")),
    )
    with op.batch_alter_table("intake_draft_page", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intake_draft_page_draft_id"), ["draft_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_intake_draft_page_saved_at"), ["saved_at"], unique=False)

    with op.batch_alter_table("intake_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_draft_expires_at"))
    op.drop_table("intake_draft")


def downgrade() -> None:
    op.create_table(
        "intake_draft",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source", _source(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answers_sealed", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_draft")),
    )
    with op.batch_alter_table("intake_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intake_draft_expires_at"), ["expires_at"], unique=False)

    with op.batch_alter_table("intake_draft_page", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_draft_page_saved_at"))
        batch_op.drop_index(batch_op.f("ix_intake_draft_page_draft_id"))
    op.drop_table("intake_draft_page")
