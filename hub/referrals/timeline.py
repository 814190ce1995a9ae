"""A referral's timeline: every change of its status is an event saying what, who, when, from, to and why.

:func:`record` is the one way a service changes a referral's status: it moves the status, writes the
event and notes the change for the audit log, all in the caller's transaction. :func:`entries`
reads the timeline back for a staff page, newest first, with each member of staff's name.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
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


@dataclass(frozen=True)
class Entry:
    what: str
    who: str
    when: datetime
    why: str | None = None


def entries(db: Session, referral: Referral) -> list[Entry]:
    """The timeline for staff, newest first, ending with the referral's arrival."""
    events = db.scalars(
        select(ReferralEvent)
        .where(ReferralEvent.referral_id == referral.id)
        .options(selectinload(ReferralEvent.provider))
        .order_by(ReferralEvent.occurred_at.desc())
    ).all()
    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    names = {
        user.id: user.display_name or ""
        for user in db.scalars(select(StaffUser).where(StaffUser.id.in_(actor_ids)))
    }
    found = []
    for event in events:
        what = event.kind.label
        if event.provider is not None:
            what = f"{what}: {event.provider.name}"
        role = ROLE_NAMES.get(event.actor_role, event.actor_role)
        name = names.get(event.actor_id) if event.actor_id is not None else None
        found.append(Entry(what, f"{name} ({role})" if name else role, event.occurred_at, event.note))
    received_from = "the person themselves" if referral.source.value == "self" else "a professional"
    found.append(Entry("Referral received", f"Sent by {received_from}", referral.created_at))
    return found
