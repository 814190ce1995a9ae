"""Self-referrals made directly to a provider (hub.referrals.direct): recorded by its own staff, accepted
as their case at once through the table of moves, counted against capacity and in the KPIs."""

from __future__ import annotations

import html
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.audit import Actor, AuditEntry
from hub.auth.models import Role, StaffUser
from hub.calendar import Quarter, today
from hub.keyring import Keyring
from hub.kpi.prefill import prefill, trs_figures
from hub.providers.models import Provider
from hub.referrals import case_views, direct, states
from hub.referrals.allocation import CapacityExceeded, allocate
from hub.referrals.consent import DIRECT_V1
from hub.referrals.models import (
    Allocation,
    AllocationStatus,
    ConsentMethod,
    ConsentRecord,
    ConsentRoute,
    EventKind,
    Referral,
    ReferralEvent,
    ReferralSource,
    ReferralStatus,
)

from . import factories
from .journeys import TOKEN, errors
from .staff import signed_in

PAGE = "/provider/direct-self-referral"
ON = today()
ANSWERS: dict[str, Any] = {
    "preferred_name": "Sam Direct-Test",
    "full_name": "Samira Direct-Test",
    "date_of_birth-day": "4",
    "date_of_birth-month": "5",
    "date_of_birth-year": "1990",
    "methods": ["text"],
    "phone": "07700 900777",
    "voicemail": "no",
    "say_who": "no",
    "safe_times": "Evenings",
    "support_wanted": "Someone to talk to.",
    "consent": "direct",
    "consent_method": "in_person",
    "consent_on-day": str(ON.day),
    "consent_on-month": str(ON.month),
    "consent_on-year": str(ON.year),
}
PAGES: dict[str, dict[str, Any]] = {
    "about": {"preferred_name": "Sam", "full_name": "", "date_of_birth": None},
    "contact": {"methods": ["text"], "phone": "07700 900777", "voicemail": "no", "say_who": "no"},
    "support": {"specialisms": [], "support_wanted": ""},
}
AGREED = direct.Consent(True, ConsentMethod.IN_PERSON, ON)


def staff_of(app: Flask, db: Session, provider: Provider) -> tuple[FlaskClient, StaffUser, str]:
    client, user = signed_in(app, db, Role.PROVIDER_STAFF, provider_id=provider.id)
    token = TOKEN.search(client.get(PAGE).get_data(as_text=True))
    assert token
    return client, user, token.group(1)


def counts(db: Session) -> tuple[int, ...]:
    db.expire_all()
    return tuple(
        int(db.scalar(select(func.count()).select_from(t)) or 0)
        for t in (Referral, Allocation, ReferralEvent, ConsentRecord)
    )


def test_a_direct_self_referral_becomes_an_accepted_case_of_the_staff_members_own_provider(
    app: Flask, db_session: Session
) -> None:
    provider = factories.provider(db_session, name="Harbour")
    client, user, token = staff_of(app, db_session, provider)
    response = client.post(PAGE, data={**ANSWERS, "csrf_token": token})
    assert response.status_code == 303
    [referral] = db_session.scalars(select(Referral)).all()
    [offer] = referral.allocations
    assert response.headers["Location"] == f"/provider/cases/{offer.id}"
    assert (referral.source, referral.direct, referral.status) == (
        ReferralSource.SELF,
        True,
        ReferralStatus.ACCEPTED,
    )
    assert (offer.provider_id, offer.status) == (provider.id, AllocationStatus.ACCEPTED)
    assert offer.decided_at is not None, "accepted as it was made, so decided then"
    assert referral.preferred_name == "Sam Direct-Test" and referral.phone == "07700 900777"
    assert referral.consent_to_referral and referral.consent_to_share
    assert referral.status_secret_hash is None
    [record] = db_session.scalars(select(ConsentRecord)).all()
    assert (record.wording, record.route, record.method, record.recorded_by) == (
        DIRECT_V1,
        ConsentRoute.RECORDED_BY_PROVIDER,
        ConsentMethod.IN_PERSON,
        user.id,
    )
    [event] = db_session.scalars(select(ReferralEvent)).all()
    assert (event.kind, event.from_status, event.to_status, event.provider_id) == (
        EventKind.DIRECT_ACCEPTED,
        ReferralStatus.SUBMITTED,
        ReferralStatus.ACCEPTED,
        provider.id,
    )
    assert db_session.scalar(
        select(AuditEntry.seq).where(
            AuditEntry.action == "referral.direct_accepted", AuditEntry.object_id == str(referral.id)
        )
    )
    case = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert f"Direct self-referral {referral.reference} is recorded and accepted as your case." in case
    assert "Direct self-referral" in case and "Sam Direct-Test" in case and "Record first contact" in case
    listed = html.unescape(client.get("/provider/cases?group=active").get_data(as_text=True))
    assert referral.reference in listed and "Direct self-referral" in listed


def test_without_the_persons_consent_nothing_is_recorded_and_what_was_typed_is_kept(
    app: Flask, keyring: Keyring, db_session: Session
) -> None:
    provider = factories.provider(db_session)
    client, _, token = staff_of(app, db_session, provider)
    before = counts(db_session)
    for missing in ({"consent": ""}, {"consent": "yes"}, {"consent_method": "through_referrer"}):
        response = client.post(PAGE, data={**ANSWERS, **missing, "csrf_token": token})
        page = html.unescape(response.get_data(as_text=True))
        assert response.status_code == 200, missing
        assert "<title>Error: Record a direct self-referral" in page, missing
        assert errors(response), missing
        assert "Sam Direct-Test" in page and "Someone to talk to." in page, "what was typed is kept"
    unticked = {name: value for name, value in ANSWERS.items() if name != "consent"}
    for posted in (unticked, {**ANSWERS, "consent": "yes"}):
        response = client.post(PAGE, data={**posted, "csrf_token": token})
        assert [message for _, message in errors(response)] == [direct.NO_CONSENT]
    assert counts(db_session) == before
    with pytest.raises(direct.DirectRefused, match="only record a self-referral the person has agreed to"):
        direct.take_on(db_session, keyring, _actor(db_session, provider), provider.id, PAGES, _no())
    assert counts(db_session) == before


def _no() -> direct.Consent:
    return direct.Consent(False, ConsentMethod.IN_PERSON, ON)


def _actor(db: Session, provider: Provider) -> Actor:
    user = factories.staff_user(db, role=Role.PROVIDER_STAFF, provider_id=provider.id)
    return Actor(id=str(user.id), role="provider_staff")


def test_posted_as_json_it_is_refused_and_nothing_is_recorded(app: Flask, db_session: Session) -> None:
    provider = factories.provider(db_session)
    client, _, token = staff_of(app, db_session, provider)
    before = counts(db_session)
    response = client.post(PAGE, json={**ANSWERS, "csrf_token": token}, headers={"X-CSRFToken": token})
    assert response.status_code == 415
    assert counts(db_session) == before


def test_staff_of_one_provider_cannot_record_a_case_for_another(
    app: Flask, keyring: Keyring, db_session: Session
) -> None:
    mine = factories.provider(db_session, name="Harbour")
    theirs = factories.provider(db_session, name="Lighthouse")
    client, _, token = staff_of(app, db_session, mine)
    # Naming the other provider in the post changes nothing: the provider is never read from it.
    posted = {**ANSWERS, "provider": theirs.slug, "provider_id": str(theirs.id), "csrf_token": token}
    assert client.post(PAGE, data=posted).status_code == 303
    db_session.expire_all()
    assert [a.provider_id for a in db_session.scalars(select(Allocation))] == [mine.id]
    # And the service refuses a member of staff acting for a provider not their own.
    before = counts(db_session)
    with pytest.raises(direct.DirectRefused, match="only record a self-referral for your own organisation"):
        direct.take_on(db_session, keyring, _actor(db_session, mine), theirs.id, PAGES, AGREED)
    db_session.rollback()
    assert counts(db_session) == before
    # Other roles never reach the page.
    allocator, _ = signed_in(app, db_session, Role.ALLOCATOR)
    assert allocator.get(PAGE).status_code == 403


def test_a_direct_case_counts_against_capacity(app: Flask, keyring: Keyring, db_session: Session) -> None:
    provider = factories.provider(db_session, new_starts=5, max_active=1)
    actor = _actor(db_session, provider)
    done = direct.take_on(db_session, keyring, actor, provider.id, PAGES, AGREED)
    assert done.places_left == 0
    queued = factories.referral(db_session, status=ReferralStatus.SUBMITTED)
    db_session.commit()
    with pytest.raises(CapacityExceeded, match="has no space left"):
        allocate(db_session, queued.id, provider.id, Actor(id=None, role="allocator"), "Chosen by the test.")
    # A person who came to the provider is never turned away by the hub: the case is recorded, and
    # the staff member is told it takes them past their capacity.
    again = direct.take_on(db_session, keyring, actor, provider.id, PAGES, AGREED)
    assert again.places_left == -1
    assert "past the capacity you set" in case_views._direct_recorded(again)


def test_a_direct_case_counts_in_the_providers_figures(keyring: Keyring, db_session: Session) -> None:
    provider = factories.provider(db_session)
    direct.take_on(db_session, keyring, _actor(db_session, provider), provider.id, PAGES, AGREED)
    figures = prefill(db_session, provider.id, Quarter.current())
    assert figures["referrals_allocated"].value == 1
    assert figures["self_referrals"].value == 1
    assert figures["accepted"].value == 1
    assert figures["waiting_at_quarter_end"].value == 1, "no first contact yet, so waiting"


def test_a_direct_case_is_left_out_of_the_triage_teams_own_figures(
    keyring: Keyring, db_session: Session
) -> None:
    provider = factories.provider(db_session)
    triaged = factories.referral(db_session, status=ReferralStatus.SUBMITTED)
    db_session.commit()
    allocate(db_session, triaged.id, provider.id, Actor(id=None, role="allocator"), "Chosen by the test.")
    before = {code: figure.value for code, figure in trs_figures(db_session, Quarter.current()).items()}
    assert before["trs_first_allocations"] == 1
    direct.take_on(db_session, keyring, _actor(db_session, provider), provider.id, PAGES, AGREED)
    after = {code: figure.value for code, figure in trs_figures(db_session, Quarter.current()).items()}
    assert after == before, "never triaged, so none of the triage team's figures moves"


def test_the_direct_move_is_only_the_providers_and_only_from_arrival() -> None:
    move = states.MOVES[EventKind.DIRECT_ACCEPTED]
    assert move.by is Role.PROVIDER_STAFF and move.from_ == {states.ARRIVES}
    assert move.to is ReferralStatus.ACCEPTED and dict(move.offer) == {None: AllocationStatus.ACCEPTED}
    # The case page never offers it: it is made on a new offer, never on one a provider holds.
    for status in ReferralStatus:
        for offer in AllocationStatus:
            assert EventKind.DIRECT_ACCEPTED not in states.moves_from(status, Role.PROVIDER_STAFF, offer)
    assert not states.with_provider(ReferralStatus.SUBMITTED)
