"""What a provider sees of a case's history: only what is theirs and what the triage team wrote for them."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from hub.audit import Actor
from hub.auth.models import Role
from hub.referrals import cases, timeline
from hub.referrals.allocation import allocate
from hub.referrals.models import ContactMethod, DeclineReason, EventKind, ReferralSource, SafeContact
from hub.referrals.triage_moves import move

from . import factories
from .test_cases import provider_desk


def test_provider_b_never_sees_provider_as_decline_its_staff_or_the_note_written_for_a(
    app: Flask, db_session: Session
) -> None:
    first = factories.provider(db_session, name="Anchor House")
    second = factories.provider(db_session, name="Beacon Project")
    allocator = factories.staff_user(db_session, role=Role.ALLOCATOR, display_name="Tess Allocator")
    trs = Actor(id=str(allocator.id), role="allocator")
    alex = factories.staff_user(
        db_session, role=Role.PROVIDER_STAFF, provider_id=first.id, display_name="Alex Anchorstaff"
    )
    referral = factories.referral(db_session, source=ReferralSource.PROFESSIONAL)
    referral.safe_contact = SafeContact(methods=(ContactMethod.PHONE,))
    db_session.commit()
    offer = allocate(
        db_session, referral.id, first.id, trs, reason="Note for Anchor only: they know the family."
    )
    cases.decline(
        db_session,
        offer.id,
        first.id,
        Actor(id=str(alex.id), role="provider_staff"),
        DeclineReason.OTHER,
        "Anchor's private decline note about the risks.",
    )
    move(db_session, referral.id, EventKind.INFO_REQUESTED, trs, "Ask the referrer about the risks at home.")
    move(db_session, referral.id, EventKind.INFO_RECEIVED, trs)
    again = allocate(db_session, referral.id, second.id, trs, reason="Note for Beacon: counselling fits.")

    _, page = provider_desk(app, db_session, second).get(f"/provider/cases/{again.id}")

    history = page[page.index('id="timeline"') :]
    for private in (
        "Anchor's private decline note",
        "Alex Anchorstaff",
        "Note for Anchor only",
        "Anchor House",
        "Ask the referrer about the risks at home",
        "Declined by the provider",
    ):
        assert private not in page, private
    assert "Allocated to a provider: Beacon Project" in history
    assert "Note for Beacon: counselling fits." in history
    assert "Tess Allocator" in history, "the triage team's allocation to them says who made it"
    assert "More information requested" in history, "the triage team's own moves, as plain lines"

    # The triage team still sees the whole history.
    everything = timeline.entries(db_session, referral)
    assert any(e.why and "Anchor's private decline note" in e.why for e in everything)
    assert any("Alex Anchorstaff" in e.who for e in everything)


def test_each_provider_sees_its_own_part_in_full(db_session: Session) -> None:
    first = factories.provider(db_session, name="Anchor House")
    second = factories.provider(db_session, name="Beacon Project")
    trs = Actor(id=None, role="allocator")
    referral = factories.referral(db_session)
    referral.safe_contact = SafeContact(methods=(ContactMethod.PHONE,))
    db_session.commit()
    offer = allocate(db_session, referral.id, first.id, trs, reason="For Anchor.")
    staff = factories.staff_user(
        db_session, role=Role.PROVIDER_STAFF, provider_id=first.id, display_name="Alex"
    )
    cases.decline(
        db_session,
        offer.id,
        first.id,
        Actor(id=str(staff.id), role="provider_staff"),
        DeclineReason.NO_CAPACITY,
    )
    allocate(db_session, referral.id, second.id, trs, reason="For Beacon.")

    seen_by_first = timeline.entries(db_session, referral, for_provider=first.id)
    seen_by_second = timeline.entries(db_session, referral, for_provider=second.id)

    assert [e.why for e in seen_by_first] == ["We have no space now", "For Anchor.", None]
    assert "Alex (Provider)" in [e.who for e in seen_by_first]
    assert [e.what for e in seen_by_second] == [
        "Allocated to a provider: Beacon Project",
        "Referral received",
    ]
