"""Correcting an answer about the person: with a reason, the old answer kept sealed on the timeline, the
blind indexes and the duplicate check done again, and every refusal changing nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import calendar
from hub.audit import Actor, AuditEntry
from hub.auth.models import Role
from hub.keyring import Keyring, current_keyring
from hub.normalise import normalise_email, normalise_name
from hub.providers.models import Provider
from hub.referrals import rectification
from hub.referrals.allocation import allocate
from hub.referrals.models import (
    CORRECTABLE,
    ContactMethod,
    Correction,
    EventKind,
    Referral,
    ReferralEvent,
    ReferralSource,
    ReferralStatus,
    SafeContact,
)

from . import factories
from .journeys import reference_and_code, self_journey
from .test_consent import BORN, PERSONAL, Desk, professional, provider_desk

pytestmark = pytest.mark.usefixtures("midday")

TRS = Actor(id=None, role="allocator")
OLD_EMAIL = PERSONAL["email"]
NEW_EMAIL = "jordan.new-address@example.org"
OLD_EMAIL_SELF = "robin.quill@example.org"  # tests/journeys.py SELF_ANSWERS


@pytest.fixture
def desk(app: Flask, db_session: Session) -> Desk:
    from .staff import signed_in

    client, _ = signed_in(app, db_session, Role.ALLOCATOR, display_name="Ash Allocator")
    return Desk(client)


def correct_at(referral: Referral, answer: str) -> str:
    return f"/triage/referrals/{referral.id}/correct/{answer}"


def state(db: Session, referral: Referral) -> tuple[Any, ...]:
    """Everything a correction could change: the answers, indexes, flags, status, events, audit entries."""
    db.expire_all()
    fresh = db.get(Referral, referral.id)
    assert fresh is not None
    answers = tuple(
        getattr(fresh, name)
        for name in ("full_name", "preferred_name", "date_of_birth", "email", "phone", "address", "postcode")
    )
    events = db.scalars(select(ReferralEvent.id).where(ReferralEvent.referral_id == referral.id)).all()
    changes = db.scalars(select(AuditEntry.action).where(AuditEntry.action != "referral.viewed")).all()
    return (
        answers,
        fresh.safe_contact,
        (fresh.identity_index, fresh.email_index, fresh.phone_index),
        (fresh.status, fresh.status_changed_at, fresh.possible_duplicate),
        len(events),
        list(changes),
    )


def flagged(db: Session, referral: Referral) -> bool:
    db.expire_all()
    return bool(db.scalar(select(Referral.possible_duplicate).where(Referral.id == referral.id)))


def test_the_referral_page_offers_a_correction_for_each_answer_about_the_person(
    desk: Desk, db_session: Session
) -> None:
    referral = professional(db_session)
    _, page = desk.get(f"/triage/referrals/{referral.id}")
    for answer in CORRECTABLE:
        assert f'href="{correct_at(referral, answer)}"' in page, answer
    status, form = desk.get(correct_at(referral, "email"))
    assert status == 200 and "Correct the email" in form
    assert OLD_EMAIL in form, "the form starts from the answer held now"
    assert desk.get(correct_at(referral, "referrer-email"))[0] == 404, "only the person's answers"
    assert desk.get(f"/triage/referrals/{referral.id}/correct/risks")[0] == 404


def test_a_corrected_email_is_saved_with_its_reason_and_the_old_one_sealed_on_the_timeline(
    desk: Desk, db_session: Session
) -> None:
    referral = professional(db_session)
    status_before = (referral.status, referral.status_changed_at)
    status, _, location = desk.post(
        correct_at(referral, "email"), value=NEW_EMAIL, reason="They told us by phone on Monday."
    )
    assert status == 303 and location == f"/triage/referrals/{referral.id}#timeline"
    db_session.expire_all()
    assert referral.email == NEW_EMAIL
    assert referral.email_index == current_keyring().blind_index("email", normalise_email(NEW_EMAIL))
    assert (referral.status, referral.status_changed_at) == status_before, "a correction moves nothing"
    [event] = db_session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id))
    assert (event.kind, event.from_status, event.to_status) == (EventKind.CORRECTED, referral.status, None)
    assert event.note == "They told us by phone on Monday."
    assert event.correction == Correction(answer="email", before=OLD_EMAIL)
    # Nothing plain on the event holds the old answer or names it.
    plain = [v for k, v in vars(event).items() if not k.startswith("_") and not k.endswith("_sealed")]
    assert not any(OLD_EMAIL in str(v) or "email" in str(v) for v in plain)
    sealed = select(ReferralEvent.__table__.c.correction_sealed).where(ReferralEvent.id == event.id)
    assert OLD_EMAIL.encode() not in (db_session.scalar(sealed) or b"")
    [entry] = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "referral.corrected"))
    assert entry.object_id == str(referral.id)
    _, page = desk.get(f"/triage/referrals/{referral.id}")
    assert "Email is corrected for" in page
    timeline = page.split('id="timeline"')[1]
    assert "An answer was corrected: email" in timeline
    assert "They told us by phone on Monday." in timeline
    assert f"The answer before:{OLD_EMAIL}" in timeline.replace("</strong><br>", "")


@pytest.mark.parametrize(
    ("answer", "typed", "message"),
    [
        ("email", {"value": NEW_EMAIL, "reason": ""}, "Say why the answer is being corrected"),
        ("email", {"value": NEW_EMAIL, "reason": "   "}, "Say why the answer is being corrected"),
        ("email", {"value": OLD_EMAIL, "reason": "Checked."}, "This is the answer already held"),
        ("email", {"value": "jordan.at.example", "reason": "Checked."}, "Enter an email address in the"),
        ("phone", {"value": "call me", "reason": "Checked."}, "Enter a phone number"),
        ("postcode", {"value": "NOT A CODE", "reason": "Checked."}, "Enter a real postcode"),
        ("full-name", {"value": "", "reason": "Checked."}, "Enter their full name"),
        ("full-name", {"value": "x" * 101, "reason": "Checked."}, "100 characters or fewer"),
        ("phone", {"value": "", "reason": "Checked."}, "phone call is a safe way to contact them"),
    ],
)
def test_a_refused_correction_changes_nothing_and_keeps_what_was_typed(
    desk: Desk, db_session: Session, answer: str, typed: dict[str, str], message: str
) -> None:
    referral = professional(db_session)
    before = state(db_session, referral)
    status, page, _ = desk.post(correct_at(referral, answer), **typed)
    assert status == 200 and page.startswith("<!DOCTYPE html>") and "<title>Error: " in page
    assert message in page
    if typed["value"] and len(typed["value"]) <= 100:
        assert f'value="{typed["value"]}"' in page, "what was typed is kept"
    assert state(db_session, referral) == before


def test_a_date_of_birth_in_the_future_is_refused_kindly_and_changes_nothing(
    desk: Desk, db_session: Session
) -> None:
    referral = professional(db_session)
    before = state(db_session, referral)
    tomorrow = calendar.today() + timedelta(days=1)
    typed = {
        "value-day": str(tomorrow.day),
        "value-month": str(tomorrow.month),
        "value-year": str(tomorrow.year),
    }
    status, page, _ = desk.post(correct_at(referral, "date-of-birth"), reason="A typing mistake.", **typed)
    assert status == 200 and "Date of birth must be in the past" in page
    assert f'name="value-year" type="text" value="{tomorrow.year}"' in page.replace(
        ' inputmode="numeric"', ""
    )
    assert state(db_session, referral) == before
    status, _, _ = desk.post(
        correct_at(referral, "date-of-birth"),
        reason="A typing mistake.",
        **{"value-day": "3", "value-month": "11", "value-year": "1999"},
    )
    assert status == 303
    db_session.expire_all()
    assert referral.date_of_birth == date(1999, 11, 3)
    identity = f"{normalise_name(PERSONAL['full_name'])}|1999-11-03"
    assert referral.identity_index == current_keyring().blind_index("identity", identity)
    event = db_session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)).one()
    assert event.correction == Correction(answer="date-of-birth", before=BORN.strftime("%-d %B %Y"))


def test_safe_contact_answers_are_corrected_together_and_keep_the_details_they_need(
    desk: Desk, db_session: Session
) -> None:
    referral = professional(db_session)
    referral.email = None
    db_session.commit()
    before = state(db_session, referral)
    wanted = {"methods": ["email"], "voicemail": "no", "say_who": "no", "safe_times": "", "reason": "Asked."}
    status, page, _ = desk.post(correct_at(referral, "safe-contact"), **wanted)
    assert status == 200 and "their email is not held" in page
    assert state(db_session, referral) == before
    both = {**wanted, "methods": ["referrer", "phone"]}
    status, page, _ = desk.post(correct_at(referral, "safe-contact"), **both)
    assert status == 200 and "You chose “None of these” and a way to contact them" in page
    texts = {**wanted, "methods": ["text", "phone"], "voicemail": "yes", "safe_times": "After  6pm"}
    status, _, _ = desk.post(correct_at(referral, "safe-contact"), **texts)
    assert status == 303
    db_session.expire_all()
    assert referral.safe_contact == SafeContact(
        methods=(ContactMethod.PHONE, ContactMethod.TEXT),
        voicemail="yes",
        say_who="no",
        safe_times="After 6pm",
    )
    event = db_session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)).one()
    assert event.correction is not None and "Safe ways to contact: Phone call" in event.correction.before
    assert "Safe to leave a voicemail: No" in event.correction.before


def test_a_self_referral_cannot_choose_the_referrer_and_must_keep_a_name_to_use(
    desk: Desk, db_session: Session
) -> None:
    referral = factories.referral(db_session, source=ReferralSource.SELF)
    referral.phone = "07700 900999"
    referral.safe_contact = SafeContact(methods=(ContactMethod.PHONE,))
    db_session.commit()
    before = state(db_session, referral)
    _, form = desk.get(correct_at(referral, "safe-contact"))
    assert "contact the referrer instead" not in form
    status, page, _ = desk.post(
        correct_at(referral, "safe-contact"), methods="referrer", reason="Asked.", voicemail="no"
    )
    assert status == 200 and "Error: " in page
    status, page, _ = desk.post(correct_at(referral, "preferred-name"), value="", reason="Asked.")
    assert status == 200 and "Enter the name they would like us to use" in page
    assert state(db_session, referral) == before


def test_after_the_email_is_corrected_a_new_referral_with_it_is_a_possible_duplicate_and_the_old_one_not(
    app: Flask, client: FlaskClient, desk: Desk, db_session: Session
) -> None:
    reference, _ = reference_and_code(self_journey(client).complete())
    first = db_session.scalar(select(Referral).where(Referral.reference == reference))
    assert first is not None and not first.possible_duplicate
    status, _, _ = desk.post(correct_at(first, "email"), value=NEW_EMAIL, reason="A new address.")
    assert status == 303

    def another(email: str, phone: str) -> Referral:
        journey = self_journey(
            app.test_client(),
            about={"full_name": f"Someone Else {email[:5]}", "date_of_birth-year": "1980"},
            contact={"email": email, "phone": phone, "methods": ["email"]},
        )
        found, _ = reference_and_code(journey.complete())
        made = db_session.scalar(select(Referral).where(Referral.reference == found))
        assert made is not None
        return made

    with_new, with_old = another(NEW_EMAIL, "07700 900777"), another(OLD_EMAIL_SELF, "07700 900888")
    assert flagged(db_session, with_new) and flagged(db_session, first)
    assert not flagged(db_session, with_old)
    _, page = desk.get(f"/triage/referrals/{with_new.id}")
    assert first.reference in page


def test_a_correction_that_ends_a_match_clears_the_possible_duplicate_flag(
    desk: Desk, db_session: Session, keyring: Keyring
) -> None:
    first, second = (professional(db_session) for _ in range(2))
    for one in (first, second):
        one.email_index = keyring.blind_index("email", normalise_email(OLD_EMAIL))
        one.identity_index = one.phone_index = None
        one.possible_duplicate = True
    second.full_name, second.phone = "Another Person", "07700 900001"
    db_session.commit()
    status, _, _ = desk.post(correct_at(second, "email"), value=NEW_EMAIL, reason="Not the same address.")
    assert status == 303
    db_session.expire_all()
    assert not first.possible_duplicate and not second.possible_duplicate


def test_the_provider_sees_that_an_answer_was_corrected_but_never_the_old_answer(
    app: Flask, desk: Desk, db_session: Session, provider: Provider
) -> None:
    referral = professional(db_session, share=True)
    allocation = allocate(db_session, referral.id, provider.id, TRS, reason="Chosen by the test.")
    old_phone = PERSONAL["phone"]
    status, _, _ = desk.post(correct_at(referral, "phone"), value="07700 900321", reason="Old number lost.")
    assert status == 303
    _, triage_page = desk.get(f"/triage/referrals/{referral.id}")
    assert old_phone in triage_page.split('id="timeline"')[1], "the triage team sees the old answer"
    pat = provider_desk(app, db_session, provider)
    status, page = pat.get(f"/provider/cases/{allocation.id}")
    assert status == 200 and "07700 900321" in page
    assert "An answer was corrected" in page
    assert old_phone not in page and "Old number lost." not in page and "The answer before" not in page


def test_the_service_refuses_what_the_form_would_and_writes_nothing(db_session: Session) -> None:
    referral = professional(db_session)
    before = state(db_session, referral)
    keyring = current_keyring()
    for answer, value, reason in (
        ("email", NEW_EMAIL, ""),
        ("email", OLD_EMAIL, "Checked."),
        ("status", "closed", "Checked."),
        ("full-name", "  ", "Checked."),
        ("date-of-birth", None, "Checked."),
    ):
        with pytest.raises(rectification.CorrectionRefused):
            rectification.correct(db_session, keyring, referral.id, answer, value, TRS, reason=reason)
        assert state(db_session, referral) == before, (answer, value, reason)
    assert referral.status is ReferralStatus.SUBMITTED


@pytest.fixture
def provider(db_session: Session) -> Provider:
    return factories.provider(db_session, name="Harbour")
