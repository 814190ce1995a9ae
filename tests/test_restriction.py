"""Restricting a referral: a data-protection officer's decision with its legal basis; its provider then
sees the reference, status and dates only, on every page, until the restriction is lifted."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.audit import Actor, AuditEntry
from hub.auth.models import Role
from hub.outbox import OutboxMessage
from hub.providers.models import Provider
from hub.referrals import cases, restriction
from hub.referrals.allocation import allocate
from hub.referrals.models import (
    Allocation,
    ContactMethod,
    Referral,
    ReferralEvent,
    ReferralStatus,
    SafeContact,
)

from . import factories
from .staff import signed_in
from .test_consent import BORN, PERSONAL, RISK, Desk, professional, provider_desk

pytestmark = pytest.mark.usefixtures("midday")

TRS = Actor(id=None, role="allocator")
BASIS = "UK GDPR Article 18(1)(a): the person contests the accuracy of their contact details."
SECRETS = [
    *PERSONAL.values(),
    RISK,
    "Avery Caseworker",
    "After 10am only",
    "Chosen by the test: a quiet reason",
    BORN.strftime("%-d %B %Y"),
]
"""What the person (or their referrer, or the triage team about them) told us, as a page would show it."""


@pytest.fixture
def provider(db_session: Session) -> Provider:
    return factories.provider(db_session, name="Harbour")


@pytest.fixture
def dpo(app: Flask, db_session: Session) -> tuple[Desk, Actor]:
    client, user = signed_in(app, db_session, Role.ADMIN, data_protection=True, display_name="Dee Officer")
    return Desk(client), Actor(id=str(user.id), role="admin")


def shared_case(db: Session, provider: Provider, *, accepted: bool = True) -> Allocation:
    referral = professional(db, share=True)
    referral.safe_contact = SafeContact(
        methods=(ContactMethod.PHONE,), voicemail="no", say_who="no", safe_times="After 10am only"
    )
    referral.support_wanted = "Counselling, at a women-only service."
    db.commit()
    allocation = allocate(db, referral.id, provider.id, TRS, reason="Chosen by the test: a quiet reason")
    if accepted:
        account = factories.staff_user(db, role=Role.PROVIDER_STAFF, provider_id=provider.id)
        cases.accept(db, allocation.id, provider.id, Actor(id=str(account.id), role="provider_staff"))
    return allocation


def leaks(page: str) -> list[str]:
    return [secret for secret in SECRETS if secret in page]


def written(db: Session, referral: Referral) -> tuple[Any, ...]:
    db.expire_all()
    fresh = db.get(Referral, referral.id)
    assert fresh is not None
    return (
        fresh.restricted_at,
        fresh.restricted_by,
        fresh.restriction_basis,
        fresh.status,
        db.scalar(select(func.count()).select_from(ReferralEvent)),
        db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("referral.restrict%"))).all(),
        db.scalar(select(func.count()).select_from(OutboxMessage)),
    )


def test_a_provider_guessing_the_addresses_of_a_restricted_case_gets_no_personal_value(
    app: Flask, db_session: Session, provider: Provider, dpo: tuple[Desk, Actor]
) -> None:
    allocation = shared_case(db_session, provider)
    pat = provider_desk(app, db_session, provider)
    _, before = pat.get(f"/provider/cases/{allocation.id}")
    assert leaks(before) == SECRETS, "the test looks for what the unrestricted page shows"
    restriction.restrict(db_session, allocation.referral, dpo[1], basis=BASIS)
    viewed = db_session.scalar(select(func.count()).where(AuditEntry.action == "referral.viewed"))
    for path in (
        f"/provider/cases/{allocation.id}",
        "/provider/cases?group=active",
        "/provider/cases",
        "/staff",
    ):
        status, page = pat.get(path)
        assert status == 200 and not leaks(page), (path, leaks(page))
        assert BASIS not in page
    _, page = pat.get(f"/provider/cases/{allocation.id}")
    assert allocation.referral.reference in page and "Accepted by the provider" in page
    assert (
        "The person's details are restricted" in page and "contact the Trauma and Resilience Service" in page
    )
    assert "Details restricted: providers see the reference only" in page, "the timeline says so"
    _, listed = pat.get("/provider/cases?group=active")
    assert "Details restricted: contact TRS" in listed and "Risk" not in listed.split("<table")[1]
    _, risky = pat.get("/provider/cases?group=active&risk=yes")
    assert allocation.referral.reference not in risky, "a restricted case's risks are not a filter either"
    assert db_session.scalar(select(func.count()).where(AuditEntry.action == "referral.viewed")) == viewed
    _, home = pat.get("/staff")
    assert "details restricted, contact the triage team before any contact" in home


def test_recording_first_contact_on_a_restricted_case_says_why_not_and_writes_nothing(
    app: Flask, db_session: Session, provider: Provider, dpo: tuple[Desk, Actor]
) -> None:
    allocation = shared_case(db_session, provider)
    restriction.restrict(db_session, allocation.referral, dpo[1], basis=BASIS)
    pat = provider_desk(app, db_session, provider)
    _, page = pat.get(f"/provider/cases/{allocation.id}")
    assert "You cannot record a first contact while the person's details are restricted" in page
    assert 'action="/provider/cases/' + str(allocation.id) + '/first-contact"' not in page
    before = written(db_session, allocation.referral)
    response = pat.send(
        f"/provider/cases/{allocation.id}/first-contact",
        **{
            "first-contact-on-day": "2",
            "first-contact-on-month": "11",
            "first-contact-on-year": "2026",
            "first-contact-channel": "phone",
            "first-contact-voicemail_left": "no",
            "first-contact-service_named": "no",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "restricted" in page and not leaks(page)
    assert written(db_session, allocation.referral) == before
    assert allocation.first_contact_on is None
    with pytest.raises(cases.DetailsRestricted):
        cases.record_measures(
            db_session, allocation.id, provider.id, Actor(None, "provider_staff"), {"sessions_offered": 3}
        )


def test_a_restricted_offer_can_still_be_accepted_or_declined_without_seeing_the_person(
    app: Flask, db_session: Session, provider: Provider, dpo: tuple[Desk, Actor]
) -> None:
    allocation = shared_case(db_session, provider, accepted=False)
    restriction.restrict(db_session, allocation.referral, dpo[1], basis=BASIS)
    pat = provider_desk(app, db_session, provider)
    response = pat.send(f"/provider/cases/{allocation.id}/accept")
    assert response.status_code == 303
    db_session.expire_all()
    assert allocation.referral.status is ReferralStatus.ACCEPTED
    _, page = pat.get(f"/provider/cases/{allocation.id}")
    assert not leaks(page) and "You have accepted" in page


def test_lifting_the_restriction_gives_the_provider_the_details_back(
    app: Flask, db_session: Session, provider: Provider, dpo: tuple[Desk, Actor]
) -> None:
    allocation = shared_case(db_session, provider)
    referral = allocation.referral
    officer, _ = dpo
    status, _, location = officer.post(f"/admin/restrictions/{referral.id}/restrict", basis=BASIS)
    assert status == 303 and location == "/admin/restrictions"
    pat = provider_desk(app, db_session, provider)
    assert not leaks(pat.get(f"/provider/cases/{allocation.id}")[1])
    status, _, _ = officer.post(
        f"/admin/restrictions/{referral.id}/lift", basis="The person agreed the details."
    )
    assert status == 303
    _, listing = officer.get("/admin/restrictions")
    assert "The restriction on " + referral.reference + " is lifted" in listing
    assert "No referral is restricted." in listing
    _, page = pat.get(f"/provider/cases/{allocation.id}")
    assert PERSONAL["full_name"] in page and PERSONAL["phone"] in page and RISK in page
    assert "Restriction lifted" in page
    db_session.expire_all()
    assert (referral.restricted_at, referral.restricted_by, referral.restriction_basis) == (None, None, None)
    actions = db_session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(referral.id)))
    assert [a for a in actions if a.startswith("referral.restrict")] == [
        "referral.restricted",
        "referral.restriction_lifted",
    ]


def test_restricting_or_lifting_without_a_legal_basis_is_refused_and_changes_nothing(
    db_session: Session, provider: Provider, dpo: tuple[Desk, Actor]
) -> None:
    allocation = shared_case(db_session, provider)
    referral = allocation.referral
    officer, actor = dpo
    before = written(db_session, referral)
    for basis in ("", "   \n  "):
        status, page, _ = officer.post(f"/admin/restrictions/{referral.id}/restrict", basis=basis)
        assert status == 200 and "<title>Error: " in page and "Give the legal basis for this decision" in page
        assert written(db_session, referral) == before
        with pytest.raises(restriction.BasisNeeded):
            restriction.restrict(db_session, referral, actor, basis=basis)
        assert written(db_session, referral) == before
    restriction.restrict(db_session, referral, actor, basis=BASIS)
    restricted = written(db_session, referral)
    with pytest.raises(restriction.BasisNeeded):
        restriction.lift(db_session, referral, actor, basis=" ")
    with pytest.raises(restriction.RestrictionRefused, match="already restricted"):
        restriction.restrict(db_session, referral, actor, basis=BASIS)
    status, page, _ = officer.post(f"/admin/restrictions/{referral.id}/restrict", basis=BASIS)
    assert status == 200 and "is already restricted" in page
    assert written(db_session, referral) == restricted


def test_a_plain_administrator_and_everyone_else_is_refused_the_restriction_pages(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    allocation = shared_case(db_session, provider)
    referral = allocation.referral
    before = written(db_session, referral)
    for role, fields in (
        (Role.ADMIN, {}),
        (Role.ALLOCATOR, {}),
        (Role.COMMISSIONER, {}),
        (Role.PROVIDER_STAFF, {"provider_id": provider.id}),
    ):
        client, _ = signed_in(app, db_session, role, **fields)
        desk = Desk(client)
        for path in ("/admin/restrictions", f"/admin/restrictions/{referral.id}"):
            assert desk.get(path)[0] == 403, (role, path)
        for action in ("restrict", "lift"):
            status, page, _ = desk.post(f"/admin/restrictions/{referral.id}/{action}", basis=BASIS)
            assert status == 403 and referral.reference not in page, (role, action)
        assert desk.post("/admin/restrictions", reference=referral.reference)[0] == 403
    assert written(db_session, referral) == before


def test_the_officer_finds_a_referral_by_its_reference_confirms_and_sees_it_listed(
    db_session: Session, provider: Provider, dpo: tuple[Desk, Actor]
) -> None:
    allocation = shared_case(db_session, provider)
    referral = allocation.referral
    officer, _ = dpo
    status, page, _ = officer.post("/admin/restrictions", reference="PAS-ZZZZ-ZZZZ")
    assert status == 200 and "No referral has that reference" in page and 'value="PAS-ZZZZ-ZZZZ"' in page
    typed = referral.reference.lower().replace("-", " ")
    status, _, location = officer.post("/admin/restrictions", reference=typed)
    assert status == 303 and location == f"/admin/restrictions/{referral.id}"
    _, confirm = officer.get(location)
    assert f"Restrict {referral.reference}?" in confirm and "Harbour" in confirm
    assert not leaks(confirm), "the officer confirms by the reference, not by the person's details"
    status, _, _ = officer.post(f"/admin/restrictions/{referral.id}/restrict", basis=BASIS)
    assert status == 303
    _, listing = officer.get("/admin/restrictions")
    assert (
        f"{referral.reference} is restricted. Providers see its reference, status and dates only." in listing
    )
    assert referral.reference in listing.split("<table")[1] and BASIS in listing and "Dee Officer" in listing
    _, confirm = officer.get(f"/admin/restrictions/{referral.id}")
    assert f"Lift the restriction on {referral.reference}?" in confirm
    sealed = select(Referral.__table__.c.restriction_basis_sealed).where(Referral.id == referral.id)
    assert BASIS.encode() not in (db_session.scalar(sealed) or b"")


def test_the_triage_team_still_sees_everything_with_a_restricted_notice(
    app: Flask, db_session: Session, provider: Provider, dpo: tuple[Desk, Actor]
) -> None:
    allocation = shared_case(db_session, provider)
    restriction.restrict(db_session, allocation.referral, dpo[1], basis=BASIS)
    client, _ = signed_in(app, db_session, Role.ALLOCATOR)
    _, page = Desk(client).get(f"/triage/referrals/{allocation.referral_id}")
    assert PERSONAL["full_name"] in page and RISK in page
    assert "Restricted since" in page and "Providers see its reference, status and dates only." in page
    assert BASIS in page.split('id="timeline"')[1], "the basis is on the timeline for the triage team"


def test_restricting_sends_no_email_and_the_providers_emails_hold_no_personal_data(
    db_session: Session, provider: Provider, dpo: tuple[Desk, Actor]
) -> None:
    provider.referrals_email = "team@harbour.example.org"
    allocation = shared_case(db_session, provider, accepted=False)
    before = written(db_session, allocation.referral)[-1]
    restriction.restrict(db_session, allocation.referral, dpo[1], basis=BASIS)
    assert written(db_session, allocation.referral)[-1] == before
    to_team = [
        m for m in db_session.scalars(select(OutboxMessage)) if m.to_address == provider.referrals_email
    ]
    assert to_team and not any(leaks(f"{m.subject}\n{m.body}") for m in to_team)
