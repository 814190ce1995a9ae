"""A referral's timeline: every change of its status is an event saying what, who, when, from, to and why.

:func:`record` is the one way a service changes a referral's status: it moves the status, writes the
event and notes the change for the audit log, all in the caller's transaction. :func:`entries`
reads the timeline back for a staff page, newest first, with each member of staff's name; a
provider's staff see only their own part of it (docs/CASES.md, "What a provider sees").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from hub import audit
from hub.audit import Actor
from hub.auth.models import StaffUser
from hub.db import utcnow
from hub.referrals.models import EventKind, Referral, ReferralEvent, ReferralStatus

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
    to_status: ReferralStatus | None = None,
    *,
    note: str | None = None,
    provider_id: int | None = None,
) -> ReferralEvent:
    """Write one timeline event (moving the referral to ``to_status`` if given) and audit it."""
    event = ReferralEvent(
        referral_id=referral.id,
        kind=kind,
        occurred_at=utcnow(),
        actor_id=uuid.UUID(actor.id) if actor.id else None,
        actor_role=actor.role,
        provider_id=provider_id,
        from_status=referral.status,
        to_status=to_status,
    )
    event.note = note or None
    if to_status is not None and to_status is not referral.status:
        referral.status = to_status
        referral.status_changed_at = event.occurred_at
    db.add(event)
    audit.record_as(db, actor, f"referral.{kind.value}", "referral", referral.id)
    return event


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


def entries(db: Session, referral: Referral, *, for_provider: int | None = None) -> list[Entry]:
    """The timeline for staff, newest first, ending with the referral's arrival.

    For a provider's staff (``for_provider``), only what is theirs and what the triage team wrote
    for them: events by or about their own provider in full (with the triage team's reason for
    allocating to them); the triage team's own moves (no provider) as a plain line, without the
    note or the name of who made them; another provider's events (an earlier offer, its decline,
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
        name = names.get(event.actor_id) if event.actor_id is not None else None
        found.append(Entry(what, f"{name} ({role})" if name else role, event.occurred_at, event.note))
    received_from = "the person themselves" if referral.source.value == "self" else "a professional"
    found.append(Entry("Referral received", f"Sent by {received_from}", referral.created_at))
    return found
