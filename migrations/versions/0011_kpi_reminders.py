"""KPI return reminders, each sent once per provider and quarter

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 17:41:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kpi_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_kpi_reminder_provider_id_provider"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_reminder")),
        sa.UniqueConstraint("provider_id", "quarter", name=op.f("uq_kpi_reminder_provider_id")),
    )


def downgrade() -> None:
    op.drop_table("kpi_reminder")
