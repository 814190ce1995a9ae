"""The data-protection duty: another administrator gives it or takes it on the account's page; only an
administrator can hold it, a role change away from administrator takes it, and each change is audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.audit import AuditEntry
from hub.auth.models import Role, StaffUser

from . import factories
from .clock import Clock
from .staff import Desk, signed_in

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[Clock]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def reread(db: Session, user: StaffUser) -> StaffUser:
    db.expire_all()
    found = db.get(StaffUser, user.id)
    assert found is not None
    return found


def duty_actions(db: Session, user: StaffUser) -> list[str]:
    query = select(AuditEntry.action).where(
        AuditEntry.object_id == str(user.id), AuditEntry.action.like("account.data_protection%")
    )
    return list(db.scalars(query.order_by(AuditEntry.seq)))


def test_an_administrator_gives_and_takes_the_duty_and_the_list_shows_who_holds_it(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    other = factories.staff_user(db_session, role=Role.ADMIN, display_name="Priya Shah")
    db_session.commit()
    admin = Desk(signed_in(app, db_session, Role.ADMIN)[0])
    assert "Holds the data-protection duty" not in admin.get("/admin/users")[1]

    given = admin.send(f"/admin/users/{other.id}/data-protection", holds="yes")
    assert given.status_code == 303
    _status, page = admin.get(given.headers["Location"])
    assert "They now hold the data-protection duty" in page
    assert "Take away the data-protection duty" in page
    assert "Holds the data-protection duty" in admin.get("/admin/users")[1]
    assert reread(db_session, other).data_protection

    taken = admin.send(f"/admin/users/{other.id}/data-protection", holds="no")
    assert "They no longer hold the data-protection duty" in admin.get(taken.headers["Location"])[1]
    assert not reread(db_session, other).data_protection
    assert duty_actions(db_session, other) == [
        "account.data_protection_given",
        "account.data_protection_taken",
    ]


def test_only_an_administrator_can_hold_it_and_nobody_gives_it_to_themselves(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    allocator = factories.staff_user(db_session, role=Role.ALLOCATOR)
    db_session.commit()
    client, me = signed_in(app, db_session, Role.ADMIN)
    admin = Desk(client)

    refused = admin.send(f"/admin/users/{allocator.id}/data-protection", holds="yes")
    assert (
        "Only an administrator can hold the data-protection duty" in admin.get(refused.headers["Location"])[1]
    )
    mine = admin.send(f"/admin/users/{me.id}/data-protection", holds="yes")
    assert "You cannot give or take your own data-protection duty" in admin.get(mine.headers["Location"])[1]
    odd = admin.send(f"/admin/users/{allocator.id}/data-protection", holds="maybe")
    assert "Nothing changed" in admin.get(odd.headers["Location"])[1]
    assert not reread(db_session, allocator).data_protection and not reread(db_session, me).data_protection
    assert duty_actions(db_session, allocator) == duty_actions(db_session, me) == []


def test_a_role_change_away_from_administrator_takes_the_duty(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    officer = factories.staff_user(db_session, role=Role.ADMIN, data_protection=True)
    db_session.commit()
    admin = Desk(signed_in(app, db_session, Role.ADMIN)[0])
    admin.send(f"/admin/users/{officer.id}/role", role="commissioner", provider="none")
    moved = reread(db_session, officer)
    assert moved.role is Role.COMMISSIONER and not moved.data_protection
    assert duty_actions(db_session, officer) == ["account.data_protection_taken"]
    # Made an administrator again, they do not get the duty back by themselves.
    admin.send(f"/admin/users/{officer.id}/role", role="admin", provider="none")
    back = reread(db_session, officer)
    assert back.role is Role.ADMIN and not back.data_protection


def test_the_duty_adds_the_requests_section_to_the_navigation(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    officer = Desk(signed_in(app, db_session, Role.ADMIN, data_protection=True)[0])
    admin = Desk(signed_in(app, db_session, Role.ADMIN)[0])
    assert 'href="/admin/requests"' in officer.get("/staff")[1]
    assert 'href="/admin/requests"' not in admin.get("/staff")[1]


def test_the_demo_administrator_holds_the_duty(app: Flask, db_session: Session) -> None:
    from hub.demo import seed

    seed(db_session)
    (admin,) = db_session.scalars(select(StaffUser).where(StaffUser.role == Role.ADMIN))
    assert admin.data_protection
