"""The public pathway report: a commissioner publishes an ended quarter (and may withdraw it), and
``/pathway`` shows the published quarters' figures in plain words, with targets and trends.

What is published is worked out once, when the quarter is published, through the one disclosure rule
(``hub.kpi.disclosure.control``) and frozen in ``KpiQuarter.published_figures``: a later amendment of a
return, or a later change of target, changes nothing the public sees until the quarter is published
again. Every share is worked out from the rounded counts shown beside it, so it gives nothing more away,
and is hidden when those counts are few.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub import audit
from hub.audit import Actor
from hub.calendar import Quarter
from hub.db import committed, utcnow
from hub.kpi import disclosure
from hub.kpi.agencies import received as agencies_received
from hub.kpi.disclosure import Relation, Shown
from hub.kpi.joint import JointQuarter, joint_quarter
from hub.kpi.meeting import shareable
from hub.kpi.models import KpiQuarter, Unit
from hub.kpi.prefill import trs_figures
from hub.kpi.targets import in_force, judge, target_text
from hub.referrals.models import ReferralSource, ReferrerAgency

COUNTS = {
    "received": "Referrals received",
    "received_professional": "from professionals",
    "received_self": "from people referring themselves",
    "first_allocations": "Referrals the triage team allocated to a provider",
    "allocated_in_time": "allocated within the target working days",
    "allocated_later": "allocated later than that",
    "waiting": "People waiting for a first appointment at the end of the quarter",
    "people_supported": "People supported",
    "closed_cases": "People whose support ended after it began",
    "measured": "of them, people with an outcome measure at the start and the end",
    "improved": "of those measured, people whose score improved reliably",
    "not_improved": "of those measured, people whose score did not improve reliably",
    "feedback_responses": "People who told us what they thought",
    "felt_safer": "of them, people who said they felt safer",
    "satisfied": "of them, people who said they were satisfied with their support",
}
AGENCIES = {f"agency_{kind.value}": kind.label for kind in ReferrerAgency} | {
    "agency_not_recorded": "Not recorded (sent before the form asked)"
}
"""Professional referrals by the referrer's kind of organisation: together they are all of them."""
SUMS = [
    Relation(("received_professional", "received_self"), "received"),
    Relation(tuple(AGENCIES), "received_professional"),
    Relation(("allocated_in_time", "allocated_later"), "first_allocations"),
    Relation(("improved", "not_improved"), "measured"),
]
SHARES = {  # a share: (the count, the count it is a share of)
    "in_time_pct": ("allocated_in_time", "first_allocations"),
    "measured_pct": ("measured", "closed_cases"),
    "improved_pct": ("improved", "measured"),
    "felt_safer_pct": ("felt_safer", "feedback_responses"),
    "satisfied_pct": ("satisfied", "feedback_responses"),
}
TARGETS = {  # the code a commissioner sets a target on: the figure on /pathway it is judged against
    "trs_median_working_days_to_allocation": "median_working_days",
    "trs_allocated_in_time_pct": "in_time_pct",
    "waiting_at_quarter_end": "waiting",
    "people_supported": "people_supported",
    "paired_measure_pct": "measured_pct",
    "reliable_improvement": "improved",
    "felt_safer_pct": "felt_safer_pct",
    "satisfied_pct": "satisfied_pct",
}


class NotPublishable(Exception):
    """Nothing was changed; the message says why."""


def publish(db: Session, actor: Actor, quarter: Quarter, threshold: int, overdue_after: int) -> KpiQuarter:
    """Publish an ended quarter on /pathway (again, if it was: the figures are worked out afresh)."""
    if quarter >= Quarter.current():
        raise NotPublishable(f"{quarter.label} has not ended yet, so it cannot be published.")
    if not shareable(quarter):
        raise NotPublishable(
            f"{quarter.label} is older than the quarters the joint return offers, so it cannot be published."
        )
    try:
        with committed(db):
            row = db.get(KpiQuarter, quarter.key) or KpiQuarter(quarter=quarter.key)
            db.add(row)
            row.published_figures = frozen(db, quarter, threshold, overdue_after)
            row.published_at, row.published_by = utcnow(), uuid.UUID(actor.id) if actor.id else None
            db.flush()
            audit.record_as(db, actor, "kpi.quarter_published", "kpi_quarter", quarter.key)
    except IntegrityError as clash:  # another commissioner wrote the quarter's row at the same moment
        raise NotPublishable(f"{quarter.label} was changed at the same moment. Please try again.") from clash
    return row


def withdraw(db: Session, actor: Actor, quarter: Quarter) -> None:
    """Take a quarter off /pathway: nothing of it is shown any more."""
    with committed(db):
        row = db.get(KpiQuarter, quarter.key)
        if row is None or row.published_at is None:
            raise NotPublishable(f"{quarter.label} is not published, so there is nothing to withdraw.")
        row.published_at = row.published_by = row.published_figures = None
        audit.record_as(db, actor, "kpi.quarter_withdrawn", "kpi_quarter", quarter.key)


def is_published(db: Session, quarter: Quarter) -> bool:
    row = db.get(KpiQuarter, quarter.key)
    return row is not None and row.published_at is not None


def frozen(db: Session, quarter: Quarter, threshold: int, overdue_after: int) -> dict[str, Any]:
    """The quarter as /pathway shows it, after disclosure control, ready to be stored as it is."""
    trs = trs_figures(db, quarter, overdue_after)
    joint = joint_quarter(db, quarter)
    values = _counts(db, quarter, joint, trs)
    counts = disclosure.control(values, SUMS, threshold)
    rates: dict[str, Shown] = {
        name: disclosure.share_shown(counts.get(part), counts.get(whole), threshold)
        for name, (part, whole) in SHARES.items()
    }
    median = trs["trs_median_working_days_to_allocation"].value
    rates["median_working_days"] = disclosure.rate_shown(median, values["first_allocations"], threshold)
    return {
        "threshold": threshold,
        "overdue_working_days": overdue_after,
        # Organisations, not people: how many providers' figures are in it, of those expected.
        "providers": {"expected": len(joint.columns), "missing": len(joint.not_submitted)},
        "counts": counts,
        "rates": rates,
        "targets": _targets(db, quarter, {**counts, **rates}),
    }


def _counts(db: Session, quarter: Quarter, joint: JointQuarter, trs: dict[str, Any]) -> dict[str, int | None]:
    arrived = agencies_received(db, quarter)
    received = {s: sum(n for (source, _), n in arrived.items() if source is s) for s in ReferralSource}
    professional = ReferralSource.PROFESSIONAL
    agencies = {f"agency_{kind.value}": arrived.get((professional, kind), 0) for kind in ReferrerAgency}
    agencies["agency_not_recorded"] = arrived.get((professional, None), 0)
    total = _totals(joint)
    first, in_time = trs["trs_first_allocations"].value, trs["trs_allocated_in_time"].value
    measured, improved = total.get("outcome_measured"), total.get("reliable_improvement")
    return {
        "received": sum(received.values()),
        "received_professional": received[ReferralSource.PROFESSIONAL],
        "received_self": received[ReferralSource.SELF],
        "first_allocations": first,
        "allocated_in_time": in_time,
        "allocated_later": first - in_time,
        "waiting": total.get("waiting_at_quarter_end"),
        "people_supported": total.get("people_supported"),
        "closed_cases": total.get("closed_cases"),
        "measured": measured,
        "improved": improved,
        "not_improved": None if measured is None or improved is None else measured - improved,
        "feedback_responses": total.get("feedback_responses"),
        "felt_safer": _answered_yes(joint, "felt_safer_pct"),
        "satisfied": _answered_yes(joint, "satisfied_pct"),
        **agencies,
    }


def _totals(joint: JointQuarter) -> dict[str, int | None]:
    found: dict[str, int | None] = {}
    for definition in joint.definitions:
        if definition.unit is Unit.COUNT:
            total = joint.total(definition)
            found[definition.code] = None if total is None else int(total)
    return found


def _answered_yes(joint: JointQuarter, code: str) -> int | None:
    """People who said yes, across the providers, from each one's share and number of responses."""
    pairs = [(c.figures.get(code), c.figures.get("feedback_responses")) for c in joint.columns if c.figures]
    given = [(share, responses) for share, responses in pairs if share is not None and responses is not None]
    return sum(round(float(share) * float(responses) / 100) for share, responses in given) if given else None


def _targets(db: Session, quarter: Quarter, shown: dict[str, Shown]) -> list[dict[str, Any]]:
    found = []
    for code, target in in_force(db, quarter).items():
        if code not in TARGETS:
            continue
        figure = shown.get(TARGETS[code])
        verdict = judge(figure if isinstance(figure, int | float) else None, target)
        found.append(
            {
                "figure": TARGETS[code],
                "target": target_text(target),
                "why": target.why,
                "met": verdict.met,
                "symbol": verdict.symbol,
                "words": verdict.words,
            }
        )
    return found


@dataclass(frozen=True)
class Published:
    quarter: Quarter
    figures: dict[str, Any]

    def count(self, name: str) -> Shown:
        found: Shown = self.figures["counts"].get(name)
        return found

    def rate(self, name: str) -> Shown:
        found: Shown = self.figures["rates"].get(name)
        return found

    @property
    def missing(self) -> tuple[int, int]:
        """How many providers had sent no figures when it was published, of how many expected."""
        providers = self.figures.get("providers", {})
        return int(providers.get("missing", 0)), int(providers.get("expected", 0))

    def target_for(self, name: str) -> dict[str, Any] | None:
        return next((t for t in self.figures["targets"] if t["figure"] == name), None)


def published(db: Session) -> list[Published]:
    """Every published quarter, newest first."""
    rows = db.scalars(
        select(KpiQuarter).where(KpiQuarter.published_at.is_not(None)).order_by(KpiQuarter.quarter.desc())
    )
    return [Published(Quarter.from_key(r.quarter), r.published_figures) for r in rows if r.published_figures]
