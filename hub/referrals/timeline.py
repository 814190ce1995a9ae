"""A referral's timeline: every change of its status is an event saying what, who, when, from, to and why.

:func:`record` is the one way a service changes a referral's status (or an offer's): it makes a move
of the table in ``hub.referrals.states``, refusing any the table does not allow, writes the event
and notes the change for the audit log, all in the caller's transaction. :func:`entries`
reads the timeline back for a staff page, newest first, with each member of staff's name; a
provider's staff see only their own part of it (docs/CASES.md, "What a provider sees").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import get_history

from hub import audit
from hub.audit import Actor
from hub.auth.models import StaffUser
from hub.db import utcnow
from hub.referrals import states
from hub.referrals.models import (
    CORRECTABLE,
    Allocation,
    AllocationStatus,
    EventKind,
    Referral,
    ReferralEvent,
)

ROLE_NAMES = {
    "allocator": "Trauma and Resilience Service",
    "provider_staff": "Provider",
    "admin": "Administrator",
    "operator": "Operator",
}


def record(
    db: Session,
    referral: Referral,
    kind: EventKind,
    actor: Actor,
    *,
    offer: Allocation | None = None,
    note: str | None = None,
) -> ReferralEvent:
    """Make one move of the table (``hub.referrals.states``): write its timeline event, move the referral
    (and ``offer``, the offer the move is made on, and the referral's other open offers) to where the
    table says, and audit it.

    Raises :class:`~hub.referrals.states.IllegalMove`, writing nothing, when the table does not allow
    the move for the actor's role from the referral's status now (and the offer's), or when a status was
    changed other than here.
    """
    move = _checked(referral, kind, actor, offer)
    event = ReferralEvent(
        referral_id=referral.id,
        kind=kind,
        occurred_at=utcnow(),
        actor_id=uuid.UUID(actor.id) if actor.id else None,
        actor_role=actor.role,
        provider_id=offer.provider_id if offer is not None else None,
        from_status=referral.status,
        to_status=move.to,
    )
    event.note = note or None
    if move.to is not None and move.to is not referral.status:
        referral.status = move.to
        referral.status_changed_at = event.occurred_at
    if offer is not None:
        _settle(offer, move.offer[offer.status], event.occurred_at)
    if move.open_offers:
        others = select(Allocation).where(
            Allocation.referral_id == referral.id, Allocation.status.in_(list(move.open_offers))
        )
        for other in db.scalars(others):
            _settle(other, move.open_offers[other.status], event.occurred_at)
    db.add(event)
    audit.record_as(db, actor, f"referral.{kind.value}", "referral", referral.id)
    return event


def _checked(referral: Referral, kind: EventKind, actor: Actor, offer: Allocation | None) -> states.Move:
    for changed in (referral, offer):
        if changed is not None and get_history(changed, "status").added:
            raise states.IllegalMove(f"A status was changed outside timeline.record before {kind}")
    move = states.check(kind, actor.role, referral.status, offer.status if offer is not None else None)
    if bool(move.offer) != (offer is not None):
        raise states.IllegalMove(f"{kind} is made on an offer" if move.offer else f"{kind} takes no offer")
    if offer is not None and offer.referral_id != referral.id:
        raise states.IllegalMove(f"{kind}: the offer is another referral's")
    return move


def _settle(offer: Allocation, after: AllocationStatus, when: datetime) -> None:
    """Move the offer as the table says; an offer is decided when it leaves "pending", or is made decided
    (a direct self-referral's offer is accepted as it is made)."""
    if offer.status in (None, AllocationStatus.PENDING) and after is not AllocationStatus.PENDING:
        offer.decided_at = when
    offer.status = after


TRIAGE_ONLY = frozenset({EventKind.DUPLICATE_SAME_PERSON, EventKind.DUPLICATE_NOT_SAME})
"""Events a provider never sees, even as a plain line: a duplicate check tells them the person was
referred more than once, which is about other referrals, not their case. (Consent recorded or
withdrawn stays: it is what lets them see the case, or closes it.)"""


@dataclass(frozen=True)
class Entry:
    what: str
    who: str
    when: datetime
    why: str | None = None
    before: str | None = None  # a correction's old answer, for the triage team only


def entries(db: Session, referral: Referral, *, for_provider: int | None = None) -> list[Entry]:
    """The timeline for staff, newest first, ending with the referral's arrival.

    For a provider's staff (``for_provider``), only what is theirs and what the triage team wrote
    for them: events by or about their own provider in full (with the triage team's reason for
    allocating to them); the triage team's own moves (no provider) as a plain line, without the
    note or the name of who made them (a correction says only that an answer was corrected; the triage
    team reads which answer and the answer before); another provider's events (an earlier offer, its decline,
    the note written for it, its staff) and the triage team's internal checks (:data:`TRIAGE_ONLY`)
    not at all.
    """
    query = select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
    if for_provider is not None:
        query = query.where(
            or_(ReferralEvent.provider_id == for_provider, ReferralEvent.provider_id.is_(None)),
            ReferralEvent.kind.not_in(TRIAGE_ONLY),
        )
    events = db.scalars(
        query.options(selectinload(ReferralEvent.provider)).order_by(ReferralEvent.occurred_at.desc())
    ).all()
    in_full = [e for e in events if for_provider is None or e.provider_id == for_provider]
    actor_ids = {e.actor_id for e in in_full if e.actor_id is not None}
    names = {
        user.id: user.display_name or ""
        for user in db.scalars(select(StaffUser).where(StaffUser.id.in_(actor_ids)))
    }
    found = []
    for event in events:
        what = event.kind.label
        role = ROLE_NAMES.get(event.actor_role, event.actor_role)
        if for_provider is not None and event.provider_id is None:
            found.append(Entry(what, role, event.occurred_at))
            continue
        if event.provider is not None:
            what = f"{what}: {event.provider.name}"
        correction = event.correction if event.kind is EventKind.CORRECTED else None
        if correction is not None and correction.answer in CORRECTABLE:
            what = f"{what}: {CORRECTABLE[correction.answer][1].lower()}"
        name = names.get(event.actor_id) if event.actor_id is not None else None
        who = f"{name} ({role})" if name else role
        before = (correction.before or "Not given") if correction is not None else None
        found.append(Entry(what, who, event.occurred_at, event.note, before))
    if referral.direct:
        found.append(
            Entry("Direct self-referral received", "Made by the person to the provider", referral.created_at)
        )
    else:
        received_from = "the person themselves" if referral.source.value == "self" else "a professional"
        found.append(Entry("Referral received", f"Sent by {received_from}", referral.created_at))
    return found
