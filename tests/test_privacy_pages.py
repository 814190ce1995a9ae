"""The pages of the retention schedule, legal holds and erasure requests, and an erased referral on
every page that shows a referral: what staff see, what is refused, and that nothing breaks."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.audit import Actor, AuditEntry
from hub.auth.models import Role
from hub.calendar import Quarter
from hub.privacy import erasure, schedule
from hub.privacy.models import ErasureDecision, LegalHold
from hub.privacy.schedule import Kind, Unit
from hub.referrals import states
from hub.referrals.models import Allocation, AllocationStatus, Outcome, Referral, ReferralStatus

from . import factories
from .clock import MIDDAY, Clock
from .staff import Desk, signed_in
from .test_retention import closed_referral, sealed_left
from .test_status import check as status_check

OPERATOR = Actor(id=None, role="operator")


@pytest.fixture
def admin(app: Flask, db_session: Session) -> Desk:
    client, _ = signed_in(app, db_session, Role.ADMIN)
    return Desk(client)


@pytest.fixture
def officer(app: Flask, db_session: Session) -> Desk:
    client, _ = signed_in(app, db_session, Role.ADMIN, data_protection=True)
    return Desk(client)


def actions(db: Session) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def text_of(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


# -- the schedule ------------------------------------------------------------------------------------


def test_the_schedule_shows_each_kind_with_its_period_event_and_reason(admin: Desk) -> None:
    status, page = admin.get("/admin/retention")
    assert status == 200
    shown = text_of(page)
    for words in (
        "Referral answers Everything the person and their referrer told us",
        "7 years The referral was closed, signposted or withdrawn",
        "Sent emails The body and the address of each email the hub sent. 30 days The email was sent",
        "Unsent form answers Pages of a public form that were saved but never sent. 24 hours",
        "Audit entries",
        "Kept",
        "Independent Inquiry into Child Sexual Abuse",
    ):
        assert words in shown, words
    assert "Legal holds" not in shown  # only for data-protection officers
    assert "/admin/retention/audit_entries" not in page


@pytest.mark.parametrize(
    ("amount", "unit", "said"),
    [
        ("", "years", "Enter a whole number of years from 1 to 100"),
        ("0", "days", "Enter a whole number of days from 1 to 36,500"),
        ("seven", "years", "Enter a whole number of years from 1 to 100"),
        ("101", "years", "Enter a whole number of years from 1 to 100"),
        ("-3", "months", "Enter a whole number of months from 1 to 1,200"),
        ("²", "years", "Enter a whole number of years from 1 to 100"),
        ("7", "", "Choose hours, days, months or years, or keep them"),
    ],
)
def test_a_bad_period_is_refused_kindly_and_what_was_typed_is_kept(
    admin: Desk, db_session: Session, amount: str, unit: str, said: str
) -> None:
    before = schedule.rule(db_session, Kind.REFERRAL_ANSWERS)
    response = admin.send(
        "/admin/retention/referral_answers", amount=amount, unit=unit, reason="Typed with care, kept."
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error: " in page and said in page
    assert "Typed with care, kept." in page and f'value="{amount}"' in page
    db_session.expire_all()
    assert schedule.rule(db_session, Kind.REFERRAL_ANSWERS) == before


def test_a_longer_period_is_saved_at_once_and_audited(admin: Desk, db_session: Session) -> None:
    response = admin.send(
        "/admin/retention/referral_answers", amount="10", unit="years", reason="Longer for abuse records."
    )
    assert response.status_code == 303
    _, page = admin.get("/admin/retention")
    assert "The period for referral answers is now 10 years." in page
    rule = schedule.rule(db_session, Kind.REFERRAL_ANSWERS)
    assert (rule.amount, rule.unit, rule.reason) == (10, Unit.YEARS, "Longer for abuse records.")
    assert actions(db_session)[-2:] == ["retention.period_changed", "retention.reason_changed"]


def test_shortening_asks_first_and_says_how_many_records_become_due(
    midday: Clock, admin: Desk, db_session: Session
) -> None:
    closed_referral(db_session, MIDDAY - timedelta(days=400))
    closed_referral(db_session, MIDDAY - timedelta(days=100))
    db_session.commit()
    asked = admin.send("/admin/retention/referral_answers", amount="1", unit="years", reason="Shorter.")
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Shorten how long referral answers are kept?" in page
    assert "From 7 years to 1 year, counted from when the referral was closed" in text_of(page)
    assert "1 record is due now" in text_of(page)
    assert schedule.rule(db_session, Kind.REFERRAL_ANSWERS).amount == 7  # nothing changed yet
    done = admin.send(
        "/admin/retention/referral_answers", amount="1", unit="years", reason="Shorter.", confirm="yes"
    )
    assert done.status_code == 303
    assert schedule.rule(db_session, Kind.REFERRAL_ANSWERS).amount == 1


def test_keeping_needs_no_number_and_the_audit_period_cannot_change(admin: Desk, db_session: Session) -> None:
    kept = admin.send("/admin/retention/sent_emails", amount="", unit="keep", reason="Kept for now.")
    assert kept.status_code == 303
    assert schedule.rule(db_session, Kind.SENT_EMAILS).kept
    admin.send("/admin/retention/audit_entries", amount="1", unit="days", reason="Gone.")
    assert schedule.rule(db_session, Kind.AUDIT_ENTRIES).kept
    assert admin.get("/admin/retention/not_a_kind")[0] == 404


# -- legal holds ---------------------------------------------------------------------------------------


def test_an_officer_holds_a_referral_by_its_reference_and_lifts_it_with_a_reason(
    officer: Desk, db_session: Session
) -> None:
    referral = factories.referral(db_session, status=ReferralStatus.CLOSED)
    db_session.commit()
    typed = referral.reference.lower().replace("-", " ")
    response = officer.send("/admin/holds", reference=typed, reason="Needed for R v Example")
    assert response.status_code == 303
    _, page = officer.get("/admin/holds")
    assert f"{referral.reference} is under a legal hold." in page
    assert "Needed for R v Example" not in page  # the reason is on the hold's own page only
    assert erasure.is_held(db_session, referral.id)

    again = officer.send("/admin/holds", reference=referral.reference, reason="Twice")
    assert "is already under a legal hold" in again.get_data(as_text=True)
    missing = officer.send("/admin/holds", reference="PAS-AAAA-AAAA", reason="Nobody")
    assert "There is no referral with that reference" in missing.get_data(as_text=True)

    hold = db_session.scalars(select(LegalHold)).one()
    status, lift_page = officer.get(f"/admin/holds/{hold.id}/lift")
    assert status == 200 and "Needed for R v Example" in lift_page
    empty = officer.send(f"/admin/holds/{hold.id}/lift", reason="  ")
    assert "Say why the hold can be lifted" in empty.get_data(as_text=True)
    assert officer.send(f"/admin/holds/{hold.id}/lift", reason="The case ended").status_code == 303
    assert not erasure.is_held(db_session, referral.id)
    assert [a for a in actions(db_session) if a.startswith("legal_hold")] == [
        "legal_hold.set",
        "legal_hold.viewed",
        "legal_hold.lifted",
    ]


def test_a_plain_administrator_cannot_set_or_lift_holds_or_erase(admin: Desk, db_session: Session) -> None:
    referral = factories.referral(db_session, status=ReferralStatus.CLOSED)
    hold = factories.legal_hold(db_session)
    db_session.commit()
    for path in ("/admin/holds", f"/admin/holds/{hold.id}/lift", f"/admin/referrals/{referral.id}/erasure"):
        assert admin.get(path)[0] == 403
        assert admin.send(path, reference=referral.reference, reason="x", decision="erase").status_code == 403
    assert db_session.scalars(select(LegalHold)).all() == [hold]


# -- erasure requests ----------------------------------------------------------------------------------


def test_an_erasure_request_asks_first_then_erases_and_is_recorded(
    officer: Desk, db_session: Session
) -> None:
    referral = closed_referral(db_session, MIDDAY - timedelta(days=30))
    db_session.commit()
    found = officer.client.get(f"/admin/erasure?reference={referral.reference}")
    assert found.headers["Location"].endswith(f"/admin/referrals/{referral.id}/erasure")
    path = f"/admin/referrals/{referral.id}/erasure"
    asked = officer.send(path, decision="erase", basis="Article 17(1)(a)")
    assert "Erasing cannot be undone." in asked.get_data(as_text=True)
    assert sealed_left(db_session, referral)
    done = officer.send(path, decision="erase", basis="Article 17(1)(a)", confirm="yes")
    assert done.status_code == 303
    assert sealed_left(db_session, referral) == []
    _, page = officer.get(path)
    assert "are erased (4 records)" in page and "Article 17(1)(a)" in page
    assert "erasure.granted" in actions(db_session)


def test_a_held_referral_is_not_erased_on_request_and_a_refusal_needs_its_exemption(
    officer: Desk, db_session: Session
) -> None:
    referral = closed_referral(db_session, MIDDAY - timedelta(days=30))
    factories.legal_hold(db_session, referral_id=referral.id)
    db_session.commit()
    path = f"/admin/referrals/{referral.id}/erasure"
    refused = officer.send(path, decision="erase", basis="Asked to", confirm="yes")
    assert "is under a legal hold" in refused.get_data(as_text=True)
    assert len(sealed_left(db_session, referral)) == 11
    no_exemption = officer.send(path, decision="refuse", basis="A claim is expected")
    assert "Choose the exemption that applies" in no_exemption.get_data(as_text=True)
    assert officer.send(path, decision="refuse", exemption="legal_claims", basis="A claim").status_code == 303
    decision = db_session.scalars(select(ErasureDecision)).one()
    assert (decision.erased, decision.exemption, decision.basis) == (False, "legal_claims", "A claim")


@pytest.mark.parametrize("status", sorted(states.OPEN))
def test_an_open_referral_is_never_erased_and_nothing_changes(
    db_session: Session, status: ReferralStatus
) -> None:
    """Waiting, offered or in support: erasing would leave the queue or a provider with empty answers."""
    referral = closed_referral(db_session, MIDDAY - timedelta(days=30), status=status)
    db_session.commit()
    before = sealed_left(db_session, referral)
    with pytest.raises(erasure.StillOpen, match="so it cannot be erased yet"):
        erasure.erase_referral(db_session, referral, OPERATOR, because="Erased on request")
    assert sealed_left(db_session, referral) == before and len(before) == 11
    stored = db_session.get(Referral, referral.id)
    assert stored is not None and stored.erased_at is None and stored.status is status
    assert "retention.erased" not in actions(db_session)


# -- an erased referral, everywhere -----------------------------------------------------------------


def test_an_erased_referrals_pages_still_work_and_say_it_was_erased(
    app: Flask, db_session: Session, midday: Clock
) -> None:
    provider = factories.provider(db_session)
    referral = factories.referral(
        db_session, full_name="Alex Example", email="alex@example.org", email_index="e" * 64
    )
    twin = factories.referral(
        db_session, full_name="Alex Example", email_index="e" * 64, possible_duplicate=True
    )
    case = factories.allocation(
        db_session,
        referral_id=referral.id,
        provider_id=provider.id,
        status=AllocationStatus.ACCEPTED,
        outcome=Outcome.SUPPORT_COMPLETED,
        closed_at=MIDDAY - timedelta(days=3),
    )
    referral.status = ReferralStatus.CLOSED
    db_session.commit()
    erasure.erase_referral(db_session, referral, OPERATOR, because="Erased on request")

    allocator = Desk(signed_in(app, db_session, Role.ALLOCATOR)[0])
    for path in (f"/triage/referrals/{referral.id}", f"/triage/referrals/{twin.id}", "/triage"):
        status, page = allocator.get(path)
        assert status == 200, path
    _, page = allocator.get(f"/triage/referrals/{referral.id}")
    assert "The person's details were erased on 3 November 2026" in text_of(page)
    _, twin_page = allocator.get(f"/triage/referrals/{twin.id}")
    assert referral.reference not in twin_page  # nothing can match an erased referral

    staff = Desk(signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)[0])
    for path in (f"/provider/cases/{case.id}", "/provider/cases"):
        status, page = staff.get(path)
        assert status == 200, path
    assert "were erased" in text_of(staff.get(f"/provider/cases/{case.id}")[1])

    commissioner = Desk(signed_in(app, db_session, Role.COMMISSIONER)[0])
    quarter = Quarter.last_ended()
    assert commissioner.get("/commissioner/kpi")[0] == 200
    assert staff.get(f"/kpi/returns/{quarter.year}/{quarter.number}")[0] == 200
    stored = db_session.get(Referral, referral.id)
    assert stored is not None and stored.status is ReferralStatus.CLOSED
    # The status page can no longer match it (its code's hash is gone), and says so plainly.
    page = status_check(app.test_client(), referral.reference, "ABCD-EFGH")
    assert "Closed" not in page and "<h1" in page
    assert db_session.get(Allocation, case.id) is not None
