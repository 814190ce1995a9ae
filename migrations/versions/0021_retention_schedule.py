"""the retention schedule as data, legal holds, erasure decisions, and when things were erased

Writes the default schedule: unsent form answers 24 hours after last saved; sent emails' bodies and
addresses 30 days after sending; a closed referral's answers and case records 7 years after it
closed; a disabled staff account's name and email 7 years after it was disabled; audit entries kept.
Accounts disabled before this revision have no date to count from, so they are kept.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLOSED = (
    "Survivors may come back years later for their records, and claims about abuse can be brought long "
    "after support ends. Seven years after closing follows common practice for counselling and social "
    "care records. A council may set longer for records of child sexual abuse, as the Independent "
    "Inquiry into Child Sexual Abuse recommended."
)
DEFAULTS = [
    ("referral_answers", 7, "years", CLOSED),
    (
        "case_records",
        7,
        "years",
        "Kept as long as the answers they belong to, so that a case can be understood if the person "
        "comes back, asks for their records or complains.",
    ),
    (
        "sent_emails",
        30,
        "days",
        "Long enough to answer a question about a message that did not arrive. The fact that it was "
        "sent, when and of which kind, is kept.",
    ),
    (
        "form_drafts",
        24,
        "hours",
        "A person part-way through a form may come back the same day. Answers that were never sent "
        "should not be held for longer.",
    ),
    (
        "staff_accounts",
        7,
        "years",
        "Timelines name who made each decision, so a disabled account's name is kept as long as the "
        "case records it signed. The account itself stays, by its id, for the audit log.",
    ),
    (
        "audit_entries",
        None,
        None,
        "Entries hold no personal details, and their chain of hashes proves that nothing was changed. "
        "Removing one would break the chain.",
    ),
]


def upgrade() -> None:
    rule = op.create_table(
        "retention_rule",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("unit", sa.String(length=10), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_by", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_retention_rule")),
    )
    op.bulk_insert(rule, [{"kind": k, "amount": a, "unit": u, "reason": r} for k, a, u, r in DEFAULTS])
    op.create_table(
        "legal_hold",
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.Uuid(), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reason_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("lift_reason_sealed", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_legal_hold_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_hold")),
    )
    op.create_index(op.f("ix_legal_hold_referral_id"), "legal_hold", ["referral_id"], unique=False)
    op.create_table(
        "erasure_decision",
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("erased", sa.Boolean(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("basis_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("exemption_sealed", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_erasure_decision_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_decision")),
    )
    op.create_index(
        op.f("ix_erasure_decision_referral_id"), "erasure_decision", ["referral_id"], unique=False
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("erasure_note_sealed", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_column("disabled_at")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_column("erasure_note_sealed")
        batch_op.drop_column("erased_at")
    op.drop_index(op.f("ix_erasure_decision_referral_id"), table_name="erasure_decision")
    op.drop_table("erasure_decision")
    op.drop_index(op.f("ix_legal_hold_referral_id"), table_name="legal_hold")
    op.drop_table("legal_hold")
    op.drop_table("retention_rule")
