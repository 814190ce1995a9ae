"""Passwords: Argon2id (argon2-cffi's RFC 9106 profile, above ASVS 5.0's minimum), and what is refused.

At least 12 characters and at most 128, any characters, no composition rules; refused if it is one
of the 30,000 most common passwords (the list that ships with zxcvbn) or contains the email's name.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH, MAX_LENGTH = 12, 128
HASHER = PasswordHasher()  # Argon2id, m=64 MiB, t=3, p=4
_DECOY = HASHER.hash("a password nobody has, checked when there is no account")


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def problem_with(password: str, email: str = "") -> str | None:
    """Why this password cannot be used, in words for the person choosing it; None if it can."""
    if len(password) < MIN_LENGTH:
        return f"Your password must be at least {MIN_LENGTH} characters long"
    if len(password) > MAX_LENGTH:
        return f"Your password must be {MAX_LENGTH} characters or fewer"
    if password.lower() in _common() or password.lower().strip("0123456789!?. ") in _common():
        return "That password is too common. Choose one that is harder to guess, like three random words"
    name = email.split("@", 1)[0].lower()
    if len(name) >= 4 and name in password.lower():
        return "Your password must not contain your email address"
    return None


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def check_password(stored: str | None, password: str) -> bool:
    """True if it matches. Without an account, a decoy is checked, so both take the same time."""
    try:
        return HASHER.verify(stored or _DECOY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return HASHER.check_needs_rehash(stored)
