"""Asking people to help shape the service: the self-referral's question, ``/take-part``, the allocator's
list (only the ways said to be safe; erased, restricted and withdrawn referrals left out), taking
someone off it, and how long volunteers' details are kept. Time is frozen (tests/clock.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Date, func, inspect, select
from sqlalchemy.orm import Session

from hub.audit import Actor, AuditEntry
from hub.auth.models import Role
from hub.db import utcnow
from hub.privacy import erasure
from hub.referrals.models import (
    ConsultationVolunteer,
    ContactMethod,
    Referral,
    ReferralSource,
    ReferralStatus,
    SafeContact,
)

from . import factories
from .clock import Clock
from .journeys import TOKEN, errors, reference_and_code, self_journey
from .staff import signed_in
from .test_hostile_input import snapshot

pytestmark = pytest.mark.usefixtures("midday")

TAKE_PART: dict[str, str] = {
    "name": "Sam",
    "method": "text",
    "phone": "07700 900777",
    "email": "sam.private@example.org",
    "address": "",
    "voicemail": "",
    "say_who": "no",
    "safe_times": "After 6pm",
}


def token(client: FlaskClient, path: str = "/take-part") -> str:
    found = TOKEN.search(client.get(path).get_data(as_text=True))
    assert found
    return found.group(1)


def made(db: Session, response: Any) -> Referral:
    reference, _ = reference_and_code(response)
    found = db.scalar(select(Referral).where(Referral.reference == reference))
    assert found is not None
    return found


def card(page: str, person_id: Any) -> str:
    """One person's card on the list."""
    start = page.index(f'id="person-{person_id}"')
    end = page.find('<div class="govuk-summary-card"', start + 1)
    return page[start : end if end != -1 else len(page)]


def listed(db: Session) -> int:
    return db.scalar(select(func.count()).where(AuditEntry.action == "consultation.listed")) or 0


def volunteers(db: Session) -> list[ConsultationVolunteer]:
    db.expire_all()
    return list(db.scalars(select(ConsultationVolunteer)))


def opted_in(db: Session, **fields: Any) -> Referral:
    """A self-referral that said yes, with every contact detail held; only the ways in ``methods`` safe."""
    methods = fields.pop("methods", (ContactMethod.TEXT,))
    return factories.referral(
        db,
        source=ReferralSource.SELF,
        consultation_opt_in=fields.pop("consultation_opt_in", True),
        preferred_name=fields.pop("preferred_name", "Robin"),
        phone=fields.pop("phone", "07700 900123"),
        email=fields.pop("email", "robin.secret@example.org"),
        address=fields.pop("address", "1 Hidden Row"),
        safe_contact=SafeContact(methods=methods, say_who="no", safe_times="Mornings"),
        **fields,
    )


# -- the question at the end of a self-referral ---------------------------------------------------


@pytest.mark.parametrize(("answer", "kept"), [("yes", True), ("no", False), ("", None)])
def test_the_last_page_asks_and_the_answer_is_kept_with_the_referral(
    client: FlaskClient, db_session: Session, answer: str, kept: bool | None
) -> None:
    page = client.get("/self-refer/support").get_data(as_text=True)
    assert "help shape this service?" in page
    assert "Saying no changes nothing about your support" in page
    referral = made(db_session, self_journey(client, support={"consultation": answer}).complete())
    assert referral.consultation_opt_in is kept


def test_the_answer_is_on_check_answers_and_can_be_changed_there(
    client: FlaskClient, db_session: Session
) -> None:
    journey = self_journey(client, support={"consultation": "yes"})
    journey.answer_all()
    check = client.get("/self-refer/check").get_data(as_text=True)
    assert "Yes, you can ask me" in check
    assert 'href="/self-refer/support?change=1#consultation"' in check
    changed = journey.post("support", {**journey.answers["support"], "consultation": "no"}, query="?change=1")
    assert changed.status_code == 303 and changed.headers["Location"].endswith("/self-refer/check")
    assert "No, thank you" in client.get("/self-refer/check").get_data(as_text=True)
    referral = made(db_session, journey.send())
    assert referral.consultation_opt_in is False


def test_an_answer_not_offered_is_refused_kindly_and_nothing_is_kept(client: FlaskClient) -> None:
    journey = self_journey(client)
    response = journey.post("support", {**journey.answers["support"], "consultation": "maybe"})
    assert response.status_code == 200
    assert errors(response)
    assert "Someone who will listen, at my pace." in response.get_data(as_text=True)


def test_the_allocators_referral_page_shows_the_answer(app: Flask, db_session: Session) -> None:
    said_yes = opted_in(db_session)
    not_asked = factories.referral(db_session, source=ReferralSource.SELF)
    client, _ = signed_in(app, db_session, Role.ALLOCATOR)
    page = client.get(f"/triage/referrals/{said_yes.id}").get_data(as_text=True)
    assert "Helping shape the service" in page and "May we ask them to take part" in page
    assert "Not answered" in client.get(f"/triage/referrals/{not_asked.id}").get_data(as_text=True)


# -- the allocator's list -------------------------------------------------------------------------


def test_the_list_shows_only_the_ways_each_person_said_are_safe(app: Flask, db_session: Session) -> None:
    texts_only = opted_in(db_session, preferred_name="Robin", methods=(ContactMethod.TEXT,))
    email_only = opted_in(
        db_session, preferred_name="Jordan", methods=(ContactMethod.EMAIL,), email="jordan@example.org"
    )
    factories.consultation_volunteer(
        db_session,
        name="Kit",
        safe_contact=SafeContact(methods=(ContactMethod.LETTER,)),
        detail="2 Quiet Lane",
    )
    client, _ = signed_in(app, db_session, Role.ALLOCATOR)
    page = client.get("/triage/consultation").get_data(as_text=True)
    robin, jordan = card(page, texts_only.id), card(page, email_only.id)
    # Robin said email is not safe: the address is held but never shown; texting is.
    assert "robin.secret@example.org" not in page
    assert texts_only.reference in robin and "Text message" in robin and "07700 900123" in robin
    # Jordan said only email: no phone number, and no voicemail question for a way that is not a call.
    assert email_only.reference in jordan and "jordan@example.org" in jordan
    assert "Email" in jordan and "07700 900123" not in jordan and "voicemail" not in jordan
    assert "No: do not name the service" in robin
    assert "2 Quiet Lane" in page and "From the take part page" in page
    assert "1 Hidden Row" not in page  # nobody said letters were safe


def test_erased_restricted_and_withdrawn_referrals_are_left_out_and_counted(
    app: Flask, db_session: Session
) -> None:
    opted_in(db_session, preferred_name="Shown")
    opted_in(db_session, preferred_name="Restricted One", restricted_at=utcnow())
    opted_in(db_session, preferred_name="Withdrew", consent_to_referral=False, consent_to_share=False)
    opted_in(db_session, preferred_name="Stopped", status=ReferralStatus.WITHDRAWN)
    erased = opted_in(db_session, preferred_name="Erased One", status=ReferralStatus.CLOSED)
    erasure.erase_referral(db_session, erased, Actor(id=None, role="operator"), because="Asked")
    assert erased.consultation_opt_in is None  # erasing empties the answer with the rest
    erased.consultation_opt_in = True  # and were it left, the list would still leave the referral out
    db_session.commit()
    client, _ = signed_in(app, db_session, Role.ALLOCATOR)
    page = client.get("/triage/consultation").get_data(as_text=True)
    assert "Shown" in page
    for hidden in ("Restricted One", "Withdrew", "Stopped", "Erased One"):
        assert hidden not in page
    assert "4 people who referred themselves and said yes are left out" in page
    assert "1 because their details were erased" in page
    assert "1 because their details are restricted" in page
    assert "2 because they withdrew their consent or their referral" in page


def test_each_viewing_of_the_list_is_audited_with_who_looked(app: Flask, db_session: Session) -> None:
    opted_in(db_session)
    client, user = signed_in(app, db_session, Role.ALLOCATOR)
    before = listed(db_session)
    assert client.get("/triage/consultation").status_code == 200
    assert client.get("/triage/consultation").status_code == 200
    entries = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "consultation.listed")).all()
    assert len(entries) == before + 2
    assert entries[-1].actor == str(user.id) and entries[-1].role == "allocator"


@pytest.mark.parametrize("role", [Role.PROVIDER_STAFF, Role.COMMISSIONER, Role.ADMIN])
def test_other_staff_are_refused_the_list_and_nothing_is_shown_or_audited(
    app: Flask, db_session: Session, role: Role
) -> None:
    opted_in(db_session)
    fields = {"provider_id": factories.provider(db_session).id} if role is Role.PROVIDER_STAFF else {}
    client, _ = signed_in(app, db_session, role, **fields)
    response = client.get("/triage/consultation")
    assert response.status_code == 403
    assert "07700 900123" not in response.get_data(as_text=True)
    assert listed(db_session) == 0
    assert "/triage/consultation" not in client.get("/staff").get_data(as_text=True)


def test_the_allocators_navigation_has_the_list(app: Flask, db_session: Session) -> None:
    client, _ = signed_in(app, db_session, Role.ALLOCATOR)
    assert 'href="/triage/consultation"' in client.get("/staff").get_data(as_text=True)


# -- taking someone off the list ------------------------------------------------------------------


def test_a_volunteer_taken_off_the_list_is_deleted_and_it_is_audited(app: Flask, db_session: Session) -> None:
    volunteer_id = str(factories.consultation_volunteer(db_session).id)
    db_session.commit()
    client, user = signed_in(app, db_session, Role.ALLOCATOR)
    response = client.post(
        "/triage/consultation/remove",
        data={"csrf_token": token(client, "/triage/consultation"), "volunteer": volunteer_id},
        follow_redirects=True,
    )
    assert "Taken off the list" in response.get_data(as_text=True)
    assert volunteers(db_session) == []
    [entry] = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "consultation.removed"))
    assert entry.object_kind == "consultation_volunteer" and entry.object_id == volunteer_id
    assert entry.actor == str(user.id)


def test_a_referral_taken_off_the_list_says_no_from_then_on_and_it_is_audited(
    app: Flask, db_session: Session
) -> None:
    referral = opted_in(db_session)
    db_session.commit()
    client, _ = signed_in(app, db_session, Role.ALLOCATOR)
    client.post(
        "/triage/consultation/remove",
        data={"csrf_token": token(client, "/triage/consultation"), "referral": str(referral.id)},
    )
    db_session.expire_all()
    assert referral.consultation_opt_in is False
    assert referral.reference not in client.get("/triage/consultation").get_data(as_text=True)
    [entry] = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "consultation.removed"))
    assert (entry.object_kind, entry.object_id) == ("referral", str(referral.id))


@pytest.mark.parametrize(
    "body",
    [
        {"referral": "NOT-AN-ID"},
        {},
        {"volunteer": "00000000-0000-4000-8000-00000000dead"},  # already taken off, or never on it
        {"referral": "said-no"},  # a referral that said no cannot be "taken off" again
        {"volunteer": "both", "referral": "both"},
    ],
)
def test_a_refused_removal_changes_nothing_and_says_why(
    app: Flask, db_session: Session, body: dict[str, str]
) -> None:
    volunteer = factories.consultation_volunteer(db_session)
    said_no = opted_in(db_session, consultation_opt_in=False)
    opted_in(db_session)
    ids = {"said-no": str(said_no.id), "both": str(volunteer.id)}
    db_session.commit()
    client, _ = signed_in(app, db_session, Role.ALLOCATOR)
    csrf = token(client, "/triage/consultation")
    before = snapshot(db_session)
    sent = {name: ids.get(value, value) for name, value in body.items()}
    if "volunteer" in sent and "referral" in sent:
        sent["referral"] = str(said_no.id)
    response = client.post(
        "/triage/consultation/remove", data={"csrf_token": csrf, **sent}, follow_redirects=True
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "no longer on the list" in page or "Choose the person to take off the list" in page
    assert snapshot(db_session) == before
    assert db_session.scalar(select(func.count()).where(AuditEntry.action == "consultation.removed")) == 0


def test_provider_staff_cannot_take_anyone_off(app: Flask, db_session: Session) -> None:
    volunteer = factories.consultation_volunteer(db_session)
    db_session.commit()
    client, _ = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=factories.provider(db_session).id)
    before = snapshot(db_session)
    response = client.post(
        "/triage/consultation/remove",
        data={"csrf_token": token(client, "/staff"), "volunteer": str(volunteer.id)},
    )
    assert response.status_code == 403
    assert snapshot(db_session) == before


# -- /take-part ------------------------------------------------------------------------------------


def test_take_part_keeps_a_name_and_one_safe_way_sealed_and_says_what_happens_next(
    client: FlaskClient, db_session: Session
) -> None:
    page = client.get("/take-part").get_data(as_text=True)
    assert "not joined to any feedback you gave or to any referral" in page
    assert 'href="/privacy"' in page and "Exit this page" in page and 'href="/exit"' in page
    audited = db_session.scalar(select(func.count()).select_from(AuditEntry))
    response = client.post("/take-part", data={**TAKE_PART, "csrf_token": token(client)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/take-part/thank-you")
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "What happens next" in thanks and "If you change your mind" in thanks
    [row] = volunteers(db_session)
    assert row.name == "Sam" and row.given_on == date(2026, 11, 3)
    assert row.safe_contact == SafeContact(
        methods=(ContactMethod.TEXT,), say_who="no", safe_times="After 6pm"
    )
    assert row.detail == "07700 900777"  # the email typed was not for the way chosen: not kept
    stored = db_session.execute(select(ConsultationVolunteer.__table__)).one()._mapping
    assert not any(isinstance(v, bytes) and (b"Sam" in v or b"07700" in v) for v in stored.values())
    # Nothing records the moment it was given: no audit entry to match against feedback.
    assert db_session.scalar(select(func.count()).select_from(AuditEntry)) == audited


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Tell us a name we can use when we contact you"),
        ({"method": ""}, "Choose one safe way for us to contact you"),
        ({"method": "email", "email": ""}, "Enter an email address, or choose another way"),
        ({"method": "email", "email": "not an address"}, "Enter an email address in the correct format"),
        ({"method": "letter"}, "Enter an address for letters, or choose another way"),
        ({"method": "referrer"}, "Not a valid choice"),
        ({"name": "x" * 101}, "The name to use must be 100 characters or fewer"),
    ],
)
def test_bad_input_is_a_kind_error_that_keeps_what_was_typed_and_keeps_nothing(
    client: FlaskClient, db_session: Session, changes: dict[str, str], message: str
) -> None:
    response = client.post("/take-part", data={**TAKE_PART, **changes, "csrf_token": token(client)})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<title>Error: " in page
    assert message in page
    assert 'value="After 6pm"' in page  # what was typed is still there
    assert volunteers(db_session) == []


def test_a_json_body_or_a_post_without_its_token_is_refused_and_nothing_is_kept(
    client: FlaskClient, db_session: Session
) -> None:
    csrf = token(client)
    assert (
        client.post(
            "/take-part", json={**TAKE_PART, "csrf_token": csrf}, headers={"X-CSRFToken": csrf}
        ).status_code
        == 415
    )
    assert client.post("/take-part", data=TAKE_PART).status_code == 400
    huge = client.post("/take-part", data={**TAKE_PART, "safe_times": "a" * 200_000, "csrf_token": csrf})
    assert huge.status_code in {200, 413}
    assert volunteers(db_session) == []


def test_a_bot_filling_the_hidden_box_is_refused(client: FlaskClient, db_session: Session) -> None:
    response = client.post("/take-part", data={**TAKE_PART, "website": "spam", "csrf_token": token(client)})
    assert response.status_code == 400
    assert volunteers(db_session) == []


def test_nothing_in_a_volunteers_row_links_it_to_a_referral_feedback_or_a_moment(db_session: Session) -> None:
    table = inspect(db_session.get_bind()).get_columns("consultation_volunteer")
    names = {column["name"] for column in table}
    assert names == {"id", "given_on", "name_sealed", "safe_contact_sealed", "detail_sealed"}
    assert inspect(db_session.get_bind()).get_foreign_keys("consultation_volunteer") == []
    [given_on] = [c for c in table if c["name"] == "given_on"]
    assert isinstance(given_on["type"], Date)  # a day, never a time of day
    assert not any(word in name for name in names for word in ("referral", "feedback", "provider", "code"))


# -- retention, erasure, subject access, the notice ----------------------------------------------


@pytest.mark.parametrize(("given", "gone"), [(date(2024, 11, 3), True), (date(2024, 11, 4), False)])
def test_volunteers_are_deleted_2_years_from_the_day_given_and_not_a_day_sooner(
    app: Flask, db_session: Session, given: date, gone: bool
) -> None:
    factories.consultation_volunteer(db_session, given_on=given)
    factories.consultation_volunteer(db_session, given_on=date(2026, 1, 5))
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["retention", "purge"])
    assert result.exit_code == 0, result.output
    kept = {v.given_on for v in volunteers(db_session)}
    assert (given not in kept) is gone and date(2026, 1, 5) in kept
    erased = db_session.scalar(
        select(func.count()).where(
            AuditEntry.action == "retention.erased", AuditEntry.object_kind == "consultation_volunteer"
        )
    )
    assert erased == (1 if gone else 0)


def test_the_purge_deletes_a_volunteer_on_the_day_its_period_ends(
    app: Flask, db_session: Session, midday: Clock
) -> None:
    factories.consultation_volunteer(db_session, given_on=date(2024, 11, 4))
    db_session.commit()
    app.test_cli_runner().invoke(args=["retention", "purge"])
    assert len(volunteers(db_session)) == 1
    midday.shift(24 * 3600)
    app.test_cli_runner().invoke(args=["retention", "purge"])
    assert volunteers(db_session) == []


def test_the_answer_is_in_the_subject_access_pack(app: Flask, db_session: Session) -> None:
    from hub.privacy.subject_access import _answers

    referral = opted_in(db_session)
    [item] = [i for i in _answers(referral) if i["field"] == "consultation_opt_in"]
    assert item["answer"] is True


def test_the_privacy_notice_says_how_long_volunteers_details_are_kept(client: FlaskClient) -> None:
    page = client.get("/privacy").get_data(as_text=True)
    assert "if you offered to help shape the service" in page
    assert "2 years after you gave them" in page


def test_a_box_the_chosen_way_does_not_use_is_dropped_not_checked(
    client: FlaskClient, db_session: Session
) -> None:
    sent = {**TAKE_PART, "method": "phone", "email": "not an address", "csrf_token": token(client)}
    assert client.post("/take-part", data=sent).status_code == 303
    [row] = volunteers(db_session)
    assert (
        row.detail == "07700 900777"
        and row.safe_contact
        and row.safe_contact.methods == (ContactMethod.PHONE,)
    )
    too_long = {**sent, "email": "a" * 300}  # every box keeps its length cap all the same
    assert client.post("/take-part", data=too_long).status_code == 200
    assert len(volunteers(db_session)) == 1


def test_the_list_says_when_someone_was_under_18_when_they_referred_themselves(
    app: Flask, db_session: Session
) -> None:
    young = opted_in(db_session, preferred_name="Young", under_18=True)
    adult = opted_in(db_session, preferred_name="Adult")
    client, _ = signed_in(app, db_session, Role.ALLOCATOR)
    page = client.get("/triage/consultation").get_data(as_text=True)
    assert "Under 18 when they referred themselves" in card(page, young.id)
    assert "Under 18" not in card(page, adult.id)
