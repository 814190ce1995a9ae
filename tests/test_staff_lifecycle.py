"""A member of staff's life in the hub, as an administrator runs it: a new role, the last sign-in, and
accounts unused for a while disabled in one step. Tried as a careless or hostile administrator would:
their own account, a stale list, a copied cookie, ids that were never shown."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.audit import Actor, AuditEntry
from hub.auth import services
from hub.auth.models import Role, StaffUser
from hub.templating import uk_when

from . import factories
from .clock import Clock
from .staff import Desk, sign_in, signed_in

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[Clock]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def account_row(db: Session, user: StaffUser) -> tuple[object, ...]:
    db.expire_all()
    fresh = db.get(StaffUser, user.id)
    assert fresh is not None
    return (fresh.role, fresh.provider_id, fresh.disabled, fresh.session_version)


def actions(db: Session) -> list[tuple[str, str | None]]:
    db.expire_all()
    return [(e.action, e.object_id) for e in db.scalars(select(AuditEntry).order_by(AuditEntry.seq))]


def banners(page: str) -> list[str]:
    return [
        " ".join(text.split())
        for text in re.findall(r'class="govuk-notification-banner__heading">\s*(.*?)\s*</', page, re.S)
    ]


def copied(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of this one's session cookie."""
    thief = app.test_client()
    thief.set_cookie("hub", client.get_cookie("hub").value)  # type: ignore[union-attr]
    return thief


# -- a new role ------------------------------------------------------------------------------------


def test_a_new_role_ends_every_session_even_a_copied_cookie(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    admin = Desk(signed_in(app, db_session, Role.ADMIN)[0])
    person, user = signed_in(app, db_session, Role.ALLOCATOR)
    harbour = factories.provider(db_session, name="Harbour")
    db_session.commit()
    copy = copied(app, person)
    assert copy.get("/triage").status_code == 200

    status, page = admin.get(f"/admin/users/{user.id}/role")
    assert status == 200 and "Change the role of" in page and 'value="allocator" checked' in page
    done = admin.send(f"/admin/users/{user.id}/role", role="provider_staff", provider=harbour.slug)

    assert done.headers["Location"] == f"/admin/users/{user.id}"
    for client in (person, copy):
        assert client.get("/triage").headers["Location"] == "/login"
    db_session.expire_all()
    assert (user.role, user.provider_id) == (Role.PROVIDER_STAFF, harbour.id)
    assert ("account.role_changed", str(user.id)) in actions(db_session)
    _, shown = admin.get(f"/admin/users/{user.id}")
    assert "Provider staff" in shown and "Harbour" in shown


@pytest.mark.parametrize(
    ("role", "provider", "said"),
    [
        ("provider_staff", "none", "Choose the provider they work for: provider staff need one"),
        ("commissioner", "HARBOUR", "Choose “Not provider staff”: only provider staff work for a provider"),
        ("provider_staff", "", "Choose the provider they work for, or “Not provider staff”"),
        ("superuser", "none", "Not a valid choice"),
        ("provider_staff", "someone-elses", "Not a valid choice"),
    ],
)
def test_a_role_that_does_not_fit_is_explained_and_changes_nothing(
    app: Flask, db_session: Session, clock: Clock, role: str, provider: str, said: str
) -> None:
    admin = Desk(signed_in(app, db_session, Role.ADMIN)[0])
    harbour = factories.provider(db_session, name="Harbour")
    person, user = signed_in(app, db_session, Role.ALLOCATOR)
    before, audited = account_row(db_session, user), actions(db_session)

    response = admin.send(
        f"/admin/users/{user.id}/role",
        role=role,
        provider=harbour.slug if provider == "HARBOUR" else provider,
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<title>Error: " in page and said in page
    assert account_row(db_session, user) == before and actions(db_session) == audited
    assert person.get("/triage").status_code == 200, "a refused change ends no session"


def test_an_administrator_cannot_remove_their_own_administrator_role(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    client, me = signed_in(app, db_session, Role.ADMIN)
    admin = Desk(client)
    factories.staff_user(db_session, role=Role.ADMIN)  # another administrator exists: still refused
    db_session.commit()
    before, audited = account_row(db_session, me), actions(db_session)

    response = admin.send(f"/admin/users/{me.id}/role", role="commissioner", provider="none")

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<title>Error: " in page
    assert "You cannot remove your own administrator role" in page
    assert account_row(db_session, me) == before and actions(db_session) == audited
    assert admin.get("/admin/users")[0] == 200, "still signed in, still an administrator"
    _, own = admin.get(f"/admin/users/{me.id}")
    assert "Disable account" not in own and "Change role or provider" not in own


def test_an_administrator_cannot_disable_themselves(app: Flask, db_session: Session, clock: Clock) -> None:
    client, me = signed_in(app, db_session, Role.ADMIN)
    admin = Desk(client)
    before, audited = account_row(db_session, me), actions(db_session)

    response = admin.send(f"/admin/users/{me.id}/disable")

    assert response.headers["Location"] == f"/admin/users/{me.id}"
    _, page = admin.get(f"/admin/users/{me.id}")
    assert banners(page) == ["You cannot disable your own account. Another administrator can do it for you."]
    assert account_row(db_session, me) == before and actions(db_session) == audited


def test_the_last_administrator_who_can_sign_in_is_kept(app: Flask, db_session: Session) -> None:
    first = factories.staff_user(db_session, role=Role.ADMIN)
    second = factories.staff_user(db_session, role=Role.ADMIN)
    db_session.commit()
    by_first = Actor(id=str(first.id), role="admin")
    by_second = Actor(id=str(second.id), role="admin")
    assert services.set_role(db_session, second, Role.COMMISSIONER, None, by_first)
    # The second administrator's request was already under way when they lost the role.
    before = account_row(db_session, first)
    with pytest.raises(services.AccountError, match="only administrator account that can sign in"):
        services.set_role(db_session, first, Role.ALLOCATOR, None, by_second)
    with pytest.raises(services.AccountError, match="only administrator account that can sign in"):
        services.set_disabled(db_session, first, True, by_second)
    assert account_row(db_session, first) == before
    assert services.set_role(db_session, first, Role.ADMIN, None, by_second) is False  # nothing to change


# -- the last sign-in ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "words"),
    [
        (datetime(2026, 3, 3, 14, 15, tzinfo=UTC), "3 March 2026 at 2:15pm"),  # GMT
        (datetime(2026, 7, 1, 8, 5, tzinfo=UTC), "1 July 2026 at 9:05am"),  # BST
        (datetime(2026, 6, 30, 23, 0, tzinfo=UTC), "1 July 2026 at midnight"),
        (datetime(2026, 7, 1, 11, 0, tzinfo=UTC), "1 July 2026 at midday"),
        (datetime(2026, 1, 9, 12, 30, tzinfo=UTC), "9 January 2026 at 12:30pm"),
        (datetime(2026, 1, 9, 0, 30, tzinfo=UTC), "9 January 2026 at 12:30am"),
        (None, "Never"),
    ],
)
def test_a_moment_reads_as_a_person_says_it(moment: datetime | None, words: str) -> None:
    assert uk_when(moment) == words


def test_the_list_shows_each_accounts_last_sign_in(app: Flask, db_session: Session, clock: Clock) -> None:
    admin = Desk(signed_in(app, db_session, Role.ADMIN)[0])
    seen = factories.staff_user(
        db_session, display_name="Ria Seen", last_sign_in_at=datetime(2026, 3, 3, 14, 15, tzinfo=UTC)
    )
    factories.staff_user(db_session, display_name="Noor Never")
    db_session.commit()
    _, page = admin.get("/admin/users")
    rows = {
        re.sub(r"<[^>]+>", "", cells[0]).strip(): re.sub(r"<[^>]+>", "", cells[-1]).strip()
        for cells in (
            re.findall(r'<td class="govuk-table__cell">(.*?)</td>', row, re.S)
            for row in re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", page, re.S)
        )
        if cells
    }
    assert rows["Ria Seen"] == "3 March 2026 at 2:15pm"
    assert rows["Noor Never"] == "Never"
    assert f'href="/admin/users/{seen.id}"' in page


# -- accounts not used for 90 days -----------------------------------------------------------------


def _people(db: Session) -> dict[str, StaffUser]:
    """Accounts on either side of the 90 days (today is 2 November 2026, UK time)."""
    days = timedelta(days=1)
    made: dict[str, dict[str, object]] = {
        "signed in 91 days ago": {"last_sign_in_at": NOW - 91 * days, "created_at": NOW - 400 * days},
        "signed in 90 days ago": {"last_sign_in_at": NOW - 90 * days, "created_at": NOW - 400 * days},
        "signed in 89 days ago": {"last_sign_in_at": NOW - 89 * days, "created_at": NOW - 400 * days},
        "never, added 100 days ago": {"created_at": NOW - 100 * days},
        "never, added 10 days ago": {"created_at": NOW - 10 * days},
        "disabled long ago": {"created_at": NOW - 400 * days, "disabled": True},
    }
    people = {name: factories.staff_user(db, display_name=name, **fields) for name, fields in made.items()}
    db.commit()
    return people


def test_accounts_unused_for_90_days_are_listed_but_never_your_own(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    with time_machine.travel(NOW - timedelta(days=200), tick=False):
        _client, me = signed_in(app, db_session, Role.ADMIN)
    me.created_at = NOW - timedelta(days=400)
    _people(db_session)
    shown = services.inactive_accounts(db_session, NOW.date(), 90, me.id)
    assert [u.display_name for u in shown] == [
        "signed in 91 days ago",
        "signed in 90 days ago",
        "never, added 100 days ago",
    ]
    assert me not in shown
    # HUB_INACTIVE_ACCOUNT_DAYS changes the page's count of days.
    app.extensions["hub.config"] = dataclasses.replace(app.extensions["hub.config"], inactive_account_days=95)
    admin = Desk(signed_in(app, db_session, Role.ADMIN)[0])
    _, page = admin.get("/admin/users/inactive")
    assert "Accounts not used for 95 days" in page and "Disable these 2 accounts" in page
    assert "never, added 100 days ago" in page and "signed in 91 days ago" not in page
    assert str(me.display_name) in page  # unused for 200 days, and not the one asking


def test_disabling_the_unused_accounts_leaves_one_that_signed_in_meanwhile(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    client, me = signed_in(app, db_session, Role.ADMIN)
    admin = Desk(client)
    people = _people(db_session)
    secret = pyotp.random_base32()
    returning = people["signed in 91 days ago"]
    returning.totp_secret, returning.totp_last_step = secret, 1
    db_session.commit()

    status, page = admin.get("/admin/users/inactive")
    assert status == 200 and "Disable these 3 accounts" in page
    shown = re.findall(r'name="accounts" value="([^"]+)"', page)
    assert len(shown) == 3 and str(me.id) not in shown

    # Between the list and the button, one of them signs in (and their session must go on).
    clock.shift(timedelta(minutes=2))
    person = app.test_client()
    sign_in(person, returning, secret)
    done = admin.client.post("/admin/users/inactive", data={"csrf_token": admin.token, "accounts": shown})

    assert done.headers["Location"] == "/admin/users/inactive"
    _, after = admin.get("/admin/users/inactive")
    assert banners(after) == [
        "2 accounts disabled. They cannot sign in, and every session they had has ended.",
        "1 account was left as before: signed in, or changed, since the list was shown.",
    ]
    assert "Every account that can sign in has been used in the last 90 days" in after
    db_session.expire_all()
    disabled = {name for name, user in people.items() if user.disabled}
    assert disabled == {"signed in 90 days ago", "never, added 100 days ago", "disabled long ago"}
    assert person.get("/staff").status_code == 200
    entries = [
        str(object_id) for action, object_id in actions(db_session) if action == "account.disabled_inactive"
    ]
    assert sorted(entries) == sorted(
        str(people[name].id) for name in ("signed in 90 days ago", "never, added 100 days ago")
    )


def test_ids_that_were_never_listed_disable_nothing(app: Flask, db_session: Session, clock: Clock) -> None:
    client, me = signed_in(app, db_session, Role.ADMIN)
    admin = Desk(client)
    recent, recent_user = signed_in(app, db_session, Role.ALLOCATOR)
    old_admin = factories.staff_user(db_session, role=Role.ADMIN, created_at=NOW - timedelta(days=400))
    db_session.commit()
    me.created_at = NOW - timedelta(days=400)
    db_session.commit()
    audited = actions(db_session)
    posted = [str(me.id), str(recent_user.id), "not-an-id", "0" * 400, "00000000-0000-4000-8000-000000000000"]

    response = admin.client.post(
        "/admin/users/inactive", data={"csrf_token": admin.token, "accounts": posted}
    )

    assert response.headers["Location"] == "/admin/users/inactive"
    assert [a for a in actions(db_session) if a not in audited] == []
    _, page = admin.get("/admin/users/inactive")
    assert banners(page) == [
        "2 accounts were left as before: signed in, or changed, since the list was shown."
    ]
    assert recent.get("/triage").status_code == 200 and admin.get("/admin/users")[0] == 200
    assert str(old_admin.display_name) in page  # the other administrator, unused, is listed (not yours)
    empty = admin.client.post("/admin/users/inactive", data={"csrf_token": admin.token})
    assert empty.status_code == 303
    assert banners(admin.get("/admin/users/inactive")[1]) == [
        "No account was disabled: there was none on the list."
    ]


def test_the_accounts_list_points_to_the_unused_ones(app: Flask, db_session: Session, clock: Clock) -> None:
    admin = Desk(signed_in(app, db_session, Role.ADMIN)[0])
    _people(db_session)
    _, page = admin.get("/admin/users")
    assert "3 accounts have not been used to sign in for 90 days" in " ".join(page.split())


# -- the authenticator reset asks first ------------------------------------------------------------


def test_resetting_an_authenticator_asks_first_and_the_question_changes_nothing(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    admin = Desk(signed_in(app, db_session, Role.ADMIN)[0])
    person, user = signed_in(app, db_session, Role.COMMISSIONER)
    before, audited = account_row(db_session, user), actions(db_session)

    status, page = admin.get(f"/admin/users/{user.id}/reset-second-factor")

    assert status == 200 and "Reset the authenticator for" in page and "signed out everywhere" in page
    assert account_row(db_session, user) == before and actions(db_session) == audited
    assert person.get("/staff").status_code == 200
    admin.send(f"/admin/users/{user.id}/reset-second-factor")
    db_session.expire_all()
    assert not user.enrolled and person.get("/staff").headers["Location"] == "/login"
