"""providers, referrals and allocations

Revision ID: 0001
Revises:
Create Date: 2026-11-26 13:46:38.227331
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "provider",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider")),
        sa.UniqueConstraint("slug", name=op.f("uq_provider_slug")),
    )
    op.create_table(
        "specialism",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_specialism")),
        sa.UniqueConstraint("code", name=op.f("uq_specialism_code")),
    )
    op.create_table(
        "provider_capacity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("new_starts_per_quarter", sa.Integer(), nullable=True),
        sa.Column("max_active", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("max_active >= 0", name=op.f("ck_provider_capacity_max_active_not_negative")),
        sa.CheckConstraint(
            "new_starts_per_quarter >= 0", name=op.f("ck_provider_capacity_new_starts_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_provider_capacity_provider_id_provider"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_capacity")),
        sa.UniqueConstraint("provider_id", name=op.f("uq_provider_capacity_provider_id")),
    )
    op.create_table(
        "provider_specialism",
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("specialism_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_provider_specialism_provider_id_provider"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["specialism_id"],
            ["specialism.id"],
            name=op.f("fk_provider_specialism_specialism_id_specialism"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("provider_id", "specialism_id", name=op.f("pk_provider_specialism")),
    )
    op.create_table(
        "referral",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column(
            "source",
            sa.Enum("professional", "self", name="referralsource", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "info_requested",
                "allocated",
                "accepted",
                "in_support",
                "closed",
                "declined_by_provider",
                "signposted",
                "withdrawn",
                name="referralstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent_to_referral", sa.Boolean(), nullable=False),
        sa.Column("consent_to_share", sa.Boolean(), nullable=False),
        sa.Column("under_18", sa.Boolean(), nullable=False),
        sa.Column("possible_duplicate", sa.Boolean(), nullable=False),
        sa.Column("preferred_provider_id", sa.Integer(), nullable=True),
        sa.Column("identity_index", sa.String(length=64), nullable=True),
        sa.Column("email_index", sa.String(length=64), nullable=True),
        sa.Column("phone_index", sa.String(length=64), nullable=True),
        sa.Column("full_name_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("preferred_name_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("date_of_birth_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("email_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("phone_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("address_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("postcode_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("safe_contact_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("access_needs_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("support_wanted_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("risks_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("referrer_name_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("referrer_role_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("referrer_organisation_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("referrer_email_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("referrer_phone_sealed", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["preferred_provider_id"],
            ["provider.id"],
            name=op.f("fk_referral_preferred_provider_id_provider"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
        sa.UniqueConstraint("reference", name=op.f("uq_referral_reference")),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_email_index"), ["email_index"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_identity_index"), ["identity_index"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_phone_index"), ["phone_index"], unique=False)

    op.create_table(
        "allocation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "accepted",
                "declined",
                "cancelled",
                name="allocationstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason_sealed", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_allocation_provider_id_provider"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_allocation_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation")),
    )
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_allocation_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_allocation_referral_id"), ["referral_id"], unique=False)

    op.create_table(
        "referral_specialism",
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("specialism_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_referral_specialism_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["specialism_id"],
            ["specialism.id"],
            name=op.f("fk_referral_specialism_specialism_id_specialism"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("referral_id", "specialism_id", name=op.f("pk_referral_specialism")),
    )


def downgrade() -> None:
    op.drop_table("referral_specialism")
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocation_referral_id"))
        batch_op.drop_index(batch_op.f("ix_allocation_provider_id"))

    op.drop_table("allocation")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_phone_index"))
        batch_op.drop_index(batch_op.f("ix_referral_identity_index"))
        batch_op.drop_index(batch_op.f("ix_referral_email_index"))

    op.drop_table("referral")
    op.drop_table("provider_specialism")
    op.drop_table("provider_capacity")
    op.drop_table("specialism")
    op.drop_table("provider")
