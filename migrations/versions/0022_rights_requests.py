"""requests about a person's data, the referrals linked to each, and a blind index of each email's address

The register of rights requests (kind, who asked, dates, where each stands; names, the identity check
and what was done sealed) and the referrals the officer linked to each. ``outbox_message.to_index``
lets a subject-access export find the emails sent to a person; messages queued before this revision
have none (the export says so).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rights_request",
        sa.Column(
            "kind",
            sa.Enum(
                "access",
                "rectification",
                "restriction",
                "erasure",
                name="requestkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "asker",
            sa.Enum("person", "representative", name="asker", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("extended", sa.Boolean(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("open", "done", "refused", name="requeststatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("person_name_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("asker_name_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("identity_check_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("details_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("extension_reason_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("outcome_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_request")),
    )
    with op.batch_alter_table("rights_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rights_request_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_rights_request_state"), ["state"], unique=False)

    op.create_table(
        "rights_request_referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("linked_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_rights_request_referral_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["rights_request.id"],
            name=op.f("fk_rights_request_referral_request_id_rights_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_request_referral")),
        sa.UniqueConstraint("request_id", "referral_id", name=op.f("uq_rights_request_referral_request_id")),
    )
    with op.batch_alter_table("rights_request_referral", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rights_request_referral_referral_id"), ["referral_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rights_request_referral_request_id"), ["request_id"], unique=False
        )

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("to_index", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_message_to_index"), ["to_index"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_message_to_index"))
        batch_op.drop_column("to_index")

    with op.batch_alter_table("rights_request_referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rights_request_referral_request_id"))
        batch_op.drop_index(batch_op.f("ix_rights_request_referral_referral_id"))

    op.drop_table("rights_request_referral")
    with op.batch_alter_table("rights_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rights_request_state"))
        batch_op.drop_index(batch_op.f("ix_rights_request_due_on"))

    op.drop_table("rights_request")
