"""Legal holds: a data-protection officer stops a referral from being erased, with a reason, until the
hold is lifted with a reason. Both reasons are sealed; each change is audited. A referral has at most
one hold in force; lifted holds are kept as the record that it was held."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.audit import Actor
from hub.db import committed, utcnow
from hub.privacy.models import LegalHold
from hub.referrals.models import Referral
from hub.referrals.references import normalise_reference

REASON_MAX = 1000


class HoldError(Exception):
    """Why a hold could not be set or lifted, as a sentence without a full stop; nothing changed."""


def by_reference(db: Session, reference: str) -> Referral | None:
    """The referral with this reference, typed any way a person types it; None if there is none."""
    wanted = normalise_reference(reference or "")
    if not wanted:
        return None
    return db.scalars(select(Referral).where(Referral.reference == wanted)).first()


def in_force(db: Session, referral_id: uuid.UUID) -> LegalHold | None:
    query = select(LegalHold).where(LegalHold.referral_id == referral_id, LegalHold.lifted_at.is_(None))
    return db.scalars(query).first()


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise HoldError("Say why")
    if len(reason) > REASON_MAX:
        raise HoldError(f"The reason must be {REASON_MAX:,} characters or fewer")
    return reason


def _locked(db: Session, referral_id: uuid.UUID) -> Referral:
    found = db.get(Referral, referral_id, with_for_update=True)
    if found is None:
        raise HoldError("There is no referral with that reference")
    return found


def set_hold(db: Session, reference: str, reason: str, actor: Actor) -> Referral:
    """Hold the referral with this reference; refused when there is none, or it is held already."""
    found = by_reference(db, reference)
    if found is None:
        raise HoldError("There is no referral with that reference. Check it and try again")
    reason = _reason(reason)
    with committed(db):
        referral = _locked(db, found.id)
        if in_force(db, referral.id) is not None:
            raise HoldError(f"{referral.reference} is already under a legal hold")
        hold = LegalHold(referral_id=referral.id, set_by=_account(actor))
        hold.reason = reason
        db.add(hold)
        audit.record_as(db, actor, "legal_hold.set", "referral", referral.id)
    return referral


def lift(db: Session, hold_id: uuid.UUID, reason: str, actor: Actor) -> Referral:
    """Lift a hold in force; the referral may then be erased when it is due."""
    reason = _reason(reason)
    with committed(db):
        hold = db.get(LegalHold, hold_id, with_for_update=True)
        if hold is None or hold.lifted_at is not None:
            raise HoldError("That hold has been lifted already")
        referral = _locked(db, hold.referral_id)
        hold.lifted_at, hold.lifted_by = utcnow(), _account(actor)
        hold.lift_reason = reason
        audit.record_as(db, actor, "legal_hold.lifted", "referral", referral.id)
    return referral


def _account(actor: Actor) -> uuid.UUID | None:
    return uuid.UUID(actor.id) if actor.id else None


@dataclass(frozen=True)
class Held:
    """One hold in force, as the list shows it: no reason (that is on the hold's own page)."""

    hold_id: uuid.UUID
    referral_id: uuid.UUID
    reference: str
    set_at: datetime
    erased: bool


def holds_in_force(db: Session) -> list[Held]:
    query = (
        select(LegalHold.id, Referral.id, Referral.reference, LegalHold.set_at, Referral.erased_at)
        .join(Referral, Referral.id == LegalHold.referral_id)
        .where(LegalHold.lifted_at.is_(None))
        .order_by(LegalHold.set_at.desc(), Referral.reference)
    )
    return [
        Held(hold, referral, reference, at, erased is not None)
        for hold, referral, reference, at, erased in db.execute(query)
    ]
