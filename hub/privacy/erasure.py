"""The one eraser of a referral's personal values, used by the retention schedule and by an erasure request.

Erasing empties every sealed value of the referral and of its allocations, timeline events and consent
records, clears its blind indexes and its status code's hash (so nothing can be matched to it again), and
marks it erased. It keeps every plain fact the KPIs count (dates, statuses, outcomes, providers,
specialisms, flags, decline reasons, the day of first contact) and the sessions and outcome scores of
each case (``Allocation.measures``, and the item scores of each outcome measure, ``MeasureRecord.items``,
which the eraser leaves alone): numbers with no name to them, on which providers' returns for past
quarters were built. So every past quarter's figures stay as they were. A referral under a legal
hold is never erased, and neither is one still open (waiting in the queue, offered, or in support):
the triage team withdraws it first, so no provider is left with an offer or a case of empty answers.
One audit entry (``retention.erased``) is written for each record erased.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from hub import audit, outbox
from hub.audit import Actor
from hub.db import committed, utcnow
from hub.outbox import OutboxMessage
from hub.privacy.models import LegalHold
from hub.referrals import states
from hub.referrals.models import Allocation, ConsentRecord, MeasureRecord, Referral, ReferralEvent
from hub.sealed import SEALED_FIELDS, Sealed

KEPT: dict[type, frozenset[str]] = {
    Referral: frozenset({"erasure_note"}),  # why it was erased: written after, about the erasure
    Allocation: frozenset({"measures"}),  # counts and scores for the quarterly returns
    MeasureRecord: frozenset({"items"}),  # item scores: the outcome figures of past returns count them
}
CASE_RECORDS: tuple[type, ...] = (Allocation, ReferralEvent, ConsentRecord)
BLIND_INDEXES = ("identity_index", "email_index", "phone_index", "referrer_email_index")


class OnLegalHold(Exception):
    """The referral is under a legal hold: nothing of it may be erased until the hold is lifted."""

    def __str__(self) -> str:
        return "This referral is under a legal hold, so it cannot be erased until the hold is lifted"


class StillOpen(Exception):
    """The referral is still open: erasing it would leave the queue or a provider with empty answers."""

    def __init__(self, referral: Referral) -> None:
        super().__init__(
            f"{referral.reference} is still open (“{referral.status.label}”), so it cannot be erased yet. "
            "Ask the triage team to record that the person withdrew their consent, which closes it and "
            "tells any provider, then erase it."
        )


def erasable(model: type) -> list[Sealed[Any]]:
    """The sealed attributes of ``model`` that erasing empties (every one, but what ``KEPT`` names)."""
    kept = KEPT.get(model, frozenset())
    return [field for field in SEALED_FIELDS if field.owner is model and field.name not in kept]


def still_holding(model: type) -> Any:
    """A condition true for rows of ``model`` that still hold something erasing would empty (a sealed
    value, or the plain columns an older release kept it in)."""
    return or_(*(getattr(model, name).is_not(None) for field in erasable(model) for name in field.stored_in))


def held() -> Any:
    """A condition true for a referral under a legal hold (a hold not lifted)."""
    return exists().where(LegalHold.referral_id == Referral.id, LegalHold.lifted_at.is_(None))


def is_held(db: Session, referral_id: uuid.UUID) -> bool:
    query = select(LegalHold.id).where(LegalHold.referral_id == referral_id, LegalHold.lifted_at.is_(None))
    return db.scalars(query.limit(1)).first() is not None


def _empty(db: Session, row: Any, actor: Actor) -> int:
    """Empty the row's erasable values; 1 (and an audit entry) if it held any, else 0."""
    fields = [f for f in erasable(type(row)) if any(getattr(row, name) is not None for name in f.stored_in)]
    for field in fields:
        setattr(row, field.name, None)  # empties its sealed column and any plain one left
    if not fields:
        return 0
    audit.record_as(db, actor, "retention.erased", type(row).__tablename__, row.id)
    return 1


def erase_emails(db: Session, messages: Iterable[OutboxMessage], actor: Actor) -> int:
    """Empty each sent email's body and address (and the address's index), keeping when and of which
    kind it was sent; how many were emptied."""
    emptied = 0
    for message in messages:
        if message.erased_at is not None or message.sent_at is None:
            continue
        message.body, message.to_address, message.to_index, message.erased_at = "", None, None, utcnow()
        message.secret = None
        audit.record_as(db, actor, "retention.erased", OutboxMessage.__tablename__, message.id)
        emptied += 1
    return emptied


def _emails_to_them(db: Session, referral: Referral, actor: Actor) -> int:
    """The emails to the person's own address: those waiting are never sent, those sent are emptied.
    Left alone while another referral not yet erased gives the same address: they may be about it."""
    if referral.email_index is None:
        return 0
    shared = select(Referral.id).where(
        Referral.email_index == referral.email_index, Referral.id != referral.id
    )
    if db.scalars(shared.limit(1)).first() is not None:
        return 0
    query = select(OutboxMessage).where(OutboxMessage.to_index == referral.email_index)
    messages = list(db.scalars(query.order_by(OutboxMessage.created_at, OutboxMessage.id)))
    dropped = outbox.drop_unsent(db, [m.id for m in messages if m.sent_at is None], actor)
    return dropped + erase_emails(db, [m for m in messages if m.sent_at is not None], actor)


def erase_answers(db: Session, referral: Referral, actor: Actor, because: str) -> int:
    """The referral's own values, its blind indexes and status code, and the emails to the person's own
    address; marks it erased. Inside the caller's transaction, with the referral locked; 1 if it held
    anything, else 0 (the emails are audited on their own)."""
    _emails_to_them(db, referral, actor)
    for name in BLIND_INDEXES:
        setattr(referral, name, None)
    referral.status_secret_hash = None
    # A wish to be asked to help shape the service: personal (it is about them), counted nowhere, and
    # of no use once no way to contact them is left.
    referral.consultation_opt_in = None
    erased = _empty(db, referral, actor)
    if referral.erased_at is None:
        referral.erased_at = utcnow()
        referral.erasure_note = because
    return erased


def erase_case_records(db: Session, referral_ids: Iterable[uuid.UUID], actor: Actor) -> int:
    """Empty the sealed values of these referrals' allocations, events and consent records; returns how
    many rows held any."""
    ids = list(referral_ids)
    erased = 0
    for model in CASE_RECORDS:
        rows: Iterable[Any] = db.scalars(
            select(model).where(model.referral_id.in_(ids), still_holding(model)).order_by(model.id)  # type: ignore[attr-defined]
        )
        erased += sum(_empty(db, row, actor) for row in rows)
    return erased


def _locked(db: Session, referral: Referral) -> Referral:
    found = db.get(Referral, referral.id, with_for_update=True, populate_existing=True)
    assert found is not None  # noqa: S101 (a referral is never deleted)
    return found


def erase_referral(db: Session, referral: Referral, actor: Actor, *, because: str) -> int:
    """Erase the referral's personal values now (see the module); how many records were erased (0 when
    it was erased already). Raises :class:`OnLegalHold`, changing nothing, when it is held, and
    :class:`StillOpen` when it is not closed, signposted or withdrawn. ``because``
    (the schedule, or an erasure request) is kept sealed with it, for the staff who open it later."""
    with committed(db):
        referral = _locked(db, referral)
        if is_held(db, referral.id):
            raise OnLegalHold()
        if referral.status not in states.FINAL:
            raise StillOpen(referral)
        return erase_answers(db, referral, actor, because) + erase_case_records(db, [referral.id], actor)
