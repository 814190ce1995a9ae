"""The provider's casework: every allowed and every refused transition, what each records, the pages,
/status at each stage, and the content of every notification."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import calendar
from hub.audit import Actor, AuditEntry
from hub.auth.models import Role
from hub.keyring import Keyring
from hub.kpi.reminders import send_reminders
from hub.outbox import OutboxMessage
from hub.providers.models import Provider
from hub.referrals import cases, timeline
from hub.referrals.allocation import allocate
from hub.referrals.models import (
    Allocation,
    AllocationStatus,
    ContactMethod,
    DeclineReason,
    EventKind,
    FirstContact,
    Measures,
    Outcome,
    Referral,
    ReferralSource,
    ReferralStatus,
    SafeContact,
)
from hub.referrals.status import check_status, new_status_code
from hub.referrals.triage_moves import move

from . import factories
from . import staff as staff_pages
from .clock import TODAY
from .journeys import TOKEN
from .staff import signed_in

pytestmark = pytest.mark.usefixtures("midday")

TRS = Actor(id=None, role="allocator")


@pytest.fixture
def provider(db_session: Session) -> Provider:
    return factories.provider(db_session, name="Harbour")


def offered(db: Session, provider: Provider, **fields: Any) -> Allocation:
    """A referral allocated to the provider by the triage team, as the allocate service leaves it."""
    referral = factories.referral(db, source=ReferralSource.PROFESSIONAL, **fields)
    referral.safe_contact = SafeContact(methods=(ContactMethod.PHONE, ContactMethod.TEXT), voicemail="no")
    referral.referrer_email = "avery.caseworker@example.gov.uk"
    db.commit()
    return allocate(db, referral.id, provider.id, TRS, reason="Chosen by the test.")


def staff(db: Session, provider: Provider) -> Actor:
    account = factories.staff_user(
        db, role=Role.PROVIDER_STAFF, provider_id=provider.id, display_name="Pat Provider"
    )
    return Actor(id=str(account.id), role="provider_staff")


Action = Callable[[Session, Allocation, Actor, int], Any]
ACTIONS: dict[str, Action] = {
    "accept": lambda db, a, who, pid: cases.accept(db, a.id, pid, who),
    "decline": lambda db, a, who, pid: cases.decline(db, a.id, pid, who, DeclineReason.NO_CAPACITY),
    "first_contact": lambda db, a, who, pid: cases.record_first_contact(db, a.id, pid, who, TODAY, "text"),
    "measures": lambda db, a, who, pid: cases.record_measures(db, a.id, pid, who, {"sessions_offered": 6}),
    "close": lambda db, a, who, pid: cases.close(db, a.id, pid, who, Outcome.NO_LONGER_WANTED),
}

# How to bring a new offer to each stage, and which actions are allowed there.
STAGES: dict[str, tuple[list[str], set[str]]] = {
    "waiting for a decision": ([], {"accept", "decline"}),
    "declined": (["decline"], set()),
    "accepted": (["accept"], {"first_contact", "measures", "close"}),
    "in support": (["accept", "first_contact"], {"measures", "close"}),
    "closed": (["accept", "first_contact", "close"], {"measures"}),
}


@pytest.mark.parametrize("stage", list(STAGES))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_transition_is_allowed_or_refused_with_a_typed_error(
    db_session: Session, provider: Provider, stage: str, action: str
) -> None:
    who = staff(db_session, provider)
    allocation = offered(db_session, provider)
    steps, allowed = STAGES[stage]
    for step in steps:
        ACTIONS[step](db_session, allocation, who, provider.id)
    before = fetch(db_session, allocation)
    if action in allowed:
        ACTIONS[action](db_session, allocation, who, provider.id)
        assert timeline.entries(db_session, allocation.referral)[0].who == "Pat Provider (Provider)"
    else:
        with pytest.raises(cases.NotAllowedNow, match=r"You cannot .* now: the case is"):
            ACTIONS[action](db_session, allocation, who, provider.id)
        assert fetch(db_session, allocation) == before, "a refused move writes nothing"


def fetch(db: Session, allocation: Allocation) -> tuple[Any, ...]:
    db.expire_all()
    found = db.get(Allocation, allocation.id)
    assert found is not None
    return (
        found.status,
        found.referral.status,
        found.outcome,
        found.first_contact_on,
        len(found.referral.events),
    )


def test_acting_on_another_providers_case_is_refused(db_session: Session, provider: Provider) -> None:
    other = factories.provider(db_session, name="Other")
    allocation = offered(db_session, provider)
    intruder = staff(db_session, other)
    for action in ACTIONS.values():
        with pytest.raises(cases.NotYourCase, match="not one of your organisation's"):
            action(db_session, allocation, intruder, other.id)
    assert fetch(db_session, allocation)[0] is AllocationStatus.PENDING


def test_what_each_transition_records(db_session: Session, provider: Provider, keyring: Keyring) -> None:
    who = staff(db_session, provider)
    allocation = offered(db_session, provider)
    cases.accept(db_session, allocation.id, provider.id, who)
    db_session.expire_all()
    assert fetch(db_session, allocation)[:2] == (AllocationStatus.ACCEPTED, ReferralStatus.ACCEPTED)
    assert allocation.decided_at is not None
    cases.record_first_contact(db_session, allocation.id, provider.id, who, TODAY, "text")
    cases.record_measures(
        db_session,
        allocation.id,
        provider.id,
        who,
        {"sessions_offered": 8, "sessions_attended": 6, "sessions_not_attended": 2, "outcome_start": 31},
    )
    cases.close(
        db_session, allocation.id, provider.id, who, Outcome.DISENGAGED, "Stopped replying after May."
    )
    db_session.expire_all()
    assert (allocation.first_contact_on, allocation.first_contact) == (
        TODAY,
        FirstContact(ContactMethod.TEXT),
    )
    assert allocation.measures == Measures(
        sessions_offered=8, sessions_attended=6, sessions_not_attended=2, outcome_start=31
    )
    assert factories.stored_json(allocation, "measures") == {
        "sessions_offered": 8,
        "sessions_attended": 6,
        "sessions_not_attended": 2,
        "group_sessions": None,
        "outcome_start": 31,
        "outcome_end": None,
    }
    assert allocation.outcome is Outcome.DISENGAGED and allocation.closed_at is not None
    assert allocation.referral.status is ReferralStatus.CLOSED
    entries = timeline.entries(db_session, allocation.referral)
    assert [e.what for e in entries] == [
        "Support ended, case closed: Harbour",
        "Sessions and outcome measures recorded: Harbour",
        "First contact made, support started: Harbour",
        "Accepted by the provider: Harbour",
        "Allocated to a provider: Harbour",
        "Referral received",
    ]
    assert entries[0].why == "They stopped taking part. Stopped replying after May."
    assert entries[2].why == f"Text message, {TODAY.strftime('%-d %B %Y')}"
    actions = db_session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions[-4:] == [
        "referral.accepted",
        "referral.first_contact",
        "referral.measures_recorded",
        "referral.closed",
    ]


def test_declining_returns_it_to_the_queue_with_the_reason_first(
    db_session: Session, provider: Provider
) -> None:
    who = staff(db_session, provider)
    allocation = offered(db_session, provider)
    with pytest.raises(cases.BadDetails, match="Say why you are declining"):
        cases.decline(db_session, allocation.id, provider.id, who, DeclineReason.OTHER, "  ")
    cases.decline(
        db_session, allocation.id, provider.id, who, DeclineReason.OUTSIDE_AREA, "They moved to Leeds."
    )
    db_session.expire_all()
    assert (
        allocation.status is AllocationStatus.DECLINED
        and allocation.decline_reason is DeclineReason.OUTSIDE_AREA
    )
    assert allocation.decline_note == "They moved to Leeds."
    assert allocation.referral.status is ReferralStatus.DECLINED_BY_PROVIDER
    newest = timeline.entries(db_session, allocation.referral)[0]
    assert newest.what == "Declined by the provider, back to the triage team: Harbour"
    assert newest.why == "The person lives outside our area. They moved to Leeds."


def test_first_contact_only_by_a_safe_channel_and_not_in_the_future(
    db_session: Session, provider: Provider
) -> None:
    who = staff(db_session, provider)
    allocation = offered(db_session, provider)
    cases.accept(db_session, allocation.id, provider.id, who)
    with pytest.raises(cases.UnsafeChannel, match="Email is not one of the ways the person said is safe"):
        cases.record_first_contact(db_session, allocation.id, provider.id, who, TODAY, "email")
    with pytest.raises(cases.BadDetails, match="today or in the past"):
        cases.record_first_contact(
            db_session, allocation.id, provider.id, who, TODAY + timedelta(days=1), "text"
        )
    assert fetch(db_session, allocation)[1] is ReferralStatus.ACCEPTED


def test_measures_must_add_up(db_session: Session, provider: Provider) -> None:
    who = staff(db_session, provider)
    allocation = offered(db_session, provider)
    cases.accept(db_session, allocation.id, provider.id, who)
    with pytest.raises(cases.BadDetails, match="cannot add up to more than the sessions offered"):
        cases.record_measures(
            db_session, allocation.id, provider.id, who, {"sessions_offered": 2, "sessions_attended": 3}
        )
    with pytest.raises(cases.BadDetails, match="whole numbers, 0 or more"):
        cases.record_measures(db_session, allocation.id, provider.id, who, {"sessions_offered": -1})


# -- the pages ------------------------------------------------------------------------------------


class Desk(staff_pages.Desk):
    def post(self, path: str, **data: Any) -> tuple[int, str]:
        response = self.send(path, **data)
        return response.status_code, html.unescape(response.get_data(as_text=True))


def provider_desk(app: Flask, db: Session, provider: Provider) -> Desk:
    client, _ = signed_in(app, db, Role.PROVIDER_STAFF, provider_id=provider.id, display_name="Pat Provider")
    return Desk(client)


def test_the_case_list_shows_own_cases_grouped_with_counts(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    mine = [offered(db_session, provider) for _ in range(3)]
    theirs = offered(db_session, factories.provider(db_session))
    cases.accept(db_session, mine[0].id, provider.id, staff(db_session, provider))
    desk = provider_desk(app, db_session, provider)
    _, page = desk.get("/provider/cases")
    assert "Waiting for your decision (2)" in page and "Active (1)" in page and "Closed (0)" in page
    assert page.count("/provider/cases/") == 2 and str(theirs.id) not in page
    _, active = desk.get("/provider/cases?group=active")
    assert f"/provider/cases/{mine[0].id}" in active


def test_another_providers_case_is_a_404_and_the_attempt_is_audited(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    theirs = offered(db_session, factories.provider(db_session))
    desk = provider_desk(app, db_session, provider)
    assert desk.get(f"/provider/cases/{theirs.id}")[0] == 404
    assert desk.post(f"/provider/cases/{theirs.id}/accept")[0] == 404
    refused = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "access.refused")).all()
    assert [e.object_id for e in refused] == [str(theirs.id), str(theirs.id)]
    assert fetch(db_session, theirs)[0] is AllocationStatus.PENDING


def test_the_case_page_puts_safe_contact_first_and_is_audited(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    allocation = offered(db_session, provider)
    allocation.referral.phone = "07700 900456"
    db_session.commit()
    desk = provider_desk(app, db_session, provider)
    status, page = desk.get(f"/provider/cases/{allocation.id}")
    assert status == 200
    assert page.index("Contacting them safely") < page.index("About the person")
    assert "Only contact them in these ways: Phone call, Text message" in page and "07700 900456" in page
    assert "From the triage team: Chosen by the test." in page
    viewed = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "referral.viewed")).all()
    assert [e.object_id for e in viewed] == [str(allocation.referral_id)]


def test_an_unsafe_channel_is_refused_on_the_form_and_what_was_typed_is_kept(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    allocation = offered(db_session, provider)
    cases.accept(db_session, allocation.id, provider.id, staff(db_session, provider))
    desk = provider_desk(app, db_session, provider)
    fields = {"first-contact-on-day": "2", "first-contact-on-month": "1", "first-contact-on-year": "2026"}
    status, page = desk.post(
        f"/provider/cases/{allocation.id}/first-contact", **fields, **{"first-contact-channel": "email"}
    )
    assert status == 200
    summary = re.search(r'<div class="govuk-error-summary__body">(.*?)</ul>', page, re.S)
    assert summary and "Email is not one of the ways the person said is safe" in summary.group(1)
    assert 'href="#first-contact-channel"' in summary.group(1)
    assert 'value="2026"' in page, "what was typed is kept"
    offered_ways = re.findall(r'name="first-contact-channel" type="radio" value="([^"]+)"', page)
    assert offered_ways == ["phone", "text"], "only the safe ways are offered"
    assert fetch(db_session, allocation)[1] is ReferralStatus.ACCEPTED


def test_the_sessions_form_shows_what_was_recorded(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    who = staff(db_session, provider)
    allocation = offered(db_session, provider)
    cases.accept(db_session, allocation.id, provider.id, who)
    cases.record_first_contact(db_session, allocation.id, provider.id, who, TODAY, "text")
    cases.record_measures(
        db_session, allocation.id, provider.id, who, {"sessions_offered": 8, "group_sessions": 3}
    )
    _, page = provider_desk(app, db_session, provider).get(f"/provider/cases/{allocation.id}")
    assert re.search(r'id="measures-sessions_offered"[^>]*value="8"', page)
    assert re.search(r'id="measures-group_sessions"[^>]*value="3"', page)


def test_closing_a_case_never_accepted_is_refused_with_a_clear_message(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    allocation = offered(db_session, provider)
    desk = provider_desk(app, db_session, provider)
    status, page = desk.post(
        f"/provider/cases/{allocation.id}/close", **{"close-outcome": "support_completed"}
    )
    assert status == 200
    assert "You cannot close this case now: the case is “Allocated, waiting for the provider”." in page
    assert fetch(db_session, allocation)[1] is ReferralStatus.ALLOCATED


def test_declining_on_the_page_hands_it_back_and_hides_the_details(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    allocation = offered(db_session, provider)
    allocation.referral.full_name = "Jordan Pemberly-Test"
    db_session.commit()
    desk = provider_desk(app, db_session, provider)
    status, _ = desk.post(
        f"/provider/cases/{allocation.id}/decline",
        **{"decline-reason": "risk_too_high", "decline-note": "Needs a specialist service."},
    )
    assert status == 303
    status, page = desk.get(f"/provider/cases/{allocation.id}")
    assert status == 200 and "is no longer with you" in page and "Jordan Pemberly-Test" not in page
    assert desk.post(f"/provider/cases/{allocation.id}/accept")[0] == 200  # shown, not allowed
    assert fetch(db_session, allocation)[0] is AllocationStatus.DECLINED


# -- /status at every stage -----------------------------------------------------------------------


def test_status_says_the_stage_in_plain_english_at_every_step(
    db_session: Session, provider: Provider, keyring: Keyring
) -> None:
    who = staff(db_session, provider)
    allocation = offered(db_session, provider)
    referral = allocation.referral
    code, referral.status_secret_hash = new_status_code(keyring)
    db_session.commit()

    def stage() -> tuple[str, str | None]:
        answer = check_status(db_session, keyring, referral.reference, code)
        assert answer is not None
        return answer.stage, answer.organisation

    assert stage() == ("With a support organisation", None)
    cases.decline(
        db_session, allocation.id, provider.id, who, DeclineReason.NO_CAPACITY, "Private provider note."
    )
    assert stage() == ("With the triage team", None)
    move(db_session, referral.id, EventKind.INFO_REQUESTED, TRS, "Ask about risks.")
    assert stage() == ("With the triage team", None)
    move(db_session, referral.id, EventKind.INFO_RECEIVED, TRS)
    assert stage() == ("Received", None)
    # back to the provider that declined it: the allocator's own choice, with a reason (never from a plan)
    again = allocate(db_session, referral.id, provider.id, TRS, reason="Space again.")
    cases.accept(db_session, again.id, provider.id, who)
    assert stage() == ("With a support organisation", None)
    cases.record_first_contact(
        db_session, again.id, provider.id, who, TODAY, "phone", voicemail_left=False, service_named=False
    )
    assert stage() == ("Support has started", None)
    cases.close(db_session, again.id, provider.id, who, Outcome.SUPPORT_COMPLETED, "Private closing note.")
    assert stage() == ("Closed", None)


def test_status_names_the_organisation_only_when_the_person_chose_it(
    app: Flask, client: FlaskClient, db_session: Session, provider: Provider, keyring: Keyring
) -> None:
    chosen = offered(db_session, provider, preferred_provider_id=provider.id)
    not_chosen = offered(db_session, provider)
    for allocation in (chosen, not_chosen):
        code, allocation.referral.status_secret_hash = new_status_code(keyring)
        db_session.commit()
        token = TOKEN.search(client.get("/status").get_data(as_text=True))
        assert token
        page = client.post(
            "/status",
            data={"csrf_token": token.group(1), "reference": allocation.referral.reference, "proof": code},
        ).get_data(as_text=True)
        assert "With a support organisation" in page
        assert ("Harbour (the organisation you chose)" in page) is (allocation is chosen)
        assert "Chosen by the test." not in page


# -- notifications --------------------------------------------------------------------------------


def test_every_email_template_is_sent_somewhere_and_none_holds_personal_data(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    from .journeys import professional_journey, self_journey

    provider = factories.provider(db_session, name="Harbour")
    factories.staff_user(db_session, role=Role.ALLOCATOR, email="trs.allocator@example.org")
    factories.staff_user(
        db_session, role=Role.PROVIDER_STAFF, provider_id=provider.id, email="pat@example.org"
    )
    db_session.commit()
    professional_journey(client).complete()
    self_journey(client).complete()
    self_journey(client, contact={"say_who": "yes"}).complete()  # the email may name the service
    who = staff(db_session, provider)
    first, second, third = db_session.scalars(select(Referral).order_by(Referral.created_at)).all()
    for referral in (first, second):
        allocation = allocate(db_session, referral.id, provider.id, TRS, reason="Test.")
        if referral is first:
            cases.accept(db_session, allocation.id, provider.id, who)
        else:
            cases.decline(db_session, allocation.id, provider.id, who, DeclineReason.NO_CAPACITY)
    # Feedback codes by email (email is one of their safe ways): neutral for the second, naming the
    # service for the third, who said we may.
    cove = factories.provider(db_session, name="Cove")
    for referral in (second, third):
        allocation = allocate(db_session, referral.id, cove.id, TRS, reason="Test.")
        cases.accept(db_session, allocation.id, cove.id, staff(db_session, cove))
        cases.record_first_contact(
            db_session, allocation.id, cove.id, staff(db_session, cove), calendar.today(), "email"
        )
        cases.offer_feedback(db_session, allocation.id, cove.id, staff(db_session, cove))
    send_reminders(db_session, TODAY, after_days=0)  # no return from Harbour for last quarter
    messages = db_session.scalars(select(OutboxMessage)).all()
    templates = {path.stem for path in (Path(app.root_path) / "templates" / "email").glob("*.txt")}
    assert {m.template for m in messages} == templates, "every template is exercised here"
    personal = [
        value
        for referral in (first, second, third)
        for value in (
            referral.full_name,
            referral.preferred_name,
            referral.email,
            referral.phone,
            referral.postcode,
            referral.referrer_name,
            referral.referrer_email,
            referral.support_wanted,
        )
        if value
    ]
    assert len(personal) >= 8
    for message in messages:
        for value in personal:
            assert value not in message.body and value not in message.subject, (message.template, value)
