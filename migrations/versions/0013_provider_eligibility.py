"""provider eligibility: who each provider serves (gender, age range)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 23:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "serves",
                sa.Enum("everyone", "women", "men", name="serves", native_enum=False, length=16),
                server_default="everyone",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("min_age", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("max_age", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(op.f("ck_provider_min_age_not_negative"), "min_age >= 0")
        batch_op.create_check_constraint(op.f("ck_provider_age_range_in_order"), "max_age >= min_age")


def downgrade() -> None:
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_provider_age_range_in_order"), type_="check")
        batch_op.drop_constraint(op.f("ck_provider_min_age_not_negative"), type_="check")
        batch_op.drop_column("max_age")
        batch_op.drop_column("min_age")
        batch_op.drop_column("serves")
