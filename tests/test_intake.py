"""The two ways in, walked through the test client with CSRF on."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from hub.config import Config
from hub.keyring import Keyring
from hub.outbox import OutboxMessage
from hub.referrals import intake
from hub.referrals.models import (
    AccessNeeds,
    ContactMethod,
    DraftPage,
    Referral,
    ReferralSource,
    Risks,
    SafeContact,
)
from hub.referrals.status import hash_code

from . import factories
from .clock import Clock
from .journeys import errors, professional_journey, reference_and_code, self_journey
from .test_sealed_storage import dump_every_table


def referrals(db: Session) -> list[Referral]:
    db.expire_all()
    return list(db.scalars(select(Referral)))


# -- self-referral ------------------------------------------------------------------------------


def test_a_self_referral_is_stored_sealed_with_what_was_typed(
    client: FlaskClient, db_session: Session, connection: Connection, keyring: Keyring
) -> None:
    provider = factories.provider(db_session, slug="harbour", name="Harbour")
    counselling = factories.specialism(db_session, code="counselling", label="Counselling")
    journey = self_journey(client, provider={"provider": "harbour"}, support={"specialisms": ["counselling"]})

    reference, code = reference_and_code(journey.complete())

    [referral] = referrals(db_session)
    assert referral.reference == reference and referral.source is ReferralSource.SELF
    assert referral.preferred_name == "Robin" and referral.full_name == "Robin Quill-Tester"
    assert referral.date_of_birth == date(1994, 3, 14)
    assert referral.email == "robin.quill@example.org" and referral.phone == "07700 900123"
    assert referral.safe_contact == SafeContact(
        methods=(ContactMethod.EMAIL, ContactMethod.TEXT),
        voicemail="no",
        say_who="no",
        safe_times="Weekday mornings only",
    )
    assert factories.stored_json(referral, "safe_contact") == {
        "methods": ["email", "text"],
        "voicemail": "no",
        "say_who": "no",
        "safe_times": "Weekday mornings only",
    }
    assert referral.support_wanted == "Someone who will listen, at my pace."
    assert referral.preferred_provider_id == provider.id and not referral.help_choosing
    assert referral.specialisms == [counselling]
    assert not referral.under_18 and not referral.possible_duplicate
    assert code and hash_code(keyring, code) == referral.status_secret_hash
    dump = dump_every_table(connection)
    for typed in (
        b"Robin",
        b"Quill",
        b"robin.quill",
        b"900123",
        b"Weekday mornings",
        b"at my pace",
        code.encode(),
    ):
        assert typed not in dump, typed
    assert db_session.scalar(select(func.count()).select_from(DraftPage)) == 0


def test_only_a_name_and_one_safe_way_are_needed(client: FlaskClient, db_session: Session) -> None:
    journey = self_journey(client)
    journey.answers = {
        "about": {"preferred_name": "K"},
        "contact": {"methods": ["letter"], "address": "Flat 2, Test House"},
        "provider": {"provider": "help"},
        "support": {},
    }
    journey.complete()
    [referral] = referrals(db_session)
    assert referral.preferred_name == "K" and referral.full_name is None and referral.date_of_birth is None
    assert referral.help_choosing and referral.safe_contact == SafeContact(methods=(ContactMethod.LETTER,))


def test_each_error_is_in_the_summary_linked_to_its_field_and_answers_are_kept(client: FlaskClient) -> None:
    journey = self_journey(client)
    response = journey.post(
        "about",
        {
            "preferred_name": "",
            "full_name": "Kept Name",
            "date_of_birth-day": "31",
            "date_of_birth-month": "2",
        },
    )
    assert response.status_code == 200
    assert errors(response) == [
        ("#preferred_name", "Tell us what you would like us to call you"),
        ("#date_of_birth-year", "Your date of birth must include a year"),
    ]
    page = response.get_data(as_text=True)
    assert 'id="preferred_name"' in page and 'value="Kept Name"' in page
    assert 'name="date_of_birth-day" type="text" value="31"' in page
    assert page.startswith("<!DOCTYPE html>") and "<title>Error: About you" in page


@pytest.mark.parametrize("blank", ["   ", "\u200b\u200b", "\t \n"])
def test_only_spaces_or_invisible_characters_are_no_answer(client: FlaskClient, blank: str) -> None:
    journey = self_journey(client)
    response = journey.post("about", {"preferred_name": blank, "full_name": "Kept Name"})
    assert response.status_code == 200
    assert errors(response) == [("#preferred_name", "Tell us what you would like us to call you")]
    assert 'value="Kept Name"' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("31", "2", "1990", "Your date of birth must be a real date"),
        ("1", "1", "2999", "Your date of birth must be in the past"),
        ("x", "1", "1990", "Your date of birth must be a real date"),
    ],
)
def test_dates_must_be_real_and_in_the_past(
    client: FlaskClient, day: str, month: str, year: str, message: str
) -> None:
    response = self_journey(client).post(
        "about",
        {
            "preferred_name": "R",
            "date_of_birth-day": day,
            "date_of_birth-month": month,
            "date_of_birth-year": year,
        },
    )
    assert errors(response) == [("#date_of_birth-day", message)]


def test_a_chosen_way_of_contact_needs_its_detail(client: FlaskClient) -> None:
    response = self_journey(client).post(
        "contact", {"methods": ["phone", "letter"], "phone": "", "address": ""}
    )
    assert errors(response) == [
        ("#phone", "Enter a phone number, or choose another way for us to contact you"),
        ("#address", "Enter an address for letters, or choose another way for us to contact you"),
    ]
    response = self_journey(client).post("contact", {"methods": []})
    assert errors(response) == [("#methods", "Select at least one safe way for us to contact you")]


def test_check_answers_shows_everything_with_change_links(client: FlaskClient) -> None:
    journey = self_journey(client)
    journey.answer_all()
    page = client.get("/self-refer/check").get_data(as_text=True)
    for shown in (
        "Robin",
        "14 March 1994",
        "robin.quill@example.org",
        "Email",
        "Text message",
        "You asked us to help you choose",
    ):
        assert shown in page, shown
    assert 'href="/self-refer/contact?change=1#methods"' in page
    response = journey.post("contact", query="?change=1")
    assert response.headers["Location"].endswith("/self-refer/check")


def test_a_page_left_out_sends_the_person_back_to_it(client: FlaskClient, db_session: Session) -> None:
    journey = self_journey(client)
    journey.post("about")
    response = client.get("/self-refer/check")
    assert response.status_code == 303 and response.headers["Location"].endswith("/self-refer/contact")
    assert journey.send().status_code == 303
    assert referrals(db_session) == []


def test_answers_between_pages_are_sealed_not_kept_in_the_cookie(
    client: FlaskClient, db_session: Session, connection: Connection
) -> None:
    self_journey(client).post("about")
    cookie = client.get_cookie("hub")
    assert cookie is not None and "Robin" not in cookie.value and "Quill" not in cookie.value
    [page] = db_session.scalars(select(DraftPage)).all()
    assert page.page == "about" and page.answers["preferred_name"] == "Robin"  # type: ignore[index]
    assert b"Robin" not in dump_every_table(connection)


def test_a_draft_expires_after_24_hours(client: FlaskClient, db_session: Session, midday: Clock) -> None:
    journey = self_journey(client)
    journey.answer_all()
    midday.shift(timedelta(days=2))
    page = client.get("/self-refer/check").get_data(as_text=True)
    assert "There is nothing to send" in page
    assert db_session.scalar(select(func.count()).select_from(DraftPage)) == 0


def test_sending_twice_does_not_make_two_referrals(client: FlaskClient, db_session: Session) -> None:
    journey = self_journey(client)
    journey.complete()
    again = journey.send()
    assert "There is nothing to send" in again.get_data(as_text=True)
    assert len(referrals(db_session)) == 1


def test_a_page_is_kept_24_hours_after_it_was_last_saved(
    client: FlaskClient, db_session: Session, midday: Clock
) -> None:
    journey = self_journey(client)
    journey.answer_all()
    midday.shift(timedelta(days=2))
    journey.post("contact")  # saved again today; the other pages are two days old
    response = client.get("/self-refer/check")
    assert response.status_code == 303 and response.headers["Location"].endswith("/self-refer/about")
    assert db_session.scalars(select(DraftPage.page)).all() == ["contact"]


def test_each_page_is_its_own_row_so_saving_one_never_loses_another(
    client: FlaskClient, db_session: Session
) -> None:
    journey = self_journey(client)
    journey.post("about")
    journey.post("contact")
    journey.answers["about"]["preferred_name"] = "Rob"
    journey.post("about")  # changed in one tab: the contact page, saved in another, is untouched
    rows = {row.page: row.answers for row in db_session.scalars(select(DraftPage))}
    assert set(rows) == {"about", "contact"}
    assert rows["about"]["preferred_name"] == "Rob"  # type: ignore[index]
    assert rows["contact"]["email"] == "robin.quill@example.org"  # type: ignore[index]


def test_the_same_draft_sent_twice_at_once_makes_one_referral(
    app: Flask, client: FlaskClient, db_session: Session, keyring: Keyring
) -> None:
    journey = self_journey(client)
    journey.answer_all()
    with client.session_transaction() as cookie:
        draft_id = cookie["draft_id"]
    # Both requests read the draft before either sends it (a double click, or two tabs).
    first, second = (intake.load_draft(db_session, draft_id, ReferralSource.SELF) for _ in range(2))
    assert first is not None and second is not None
    intake.submit(db_session, keyring, first)
    with pytest.raises(intake.AlreadySent):
        intake.submit(db_session, keyring, second)
    db_session.rollback()
    assert len(referrals(db_session)) == 1
    assert "There is nothing to send" in journey.send().get_data(as_text=True)


def test_an_email_goes_to_a_survivor_only_if_they_chose_email(
    client: FlaskClient, db_session: Session
) -> None:
    self_journey(client).complete()
    self_journey(client, contact={"methods": ["text"]}).complete()
    messages = db_session.scalars(select(OutboxMessage)).all()
    assert [m.to_address for m in messages] == ["robin.quill@example.org"]
    assert "Robin" not in messages[0].body and "PAS-" not in messages[0].body


# -- professional referral ----------------------------------------------------------------------


def test_a_professional_referral_is_stored_sealed_and_acknowledged(
    client: FlaskClient, db_session: Session, connection: Connection
) -> None:
    reference, code = reference_and_code(professional_journey(client).complete())
    assert code is None
    [referral] = referrals(db_session)
    assert referral.source is ReferralSource.PROFESSIONAL and referral.reference == reference
    assert referral.consent_to_referral and referral.consent_to_share
    assert referral.referrer_name == "Avery Caseworker"
    assert referral.referrer_email == "avery.caseworker@example.gov.uk"
    assert referral.full_name == "Jordan Pemberly-Test" and referral.address == "1 Test Lane\nExampleton"
    assert referral.risks == Risks(
        current_risks="Contact from a perpetrator in the last month.",
        children_in_household="no",
        other_agencies="Probation",
    )
    assert referral.risk_flagged
    assert referral.access_needs == AccessNeeds(
        language="English", interpreter="no", bsl="no", adjustments="Ground-floor rooms"
    )
    [message] = db_session.scalars(select(OutboxMessage)).all()
    assert message.to_address == "avery.caseworker@example.gov.uk" and reference in message.body
    for private in ("Jordan", "Pemberly", "Avery", "perpetrator"):
        assert private not in message.body
    dump = dump_every_table(connection)
    for typed in (b"Pemberly", b"Avery", b"perpetrator", b"Probation", b"Ground-floor", b"S60 1AE"):
        assert typed not in dump, typed


def test_without_consent_nothing_can_be_sent_and_the_page_says_why(
    client: FlaskClient, db_session: Session
) -> None:
    journey = professional_journey(client)
    response = journey.post("consent", {"consent": ["share"]})
    [(href, message)] = errors(response)
    assert href == "#consent" and "only refer someone who has agreed" in message
    page = response.get_data(as_text=True)
    assert re.search(r'value="share"\s+checked', page)
    journey.answers["consent"] = {"consent": []}
    for page_name in journey.answers:
        journey.post(page_name)
    assert client.get("/refer/check").headers["Location"].endswith("/refer/consent")
    assert referrals(db_session) == []


def test_a_way_of_contact_with_no_detail_is_refused(client: FlaskClient) -> None:
    journey = professional_journey(client, person={"email": ""})
    journey.post("person")
    response = journey.post("contact", {"methods": ["email"], "voicemail": "no", "say_who": "no"})
    [(href, message)] = errors(response)
    assert href == "#methods" and "did not give their email" in message


def test_someone_under_18_is_saved_flagged_and_shown_the_mash_signposting(
    client: FlaskClient, db_session: Session
) -> None:
    born = date.today().replace(year=date.today().year - 16)
    journey = professional_journey(
        client,
        person={
            "date_of_birth-day": str(born.day),
            "date_of_birth-month": str(born.month),
            "date_of_birth-year": str(born.year),
        },
    )
    journey.answer_all()
    assert "Multi Agency Safeguarding Hub" in client.get("/refer/support").get_data(as_text=True)
    assert "Multi Agency Safeguarding Hub" in client.get("/refer/check").get_data(as_text=True)
    done = journey.send()
    assert "Multi Agency Safeguarding Hub" in done.get_data(as_text=True)
    [referral] = referrals(db_session)
    assert referral.under_18


def test_the_same_person_referred_twice_is_flagged_as_a_possible_duplicate(
    client: FlaskClient, db_session: Session
) -> None:
    professional_journey(client).complete()
    self_journey(
        client,
        about={
            "full_name": "  jordan   PEMBERLY-test ",
            "date_of_birth-day": "02",
            "date_of_birth-month": "11",
            "date_of_birth-year": "1999",
        },
        contact={"email": "someone.else@example.org", "phone": "", "methods": ["email"]},
    ).complete()
    self_journey(
        client,
        about={"full_name": "Different Person"},
        contact={"email": "different@example.org", "phone": "", "methods": ["email"]},
    ).complete()
    flags = {r.full_name: r.possible_duplicate for r in referrals(db_session)}
    assert flags == {"Jordan Pemberly-Test": True, "jordan PEMBERLY-test": True, "Different Person": False}


def test_a_shared_phone_number_is_enough_to_flag_a_duplicate(
    client: FlaskClient, db_session: Session
) -> None:
    self_journey(client, contact={"phone": "+44 7700 900123", "methods": ["text"]}).complete()
    self_journey(
        client, about={"full_name": "Other"}, contact={"phone": "07700900123", "methods": ["text"]}
    ).complete()
    assert all(r.possible_duplicate for r in referrals(db_session))


# -- abuse resistance ---------------------------------------------------------------------------


def test_the_honeypot_is_refused_and_nothing_is_saved(client: FlaskClient, db_session: Session) -> None:
    journey = self_journey(client)
    response = journey.post("about", website="http://spam.example")
    assert response.status_code == 400
    assert "Sorry, there is a problem" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(DraftPage)) == 0
    journey.answer_all()
    assert journey.post("check", {}, website="x").status_code == 400
    assert referrals(db_session) == []


def test_a_post_without_a_csrf_token_is_refused(client: FlaskClient, db_session: Session) -> None:
    response = client.post("/self-refer/about", data={"preferred_name": "No Token"})
    assert response.status_code == 400
    assert db_session.scalar(select(func.count()).select_from(DraftPage)) == 0


def test_an_oversized_form_gets_a_kind_413_page(client: FlaskClient) -> None:
    journey = self_journey(client)
    response = journey.post("about", {"preferred_name": "x" * 300_000})
    assert response.status_code == 413
    assert "too much to send at once" in response.get_data(as_text=True)


def test_over_long_answers_are_refused_with_a_clear_message(client: FlaskClient) -> None:
    response = self_journey(client).post("about", {"preferred_name": "y" * 101})
    assert errors(response) == [
        ("#preferred_name", "The name you would like us to use must be 100 characters or fewer")
    ]


def test_one_person_posting_too_fast_gets_a_kind_429_page_that_says_when_to_try_again(
    app: Flask, client: FlaskClient
) -> None:
    app.extensions["hub.config"] = dataclasses.replace(
        app.extensions["hub.config"], form_session_rate_limit="3 per minute"
    )
    with time_machine.travel(datetime(2026, 7, 14, 13, 30, 20, tzinfo=UTC), tick=False):
        journey = self_journey(client)
        codes = [journey.post("about").status_code for _ in range(4)]
        assert codes == [303, 303, 303, 429]
        response = journey.post("about")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "61"  # the window, plus the limiter's rounding up
    assert '<h1 class="govuk-heading-l">Please wait a moment</h1>' in page
    assert "Nothing is wrong with your answers." in page
    # When, in words and on the UK clock (13:30 UTC is 2:31pm in summer, a minute on).
    assert "You can try again in about 1 minute, at 2:31pm." in page
    assert "The answers you have already saved are kept." in page
    assert 'href="/self-refer/about"' in page
    assert "If you are in danger now, call 999." in page
    assert "Exit this page" in page


def test_two_people_behind_one_address_both_finish_while_a_fast_poster_is_limited(app: Flask) -> None:
    # The shipped defaults, as a council office would run them (the suite's are relaxed).
    defaults = Config(secret_key="x" * 32, database_url="", key_file=Path(), instance_path=Path())
    app.extensions["hub.config"] = dataclasses.replace(
        app.extensions["hub.config"],
        public_form_rate_limit=defaults.public_form_rate_limit,
        form_session_rate_limit=defaults.form_session_rate_limit,
        overall_rate_limit=defaults.overall_rate_limit,
    )
    office = {"REMOTE_ADDR": "203.0.113.9"}
    with time_machine.travel(datetime(2026, 11, 3, 10, 0, tzinfo=UTC), tick=False):
        fast = app.test_client()
        fast.environ_base.update(office)
        hammering = self_journey(fast)
        codes = [hammering.post("about").status_code for _ in range(25)]
        assert codes.count(429) == 5 and set(codes[:20]) == {303}
        # Ten colleagues on the same address, in the same minute, each finish their forms.
        for _ in range(5):
            person = app.test_client()
            person.environ_base.update(office)
            reference, _code = reference_and_code(self_journey(person).complete())
            assert reference
        for _ in range(5):
            person = app.test_client()
            person.environ_base.update(office)
            assert professional_journey(person).complete().status_code == 200


# -- exit ---------------------------------------------------------------------------------------


def test_exit_forgets_the_answers_and_goes_somewhere_neutral(
    client: FlaskClient, db_session: Session
) -> None:
    self_journey(client).post("about")
    assert db_session.scalar(select(func.count()).select_from(DraftPage)) == 1
    response = client.get("/exit")
    assert response.status_code == 303
    assert response.headers["Location"] == "https://www.bbc.co.uk/weather"
    assert "cookies" in response.headers["Clear-Site-Data"]
    assert db_session.scalar(select(func.count()).select_from(DraftPage)) == 0
    assert "There is nothing to send" in client.get("/self-refer/check").get_data(as_text=True)
