"""Self-referrals made directly to a provider: its staff record them, and each is their case at once.

A person may ask a provider for support without going through the hub's form or the triage team. The
provider's staff ask the self-referral's questions and confirm the person's consent; :func:`record`
makes the referral (``Referral.direct``), its consent record and an accepted offer of the staff member's
own provider, in one transaction, through the table of moves (``EventKind.DIRECT_ACCEPTED``). The
accepted offer counts against the provider's capacity like any other, and in every figure that counts
offers, acceptances and self-referrals. The provider is always the staff member's own: it is never
read from what was posted.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import calendar
from hub.audit import Actor
from hub.auth.models import StaffUser
from hub.db import committed, utcnow
from hub.keyring import Keyring
from hub.providers.models import ProviderCapacity
from hub.providers.services import locked as locked_provider
from hub.referrals import duplicates, intake, notice, states, timeline
from hub.referrals.allocation import headroom, specialism_limits
from hub.referrals.consent import DIRECT_V1
from hub.referrals.models import (
    Allocation,
    ConsentMethod,
    ConsentRecord,
    ConsentRoute,
    EventKind,
    Referral,
    ReferralSource,
)

PAGES = ("about", "contact", "support")
"""The self-referral's pages whose questions the staff member asks (the provider is their own)."""
ASKED_IN_PERSON = (ConsentMethod.IN_PERSON, ConsentMethod.PHONE, ConsentMethod.IN_WRITING)
"""How the person can have told the provider (there is no referrer to tell it through)."""

NO_CONSENT = (
    "You can only record a self-referral the person has agreed to. Ask them first; if they do not agree, "
    "support them without recording it here."
)


class DirectRefused(Exception):
    """Nothing was recorded; the message is for the member of staff. ``field``: the answer it is about."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Consent:
    """What the member of staff confirms: that the person agreed, how they said so, and on which day."""

    agreed: bool
    method: ConsentMethod | None
    on: date | None


@dataclass(frozen=True)
class Recorded:
    allocation_id: uuid.UUID
    reference: str
    places_left: int | None
    """The provider's space after this case, as the capacity rule counts it (None: no limit set);
    below 0 when the person was taken on past the capacity the provider declared."""


def take_on(
    db: Session,
    keyring: Keyring,
    actor: Actor,
    provider_id: int,
    answers: Mapping[str, Mapping[str, Any]],
    consent: Consent,
) -> Recorded:
    """Make the referral and its accepted offer for the acting member of staff's provider."""
    _check_consent(consent)
    with committed(db):
        _check_staff(db, actor, provider_id)
        # Locked in the order allocating locks them, so an offer made meanwhile counts this case.
        provider = locked_provider(db, provider_id)
        if provider is None or not provider.active:
            raise DirectRefused(
                "Your organisation is not taking referrals in the hub, so none can be recorded."
            )
        capacity = db.scalar(
            select(ProviderCapacity).where(ProviderCapacity.provider_id == provider_id).with_for_update()
        )
        referral = _referral(db, keyring, provider.slug, answers)
        db.add(_consent_record(referral, actor, consent))
        offer = Allocation(referral_id=referral.id, provider_id=provider_id)
        db.add(offer)
        timeline.record(db, referral, EventKind.DIRECT_ACCEPTED, actor, offer=offer)
        db.flush()
        room = headroom(db, provider_id, capacity, limits=specialism_limits([provider])[provider.id])
    return Recorded(offer.id, referral.reference, room.places)


def _check_consent(consent: Consent) -> None:
    if not consent.agreed:
        raise DirectRefused(NO_CONSENT, "consent")
    if consent.method not in ASKED_IN_PERSON:
        raise DirectRefused("Say how they told you they agree", "consent_method")
    if consent.on is None:
        raise DirectRefused("Enter the date they agreed", "consent_on")
    if consent.on > calendar.today():
        raise DirectRefused("The date they agreed must be today or in the past", "consent_on")


def _check_staff(db: Session, actor: Actor, provider_id: int) -> None:
    """Only a provider's own staff record a case for it (the hub's own commands excepted)."""
    if actor.role == states.OPERATOR:
        return
    staff = db.get(StaffUser, uuid.UUID(actor.id)) if actor.id else None
    if staff is None or staff.provider_id != provider_id:
        raise DirectRefused("You can only record a self-referral for your own organisation.")


def _referral(db: Session, keyring: Keyring, slug: str, answers: Mapping[str, Mapping[str, Any]]) -> Referral:
    """The referral, as a self-referral with these answers would be, made by and for the provider."""
    referral = Referral(
        reference=intake.unused_reference(db),
        source=ReferralSource.SELF,
        status=states.ARRIVES,
        direct=True,
        # The staff member confirms the person was told how their information is used (DIRECT_V1).
        privacy_notice=notice.CURRENT,
    )
    pages = {page: dict(answers.get(page) or {}) for page in PAGES}
    try:
        intake.apply_self_answers(db, referral, {**pages, "provider": {"provider": slug}})
    except intake.IntakeError as error:
        raise DirectRefused(str(error)) from None
    referral.under_18 = intake.is_under_18(referral.date_of_birth)
    referral.consent_to_referral = referral.consent_to_share = True
    intake.set_blind_indexes(referral, keyring)
    referral.possible_duplicate = duplicates.mark(db, referral)
    db.add(referral)
    db.flush()  # the referral's row first: its consent record and offer refer to it
    return referral


def _consent_record(referral: Referral, actor: Actor, consent: Consent) -> ConsentRecord:
    assert consent.on is not None  # noqa: S101  (checked by _check_consent)
    return ConsentRecord(
        referral_id=referral.id,
        given=True,
        wording=DIRECT_V1,
        route=ConsentRoute.RECORDED_BY_PROVIDER,
        method=consent.method,
        happened_on=consent.on,
        recorded_at=utcnow(),
        recorded_by=uuid.UUID(actor.id) if actor.id else None,
        recorded_by_role=actor.role,
    )
