"""Staff accounts: creating them, signing in (password, then a second factor), and the rules.

Every failure to sign in looks the same from outside, whatever the cause. Wrong passwords and wrong
codes (at sign-in, at set-up, recovery codes, and an administrator's own code before a reset) all
count against the account; after ``MAX_FAILURES`` of them it is locked for ``LOCK_FOR``, and the lock
is checked before every password or code check. The lock is not revealed either. It is kept in the
database, so it holds across every web process and host.

A finished sign-in opens a ``StaffSession`` row; the cookie holds its token. Signing out ends the
row, so a copy of the cookie is worthless afterwards.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from sqlalchemy import and_, delete, func, not_, or_, select, update
from sqlalchemy.orm import Session

from hub import audit, calendar
from hub.audit import Actor
from hub.auth import passwords, totp
from hub.auth.models import RecoveryCode, Role, StaffSession, StaffUser
from hub.codes import readable_code
from hub.db import committed, utcnow
from hub.keyring import current_keyring
from hub.normalise import normalise_email

T = TypeVar("T")

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
PENDING_FOR = timedelta(minutes=5)
RECOVERY_CODES = 10
SESSION_ROWS_KEPT_FOR = timedelta(days=2)  # longer than any session can last
TEMPORARY_PASSWORD_GROUPS = 4  # 4 groups of 4 from a 31-letter alphabet: about 79 bits
CHOSEN_BY_SOMEONE_ELSE_FOR = timedelta(hours=72)
"""How long a password an administrator or operator chose for someone works, if it is never used."""


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
    must_change_password: bool = False,
) -> StaffUser:
    """A new account. ``must_change_password`` when someone else chose the password for the person."""
    _check_provider(role, provider_id)
    problem = passwords.problem_with(password, email)
    if problem:
        raise AccountError(problem)
    with committed(db):
        if find_by_email(db, email) is not None:
            raise AccountError("There is already an account with that email address")
        user = StaffUser(
            email_index=email_index(email),
            role=role,
            provider_id=provider_id,
            password_hash=passwords.hash_password(password),
            must_change_password=must_change_password,
            password_expires_at=utcnow() + CHOSEN_BY_SOMEONE_ELSE_FOR if must_change_password else None,
        )
        user.email = email.strip()
        user.display_name = display_name.strip()
        db.add(user)
        db.flush()
        _account_changed(db, "account.created", user, actor)
    return user


def check_password(db: Session, email: str, password: str, address: str | None) -> StaffUser:
    """The first step of signing in. Raises SignInFailed for every cause, once the failure is saved."""
    return _kept_then_refused(db, lambda: _password_right(db, email, password, address), SignInFailed)


def _password_right(db: Session, email: str, password: str, address: str | None) -> StaffUser | None:
    """The account, if the password is right for it now; else the failure is counted and audited."""
    user = find_by_email(db, email)
    if user is not None:
        _hold(db, user)
    now = utcnow()
    locked = user is not None and user.locked_until is not None and user.locked_until > now
    right = passwords.check_password(user.password_hash if user else None, password)
    if user is not None and user.password_expires_at is not None and user.password_expires_at <= now:
        right = False  # a password someone else chose, never used in time: the same answer as a wrong one
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
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def pending_secret(db: Session, user: StaffUser) -> str:
    """The authenticator secret being set up (kept sealed on the account, not in the browser)."""
    if user.enrolled:
        raise AccountError("This account already has a second factor; an administrator can reset it")
    if not user.totp_secret:
        with committed(db):
            user.totp_secret = totp.new_secret()
    return user.totp_secret or ""


def confirm_enrolment(db: Session, user: StaffUser, code: str, address: str | None) -> tuple[list[str], str]:
    """Finish setting up once a code from the new secret is right.

    Returns the recovery codes (shown once) and the token of the new session.
    """
    return _kept_then_refused(db, lambda: _enrolled(db, user, code, address), CodeRefused)


def _enrolled(db: Session, user: StaffUser, code: str, address: str | None) -> tuple[list[str], str] | None:
    _hold(db, user)
    if user.enrolled or not user.totp_secret or user.disabled or _locked(user):
        _refuse_code(db, user, address)
        return None
    step = totp.accepted_step(user.totp_secret, code, None)
    if step is None:
        _refuse_code(db, user, address)
        return None
    user.totp_last_step = step
    codes = _new_recovery_codes(db, user)
    return codes, _signed_in(db, user, "sign_in.enrolled", address)


def check_second_factor(db: Session, user: StaffUser, code: str, address: str | None) -> str:
    """The second step: a fresh authenticator code, or an unused recovery code.

    Returns the token of the new session. The lock is checked first: while the account is locked,
    even the right code is refused, with the same message as a wrong one.
    """
    return _kept_then_refused(db, lambda: _second_factor_right(db, user, code, address), CodeRefused)


def _second_factor_right(db: Session, user: StaffUser, code: str, address: str | None) -> str | None:
    _hold(db, user)
    if user.disabled or not user.enrolled or _locked(user):
        _refuse_code(db, user, address)
        return None
    step = totp.accepted_step(user.totp_secret or "", code, user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        return _signed_in(db, user, "sign_in.succeeded", address)
    recovery = _unused_recovery_code(db, user, code)
    if recovery is not None:
        recovery.used_at = utcnow()
        return _signed_in(db, user, "sign_in.recovery_code_used", address)
    _refuse_code(db, user, address)
    return None


def _kept_then_refused(db: Session, attempt: Callable[[], T | None], refusal: type[AccountError]) -> T:
    """Save what ``attempt`` did, a refused try too (counted and audited), then refuse if it gave None."""
    with committed(db):
        outcome = attempt()
    if outcome is None:
        raise refusal
    return outcome


def _hold(db: Session, user: StaffUser) -> None:
    """Read the account afresh and hold its row until commit, so parallel guesses are counted one by one."""
    db.refresh(user, with_for_update=True)


def _locked(user: StaffUser) -> bool:
    return user.locked_until is not None and user.locked_until > utcnow()


def _refuse_code(db: Session, user: StaffUser, address: str | None) -> None:
    """Record a refused code (counted unless the account is already locked); the caller says so."""
    audit.record(db, "sign_in.failed", role=user.role.value, actor=str(user.id), address=address)
    if not _locked(user):
        _count_failure(user)


def _signed_in(db: Session, user: StaffUser, action: str, address: str | None) -> str:
    """Both factors were right: open a session and return its token (for the cookie only)."""
    now = utcnow()
    user.failed_sign_ins = 0
    user.last_sign_in_at = now
    if user.must_change_password:
        # The password someone else chose works for this one sign-in only.
        user.password_hash = passwords.hash_password(secrets.token_urlsafe(32))
    db.execute(
        delete(StaffSession).where(
            StaffSession.user_id == user.id,
            or_(StaffSession.ended_at.is_not(None), StaffSession.started_at < now - SESSION_ROWS_KEPT_FOR),
        )
    )
    token = secrets.token_urlsafe(32)
    db.add(StaffSession(id=_session_id(token), user_id=user.id, started_at=now))
    audit.record(db, action, role=user.role.value, actor=str(user.id), address=address)
    return token


def _session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_is_live(db: Session, user: StaffUser, token: str | None) -> bool:
    """True if this token belongs to a session of this account that has not ended."""
    if not token:
        return False
    found = db.get(StaffSession, _session_id(token))
    return found is not None and found.user_id == user.id and found.ended_at is None


def sign_out(db: Session, token: str | None) -> None:
    """End this one session on the server; a copy of its cookie no longer works."""
    if not token:
        return
    with committed(db):
        db.execute(
            update(StaffSession)
            .where(StaffSession.id == _session_id(token), StaffSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )


def sign_out_everywhere(db: Session, user: StaffUser, address: str | None) -> None:
    """End every session of the account, on every device."""
    with committed(db):
        _end_sessions(db, user)
        _account_changed(
            db,
            "account.signed_out_everywhere",
            user,
            Actor(id=str(user.id), role=user.role.value, address=address),
        )


def _end_sessions(db: Session, user: StaffUser) -> None:
    user.session_version += 1
    db.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def _code_hash(code: str) -> str:
    return current_keyring().blind_index("recovery_code", "".join(c for c in code.upper() if c.isalnum()))


def _new_recovery_codes(db: Session, user: StaffUser) -> list[str]:
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [readable_code(2, 5) for _ in range(RECOVERY_CODES)]
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


def change_password(db: Session, user: StaffUser, current: str | None, new: str, address: str | None) -> None:
    """Change one's own password. After a reset (or on a new account) the password someone else chose
    was used up by signing in, so the current password is not asked for then."""
    if not user.must_change_password and not passwords.check_password(user.password_hash, current or ""):
        raise AccountError("Your current password is not right")
    problem = passwords.problem_with(new, user.email or "")
    if problem:
        raise AccountError(problem)
    with committed(db):
        user.password_hash = passwords.hash_password(new)
        user.must_change_password = False
        user.password_expires_at = None
        _end_sessions(db, user)  # every session of this account ends, this one too
        changed_by = Actor(id=str(user.id), role=user.role.value, address=address)
        _account_changed(db, "account.password_changed", user, changed_by)


def set_disabled(db: Session, user: StaffUser, disabled: bool, actor: Actor) -> None:
    """Disable or enable an account; its sessions end either way.

    Nobody disables their own account, and the last administrator who can sign in is never disabled.
    """
    if disabled and actor.id == str(user.id):
        raise AccountError("You cannot disable your own account. Another administrator can do it for you")
    with committed(db):
        _hold(db, user)
        if disabled and user.role is Role.ADMIN:
            _keep_an_administrator(db, user)
        user.disabled = disabled
        user.disabled_at = utcnow() if disabled else None
        _end_sessions(db, user)
        _account_changed(db, "account.disabled" if disabled else "account.enabled", user, actor)


def set_role(db: Session, user: StaffUser, role: Role, provider_id: int | None, actor: Actor) -> bool:
    """Change what an account may do; its sessions end, so the new role applies from the next sign-in.

    Returns False (and changes nothing) when the role and provider are what they were. Nobody removes
    their own administrator role, and the last administrator who can sign in keeps theirs.
    """
    _check_provider(role, provider_id)
    if actor.id == str(user.id) and role is not Role.ADMIN:
        raise AccountError(
            "You cannot remove your own administrator role. Another administrator can do it for you"
        )
    with committed(db):
        _hold(db, user)
        if (user.role, user.provider_id) == (role, provider_id):
            return False
        if user.role is Role.ADMIN and role is not Role.ADMIN:
            _keep_an_administrator(db, user)
        user.role, user.provider_id = role, provider_id
        _end_sessions(db, user)
        _account_changed(db, "account.role_changed", user, actor)
        if role is not Role.ADMIN and user.data_protection:
            user.data_protection = False  # only an administrator can hold the duty
            _account_changed(db, "account.data_protection_taken", user, actor)
    return True


def set_data_protection(db: Session, user: StaffUser, holds: bool, actor: Actor) -> bool:
    """Give an administrator the data-protection duty, or take it away; another administrator does it.

    Returns False (and changes nothing) when the account already is as asked.
    """
    if actor.id == str(user.id):
        raise AccountError(
            "You cannot give or take your own data-protection duty. Another administrator can do it for you"
        )
    with committed(db):
        _hold(db, user)
        if holds and user.role is not Role.ADMIN:
            raise AccountError("Only an administrator can hold the data-protection duty")
        if user.data_protection == holds:
            return False
        user.data_protection = holds
        action = "account.data_protection_given" if holds else "account.data_protection_taken"
        _account_changed(db, action, user, actor)
    return True


def _keep_an_administrator(db: Session, user: StaffUser) -> None:
    """Refuse a change that would leave no administrator able to sign in.

    The active administrators' rows are held until commit, so two administrators removing each other
    at the same moment cannot both succeed.
    """
    query = select(StaffUser.id).where(StaffUser.role == Role.ADMIN, StaffUser.disabled.is_(False))
    if not any(found != user.id for found in db.scalars(query.with_for_update())):
        raise AccountError(
            "This is the only administrator account that can sign in. "
            "Make someone else an administrator first"
        )


def inactive_accounts(db: Session, today: date, days: int, keep: uuid.UUID) -> list[StaffUser]:
    """Accounts that can sign in but have not for ``days`` days (counted from creation if never), oldest
    first; ``keep`` (the administrator asking) is never among them."""
    query = select(StaffUser).where(StaffUser.disabled.is_(False)).order_by(StaffUser.created_at)
    return [user for user in db.scalars(query) if user.id != keep and _inactive(user, today, days)]


def _inactive(user: StaffUser, today: date, days: int) -> bool:
    last = user.last_sign_in_at or user.created_at
    return calendar.day_of(last) <= today - timedelta(days=days)


def disable_inactive(
    db: Session, user_ids: Sequence[str], actor: Actor, today: date, days: int
) -> tuple[int, int]:
    """Disable the accounts an administrator was shown as inactive, each checked again now.

    An account that signed in (or was disabled, or became the last administrator) since the list was
    shown is left as it is. Returns (disabled, left as they were); each one disabled is audited.
    """
    disabled = left = 0
    with committed(db):
        for user_id in dict.fromkeys(user_ids):
            user = load_user(db, user_id)
            if user is None:
                continue
            _hold(db, user)
            if not _still_inactive(db, user, actor, today, days):
                left += 1
                continue
            user.disabled = True
            user.disabled_at = utcnow()
            _end_sessions(db, user)
            _account_changed(db, "account.disabled_inactive", user, actor)
            disabled += 1
    return disabled, left


def _still_inactive(db: Session, user: StaffUser, actor: Actor, today: date, days: int) -> bool:
    if user.disabled or str(user.id) == actor.id or not _inactive(user, today, days):
        return False
    if user.role is Role.ADMIN:
        try:
            _keep_an_administrator(db, user)
        except AccountError:
            return False
    return True


def reset_second_factor(db: Session, user: StaffUser, actor: Actor) -> None:
    """An administrator's action: the person enrols a new authenticator at their next sign-in."""
    with committed(db):
        user.totp_secret = None
        user.totp_last_step = None
        _end_sessions(db, user)
        db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        _account_changed(db, "account.second_factor_reset", user, actor)


def reset_password(db: Session, user: StaffUser, actor: Actor) -> str:
    """Give the account a temporary password, returned to be shown once and never stored in clear.

    It works for one sign-in within ``CHOSEN_BY_SOMEONE_ELSE_FOR``, after which the person must
    choose their own; every session of the account ends now.
    """
    temporary = readable_code(TEMPORARY_PASSWORD_GROUPS, 4)
    with committed(db):
        user.password_hash = passwords.hash_password(temporary)
        user.must_change_password = True
        user.password_expires_at = utcnow() + CHOSEN_BY_SOMEONE_ELSE_FOR
        _end_sessions(db, user)
        _account_changed(db, "account.password_reset", user, actor)
    return temporary


def reset_password_confirmed(
    db: Session, user: StaffUser, admin: StaffUser, code: str, address: str | None
) -> str:
    """An administrator's reset, once their own fresh authenticator code is right.

    A wrong code counts against the administrator's account and is audited like a wrong code at
    sign-in, and changes nothing else.
    """
    if user.id == admin.id:
        raise AccountError("Change your own password from your account page instead")
    return _kept_then_refused(db, lambda: _reset_if_code_right(db, user, admin, code, address), CodeRefused)


def _reset_if_code_right(
    db: Session, user: StaffUser, admin: StaffUser, code: str, address: str | None
) -> str | None:
    _hold(db, admin)
    step = None
    if not _locked(admin) and admin.enrolled:
        step = totp.accepted_step(admin.totp_secret or "", code, admin.totp_last_step)
    if step is None:
        _refuse_code(db, admin, address)
        return None
    admin.totp_last_step = step
    return reset_password(db, user, Actor(id=str(admin.id), role=admin.role.value, address=address))


def _account_changed(db: Session, action: str, user: StaffUser, actor: Actor) -> None:
    """Audit a change to an account, in the transaction that makes the change."""
    audit.record_as(db, actor, action, "staff_user", user.id)


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
    except (ValueError, TypeError):
        return None


@dataclass(frozen=True)
class AccountCounts:
    """What an administrator may need to act on: accounts locked now, and temporary passwords not yet
    replaced by their owners' own (still usable, or past their time)."""

    locked: int
    temporary_waiting: int
    temporary_expired: int


def account_counts(db: Session) -> AccountCounts:
    now = utcnow()
    live = StaffUser.disabled.is_(False)
    temporary = and_(live, StaffUser.must_change_password.is_(True))
    expired = and_(StaffUser.password_expires_at.is_not(None), StaffUser.password_expires_at <= now)
    locked, waiting, past = db.execute(
        select(
            func.count().filter(live, StaffUser.locked_until > now),
            func.count().filter(temporary, not_(expired)),
            func.count().filter(temporary, expired),
        ).select_from(StaffUser)
    ).one()
    return AccountCounts(locked, waiting, past)
