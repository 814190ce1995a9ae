"""consent facts and duplicate decisions

Consent records (the versioned wording agreed to, when, by which route and how, who recorded it,
with who it came from and a note sealed) and allocators' decisions on possible duplicate pairs.
Each referral made before this revision gets the records its flags stand for: the professional
form's boxes (``referral-v1``, ``share-v1``, the same words the form showed then) or, for a
self-referral, ``self-v0`` (the words its check page showed then), dated the UK day it arrived.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 23:20:00
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consent_record",
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("given", sa.Boolean(), nullable=False),
        sa.Column("wording", sa.String(length=32), nullable=True),
        sa.Column(
            "route",
            sa.Enum(
                "professional_form",
                "self_referral",
                "recorded_by_trs",
                name="consentroute",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "method",
            sa.Enum(
                "in_person",
                "phone",
                "in_writing",
                "through_referrer",
                name="consentmethod",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("recorded_by_role", sa.String(length=32), nullable=False),
        sa.Column("from_whom_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("note_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_consent_record_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_record")),
    )
    with op.batch_alter_table("consent_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_record_referral_id"), ["referral_id"], unique=False)

    op.create_table(
        "duplicate_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_id", sa.Uuid(), nullable=False),
        sa.Column("second_id", sa.Uuid(), nullable=False),
        sa.Column("same_person", sa.Boolean(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["first_id"],
            ["referral.id"],
            name=op.f("fk_duplicate_decision_first_id_referral"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["second_id"],
            ["referral.id"],
            name=op.f("fk_duplicate_decision_second_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_decision")),
        sa.UniqueConstraint("first_id", "second_id", name=op.f("uq_duplicate_decision_first_id")),
    )
    with op.batch_alter_table("duplicate_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duplicate_decision_first_id"), ["first_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_duplicate_decision_second_id"), ["second_id"], unique=False)

    _record_earlier_consent()


def _uk_day(moment: datetime) -> date:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo("Europe/London")).date()


def _record_earlier_consent() -> None:
    """The consent facts that earlier referrals' flags stand for (the flags are kept as the gate)."""
    referral = sa.table(
        "referral",
        sa.column("id", sa.Uuid()),
        sa.column("source", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("consent_to_referral", sa.Boolean()),
        sa.column("consent_to_share", sa.Boolean()),
    )
    record = sa.table(
        "consent_record",
        sa.column("id", sa.Uuid()),
        sa.column("referral_id", sa.Uuid()),
        sa.column("given", sa.Boolean()),
        sa.column("wording", sa.String()),
        sa.column("route", sa.String()),
        sa.column("happened_on", sa.Date()),
        sa.column("recorded_at", sa.DateTime(timezone=True)),
        sa.column("recorded_by_role", sa.String()),
    )
    rows = []
    for found in op.get_bind().execute(sa.select(referral)):
        if found.source == "self":
            wordings, route = ["self-v0"], "self_referral"
        else:
            agreed = [("referral-v1", found.consent_to_referral), ("share-v1", found.consent_to_share)]
            wordings, route = [w for w, given in agreed if given], "professional_form"
        for wording in wordings:
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "referral_id": found.id,
                    "given": True,
                    "wording": wording,
                    "route": route,
                    "happened_on": _uk_day(found.created_at),
                    "recorded_at": found.created_at,
                    "recorded_by_role": "public",
                }
            )
    if rows:
        op.bulk_insert(record, rows)


def downgrade() -> None:
    with op.batch_alter_table("duplicate_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duplicate_decision_second_id"))
        batch_op.drop_index(batch_op.f("ix_duplicate_decision_first_id"))
    op.drop_table("duplicate_decision")
    with op.batch_alter_table("consent_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_record_referral_id"))
    op.drop_table("consent_record")
