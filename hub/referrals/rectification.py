"""Correcting an answer about the person (the right to rectification), by the triage team.

One answer at a time (:data:`~hub.referrals.models.CORRECTABLE`), always with a reason. In one
transaction :func:`correct` locks the referral, refuses an unchanged answer, an empty one the referral
needs, or one that would leave a safe way of contact without its detail, then saves the new answer,
works out the blind indexes again and re-runs the possible-duplicate check (``duplicates.mark``),
and writes a timeline event (``corrected``, which never moves the status) whose sealed note is the
reason and whose sealed ``correction`` holds which answer it was and the answer before. The event
audits itself (``referral.corrected``). Providers see only that an answer was corrected.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.audit import Actor
from hub.db import committed
from hub.keyring import Keyring
from hub.referrals import duplicates, timeline
from hub.referrals.intake import set_blind_indexes
from hub.referrals.models import (
    CORRECTABLE,
    ContactMethod,
    Correction,
    EventKind,
    Referral,
    ReferralSource,
    SafeContact,
)
from hub.referrals.presenting import WORDS

Value = str | date | SafeContact | None

UNCHANGED = "This is the answer already held. Change it, or go back to the referral."
REASON_NEEDED = "Say why the answer is being corrected"


class CorrectionRefused(Exception):
    """Nothing was changed; the message says why, for the member of staff.

    ``field`` names the form field the message is about (``value``, ``methods`` or ``reason``).
    """

    def __init__(self, message: str, field: str = "value") -> None:
        super().__init__(message)
        self.field = field


def current(referral: Referral, answer: str) -> Value:
    """The answer held now, as the correction form starts from it."""
    attribute, _label = CORRECTABLE[answer]
    held: Value = getattr(referral, attribute)
    return held


def correct(
    db: Session,
    keyring: Keyring,
    referral_id: uuid.UUID,
    answer: str,
    value: Value,
    actor: Actor,
    *,
    reason: str,
) -> Referral:
    """Correct one answer about the person, in one transaction (see the module's description)."""
    if answer not in CORRECTABLE:
        raise CorrectionRefused("That answer cannot be corrected here.")
    attribute, _label = CORRECTABLE[answer]
    reason, value = reason.strip(), _given(value)
    with committed(db):
        referral = db.scalar(select(Referral).where(Referral.id == referral_id).with_for_update())
        if referral is None:
            raise CorrectionRefused("That referral no longer exists.")
        before: Value = getattr(referral, attribute)
        if _same(before, value):
            raise CorrectionRefused(UNCHANGED, "methods" if answer == "safe-contact" else "value")
        if not reason:
            raise CorrectionRefused(REASON_NEEDED, "reason")
        _check_needed(referral, answer, value)
        _check_contact(referral, answer, value)
        matched_before = [match.other for match in duplicates.matches(db, referral)]
        setattr(referral, attribute, value)
        referral.identity_index = referral.email_index = referral.phone_index = None
        set_blind_indexes(referral, keyring)
        event = timeline.record(db, referral, EventKind.CORRECTED, actor, note=reason)
        event.correction = Correction(answer=answer, before=in_words(before))
        duplicates.mark_again(db, referral, matched_before)
    return referral


def _given(value: Value) -> Value:
    """Blank text is no answer; safe-contact ways are kept in the forms' order."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, SafeContact):
        methods = tuple(m for m in ContactMethod if m in value.methods)
        return SafeContact(methods, value.voicemail, value.say_who, " ".join(value.safe_times.split()))
    return value


def _same(before: Value, after: Value) -> bool:
    if isinstance(before, SafeContact) and isinstance(after, SafeContact):
        return _given(before) == after
    return before == after


NEEDED = {
    ReferralSource.PROFESSIONAL: {
        "full-name": "Enter their full name. A referral from a professional needs it.",
        "date-of-birth": "Enter their date of birth. A referral from a professional needs it.",
    },
    ReferralSource.SELF: {
        "preferred-name": "Enter the name they would like us to use. A self-referral needs it.",
    },
}
"""The answers each kind of referral needs, as its form does: they may be corrected, never emptied."""


def _check_needed(referral: Referral, answer: str, value: Value) -> None:
    message = NEEDED[referral.source].get(answer)
    if value is None and message:
        raise CorrectionRefused(message)
    if isinstance(value, SafeContact) and not value.methods:
        raise CorrectionRefused("Select at least one safe way to contact them", "methods")
    if (
        isinstance(value, SafeContact)
        and ContactMethod.REFERRER in value.methods
        and referral.source is not ReferralSource.PROFESSIONAL
    ):
        raise CorrectionRefused(
            "Only a referral from a professional can be contacted through them", "methods"
        )


def _check_contact(referral: Referral, answer: str, value: Value) -> None:
    """Every safe way of contact keeps the detail it needs: a phone for calls and texts, and so on."""
    if isinstance(value, SafeContact):
        for method in value.methods:
            detail = method.detail_needed
            if detail and not getattr(referral, detail):
                raise CorrectionRefused(
                    f"You chose {method.label.lower()} as a safe way, but their {detail} is not held. "
                    f"Correct their {detail} first, or choose another way.",
                    "methods",
                )
        return
    attribute, _label = CORRECTABLE[answer]
    if value is not None:
        return
    for method in SafeContact.of(referral).methods:
        if method.detail_needed == attribute:
            raise CorrectionRefused(
                f"The person said {method.label.lower()} is a safe way to contact them, so their "
                f"{attribute} is needed. Correct the safe-contact answers first."
            )


def in_words(value: Any) -> str:
    """An answer as staff read it on the timeline; "" when none was given."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%-d %B %Y")
    if isinstance(value, SafeContact):
        lines = [
            f"Safe ways to contact: {', '.join(m.label for m in value.methods) or 'none given'}",
            f"Safe to leave a voicemail: {WORDS[value.voicemail]}",
            f"Safe to say who is calling: {WORDS[value.say_who]}",
            f"Safe times and other advice: {value.safe_times or 'Not given'}",
        ]
        return "\n".join(lines)
    return str(value)
