"""The figures the hub knows from its own records, for one provider and quarter, each with how it was
counted. Quarters run in UK time; days are calendar days unless a figure says working days."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.calendar import Quarter, day_of, working_days_between
from hub.config import current_config
from hub.kpi.feedback_figures import feedback_figures
from hub.kpi.models import Prefilled, Unit, share
from hub.kpi.outcome_figures import outcome_figures
from hub.referrals.models import Allocation, AllocationStatus, DeclineReason, Referral, ReferralSource
from hub.referrals.triage import in_time


def _median(values: list[int]) -> float | None:
    return round(float(statistics.median(values)), 1) if values else None


@dataclass(frozen=True)
class _Counted:
    """One provider's allocations that one quarter's figures count, read in a few queries."""

    offers: list[tuple[Allocation, datetime, ReferralSource]]  # offered in it, with the referral's arrival
    decided: list[Allocation]  # accepted or declined in it
    contacted: list[Allocation]  # first contact made in it
    accepted_by_end: list[Allocation]


def _counted(db: Session, provider_id: int, quarter: Quarter) -> _Counted:
    starts, ends = quarter.starts, quarter.ends
    mine = Allocation.provider_id == provider_id
    return _Counted(
        offers=[
            (allocation, received, source)
            for allocation, received, source in db.execute(
                select(Allocation, Referral.created_at, Referral.source)
                .join(Referral)
                .where(mine, Allocation.created_at >= starts, Allocation.created_at < ends)
            )
        ],
        decided=list(
            db.scalars(
                select(Allocation).where(mine, Allocation.decided_at >= starts, Allocation.decided_at < ends)
            )
        ),
        contacted=list(
            db.scalars(
                select(Allocation).where(
                    mine,
                    Allocation.first_contact_on >= quarter.first_day,
                    Allocation.first_contact_on <= quarter.last_day,
                )
            )
        ),
        accepted_by_end=list(
            db.scalars(
                select(Allocation).where(
                    mine, Allocation.status == AllocationStatus.ACCEPTED, Allocation.decided_at < ends
                )
            )
        ),
    )


def _span(quarter: Quarter) -> str:
    return f"{quarter.first_day.strftime('%-d %B')} to {quarter.last_day.strftime('%-d %B %Y')} (UK time)"


def prefill(db: Session, provider_id: int, quarter: Quarter) -> dict[str, Prefilled]:
    """Every pre-filled figure for the provider's return (read from allocations, in a few queries)."""
    counted = _counted(db, provider_id, quarter)
    return {
        **_offers_and_decisions(counted, _span(quarter)),
        **_days_taken(counted, _span(quarter)),
        "waiting_at_quarter_end": _waiting(counted, quarter),
        **outcome_figures(db, provider_id, quarter),
        **feedback_figures(db, provider_id, quarter),
    }


def _offers_and_decisions(counted: _Counted, span: str) -> dict[str, Prefilled]:
    offers, decided = counted.offers, counted.decided
    declined = [a for a in decided if a.status is AllocationStatus.DECLINED]
    found = {
        "referrals_allocated": Prefilled(len(offers), f"Offers made to you from {span}, counted."),
        "self_referrals": Prefilled(
            sum(1 for _, _, source in offers if source is ReferralSource.SELF),
            "Of those offers, the ones where the person referred themselves.",
        ),
        "accepted": Prefilled(
            sum(1 for a in decided if a.status is AllocationStatus.ACCEPTED),
            f"Offers you accepted from {span}.",
        ),
        "declined": Prefilled(len(declined), f"Offers you declined from {span}."),
    }
    for reason in DeclineReason:
        found[f"declined_{reason.value}"] = Prefilled(
            sum(1 for a in declined if a.decline_reason is reason),
            f"Offers declined from {span} with the reason “{reason.label}”.",
        )
    return found


def _days_taken(counted: _Counted, span: str) -> dict[str, Prefilled]:
    contacted = counted.contacted
    to_allocation = [(day_of(a.created_at) - day_of(received)).days for a, received, _ in counted.offers]
    to_contact = [(a.first_contact_on - day_of(a.created_at)).days for a in contacted if a.first_contact_on]
    quick = sum(
        1
        for a in contacted
        if a.first_contact_on and working_days_between(day_of(a.created_at), a.first_contact_on) <= 5
    )
    return {
        "median_days_to_allocation": Prefilled(
            _median(to_allocation),
            f"The median of {len(to_allocation)} offers made from {span}: calendar days from the referral "
            "arriving to the offer.",
        ),
        "median_days_to_first_contact": Prefilled(
            _median(to_contact),
            f"The median of {len(to_contact)} first contacts made from {span}: calendar days from the offer "
            "to the first contact.",
        ),
        "first_contact_within_5_days_pct": Prefilled(
            share(quick, len(contacted)),
            f"{quick} of {len(contacted)} first contacts made from {span} came within 5 working days of the "
            "offer (weekends and England's bank holidays not counted).",
        ),
    }


def _waiting(counted: _Counted, quarter: Quarter) -> Prefilled:
    waiting = [
        a
        for a in counted.accepted_by_end
        if (a.first_contact_on is None or a.first_contact_on > quarter.last_day)
        and (a.closed_at is None or a.closed_at >= quarter.ends)
    ]
    return Prefilled(
        len(waiting),
        f"Referrals you had accepted by {quarter.last_day.strftime('%-d %B %Y')} with no first contact by "
        "then (and not closed).",
    )


def trs_figures(db: Session, quarter: Quarter, overdue_after: int | None = None) -> dict[str, Prefilled]:
    """The triage team's own figures for the quarter, over every provider. ``overdue_after`` is the
    working days a referral may wait for an offer (``HUB_OVERDUE_WORKING_DAYS`` unless given)."""
    starts, ends = quarter.starts, quarter.ends
    offers = db.execute(
        select(Allocation.referral_id, Allocation.created_at, Allocation.status, Referral.created_at)
        .join(Referral)
        # A self-referral made directly to a provider never reached the triage team: left out.
        .where(Allocation.created_at < ends, Referral.direct.is_(False))
        .order_by(Allocation.created_at)
    ).all()
    first_offer: dict[object, datetime] = {}
    offered_before: set[object] = set()
    reallocated = 0
    to_first_offer = []
    first_offers: list[tuple[date, date]] = []  # (arrived, first offered) by UK date
    for referral_id, offered_at, _status, received in offers:
        if referral_id in offered_before and offered_at >= starts:
            reallocated += 1
        if referral_id not in first_offer:
            first_offer[referral_id] = offered_at
            if offered_at >= starts:
                to_first_offer.append((day_of(offered_at) - day_of(received)).days)
                first_offers.append((day_of(received), day_of(offered_at)))
        offered_before.add(referral_id)
    declines = db.scalar(
        select(func.count()).where(
            Allocation.status == AllocationStatus.DECLINED,
            Allocation.decided_at >= starts,
            Allocation.decided_at < ends,
        )
    )
    return {
        "trs_median_days_to_allocation": Prefilled(
            _median(to_first_offer),
            f"The median of {len(to_first_offer)} referrals first offered in the quarter: calendar days from "
            "arriving to the first offer.",
        ),
        "trs_declines": Prefilled(int(declines or 0), "Offers declined by providers in the quarter."),
        "trs_reallocations": Prefilled(reallocated, "Offers in the quarter of referrals offered before."),
        **_working_days(
            first_offers, current_config().overdue_working_days if overdue_after is None else overdue_after
        ),
    }


def _working_days(first_offers: list[tuple[date, date]], overdue_after: int) -> dict[str, Prefilled]:
    """Working days from arriving to the first offer, and how many were offered in time (the triage
    queue's own rule for overdue, ``hub.referrals.triage.in_time``)."""
    days = [working_days_between(arrived, offered) for arrived, offered in first_offers]
    quick = sum(1 for arrived, offered in first_offers if in_time(arrived, offered, overdue_after))
    target = (
        f"within {overdue_after} working days of arriving (weekends and England's bank holidays not counted)"
    )
    return {
        "trs_first_allocations": Prefilled(
            len(first_offers), "Referrals first offered to a provider in the quarter."
        ),
        "trs_median_working_days_to_allocation": Prefilled(
            _median(days),
            f"The median of {len(days)} referrals first offered in the quarter: working days from arriving "
            "to the first offer.",
        ),
        "trs_allocated_in_time": Prefilled(quick, f"Of those, the referrals first offered {target}."),
        "trs_allocated_in_time_pct": Prefilled(
            share(quick, len(first_offers)),
            f"{quick} of {len(first_offers)} referrals first offered in the quarter were offered {target}.",
        ),
    }


TRS_LABELS = {
    "trs_median_days_to_allocation": "Median days from referral to first allocation",
    "trs_declines": "Offers declined by providers",
    "trs_reallocations": "Re-allocations (referrals offered again)",
    "trs_first_allocations": "Referrals first offered to a provider",
    "trs_median_working_days_to_allocation": "Median working days from referral to first allocation",
    "trs_allocated_in_time": "Referrals allocated within the target working days",
    "trs_allocated_in_time_pct": "Share allocated within the target working days (%)",
}
TRS_UNITS = {
    "trs_median_days_to_allocation": Unit.DAYS,
    "trs_declines": Unit.COUNT,
    "trs_reallocations": Unit.COUNT,
    "trs_first_allocations": Unit.COUNT,
    "trs_median_working_days_to_allocation": Unit.DAYS,
    "trs_allocated_in_time": Unit.COUNT,
    "trs_allocated_in_time_pct": Unit.PERCENTAGE,
}
"""What each of the triage team's figures counts in, as a KPI definition's unit says."""
