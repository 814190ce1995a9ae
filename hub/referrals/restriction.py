"""Restricting a referral (the right to restriction): its provider then sees the reference only.

A data-protection officer restricts a referral, or lifts the restriction, always with the legal basis
for the decision. Each is one transaction: it locks the referral, refuses a missing basis or a change
already made, writes ``Referral.restricted_at`` (with who, and the basis sealed), and a timeline event
(``restricted`` or ``restriction_lifted``, which never moves the status) whose sealed note is the
basis; the event audits itself. While a referral is restricted, :func:`hides_details` is true: every
provider page shows its reference, status and dates and nothing the person told us, and a provider
cannot record a first contact (they cannot see how it is safe to make one). The triage team still
sees everything, with a notice. Emails to providers hold no personal data in any case.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.audit import Actor
from hub.auth.models import StaffUser
from hub.db import committed, utcnow
from hub.referrals import timeline
from hub.referrals.models import EventKind, Referral
from hub.referrals.references import normalise_reference

FOR_PROVIDERS = (
    "The person's details are restricted. You can see the reference, the status and the dates only. "
    "If you need to know more, contact the Trauma and Resilience Service (TRS)."
)
PROVIDER_CANNOT = {
    "first-contact": "You cannot record a first contact while the person's details are restricted, because "
    "you cannot see how it is safe to contact them. Contact the Trauma and Resilience Service (TRS).",
    "measures": "You cannot see or record sessions and outcome measures while the person's details are "
    "restricted. Contact the Trauma and Resilience Service (TRS).",
    "outcome-measure": "You cannot see or record outcome measures while the person's details are restricted. "
    "Contact the Trauma and Resilience Service (TRS).",
    "feedback": "You cannot give a feedback code while the person's details are restricted, because you "
    "cannot see how it is safe to contact them. Contact the Trauma and Resilience Service (TRS).",
}
"""What a provider cannot do on a restricted case, and why (the case page and the services say it)."""


class RestrictionRefused(Exception):
    """Nothing was changed; the message says why, for the data-protection officer."""


class BasisNeeded(RestrictionRefused):
    pass


def hides_details(referral: Referral) -> bool:
    """Whether providers may see only the reference, status and dates of this referral."""
    return referral.restricted_at is not None


def without_notes(entries: list[timeline.Entry]) -> list[timeline.Entry]:
    """A restricted case's timeline for its provider: what happened, who and when, without any note."""
    return [replace(entry, why=None, before=None) for entry in entries]


def restrict(db: Session, referral: Referral, actor: Actor, *, basis: str) -> Referral:
    """Restrict the referral, giving the legal basis (see the module's description)."""
    basis = basis.strip()
    with committed(db):
        locked = _locked(db, referral)
        if not basis:
            raise BasisNeeded("Give the legal basis for restricting this referral")
        if locked.restricted_at is not None:
            raise RestrictionRefused(f"{locked.reference} is already restricted.")
        locked.restricted_at = utcnow()
        locked.restricted_by = uuid.UUID(actor.id) if actor.id else None
        locked.restriction_basis = basis
        timeline.record(db, locked, EventKind.RESTRICTED, actor, note=basis)
    return locked


def lift(db: Session, referral: Referral, actor: Actor, *, basis: str) -> Referral:
    """Lift the referral's restriction, giving the legal basis: its provider sees the details again."""
    basis = basis.strip()
    with committed(db):
        locked = _locked(db, referral)
        if not basis:
            raise BasisNeeded("Give the legal basis for lifting the restriction")
        if locked.restricted_at is None:
            raise RestrictionRefused(f"{locked.reference} is not restricted.")
        locked.restricted_at = locked.restricted_by = None
        locked.restriction_basis = None
        timeline.record(db, locked, EventKind.RESTRICTION_LIFTED, actor, note=basis)
    return locked


def _locked(db: Session, referral: Referral) -> Referral:
    # Read again once locked (populate_existing), so the checks see the latest.
    query = select(Referral).where(Referral.id == referral.id).with_for_update()
    found = db.scalar(query.execution_options(populate_existing=True))
    if found is None:
        raise RestrictionRefused("That referral no longer exists.")
    return found


def find(db: Session, reference: str) -> Referral | None:
    """The referral with this reference, as people type it (any case, spaces, missing dashes)."""
    wanted = normalise_reference(reference)
    if not wanted:
        return None
    return db.scalar(select(Referral).where(Referral.reference == wanted))


@dataclass(frozen=True)
class Restricted:
    referral: Referral
    since: datetime
    by: str
    basis: str


def restricted(db: Session) -> list[Restricted]:
    """Every restricted referral, the longest restricted first, with who restricted it and why."""
    found = list(
        db.scalars(
            select(Referral)
            .where(Referral.restricted_at.is_not(None))
            .order_by(Referral.restricted_at, Referral.id)
        )
    )
    ids = {r.restricted_by for r in found if r.restricted_by is not None}
    names = {u.id: u.display_name or "" for u in db.scalars(select(StaffUser).where(StaffUser.id.in_(ids)))}
    return [
        Restricted(
            r,
            r.restricted_at or utcnow(),
            names.get(r.restricted_by, "") if r.restricted_by else "",
            r.restriction_basis or "",
        )
        for r in found
    ]
