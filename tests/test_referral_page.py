"""The allocator's referral page, its actions, the whole-queue plan page and the provider's capacity page."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.audit import AuditEntry
from hub.auth.models import Role
from hub.outbox import OutboxMessage
from hub.providers.models import Provider, ProviderCapacity
from hub.referrals.models import (
    Allocation,
    AllocationStatus,
    ContactMethod,
    Referral,
    ReferralEvent,
    ReferralSource,
    ReferralStatus,
    Risks,
    SafeContact,
)

from . import factories
from . import staff as staff_pages
from .staff import signed_in


class Desk(staff_pages.Desk):
    """A signed-in allocator at the triage pages."""

    def page(self, referral: Referral) -> str:
        response = self.client.get(f"/triage/referrals/{referral.id}")
        assert response.status_code == 200
        return html.unescape(response.get_data(as_text=True))

    def post(self, path: str, **data: Any) -> Any:
        return self.send(path, **data)


@pytest.fixture
def desk(app: Flask, db_session: Session) -> Desk:
    client, _ = signed_in(app, db_session, Role.ALLOCATOR, display_name="Ash Allocator")
    return Desk(client)


def fetch(db: Session, referral: Referral) -> Referral:
    db.expire_all()
    found = db.get(Referral, referral.id)
    assert found is not None
    return found


def error_summary(page: str) -> list[tuple[str, str]]:
    body = re.search(r'<div class="govuk-error-summary__body">(.*?)</ul>', page, re.S)
    assert body, "no error summary on the page"
    return re.findall(r'<a href="([^"]+)">([^<]+)</a>', body.group(1))


def professional_referral(db: Session, **fields: Any) -> Referral:
    referral = factories.referral(db, source=ReferralSource.PROFESSIONAL, **fields)
    referral.full_name = "Jordan Pemberly-Test"
    referral.phone = "07700 900456"
    referral.safe_contact = SafeContact(
        methods=(ContactMethod.PHONE,), voicemail="no", say_who="no", safe_times="After 10am"
    )
    referral.risks = Risks(current_risks="Made-up risk for the test.", children_in_household="no")
    referral.referrer_name = "Avery Caseworker"
    db.flush()
    return referral


def test_the_page_shows_every_answer_safe_contact_first_and_the_view_is_audited(
    desk: Desk, db_session: Session
) -> None:
    referral = professional_referral(db_session)
    db_session.commit()
    page = desk.page(referral)
    for shown in (
        "Jordan Pemberly-Test",
        "07700 900456",
        "After 10am",
        "Made-up risk for the test.",
        "Avery Caseworker",
    ):
        assert shown in page
    headings = re.findall(r'<h2 class="govuk-heading-m"[^>]*>([^<]+)</h2>', page)
    assert headings[0] == "Contacting them safely"
    assert headings.index("Contacting them safely") < headings.index("About the person")
    assert "Safe to leave a voicemail" in page and "Referral received" in page
    viewed = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "referral.viewed")).all()
    assert [e.object_id for e in viewed] == [str(referral.id)]


def test_allocating_to_the_recommended_provider_needs_no_reason_and_tells_the_provider(
    desk: Desk, db_session: Session
) -> None:
    chosen = factories.provider(db_session, name="Harbour", referrals_email="team@harbour.example")
    factories.provider(db_session, name="Other")
    referral = factories.referral(db_session, preferred_provider_id=chosen.id)
    db_session.commit()
    page = desk.page(referral)
    assert "Harbour</strong> (recommended)" in page and "The person chose this organisation." in page
    response = desk.post(f"/triage/referrals/{referral.id}/allocate", provider=str(chosen.id), reason="")
    assert response.status_code == 303 and response.headers["Location"] == "/triage"
    banner = html.unescape(desk.client.get("/triage").get_data(as_text=True))
    assert f"{referral.reference} is allocated to Harbour." in banner
    assert fetch(db_session, referral).status is ReferralStatus.ALLOCATED
    [email] = db_session.scalars(select(OutboxMessage)).all()
    assert email.to_address == "team@harbour.example" and referral.reference not in email.body
    assert "Allocated to a provider: Harbour" in desk.page(referral)
    assert "Ash Allocator (Trauma and Resilience Service)" in desk.page(referral)


def test_another_provider_needs_a_reason_shown_in_the_error_summary(desk: Desk, db_session: Session) -> None:
    chosen = factories.provider(db_session, name="Harbour")
    other = factories.provider(db_session, name="Lighthouse")
    referral = factories.referral(db_session, preferred_provider_id=chosen.id)
    db_session.commit()
    response = desk.post(f"/triage/referrals/{referral.id}/allocate", provider=str(other.id), reason="  ")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert error_summary(page) == [
        ("#reason", "Say why you chose Lighthouse rather than the recommended provider, Harbour.")
    ]
    assert re.search(rf'value="{other.id}" checked', page), "the provider chosen is kept"
    assert fetch(db_session, referral).status is ReferralStatus.SUBMITTED
    response = desk.post(
        f"/triage/referrals/{referral.id}/allocate",
        provider=str(other.id),
        reason="Closer to where they live.",
    )
    assert response.status_code == 303
    [allocation] = db_session.scalars(select(Allocation)).all()
    assert allocation.provider_id == other.id and allocation.reason == "Closer to where they live."


def test_a_full_provider_is_refused_with_a_plain_message(desk: Desk, db_session: Session) -> None:
    full = factories.provider(db_session, name="Full", max_active=0)
    referral = factories.referral(db_session)
    db_session.commit()
    response = desk.post(f"/triage/referrals/{referral.id}/allocate", provider=str(full.id), reason="Test.")
    page = html.unescape(response.get_data(as_text=True))
    assert ("#actions", "Full has no space left. Choose another provider or wait.") in error_summary(page)
    assert fetch(db_session, referral).status is ReferralStatus.SUBMITTED


def test_asking_for_information_takes_it_out_of_the_queue_until_it_comes(
    desk: Desk, db_session: Session
) -> None:
    referral = factories.referral(db_session)
    db_session.commit()
    response = desk.post(
        f"/triage/referrals/{referral.id}/request-information", **{"request-information-note": ""}
    )
    assert error_summary(html.unescape(response.get_data(as_text=True))) == [
        ("#request-information-note", "Say what information is needed")
    ]
    response = desk.post(
        f"/triage/referrals/{referral.id}/request-information",
        **{"request-information-note": "Ask the referrer about the risks."},
    )
    assert response.status_code == 303
    assert fetch(db_session, referral).status is ReferralStatus.INFO_REQUESTED
    link = f"/triage/referrals/{referral.id}"
    assert link not in desk.client.get("/triage").get_data(as_text=True)
    assert link in desk.client.get("/triage?info_requested=yes").get_data(as_text=True)
    page = desk.page(referral)
    assert "More information requested" in page and "Ask the referrer about the risks." in page
    desk.post(
        f"/triage/referrals/{referral.id}/information-received", **{"information-received-note": "Called."}
    )
    assert fetch(db_session, referral).status is ReferralStatus.SUBMITTED
    assert link in desk.client.get("/triage").get_data(as_text=True)
    kinds = [
        e.kind.value for e in db_session.scalars(select(ReferralEvent).order_by(ReferralEvent.occurred_at))
    ]
    assert kinds == ["info_requested", "info_received"]


def test_a_too_long_note_is_refused_and_what_was_typed_is_kept(desk: Desk, db_session: Session) -> None:
    referral = factories.referral(db_session)
    db_session.commit()
    typed = "Signposted to the local rape crisis centre. " * 60
    response = desk.post(f"/triage/referrals/{referral.id}/signpost", **{"signpost-note": typed})
    page = html.unescape(response.get_data(as_text=True))
    assert error_summary(page) == [
        ("#signpost-note", "The note of where they were signposted must be 2,000 characters or fewer")
    ]
    assert typed.strip() in page
    assert fetch(db_session, referral).status is ReferralStatus.SUBMITTED


def test_signposting_closes_it_and_a_later_move_is_refused_plainly(desk: Desk, db_session: Session) -> None:
    referral = factories.referral(db_session)
    db_session.commit()
    desk.post(f"/triage/referrals/{referral.id}/signpost", **{"signpost-note": "Local counselling service."})
    assert fetch(db_session, referral).status is ReferralStatus.SIGNPOSTED
    response = desk.post(f"/triage/referrals/{referral.id}/withdraw", **{"withdraw-note": "They asked."})
    page = html.unescape(response.get_data(as_text=True))
    assert error_summary(page) == [
        (
            "#actions",
            "This referral cannot be marked withdrawn now: its status is “Closed and signposted”. "
            "Someone may have dealt with it already.",
        )
    ]
    assert fetch(db_session, referral).status is ReferralStatus.SIGNPOSTED


def test_withdrawing_an_allocated_referral_frees_the_providers_place(desk: Desk, db_session: Session) -> None:
    provider = factories.provider(db_session, max_active=1)
    referral = factories.referral(db_session, status=ReferralStatus.ALLOCATED)
    factories.allocation(db_session, referral_id=referral.id, provider_id=provider.id)
    db_session.commit()
    desk.post(f"/triage/referrals/{referral.id}/withdraw", **{"withdraw-note": "They asked us to stop."})
    assert fetch(db_session, referral).status is ReferralStatus.WITHDRAWN
    [allocation] = db_session.scalars(select(Allocation)).all()
    assert allocation.status is AllocationStatus.CANCELLED
    other = factories.referral(db_session)
    db_session.commit()
    assert desk.post(f"/triage/referrals/{other.id}/allocate", provider=str(provider.id)).status_code == 303


def test_an_unknown_referral_or_action_is_a_404(desk: Desk, db_session: Session) -> None:
    referral = factories.referral(db_session)
    db_session.commit()
    assert desk.client.get("/triage/referrals/00000000-0000-4000-8000-000000000009").status_code == 404
    assert desk.client.get("/triage/referrals/not-an-id").status_code == 404
    assert desk.post(f"/triage/referrals/{referral.id}/delete-everything").status_code == 404


# -- the whole-queue plan -------------------------------------------------------------------------


def shown_plan(desk: Desk) -> tuple[str, str, list[str]]:
    """The plan page as the allocator sees it: the page, its signed offer, the ticked pairs."""
    page = html.unescape(desk.client.get("/triage/plan").get_data(as_text=True))
    offer = re.search(r'name="offer" type="hidden" value="([^"]+)"', page)
    assert offer or "Allocate the ticked referrals" not in page, "the plan page carries no signed offer"
    return (
        page,
        offer.group(1) if offer else "",
        re.findall(r'name="pairs" type="checkbox" value="([^"]+)" checked', page),
    )


def test_the_plan_is_allocated_only_as_far_as_the_allocator_confirms(desk: Desk, db_session: Session) -> None:
    provider = factories.provider(db_session, name="Harbour", max_active=5)
    first, second = factories.referral(db_session), factories.referral(db_session)
    db_session.commit()
    _, offer, pairs = shown_plan(desk)
    assert sorted(pairs) == sorted([f"{first.id}:{provider.id}", f"{second.id}:{provider.id}"])
    assert fetch(db_session, first).status is ReferralStatus.SUBMITTED  # showing a plan allocates nothing
    response = desk.post("/triage/plan", pairs=f"{first.id}:{provider.id}", offer=offer)
    assert response.status_code == 303
    assert "1 allocation made." in desk.client.get("/triage/plan").get_data(as_text=True)
    assert fetch(db_session, first).status is ReferralStatus.ALLOCATED
    assert fetch(db_session, second).status is ReferralStatus.SUBMITTED


def test_confirming_nothing_says_so(desk: Desk) -> None:
    page = html.unescape(desk.post("/triage/plan").get_data(as_text=True))
    assert error_summary(page) == [("#pairs", "Choose at least one allocation to make")]


def test_a_plan_overtaken_by_events_reports_what_could_not_be_made(desk: Desk, db_session: Session) -> None:
    provider = factories.provider(db_session, name="Harbour", max_active=2)
    first, second = factories.referral(db_session), factories.referral(db_session)
    db_session.commit()
    _, offer, pairs = shown_plan(desk)
    assert len(pairs) == 2
    provider.capacity.max_active = 1  # type: ignore[union-attr]  # the provider changed it meanwhile
    db_session.commit()
    response = desk.post(
        "/triage/plan", pairs=[f"{first.id}:{provider.id}", f"{second.id}:{provider.id}"], offer=offer
    )
    assert response.status_code == 303
    page = html.unescape(desk.client.get("/triage/plan").get_data(as_text=True))
    assert "1 allocation made." in page
    assert f"{second.reference}: Harbour has no space left." in page


def test_the_plan_never_offers_a_referral_back_to_a_provider_that_declined_it(
    desk: Desk, db_session: Session
) -> None:
    declined = factories.provider(db_session, name="Declined it")
    other = factories.provider(db_session, name="Other")
    referral = factories.referral(db_session, status=ReferralStatus.DECLINED_BY_PROVIDER)
    factories.allocation(
        db_session, referral_id=referral.id, provider_id=declined.id, status=AllocationStatus.DECLINED
    )
    db_session.commit()
    page = desk.client.get("/triage/plan").get_data(as_text=True)
    assert re.findall(r'name="pairs" type="checkbox" value="([^"]+)"', page) == [f"{referral.id}:{other.id}"]
    assert "Declined this referral before." in html.unescape(desk.page(referral))


# -- the provider's capacity --------------------------------------------------------------------


def test_provider_staff_set_their_own_capacity_and_bad_numbers_are_refused_kindly(
    app: Flask, db_session: Session
) -> None:
    provider = factories.provider(db_session, new_starts=10, max_active=20)
    client, _ = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)
    desk = Desk(client)
    response = desk.post("/provider/capacity", new_starts_per_quarter="-3", max_active="lots")
    page = html.unescape(response.get_data(as_text=True))
    assert error_summary(page) == [
        ("#new_starts_per_quarter", "Enter a whole number from 0 to 10,000, or leave it empty"),
        ("#max_active", "Enter a whole number from 0 to 10,000, or leave it empty"),
    ]
    assert 'value="-3"' in page and 'value="lots"' in page
    response = desk.post("/provider/capacity", new_starts_per_quarter="4", max_active="")
    assert response.status_code == 303
    db_session.expire_all()
    capacity = db_session.scalar(select(ProviderCapacity).where(ProviderCapacity.provider_id == provider.id))
    assert capacity is not None and (capacity.new_starts_per_quarter, capacity.max_active) == (4, None)
    assert db_session.scalars(select(AuditEntry.action)).all()[-1] == "provider.capacity_changed"
    assert db_session.get(Provider, provider.id) is not None
