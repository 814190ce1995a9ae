"""validated outcome measures as data, measures recorded on cases, and the outcome KPIs counted from them

Adds the registry of outcome measures (seeded with CORE-10, PHQ-9 and GAD-7, each with its thresholds
and their citation, so a council can correct them) and the measures recorded on a case (the item
scores sealed; never a question's wording).

From October to December 2026 (quarter 20264) the return's outcome figures are counted by the hub:
``outcome_measured`` and ``reliable_improvement`` get new definitions under the same codes (so trends and
the joint view run on across the change), and ``closed_cases``, ``paired_measure_pct`` and the "Change"
breakdown are added. The old definitions end with July to September 2026.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-10 09:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FROM_QUARTER = 20264
OLD_UNTIL = 20263
REDEFINED = ("outcome_measured", "reliable_improvement")
SEEDED_AT = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)

TALKING_THERAPIES = (
    "NHS Talking Therapies for anxiety and depression manual (NHS England), which uses these thresholds "
    "for caseness and reliable change."
)
MEASURES = [
    {
        "code": "core-10",
        "name": "CORE-10",
        "version": "2013",
        "item_count": 10,
        "item_min": 0,
        "item_max": 4,
        "reverse_items": [2, 3],
        "risk_items": [6],
        "total": "sum",
        "conversion": None,
        "higher_is_worse": True,
        "clinical_cutoff": 11.0,
        "reliable_change": 6.0,
        "licence": "Free to use under the CORE System Trust's licence: it may be copied freely, but not "
        "changed or sold.",
        "source": "Barkham, M. et al. (2013) The CORE-10: a short measure of psychological distress for "
        "routine use in the psychological therapies. Counselling and Psychotherapy Research 13(1):3-13. "
        "Clinical cut-off 11 (a total of 11 or more is in the clinical range); reliable change 6 points.",
    },
    {
        "code": "phq-9",
        "name": "PHQ-9",
        "version": "2001",
        "item_count": 9,
        "item_min": 0,
        "item_max": 3,
        "reverse_items": [],
        "risk_items": [9],
        "total": "sum",
        "conversion": None,
        "higher_is_worse": True,
        "clinical_cutoff": 10.0,
        "reliable_change": 6.0,
        "licence": "Free to use; no permission is needed to copy, translate, display or share it.",
        "source": "Kroenke, K., Spitzer, R. L. and Williams, J. B. W. (2001) The PHQ-9: validity of a brief "
        "depression severity measure. Journal of General Internal Medicine 16(9):606-613. Caseness 10 (a "
        "total of 10 or more); reliable change 6 points, as in the " + TALKING_THERAPIES,
    },
    {
        "code": "gad-7",
        "name": "GAD-7",
        "version": "2006",
        "item_count": 7,
        "item_min": 0,
        "item_max": 3,
        "reverse_items": [],
        "risk_items": [],
        "total": "sum",
        "conversion": None,
        "higher_is_worse": True,
        "clinical_cutoff": 8.0,
        "reliable_change": 4.0,
        "licence": "Free to use; no permission is needed to copy, translate, display or share it.",
        "source": "Spitzer, R. L. et al. (2006) A brief measure for assessing generalized anxiety "
        "disorder: the GAD-7. Archives of Internal Medicine 166(10):1092-1097. Caseness 8 (a total of 8 "
        "or more); reliable change 4 points, as in the " + TALKING_THERAPIES,
    },
]

COUNTED = (
    "Counted by the hub from the measures recorded on your cases. For each case closed in the quarter, "
    "a start and an end of the same measure are paired: the earliest record at the start and the latest "
    "at the end. If a case has more than one measure paired, the one first in the list of measures "
    "counts (CORE-10, then PHQ-9, then GAD-7, then any added later)."
)
CHANGE = "Change"
# code, label, unit, description, breakdown, sums_to, position
DEFINITIONS = [
    (
        "closed_cases",
        "Cases closed in the quarter after support began",
        "count",
        "Your cases from the hub that closed in the quarter after a first contact, however support ended "
        "(a case closed with no contact had no support to measure).",
        None,
        None,
        201,
    ),
    (
        "outcome_measured",
        "People with an outcome measure at start and end",
        "count",
        "Of the cases closed in the quarter, those with a start and an end record of the same measure. "
        + COUNTED,
        None,
        None,
        210,
    ),
    (
        "paired_measure_pct",
        "Closed cases with a start and end measure",
        "percentage",
        "The share of the cases closed in the quarter that have a start and an end record of the same "
        "measure. It is shown beside every outcome figure, so a provider that measures fewer people "
        "cannot look better.",
        None,
        None,
        211,
    ),
    (
        "reliable_improvement",
        "Of those, people showing reliable improvement",
        "count",
        "People whose score improved by at least the measure's reliable change (Jacobson and Truax), "
        "with or without clinically significant change: the recovered and the improved below.",
        None,
        None,
        220,
    ),
    (
        "change_recovered",
        "Change: reliable and clinically significant improvement",
        "count",
        "A reliable improvement, from the clinical range at the start to out of it at the end (recovered).",
        CHANGE,
        "outcome_measured",
        221,
    ),
    (
        "change_improved",
        "Change: reliable improvement only",
        "count",
        "A reliable improvement that did not take the person from the clinical range to out of it.",
        CHANGE,
        "outcome_measured",
        222,
    ),
    (
        "change_no_change",
        "Change: no reliable change",
        "count",
        "A change smaller than the measure's reliable change, either way.",
        CHANGE,
        "outcome_measured",
        223,
    ),
    (
        "change_deteriorated",
        "Change: reliable deterioration",
        "count",
        "The score got worse by at least the measure's reliable change.",
        CHANGE,
        "outcome_measured",
        224,
    ),
]


def upgrade() -> None:
    measures = op.create_table(
        "outcome_measure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("item_min", sa.Integer(), nullable=False),
        sa.Column("item_max", sa.Integer(), nullable=False),
        sa.Column("reverse_items", sa.JSON(), nullable=False),
        sa.Column("risk_items", sa.JSON(), nullable=False),
        sa.Column(
            "total", sa.Enum("sum", "table", name="total", native_enum=False, length=32), nullable=False
        ),
        sa.Column("conversion", sa.JSON(), nullable=True),
        sa.Column("higher_is_worse", sa.Boolean(), nullable=False),
        sa.Column("clinical_cutoff", sa.Float(), nullable=False),
        sa.Column("reliable_change", sa.Float(), nullable=False),
        sa.Column("licence", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_measure")),
        sa.UniqueConstraint("code", name=op.f("uq_outcome_measure_code")),
    )
    op.create_table(
        "measure_record",
        sa.Column("allocation_id", sa.Uuid(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column(
            "point",
            sa.Enum("start", "review", "end", name="measurepoint", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("items_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["allocation.id"],
            name=op.f("fk_measure_record_allocation_id_allocation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["outcome_measure.id"],
            name=op.f("fk_measure_record_measure_id_outcome_measure"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_record")),
    )
    with op.batch_alter_table("measure_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_measure_record_allocation_id"), ["allocation_id"], unique=False)
    op.bulk_insert(measures, [{**m, "created_at": SEEDED_AT, "retired_at": None} for m in MEASURES])

    definition = sa.table(
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
    op.execute(
        definition.update()
        .where(definition.c.code.in_(REDEFINED), definition.c.until_quarter.is_(None))
        .values(until_quarter=OLD_UNTIL)
    )
    op.bulk_insert(
        definition,
        [
            {
                "code": code,
                "label": label,
                "unit": unit,
                "description": description,
                "prefilled": True,
                "breakdown": breakdown,
                "sums_to": sums_to,
                "position": position,
                "from_quarter": FROM_QUARTER,
                "until_quarter": None,
            }
            for code, label, unit, description, breakdown, sums_to, position in DEFINITIONS
        ],
    )


def downgrade() -> None:
    definition = sa.table(
        "kpi_definition",
        sa.column("code", sa.String),
        sa.column("from_quarter", sa.Integer),
        sa.column("until_quarter", sa.Integer),
    )
    codes = [row[0] for row in DEFINITIONS]
    op.execute(
        definition.delete().where(definition.c.code.in_(codes), definition.c.from_quarter == FROM_QUARTER)
    )
    op.execute(
        definition.update()
        .where(definition.c.code.in_(REDEFINED), definition.c.until_quarter == OLD_UNTIL)
        .values(until_quarter=None)
    )
    with op.batch_alter_table("measure_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measure_record_allocation_id"))
    op.drop_table("measure_record")
    op.drop_table("outcome_measure")
