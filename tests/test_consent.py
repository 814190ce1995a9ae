"""Consent to share recorded as facts and enforced, consent withdrawn, possible duplicates decided."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from hub import calendar
from hub.audit import Actor, AuditEntry
from hub.auth.models import Role
from hub.outbox import OutboxMessage
from hub.providers.models import Provider
from hub.referrals import cases, consent, duplicates, triage_moves
from hub.referrals.allocation import AllocationError, allocate
from hub.referrals.models import (
    Allocation,
    AllocationStatus,
    ConsentMethod,
    ConsentRecord,
    ConsentRoute,
    ContactMethod,
    DeclineReason,
    DuplicateDecision,
    EventKind,
    FirstContact,
    Outcome,
    Referral,
    ReferralEvent,
    ReferralSource,
    ReferralStatus,
    Risks,
    SafeContact,
)
from hub.templating import uk_date

from . import factories
from . import staff as staff_pages
from .clock import TODAY
from .journeys import professional_journey, reference_and_code, self_journey
from .staff import signed_in

pytestmark = pytest.mark.usefixtures("midday")

TRS = Actor(id=None, role="allocator")

PERSONAL = {
    "full_name": "Jordan Pemberly-Test",
    "preferred_name": "Jo Pemberly",
    "phone": "07700 900456",
    "email": "jordan.pemberly@example.org",
    "address": "1 Test Lane, Exampleton",
    "postcode": "S60 1AE",
}
RISK = "Made-up risk: contact from a perpetrator."
BORN = date(1999, 11, 2)


class Desk(staff_pages.Desk):
    def post(self, path: str, **data: Any) -> tuple[int, str, str | None]:
        response = self.send(path, **data)
        return (
            response.status_code,
            html.unescape(response.get_data(as_text=True)),
            response.headers.get("Location"),
        )


@pytest.fixture
def desk(app: Flask, db_session: Session) -> Desk:
    client, _ = signed_in(app, db_session, Role.ALLOCATOR, display_name="Ash Allocator")
    return Desk(client)


@pytest.fixture
def provider(db_session: Session) -> Provider:
    return factories.provider(db_session, name="Harbour")


def provider_desk(app: Flask, db: Session, provider: Provider) -> Desk:
    client, _ = signed_in(app, db, Role.PROVIDER_STAFF, provider_id=provider.id, display_name="Pat Provider")
    return Desk(client)


def professional(db: Session, *, share: bool = False, **fields: Any) -> Referral:
    """A professional referral with every kind of personal detail, as intake leaves it."""
    referral = factories.referral(
        db,
        source=ReferralSource.PROFESSIONAL,
        consent_to_referral=True,
        consent_to_share=share,
        **fields,
    )
    for name, value in PERSONAL.items():
        setattr(referral, name, value)
    referral.date_of_birth = BORN
    referral.safe_contact = SafeContact(methods=(ContactMethod.PHONE,), voicemail="no", say_who="no")
    referral.risks = Risks(current_risks=RISK, children_in_household="no")
    referral.referrer_name = "Avery Caseworker"
    referral.referrer_email = "avery.caseworker@example.gov.uk"
    db.commit()
    return referral


def counts(db: Session) -> dict[str, int]:
    db.expire_all()
    return {
        model.__name__: int(db.scalar(select(func.count()).select_from(model)) or 0)
        for model in (
            ConsentRecord,
            DuplicateDecision,
            ReferralEvent,
            AuditEntry,
            OutboxMessage,
            Allocation,
        )
    }


def fetch(db: Session, referral: Referral) -> Referral:
    db.expire_all()
    found = db.get(Referral, referral.id)
    assert found is not None
    return found


def consent_answers(on: date, **changes: str) -> dict[str, str]:
    return {
        "consent-from_whom": "Jordan, by phone with their social worker",
        "consent-on-day": str(on.day),
        "consent-on-month": str(on.month),
        "consent-on-year": str(on.year),
        "consent-method": "phone",
        "consent-note": "They said yes to Harbour seeing their details.",
        **changes,
    }


def withdraw_answers(on: date, **changes: str) -> dict[str, str]:
    return {
        "consent-withdrawn-on-day": str(on.day),
        "consent-withdrawn-on-month": str(on.month),
        "consent-withdrawn-on-year": str(on.year),
        "consent-withdrawn-method": "in_writing",
        "consent-withdrawn-note": "Emailed to say they no longer want this referral.",
        **changes,
    }


# -- consent at intake ----------------------------------------------------------------------------


def test_the_forms_show_the_exact_versioned_words_that_the_records_name(client: FlaskClient) -> None:
    page = html.unescape(client.get("/refer/consent").get_data(as_text=True))
    assert consent.WORDINGS[consent.REFERRAL_V1] in page and consent.WORDINGS[consent.SHARE_V1] in page
    self_journey(client).answer_all()
    check = html.unescape(client.get("/self-refer/check").get_data(as_text=True))
    assert consent.WORDINGS[consent.SELF_V1] in check


def test_a_professional_referral_without_consent_to_share_is_recorded_as_facts_and_flagged(
    client: FlaskClient, desk: Desk, db_session: Session
) -> None:
    response = professional_journey(client, consent={"consent": ["referral"]}).complete()
    reference, _ = reference_and_code(response)
    referral = db_session.scalar(select(Referral).where(Referral.reference == reference))
    assert referral is not None
    assert referral.consent_to_referral and not referral.consent_to_share
    [record] = db_session.scalars(select(ConsentRecord).where(ConsentRecord.referral_id == referral.id))
    assert (record.wording, record.route, record.given) == (
        consent.REFERRAL_V1,
        ConsentRoute.PROFESSIONAL_FORM,
        True,
    )
    assert record.happened_on == calendar.today() and record.from_whom == "Avery Caseworker"

    _, queue = desk.get("/triage")
    row = queue[queue.index(reference) :].split("</tr>")[0]
    assert "Consent to share needed" in row
    _, only = desk.get("/triage?consent_needed=yes")
    assert reference in only
    _, page = desk.get(f"/triage/referrals/{referral.id}")
    assert "Consent to share needed" in page
    assert f"/triage/referrals/{referral.id}/allocate" not in page, "no allocate form is offered"
    assert consent.WORDINGS[consent.REFERRAL_V1] in page
    assert "Record consent to share" in page


def test_a_referral_with_consent_to_share_is_not_flagged(
    client: FlaskClient, desk: Desk, db_session: Session
) -> None:
    reference, _ = reference_and_code(professional_journey(client).complete())
    referral = db_session.scalar(select(Referral).where(Referral.reference == reference))
    assert referral is not None and referral.consent_to_share
    wordings = db_session.scalars(
        select(ConsentRecord.wording).where(ConsentRecord.referral_id == referral.id)
    ).all()
    assert sorted(w or "" for w in wordings) == [consent.REFERRAL_V1, consent.SHARE_V1]
    _, only = desk.get("/triage?consent_needed=yes")
    assert reference not in only
    _, page = desk.get(f"/triage/referrals/{referral.id}")
    assert "Consent to share needed" not in page and consent.WORDINGS[consent.SHARE_V1] in page


def test_a_self_referral_records_the_words_it_showed(client: FlaskClient, db_session: Session) -> None:
    reference, _ = reference_and_code(self_journey(client).complete())
    referral = db_session.scalar(select(Referral).where(Referral.reference == reference))
    assert referral is not None and referral.consent_to_share
    [record] = db_session.scalars(select(ConsentRecord).where(ConsentRecord.referral_id == referral.id))
    assert (record.wording, record.route) == (consent.SELF_V1, ConsentRoute.SELF_REFERRAL)


# -- consent recorded later -------------------------------------------------------------------------


def test_recording_consent_to_share_is_shown_audited_and_lets_it_be_allocated(
    desk: Desk, db_session: Session, provider: Provider
) -> None:
    referral = professional(db_session)
    before = counts(db_session)
    status, _, location = desk.post(
        f"/triage/referrals/{referral.id}/consent", **consent_answers(calendar.today())
    )
    assert status == 303 and location == f"/triage/referrals/{referral.id}"
    assert fetch(db_session, referral).consent_to_share
    after = counts(db_session)
    assert after["ConsentRecord"] == before["ConsentRecord"] + 1
    record = db_session.scalar(select(ConsentRecord).where(ConsentRecord.referral_id == referral.id))
    assert record is not None
    assert (record.route, record.method, record.wording) == (
        ConsentRoute.RECORDED_BY_TRS,
        ConsentMethod.PHONE,
        consent.SHARE_V1,
    )
    row = db_session.execute(select(ConsentRecord.__table__).where(ConsentRecord.id == record.id)).one()
    assert b"Jordan, by phone" not in bytes(row.from_whom_sealed), "who gave consent is sealed"
    audited = db_session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_id == str(referral.id))
    ).all()
    assert "referral.consent_recorded" in audited

    _, page = desk.get(f"/triage/referrals/{referral.id}")
    assert "Consent to share needed" not in page
    assert "Jordan, by phone with their social worker" in page and "Recorded later by the triage team" in page
    assert "Ash Allocator (Trauma and Resilience Service)" in page
    assert f"/triage/referrals/{referral.id}/allocate" in page
    assert "Consent to share recorded" in page, "on the timeline"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"consent-from_whom": "  "}, "Say who gave consent"),
        ({"consent-method": "telepathy"}, "Not a valid choice"),
        ({"consent-on-day": "", "consent-on-month": "", "consent-on-year": ""}, "Enter the date they agreed"),
        ({"consent-on-year": str(TODAY.year + 1)}, "today or in the past"),
    ],
)
def test_recording_consent_with_a_missing_or_wrong_answer_changes_nothing(
    desk: Desk, db_session: Session, changes: dict[str, str], message: str
) -> None:
    referral = professional(db_session)
    before = counts(db_session)
    status, page, _ = desk.post(
        f"/triage/referrals/{referral.id}/consent", **consent_answers(calendar.today(), **changes)
    )
    assert status == 200 and "There is a problem" in page and message in page
    assert re.search(rf'<a href="#consent-[a-z_-]+">[^<]*{re.escape(message)}', page), "linked to the field"
    assert "They said yes to Harbour seeing their details." in page, "what was typed is kept"
    assert not fetch(db_session, referral).consent_to_share
    after = counts(db_session)
    assert after == {**before, "AuditEntry": after["AuditEntry"]}
    assert after["AuditEntry"] == before["AuditEntry"] + 1, "only the page view is audited"


def test_consent_cannot_be_recorded_twice_or_on_a_closed_referral(desk: Desk, db_session: Session) -> None:
    shared = professional(db_session, share=True)
    closed = professional(db_session, status=ReferralStatus.SIGNPOSTED)
    before = counts(db_session)
    for referral in (shared, closed):
        status, page, _ = desk.post(
            f"/triage/referrals/{referral.id}/consent", **consent_answers(calendar.today())
        )
        assert status == 200 and "There is a problem" in page
    with pytest.raises(consent.ConsentRefused):
        consent.record_share(
            db_session, closed.id, TRS, from_whom="Someone", on=calendar.today(), method=ConsentMethod.PHONE
        )
    after = counts(db_session)
    assert {k: v for k, v in after.items() if k != "AuditEntry"} == {
        k: v for k, v in before.items() if k != "AuditEntry"
    }
    assert not fetch(db_session, closed).consent_to_share


# -- withdrawal -------------------------------------------------------------------------------------


def staff_of(db: Session, provider: Provider) -> Actor:
    account = factories.staff_user(db, role=Role.PROVIDER_STAFF, provider_id=provider.id)
    return Actor(id=str(account.id), role="provider_staff")


def at_stage(db: Session, provider: Provider, stage: str) -> tuple[Referral, Allocation | None]:
    referral = professional(db, share=True)
    if stage in {"waiting", "info requested"}:
        if stage == "info requested":
            referral.status = ReferralStatus.INFO_REQUESTED
            db.commit()
        return referral, None
    allocation = allocate(db, referral.id, provider.id, TRS, reason="Chosen by the test.")
    who = staff_of(db, provider)
    if stage in {"accepted", "in support"}:
        cases.accept(db, allocation.id, provider.id, who)
    if stage == "in support":
        cases.record_first_contact(
            db,
            allocation.id,
            provider.id,
            who,
            calendar.today(),
            "phone",
            voicemail_left=False,
            service_named=False,
        )
    return referral, allocation


@pytest.mark.parametrize("stage", ["waiting", "info requested", "allocated", "accepted", "in support"])
def test_consent_can_be_withdrawn_at_any_open_stage_and_the_referral_closes(
    desk: Desk, db_session: Session, provider: Provider, stage: str
) -> None:
    referral, allocation = at_stage(db_session, provider, stage)
    mail_before = counts(db_session)["OutboxMessage"]
    status, _, location = desk.post(
        f"/triage/referrals/{referral.id}/consent-withdrawn", **withdraw_answers(calendar.today())
    )
    assert status == 303 and location == "/triage"
    found = fetch(db_session, referral)
    assert found.status is ReferralStatus.WITHDRAWN
    assert not found.consent_to_share and not found.consent_to_referral
    assert counts(db_session)["OutboxMessage"] == mail_before, "withdrawing sends nothing"
    [event] = db_session.scalars(
        select(ReferralEvent).where(
            ReferralEvent.referral_id == referral.id, ReferralEvent.kind == EventKind.CONSENT_WITHDRAWN
        )
    )
    assert event.to_status is ReferralStatus.WITHDRAWN and event.note is None
    withdrawal = db_session.scalar(
        select(ConsentRecord).where(ConsentRecord.referral_id == referral.id, ConsentRecord.given.is_(False))
    )
    assert withdrawal is not None and withdrawal.method is ConsentMethod.IN_WRITING
    assert withdrawal.note == "Emailed to say they no longer want this referral."
    if allocation is not None:
        db_session.refresh(allocation)
        if stage == "allocated":
            assert allocation.status is AllocationStatus.CANCELLED
        else:
            assert allocation.status is AllocationStatus.ACCEPTED
            assert allocation.outcome is Outcome.NO_LONGER_WANTED and allocation.closed_at is not None
    _, page = desk.get(f"/triage/referrals/{referral.id}")
    assert "Withdrew consent" in page and "Consent withdrawn, referral closed" in page


def test_withdrawing_without_a_note_or_from_a_closed_referral_changes_nothing(
    desk: Desk, db_session: Session
) -> None:
    waiting = professional(db_session, share=True)
    closed = professional(db_session, share=True, status=ReferralStatus.CLOSED)
    before = counts(db_session)
    status, page, _ = desk.post(
        f"/triage/referrals/{waiting.id}/consent-withdrawn",
        **withdraw_answers(calendar.today(), **{"consent-withdrawn-note": " "}),
    )
    assert status == 200 and "Say what the person asked for" in page
    status, page, _ = desk.post(
        f"/triage/referrals/{closed.id}/consent-withdrawn", **withdraw_answers(calendar.today())
    )
    assert status == 200 and "Consent cannot be withdrawn now" in page
    after = counts(db_session)
    assert {k: v for k, v in after.items() if k != "AuditEntry"} == {
        k: v for k, v in before.items() if k != "AuditEntry"
    }
    assert fetch(db_session, waiting).status is ReferralStatus.SUBMITTED
    assert fetch(db_session, closed).status is ReferralStatus.CLOSED


def test_after_withdrawal_nothing_can_queue_an_email_about_the_referral(
    db_session: Session, provider: Provider
) -> None:
    pending_referral, pending = at_stage(db_session, provider, "allocated")
    accepted_referral, accepted = at_stage(db_session, provider, "accepted")
    assert pending is not None and accepted is not None
    for referral in (pending_referral, accepted_referral):
        consent.withdraw(
            db_session,
            referral.id,
            TRS,
            on=calendar.today(),
            method=ConsentMethod.PHONE,
            note="Asked to stop.",
        )
    who = staff_of(db_session, provider)
    before = counts(db_session)
    attempts: list[Callable[[], object]] = [
        lambda: cases.accept(db_session, pending.id, provider.id, who),
        lambda: cases.decline(db_session, pending.id, provider.id, who, DeclineReason.NO_CAPACITY),
        lambda: cases.close(db_session, accepted.id, provider.id, who, Outcome.SUPPORT_COMPLETED),
        lambda: cases.record_first_contact(
            db_session,
            accepted.id,
            provider.id,
            who,
            calendar.today(),
            "phone",
            voicemail_left=False,
            service_named=False,
        ),
    ]
    for attempt in attempts:
        with pytest.raises(cases.CaseError):
            attempt()
    for referral in (pending_referral, accepted_referral):
        with pytest.raises(AllocationError):
            allocate(db_session, referral.id, provider.id, TRS, reason="Again.")
        with pytest.raises(consent.ConsentRefused):
            consent.record_share(
                db_session,
                referral.id,
                TRS,
                from_whom="Someone",
                on=calendar.today(),
                method=ConsentMethod.PHONE,
            )
    assert counts(db_session) == before, "no email, event, audit entry or offer was added"


PROVIDER_MUST_NOT_SEE = [
    *PERSONAL.values(),
    BORN.strftime("%-d %B %Y"),
    "1999",
    RISK,
    "Avery Caseworker",
    "avery.caseworker@example.gov.uk",
]


def test_the_providers_case_page_after_consent_is_withdrawn_shows_the_reference_and_nothing_personal(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    referral, allocation = at_stage(db_session, provider, "in support")
    assert allocation is not None
    pat = provider_desk(app, db_session, provider)
    _, before = pat.get(f"/provider/cases/{allocation.id}")
    assert PERSONAL["full_name"] in before and RISK in before, "the test can see what it looks for"
    consent.withdraw(
        db_session, referral.id, TRS, on=calendar.today(), method=ConsentMethod.PHONE, note="Asked to stop."
    )
    status, page = pat.get(f"/provider/cases/{allocation.id}")
    assert status == 200 and referral.reference in page and "withdrew their consent" in page
    for personal in PROVIDER_MUST_NOT_SEE:
        assert personal not in page
    assert "Asked to stop." not in page
    _, listed = pat.get("/provider/cases?group=closed")
    assert referral.reference in listed
    for personal in PROVIDER_MUST_NOT_SEE:
        assert personal not in listed


def test_a_case_without_consent_to_share_shows_the_provider_nothing_personal(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    referral = professional(db_session)
    allocation = factories.allocation(db_session, referral_id=referral.id, provider_id=provider.id)
    referral.status = ReferralStatus.ALLOCATED
    db_session.commit()
    pat = provider_desk(app, db_session, provider)
    status, page = pat.get(f"/provider/cases/{allocation.id}")
    assert status == 200 and referral.reference in page
    assert "not agreed to their details being shared" in page
    for personal in PROVIDER_MUST_NOT_SEE:
        assert personal not in page


# -- possible duplicates ----------------------------------------------------------------------------


def matching_pair(db: Session) -> tuple[Referral, Referral]:
    first = factories.referral(db, phone_index="same-phone-index")
    second = factories.referral(db, phone_index="same-phone-index", possible_duplicate=True)
    first.possible_duplicate = True
    db.commit()
    return first, second


def test_a_possible_duplicate_names_and_links_the_other_referral(desk: Desk, db_session: Session) -> None:
    first, second = matching_pair(db_session)
    unrelated = factories.referral(db_session, phone_index="another-phone-index")
    db_session.commit()
    _, page = desk.get(f"/triage/referrals/{second.id}")
    assert "Possible duplicates" in page
    assert f'href="/triage/referrals/{first.id}">{first.reference}</a>' in page
    assert f"{first.status.label}, received {uk_date(first.created_at)}" in page
    assert unrelated.reference not in page
    _, other = desk.get(f"/triage/referrals/{first.id}")
    assert f'href="/triage/referrals/{second.id}">{second.reference}</a>' in other


def test_same_person_links_both_clears_the_flag_and_is_audited(desk: Desk, db_session: Session) -> None:
    first, second = matching_pair(db_session)
    status, _, location = desk.post(
        f"/triage/referrals/{second.id}/duplicates",
        **{"duplicates-other": str(first.id), "duplicates-same_person": "yes"},
    )
    assert status == 303 and location == f"/triage/referrals/{second.id}"
    assert (
        not fetch(db_session, first).possible_duplicate and not fetch(db_session, second).possible_duplicate
    )
    for one, other in ((first, second), (second, first)):
        _, page = desk.get(f"/triage/referrals/{one.id}")
        assert other.reference in page and "Checked: the same person." in page
        assert "Possible duplicate checked: the same person" in page
        assert "Record your decision" not in page
    audited = db_session.scalars(
        select(AuditEntry.object_id).where(AuditEntry.action == "referral.duplicate_same_person")
    ).all()
    assert sorted(map(str, audited)) == sorted([str(first.id), str(second.id)])


def test_not_the_same_person_clears_the_flag_and_the_pair_is_not_flagged_again(
    desk: Desk, db_session: Session
) -> None:
    first, second = matching_pair(db_session)
    desk.post(
        f"/triage/referrals/{first.id}/duplicates",
        **{"duplicates-other": str(second.id), "duplicates-same_person": "no"},
    )
    assert (
        not fetch(db_session, first).possible_duplicate and not fetch(db_session, second).possible_duplicate
    )
    assert duplicates.matches(db_session, fetch(db_session, first)) == []
    _, page = desk.get(f"/triage/referrals/{first.id}")
    assert second.reference not in page.split('id="timeline"')[0]
    with pytest.raises(duplicates.DecisionRefused):
        duplicates.decide(db_session, second.id, first.id, True, TRS)
    # A third referral of the same phone flags the new pairs, not the pair already cleared.
    third = factories.referral(db_session, phone_index="same-phone-index")
    db_session.commit()
    assert [m.other.id for m in duplicates.matches(db_session, fetch(db_session, first))] == [third.id]


@pytest.mark.parametrize("other", ["made-up", "unrelated", "itself"])
def test_naming_a_referral_that_was_not_offered_as_the_other_is_refused_and_changes_nothing(
    desk: Desk, db_session: Session, other: str
) -> None:
    first, second = matching_pair(db_session)
    unrelated = factories.referral(db_session, phone_index="another-phone-index")
    db_session.commit()
    other_id = {"made-up": uuid.uuid4(), "unrelated": unrelated.id, "itself": second.id}[other]
    before = counts(db_session)
    status, page, _ = desk.post(
        f"/triage/referrals/{second.id}/duplicates",
        **{"duplicates-other": str(other_id), "duplicates-same_person": "yes"},
    )
    assert status == 200 and "There is a problem" in page
    with pytest.raises(duplicates.DecisionRefused):
        duplicates.decide(db_session, second.id, other_id, True, TRS)
    after = counts(db_session)
    assert after == {**before, "AuditEntry": after["AuditEntry"]}
    decided = select(AuditEntry).where(AuditEntry.action.like("referral.duplicate%"))
    assert db_session.scalars(decided).all() == [], "no decision is audited"
    assert fetch(db_session, second).possible_duplicate and fetch(db_session, first).possible_duplicate


def test_the_consent_section_keeps_a_date_in_the_future_out(desk: Desk, db_session: Session) -> None:
    referral = professional(db_session)
    tomorrow = calendar.today() + timedelta(days=1)
    status, page, _ = desk.post(f"/triage/referrals/{referral.id}/consent", **consent_answers(tomorrow))
    assert status == 200 and re.search(r'href="#consent-on-day"', page)
    assert not fetch(db_session, referral).consent_to_share


def test_an_accepted_case_closed_by_withdrawal_is_not_counted_as_waiting(
    db_session: Session, provider: Provider
) -> None:
    from hub.calendar import Quarter
    from hub.kpi.prefill import prefill

    referral, _ = at_stage(db_session, provider, "accepted")
    waiting_before = prefill(db_session, provider.id, Quarter.current())["waiting_at_quarter_end"].value
    consent.withdraw(
        db_session, referral.id, TRS, on=calendar.today(), method=ConsentMethod.PHONE, note="Stop."
    )
    waiting_after = prefill(db_session, provider.id, Quarter.current())["waiting_at_quarter_end"].value
    assert (waiting_before, waiting_after) == (1, 0)


# -- referrals allocated before consent was enforced ------------------------------------------------


def allocated_without_consent(db: Session, provider: Provider, stage: str) -> tuple[Referral, Allocation]:
    """A referral that reached a provider's stage without consent to share, as older data may hold."""
    referral = professional(db)
    allocation = factories.allocation(
        db,
        referral_id=referral.id,
        provider_id=provider.id,
        status=AllocationStatus.PENDING if stage == "allocated" else AllocationStatus.ACCEPTED,
    )
    if stage != "allocated":
        allocation.decided_at = allocation.created_at
    if stage == "in support":
        allocation.first_contact_on = calendar.today()
        allocation.first_contact = FirstContact(ContactMethod.PHONE)
    referral.status = {
        "allocated": ReferralStatus.ALLOCATED,
        "accepted": ReferralStatus.ACCEPTED,
        "in support": ReferralStatus.IN_SUPPORT,
    }[stage]
    db.commit()
    return referral, allocation


@pytest.mark.parametrize("stage", ["allocated", "accepted", "in support"])
def test_the_triage_team_can_record_consent_for_a_referral_already_with_a_provider(
    desk: Desk, db_session: Session, provider: Provider, stage: str
) -> None:
    referral, _ = allocated_without_consent(db_session, provider, stage)
    stage_before = referral.status
    _, page = desk.get(f"/triage/referrals/{referral.id}")
    assert "Consent to share needed" in page and "Record consent to share" in page
    assert "This referral is with a provider" in page
    status, _, location = desk.post(
        f"/triage/referrals/{referral.id}/consent", **consent_answers(calendar.today())
    )
    assert status == 303 and location == f"/triage/referrals/{referral.id}"
    found = fetch(db_session, referral)
    assert found.consent_to_share and found.status is stage_before


def test_the_consent_filter_finds_a_referral_already_with_a_provider_without_consent(
    desk: Desk, db_session: Session, provider: Provider
) -> None:
    stuck, _ = allocated_without_consent(db_session, provider, "accepted")
    waiting = factories.referral(db_session, consent_to_share=False)
    db_session.commit()
    _, queue_page = desk.get("/triage")
    assert waiting.reference in queue_page and stuck.reference not in queue_page
    _, filtered = desk.get("/triage?consent_needed=yes")
    assert waiting.reference in filtered and stuck.reference in filtered
    assert "Accepted by the provider" in filtered, "a referral not in the queue says where it is"


def test_a_provider_cannot_act_on_a_case_without_consent_to_share(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    pending_referral, pending = allocated_without_consent(db_session, provider, "allocated")
    accepted_referral, accepted = allocated_without_consent(db_session, provider, "accepted")
    accepted.first_contact_on = None
    db_session.commit()
    who = staff_of(db_session, provider)
    before = counts(db_session)
    attempts: list[Callable[[], object]] = [
        lambda: cases.accept(db_session, pending.id, provider.id, who),
        lambda: cases.decline(db_session, pending.id, provider.id, who, DeclineReason.NO_CAPACITY),
        lambda: cases.record_first_contact(
            db_session,
            accepted.id,
            provider.id,
            who,
            calendar.today(),
            "phone",
            voicemail_left=False,
            service_named=False,
        ),
        lambda: cases.record_measures(db_session, accepted.id, provider.id, who, {"sessions_offered": 3}),
        lambda: cases.close(db_session, accepted.id, provider.id, who, Outcome.COULDNT_CONTACT),
    ]
    for attempt in attempts:
        with pytest.raises(cases.CaseError) as refused:
            attempt()
        assert str(refused.value) == (
            "The person has not agreed to their details being shared with you yet. "
            "Ask the triage team to record their consent; they can find it under “Consent to share needed”."
        )
    assert counts(db_session) == before, "no offer, event, audit entry or email was added"

    # A hand-made post from the provider's staff: refused, and the referrer is not emailed.
    pat = provider_desk(app, db_session, provider)
    before = counts(db_session)
    status, page, _ = pat.post(f"/provider/cases/{pending.id}/accept")
    assert status == 200 and "not agreed to their details being shared" in page
    status, page, _ = pat.post(
        f"/provider/cases/{accepted.id}/first-contact",
        **{
            "first-contact-on-day": str(calendar.today().day),
            "first-contact-on-month": str(calendar.today().month),
            "first-contact-on-year": str(calendar.today().year),
            "first-contact-channel": "phone",
            "first-contact-voicemail_left": "no",
            "first-contact-service_named": "no",
        },
    )
    assert status == 200 and "not agreed to their details being shared" in page
    after = counts(db_session)
    assert {k: v for k, v in after.items() if k != "AuditEntry"} == {
        k: v for k, v in before.items() if k != "AuditEntry"
    }
    assert fetch(db_session, pending_referral).status is ReferralStatus.ALLOCATED
    assert fetch(db_session, accepted_referral).status is ReferralStatus.ACCEPTED
    db_session.refresh(pending)
    db_session.refresh(accepted)
    assert pending.status is AllocationStatus.PENDING and accepted.first_contact_on is None

    # Once the triage team records consent, the provider can accept.
    consent.record_share(
        db_session,
        pending_referral.id,
        TRS,
        from_whom="Jordan",
        on=calendar.today(),
        method=ConsentMethod.PHONE,
    )
    cases.accept(db_session, pending.id, provider.id, who)
    assert fetch(db_session, pending_referral).status is ReferralStatus.ACCEPTED


def listed_row(page: str, reference: str) -> str:
    return page[page.index(reference) :].split("</tr>")[0]


def test_the_case_list_shows_only_the_reference_and_status_of_a_case_without_consent(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    told = factories.specialism(db_session, label="Made-up counselling kind")
    shared = factories.referral(db_session, risk_flagged=True, under_18=True)
    no_consent = factories.referral(db_session, consent_to_share=False, risk_flagged=True, under_18=True)
    for referral in (shared, no_consent):
        referral.specialisms.append(told)
        referral.status = ReferralStatus.ALLOCATED
        factories.allocation(db_session, referral_id=referral.id, provider_id=provider.id)
    withdrawn, _ = at_stage(db_session, provider, "accepted")
    withdrawn.risk_flagged = withdrawn.under_18 = True
    withdrawn.specialisms.append(told)
    db_session.commit()
    consent.withdraw(
        db_session, withdrawn.id, TRS, on=calendar.today(), method=ConsentMethod.PHONE, note="Stop."
    )
    pat = provider_desk(app, db_session, provider)

    _, waiting = pat.get("/provider/cases?group=decision")
    row = listed_row(waiting, shared.reference)
    assert "Risk" in row and "Under 18" in row and told.label in row, "the test can see what it looks for"
    row = listed_row(waiting, no_consent.reference)
    assert "Allocated" in row
    for fact in ("Risk", "Under 18", told.label, "Not said"):
        assert fact not in row
    _, closed = pat.get("/provider/cases?group=closed")
    row = listed_row(closed, withdrawn.reference)
    assert "Withdrawn" in row
    for fact in ("Risk", "Under 18", told.label, "Not said"):
        assert fact not in row

    # Filtering by risk would tell the provider the same thing: such cases are not counted or listed.
    for group in ("decision", "closed"):
        _, risky = pat.get(f"/provider/cases?group={group}&risk=yes")
        assert no_consent.reference not in risky and withdrawn.reference not in risky
    assert shared.reference in pat.get("/provider/cases?group=decision&risk=yes")[1]
    assert "Closed (0)" in risky and "Waiting for your decision (1)" in risky


def test_a_providers_timeline_does_not_say_the_person_was_checked_for_duplicates(
    app: Flask, desk: Desk, db_session: Session, provider: Provider
) -> None:
    first, second = matching_pair(db_session)
    third = factories.referral(db_session, phone_index="same-phone-index")
    db_session.commit()
    duplicates.decide(db_session, second.id, first.id, True, TRS)
    duplicates.decide(db_session, second.id, third.id, False, TRS)
    allocation = allocate(db_session, second.id, provider.id, TRS, reason="Chosen by the test.")
    pat = provider_desk(app, db_session, provider)
    _, page = pat.get(f"/provider/cases/{allocation.id}")
    assert "Allocated to a provider" in page, "the test reads the provider's timeline"
    assert "duplicate" not in page.lower() and "same person" not in page
    assert first.reference not in page and third.reference not in page
    _, staff_page = desk.get(f"/triage/referrals/{second.id}")
    assert "Possible duplicate checked: the same person" in staff_page, "the triage team still sees it"
    assert "Possible duplicate checked: not the same person" in staff_page


def test_a_pair_decided_by_someone_else_between_the_check_and_the_write_is_refused_not_a_crash(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = matching_pair(db_session)
    pair = sorted([first.id, second.id], key=str)

    def decided_meanwhile(db: Session, a: uuid.UUID, b: uuid.UUID) -> bool:
        # The other allocator's decision lands after this one looked (SQLite takes no row locks).
        db.execute(
            insert(DuplicateDecision).values(
                first_id=pair[0], second_id=pair[1], same_person=False, decided_at=first.created_at
            )
        )
        return False

    before = counts(db_session)
    monkeypatch.setattr(duplicates, "_already_decided", decided_meanwhile)
    with pytest.raises(duplicates.DecisionRefused, match="Someone has already decided"):
        duplicates.decide(db_session, second.id, first.id, True, TRS)
    monkeypatch.undo()
    assert counts(db_session) == before, "no decision, event or audit entry was added"
    assert fetch(db_session, first).possible_duplicate and fetch(db_session, second).possible_duplicate
    duplicates.decide(db_session, second.id, first.id, True, TRS)  # the session is still usable
    assert not fetch(db_session, first).possible_duplicate


@pytest.mark.parametrize("how", ["triage move", "consent withdrawn"])
def test_an_offer_withdrawn_by_the_triage_team_shows_the_provider_the_uk_date(
    app: Flask, db_session: Session, provider: Provider, how: str
) -> None:
    # 23:30 on 30 June by the clock in UTC is 00:30 on 1 July in the UK.
    with time_machine.travel("2026-06-30 23:30:00+00:00", tick=False):
        referral, allocation = at_stage(db_session, provider, "allocated")
        assert allocation is not None
        if how == "triage move":
            triage_moves.move(db_session, referral.id, EventKind.WITHDRAWN, TRS, note="Moved away.")
        else:
            consent.withdraw(
                db_session, referral.id, TRS, on=calendar.today(), method=ConsentMethod.PHONE, note="Stop."
            )
        pat = provider_desk(app, db_session, provider)
        status, page = pat.get(f"/provider/cases/{allocation.id}")
    assert status == 200 and "The triage team withdrew this offer on 1 July 2026." in page


def test_the_consent_and_duplicate_sections_give_uk_dates_and_times(app: Flask, db_session: Session) -> None:
    # 23:30 on 30 June by the clock in UTC is 00:30 on 1 July in the UK.
    with time_machine.travel("2026-06-30 23:30:00+00:00", tick=False):
        first, second = matching_pair(db_session)
        referral = professional(db_session)
        client, _ = signed_in(app, db_session, Role.ALLOCATOR, display_name="Ash Allocator")
        desk = Desk(client)
        status, _, _ = desk.post(
            f"/triage/referrals/{referral.id}/consent", **consent_answers(calendar.today())
        )
        assert status == 303
        _, page = desk.get(f"/triage/referrals/{referral.id}")
        _, duplicate_page = desk.get(f"/triage/referrals/{second.id}")
    assert "Ash Allocator (Trauma and Resilience Service) on 1 July 2026 at 12:30am" in page
    assert "30 June" not in page.split('id="consent"')[1].split('id="timeline"')[0]
    assert f"{first.status.label}, received 1 July 2026." in duplicate_page
