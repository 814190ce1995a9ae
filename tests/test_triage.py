"""The triage queue: risk first then longest waiting, filters, overdue after working days, pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from hub.auth.models import Role
from hub.calendar import working_days_between
from hub.referrals.models import Referral, ReferralSource, ReferralStatus
from hub.referrals.triage import PER_PAGE, Filters, queue

from . import factories
from .staff import signed_in


def waiting(db: Session, created: datetime, **fields: object) -> Referral:
    referral = factories.referral(db, **fields)
    referral.created_at = created
    return referral


def test_working_days_skip_weekends_and_bank_holidays() -> None:
    # Thursday 24 December 2026 to Thursday 31 December: Christmas Day (Fri) and Boxing Day
    # substitute (Mon 28th) are bank holidays, so 26-27 is a weekend and only 29, 30, 31 count.
    assert working_days_between(date(2026, 12, 24), date(2026, 12, 31)) == 3
    assert working_days_between(date(2026, 11, 23), date(2026, 11, 30)) == 5


def test_the_queue_puts_risk_first_then_the_longest_waiting(db_session: Session) -> None:
    newer = waiting(db_session, datetime(2026, 11, 20, tzinfo=UTC))
    older = waiting(db_session, datetime(2026, 11, 2, tzinfo=UTC))
    risky = waiting(db_session, datetime(2026, 11, 25, tzinfo=UTC), risk_flagged=True)
    waiting(db_session, datetime(2026, 11, 1, tzinfo=UTC), status=ReferralStatus.ALLOCATED)
    page = queue(db_session, Filters(), 1, 5, datetime(2026, 11, 26, 12, tzinfo=UTC))
    assert [row.referral.id for row in page.rows] == [risky.id, older.id, newer.id]
    assert [row.overdue for row in page.rows] == [False, True, False]


def test_an_overdue_badge_counts_working_days_across_a_bank_holiday(app: Flask, db_session: Session) -> None:
    referral = waiting(db_session, datetime(2026, 12, 21, 10, tzinfo=UTC))  # Monday before Christmas
    # 22, 23, 24, 29, 30 December: five working days, not yet over the 5-day line.
    assert not queue(db_session, Filters(), 1, 5, datetime(2026, 12, 30, 12, tzinfo=UTC)).rows[0].overdue
    assert queue(db_session, Filters(), 1, 5, datetime(2026, 12, 31, 12, tzinfo=UTC)).rows[0].overdue
    assert referral.status is ReferralStatus.SUBMITTED


def test_the_filters_narrow_the_queue(db_session: Session) -> None:
    counselling = factories.specialism(db_session, code="counselling-q")
    now = datetime(2026, 11, 26, tzinfo=UTC)
    plain = waiting(db_session, now)
    professional = waiting(db_session, now, source=ReferralSource.PROFESSIONAL)
    young = waiting(db_session, now, under_18=True)
    twin = waiting(db_session, now, possible_duplicate=True)
    returned = waiting(db_session, now, status=ReferralStatus.DECLINED_BY_PROVIDER)
    wants = waiting(db_session, now)
    wants.specialisms = [counselling]
    db_session.flush()

    def ids(filters: Filters) -> set[object]:
        return {row.referral.id for row in queue(db_session, filters, 1, 5, now).rows}

    assert ids(Filters()) == {plain.id, professional.id, young.id, twin.id, returned.id, wants.id}
    assert ids(Filters(source=ReferralSource.PROFESSIONAL)) == {professional.id}
    assert ids(Filters(under_18=True)) == {young.id}
    assert ids(Filters(duplicate=True)) == {twin.id}
    assert ids(Filters(returned=True)) == {returned.id}
    assert ids(Filters(specialism="counselling-q")) == {wants.id}


def statements_for(db: Session, page: int, now: datetime) -> int:
    seen: list[str] = []

    def note(*args: object) -> None:
        seen.append(str(args[2]))

    db.flush()  # only the queue's own statements are counted
    connection = db.connection()
    event.listen(connection, "before_cursor_execute", note)
    assert queue(db, Filters(), page, 5, now).rows
    event.remove(connection, "before_cursor_execute", note)
    return len(seen)


def test_a_page_costs_the_same_statements_however_long_the_queue(db_session: Session) -> None:
    now = datetime(2026, 11, 26, tzinfo=UTC)
    for _ in range(3):
        waiting(db_session, now, specialisms=[factories.specialism(db_session)])
    short = statements_for(db_session, 1, now)
    for _ in range(PER_PAGE * 2):
        waiting(db_session, now, specialisms=[factories.specialism(db_session)])
    long = statements_for(db_session, 2, now)
    assert short == long == 4  # the count, the page's ids in order, the page's referrals, their specialisms


@pytest.fixture
def allocator_client(app: Flask, db_session: Session) -> FlaskClient:
    with time_machine.travel("2026-11-26 09:00:00+00:00", tick=False):
        client, _ = signed_in(app, db_session, Role.ALLOCATOR)
    return client


def test_the_queue_page_shows_no_personal_data_and_pages_through(
    allocator_client: FlaskClient, db_session: Session
) -> None:
    for n in range(PER_PAGE + 3):
        waiting(db_session, datetime(2026, 11, 2, tzinfo=UTC), full_name=f"Private Person {n}")
    db_session.commit()
    with time_machine.travel("2026-11-26 09:05:00+00:00", tick=False):
        first = allocator_client.get("/triage?under_18=&page=1").get_data(as_text=True)
        second = allocator_client.get("/triage?page=2").get_data(as_text=True)
    assert f"{PER_PAGE + 3} referrals are waiting" in first and "Private Person" not in first
    tags = re.compile(r"govuk-tag--red\">\s*Overdue")
    assert len(tags.findall(first)) == PER_PAGE and len(tags.findall(second)) == 3
    assert 'href="/triage?page=2' in first or "page=2" in first
