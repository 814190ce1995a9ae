"""The register of requests about a person's data: record one, extend it, link the person's referrals
to it, and close it as done or refused. Every change is audited (ids only, never what was typed).

A request is due one calendar month after it was received (``hub.calendar.answer_due``); an
extension of up to two further months, counted from the same day, needs a reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from hub import audit, calendar
from hub.audit import Actor
from hub.db import committed, utcnow
from hub.privacy.models import Asker, RequestKind, RequestReferral, RequestStatus, RightsRequest

MOST_MONTHS = 3
"""One month to answer, and at most two more with a reason (UK GDPR article 12(3))."""


class RequestRefused(Exception):
    """Nothing was changed; the message says why, for the officer."""


@dataclass(frozen=True)
class NewRequest:
    kind: RequestKind
    asker: Asker
    person_name: str
    asker_name: str
    identity_check: str
    received_on: date
    details: str = ""


def load(db: Session, request_id: str) -> RightsRequest | None:
    try:
        return db.get(RightsRequest, uuid.UUID(request_id))
    except ValueError:
        return None


def add(db: Session, new: NewRequest, actor: Actor) -> RightsRequest:
    """Add a request to the register, due one calendar month after it was received."""
    if new.received_on > calendar.today():
        raise RequestRefused("The date the request was received must be today or in the past")
    if new.asker is Asker.REPRESENTATIVE and not new.asker_name:
        raise RequestRefused("Enter the name of the person acting for them, and how they are connected")
    with committed(db):
        request = RightsRequest(
            kind=new.kind,
            asker=new.asker,
            received_on=new.received_on,
            due_on=calendar.answer_due(new.received_on),
            created_by=_account(actor),
        )
        request.person_name = new.person_name
        request.asker_name = new.asker_name if new.asker is Asker.REPRESENTATIVE else ""
        request.identity_check = new.identity_check
        request.details = new.details
        db.add(request)
        db.flush()
        audit.record_as(db, actor, "privacy.request_recorded", "rights_request", request.id)
    return request


def _account(actor: Actor) -> uuid.UUID | None:
    return uuid.UUID(actor.id) if actor.id else None


def _still_open(db: Session, request: RightsRequest) -> None:
    db.refresh(request, with_for_update=True)
    if request.state is not RequestStatus.OPEN:
        raise RequestRefused("This request is already closed, so it cannot be changed")


def extend(db: Session, request: RightsRequest, further: int, reason: str, actor: Actor) -> date:
    """Give the request ``further`` months more (1 or 2), counted from the day it was received, with a reason.

    The due date becomes ``1 + further`` calendar months after the day received; more than three
    months in all is refused, and so is a date no later than the one it has.
    """
    if not reason:
        raise RequestRefused("Enter why the request needs longer")
    if not 1 <= further <= MOST_MONTHS - 1:
        raise RequestRefused("A request can be extended by one or two further months, and no more")
    with committed(db):
        _still_open(db, request)
        due = calendar.answer_due(request.received_on, 1 + further)
        if due <= request.due_on:
            raise RequestRefused("It is already extended that far. It can have three months at most")
        request.due_on, request.extended = due, True
        request.extension_reason = reason
        audit.record_as(db, actor, "privacy.request_extended", "rights_request", request.id)
    return due


def close(db: Session, request: RightsRequest, *, done: bool, on: date, outcome: str, actor: Actor) -> None:
    """Close the request as done (what was done) or refused (why), on the day it was answered."""
    if not outcome:
        raise RequestRefused("Say what was done" if done else "Say why the request was refused")
    if on > calendar.today() or on < request.received_on:
        raise RequestRefused("The date it was answered must be between the day it was received and today")
    with committed(db):
        _still_open(db, request)
        request.state = RequestStatus.DONE if done else RequestStatus.REFUSED
        request.closed_on = on
        request.outcome = outcome
        action = "privacy.request_done" if done else "privacy.request_refused"
        audit.record_as(db, actor, action, "rights_request", request.id)


def link(
    db: Session,
    request: RightsRequest,
    chosen: Sequence[str],
    found: Collection[uuid.UUID],
    actor: Actor,
) -> int:
    """Link the referrals chosen from those the search ``found`` (run again on the server) to the request.

    A referral the search did not find is refused, and nothing is linked. Returns how many were new.
    """
    wanted = set()
    for value in chosen:
        try:
            referral_id = uuid.UUID(value)
        except ValueError:
            referral_id = None
        if referral_id is None or referral_id not in found:
            raise RequestRefused("Choose only referrals that the search found")
        wanted.add(referral_id)
    if not wanted:
        raise RequestRefused("Choose the referrals that are about this person")
    with committed(db):
        _still_open(db, request)
        already = {one.referral_id for one in request.links}
        for referral_id in sorted(wanted - already, key=str):
            request.links.append(
                RequestReferral(referral_id=referral_id, linked_at=utcnow(), linked_by=_account(actor))
            )
            audit.record_as(db, actor, "privacy.referral_linked", "referral", referral_id)
    return len(wanted - already)


def unlink(db: Session, request: RightsRequest, chosen: str, actor: Actor) -> None:
    """Take a referral off the request; only one linked to this request can be named."""
    with committed(db):
        _still_open(db, request)
        linked = next((one for one in request.links if str(one.referral_id) == chosen), None)
        if linked is None:
            raise RequestRefused("That referral is not linked to this request")
        request.links.remove(linked)
        audit.record_as(db, actor, "privacy.referral_unlinked", "referral", linked.referral_id)


@dataclass(frozen=True)
class Listed:
    request: RightsRequest
    overdue: bool
    days_left: int


def register(db: Session) -> list[Listed]:
    """Every request: the open ones first, soonest due first; then the closed ones, newest first."""
    still_open = case((RightsRequest.state == RequestStatus.OPEN, 0), else_=1)
    query = select(RightsRequest).order_by(
        still_open,
        case((RightsRequest.state == RequestStatus.OPEN, RightsRequest.due_on), else_=None),
        RightsRequest.closed_on.desc(),
        RightsRequest.received_on.desc(),
        RightsRequest.id,
    )
    today = calendar.today()
    return [
        Listed(one, one.state is RequestStatus.OPEN and one.due_on < today, (one.due_on - today).days)
        for one in db.scalars(query)
    ]
