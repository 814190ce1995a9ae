"""What the triage team does with a referral besides allocating it.

Ask for more information (the referral leaves the queue), note that it came (back in the queue),
close it and say where the person was signposted, or mark it withdrawn (an offer the provider has
not answered yet is cancelled, which frees the place). Which move is allowed from which status, and
where it leads, is the table in ``hub.referrals.states``; here are the words for each. Each move is
one transaction that locks the referral's row, checks that the table allows the move from its
status now, writes the change with its timeline event and audit entry, and commits. A move that is
not allowed raises :class:`MoveRefused` with a message for the member of staff; nothing is written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.audit import Actor
from hub.db import committed
from hub.referrals import states, timeline
from hub.referrals.models import EventKind, Referral


class MoveRefused(Exception):
    """The change was not made; the message says why."""


class NoteNeeded(MoveRefused):
    pass


@dataclass(frozen=True)
class Words:
    verb: str
    note_needed: str | None


WORDS = {
    EventKind.INFO_REQUESTED: Words("sent for more information", "Say what information is needed"),
    EventKind.INFO_RECEIVED: Words("put back in the queue", None),
    EventKind.SIGNPOSTED: Words("closed and signposted", "Say where the person was signposted"),
    EventKind.WITHDRAWN: Words("marked withdrawn", "Say why the referral was withdrawn"),
}
"""The triage team's moves made here: how a refusal says what could not be done, and what note each needs."""


def move(db: Session, referral_id: uuid.UUID, kind: EventKind, actor: Actor, note: str = "") -> Referral:
    """Make one triage move on the referral, in one transaction (see the module's description)."""
    words = WORDS[kind]
    note = note.strip()
    with committed(db):
        referral = db.scalar(select(Referral).where(Referral.id == referral_id).with_for_update())
        if referral is None:
            raise MoveRefused("That referral no longer exists.")
        if not states.allowed(kind, referral.status):
            raise MoveRefused(
                f"This referral cannot be {words.verb} now: its status is “{referral.status.label}”. "
                "Someone may have dealt with it already."
            )
        if words.note_needed and not note:
            raise NoteNeeded(words.note_needed)
        timeline.record(db, referral, kind, actor, note=note)
    return referral
