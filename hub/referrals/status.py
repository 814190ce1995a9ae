"""The status check for people outside: a reference with a secret code (or the referrer's work email).

The code is shown once and kept only as a keyed hash (HMAC-SHA256 under the key file's index key),
so a copy of the database alone cannot be used to test guesses. Every check does the same work
whether the reference exists or not, so a wrong reference and a wrong code look the same.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.codes import readable_code
from hub.keyring import Keyring
from hub.normalise import normalise_email
from hub.referrals.models import Allocation, AllocationStatus, Referral, ReferralStatus
from hub.referrals.references import normalise_reference

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
    # Named only when the person chose this organisation themselves and it has their referral.
    organisation: str | None = None


WITH_A_PROVIDER = (
    ReferralStatus.ALLOCATED,
    ReferralStatus.ACCEPTED,
    ReferralStatus.IN_SUPPORT,
    ReferralStatus.CLOSED,
)


def new_status_code(keyring: Keyring) -> tuple[str, str]:
    """A new secret code such as ``7KQ4-M2XD-9PRT`` (54 bits), and the keyed hash to store instead."""
    code = readable_code(CODE_GROUPS, 4)
    return code, hash_code(keyring, code)


def hash_code(keyring: Keyring, code: str) -> str:
    return keyring.blind_index("status_code", "".join(c for c in code.upper() if c.isalnum()))


_DECOY = "0" * 64


def check_status(db: Session, keyring: Keyring, reference: str, proof: str) -> StatusAnswer | None:
    """The stage of the referral if ``proof`` is its secret code or its referrer's work email."""
    referral = db.scalar(select(Referral).where(Referral.reference == normalise_reference(reference)))
    proof = proof.strip()
    stored_code = referral.status_secret_hash if referral and referral.status_secret_hash else _DECOY
    stored_email = referral.referrer_email_index if referral and referral.referrer_email_index else _DECOY
    # Both comparisons always run, so every answer takes the same work.
    code_ok = hmac.compare_digest(hash_code(keyring, proof), stored_code)
    email_ok = hmac.compare_digest(
        keyring.blind_index("referrer_email", normalise_email(proof)), stored_email
    )
    if referral is None or not (code_ok or email_ok):
        return None
    return StatusAnswer(
        STAGES[referral.status], referral.status_changed_at, _chosen_organisation(db, referral)
    )


def _chosen_organisation(db: Session, referral: Referral) -> str | None:
    """The provider's name, only if it is the one the person chose and the referral is with it."""
    if referral.preferred_provider_id is None or referral.status not in WITH_A_PROVIDER:
        return None
    current = db.scalar(
        select(Allocation)
        .where(
            Allocation.referral_id == referral.id,
            Allocation.status.in_([AllocationStatus.PENDING, AllocationStatus.ACCEPTED]),
        )
        .order_by(Allocation.created_at.desc())
        .limit(1)
    )
    if current is None or current.provider_id != referral.preferred_provider_id:
        return None
    return current.provider.name
