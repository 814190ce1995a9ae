"""Possible duplicates: which other referrals one may duplicate, and the allocator's decision on each pair.

Matches are found through the keyed blind indexes (name and date of birth, email, phone), never by
opening sealed values. An allocator decides each pair once: "the same person" links the two
(shown on both), "not the same person" clears the pair for good. A referral stays flagged as a
possible duplicate while any of its matches is undecided.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.audit import Actor
from hub.db import committed, utcnow
from hub.referrals import timeline
from hub.referrals.models import DuplicateDecision, EventKind, Referral


class DecisionRefused(Exception):
    """Nothing was recorded; the message says why, for the member of staff."""


@dataclass(frozen=True)
class Match:
    other: Referral
    same_person: bool | None  # None: not decided yet


def mark(db: Session, referral: Referral) -> bool:
    """At intake (and after a correction): flag the other referrals that share a name and date of
    birth, an email or a phone number; true if there were any, so this referral is flagged too."""
    conditions = _matching(referral)
    if not conditions:
        return False
    same_person = and_(or_(*conditions), Referral.id != referral.id)
    if db.scalar(select(Referral.id).where(same_person).limit(1)) is None:
        return False
    db.execute(
        update(Referral)
        .where(same_person, Referral.possible_duplicate.is_(False))
        .values(possible_duplicate=True)
    )
    return True


def mark_again(db: Session, referral: Referral, matched_before: Sequence[Referral]) -> None:
    """After a correction changed the referral's identifiers: flag what it matches now (:func:`mark`),
    and let this referral and each it matched before keep the flag only while a match is undecided."""
    mark(db, referral)
    for one in {referral, *matched_before}:
        one.possible_duplicate = _still_possible(db, one)


def _matching(referral: Referral) -> list[ColumnElement[bool]]:
    return [
        column == value
        for column, value in (
            (Referral.identity_index, referral.identity_index),
            (Referral.email_index, referral.email_index),
            (Referral.phone_index, referral.phone_index),
        )
        if value
    ]


def _pair(a: uuid.UUID, b: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    return (a, b) if str(a) < str(b) else (b, a)


def _decisions(db: Session, referral_id: uuid.UUID) -> dict[uuid.UUID, bool]:
    rows = db.scalars(
        select(DuplicateDecision).where(
            or_(DuplicateDecision.first_id == referral_id, DuplicateDecision.second_id == referral_id)
        )
    )
    return {(d.second_id if d.first_id == referral_id else d.first_id): d.same_person for d in rows}


def matches(db: Session, referral: Referral) -> list[Match]:
    """The other referrals this one's blind indexes match, oldest first, with any decision made.

    Pairs decided "not the same person" are left out; "the same person" stays, to link the two.
    """
    decided = _decisions(db, referral.id)
    conditions = _matching(referral)
    found: list[Referral] = []
    if conditions or decided:
        query = select(Referral).where(
            Referral.id != referral.id,
            or_(*conditions, Referral.id.in_([k for k, same in decided.items() if same])),
        )
        found = list(db.scalars(query.order_by(Referral.created_at, Referral.id)))
    return [Match(other, decided.get(other.id)) for other in found if decided.get(other.id) is not False]


def _still_possible(db: Session, referral: Referral) -> bool:
    return any(match.same_person is None for match in matches(db, referral))


ALREADY_DECIDED = "Someone has already decided about these two referrals. Refresh the page."


def _already_decided(db: Session, first: uuid.UUID, second: uuid.UUID) -> bool:
    found = db.scalar(
        select(DuplicateDecision.id).where(
            and_(DuplicateDecision.first_id == first, DuplicateDecision.second_id == second)
        )
    )
    return found is not None


def decide(
    db: Session, referral_id: uuid.UUID, other_id: uuid.UUID, same_person: bool, actor: Actor
) -> DuplicateDecision:
    """Record the allocator's decision on one pair, on both referrals' timelines, in one transaction.

    Only a referral that this one's blind indexes match can be named; the pair is decided once.
    """
    with committed(db):
        first, second = _pair(referral_id, other_id)
        both = select(Referral).where(Referral.id.in_([first, second])).order_by(Referral.id)
        locked = {r.id: r for r in db.scalars(both.with_for_update())}
        referral, other = locked.get(referral_id), locked.get(other_id)
        if referral is None or other is None or referral_id == other_id:
            raise DecisionRefused("That referral is not one this referral may duplicate.")
        conditions = _matching(referral)
        matched = select(Referral.id).where(Referral.id == other.id, or_(*conditions))
        if not conditions or db.scalar(matched) is None:
            raise DecisionRefused("That referral is not one this referral may duplicate.")
        if _already_decided(db, first, second):
            raise DecisionRefused(ALREADY_DECIDED)
        decision = DuplicateDecision(
            first_id=first,
            second_id=second,
            same_person=same_person,
            decided_at=utcnow(),
            decided_by=uuid.UUID(actor.id) if actor.id else None,
        )
        db.add(decision)
        try:
            db.flush()
        except IntegrityError:
            # Two allocators decided the pair at once and the other's decision was written after the
            # check above (SQLite has no row locks to stop it): the pair's unique key refuses this one.
            raise DecisionRefused(ALREADY_DECIDED) from None
        kind = EventKind.DUPLICATE_SAME_PERSON if same_person else EventKind.DUPLICATE_NOT_SAME
        for one in (referral, other):
            timeline.record(db, one, kind, actor)
            one.possible_duplicate = _still_possible(db, one)
    return decision
