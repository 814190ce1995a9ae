"""The return's outcome figures, counted from the outcome measures recorded on the provider's cases.

For each case the provider closed in the quarter, each measure's start and end are paired by the one
rule in ``hub.referrals.outcomes.pair_of`` (the earliest record at the start, the latest at the end).
If a case has more than one measure paired, the one first in the list of measures counts, so each
person is counted once. Beside every outcome figure the share of closed cases with a pair is shown, so
a provider that measures fewer people cannot look better.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.calendar import Quarter
from hub.kpi.models import Prefilled, share
from hub.measures.scoring import Change
from hub.referrals.models import Allocation
from hub.referrals.outcomes import pairs, records_of

OUTCOME_CODES = (
    "outcome_measured",
    "reliable_improvement",
    "change_recovered",
    "change_improved",
    "change_no_change",
    "change_deteriorated",
)
"""The figures beside which the share of closed cases measured (``paired_measure_pct``) is shown."""
SHARE_CODE = "paired_measure_pct"
PAIRING = (
    "For each case closed in the quarter after support began, the earliest record at the start and the "
    "latest at the end of the same measure (not taken before that start) are paired; if more than one "
    "measure is paired, the first in the list of measures counts."
)


CHANGE_WORDS = {
    Change.RECOVERED: "a reliable and clinically significant improvement",
    Change.IMPROVED: "a reliable improvement only",
    Change.NO_CHANGE: "no reliable change",
    Change.DETERIORATED: "a reliable deterioration",
}


def _closed_after_support(db: Session, provider_id: int, quarter: Quarter) -> list[uuid.UUID]:
    """The provider's cases closed in the quarter after a first contact: only these can be measured."""
    return list(
        db.scalars(
            select(Allocation.id).where(
                Allocation.provider_id == provider_id,
                Allocation.closed_at >= quarter.starts,
                Allocation.closed_at < quarter.ends,
                Allocation.first_contact_on.is_not(None),
            )
        )
    )


def outcome_figures(db: Session, provider_id: int, quarter: Quarter) -> dict[str, Prefilled]:
    """Cases closed, people with a paired measure, the share, and each Jacobson-Truax change."""
    closed = _closed_after_support(db, provider_id, quarter)
    changes = []
    for records in records_of(db, closed).values():
        found = pairs(records)
        if found:
            changes.append(found[0].change)
    paired, count = len(changes), {change: changes.count(change) for change in Change}
    span = f"{quarter.first_day.strftime('%-d %B')} to {quarter.last_day.strftime('%-d %B %Y')}"
    return {
        "closed_cases": Prefilled(
            len(closed),
            f"Your cases closed from {span} (UK time) after a first contact, however support ended. "
            "A case closed with no contact had no support to measure, so it is not counted.",
        ),
        "outcome_measured": Prefilled(
            paired,
            f"{paired} of the {len(closed)} cases closed from {span} have a start and end measure. {PAIRING}",
        ),
        SHARE_CODE: Prefilled(
            share(paired, len(closed)),
            f"{paired} of {len(closed)} cases closed from {span} have a start and end measure.",
        ),
        "reliable_improvement": Prefilled(
            count[Change.RECOVERED] + count[Change.IMPROVED],
            "Of those measured, people whose score improved by at least the measure's reliable change "
            "(with or without clinically significant change).",
        ),
        **{
            f"change_{change.value}": Prefilled(
                count[change], f"Of those measured, people with {CHANGE_WORDS[change]}."
            )
            for change in Change
        },
    }
