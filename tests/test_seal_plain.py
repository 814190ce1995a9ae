"""What older releases kept plain (how first contact was made, how consent was told, whether help choosing
was asked for) is read through the sealed attribute until ``keys seal-plain`` seals it; then nothing is
left plain, the pages read the same, a rerun does nothing, a stopped run loses nothing, and erasure
empties both."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from hub.audit import AuditEntry
from hub.auth.models import Role
from hub.db import Base
from hub.privacy import erasure
from hub.providers.models import Provider
from hub.referrals import cases, consent
from hub.referrals.models import (
    Allocation,
    ConsentMethod,
    ConsentRecord,
    ContactMethod,
    FirstContact,
    Referral,
    ReferralStatus,
)
from hub.referrals.sealing import count_plain, seal_plain
from hub.sealed import Sealed

from . import factories
from .clock import TODAY
from .journeys import self_journey
from .staff import signed_in
from .test_cases import TRS, provider_desk, staff
from .test_retention import OPERATOR
from .test_safe_contact import accepted

pytestmark = pytest.mark.usefixtures("midday")

PLAIN = {
    Allocation: ("first_contact_channel", "first_contact_voicemail_left", "first_contact_service_named"),
    Referral: ("help_choosing",),
    ConsentRecord: ("method",),
}
SEALED = {
    Allocation: "first_contact_sealed",
    Referral: "help_choosing_sealed",
    ConsentRecord: "method_sealed",
}


class Stop(Exception):
    pass


@pytest.fixture
def provider(db_session: Session) -> Provider:
    return factories.provider(db_session, name="Harbour")


def as_an_old_release(db: Session, model: Any, row_id: uuid.UUID, **plain: Any) -> None:
    """Write the values as a release before revision 0024 did: plain, with nothing sealed."""
    table = Base.metadata.tables[model.__tablename__]
    db.execute(update(table).where(table.c.id == row_id).values({SEALED[model]: None, **plain}))
    db.commit()
    db.expire_all()


def plain_left(db: Session) -> dict[str, int]:
    """How many rows of each table still hold a plain value (straight from the tables)."""
    found = {}
    for model, names in PLAIN.items():
        table = Base.metadata.tables[model.__tablename__]
        held = [table.c[name].is_not(None) for name in names]
        found[table.name] = db.scalar(select(func.count()).select_from(table).where(or_(*held))) or 0
    return found


def sealed_blob(db: Session, model: Any, row_id: uuid.UUID) -> bytes | None:
    table = Base.metadata.tables[model.__tablename__]
    blob: bytes | None = db.scalar(select(table.c[SEALED[model]]).where(table.c.id == row_id))
    return blob


def old_case(db: Session, provider: Provider) -> Allocation:
    """A case in support whose first contact (by phone: no voicemail, the service named) was kept plain."""
    allocation = accepted(db, provider, voicemail="no", say_who="yes")
    cases.record_first_contact(
        db,
        allocation.id,
        provider.id,
        staff(db, provider),
        TODAY,
        "phone",
        **{
            "voicemail_left": False,
            "service_named": True,
        },
    )
    as_an_old_release(
        db,
        Allocation,
        allocation.id,
        first_contact_channel="phone",
        first_contact_voicemail_left=False,
        first_contact_service_named=True,
    )
    as_an_old_release(db, Referral, allocation.referral_id, help_choosing=True)
    return allocation


def first_contact_shown(page: str) -> str:
    found = re.search(r'id="first-contact">First contact</h2>(.*?)</dl>', page, re.S)
    assert found, "the page shows the first contact"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def pages(app: Flask, db: Session, provider: Provider, allocation: Allocation) -> dict[str, str]:
    """The first contact as the provider's case page and the triage team's referral page show it."""
    desk = provider_desk(app, db, provider)
    _, case = desk.get(f"/provider/cases/{allocation.id}")
    client, _ = signed_in(app, db, Role.ALLOCATOR)
    referral = client.get(f"/triage/referrals/{allocation.referral_id}").get_data(as_text=True)
    assert "Only contact them in these ways: Phone call" in case
    assert "Asked for help choosing" in referral
    return {"case": first_contact_shown(case), "referral": first_contact_shown(referral)}


SHOWN = f"Date {TODAY.strftime('%-d %B %Y')} How Phone call Voicemail left No Said who was calling Yes"


def test_a_first_contact_kept_plain_by_an_older_release_still_reads_and_shows(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    allocation = old_case(db_session, provider)

    assert sealed_blob(db_session, Allocation, allocation.id) is None
    assert allocation.first_contact == FirstContact(
        ContactMethod.PHONE, voicemail_left=False, service_named=True
    )
    assert allocation.referral.help_choosing is True
    assert pages(app, db_session, provider, allocation) == {"case": SHOWN, "referral": SHOWN}
    # The safe-contact checks still hold: a second first contact is refused and changes nothing.
    with pytest.raises(cases.CaseError):
        cases.record_first_contact(
            db_session, allocation.id, provider.id, staff(db_session, provider), TODAY, "text"
        )
    db_session.rollback()
    db_session.expire_all()
    assert allocation.first_contact == FirstContact(ContactMethod.PHONE, False, True)


def test_seal_plain_leaves_no_plain_value_the_pages_read_the_same_and_a_rerun_does_nothing(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    allocation = old_case(db_session, provider)
    record = consent.record_share(
        db_session,
        factories.referral(db_session, consent_to_share=False).id,
        TRS,
        from_whom="Avery",
        on=TODAY,
        method=ConsentMethod.PHONE,
    )
    as_an_old_release(db_session, ConsentRecord, record.id, method="in_writing")
    before = pages(app, db_session, provider, allocation)
    assert count_plain(db_session) >= 3

    result = app.test_cli_runner().invoke(args=["keys", "seal-plain", "--batch-size", "2"])

    assert result.exit_code == 0, result.output
    assert "No value is left in a plain column." in result.output
    db_session.expire_all()
    assert plain_left(db_session) == {"allocation": 0, "referral": 0, "consent_record": 0}
    assert count_plain(db_session) == 0
    assert pages(app, db_session, provider, allocation) == before
    assert db_session.get(ConsentRecord, record.id).method is ConsentMethod.IN_WRITING  # type: ignore[union-attr]
    stored = sealed_blob(db_session, Allocation, allocation.id)

    again = app.test_cli_runner().invoke(args=["keys", "seal-plain"])

    assert again.exit_code == 0 and "Sealed 0 plain values in 0 batches." in again.output
    db_session.expire_all()
    assert sealed_blob(db_session, Allocation, allocation.id) == stored
    actions = db_session.scalars(select(AuditEntry.action).where(AuditEntry.action == "keys.plain_sealed"))
    assert len(list(actions)) == 2, "one audit entry for each run"


def test_a_run_stopped_in_the_middle_of_a_batch_loses_nothing_and_a_rerun_finishes(
    db_session: Session, provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    allocations = [old_case(db_session, provider) for _ in range(5)]
    expected = {a.id: a.first_contact for a in allocations}
    total = count_plain(db_session)
    original, calls = Sealed.seal, [0]

    def fail_on_the_fourth(self: Sealed[Any], row_id: uuid.UUID, value: Any) -> bytes:
        calls[0] += 1
        if calls[0] == 4:  # the second row of the second batch
            raise Stop
        return original(self, row_id, value)

    monkeypatch.setattr(Sealed, "seal", fail_on_the_fourth)
    with pytest.raises(Stop):
        seal_plain(db_session, batch_size=3)
    db_session.rollback()
    monkeypatch.undo()
    db_session.expire_all()

    assert count_plain(db_session) == total - 3, "the first batch committed, the second changed nothing"
    assert {a.id: db_session.get(Allocation, a.id).first_contact for a in allocations} == expected  # type: ignore[union-attr]

    report = seal_plain(db_session, batch_size=3)

    assert report.sealed == total - 3
    db_session.expire_all()
    assert count_plain(db_session) == 0
    assert {a.id: db_session.get(Allocation, a.id).first_contact for a in allocations} == expected  # type: ignore[union-attr]


def test_new_writes_leave_the_plain_columns_empty(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    allocation = accepted(db_session, provider, voicemail="yes", say_who="no")
    cases.record_first_contact(
        db_session,
        allocation.id,
        provider.id,
        staff(db_session, provider),
        TODAY,
        "phone",
        voicemail_left=True,
        service_named=False,
    )
    consent.record_share(
        db_session,
        factories.referral(db_session, consent_to_share=False).id,
        TRS,
        from_whom="Avery",
        on=TODAY,
        method=ConsentMethod.IN_PERSON,
    )
    self_journey(app.test_client()).complete()
    db_session.expire_all()

    assert plain_left(db_session) == {"allocation": 0, "referral": 0, "consent_record": 0}
    assert count_plain(db_session) == 0
    assert allocation.first_contact == FirstContact(ContactMethod.PHONE, True, False)
    sealed = Base.metadata.tables["referral"].c.help_choosing_sealed
    assert db_session.scalar(select(func.count()).where(sealed.is_not(None))) == 1


def test_erasure_empties_the_sealed_values_and_any_left_plain(
    db_session: Session, provider: Provider
) -> None:
    old = old_case(db_session, provider)
    new = accepted(db_session, provider)
    cases.record_first_contact(
        db_session,
        new.id,
        provider.id,
        staff(db_session, provider),
        TODAY,
        "phone",
        **{
            "voicemail_left": False,
            "service_named": False,
        },
    )
    for allocation in (old, new):
        allocation.referral.status = ReferralStatus.CLOSED
    db_session.commit()

    for allocation in (old, new):
        assert erasure.erase_referral(db_session, allocation.referral, OPERATOR, because="On request") > 0
        assert erasure.erase_referral(db_session, allocation.referral, OPERATOR, because="Again") == 0
    db_session.expire_all()

    for model, names in PLAIN.items():
        table = Base.metadata.tables[model.__tablename__]
        for name in (*names, SEALED[model]):
            assert db_session.scalar(select(func.count()).where(table.c[name].is_not(None))) == 0, name
    assert old.first_contact is None and old.first_contact_on == TODAY, "the day the KPIs count stays"


def test_an_erased_referral_s_plain_values_are_emptied_not_sealed(
    db_session: Session, provider: Provider
) -> None:
    allocation = old_case(db_session, provider)
    allocation.referral.erased_at = allocation.created_at  # erased by an older release, which kept them
    db_session.commit()

    report = seal_plain(db_session)

    assert (report.sealed, report.emptied) == (0, 2)
    db_session.expire_all()
    assert allocation.first_contact is None and allocation.referral.help_choosing is None
    assert sealed_blob(db_session, Allocation, allocation.id) is None


def test_init_seals_what_is_left_plain(app: Flask, db_session: Session, provider: Provider) -> None:
    from hub.cli import seal_plain_values

    old_case(db_session, provider)
    with app.test_request_context():
        seal_plain_values(only_if_any=True)
        entries = db_session.scalar(select(func.count()).where(AuditEntry.action == "keys.plain_sealed"))
        seal_plain_values(only_if_any=True)  # nothing left: no run, no entry
    assert count_plain(db_session) == 0
    assert (
        db_session.scalar(select(func.count()).where(AuditEntry.action == "keys.plain_sealed"))
        == entries
        == 1
    )
