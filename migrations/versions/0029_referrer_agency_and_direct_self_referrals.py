"""referral: the referrer's kind of organisation, and self-referrals made directly to a provider

Adds `referral.referrer_agency` (the kind of organisation a professional referrer works for, from a
fixed list, plain so the joint view and the public report can count referrals by agency; empty for
self-referrals and for professional referrals sent before the form asked) and `referral.direct` (true
for a self-referral the person made directly to a provider, recorded by its staff and accepted at once;
false for every referral before this revision). Going down loses both.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-18 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AGENCIES = (
    "police",
    "nca",
    "health",
    "adult_social_care",
    "childrens_services",
    "housing",
    "voluntary",
    "other",
)


def upgrade() -> None:
    with op.batch_alter_table("referral") as batch_op:
        batch_op.add_column(
            sa.Column(
                "referrer_agency",
                sa.Enum(*AGENCIES, name="referreragency", native_enum=False, length=32),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("direct", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("referral") as batch_op:
        batch_op.drop_column("direct")
        batch_op.drop_column("referrer_agency")
