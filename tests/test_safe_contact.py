"""Safe contact is kept wherever staff make contact: only a way the person marked safe (the referrer
too, when they chose it), no voicemail and no naming of the service unless they said yes, safe times
and the name to use beside the action, and emails that name no service when they did not say yes."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.audit import AuditEntry
from hub.outbox import OutboxMessage
from hub.providers.models import Provider
from hub.referrals import cases, presenting
from hub.referrals.models import (
    Allocation,
    ContactMethod,
    FirstContact,
    Referral,
    ReferralEvent,
    ReferralStatus,
    SafeContact,
)

from . import factories
from .clock import TODAY
from .journeys import self_journey
from .mail_server import Inbox
from .test_cases import Desk, offered, provider_desk, staff

pytestmark = pytest.mark.usefixtures("midday")


@pytest.fixture
def provider(db_session: Session) -> Provider:
    return factories.provider(db_session, name="Harbour")


def accepted(db: Session, provider: Provider, **safe_contact: Any) -> Allocation:
    allocation = offered(db, provider)
    referral = allocation.referral
    referral.safe_contact = SafeContact.read(
        {"methods": ["phone"], "voicemail": "no", "say_who": "no", **safe_contact}
    )
    referral.preferred_name = "Jo"
    referral.referrer_name = "Avery Caseworker"
    referral.referrer_organisation = "Example Council Adult Services"
    referral.referrer_phone = "01632 960001"
    db.commit()
    cases.accept(db, allocation.id, provider.id, staff(db, provider))
    return allocation


def counts(db: Session, allocation: Allocation) -> tuple[Any, ...]:
    """What a refused first contact must leave as it was."""
    db.expire_all()
    found = db.get(Allocation, allocation.id)
    assert found is not None
    return (
        found.referral.status,
        found.first_contact_on,
        found.first_contact,
        db.scalar(select(func.count()).select_from(ReferralEvent)),
        db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action != "referral.viewed")),
        db.scalar(select(func.count()).select_from(OutboxMessage)),
    )


def first_contact(desk: Desk, allocation: Allocation, **fields: str) -> tuple[int, str]:
    data = {
        "first-contact-on-day": str(TODAY.day),
        "first-contact-on-month": str(TODAY.month),
        "first-contact-on-year": str(TODAY.year),
        **{f"first-contact-{name}": value for name, value in fields.items()},
    }
    return desk.post(f"/provider/cases/{allocation.id}/first-contact", **data)


def summary(page: str) -> str:
    found = re.search(r'<div class="govuk-error-summary__body">(.*?)</ul>', page, re.S)
    assert found, "the page shows an error summary"
    return found.group(1)


def test_first_contact_through_the_referrer_works_when_the_person_chose_it(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    allocation = accepted(db_session, provider, methods=["referrer"])
    desk = provider_desk(app, db_session, provider)
    _, page = desk.get(f"/provider/cases/{allocation.id}")
    assert "Only contact them in these ways: Through the referrer" in page
    reminder = page[page.index('id="first-contact-safe-contact"') :]
    assert "Avery Caseworker" in reminder[:1500] and "01632 960001" in reminder[:1500]
    assert re.findall(r'name="first-contact-channel" type="radio" value="([^"]+)"', page) == ["referrer"]
    assert "did you leave a voicemail" not in page, "no questions about a phone call that cannot happen"

    status, _ = first_contact(desk, allocation, channel="referrer")

    assert status == 303
    db_session.expire_all()
    assert allocation.referral.status is ReferralStatus.IN_SUPPORT
    assert allocation.first_contact == FirstContact(ContactMethod.REFERRER)
    _, page = desk.get(f"/provider/cases/{allocation.id}")
    assert f"Through the referrer, {TODAY.strftime('%-d %B %Y')}" in page


def test_first_contact_through_the_referrer_is_refused_when_the_person_did_not_choose_it(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    allocation = accepted(db_session, provider, methods=["phone"])
    desk = provider_desk(app, db_session, provider)
    before = counts(db_session, allocation)
    status, page = first_contact(desk, allocation, channel="referrer")
    assert status == 200
    assert "Through the referrer is not one of the ways the person said is safe" in summary(page)
    assert counts(db_session, allocation) == before
    with pytest.raises(cases.UnsafeChannel, match="Through the referrer is not one of the ways"):
        cases.record_first_contact(
            db_session, allocation.id, provider.id, staff(db_session, provider), TODAY, "referrer"
        )
    assert counts(db_session, allocation) == before


@pytest.mark.parametrize("posted", ["letter", "carrier-pigeon", ""])
def test_a_channel_the_form_never_offered_is_refused(
    app: Flask, db_session: Session, provider: Provider, posted: str
) -> None:
    allocation = accepted(db_session, provider, methods=["phone"])
    desk = provider_desk(app, db_session, provider)
    before = counts(db_session, allocation)
    status, page = first_contact(desk, allocation, channel=posted, voicemail_left="no", service_named="no")
    assert status == 200
    assert 'href="#first-contact-channel"' in summary(page)
    assert counts(db_session, allocation) == before


@pytest.mark.parametrize("said", ["no", "unsure", "", False])
def test_a_voicemail_left_when_the_person_did_not_say_yes_is_refused_and_nothing_is_written(
    app: Flask, db_session: Session, provider: Provider, said: Any
) -> None:
    allocation = accepted(db_session, provider, voicemail=said, say_who="yes")
    desk = provider_desk(app, db_session, provider)
    before = counts(db_session, allocation)

    status, page = first_contact(desk, allocation, channel="phone", voicemail_left="yes", service_named="no")

    assert status == 200
    errors = summary(page)
    assert "leave a voicemail, so this cannot be recorded" in errors
    assert 'href="#first-contact-voicemail_left"' in errors
    assert re.search(r'value="yes" checked', page), "what was chosen is kept"
    assert str(TODAY.year) in page
    assert counts(db_session, allocation) == before


@pytest.mark.parametrize("said", ["no", "unsure", ""])
def test_naming_the_service_when_the_person_did_not_say_yes_is_refused(
    app: Flask, db_session: Session, provider: Provider, said: str
) -> None:
    allocation = accepted(db_session, provider, voicemail="yes", say_who=said)
    desk = provider_desk(app, db_session, provider)
    before = counts(db_session, allocation)
    status, page = first_contact(desk, allocation, channel="phone", voicemail_left="no", service_named="yes")
    assert status == 200
    errors = summary(page)
    assert "say who is calling, so this cannot be recorded" in errors
    assert 'href="#first-contact-service_named"' in errors
    assert counts(db_session, allocation) == before


def test_a_phone_call_must_say_whether_a_voicemail_was_left_and_the_service_named(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    allocation = accepted(db_session, provider)
    desk = provider_desk(app, db_session, provider)
    before = counts(db_session, allocation)
    _, page = first_contact(desk, allocation, channel="phone")
    assert "Say whether you left a voicemail" in summary(page)
    _, page = first_contact(desk, allocation, channel="phone", voicemail_left="no")
    assert "Say whether you said who you are" in summary(page)
    assert counts(db_session, allocation) == before


def test_a_phone_call_that_keeps_to_what_they_said_is_recorded_with_its_facts(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    allocation = accepted(db_session, provider, voicemail="yes", say_who="no")
    desk = provider_desk(app, db_session, provider)
    status, _ = first_contact(desk, allocation, channel="phone", voicemail_left="yes", service_named="no")
    assert status == 303
    db_session.expire_all()
    assert allocation.referral.status is ReferralStatus.IN_SUPPORT
    assert allocation.first_contact == FirstContact(ContactMethod.PHONE, True, False)


def test_safe_times_and_the_name_to_use_are_beside_the_contact_action(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    allocation = accepted(db_session, provider, safe_times="Weekdays after 10am, never weekends")
    _, page = provider_desk(app, db_session, provider).get(f"/provider/cases/{allocation.id}")
    action = page[page.index('<section class="govuk-!-margin-bottom-6" id="first-contact"') :]
    action = action[: action.index("</section>")]
    assert "Safe times: Weekdays after 10am, never weekends" in action
    assert "Name to use: Jo" in action
    assert "Voicemail: do not leave one" in action
    assert "If you phoned, did you leave a voicemail?" in action
    assert "do not say who you are" in action


def test_old_rows_with_true_or_false_read_like_new_ones() -> None:
    old = SafeContact.read({"methods": ["email", "fax"], "voicemail": False, "say_who": True})
    assert old == SafeContact(methods=(ContactMethod.EMAIL,), voicemail="no", say_who="yes")
    assert not old.voicemail_safe and old.may_say_who
    assert SafeContact.read(None) == SafeContact()
    assert SafeContact.read({"methods": [["phone"], {"text": 1}, 3, "email"]}).methods == (
        ContactMethod.EMAIL,
    )
    assert SafeContact.read({"voicemail": "YES ", "say_who": "maybe"}).stored() == {
        "methods": [],
        "voicemail": "yes",
        "say_who": "",
        "safe_times": "",
    }


def test_the_case_page_shows_an_old_boolean_answer_in_words(db_session: Session) -> None:
    referral = factories.referral(db_session)
    factories.store_as_before(referral, "safe_contact", {"methods": ["email"], "voicemail": False})
    rows = {
        row["key"]["text"]: row["value"]["text"] for row in presenting.answer_sections(referral)[0]["rows"]
    }
    assert rows["Safe to leave a voicemail"] == "No"
    assert rows["Safe ways to contact"] == "Email"


def test_demo_data_writes_the_one_shape(db_session: Session) -> None:
    from hub.demo import seed

    seed(db_session)
    stored = [factories.stored_json(r, "safe_contact") for r in db_session.scalars(select(Referral))]
    assert stored and all(s == SafeContact.read(s).stored() for s in stored)


# -- email to the person -----------------------------------------------------------------------

SUPPORT_WORDS = re.compile(
    r"trauma|resilience|support|abuse|exploit|referr|counsel|danger|safe|999|survivor|harm|council",
    re.IGNORECASE,
)


def test_the_survivors_email_names_no_service_unless_they_said_we_may(
    app: Flask,
    client: FlaskClient,
    db_session: Session,
    smtp: tuple[str, Inbox],
) -> None:
    url, inbox = smtp
    self_journey(client, contact={"say_who": "no"}).complete()
    self_journey(client, contact={"say_who": "unsure", "email": "second.person@example.org"}).complete()
    self_journey(client, contact={"say_who": "yes", "email": "third.person@example.org"}).complete()
    config = app.extensions["hub.config"]
    app.extensions["hub.config"] = dataclasses.replace(
        config, smtp_url=url, mail_from="Trauma and Resilience Service <trs@example.org>"
    )
    try:
        result = app.test_cli_runner().invoke(args=["outbox", "send"])
    finally:
        app.extensions["hub.config"] = config
    assert result.exit_code == 0, result.output
    sent = {recipients[0]: message for recipients, message in inbox.messages}
    for neutral in ("robin.quill@example.org", "second.person@example.org"):
        message = sent[neutral]
        body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
        for text in (body, str(message["Subject"]), str(message["From"])):
            assert not SUPPORT_WORDS.search(text), (neutral, text)
        assert str(message["From"]) == "Appointments <trs@example.org>"
    named = sent["third.person@example.org"]
    assert "Trauma and Resilience Service" in str(named["Subject"])
    assert str(named["From"]) == "Trauma and Resilience Service <trs@example.org>"
