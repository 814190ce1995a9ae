"""consultation: the self-referral's opt-in, and volunteers from /take-part kept apart

Adds `referral.consultation_opt_in` (empty for referrals sent before the question was asked), the
table `consultation_volunteer` (a random id, the day given, and sealed name and contact, with nothing
that links it to a referral or to feedback), and the retention rule for volunteers' details: 2 years
from the day they were given. Going down refuses while any volunteer is held: their details would
be lost. The opt-in answers are lost going down (a yes or no, asked again of no one).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-10 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND = "consultation_volunteers"
REASON = (
    "Long enough to invite someone to a few rounds of consultation. After that we would need to ask "
    "again whether they still want to hear from us, and whether the way they gave is still safe."
)


def upgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consultation_opt_in", sa.Boolean(), nullable=True))
    op.create_table(
        "consultation_volunteer",
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("safe_contact_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("detail_sealed", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_volunteer")),
    )
    op.create_index(
        op.f("ix_consultation_volunteer_given_on"), "consultation_volunteer", ["given_on"], unique=False
    )
    rule = sa.table(
        "retention_rule",
        sa.column("kind", sa.String),
        sa.column("amount", sa.Integer),
        sa.column("unit", sa.String),
        sa.column("reason", sa.Text),
    )
    op.bulk_insert(rule, [{"kind": KIND, "amount": 2, "unit": "years", "reason": REASON}])


def downgrade() -> None:
    connection = op.get_bind()
    held = connection.execute(sa.text("SELECT COUNT(*) FROM consultation_volunteer")).scalar()
    if held:
        raise RuntimeError(
            f"consultation_volunteer holds {held} people's details that going down would lose; "
            "stay at revision 0027 or later."
        )
    op.execute(sa.text("DELETE FROM retention_rule WHERE kind = :kind").bindparams(kind=KIND))
    op.drop_index(op.f("ix_consultation_volunteer_given_on"), table_name="consultation_volunteer")
    op.drop_table("consultation_volunteer")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_column("consultation_opt_in")
