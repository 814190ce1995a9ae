"""administrators run providers and specialisms: a specialism can be retired, and a provider can limit
new starts for one specialism

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("specialism", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retired", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "specialism_capacity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("specialism_id", sa.Integer(), nullable=False),
        sa.Column("new_starts_per_quarter", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "new_starts_per_quarter >= 0",
            name=op.f("ck_specialism_capacity_specialism_new_starts_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_specialism_capacity_provider_id_provider"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["specialism_id"],
            ["specialism.id"],
            name=op.f("fk_specialism_capacity_specialism_id_specialism"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_specialism_capacity")),
        sa.UniqueConstraint("provider_id", "specialism_id", name=op.f("uq_specialism_capacity_provider_id")),
    )


def downgrade() -> None:
    op.drop_table("specialism_capacity")
    with op.batch_alter_table("specialism", schema=None) as batch_op:
        batch_op.drop_column("retired")
