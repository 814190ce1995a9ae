"""Staff sign-in: a password and a second factor, sessions that end, and one answer for every failure."""

from __future__ import annotations

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
from werkzeug.test import TestResponse

from hub.audit import Actor, AuditEntry
from hub.auth import passwords, services
from hub.auth.models import Role, StaffUser

from . import factories
from .clock import Clock
from .factories import TEST_PASSWORD
from .journeys import TOKEN
from .staff import signed_in

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[Clock]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def token(client: FlaskClient, path: str = "/login") -> str:
    found = TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def post_password(client: FlaskClient, email: str, password: str = TEST_PASSWORD) -> TestResponse:
    return client.post("/login", data={"csrf_token": token(client), "email": email, "password": password})


def post_code(client: FlaskClient, path: str, code: str) -> TestResponse:
    return client.post(path, data={"csrf_token": token(client, path), "code": code})


def enrol(client: FlaskClient, email: str) -> tuple[str, list[str]]:
    """Sign in for the first time and set up the authenticator; returns its secret and recovery codes."""
    assert post_password(client, email).headers["Location"] == "/login/set-up"
    page = client.get("/login/set-up").get_data(as_text=True)
    assert "<svg" in page
    secret = re.search(r'id="totp-key">([A-Z2-7]+)<', page)
    assert secret
    done = post_code(client, "/login/set-up", pyotp.TOTP(secret.group(1)).now())
    codes = re.findall(r"<li>([0-9A-Z]{5}-[0-9A-Z]{5})</li>", done.get_data(as_text=True))
    return secret.group(1), codes


def problem(response: TestResponse) -> str:
    found = re.search(
        r'govuk-error-summary__list">\s*<li>\s*<a href="[^"]*">([^<]+)</a>', response.get_data(as_text=True)
    )
    return found.group(1) if found else ""


@pytest.fixture
def staff(db_session: Session) -> StaffUser:
    user = factories.staff_user(db_session, email="sam.allocator@example.org", display_name="Sam Allocator")
    db_session.commit()
    return user


def test_first_sign_in_sets_up_the_authenticator_and_shows_recovery_codes(
    client: FlaskClient, db_session: Session, staff: StaffUser, clock: Clock
) -> None:
    assert client.get("/staff").headers["Location"] == "/login"
    secret, codes = enrol(client, "sam.allocator@example.org")
    assert len(codes) == 10 and len(set(codes)) == 10
    home = client.get("/staff")
    assert home.status_code == 200 and "Hello, Sam Allocator" in home.get_data(as_text=True)
    db_session.refresh(staff)
    assert staff.enrolled and staff.totp_secret == secret


def test_a_code_is_accepted_only_once(client: FlaskClient, staff: StaffUser, clock: Clock) -> None:
    secret, _ = enrol(client, "sam.allocator@example.org")
    clock.shift(timedelta(seconds=31))
    code = pyotp.TOTP(secret).now()
    post_password(client, "sam.allocator@example.org")
    assert post_code(client, "/login/two-factor", code).headers["Location"] == "/staff"
    other = client.application.test_client()
    post_password(other, "sam.allocator@example.org")
    replay = post_code(other, "/login/two-factor", code)
    assert replay.status_code == 200 and problem(replay) == "Enter a correct security code"
    assert other.get("/staff").headers["Location"] == "/login"


def test_the_right_code_in_other_digits_is_a_wrong_code_not_a_crash(
    client: FlaskClient, staff: StaffUser, clock: Clock
) -> None:
    secret, _ = enrol(client, "sam.allocator@example.org")
    clock.shift(timedelta(seconds=31))
    code = pyotp.TOTP(secret).now()
    post_password(client, "sam.allocator@example.org")
    full_width = "".join(chr(ord(digit) - ord("0") + 0xFF10) for digit in code)
    refused = post_code(client, "/login/two-factor", full_width)
    assert refused.status_code == 200 and problem(refused) == "Enter a correct security code"
    assert client.get("/staff").headers["Location"] == "/login"


def test_a_recovery_code_signs_in_once(client: FlaskClient, staff: StaffUser, clock: Clock) -> None:
    _, codes = enrol(client, "sam.allocator@example.org")
    client.post("/logout", data={"csrf_token": token(client, "/staff")})
    post_password(client, "sam.allocator@example.org")
    assert post_code(client, "/login/two-factor", codes[3].lower()).headers["Location"] == "/staff"
    client.post("/logout", data={"csrf_token": token(client, "/staff")})
    post_password(client, "sam.allocator@example.org")
    assert problem(post_code(client, "/login/two-factor", codes[3])) == "Enter a correct security code"


def comparable(response: TestResponse) -> str:
    return re.sub(r'value="[^"]*"', "", response.get_data(as_text=True))


def test_unknown_account_and_wrong_password_get_the_same_answer(
    client: FlaskClient, staff: StaffUser
) -> None:
    unknown = post_password(client, "nobody@example.org")
    wrong = post_password(client, "sam.allocator@example.org", "not the right password at all")
    assert unknown.status_code == wrong.status_code == 200
    assert problem(unknown) == problem(wrong) == "Enter a correct email address and password"
    assert comparable(unknown) == comparable(wrong)


def test_an_account_locks_after_five_failures_and_says_nothing_about_it(
    client: FlaskClient, staff: StaffUser, clock: Clock
) -> None:
    for _ in range(services.MAX_FAILURES):
        post_password(client, "sam.allocator@example.org", "wrong password, wrong password")
    locked = post_password(client, "sam.allocator@example.org")
    assert problem(locked) == "Enter a correct email address and password"
    clock.shift(services.LOCK_FOR + timedelta(seconds=1))
    assert post_password(client, "sam.allocator@example.org").headers["Location"] == "/login/set-up"


def test_a_session_ends_after_30_idle_minutes(client: FlaskClient, staff: StaffUser, clock: Clock) -> None:
    enrol(client, "sam.allocator@example.org")
    clock.shift(timedelta(minutes=29))
    assert client.get("/staff").status_code == 200
    clock.shift(timedelta(minutes=29))
    assert client.get("/staff").status_code == 200
    clock.shift(timedelta(minutes=31))
    assert client.get("/staff").headers["Location"] == "/login"


def test_a_session_ends_after_12_hours_however_busy(
    client: FlaskClient, staff: StaffUser, clock: Clock
) -> None:
    enrol(client, "sam.allocator@example.org")
    for _ in range(12 * 3 - 1):  # a request every 20 minutes, for 11 hours 40 minutes
        clock.shift(timedelta(minutes=20))
        assert client.get("/staff").status_code == 200
    clock.shift(timedelta(minutes=21))
    assert client.get("/staff").headers["Location"] == "/login"


def test_a_password_change_ends_every_session(
    app: Flask, client: FlaskClient, db_session: Session, staff: StaffUser, clock: Clock
) -> None:
    enrol(client, "sam.allocator@example.org")
    services.change_password(db_session, staff, TEST_PASSWORD, "a new and long passphrase 7", None)
    assert client.get("/staff").headers["Location"] == "/login"


def test_disabling_an_account_ends_its_sessions_and_sign_ins(
    client: FlaskClient, db_session: Session, staff: StaffUser, clock: Clock
) -> None:
    enrol(client, "sam.allocator@example.org")
    services.set_disabled(db_session, staff, True, Actor(id=None, role="admin"))
    assert client.get("/staff").headers["Location"] == "/login"
    assert (
        problem(post_password(client, "sam.allocator@example.org"))
        == "Enter a correct email address and password"
    )


def test_a_reset_second_factor_must_be_set_up_again(
    client: FlaskClient, db_session: Session, staff: StaffUser, clock: Clock
) -> None:
    enrol(client, "sam.allocator@example.org")
    services.reset_second_factor(db_session, staff, Actor(id="admin-1", role="admin"))
    assert client.get("/staff").headers["Location"] == "/login"
    assert post_password(client, "sam.allocator@example.org").headers["Location"] == "/login/set-up"
    actions = [e.action for e in db_session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    assert "account.second_factor_reset" in actions


def test_sign_out_is_a_post_only(client: FlaskClient, staff: StaffUser, clock: Clock) -> None:
    enrol(client, "sam.allocator@example.org")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert client.post("/logout", data={"csrf_token": token(client, "/staff")}).status_code == 303
    assert client.get("/staff").headers["Location"] == "/login"


def test_half_signed_in_is_not_signed_in(client: FlaskClient, staff: StaffUser) -> None:
    post_password(client, "sam.allocator@example.org")
    assert client.get("/staff").headers["Location"] == "/login"


def test_sign_ins_are_audited_without_personal_data(
    client: FlaskClient, db_session: Session, staff: StaffUser, clock: Clock
) -> None:
    post_password(client, "sam.allocator@example.org", "wrong password, wrong password")
    post_password(client, "nobody@example.org", "wrong password, wrong password")
    enrol(client, "sam.allocator@example.org")
    entries = db_session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [(e.action, e.actor) for e in entries] == [
        ("sign_in.failed", str(staff.id)),
        ("sign_in.failed", None),
        ("sign_in.enrolled", str(staff.id)),
    ]
    assert all(e.address == "127.0.0.1" for e in entries)
    assert not any("sam" in str(e.content()).lower() or "nobody" in str(e.content()) for e in entries)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short pass", "at least 12 characters"),
        ("password1234", "too common"),
        ("iloveyou1234", "too common"),
        ("x" * 129, "128 characters or fewer"),
        ("sam.allocator-is-me-42", "must not contain your email"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password: str, message: str) -> None:
    found = passwords.problem_with(password, "sam.allocator@example.org")
    assert found and message in found


def test_a_long_unusual_password_of_any_characters_is_fine() -> None:
    assert passwords.problem_with("correct horse battery staple ✓", "sam@example.org") is None


def test_an_old_hash_is_upgraded_at_sign_in(
    client: FlaskClient, db_session: Session, staff: StaffUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    from argon2 import PasswordHasher

    staff.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(TEST_PASSWORD)
    db_session.commit()
    post_password(client, "sam.allocator@example.org")
    db_session.refresh(staff)
    assert not passwords.needs_rehash(staff.password_hash)
    assert passwords.check_password(staff.password_hash, TEST_PASSWORD)


def test_create_user_makes_an_account_and_refuses_bad_ones(app: Flask, db_session: Session) -> None:
    provider = factories.provider(db_session, slug="harbour")
    db_session.commit()
    runner = app.test_cli_runner()
    args = ["create-user", "--email", "kit@example.org", "--name", "Kit Worker", "--role", "provider_staff"]
    made = runner.invoke(
        args=[*args, "--provider", "harbour"], input="purple walrus umbrella 9\npurple walrus umbrella 9\n"
    )
    assert made.exit_code == 0, made.output
    user = services.find_by_email(db_session, "KIT@example.org ")
    assert user is not None and user.role is Role.PROVIDER_STAFF and user.provider_id == provider.id
    assert "purple" not in made.output
    again = runner.invoke(
        args=[*args, "--provider", "harbour"], input="purple walrus umbrella 9\npurple walrus umbrella 9\n"
    )
    assert again.exit_code != 0 and "already an account" in again.output
    no_provider = runner.invoke(
        args=[*args[:-1], "provider_staff"], input="purple walrus umbrella 9\npurple walrus umbrella 9\n"
    )
    assert no_provider.exit_code != 0 and "need a provider" in no_provider.output
    weak = runner.invoke(
        args=["create-user", "--email", "a@example.org", "--name", "A", "--role", "admin"],
        input="password1234\npassword1234\n",
    )
    assert weak.exit_code != 0 and "too common" in weak.output


def signed_in_admin(app: Flask, db_session: Session) -> FlaskClient:
    client, _ = signed_in(app, db_session, Role.ADMIN)
    return client


def test_an_admin_adds_an_account_and_mistakes_are_explained(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    factories.provider(db_session, slug="harbour", name="Harbour")
    admin = signed_in_admin(app, db_session)
    form = {
        "csrf_token": token(admin, "/admin/users/new"),
        "display_name": "Robin Worker",
        "email": "robin.w@example.org",
    }
    weak = admin.post("/admin/users/new", data={**form, "role": "allocator", "password": "password1234"})
    assert "too common" in problem(weak) and 'value="Robin Worker"' in weak.get_data(as_text=True)
    made = admin.post(
        "/admin/users/new", data={**form, "role": "allocator", "password": "river stone lantern 5"}
    )
    robin = services.find_by_email(db_session, "robin.w@example.org")
    assert robin is not None and made.headers["Location"] == f"/admin/users/{robin.id}"
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert "Robin Worker" in listing and "robin.w@example.org" in listing and "Not set up yet" in listing
    actions = [e.action for e in db_session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    assert "account.created" in actions


def test_changing_your_password_signs_you_out_everywhere(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    admin = signed_in_admin(app, db_session)
    other_device = app.test_client()
    other_device.set_cookie("hub", admin.get_cookie("hub").value)  # type: ignore[union-attr]
    assert other_device.get("/staff").status_code == 200
    changed = admin.post(
        "/account/password",
        data={
            "csrf_token": token(admin, "/account/password"),
            "current": TEST_PASSWORD,
            "new": "lantern river stone 8",
        },
    )
    assert changed.headers["Location"] == "/login"
    assert other_device.get("/staff").headers["Location"] == "/login"
    assert admin.get("/staff").headers["Location"] == "/login"
