"""survivors' anonymous feedback: single-use codes, answers kept with the provider and quarter only, and
the feedback figures of the KPI return counted from them

The answers' table has no time, no code and no case: only the provider and the quarter they were
given in. A case keeps a code sealed until its page has shown it once, and the day a code was given
at a review point. An outbox message keeps a code it carries sealed until it is sent.

From October to December 2026 (20264) "felt safer" and "satisfied" are pre-filled from the answers,
with the number of responses beside them; the rows in force until then end at 20263, so a return
for an earlier quarter is asked what it was asked before.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-09 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FROM = 20264
ANSWERS = ("yes", "a_little", "sometimes", "partly", "maybe", "no", "rather_not_say")
QUESTIONS = ("felt_safer", "listened_to", "in_control", "satisfied", "recommend")
REPLACED = {
    "felt_safer_pct": "Of the people who gave feedback in the quarter and answered “Do you feel safer than "
    "before you came to us?”, the share who answered “Yes” (“I'd rather not say” and blanks not counted). "
    "Counted by the hub from survivors' anonymous feedback; not shown when fewer than the minimum responded.",
    "satisfied_pct": "Of the people who gave feedback in the quarter and answered “Were you satisfied with "
    "the support you had?”, the share who answered “Yes” (“I'd rather not say” and blanks not counted). "
    "Counted by the hub from survivors' anonymous feedback; not shown when fewer than the minimum responded.",
}
NEW_CODE = "feedback_responses"


def _definitions() -> sa.Table:
    return sa.table(
        "kpi_definition",
        sa.column("code", sa.String),
        sa.column("label", sa.String),
        sa.column("unit", sa.String),
        sa.column("description", sa.Text),
        sa.column("prefilled", sa.Boolean),
        sa.column("breakdown", sa.String),
        sa.column("sums_to", sa.String),
        sa.column("position", sa.Integer),
        sa.column("from_quarter", sa.Integer),
        sa.column("until_quarter", sa.Integer),
    )


def upgrade() -> None:
    op.create_table(
        "feedback_code",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_feedback_code_provider_id_provider"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_feedback_code_code_hash")),
    )
    with op.batch_alter_table("feedback_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_code_expires_on"), ["expires_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_code_provider_id"), ["provider_id"], unique=False)
    op.create_table(
        "feedback_response",
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        *(
            sa.Column(name, sa.Enum(*ANSWERS, name="answer", native_enum=False, length=16), nullable=True)
            for name in QUESTIONS
        ),
        sa.Column("anything_else_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_feedback_response_provider_id_provider"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_response")),
    )
    with op.batch_alter_table("feedback_response", schema=None) as batch_op:
        batch_op.create_index(
            "ix_feedback_response_provider_quarter", ["provider_id", "quarter"], unique=False
        )
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feedback_offered_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("feedback_code_sealed", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secret_sealed", sa.LargeBinary(), nullable=True))
    _new_definitions()


def _new_definitions() -> None:
    connection = op.get_bind()
    table = _definitions()
    rows = []
    for code, description in REPLACED.items():
        old = connection.execute(
            sa.select(table.c.label, table.c.unit, table.c.position).where(
                table.c.code == code, table.c.until_quarter.is_(None), table.c.from_quarter < FROM
            )
        ).first()
        if old is None:  # an administrator retired it: nothing to carry on
            continue
        connection.execute(
            table.update()
            .where(table.c.code == code, table.c.until_quarter.is_(None), table.c.from_quarter < FROM)
            .values(until_quarter=FROM - 1)
        )
        rows.append(_row(code, old.label, old.unit, description, old.position))
    satisfied = connection.execute(
        sa.select(sa.func.max(table.c.position)).where(table.c.code == "satisfied_pct")
    ).scalar()
    rows.append(
        _row(
            NEW_CODE,
            "People who gave feedback",
            "count",
            "Survivors who gave anonymous feedback with a feedback code in the quarter, counted by the hub. "
            "Not shown when fewer than the minimum responded, so no one can be recognised.",
            (satisfied or 0) + 1,
        )
    )
    op.bulk_insert(table, rows)


def _row(code: str, label: str, unit: str, description: str, position: int) -> dict[str, object]:
    return {
        "code": code,
        "label": label,
        "unit": unit,
        "description": description,
        "prefilled": True,
        "breakdown": None,
        "sums_to": None,
        "position": position,
        "from_quarter": FROM,
        "until_quarter": None,
    }


def downgrade() -> None:
    table = _definitions()
    codes = [*REPLACED, NEW_CODE]
    op.execute(table.delete().where(table.c.code.in_(codes), table.c.from_quarter == FROM))
    op.execute(
        table.update()
        .where(table.c.code.in_(list(REPLACED)), table.c.until_quarter == FROM - 1)
        .values(until_quarter=None)
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("secret_sealed")
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.drop_column("feedback_code_sealed")
        batch_op.drop_column("feedback_offered_on")
    with op.batch_alter_table("feedback_response", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_response_provider_quarter")
    op.drop_table("feedback_response")
    with op.batch_alter_table("feedback_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_code_provider_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_code_expires_on"))
    op.drop_table("feedback_code")
