"""Sign-in tried as an attacker would: the lock at every step, sign-out that really ends a session,
and password resets by an administrator (who proves it is them) or an operator."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pyotp
import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from hub.audit import Actor, AuditEntry
from hub.auth import passwords, services
from hub.auth.models import Role, StaffUser

from . import factories
from .clock import Clock
from .factories import TEST_PASSWORD
from .staff import sign_in
from .test_auth import START, enrol, post_code, post_password, problem, token

EMAIL = "sam.allocator@example.org"
NEW_PASSWORD = "lantern harbour otter 42"


@pytest.fixture
def clock() -> Iterator[Clock]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def staff(db_session: Session) -> StaffUser:
    user = factories.staff_user(db_session, email=EMAIL, display_name="Sam Allocator")
    db_session.commit()
    return user


def sign_out(client: FlaskClient) -> TestResponse:
    return client.post("/logout", data={"csrf_token": token(client, "/login")})


def audit_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(AuditEntry)) or 0


def actions(db: Session) -> list[str]:
    return [e.action for e in db.scalars(select(AuditEntry).order_by(AuditEntry.seq))]


def account_with_app(
    app: Flask, db: Session, role: Role, **fields: object
) -> tuple[FlaskClient, StaffUser, str]:
    """A signed-in account whose authenticator secret the test knows."""
    secret = pyotp.random_base32()
    user = factories.staff_user(db, role=role, totp_secret=secret, totp_last_step=1, **fields)
    db.commit()
    client = app.test_client()
    sign_in(client, user, secret)
    return client, user, secret


# Item 6: the lock holds at every step


def test_wrong_codes_past_the_limit_lock_out_the_same_half_finished_sign_in(
    client: FlaskClient, db_session: Session, staff: StaffUser, clock: Clock
) -> None:
    secret, _ = enrol(client, EMAIL)
    sign_out(client)
    clock.shift(timedelta(seconds=31))
    assert post_password(client, EMAIL).headers["Location"] == "/login/two-factor"
    for _ in range(services.MAX_FAILURES):
        assert problem(post_code(client, "/login/two-factor", "000000")) == "Enter a correct security code"
    right = post_code(client, "/login/two-factor", pyotp.TOTP(secret).now())
    assert right.status_code == 200 and problem(right) == "Enter a correct security code"
    assert client.get("/staff").headers["Location"] == "/login"
    # Once the lock has passed, the person gets in as usual.
    clock.shift(services.LOCK_FOR + timedelta(seconds=31))
    assert post_password(client, EMAIL).headers["Location"] == "/login/two-factor"
    assert post_code(client, "/login/two-factor", pyotp.TOTP(secret).now()).headers["Location"] == "/staff"


def test_wrong_passwords_and_wrong_codes_count_together(
    client: FlaskClient, staff: StaffUser, clock: Clock
) -> None:
    secret, _ = enrol(client, EMAIL)
    sign_out(client)
    clock.shift(timedelta(seconds=31))
    for _ in range(services.MAX_FAILURES - 2):
        post_password(client, EMAIL, "not the password at all")
    assert post_password(client, EMAIL).headers["Location"] == "/login/two-factor"
    post_code(client, "/login/two-factor", "111111")
    post_code(client, "/login/two-factor", "222222")
    assert problem(post_code(client, "/login/two-factor", pyotp.TOTP(secret).now())) == (
        "Enter a correct security code"
    )
    assert problem(post_password(client, EMAIL)) == "Enter a correct email address and password"


def test_the_lock_applies_while_setting_up_the_authenticator(
    client: FlaskClient, db_session: Session, staff: StaffUser, clock: Clock
) -> None:
    assert post_password(client, EMAIL).headers["Location"] == "/login/set-up"
    page = client.get("/login/set-up").get_data(as_text=True)
    found = re.search(r'id="totp-key">([A-Z2-7]+)<', page)
    assert found
    for _ in range(services.MAX_FAILURES):
        post_code(client, "/login/set-up", "000000")
    refused = post_code(client, "/login/set-up", pyotp.TOTP(found.group(1)).now())
    assert problem(refused) == "Enter a correct security code"
    assert "recovery-codes" not in refused.get_data(as_text=True)
    assert client.get("/staff").headers["Location"] == "/login"
    db_session.refresh(staff)
    assert not staff.enrolled


def test_the_lock_applies_to_recovery_codes(
    client: FlaskClient, db_session: Session, staff: StaffUser, clock: Clock
) -> None:
    _, codes = enrol(client, EMAIL)
    sign_out(client)
    post_password(client, EMAIL)
    for wrong in ("AAAAA-AAAAA", "BBBBB-BBBBB", "000000", "CCCCC-CCCCC", "123456"):
        post_code(client, "/login/two-factor", wrong)
    assert problem(post_code(client, "/login/two-factor", codes[0])) == "Enter a correct security code"
    assert client.get("/staff").headers["Location"] == "/login"
    clock.shift(services.LOCK_FOR + timedelta(seconds=1))
    post_password(client, EMAIL)
    # The code was not used up by the refused try.
    assert post_code(client, "/login/two-factor", codes[0]).headers["Location"] == "/staff"


# Item 6: signing out ends the session on the server


def test_a_cookie_copied_before_sign_out_is_worthless_after_it(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    client, _, _ = account_with_app(app, db_session, Role.ALLOCATOR)
    factories.referral(db_session)
    db_session.commit()
    thief = app.test_client()
    thief.set_cookie("hub", client.get_cookie("hub").value)  # type: ignore[union-attr]
    assert thief.get("/triage").status_code == 200
    assert sign_out(client).headers["Location"] == "/signed-out"
    for path in ("/staff", "/triage"):
        response = thief.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/login"
        assert "PAS-" not in response.get_data(as_text=True)


def test_signing_out_on_one_computer_leaves_another_signed_in(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    first, user, secret = account_with_app(app, db_session, Role.ALLOCATOR)
    clock.shift(timedelta(seconds=31))
    second = app.test_client()
    sign_in(second, user, secret)
    sign_out(first)
    assert first.get("/staff").headers["Location"] == "/login"
    assert second.get("/staff").status_code == 200


def test_sign_out_everywhere_ends_another_computers_session(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    first, user, secret = account_with_app(app, db_session, Role.COMMISSIONER)
    clock.shift(timedelta(seconds=31))
    second = app.test_client()
    sign_in(second, user, secret)
    copied = app.test_client()
    copied.set_cookie("hub", second.get_cookie("hub").value)  # type: ignore[union-attr]
    home = first.get("/staff").get_data(as_text=True)
    assert "Sign out everywhere" in home
    done = first.post("/logout/everywhere", data={"csrf_token": token(first, "/staff")})
    assert done.headers["Location"] == "/signed-out"
    assert "You are signed out on every computer and phone" in first.get("/signed-out").get_data(as_text=True)
    for client in (first, second, copied):
        assert client.get("/staff").headers["Location"] == "/login"
    entries = db_session.scalars(
        select(AuditEntry).where(AuditEntry.action == "account.signed_out_everywhere")
    ).all()
    assert [(e.actor, e.object_id) for e in entries] == [(str(user.id), str(user.id))]


def test_sign_out_everywhere_needs_a_signed_in_session(app: Flask, db_session: Session) -> None:
    anonymous = app.test_client()
    refused = anonymous.post("/logout/everywhere", data={"csrf_token": token(anonymous, "/login")})
    assert refused.headers["Location"] == "/login"
    assert "account.signed_out_everywhere" not in actions(db_session)


# Item 7: password reset


def reset_form(client: FlaskClient, user: StaffUser) -> str:
    return f"/admin/users/{user.id}/reset-password"


def post_reset(client: FlaskClient, target: StaffUser, code: str) -> TestResponse:
    path = reset_form(client, target)
    return client.post(path, data={"csrf_token": token(client, path), "code": code})


def snapshot(db: Session, user: StaffUser) -> tuple[str, int, bool, list[str]]:
    """The account as a reset would change it, and every audit entry but the refused codes' own."""
    db.expire_all()
    fresh = db.get(StaffUser, user.id)
    assert fresh is not None
    others = [action for action in actions(db) if action != "sign_in.failed"]
    return fresh.password_hash, fresh.session_version, fresh.must_change_password, others


def test_an_admin_without_a_right_own_code_resets_nothing(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    admin, admin_user, admin_secret = account_with_app(app, db_session, Role.ADMIN)
    target = factories.staff_user(db_session, role=Role.ALLOCATOR)
    db_session.commit()
    before = snapshot(db_session, target)
    used_to_sign_in = pyotp.TOTP(admin_secret).now()
    other_secret = pyotp.TOTP(pyotp.random_base32()).now()
    for code in ("000000", used_to_sign_in, other_secret, "AAAAA-AAAAA"):
        refused = post_reset(admin, target, code)
        assert refused.status_code == 200 and problem(refused) == "Enter a correct security code"
        assert "temporary-password" not in refused.get_data(as_text=True)
    empty = post_reset(admin, target, "")
    assert problem(empty) == "Enter your security code"
    assert snapshot(db_session, target) == before
    db_session.refresh(admin_user)
    assert admin_user.failed_sign_ins == 4  # counted like wrong codes at sign-in
    failed = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "sign_in.failed")).all()
    assert [entry.actor for entry in failed] == [str(admin_user.id)] * 4  # and audited like them


def test_an_admins_wrong_codes_lock_their_account_and_then_even_the_right_code_resets_nothing(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    admin, _, admin_secret = account_with_app(app, db_session, Role.ADMIN)
    target = factories.staff_user(db_session, role=Role.ALLOCATOR)
    db_session.commit()
    before = snapshot(db_session, target)
    for _ in range(services.MAX_FAILURES):
        post_reset(admin, target, "000000")
    clock.shift(timedelta(seconds=31))
    refused = post_reset(admin, target, pyotp.TOTP(admin_secret).now())
    assert problem(refused) == "Enter a correct security code"
    assert snapshot(db_session, target) == before
    assert actions(db_session).count("sign_in.failed") == services.MAX_FAILURES + 1  # the locked try too


def test_someone_who_is_not_an_admin_cannot_reset_a_password(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    allocator, _, secret = account_with_app(app, db_session, Role.ALLOCATOR)
    target = factories.staff_user(db_session, role=Role.ADMIN)
    db_session.commit()
    before = snapshot(db_session, target)
    clock.shift(timedelta(seconds=31))
    path = reset_form(allocator, target)
    assert allocator.get(path).status_code == 403
    refused = allocator.post(
        path, data={"csrf_token": token(allocator, "/staff"), "code": pyotp.TOTP(secret).now()}
    )
    assert refused.status_code == 403
    assert snapshot(db_session, target) == before


def test_an_admin_cannot_reset_their_own_password_here(app: Flask, db_session: Session, clock: Clock) -> None:
    admin, admin_user, secret = account_with_app(app, db_session, Role.ADMIN)
    before = snapshot(db_session, admin_user)
    clock.shift(timedelta(seconds=31))
    refused = post_reset(admin, admin_user, pyotp.TOTP(secret).now())
    assert "Change your own password" in problem(refused)
    assert snapshot(db_session, admin_user)[:3] == before[:3]


def temporary_from(page: TestResponse) -> str:
    found = re.search(r'id="temporary-password">([^<]+)<', page.get_data(as_text=True))
    assert found, "no temporary password shown"
    return found.group(1).strip()


def test_after_a_reset_the_old_password_fails_and_the_temporary_one_works_once_and_forces_a_change(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    admin, admin_user, admin_secret = account_with_app(app, db_session, Role.ADMIN)
    person, target, secret = account_with_app(app, db_session, Role.ALLOCATOR, email=EMAIL)
    copied = app.test_client()
    copied.set_cookie("hub", person.get_cookie("hub").value)  # type: ignore[union-attr]
    clock.shift(timedelta(seconds=31))
    assert "Reset the password for" in admin.get(reset_form(admin, target)).get_data(as_text=True)
    done = post_reset(admin, target, pyotp.TOTP(admin_secret).now())
    assert done.status_code == 200
    temporary = temporary_from(done)
    text = done.get_data(as_text=True)
    assert "govuk-notification-banner--success" in text and "is reset" in text
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "account.password_reset")).one()
    assert (entry.actor, entry.role, entry.object_id) == (str(admin_user.id), "admin", str(target.id))
    assert temporary not in str(entry.content())
    # Every session from before the reset has ended.
    for client in (person, copied):
        assert client.get("/staff").headers["Location"] == "/login"
    # The old password no longer works.
    fresh = app.test_client()
    assert problem(post_password(fresh, EMAIL)) == "Enter a correct email address and password"
    # The temporary one does, once, and every page then asks for a new password first.
    assert post_password(fresh, EMAIL, temporary).headers["Location"] == "/login/two-factor"
    assert post_code(fresh, "/login/two-factor", pyotp.TOTP(secret).now()).headers["Location"] == "/staff"
    for path in ("/staff", "/triage", "/triage/plan", "/admin/users"):
        assert fresh.get(path).headers["Location"] == "/account/password", path
    page = fresh.get("/account/password").get_data(as_text=True)
    assert "Choose a new password" in page and 'name="current"' not in page
    weak = fresh.post(
        "/account/password", data={"csrf_token": token(fresh, "/account/password"), "new": "short"}
    )
    assert "at least 12 characters" in problem(weak)
    chosen = fresh.post(
        "/account/password", data={"csrf_token": token(fresh, "/account/password"), "new": NEW_PASSWORD}
    )
    assert chosen.headers["Location"] == "/login"
    assert "Sign in with your new password" in fresh.get("/login").get_data(as_text=True)
    again = app.test_client()
    assert problem(post_password(again, EMAIL, temporary)) == "Enter a correct email address and password"
    assert post_password(again, EMAIL, NEW_PASSWORD).headers["Location"] == "/login/two-factor"
    clock.shift(timedelta(seconds=31))
    assert post_code(again, "/login/two-factor", pyotp.TOTP(secret).now()).headers["Location"] == "/staff"
    assert again.get("/staff").status_code == 200


def test_a_temporary_password_never_used_stops_working_after_72_hours(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    admin, _admin_user, admin_secret = account_with_app(app, db_session, Role.ADMIN)
    _person, target, _secret = account_with_app(app, db_session, Role.ALLOCATOR, email=EMAIL)
    clock.shift(timedelta(seconds=31))
    temporary = temporary_from(post_reset(admin, target, pyotp.TOTP(admin_secret).now()))
    clock.shift(timedelta(hours=71, minutes=59))
    assert post_password(app.test_client(), EMAIL, temporary).headers["Location"] == "/login/two-factor"
    clock.shift(timedelta(minutes=2))
    late = post_password(app.test_client(), EMAIL, temporary)
    assert late.status_code == 200 and problem(late) == "Enter a correct email address and password"


def test_a_temporary_password_works_once_even_if_no_new_one_was_chosen(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    target = factories.staff_user(db_session, email=EMAIL)
    temporary = services.reset_password(db_session, target, Actor(id=None, role="operator"))
    first = app.test_client()
    assert post_password(first, EMAIL, temporary).headers["Location"] == "/login/set-up"
    page = first.get("/login/set-up").get_data(as_text=True)
    found = re.search(r'id="totp-key">([A-Z2-7]+)<', page)
    assert found
    post_code(first, "/login/set-up", pyotp.TOTP(found.group(1)).now())
    assert first.get("/staff").headers["Location"] == "/account/password"
    sign_out(first)
    second = app.test_client()
    assert problem(post_password(second, EMAIL, temporary)) == "Enter a correct email address and password"


def test_an_account_that_must_change_its_password_can_do_nothing_else(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    admin, admin_user, _ = account_with_app(app, db_session, Role.ADMIN)
    other = factories.staff_user(db_session, role=Role.ALLOCATOR)
    admin_user.must_change_password = True
    db_session.commit()
    before = audit_count(db_session)
    refused = admin.post(f"/admin/users/{other.id}/disable", data={"csrf_token": token(admin, "/login")})
    assert refused.headers["Location"] == "/account/password"
    db_session.refresh(other)
    assert not other.disabled and audit_count(db_session) == before


def test_an_operator_resets_a_password_from_the_command_line(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    person, target, _ = account_with_app(app, db_session, Role.ALLOCATOR, email=EMAIL)
    version = target.session_version
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reset-password", "--email", "SAM.allocator@example.org "])
    assert result.exit_code == 0, result.output
    found = re.search(r"Temporary password \(shown only now\): (\S+)", result.output)
    assert found
    db_session.expire_all()
    fresh = db_session.get(StaffUser, target.id)
    assert fresh is not None and fresh.must_change_password and fresh.session_version > version
    assert passwords.check_password(fresh.password_hash, found.group(1))
    assert not passwords.check_password(fresh.password_hash, TEST_PASSWORD)
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "account.password_reset")).one()
    assert (entry.role, entry.actor, entry.object_id) == ("operator", None, str(target.id))
    assert person.get("/staff").headers["Location"] == "/login"
    before = audit_count(db_session)
    unknown = runner.invoke(args=["reset-password", "--email", "nobody@example.org"])
    assert unknown.exit_code != 0 and "no account" in unknown.output
    assert audit_count(db_session) == before


# Item 7: what the administrator sees


def banner(page: str) -> str:
    found = re.search(
        r'govuk-notification-banner--success.*?class="govuk-notification-banner__heading">\s*(.*?)\s*</',
        page,
        re.S,
    )
    return found.group(1) if found else ""


def test_every_admin_action_shows_a_confirmation_banner(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    """Each change lands on the account's own page (where the work goes on) with a banner, shown once."""
    admin, _, admin_secret = account_with_app(app, db_session, Role.ADMIN)
    target = factories.staff_user(db_session, role=Role.ALLOCATOR, totp_secret="A" * 32, totp_last_step=1)
    db_session.commit()
    new = {
        "csrf_token": token(admin, "/admin/users/new"),
        "display_name": "Robin Worker",
        "email": "robin.w@example.org",
        "role": "allocator",
        "password": "river stone lantern 5",
    }
    made = admin.post("/admin/users/new", data=new)
    robin = services.find_by_email(db_session, "robin.w@example.org")
    assert robin is not None and robin.must_change_password
    assert made.headers["Location"] == f"/admin/users/{robin.id}"
    assert banner(admin.get(made.headers["Location"]).get_data(as_text=True)).startswith(
        "The account is added"
    )
    steps = [
        (f"/admin/users/{target.id}/disable", {}, "The account is disabled"),
        (f"/admin/users/{target.id}/enable", {}, "The account is enabled"),
        (f"/admin/users/{target.id}/reset-second-factor", {}, "The authenticator is reset"),
        (
            f"/admin/users/{target.id}/role",
            {"role": "commissioner", "provider": "none"},
            "The role is changed",
        ),
    ]
    for path, data, said in steps:
        response = admin.post(path, data={"csrf_token": token(admin, "/admin/users"), **data})
        assert response.headers["Location"] == f"/admin/users/{target.id}", path
        page = admin.get(f"/admin/users/{target.id}").get_data(as_text=True)
        assert banner(page).startswith(said), (path, banner(page))
        assert banner(admin.get(f"/admin/users/{target.id}").get_data(as_text=True)) == ""  # shown once
    clock.shift(timedelta(seconds=31))
    reset = post_reset(admin, target, pyotp.TOTP(admin_secret).now()).get_data(as_text=True)
    assert (
        banner(reset) == f"The password for {target.display_name} is reset. Every session they had has ended."
    )
    assert f'href="/admin/users/{target.id}"' in reset


def test_the_new_account_form_asks_for_a_password_for_someone_else(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    admin, _, _ = account_with_app(app, db_session, Role.ADMIN)
    page = admin.get("/admin/users/new").get_data(as_text=True)
    field = re.search(r"<input[^>]*name=\"password\"[^>]*>", page)
    assert field and 'autocomplete="new-password"' in field.group(0)
    assert "A first password for them" in page and "they must choose their own password" in page


def test_the_sign_in_page_says_what_happens_when_a_password_is_forgotten(client: FlaskClient) -> None:
    page = " ".join(client.get("/login").get_data(as_text=True).split())
    assert "If you have forgotten your password, ask an administrator of this service to reset it" in page
    assert "temporary password" in page and "you choose a new password" in page
