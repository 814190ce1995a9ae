"""A person's request to erase a referral, answered by a data-protection officer with its legal basis:
erased now (by the one eraser, ``hub.privacy.erasure``), or refused because an exemption applies.

The decision, its basis and any exemption are sealed; each decision is audited (``erasure.granted``,
``erasure.refused``), and erasing writes one ``retention.erased`` entry per record erased.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.audit import Actor
from hub.db import committed
from hub.privacy.erasure import OnLegalHold as OnLegalHold
from hub.privacy.erasure import StillOpen as StillOpen
from hub.privacy.erasure import erase_referral, is_held
from hub.privacy.models import ErasureDecision
from hub.referrals.models import Referral

BASIS_MAX = 2000
BECAUSE = "Erased on request"

EXEMPTIONS = {
    "legal_claims": "Needed to make, use or defend legal claims (UK GDPR Article 17(3)(e))",
    "legal_obligation": (
        "Needed to meet a legal obligation, or for a task in the public interest (Article 17(3)(b))"
    ),
    "public_health": "Needed for public health (Article 17(3)(c))",
    "archiving": "Needed for archiving in the public interest, research or statistics (Article 17(3)(d))",
}


class DecisionError(Exception):
    """Why a decision could not be recorded, as a sentence without a full stop; nothing changed."""


def _basis(basis: str) -> str:
    basis = (basis or "").strip()
    if not basis:
        raise DecisionError("Give the legal basis for the decision")
    if len(basis) > BASIS_MAX:
        raise DecisionError(f"The legal basis must be {BASIS_MAX:,} characters or fewer")
    return basis


def _decision(referral: Referral, actor: Actor, *, erased: bool, basis: str) -> ErasureDecision:
    decision = ErasureDecision(
        referral_id=referral.id, erased=erased, decided_by=uuid.UUID(actor.id) if actor.id else None
    )
    decision.basis = basis
    return decision


def erase_on_request(db: Session, referral: Referral, basis: str, actor: Actor) -> int:
    """Record the decision to erase and erase now, in one transaction; how many records were erased.
    Raises OnLegalHold (nothing recorded) while the referral is held, and StillOpen (nothing recorded)
    while it is not yet closed."""
    basis = _basis(basis)
    with committed(db):
        if is_held(db, referral.id):
            raise OnLegalHold()
        db.add(_decision(referral, actor, erased=True, basis=basis))
        audit.record_as(db, actor, "erasure.granted", "referral", referral.id)
        return erase_referral(db, referral, actor, because=BECAUSE)


def refuse(db: Session, referral: Referral, exemption: str, basis: str, actor: Actor) -> None:
    """Record that the request is refused because ``exemption`` (an ``EXEMPTIONS`` key) applies."""
    basis = _basis(basis)
    if exemption not in EXEMPTIONS:
        raise DecisionError("Choose the exemption that applies")
    with committed(db):
        decision = _decision(referral, actor, erased=False, basis=basis)
        decision.exemption = exemption
        db.add(decision)
        audit.record_as(db, actor, "erasure.refused", "referral", referral.id)


def decisions(db: Session, referral_id: uuid.UUID) -> list[ErasureDecision]:
    query = select(ErasureDecision).where(ErasureDecision.referral_id == referral_id)
    return list(db.scalars(query.order_by(ErasureDecision.decided_at)))
