"""The TRS triage queue: referrals waiting for a provider, risk first, then longest waiting.

The queue shows no personal data (reference, source, dates, flags and what support is asked for), so
listing it is not a view of anyone's answers. A page costs the same few statements whatever the
queue's length: one count, one page of referrals, one for their specialisms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, func, select, text, union_all
from sqlalchemy.orm import Session, selectinload

from hub.calendar import LOCAL_TIME, day_of, working_days_between
from hub.providers.models import Specialism
from hub.referrals import states
from hub.referrals.models import WAITING_CONDITION, EventKind, Referral, ReferralSource, ReferralStatus

PER_PAGE = 50
Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True)
class Filters:
    source: ReferralSource | None = None
    specialism: str | None = None
    under_18: bool = False
    duplicate: bool = False
    returned: bool = False
    # Instead of the queue: the referrals put aside while more information is sought.
    info_requested: bool = False
    # Professional referrals where the person has not (yet) agreed to their details being shared.
    consent_needed: bool = False
    # Only those overdue: arrived before this moment (see :func:`overdue_before`).
    arrived_before: datetime | None = None


@dataclass
class QueueRow:
    referral: Referral
    working_days: int
    overdue: bool


@dataclass
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int
    filters: Filters = field(default_factory=Filters)


def _filtered(query: Q, filters: Filters) -> Q:
    if filters.info_requested:
        query = query.where(Referral.status == ReferralStatus.INFO_REQUESTED)
    elif filters.consent_needed:
        # Wherever consent can be recorded (every open stage), so that a referral offered before consent
        # was enforced is found too.
        query = query.where(Referral.status.in_(sorted(states.MOVES[EventKind.CONSENT_RECORDED].from_)))
    else:
        query = query.where(text(WAITING_CONDITION))
    if filters.source is not None:
        query = query.where(Referral.source == filters.source)
    if filters.specialism:
        query = query.where(Referral.specialisms.any(Specialism.code == filters.specialism))
    if filters.under_18:
        query = query.where(Referral.under_18.is_(True))
    if filters.duplicate:
        query = query.where(Referral.possible_duplicate.is_(True))
    if filters.consent_needed:
        query = query.where(Referral.consent_to_share.is_(False))
    if filters.returned:
        query = query.where(Referral.status == ReferralStatus.DECLINED_BY_PROVIDER)
    if filters.arrived_before is not None:
        query = query.where(Referral.created_at < filters.arrived_before)
    return query


def in_time(arrived_on: date, offered_on: date, overdue_after: int) -> bool:
    """The one rule for "in time": offered within ``overdue_after`` working days of arriving (by UK
    date). A referral not offered by then is overdue (:func:`overdue_before`)."""
    return working_days_between(arrived_on, offered_on) <= overdue_after


def overdue_before(now: datetime, overdue_after: int) -> datetime:
    """The one rule for "overdue": a referral that arrived before this moment has waited more than
    ``overdue_after`` working days by ``now``'s UK date (days are counted by UK date, not by hours)."""
    today = day_of(now)
    last_overdue_day = today
    while in_time(last_overdue_day, today, overdue_after):
        last_overdue_day -= timedelta(days=1)
    following = last_overdue_day + timedelta(days=1)
    return datetime.combine(following, time(), LOCAL_TIME).astimezone(UTC)


@dataclass(frozen=True)
class QueueCounts:
    waiting: int
    overdue: int
    returned: int
    info_requested: int


def counts(db: Session, overdue_after: int, now: datetime) -> QueueCounts:
    """The queue at a glance: waiting for a provider, of those overdue and returned by a provider, and
    put aside while more information is sought. Two statements, whatever the queue's length."""
    late = Referral.created_at < overdue_before(now, overdue_after)
    returned = Referral.status == ReferralStatus.DECLINED_BY_PROVIDER
    waiting, overdue, back = db.execute(
        select(func.count(), func.count().filter(late), func.count().filter(returned))
        .select_from(Referral)
        .where(text(WAITING_CONDITION))
    ).one()
    info = db.scalar(
        select(func.count()).select_from(Referral).where(Referral.status == ReferralStatus.INFO_REQUESTED)
    )
    return QueueCounts(waiting, overdue, back, info or 0)


def queue(db: Session, filters: Filters, page: int, overdue_after: int, now: datetime) -> QueuePage:
    """One page of the queue. Reported risks first, then the longest waiting.

    The order is read from the index ``ix_referral_waiting`` (risk flag, arrival, id) rather than by
    sorting every waiting referral: the page is the risk-flagged part of the window followed by the
    rest, each read in index order, in one statement; then the page's referrals are loaded by id.
    """
    counted = _filtered(
        select(func.count(Referral.id), func.count(Referral.id).filter(Referral.risk_flagged.is_(True))),
        filters,
    )
    total, flagged = db.execute(counted).one()
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(page, 1), pages)
    start = (page - 1) * PER_PAGE
    from_flagged = max(0, min(PER_PAGE, flagged - start))

    def part(risk: bool, skip: int, take: int) -> Any:
        return (
            _filtered(select(Referral.id, Referral.risk_flagged, Referral.created_at), filters)
            .where(Referral.risk_flagged.is_(risk))
            .order_by(Referral.created_at, Referral.id)
            .offset(skip)
            .limit(take)
            .subquery()
        )

    window = union_all(
        select(part(True, start, from_flagged)),
        select(part(False, max(0, start - flagged), PER_PAGE - from_flagged)),
    )
    ordered = [row.id for row in sorted(db.execute(window), key=lambda r: (not r[1], r[2], r[0]))]
    found = {
        referral.id: referral
        for referral in db.scalars(
            select(Referral).where(Referral.id.in_(ordered)).options(selectinload(Referral.specialisms))
        )
    }
    today, late = day_of(now), overdue_before(now, overdue_after)
    rows = []
    for referral_id in ordered:
        referral = found[referral_id]
        waited = working_days_between(day_of(referral.created_at), today)
        rows.append(QueueRow(referral, waited, referral.created_at < late))
    return QueuePage(rows, total, page, pages, filters)
