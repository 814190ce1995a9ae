"""Records that staff open are audited by one call, ``audit.viewed``: one entry per page or export,
saved in a transaction of its own, never with anything else the request had not saved."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.audit import Actor, AuditEntry
from hub.auth.models import Role, StaffUser
from hub.calendar import Quarter
from hub.providers.models import Provider
from hub.referrals.allocation import allocate
from hub.referrals.models import Allocation

from . import factories
from .staff import signed_in

TRS = Actor(id=None, role="allocator")
READER = Actor(id="reader", role="allocator", address="192.0.2.1")


def entries(db: Session) -> list[tuple[str, str | None, str | None, str]]:
    db.expire_all()
    found = db.scalars(select(AuditEntry).order_by(AuditEntry.seq))
    return [(e.action, e.object_kind, e.object_id, f"{e.role}:{e.actor}") for e in found]


Entry = tuple[str, str | None, str | None]


def opened(db: Session, client: FlaskClient, user: StaffUser, path: str, status: int = 200) -> list[Entry]:
    """The entries written while ``user`` opens ``path`` (and the page answers ``status``)."""
    before = len(entries(db))
    response = client.get(path)
    assert response.status_code == status, path
    written = entries(db)[before:]
    assert all(who == f"{user.role.value}:{user.id}" for *_, who in written)
    return [(action, kind, object_id) for action, kind, object_id, _ in written]


@pytest.fixture
def provider(db_session: Session) -> Provider:
    found = factories.provider(db_session, name="Harbour")
    db_session.commit()
    return found


def offer(db: Session, provider: Provider, **fields: object) -> Allocation:
    referral = factories.referral(db, **fields)
    db.commit()
    return allocate(db, referral.id, provider.id, TRS, reason="Chosen by the test.")


def test_the_allocators_referral_page_writes_one_entry(app: Flask, db_session: Session) -> None:
    referral = factories.referral(db_session)
    client, user = signed_in(app, db_session, Role.ALLOCATOR)
    path = f"/triage/referrals/{referral.id}"
    assert opened(db_session, client, user, path) == [("referral.viewed", "referral", str(referral.id))]
    assert opened(db_session, client, user, path) == [("referral.viewed", "referral", str(referral.id))]


def test_the_providers_case_page_writes_one_entry(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    case = offer(db_session, provider)
    client, user = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)
    assert opened(db_session, client, user, f"/provider/cases/{case.id}") == [
        ("referral.viewed", "referral", str(case.referral_id))
    ]


def test_a_case_page_that_shows_nothing_about_the_person_writes_no_entry(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    case = offer(db_session, provider)
    case.referral.consent_to_share = False  # withdrawn since: the page shows only the reference
    db_session.commit()
    client, user = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)
    assert opened(db_session, client, user, f"/provider/cases/{case.id}") == []


def test_another_providers_case_writes_one_refusal_and_no_view(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    theirs = offer(db_session, factories.provider(db_session, name="Lighthouse"))
    client, user = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)
    assert opened(db_session, client, user, f"/provider/cases/{theirs.id}", 404) == [
        ("access.refused", "allocation", str(theirs.id))
    ]


def test_the_commissioners_quarter_page_writes_one_entry(app: Flask, db_session: Session) -> None:
    client, user = signed_in(app, db_session, Role.COMMISSIONER)
    key = str(Quarter.last_ended().key)
    assert opened(db_session, client, user, "/commissioner/kpi") == [("kpi.joint_viewed", "kpi_quarter", key)]


@pytest.mark.parametrize("kind", ["joint", "publication", "trends"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_each_export_writes_one_entry(app: Flask, db_session: Session, kind: str, fmt: str) -> None:
    client, user = signed_in(app, db_session, Role.COMMISSIONER)
    key = str(Quarter.last_ended().key)
    path = f"/commissioner/kpi/export?kind={kind}&format={fmt}"
    assert opened(db_session, client, user, path) == [(f"kpi.exported.{kind}.{fmt}", "kpi_quarter", key)]


# -- the service itself ------------------------------------------------------------------------------


def test_a_view_is_saved_at_once_on_its_own(db_session: Session) -> None:
    db_session.scalars(select(Provider)).all()  # a page reads first: a transaction is open
    audit.viewed(db_session, READER, "referral.viewed", "referral", "r-1")
    assert not db_session.in_transaction()
    db_session.rollback()  # nothing left to undo
    assert entries(db_session) == [("referral.viewed", "referral", "r-1", "allocator:reader")]


UNSAVED: dict[str, Callable[[Session, Provider], object]] = {
    "a new row": lambda db, _: db.add(Provider(slug="new-one", name="New")),
    "a changed row": lambda db, provider: setattr(provider, "name", "Renamed"),
    "a row written but not committed": lambda db, _: factories.provider(db),
    "an entry noted but not committed": lambda db, _: audit.record(db, "test.event", role="operator"),
}


@pytest.mark.parametrize("unsaved", list(UNSAVED))
def test_a_view_is_refused_while_something_else_is_unsaved(
    db_session: Session, provider: Provider, unsaved: str
) -> None:
    UNSAVED[unsaved](db_session, provider)
    with pytest.raises(RuntimeError, match="would save unsaved changes"):
        audit.viewed(db_session, READER, "referral.viewed", "referral", "r-1")
    db_session.rollback()
    assert entries(db_session) == []
    assert db_session.scalars(select(Provider.name)).all() == ["Harbour"]
