"""Staff accounts: creating them, signing in (password, then a second factor), and the rules.

Every failure to sign in looks the same from outside, whatever the cause. After
``MAX_FAILURES`` wrong tries an account is locked for ``LOCK_FOR``; the lock is not revealed either.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hub import audit
from hub.audit import Actor
from hub.auth import passwords, totp
from hub.auth.models import RecoveryCode, Role, StaffUser
from hub.crypto import current_keyring, normalise_email
from hub.db import utcnow
from hub.referrals.references import ALPHABET

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
PENDING_FOR = timedelta(minutes=5)
RECOVERY_CODES = 10


class AccountError(Exception):
    """Something about an account cannot be done; the message can be shown to the person."""


class SignInFailed(AccountError):
    """One message for every cause, so nobody learns whether an account exists or is locked."""

    def __init__(self) -> None:
        super().__init__("Enter a correct email address and password")


class CodeRefused(AccountError):
    def __init__(self) -> None:
        super().__init__("Enter a correct security code")


def email_index(email: str) -> str:
    return current_keyring().blind_index("staff_email", normalise_email(email))


def find_by_email(db: Session, email: str) -> StaffUser | None:
    return db.scalar(select(StaffUser).where(StaffUser.email_index == email_index(email)))


def create_user(
    db: Session,
    *,
    email: str,
    display_name: str,
    role: Role,
    password: str,
    provider_id: int | None = None,
    actor: Actor,
) -> StaffUser:
    _check_provider(role, provider_id)
    problem = passwords.problem_with(password, email)
    if problem:
        raise AccountError(problem)
    if find_by_email(db, email) is not None:
        raise AccountError("There is already an account with that email address")
    user = StaffUser(
        email_index=email_index(email),
        role=role,
        provider_id=provider_id,
        password_hash=passwords.hash_password(password),
    )
    user.email = email.strip()
    user.display_name = display_name.strip()
    db.add(user)
    db.flush()
    _account_changed(db, "account.created", user, actor)
    return user


def check_password(db: Session, email: str, password: str, address: str | None) -> StaffUser:
    """The first step of signing in. Raises SignInFailed for every cause."""
    user = find_by_email(db, email)
    now = utcnow()
    locked = user is not None and user.locked_until is not None and user.locked_until > now
    right = passwords.check_password(user.password_hash if user else None, password)
    if user is None or locked or user.disabled or not right:
        if user is not None and not locked:
            _count_failure(user)
        audit.record(
            db,
            "sign_in.failed",
            role=user.role.value if user else "unknown",
            actor=str(user.id) if user else None,
            address=address,
        )
        db.commit()
        raise SignInFailed
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    db.commit()
    return user


def pending_secret(db: Session, user: StaffUser) -> str:
    """The authenticator secret being set up (kept sealed on the account, not in the browser)."""
    if user.enrolled:
        raise AccountError("This account already has a second factor; an administrator can reset it")
    if not user.totp_secret:
        user.totp_secret = totp.new_secret()
        db.commit()
    return user.totp_secret or ""


def confirm_enrolment(db: Session, user: StaffUser, code: str, address: str | None) -> list[str]:
    """Finish setting up once a code from the new secret is right; returns recovery codes (shown once)."""
    if user.enrolled or not user.totp_secret:
        raise CodeRefused
    step = totp.accepted_step(user.totp_secret, code, None)
    if step is None:
        raise CodeRefused
    user.totp_last_step = step
    codes = _new_recovery_codes(db, user)
    _signed_in(db, user, "sign_in.enrolled", address)
    return codes


def check_second_factor(db: Session, user: StaffUser, code: str, address: str | None) -> None:
    """The second step: a fresh authenticator code, or an unused recovery code."""
    if user.disabled or not user.enrolled:
        raise CodeRefused
    step = totp.accepted_step(user.totp_secret or "", code, user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        _signed_in(db, user, "sign_in.succeeded", address)
        return
    recovery = _unused_recovery_code(db, user, code)
    if recovery is not None:
        recovery.used_at = utcnow()
        _signed_in(db, user, "sign_in.recovery_code_used", address)
        return
    audit.record(db, "sign_in.failed", role=user.role.value, actor=str(user.id), address=address)
    _count_failure(user)
    db.commit()
    raise CodeRefused


def _signed_in(db: Session, user: StaffUser, action: str, address: str | None) -> None:
    user.failed_sign_ins = 0
    user.last_sign_in_at = utcnow()
    audit.record(db, action, role=user.role.value, actor=str(user.id), address=address)
    db.commit()


def _code_hash(code: str) -> str:
    return current_keyring().blind_index("recovery_code", "".join(c for c in code.upper() if c.isalnum()))


def _new_recovery_codes(db: Session, user: StaffUser) -> list[str]:
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "-".join("".join(secrets.choice(ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODES)
    ]
    db.add_all(RecoveryCode(user_id=user.id, code_hash=_code_hash(code)) for code in codes)
    return codes


def _unused_recovery_code(db: Session, user: StaffUser, code: str) -> RecoveryCode | None:
    return db.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
    )


def change_password(db: Session, user: StaffUser, current: str, new: str, address: str | None) -> None:
    if not passwords.check_password(user.password_hash, current):
        raise AccountError("Your current password is not right")
    problem = passwords.problem_with(new, user.email or "")
    if problem:
        raise AccountError(problem)
    user.password_hash = passwords.hash_password(new)
    user.session_version += 1  # every other session of this account ends
    _account_changed(
        db, "account.password_changed", user, Actor(id=str(user.id), role=user.role.value, address=address)
    )


def set_disabled(db: Session, user: StaffUser, disabled: bool, actor: Actor) -> None:
    user.disabled = disabled
    user.session_version += 1
    _account_changed(db, "account.disabled" if disabled else "account.enabled", user, actor)


def set_role(db: Session, user: StaffUser, role: Role, provider_id: int | None, actor: Actor) -> None:
    """Change what an account may do; its sessions end, so the new role applies from the next sign-in."""
    _check_provider(role, provider_id)
    user.role, user.provider_id = role, provider_id
    user.session_version += 1
    _account_changed(db, "account.role_changed", user, actor)


def reset_second_factor(db: Session, user: StaffUser, actor: Actor) -> None:
    """An administrator's action: the person enrols a new authenticator at their next sign-in."""
    user.totp_secret = None
    user.totp_last_step = None
    user.session_version += 1
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    _account_changed(db, "account.second_factor_reset", user, actor)


def _account_changed(db: Session, action: str, user: StaffUser, actor: Actor) -> None:
    """Audit a change to an account and commit it with the change."""
    audit.record_as(db, actor, action, "staff_user", user.id)
    db.commit()


def _check_provider(role: Role, provider_id: int | None) -> None:
    if (role is Role.PROVIDER_STAFF) != (provider_id is not None):
        raise AccountError("Provider staff need a provider, and only provider staff have one")


def _count_failure(user: StaffUser) -> None:
    """One more wrong try; at MAX_FAILURES the account locks for LOCK_FOR."""
    user.failed_sign_ins += 1
    if user.failed_sign_ins >= MAX_FAILURES:
        user.locked_until = utcnow() + LOCK_FOR
        user.failed_sign_ins = 0


def pending_user(db: Session, user_id: str | None, password_checked_at: str | None) -> StaffUser | None:
    """The account half-way through signing in, if its password was right less than PENDING_FOR ago."""
    try:
        started = datetime.fromisoformat(password_checked_at or "")
    except ValueError:
        return None
    user = load_user(db, user_id or "")
    if user is None or user.disabled or utcnow() - started > PENDING_FOR:
        return None
    return user


def staff_addresses(db: Session, role: Role, provider_id: int | None = None) -> list[str]:
    """Addresses of the active accounts with this role (and provider), for notices with no personal data."""
    query = select(StaffUser).where(StaffUser.role == role, StaffUser.disabled.is_(False))
    if provider_id is not None:
        query = query.where(StaffUser.provider_id == provider_id)
    return [account.email for account in db.scalars(query) if account.email]


def notice_addresses(
    db: Session, mailbox: str | None, role: Role, provider_id: int | None = None
) -> list[str]:
    """Where a notice goes: the team's shared mailbox if it has one, else each of its active accounts."""
    return [mailbox] if mailbox else staff_addresses(db, role, provider_id)


def load_user(db: Session, user_id: str) -> StaffUser | None:
    try:
        return db.get(StaffUser, uuid.UUID(user_id))
    except ValueError:
        return None
