"""People who said we may ask them to help shape the service, and the allocator's list of them.

Two ways in, kept apart: a person who refers themselves answers a question on the last page
(``Referral.consultation_opt_in``), and anyone may leave a name and one safe way to be contacted at
``/take-part`` (:class:`ConsultationVolunteer`, with no link to a referral or to any feedback, and
the day only, never the time). The list shows each person only the ways they said are safe, and
leaves out referrals whose details are erased or restricted, or whose consent or referral was
withdrawn, saying how many and why. Every viewing of the list, and every removal, is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hub import audit, calendar
from hub.audit import Actor
from hub.db import committed
from hub.referrals.models import (
    DIRECT_CONTACT,
    ConsultationVolunteer,
    ContactMethod,
    Referral,
    ReferralStatus,
    SafeContact,
)


@dataclass(frozen=True)
class Way:
    """One safe way to contact a person: "Email" and the address, "Phone call" and the number."""

    method: ContactMethod
    detail: str

    @property
    def label(self) -> str:
        return self.method.label


@dataclass(frozen=True)
class Person:
    """One person on the list: from a self-referral (with its reference) or from ``/take-part``."""

    id: uuid.UUID
    from_referral: bool
    reference: str | None
    name: str
    ways: tuple[Way, ...]
    voicemail_safe: bool
    may_say_who: bool
    safe_times: str
    since: date
    under_18: bool = False  # when they referred themselves: ask with the children's-pathway team in mind

    @property
    def by_phone(self) -> bool:
        """A phone call is one of the safe ways, so whether to leave a voicemail matters."""
        return any(way.method is ContactMethod.PHONE for way in self.ways)


@dataclass
class Listing:
    people: list[Person] = field(default_factory=list)
    # Referrals that said yes but are left out, by why: "erased", "restricted", "withdrawn".
    left_out: dict[str, int] = field(default_factory=dict)

    @property
    def left_out_total(self) -> int:
        return sum(self.left_out.values())


def _detail(method: ContactMethod, phone: str | None, email: str | None, address: str | None) -> str:
    return {"phone": phone, "email": email, "address": address}.get(method.detail_needed or "") or ""


def safe_ways(
    safe: SafeContact, phone: str | None, email: str | None, address: str | None
) -> tuple[Way, ...]:
    """Only the ways the person said are safe, each with the detail it needs; a way whose detail is
    missing, and the referrer route, are left out (the list is for asking the person themselves)."""
    found = []
    for method in safe.methods:
        detail = _detail(method, phone, email, address)
        if method in DIRECT_CONTACT and detail:
            found.append(Way(method, detail))
    return tuple(found)


def _why_left_out(referral: Referral) -> str | None:
    if referral.erased_at is not None:
        return "erased"
    if referral.restricted_at is not None:
        return "restricted"
    if not referral.consent_to_referral or referral.status is ReferralStatus.WITHDRAWN:
        return "withdrawn"
    return None


def _from_referral(referral: Referral) -> Person:
    safe = SafeContact.of(referral)
    address = ", ".join(filter(None, [referral.address, referral.postcode]))
    return Person(
        id=referral.id,
        from_referral=True,
        reference=referral.reference,
        name=referral.preferred_name or referral.full_name or "",
        ways=safe_ways(safe, referral.phone, referral.email, address),
        voicemail_safe=safe.voicemail_safe,
        may_say_who=safe.may_say_who,
        safe_times=safe.safe_times,
        since=calendar.day_of(referral.created_at),
        under_18=referral.under_18,
    )


def _from_volunteer(volunteer: ConsultationVolunteer) -> Person:
    safe = volunteer.safe_contact or SafeContact()
    detail = volunteer.detail or ""
    return Person(
        id=volunteer.id,
        from_referral=False,
        reference=None,
        name=volunteer.name or "",
        ways=safe_ways(safe, detail, detail, detail),
        voicemail_safe=safe.voicemail_safe,
        may_say_who=safe.may_say_who,
        safe_times=safe.safe_times,
        since=volunteer.given_on,
    )


def listing(db: Session, actor: Actor) -> Listing:
    """Everyone who said yes, oldest first: self-referrals, then volunteers. Audited as one viewing."""
    found = Listing()
    said_yes = select(Referral).where(Referral.consultation_opt_in.is_(True))
    for referral in db.scalars(said_yes.order_by(Referral.created_at, Referral.id)):
        why = _why_left_out(referral)
        if why is None:
            found.people.append(_from_referral(referral))
        else:
            found.left_out[why] = found.left_out.get(why, 0) + 1
    volunteers = select(ConsultationVolunteer).order_by(
        ConsultationVolunteer.given_on, ConsultationVolunteer.id
    )
    found.people += [_from_volunteer(v) for v in db.scalars(volunteers)]
    audit.viewed(db, actor, "consultation.listed", "consultation", None)
    return found


# -- taking part, and leaving -------------------------------------------------------------------


def volunteer(
    db: Session,
    *,
    name: str,
    method: ContactMethod,
    detail: str,
    voicemail: str,
    say_who: str,
    safe_times: str,
) -> None:
    """Keep a volunteer's name and one safe way to contact them, sealed, with the day only.

    Not audited: an audit entry would keep the moment it was given, and a moment could be matched to
    feedback sent at the same time. Nothing is returned, so nothing about the row reaches the page.
    """
    row = ConsultationVolunteer(given_on=calendar.today())
    row.name = name
    row.safe_contact = SafeContact.read(
        {"methods": [method.value], "voicemail": voicemail, "say_who": say_who, "safe_times": safe_times}
    )
    row.detail = detail
    with committed(db):
        db.add(row)


class NotOnTheList(Exception):
    """The person was already taken off the list (or never on it)."""


def remove_volunteer(db: Session, volunteer_id: uuid.UUID, actor: Actor) -> None:
    """Take a volunteer off the list at their request: their row, and so their details, are deleted."""
    with committed(db):
        gone = db.execute(delete(ConsultationVolunteer).where(ConsultationVolunteer.id == volunteer_id))
        if not gone.rowcount:  # type: ignore[attr-defined]
            raise NotOnTheList
        audit.record_as(db, actor, "consultation.removed", ConsultationVolunteer.__tablename__, volunteer_id)


def remove_referral(db: Session, referral_id: uuid.UUID, actor: Actor) -> None:
    """Take a person who referred themselves off the list at their request: their answer becomes no."""
    with committed(db):
        referral = db.get(Referral, referral_id, with_for_update=True, populate_existing=True)
        if referral is None or referral.consultation_opt_in is not True:
            raise NotOnTheList
        referral.consultation_opt_in = False
        audit.record_as(db, actor, "consultation.removed", "referral", referral_id)
