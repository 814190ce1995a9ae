"""a provider remembers when it was deactivated, so each quarter knows whose returns it expects

A provider already inactive gets its own creation time: when it stopped is not known, so it is expected
to make returns only for the quarters it has returns for (hub/kpi/expected.py).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
    provider = sa.table(
        "provider",
        sa.column("active", sa.Boolean()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("deactivated_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        provider.update().where(provider.c.active.is_(False)).values(deactivated_at=provider.c.created_at)
    )


def downgrade() -> None:
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.drop_column("deactivated_at")
