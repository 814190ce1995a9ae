"""What the triage team does with a referral besides allocating it.

Ask for more information (the referral leaves the queue), note that it came (back in the queue),
close it and say where the person was signposted, or mark it withdrawn. Each is one transaction
that locks the referral's row, checks that the move is allowed from its status now, writes the
change with its timeline event and audit entry, and commits. A move that is not allowed raises
:class:`MoveRefused` with a message for the member of staff; nothing is written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.audit import Actor
from hub.db import committed, utcnow
from hub.referrals import timeline
from hub.referrals.models import (
    Allocation,
    AllocationStatus,
    EventKind,
    Referral,
    ReferralStatus,
)

S = ReferralStatus


class MoveRefused(Exception):
    """The change was not made; the message says why."""


class NoteNeeded(MoveRefused):
    pass


@dataclass(frozen=True)
class Move:
    kind: EventKind
    allowed_from: frozenset[ReferralStatus]
    to: ReferralStatus
    verb: str
    note_needed: str | None


MOVES = {
    move.kind: move
    for move in (
        Move(
            EventKind.INFO_REQUESTED,
            frozenset({S.SUBMITTED, S.DECLINED_BY_PROVIDER}),
            S.INFO_REQUESTED,
            "sent for more information",
            "Say what information is needed",
        ),
        Move(
            EventKind.INFO_RECEIVED,
            frozenset({S.INFO_REQUESTED}),
            S.SUBMITTED,
            "put back in the queue",
            None,
        ),
        Move(
            EventKind.SIGNPOSTED,
            frozenset({S.SUBMITTED, S.DECLINED_BY_PROVIDER, S.INFO_REQUESTED}),
            S.SIGNPOSTED,
            "closed and signposted",
            "Say where the person was signposted",
        ),
        Move(
            EventKind.WITHDRAWN,
            frozenset({S.SUBMITTED, S.DECLINED_BY_PROVIDER, S.INFO_REQUESTED, S.ALLOCATED}),
            S.WITHDRAWN,
            "marked withdrawn",
            "Say why the referral was withdrawn",
        ),
    )
}


def move(db: Session, referral_id: uuid.UUID, kind: EventKind, actor: Actor, note: str = "") -> Referral:
    """Make one triage move on the referral, in one transaction (see the module's description)."""
    rule = MOVES[kind]
    note = note.strip()
    with committed(db):
        referral = db.scalar(select(Referral).where(Referral.id == referral_id).with_for_update())
        if referral is None:
            raise MoveRefused("That referral no longer exists.")
        if referral.status not in rule.allowed_from:
            raise MoveRefused(
                f"This referral cannot be {rule.verb} now: its status is “{referral.status.label}”. "
                "Someone may have dealt with it already."
            )
        if rule.note_needed and not note:
            raise NoteNeeded(rule.note_needed)
        if kind is EventKind.WITHDRAWN:
            # An offer the provider has not answered yet is cancelled, so it frees the place.
            db.execute(
                update(Allocation)
                .where(Allocation.referral_id == referral.id, Allocation.status == AllocationStatus.PENDING)
                .values(status=AllocationStatus.CANCELLED, decided_at=utcnow())
            )
        timeline.record(db, referral, kind, actor, rule.to, note=note)
    return referral
