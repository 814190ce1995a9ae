"""kpi: the figures published on the public pathway report, frozen when a quarter is published

Adds `kpi_quarter.published_figures`: what /pathway shows for a published quarter, after disclosure
control (rounded and hidden counts, no personal data), so a later amendment of a return does not change
what the public saw until a commissioner publishes the quarter again. Going down loses the frozen
figures; a quarter marked published then has nothing to show until it is published again.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-18 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kpi_quarter") as batch:
        batch.add_column(sa.Column("published_figures", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kpi_quarter") as batch:
        batch.drop_column("published_figures")
