"""The retention schedule carried out by ``retention purge``: what is due is erased, what is not (a day
short, or under a legal hold) is left, the figures the KPIs count never change, and a rerun erases
nothing more. Time is frozen (tests/clock.py): "today" is 3 November 2026."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.audit import Actor, AuditEntry
from hub.auth.models import Role, StaffUser
from hub.calendar import Quarter
from hub.demo import seed
from hub.kpi.prefill import prefill, trs_figures
from hub.outbox import OutboxMessage
from hub.privacy import erasure, schedule
from hub.privacy.models import LegalHold
from hub.privacy.schedule import Kind, Unit
from hub.providers.models import Provider
from hub.referrals.models import (
    Allocation,
    AllocationStatus,
    ConsentRecord,
    DraftPage,
    Measures,
    Outcome,
    Referral,
    ReferralEvent,
    ReferralStatus,
)

from . import factories
from .clock import MIDDAY, Clock
from .staff import signed_in

OPERATOR = Actor(id=None, role="operator")
SEVEN_YEARS_AGO = datetime(2019, 11, 3, 15, 0, tzinfo=UTC)  # the same UK day, 7 years before "today"


def purge(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["retention", "purge", *args])


def closed_referral(db: Session, closed_at: datetime, **fields: Any) -> Referral:
    """A referral with everything a person and a provider could have typed, closed at ``closed_at``."""
    provider = factories.provider(db)
    referral = factories.referral(
        db,
        full_name="Alex Example",
        date_of_birth=date(1990, 5, 1),
        email="alex@example.org",
        phone="07700 900123",
        email_index="e" * 64,
        phone_index="p" * 64,
        identity_index="i" * 64,
        status_secret_hash="hash",
        support_wanted="Someone to talk to",
        referrer_name="Sam Worker",
        status_changed_at=closed_at,
        **{"status": ReferralStatus.CLOSED, **fields},
    )
    factories.allocation(
        db,
        referral_id=referral.id,
        provider_id=provider.id,
        status=AllocationStatus.ACCEPTED,
        reason="They asked for this provider",
        outcome=Outcome.SUPPORT_COMPLETED,
        closed_at=closed_at,
        measures=Measures(sessions_offered=6, sessions_attended=5),
    )
    factories.referral_event(db, referral_id=referral.id, note="Spoke to Alex's sister")
    factories.consent_record(db, referral_id=referral.id, from_whom="Alex", note="By phone")
    return referral


def sealed_left(db: Session, referral: Referral) -> list[str]:
    """The names of the sealed values still held for the referral and its case records."""
    db.expire_all()
    rows: list[Any] = [db.get(Referral, referral.id)]
    for model in erasure.CASE_RECORDS:
        rows += db.scalars(select(model).where(model.referral_id == referral.id))  # type: ignore[attr-defined]
    return [
        f"{type(row).__tablename__}.{field.name}"
        for row in rows
        for field in erasure.erasable(type(row))
        if getattr(row, field.column) is not None
    ]


def erased_entries(db: Session) -> list[tuple[str | None, str | None]]:
    query = select(AuditEntry.object_kind, AuditEntry.object_id).where(
        AuditEntry.action == "retention.erased"
    )
    return [(kind, object_id) for kind, object_id in db.execute(query.order_by(AuditEntry.seq))]


def test_a_referral_closed_seven_years_ago_is_erased_and_one_a_day_short_or_held_is_not(
    app: Flask, db_session: Session, midday: Clock
) -> None:
    due = closed_referral(db_session, SEVEN_YEARS_AGO)
    short = closed_referral(db_session, SEVEN_YEARS_AGO + timedelta(days=1))
    held = closed_referral(db_session, SEVEN_YEARS_AGO - timedelta(days=400))
    hold = LegalHold(referral_id=held.id)
    hold.reason = "A court case"
    db_session.add(hold)
    db_session.commit()

    result = purge(app)

    assert result.exit_code == 0, result.output
    assert "Erased 1 referral's answers." in result.output
    assert "Erased 3 case records." in result.output
    assert "Skipped 1 referral under a legal hold." in result.output
    assert sealed_left(db_session, due) == []
    erased = db_session.get(Referral, due.id)
    assert erased is not None and erased.erased_at is not None
    assert (erased.email_index, erased.identity_index, erased.status_secret_hash) == (None, None, None)
    assert erased.status is ReferralStatus.CLOSED
    allocation = db_session.scalars(select(Allocation).where(Allocation.referral_id == due.id)).one()
    assert allocation.outcome is Outcome.SUPPORT_COMPLETED and allocation.measures == Measures(6, 5)
    everything = sealed_left(db_session, short)
    assert len(everything) == 11  # 8 of the referral's answers, 3 notes and reasons of its case records
    assert len(sealed_left(db_session, held)) == len(everything)
    assert db_session.get(Referral, held.id).erased_at is None  # type: ignore[union-attr]
    # One audit entry per record erased: the referral, its allocation, its event, its consent record.
    assert sorted(kind or "" for kind, _ in erased_entries(db_session)) == [
        "allocation",
        "consent_record",
        "referral",
        "referral_event",
    ]

    again = purge(app)
    assert "Erased 0 referrals' answers." in again.output and "Erased 0 case records." in again.output
    assert len(erased_entries(db_session)) == 4


def test_a_dry_run_changes_nothing_and_says_what_would_go(
    app: Flask, db_session: Session, midday: Clock
) -> None:
    referral = closed_referral(db_session, SEVEN_YEARS_AGO - timedelta(days=30))
    factories.draft_page(db_session, saved_at=MIDDAY - timedelta(hours=25))
    factories.draft_page(db_session, saved_at=MIDDAY - timedelta(hours=23))
    factories.outbox_message(db_session, sent_at=MIDDAY - timedelta(days=31))
    db_session.commit()
    before = len(sealed_left(db_session, referral))

    result = purge(app, "--dry-run")

    assert result.exit_code == 0, result.output
    assert "Would erase 1 referral's answers." in result.output
    assert "Would erase 1 page of unsent answers." in result.output
    assert "Would erase 1 sent email." in result.output
    assert "Nothing was changed" in result.output
    assert len(sealed_left(db_session, referral)) == before
    assert db_session.scalar(select(func.count()).select_from(DraftPage)) == 2
    assert erased_entries(db_session) == []

    done = purge(app)
    assert "Erased 1 page of unsent answers." in done.output and "Erased 1 sent email." in done.output
    message = db_session.scalars(select(OutboxMessage)).one()
    assert (message.body, message.to_address) == ("", None) and message.erased_at is not None
    assert db_session.scalar(select(func.count()).select_from(DraftPage)) == 1


def test_as_of_judges_an_earlier_day_and_refuses_a_later_one(
    app: Flask, db_session: Session, midday: Clock
) -> None:
    referral = closed_referral(db_session, SEVEN_YEARS_AGO)
    db_session.commit()

    tomorrow = purge(app, "--as-of", "2026-11-04")
    assert tomorrow.exit_code != 0 and "after today" in tomorrow.output
    earlier = purge(app, "--as-of", "2026-11-02")
    assert earlier.exit_code == 0 and "Erased 0 referrals' answers." in earlier.output
    assert sealed_left(db_session, referral)
    assert "Erased 1 referral's answers." in purge(app, "--as-of", "2026-11-03").output


def test_a_disabled_account_loses_its_name_and_email_after_its_period(
    app: Flask, db_session: Session, midday: Clock
) -> None:
    old = factories.staff_user(db_session, disabled=True, disabled_at=SEVEN_YEARS_AGO)
    recent = factories.staff_user(db_session, disabled=True, disabled_at=MIDDAY - timedelta(days=3))
    active = factories.staff_user(db_session)
    db_session.commit()

    assert "Erased 1 disabled staff account." in purge(app).output

    db_session.expire_all()
    gone = db_session.get(StaffUser, old.id)
    assert gone is not None and (gone.email, gone.display_name) == (None, None)
    assert recent.email and active.email  # read again after expire_all

    client, _ = signed_in(app, db_session, Role.ADMIN)
    for path in ("/admin/users", f"/admin/users/{old.id}"):
        response = client.get(path)
        assert response.status_code == 200 and "A former member of staff (name erased)" in response.text
    assert re.search(r"Work email\s*</dt>\s*<dd[^>]*>\s*Erased", client.get(f"/admin/users/{old.id}").text)


def test_a_held_referral_refuses_the_eraser_and_changes_nothing(db_session: Session) -> None:
    referral = closed_referral(db_session, SEVEN_YEARS_AGO)
    hold = LegalHold(referral_id=referral.id)
    db_session.add(hold)
    db_session.commit()
    with pytest.raises(erasure.OnLegalHold):
        erasure.erase_referral(db_session, referral, OPERATOR, because="An erasure request")
    assert len(sealed_left(db_session, referral)) == 11
    hold.lifted_at = MIDDAY
    db_session.commit()
    assert erasure.erase_referral(db_session, referral, OPERATOR, because="An erasure request") == 4
    assert erasure.erase_referral(db_session, referral, OPERATOR, because="Again") == 0


def figures(db: Session, quarters: list[Quarter]) -> dict[str, Any]:
    providers = db.scalars(select(Provider.id)).all()
    found: dict[str, Any] = {}
    for quarter in quarters:
        found[f"trs {quarter.key}"] = trs_figures(db, quarter)
        for provider_id in providers:
            found[f"{provider_id} {quarter.key}"] = prefill(db, provider_id, quarter)
    return found


def test_every_quarters_figures_are_the_same_after_everything_closed_is_erased(
    app: Flask, db_session: Session, midday: Clock
) -> None:
    seed(db_session)
    quarters = Quarter.current().back(9)
    before = figures(db_session, quarters)
    closed = db_session.scalar(
        select(func.count()).where(Referral.status.in_(["closed", "signposted", "withdrawn"]))
    )
    assert closed and closed > 5
    for kind in (Kind.REFERRAL_ANSWERS, Kind.CASE_RECORDS):
        schedule.change(db_session, kind, 1, Unit.DAYS, "For the test", OPERATOR)

    result = purge(app)

    assert result.exit_code == 0, result.output
    db_session.expire_all()
    erased = db_session.scalar(select(func.count()).where(Referral.erased_at.is_not(None))) or 0
    assert erased >= closed - 2  # those closed in the last day are not due yet
    assert figures(db_session, quarters) == before
    for model in (ReferralEvent, ConsentRecord):  # the rows stay, emptied: the timeline still shows when
        assert (db_session.scalar(select(func.count()).select_from(model)) or 0) > 0


def test_erasing_a_referral_empties_the_emails_sent_to_the_person_and_drops_those_waiting(
    db_session: Session,
) -> None:
    referral = closed_referral(db_session, SEVEN_YEARS_AGO)
    sent = factories.outbox_message(
        db_session, to_address="alex@example.org", to_index="e" * 64, sent_at=MIDDAY
    )
    waiting = factories.outbox_message(db_session, to_address="alex@example.org", to_index="e" * 64)
    to_someone_else = factories.outbox_message(db_session, to_index="x" * 64, sent_at=MIDDAY)
    db_session.commit()
    sent_id, waiting_id = sent.id, waiting.id

    erasure.erase_referral(db_session, referral, OPERATOR, because="An erasure request")
    db_session.expire_all()
    emptied = db_session.get(OutboxMessage, sent_id)
    assert emptied is not None and emptied.erased_at is not None and emptied.sent_at == MIDDAY
    assert (emptied.body, emptied.to_address, emptied.to_index) == ("", None, None)
    assert db_session.get(OutboxMessage, waiting_id) is None  # never sent now
    assert to_someone_else.body and to_someone_else.to_address == "someone@example.org"
    assert ("outbox_message", str(sent_id)) in erased_entries(db_session)
    dropped = select(AuditEntry.object_id).where(AuditEntry.action == "outbox.dropped")
    assert db_session.scalars(dropped).all() == [str(waiting_id)]


def test_emails_to_a_held_referrals_address_outlive_the_30_days_until_the_hold_is_lifted(
    app: Flask, db_session: Session, midday: Clock
) -> None:
    """A hold keeps what the referral holds for a claim or an inquiry, its emails to the person included."""
    held = closed_referral(db_session, MIDDAY - timedelta(days=60))
    hold = factories.legal_hold(db_session, referral_id=held.id)
    kept = factories.outbox_message(
        db_session, to_address="alex@example.org", to_index="e" * 64, sent_at=MIDDAY - timedelta(days=40)
    )
    other = factories.outbox_message(db_session, to_index="x" * 64, sent_at=MIDDAY - timedelta(days=40))
    unindexed = factories.outbox_message(db_session, sent_at=MIDDAY - timedelta(days=40))
    db_session.commit()

    def emptied(message: OutboxMessage) -> bool:
        db_session.expire_all()
        found = db_session.get(OutboxMessage, message.id)
        assert found is not None
        return found.erased_at is not None and found.to_address is None and found.body == ""

    assert purge(app).exit_code == 0
    assert not emptied(kept) and kept.to_address == "alex@example.org"
    assert emptied(other) and emptied(unindexed)
    hold.lifted_at = MIDDAY
    db_session.commit()
    assert purge(app).exit_code == 0
    assert emptied(kept)


def test_emails_to_an_address_another_live_referral_gives_are_kept(db_session: Session) -> None:
    referral = closed_referral(db_session, SEVEN_YEARS_AGO)
    factories.referral(db_session, email="alex@example.org", email_index="e" * 64)  # referred again
    sent = factories.outbox_message(
        db_session, to_address="alex@example.org", to_index="e" * 64, sent_at=MIDDAY
    )
    db_session.commit()

    erasure.erase_referral(db_session, referral, OPERATOR, because="An erasure request")
    db_session.expire_all()
    assert sent.erased_at is None and sent.to_address == "alex@example.org" and sent.body
