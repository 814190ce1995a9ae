"""consent facts and duplicate decisions

Consent records (the versioned wording agreed to, when, by which route and how, who recorded it,
with who it came from and a note sealed) and allocators' decisions on possible duplicate pairs.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 23:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consent_record",
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("given", sa.Boolean(), nullable=False),
        sa.Column("wording", sa.String(length=32), nullable=True),
        sa.Column(
            "route",
            sa.Enum(
                "professional_form",
                "self_referral",
                "recorded_by_trs",
                name="consentroute",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "method",
            sa.Enum(
                "in_person",
                "phone",
                "in_writing",
                "through_referrer",
                name="consentmethod",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("recorded_by_role", sa.String(length=32), nullable=False),
        sa.Column("from_whom_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("note_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_consent_record_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_record")),
    )
    with op.batch_alter_table("consent_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_record_referral_id"), ["referral_id"], unique=False)

    op.create_table(
        "duplicate_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_id", sa.Uuid(), nullable=False),
        sa.Column("second_id", sa.Uuid(), nullable=False),
        sa.Column("same_person", sa.Boolean(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["first_id"],
            ["referral.id"],
            name=op.f("fk_duplicate_decision_first_id_referral"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["second_id"],
            ["referral.id"],
            name=op.f("fk_duplicate_decision_second_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_decision")),
        sa.UniqueConstraint("first_id", "second_id", name=op.f("uq_duplicate_decision_first_id")),
    )
    with op.batch_alter_table("duplicate_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duplicate_decision_first_id"), ["first_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_duplicate_decision_second_id"), ["second_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("duplicate_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duplicate_decision_second_id"))
        batch_op.drop_index(batch_op.f("ix_duplicate_decision_first_id"))
    op.drop_table("duplicate_decision")
    with op.batch_alter_table("consent_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_record_referral_id"))
    op.drop_table("consent_record")
