"""Referrals received in a quarter, by who made them: each kind of organisation that refers, then
professional referrals sent before the form asked, then people who referred themselves.

Counted in SQL from plain columns (``referral.source``, ``referral.referrer_agency``), so no sealed value
is opened. A referral counts in the quarter it arrived (UK time), whatever happened to it since.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.calendar import Quarter
from hub.referrals.models import Referral, ReferralSource, ReferrerAgency

NOT_RECORDED = "Not recorded"
"""Professional referrals sent before the form asked the kind of organisation."""
SELF_REFERRALS = "Self-referrals"
"""People who referred themselves, through the hub's form or directly to a provider."""


Received = dict[tuple[ReferralSource, ReferrerAgency | None], int]


def received(db: Session, quarter: Quarter) -> Received:
    """How many referrals arrived in the quarter (UK time), by source and the referrer's kind of
    organisation (none for self-referrals, and for professional referrals sent before the form asked)."""
    return {
        (source, agency): int(count)
        for source, agency, count in db.execute(
            select(Referral.source, Referral.referrer_agency, func.count())
            .where(Referral.created_at >= quarter.starts, Referral.created_at < quarter.ends)
            .group_by(Referral.source, Referral.referrer_agency)
        )
    }


def referrals_by_agency(db: Session, quarter: Quarter) -> list[tuple[str, int]]:
    """Each kind of organisation's label and how many professional referrals it made in the quarter, in
    the fixed order (none is left out, so a count of 0 shows), then "Not recorded", then self-referrals."""
    counts = received(db, quarter)
    professional = ReferralSource.PROFESSIONAL
    found = [(agency.label, counts.get((professional, agency), 0)) for agency in ReferrerAgency]
    found.append((NOT_RECORDED, counts.get((professional, None), 0)))
    self_made = sum(n for (source, _), n in counts.items() if source is ReferralSource.SELF)
    found.append((SELF_REFERRALS, self_made))
    return found
