"""The status check for people outside: a reference with a secret code (or the referrer's work email).

The code is shown once and kept only as a scrypt hash. Every check does the same work whether the
reference exists or not, so a wrong reference and a wrong code look the same, in the same time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.crypto import Keyring, normalise_email
from hub.referrals.models import Referral, ReferralStatus
from hub.referrals.references import ALPHABET, normalise_reference

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
CODE_GROUPS = 3

STAGES = {
    ReferralStatus.SUBMITTED: "Received",
    ReferralStatus.INFO_REQUESTED: "With the triage team",
    ReferralStatus.DECLINED_BY_PROVIDER: "With the triage team",
    ReferralStatus.ALLOCATED: "With a support organisation",
    ReferralStatus.ACCEPTED: "With a support organisation",
    ReferralStatus.IN_SUPPORT: "Support has started",
    ReferralStatus.CLOSED: "Closed",
    ReferralStatus.SIGNPOSTED: "Closed",
    ReferralStatus.WITHDRAWN: "Closed",
}


@dataclass(frozen=True)
class StatusAnswer:
    stage: str
    since: datetime


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def new_status_code() -> tuple[str, str]:
    """A new secret code such as ``7KQ4-M2XD-9PRT``, and the hash to store instead of it."""
    code = "-".join("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(CODE_GROUPS))
    return code, hash_code(code)


def _normalise_code(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def hash_code(code: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(_normalise_code(code).encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${_b64(salt)}${_b64(digest)}"


def code_matches(code: str, stored: str) -> bool:
    try:
        _, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            _normalise_code(code).encode(), salt=base64.b64decode(salt), n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


_DECOY = hash_code("decoy-code-never-issued")


def check_status(db: Session, keyring: Keyring, reference: str, proof: str) -> StatusAnswer | None:
    """The stage of the referral if ``proof`` is its secret code or its referrer's work email."""
    referral = db.scalar(select(Referral).where(Referral.reference == normalise_reference(reference)))
    proof = proof.strip()
    code_ok = code_matches(
        proof, referral.status_secret_hash if referral and referral.status_secret_hash else _DECOY
    )
    email_ok = False
    if referral is not None and referral.referrer_email_index and "@" in proof:
        candidate = keyring.blind_index("referrer_email", normalise_email(proof))
        email_ok = hmac.compare_digest(candidate, referral.referrer_email_index)
    if referral is None or not (code_ok or email_ok):
        return None
    return StatusAnswer(STAGES[referral.status], referral.status_changed_at)
