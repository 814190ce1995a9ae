"""What docs/THREAT_MODEL.md says an administrator's account can do to providers and their staff, tried
as someone holding one would: moving provider staff to another provider hands them that provider's cases,
and only those, with every session of the account ended at once; a new team mailbox is where the next
allocation notice goes, and the audit names the change but never the address."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.audit import Actor, AuditEntry
from hub.auth.models import Role
from hub.outbox import OutboxMessage
from hub.providers.models import Provider
from hub.referrals.allocation import allocate
from hub.referrals.models import Allocation, AllocationStatus, ReferralStatus

from . import factories
from .clock import Clock
from .staff import Desk, sign_in, signed_in
from .test_provider_admin import details

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[Clock]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def accepted_case(db: Session, provider: Provider) -> Allocation:
    referral = factories.referral(db, status=ReferralStatus.ACCEPTED)
    return factories.allocation(
        db, referral_id=referral.id, provider_id=provider.id, status=AllocationStatus.ACCEPTED
    )


def test_moving_provider_staff_hands_them_the_other_providers_cases_and_only_those(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    harbour = factories.provider(db_session, name="Harbour")
    lighthouse = factories.provider(db_session, name="Lighthouse")
    old_case, new_case = accepted_case(db_session, harbour), accepted_case(db_session, lighthouse)
    db_session.commit()
    person, user = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=harbour.id)
    assert person.get(f"/provider/cases/{old_case.id}").status_code == 200
    assert person.get(f"/provider/cases/{new_case.id}").status_code == 404
    admin = Desk(signed_in(app, db_session, Role.ADMIN)[0])

    moved = admin.send(f"/admin/users/{user.id}/role", role="provider_staff", provider=lighthouse.slug)

    assert moved.status_code == 303
    assert person.get(f"/provider/cases/{old_case.id}").headers["Location"] == "/login", "ended at once"
    clock.shift(timedelta(seconds=31))  # a new code for the new sign-in
    again = app.test_client()
    sign_in(again, user, user.totp_secret or "")
    assert again.get(f"/provider/cases/{new_case.id}").status_code == 200
    assert again.get(f"/provider/cases/{old_case.id}").status_code == 404, "the old provider's case is gone"
    refused = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "access.refused")).all()
    assert [e.actor for e in refused][-1] == str(user.id)


def test_a_new_team_mailbox_gets_the_next_notice_and_the_audit_holds_no_address(
    app: Flask, db_session: Session
) -> None:
    admin = Desk(signed_in(app, db_session, Role.ADMIN)[0])
    admin.send("/admin/providers/new", **details(referrals_email="team@lighthouse.example.org"))
    provider = db_session.scalars(select(Provider)).one()

    changed = admin.send(f"/admin/providers/{provider.id}", **details(referrals_email="new.box@example.org"))

    assert changed.status_code == 303
    entries = db_session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert entries[-1].action == "provider.mailbox_changed"
    assert not any("example.org" in str(e.content()) for e in entries), "no address in the audit log"
    db_session.expire_all()  # the test's own session read the provider before the change
    referral = factories.referral(db_session)
    allocate(db_session, referral.id, provider.id, Actor(id=None, role="allocator"), "their choice")
    db_session.commit()
    [notice] = db_session.scalars(select(OutboxMessage)).all()
    assert notice.to_address == "new.box@example.org"
    assert referral.reference not in notice.body and "Test Person" not in notice.body
