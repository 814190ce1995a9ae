"""KPI returns: definitions (seeded with the common set), and sealed, versioned returns

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 17:20:00

The common KPI set from the design brief is written here as data, in force from 2026 Q1. Later
changes are data too: an administrator adds or retires a definition from a given quarter on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FROM_QUARTER = 20261

# code, label, unit, description, pre-filled by the hub, breakdown, the total its parts add up to
COMMON_SET = [
    (
        "referrals_allocated",
        "Referrals offered to you",
        "count",
        "Offers made by the triage team in the quarter, including any you later declined.",
        True,
        None,
        None,
    ),
    (
        "self_referrals",
        "Of which, people who referred themselves",
        "count",
        "Offers in the quarter where the person referred themselves.",
        True,
        None,
        None,
    ),
    ("accepted", "Referrals accepted", "count", "Offers you accepted in the quarter.", True, None, None),
    ("declined", "Referrals declined", "count", "Offers you declined in the quarter.", True, None, None),
    (
        "declined_no_capacity",
        "Declined: no space",
        "count",
        "Offers declined in the quarter for this reason.",
        True,
        "Reason for declining",
        "declined",
    ),
    (
        "declined_not_our_specialism",
        "Declined: support asked for not offered",
        "count",
        "Offers declined in the quarter for this reason.",
        True,
        "Reason for declining",
        "declined",
    ),
    (
        "declined_outside_area",
        "Declined: outside the area",
        "count",
        "Offers declined in the quarter for this reason.",
        True,
        "Reason for declining",
        "declined",
    ),
    (
        "declined_risk_too_high",
        "Declined: risks need a different service",
        "count",
        "Offers declined in the quarter for this reason.",
        True,
        "Reason for declining",
        "declined",
    ),
    (
        "declined_already_supported",
        "Declined: already supported",
        "count",
        "Offers declined in the quarter for this reason.",
        True,
        "Reason for declining",
        "declined",
    ),
    (
        "declined_other",
        "Declined: another reason",
        "count",
        "Offers declined in the quarter for this reason.",
        True,
        "Reason for declining",
        "declined",
    ),
    (
        "median_days_to_allocation",
        "Median days from referral to allocation",
        "days",
        "For offers made in the quarter: calendar days from the referral arriving to the offer.",
        True,
        None,
        None,
    ),
    (
        "median_days_to_first_contact",
        "Median days from allocation to first contact",
        "days",
        "For first contacts made in the quarter: calendar days from the offer to the first contact.",
        True,
        None,
        None,
    ),
    (
        "first_contact_within_5_days_pct",
        "First contact within 5 working days",
        "percentage",
        "Of first contacts made in the quarter, the share made within 5 working days of the offer (England's bank holidays are not working days).",
        True,
        None,
        None,
    ),
    (
        "waiting_at_quarter_end",
        "People waiting for a first appointment at the end of the quarter",
        "count",
        "Referrals you had accepted with no first contact yet, on the quarter's last day. The pathway's aim is none.",
        True,
        None,
        None,
    ),
    (
        "people_supported",
        "People supported in the quarter",
        "count",
        "Everyone you supported at any time in the quarter.",
        False,
        None,
        None,
    ),
    (
        "new_starts",
        "New people starting support",
        "count",
        "People whose support started in the quarter.",
        False,
        None,
        None,
    ),
    ("sessions_one_to_one", "One-to-one sessions delivered", "count", "", False, None, None),
    ("group_sessions", "Group sessions delivered", "count", "", False, None, None),
    (
        "sessions_not_attended",
        "Sessions not attended",
        "count",
        "Sessions offered that the person did not attend.",
        False,
        None,
        None,
    ),
    ("planned_endings", "Planned endings", "count", "Support that ended as planned.", False, None, None),
    (
        "unplanned_endings",
        "Unplanned endings",
        "count",
        "Support that ended early or without a plan.",
        False,
        None,
        None,
    ),
    (
        "outcome_measured",
        "People with an outcome measure at start and end",
        "count",
        "For example CORE-10.",
        False,
        None,
        None,
    ),
    ("reliable_improvement", "Of those, people showing reliable improvement", "count", "", False, None, None),
    (
        "felt_safer_pct",
        "People who said they felt safer",
        "percentage",
        "Of those who gave feedback.",
        False,
        None,
        None,
    ),
    (
        "satisfied_pct",
        "People satisfied with their support",
        "percentage",
        "Of those who gave feedback.",
        False,
        None,
        None,
    ),
    (
        "age_under_25",
        "Age: under 25",
        "count",
        "People supported in the quarter, by age band.",
        False,
        "Age band",
        "people_supported",
    ),
    (
        "age_25_to_44",
        "Age: 25 to 44",
        "count",
        "People supported in the quarter, by age band.",
        False,
        "Age band",
        "people_supported",
    ),
    (
        "age_45_to_64",
        "Age: 45 to 64",
        "count",
        "People supported in the quarter, by age band.",
        False,
        "Age band",
        "people_supported",
    ),
    (
        "age_65_plus",
        "Age: 65 and over",
        "count",
        "People supported in the quarter, by age band.",
        False,
        "Age band",
        "people_supported",
    ),
    (
        "age_not_known",
        "Age: not known",
        "count",
        "People supported in the quarter, by age band.",
        False,
        "Age band",
        "people_supported",
    ),
    (
        "gender_woman",
        "Gender: woman",
        "count",
        "People supported in the quarter, by gender.",
        False,
        "Gender",
        "people_supported",
    ),
    (
        "gender_man",
        "Gender: man",
        "count",
        "People supported in the quarter, by gender.",
        False,
        "Gender",
        "people_supported",
    ),
    (
        "gender_other",
        "Gender: another gender",
        "count",
        "People supported in the quarter, by gender.",
        False,
        "Gender",
        "people_supported",
    ),
    (
        "gender_not_known",
        "Gender: not known",
        "count",
        "People supported in the quarter, by gender.",
        False,
        "Gender",
        "people_supported",
    ),
    (
        "ethnicity_white",
        "Ethnicity: White",
        "count",
        "People supported in the quarter, by ethnic group.",
        False,
        "Ethnicity",
        "people_supported",
    ),
    (
        "ethnicity_mixed",
        "Ethnicity: Mixed or multiple ethnic groups",
        "count",
        "People supported in the quarter, by ethnic group.",
        False,
        "Ethnicity",
        "people_supported",
    ),
    (
        "ethnicity_asian",
        "Ethnicity: Asian or Asian British",
        "count",
        "People supported in the quarter, by ethnic group.",
        False,
        "Ethnicity",
        "people_supported",
    ),
    (
        "ethnicity_black",
        "Ethnicity: Black, Black British, Caribbean or African",
        "count",
        "People supported in the quarter, by ethnic group.",
        False,
        "Ethnicity",
        "people_supported",
    ),
    (
        "ethnicity_other",
        "Ethnicity: Another ethnic group",
        "count",
        "People supported in the quarter, by ethnic group.",
        False,
        "Ethnicity",
        "people_supported",
    ),
    (
        "ethnicity_not_known",
        "Ethnicity: Not known",
        "count",
        "People supported in the quarter, by ethnic group.",
        False,
        "Ethnicity",
        "people_supported",
    ),
    (
        "disability_yes",
        "Disability: disabled",
        "count",
        "People supported in the quarter, by disability.",
        False,
        "Disability",
        "people_supported",
    ),
    (
        "disability_no",
        "Disability: not disabled",
        "count",
        "People supported in the quarter, by disability.",
        False,
        "Disability",
        "people_supported",
    ),
    (
        "disability_not_known",
        "Disability: not known",
        "count",
        "People supported in the quarter, by disability.",
        False,
        "Disability",
        "people_supported",
    ),
]


def upgrade() -> None:
    definitions = op.create_table(
        "kpi_definition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column(
            "unit",
            sa.Enum("count", "days", "percentage", name="unit", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("prefilled", sa.Boolean(), nullable=False),
        sa.Column("breakdown", sa.String(length=60), nullable=True),
        sa.Column("sums_to", sa.String(length=60), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("from_quarter", sa.Integer(), nullable=False),
        sa.Column("until_quarter", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_definition")),
        sa.UniqueConstraint("code", "from_quarter", name=op.f("uq_kpi_definition_code")),
    )
    op.create_table(
        "kpi_return",
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("draft", "submitted", name="returnstate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by", sa.Uuid(), nullable=True),
        sa.Column("figures_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("reasons_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("amendment_reason_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_kpi_return_provider_id_provider"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_return")),
        sa.UniqueConstraint("provider_id", "quarter", "version", name=op.f("uq_kpi_return_provider_id")),
    )
    with op.batch_alter_table("kpi_return", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kpi_return_provider_id"), ["provider_id"], unique=False)
    op.bulk_insert(
        definitions,
        [
            {
                "code": code,
                "label": label,
                "unit": unit,
                "description": description,
                "prefilled": prefilled,
                "breakdown": breakdown,
                "sums_to": sums_to,
                "position": position * 10,
                "from_quarter": FROM_QUARTER,
                "until_quarter": None,
            }
            for position, (code, label, unit, description, prefilled, breakdown, sums_to) in enumerate(
                COMMON_SET
            )
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("kpi_return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kpi_return_provider_id"))
    op.drop_table("kpi_return")
    op.drop_table("kpi_definition")
