"""Time is UK time: days, quarters and working days turn at midnight in the UK, across both clock changes.

Half past midnight in summer (BST) is still the day before in UTC; every "today" must be the UK one.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from flask import Flask
from sqlalchemy.orm import Session

from hub import calendar
from hub.auth.models import Role
from hub.calendar import Quarter, day_of, working_days_between
from hub.kpi.prefill import prefill
from hub.providers.models import Provider
from hub.referrals.allocation import headroom
from hub.referrals.models import AllocationStatus, ContactMethod, ReferralStatus, SafeContact
from hub.referrals.triage import Filters, queue

from . import factories
from .journeys import errors, professional_journey, self_journey
from .staff import signed_in

# Clock changes in 2026: forward at 01:00 UTC on Sunday 29 March, back at 01:00 UTC on Sunday 25 October.
HALF_PAST_MIDNIGHT_1_JULY = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # 00:30 BST on 1 July
HALF_PAST_MIDNIGHT_1_OCTOBER = datetime(2026, 9, 30, 23, 30, tzinfo=UTC)  # 00:30 BST on 1 October


def frozen(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


# -- the calendar itself --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "uk_day"),
    [
        (datetime(2026, 3, 28, 23, 30, tzinfo=UTC), date(2026, 3, 28)),  # GMT: UTC and UK agree
        (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), date(2026, 3, 29)),  # before the change at 01:00 UTC
        (datetime(2026, 3, 29, 23, 30, tzinfo=UTC), date(2026, 3, 30)),  # BST: already Monday in the UK
        (datetime(2026, 10, 24, 23, 30, tzinfo=UTC), date(2026, 10, 25)),  # BST, the last night of it
        (datetime(2026, 10, 25, 23, 30, tzinfo=UTC), date(2026, 10, 25)),  # GMT again
        (HALF_PAST_MIDNIGHT_1_JULY, date(2026, 7, 1)),
    ],
)
def test_the_day_turns_at_midnight_uk_time_either_side_of_both_clock_changes(
    moment: datetime, uk_day: date
) -> None:
    assert day_of(moment) == uk_day
    with frozen(moment):
        assert calendar.today() == uk_day
        assert Quarter.current() == Quarter.containing(uk_day)


@pytest.mark.parametrize(
    ("start", "end", "working_days", "why"),
    [
        (date(2026, 3, 27), date(2026, 3, 30), 1, "Friday to Monday over the spring clock change"),
        (date(2026, 10, 23), date(2026, 10, 26), 1, "Friday to Monday over the autumn clock change"),
        (date(2026, 4, 2), date(2026, 4, 7), 1, "Good Friday and Easter Monday are bank holidays"),
        (date(2026, 3, 27), date(2026, 4, 7), 5, "the clock change and Easter together"),
        (date(2026, 12, 24), date(2026, 12, 29), 1, "Christmas, and Boxing Day moved to Monday 28th"),
        (date(2026, 8, 28), date(2026, 9, 1), 1, "the summer bank holiday, Monday 31 August"),
        (date(2026, 7, 1), date(2026, 7, 1), 0, "the same day"),
    ],
)
def test_working_days_leave_out_weekends_and_england_bank_holidays(
    start: date, end: date, working_days: int, why: str
) -> None:
    assert working_days_between(start, end) == working_days, why


@pytest.mark.parametrize(
    ("quarter", "label", "short"),
    [
        (Quarter(2026, 2), "April to June 2026 (Q1 2026/27)", "Q1 2026/27"),
        (Quarter(2026, 3), "July to September 2026 (Q2 2026/27)", "Q2 2026/27"),
        (Quarter(2026, 4), "October to December 2026 (Q3 2026/27)", "Q3 2026/27"),
        (Quarter(2027, 1), "January to March 2027 (Q4 2026/27)", "Q4 2026/27"),
        (Quarter(2026, 1), "January to March 2026 (Q4 2025/26)", "Q4 2025/26"),
        (Quarter(2099, 4), "October to December 2099 (Q3 2099/00)", "Q3 2099/00"),
    ],
)
def test_a_quarter_is_named_by_its_months_with_the_councils_financial_quarter_beside_it(
    quarter: Quarter, label: str, short: str
) -> None:
    assert (quarter.label, quarter.short) == (label, short)


def test_the_financial_year_turns_in_april_not_january() -> None:
    march, april = Quarter.containing(date(2027, 3, 31)), Quarter.containing(date(2027, 4, 1))
    assert (march.financial, april.financial) == ("Q4 2026/27", "Q1 2027/28")
    december, january = Quarter.containing(date(2026, 12, 31)), Quarter.containing(date(2027, 1, 1))
    assert december.financial.endswith("2026/27") and january.financial.endswith("2026/27")


# -- first contact and dates of birth at half past midnight in summer -----------------------------


def test_a_first_contact_dated_today_is_accepted_at_half_past_midnight_in_summer(
    app: Flask, db_session: Session
) -> None:
    provider = factories.provider(db_session)
    referral = factories.referral(db_session, status=ReferralStatus.ACCEPTED)
    referral.safe_contact = SafeContact(methods=(ContactMethod.PHONE, ContactMethod.TEXT), voicemail="no")
    allocation = factories.allocation(
        db_session,
        referral_id=referral.id,
        provider_id=provider.id,
        status=AllocationStatus.ACCEPTED,
        decided_at=datetime(2026, 6, 30, 21, 0, tzinfo=UTC),  # 10pm BST on 30 June
    )
    with frozen(HALF_PAST_MIDNIGHT_1_JULY):
        client, _user = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/staff").text)
        assert token
        response = client.post(
            f"/provider/cases/{allocation.id}/first-contact",
            data={
                "csrf_token": token.group(1),
                "first-contact-on-day": "1",
                "first-contact-on-month": "7",
                "first-contact-on-year": "2026",
                "first-contact-channel": "text",
            },
        )
        assert response.status_code == 303, html.unescape(response.get_data(as_text=True))[:3000]
        tomorrow = client.post(
            f"/provider/cases/{allocation.id}/first-contact",
            data={
                "csrf_token": token.group(1),
                "first-contact-on-day": "2",
                "first-contact-on-month": "7",
                "first-contact-on-year": "2026",
                "first-contact-channel": "text",
            },
        )
    db_session.expire_all()
    assert allocation.first_contact_on == date(2026, 7, 1)
    assert "The date of first contact must be today or in the past" in tomorrow.text


@pytest.mark.parametrize("moment", [HALF_PAST_MIDNIGHT_1_JULY, datetime(2026, 3, 29, 23, 30, tzinfo=UTC)])
def test_a_date_of_birth_of_today_is_refused_on_both_forms_by_the_uk_date(
    app: Flask, db_session: Session, moment: datetime
) -> None:
    uk_today, utc_today = day_of(moment), moment.date()
    assert uk_today != utc_today
    born = {
        "date_of_birth-day": str(uk_today.day),
        "date_of_birth-month": str(uk_today.month),
        "date_of_birth-year": str(uk_today.year),
    }
    yesterday_in_the_uk = {
        "date_of_birth-day": str(utc_today.day),
        "date_of_birth-month": str(utc_today.month),
        "date_of_birth-year": str(utc_today.year),
    }
    with frozen(moment):
        own = self_journey(app.test_client())
        assert errors(own.post("about", {**own.answers["about"], **born})) == [
            ("#date_of_birth-day", "Your date of birth must be in the past")
        ]
        assert own.post("about", {**own.answers["about"], **yesterday_in_the_uk}).status_code == 303
        referrer = professional_journey(app.test_client())
        assert errors(referrer.post("person", {**referrer.answers["person"], **born})) == [
            ("#date_of_birth-day", "Their date of birth must be in the past")
        ]
        accepted = referrer.post("person", {**referrer.answers["person"], **yesterday_in_the_uk})
        assert accepted.status_code == 303


# -- quarters: capacity and the KPI return agree --------------------------------------------------


@pytest.mark.parametrize("moment", [HALF_PAST_MIDNIGHT_1_JULY, HALF_PAST_MIDNIGHT_1_OCTOBER])
def test_capacity_and_the_kpi_return_count_an_offer_at_half_past_midnight_in_the_same_quarter(
    db_session: Session, moment: datetime
) -> None:
    provider: Provider = factories.provider(db_session, new_starts=10, max_active=None)
    earlier = factories.allocation(db_session, provider_id=provider.id)
    earlier.created_at = datetime(moment.year, moment.month, 15, 12, 0, tzinfo=UTC)  # the quarter before
    offer = factories.allocation(db_session, provider_id=provider.id)
    offer.created_at = moment
    db_session.flush()
    new_quarter = Quarter.containing(day_of(moment))
    assert new_quarter.first_day == day_of(moment)  # 1 July or 1 October

    with frozen(moment):
        # Capacity's "new starts this quarter": only the half-past-midnight offer.
        assert headroom(db_session, provider.id, provider.capacity).new_starts == 9
        assert Quarter.current() == new_quarter
    with frozen(datetime(moment.year + 1, 2, 1, tzinfo=UTC)):
        assert prefill(db_session, provider.id, new_quarter)["referrals_allocated"].value == 1
        assert prefill(db_session, provider.id, new_quarter.previous())["referrals_allocated"].value == 1


# -- the triage queue -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arrived", "now", "waited"),
    [
        # Arrived 00:30 BST Saturday 4 July; now 00:30 BST Tuesday 7 July: Monday and Tuesday (UTC says 1).
        (datetime(2026, 7, 3, 23, 30, tzinfo=UTC), datetime(2026, 7, 6, 23, 30, tzinfo=UTC), 2),
        # Arrived 23:30 GMT Friday 27 March; now 00:30 BST Tuesday 31 March, the clock changed between.
        (datetime(2026, 3, 27, 23, 30, tzinfo=UTC), datetime(2026, 3, 30, 23, 30, tzinfo=UTC), 2),
        # Arrived 00:30 BST Thursday 27 August; now 00:30 BST Tuesday 1 September, over the bank holiday.
        (datetime(2026, 8, 26, 23, 30, tzinfo=UTC), datetime(2026, 8, 31, 23, 30, tzinfo=UTC), 2),
    ],
)
def test_the_queue_counts_working_days_waiting_by_the_uk_date(
    db_session: Session, arrived: datetime, now: datetime, waited: int
) -> None:
    referral = factories.referral(db_session, status=ReferralStatus.SUBMITTED)
    referral.created_at = arrived
    db_session.flush()
    with frozen(now):
        [row] = [r for r in queue(db_session, Filters(), 1, 5, now).rows if r.referral.id == referral.id]
    assert row.working_days == waited


def test_staff_pages_show_stored_moments_on_the_uk_clock(app: Flask, db_session: Session) -> None:
    referral = factories.referral(db_session, status=ReferralStatus.SUBMITTED)
    referral.created_at = HALF_PAST_MIDNIGHT_1_JULY
    db_session.flush()
    with frozen(datetime(2026, 7, 2, 9, 0, tzinfo=UTC)):
        client, _user = signed_in(app, db_session, Role.ALLOCATOR)
        page = html.unescape(client.get(f"/triage/referrals/{referral.id}").text)
        listed = html.unescape(client.get("/triage").text)
    assert "1 July 2026 at 12:30am" in page and "30 June" not in page
    assert "1 Jul 2026" in listed and "30 Jun 2026" not in listed
