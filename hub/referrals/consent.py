"""Consent as facts: what the person agreed to (the exact, versioned words), when, how, and who recorded it.

``Referral.consent_to_referral`` and ``Referral.consent_to_share`` are the gate the rest of the hub
reads; they change only here, always together with a :class:`ConsentRecord`:

- at intake, :func:`record_at_intake` writes what the form showed and the person agreed to;
- later, :func:`record_share` writes consent to share that the triage team obtained (from whom,
  when, how), which lets the referral be allocated (or, if it reached a provider before consent
  was enforced, lets the provider see it and act on it);
- :func:`withdraw` records that the person withdrew consent, and closes the referral: a pending
  offer is cancelled, an accepted case is closed as "They no longer wanted support".

Each change is one transaction that locks the referral's row; a refused change raises
:class:`ConsentRefused` and writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub import calendar
from hub.audit import Actor
from hub.auth.models import StaffUser
from hub.db import committed, utcnow
from hub.providers.models import Provider
from hub.referrals import states, timeline
from hub.referrals.models import (
    Allocation,
    AllocationStatus,
    ConsentMethod,
    ConsentRecord,
    ConsentRoute,
    EventKind,
    Outcome,
    Referral,
    ReferralSource,
)

# The words a person agrees to, by version. A wording is never changed once used: a new text is a
# new key, so each record says exactly what was agreed. The forms show these very words.
REFERRAL_V1 = "referral-v1"
SHARE_V1 = "share-v1"
SELF_V1 = "self-v1"
DIRECT_V1 = "direct-v1"
WORDINGS = {
    # What the self-referral check page said before it showed SELF_V1 (referrals made until then).
    "self-v0": "By sending this, you confirm the answers are correct to the best of your knowledge.",
    REFERRAL_V1: "They agree to be referred to this service",
    SHARE_V1: "They agree to their details being shared with the organisation that supports them",
    SELF_V1: (
        "When you send this, we will share your answers with the organisation that supports you, "
        "so they can contact you in the ways you said are safe."
    ),
    # What a provider's staff confirm for a self-referral made directly to them (hub.referrals.direct).
    DIRECT_V1: (
        "They agree to us keeping their details in the referral hub for their support, and we have told "
        "them how their information is used (the privacy notice)"
    ),
}

# From which statuses consent can be recorded or withdrawn (every open stage) is in the table of
# moves, hub.referrals.states (CONSENT_RECORDED, CONSENT_WITHDRAWN).
# How an accepted case ends when the person withdraws consent (the KPI return counts it as such).
WITHDRAWN_OUTCOME = Outcome.NO_LONGER_WANTED


class ConsentRefused(Exception):
    """Nothing was recorded; the message says why, for the member of staff."""


def record_at_intake(referral: Referral, agreed: Sequence[str], today: date) -> list[ConsentRecord]:
    """The consent given on the form, as records; sets the referral's gate to match.

    ``agreed`` is what the professional form's consent page had ticked (``referral``, ``share``);
    a self-referral agrees by sending (the check page shows :data:`SELF_V1`).
    """
    if referral.source is ReferralSource.SELF:
        wordings, route = [SELF_V1], ConsentRoute.SELF_REFERRAL
        referral.consent_to_referral = referral.consent_to_share = True
    else:
        wordings = [w for key, w in (("referral", REFERRAL_V1), ("share", SHARE_V1)) if key in agreed]
        route = ConsentRoute.PROFESSIONAL_FORM
        referral.consent_to_referral = REFERRAL_V1 in wordings
        referral.consent_to_share = SHARE_V1 in wordings
    records = []
    for wording in wordings:
        record = ConsentRecord(
            referral_id=referral.id,
            given=True,
            wording=wording,
            route=route,
            happened_on=today,
            recorded_at=utcnow(),
            recorded_by_role="public",
        )
        if route is ConsentRoute.PROFESSIONAL_FORM:
            record.from_whom = referral.referrer_name
        records.append(record)
    return records


def _locked(db: Session, referral_id: uuid.UUID) -> Referral:
    referral = db.scalar(select(Referral).where(Referral.id == referral_id).with_for_update())
    if referral is None:
        raise ConsentRefused("That referral no longer exists.")
    return referral


def _check_day(on: date | None) -> date:
    if on is None:
        raise ConsentRefused("Enter the date")
    if on > calendar.today():
        raise ConsentRefused("The date must be today or in the past")
    return on


def record_share(
    db: Session,
    referral_id: uuid.UUID,
    actor: Actor,
    *,
    from_whom: str,
    on: date | None,
    method: ConsentMethod,
    note: str = "",
) -> ConsentRecord:
    """Consent to share, obtained by the triage team after the referral came in: it may now be allocated."""
    from_whom, note = from_whom.strip(), note.strip()
    with committed(db):
        referral = _locked(db, referral_id)
        if referral.consent_to_share:
            raise ConsentRefused("Consent to share is already recorded for this referral.")
        if not states.allowed(EventKind.CONSENT_RECORDED, referral.status):
            raise ConsentRefused(
                f"Consent cannot be recorded now: the referral is “{referral.status.label}”. "
                "Someone may have dealt with it already."
            )
        if not from_whom:
            raise ConsentRefused("Say who gave consent")
        record = _told_the_triage_team(referral, actor, SHARE_V1, method, on)
        record.from_whom = from_whom
        record.note = note or None
        db.add(record)
        referral.consent_to_share = True
        timeline.record(db, referral, EventKind.CONSENT_RECORDED, actor)
    return record


def _told_the_triage_team(
    referral: Referral, actor: Actor, wording: str | None, method: ConsentMethod, on: date | None
) -> ConsentRecord:
    """A record of consent given (the ``wording`` agreed to) or withdrawn (None), as TRS heard it."""
    return ConsentRecord(
        referral_id=referral.id,
        given=wording is not None,
        wording=wording,
        route=ConsentRoute.RECORDED_BY_TRS,
        method=method,
        happened_on=_check_day(on),
        recorded_at=utcnow(),
        recorded_by=uuid.UUID(actor.id) if actor.id else None,
        recorded_by_role=actor.role,
    )


def withdraw(
    db: Session,
    referral_id: uuid.UUID,
    actor: Actor,
    *,
    on: date | None,
    method: ConsentMethod,
    note: str,
) -> ConsentRecord:
    """The person withdrew consent: record it and close the referral, whatever stage it was at.

    A pending offer is cancelled (the provider sees the offer withdrawn); an accepted case is closed
    with :data:`WITHDRAWN_OUTCOME`. Nothing is emailed, now or later: every action that could send
    mail about a referral refuses once it is withdrawn.
    """
    note = note.strip()
    with committed(db):
        referral = _locked(db, referral_id)
        if not states.allowed(EventKind.CONSENT_WITHDRAWN, referral.status):
            raise ConsentRefused(
                f"Consent cannot be withdrawn now: the referral is “{referral.status.label}”, so it is "
                "already closed."
            )
        if not note:
            raise ConsentRefused("Say what the person asked for")
        record = _told_the_triage_team(referral, actor, None, method, on)
        record.note = note
        db.add(record)
        # An accepted case ends with an outcome; a pending offer is cancelled by the move itself.
        db.execute(
            update(Allocation)
            .where(
                Allocation.referral_id == referral.id,
                Allocation.status == AllocationStatus.ACCEPTED,
                Allocation.closed_at.is_(None),
            )
            .values(outcome=WITHDRAWN_OUTCOME, closed_at=utcnow())
        )
        referral.consent_to_referral = referral.consent_to_share = False
        timeline.record(db, referral, EventKind.CONSENT_WITHDRAWN, actor)
    return record


def records(db: Session, referral: Referral) -> list[ConsentRecord]:
    """Every consent fact for the referral, oldest first (for the triage team's page)."""
    return list(
        db.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.referral_id == referral.id)
            .order_by(ConsentRecord.recorded_at, ConsentRecord.given.desc())
        )
    )


def recorders(db: Session, found: Sequence[ConsentRecord]) -> dict[uuid.UUID, str]:
    """The names of the staff who recorded these facts, with their team."""
    ids = {record.recorded_by for record in found if record.recorded_by is not None}
    if not ids:
        return {}
    users = list(db.scalars(select(StaffUser).where(StaffUser.id.in_(ids))))
    # A provider's staff record consent for a self-referral made directly to them (hub.referrals.direct).
    teams: dict[int, str] = {
        provider_id: name
        for provider_id, name in db.execute(
            select(Provider.id, Provider.name).where(Provider.id.in_({u.provider_id for u in users}))
        )
    }
    return {
        user.id: f"{user.display_name or 'A member of staff'} "
        f"({teams.get(user.provider_id or 0, 'Trauma and Resilience Service')})"
        for user in users
    }
