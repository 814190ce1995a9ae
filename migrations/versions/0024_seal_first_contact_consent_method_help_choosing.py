"""seal how first contact was made, how consent was told and whether help choosing was asked for

The plain columns stay (nullable) for now: the hub writes only the sealed columns and reads the plain
ones while they are still filled; `flask --app hub keys seal-plain` (run by `init`) seals what is left
in them, with the key file, which a migration never has. A later revision drops them once empty.

Going down drops the sealed columns, so it refuses while any of them holds a value: the values could
not be written back as plain text here, and would be lost.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEALED = {
    "allocation": "first_contact_sealed",
    "consent_record": "method_sealed",
    "referral": "help_choosing_sealed",
}


def upgrade() -> None:
    for table, column in SEALED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.alter_column("help_choosing", existing_type=sa.Boolean(), nullable=True)


def downgrade() -> None:
    connection = op.get_bind()
    for table, column in SEALED.items():
        query = f"SELECT COUNT(*) FROM {table} WHERE {column} IS NOT NULL"  # noqa: S608 (names from this file)
        held = connection.execute(sa.text(query)).scalar()
        if held:
            raise RuntimeError(
                f"{table}.{column} holds {held} sealed values that going down would lose; "
                "stay at revision 0024 or later."
            )
    op.execute(sa.text("UPDATE referral SET help_choosing = false WHERE help_choosing IS NULL"))
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.alter_column("help_choosing", existing_type=sa.Boolean(), nullable=False)
    for table, column in reversed(SEALED.items()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
