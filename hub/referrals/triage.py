"""The TRS triage queue: referrals waiting for a provider, risk first, then longest waiting.

The queue shows no personal data (reference, source, dates, flags and what support is asked for), so
listing it is not a view of anyone's answers. A page costs the same few statements whatever the
queue's length: one count, one page of referrals, one for their specialisms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from hub.providers.models import Specialism
from hub.referrals.models import Referral, ReferralSource, ReferralStatus

WAITING = (ReferralStatus.SUBMITTED, ReferralStatus.DECLINED_BY_PROVIDER)
PER_PAGE = 50
LOCAL_TIME = ZoneInfo("Europe/London")


@lru_cache(maxsize=8)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=[year]))


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (England's bank holidays are not)."""
    days, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in _bank_holidays(current.year):
            days += 1
    return days


@dataclass(frozen=True)
class Filters:
    source: ReferralSource | None = None
    specialism: str | None = None
    under_18: bool = False
    duplicate: bool = False
    returned: bool = False
    # Instead of the queue: the referrals put aside while more information is sought.
    info_requested: bool = False


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


def _filtered(query: Select[Any], filters: Filters) -> Select[Any]:
    if filters.info_requested:
        query = query.where(Referral.status == ReferralStatus.INFO_REQUESTED)
    else:
        query = query.where(Referral.status.in_(WAITING))
    if filters.source is not None:
        query = query.where(Referral.source == filters.source)
    if filters.specialism:
        query = query.where(Referral.specialisms.any(Specialism.code == filters.specialism))
    if filters.under_18:
        query = query.where(Referral.under_18.is_(True))
    if filters.duplicate:
        query = query.where(Referral.possible_duplicate.is_(True))
    if filters.returned:
        query = query.where(Referral.status == ReferralStatus.DECLINED_BY_PROVIDER)
    return query


def queue(db: Session, filters: Filters, page: int, overdue_after: int, now: datetime) -> QueuePage:
    total: int = db.scalar(_filtered(select(func.count(Referral.id)), filters)) or 0
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(page, 1), pages)
    query = (
        _filtered(select(Referral), filters)
        .options(selectinload(Referral.specialisms))
        .order_by(Referral.risk_flagged.desc(), Referral.created_at, Referral.id)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    )
    today = now.astimezone(LOCAL_TIME).date()
    rows = []
    for referral in db.scalars(query):
        waited = working_days_between(referral.created_at.astimezone(LOCAL_TIME).date(), today)
        rows.append(QueueRow(referral, waited, waited > overdue_after))
    return QueuePage(rows, total, page, pages, filters)
