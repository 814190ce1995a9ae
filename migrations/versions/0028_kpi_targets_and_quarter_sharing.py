"""kpi: targets per figure carried forward, and each quarter's sharing and publication

Adds `kpi_target` (a figure's target and its direction from one quarter, with why it matters, carried
forward until a later quarter sets another) and `kpi_quarter` (when a quarter's joint return was shared
for the joint meeting, and when it was published on the public pathway report, and by whom). Neither
holds personal data. Going down loses the targets and the record of sharing and publishing.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-17 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kpi_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("from_quarter", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column(
            "direction",
            sa.Enum("at_least", "at_most", name="direction", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("set_by", sa.Uuid(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_target")),
        sa.UniqueConstraint("code", "from_quarter", name=op.f("uq_kpi_target_code")),
    )
    op.create_table(
        "kpi_quarter",
        sa.Column("quarter", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shared_by", sa.Uuid(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("quarter", name=op.f("pk_kpi_quarter")),
    )


def downgrade() -> None:
    op.drop_table("kpi_quarter")
    op.drop_table("kpi_target")
