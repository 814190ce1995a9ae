"""Subject access: find a person's referrals by the blind indexes, and put everything held about them
in one pack (a readable HTML document and a machine-readable JSON file, in one zip).

Finding never opens a sealed value: the name with the date of birth, the email address or the phone
number is normalised and hashed as intake hashed it (``hub.referrals.intake.set_blind_indexes``), and
only the plain columns of the matching referrals are read. Only the pack opens the sealed values, of
the referrals it holds and nothing else.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import render_template
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, object_session

from hub import audit, calendar
from hub.audit import Actor, AuditEntry
from hub.auth.models import Role
from hub.db import committed, utcnow
from hub.keyring import Keyring
from hub.normalise import normalise_email, normalise_name, normalise_phone
from hub.outbox import OutboxMessage
from hub.referrals.consent import WORDINGS
from hub.referrals.models import (
    CORRECTABLE,
    Allocation,
    ConsentRecord,
    Correction,
    FirstContact,
    Measures,
    Referral,
    ReferralEvent,
    ReferralSource,
    ReferralStatus,
    SafeContact,
)
from hub.referrals.outcomes import records_of

FOR_REVIEW = (
    "For review before release: these are the details of the professional who made the referral "
    "(someone else's personal data). Decide what to release, or ask them, before the pack is sent."
)
NO_INDEX = (
    "Emails queued before the hub kept a keyed hash of each address cannot be matched to a person "
    "without opening every address, so they are not in this pack"
)


class SearchRefused(Exception):
    """The search was not run; the message says what to give instead."""


@dataclass(frozen=True)
class Search:
    """What the officer (or an operator) searches by: a name with a date of birth, an email, a phone."""

    name: str = ""
    born: date | None = None
    email: str = ""
    phone: str = ""

    def indexes(self, keyring: Keyring) -> list[Any]:
        """The conditions on the blind-index columns, as intake made them; refused when nothing to match."""
        if bool(self.name) != (self.born is not None):
            raise SearchRefused("Give a full name together with a date of birth")
        found = []
        if self.name and self.born and normalise_name(self.name):
            identity = f"{normalise_name(self.name)}|{self.born.isoformat()}"
            found.append(Referral.identity_index == keyring.blind_index("identity", identity))
        if self.email and normalise_email(self.email):
            found.append(Referral.email_index == keyring.blind_index("email", normalise_email(self.email)))
        if self.phone and normalise_phone(self.phone):
            found.append(Referral.phone_index == keyring.blind_index("phone", normalise_phone(self.phone)))
        if not found:
            raise SearchRefused("Give a full name and date of birth, an email address or a phone number")
        return found


@dataclass(frozen=True)
class Found:
    id: uuid.UUID
    reference: str
    source: ReferralSource
    created_at: datetime
    status: ReferralStatus


def find(db: Session, keyring: Keyring, search: Search) -> list[Found]:
    """The referrals whose blind indexes match, oldest first; only plain columns are read."""
    query = select(
        Referral.id, Referral.reference, Referral.source, Referral.created_at, Referral.status
    ).where(or_(*search.indexes(keyring)))
    return [Found(*row) for row in db.execute(query.order_by(Referral.created_at, Referral.id))]


def searched(db: Session, actor: Actor, request_id: uuid.UUID | None) -> None:
    """Audit one search (which request it was for; never what was searched for)."""
    audit.viewed(db, actor, "privacy.person_searched", "rights_request", request_id)


# -- the pack --------------------------------------------------------------------------------------


def pack(db: Session, referral_ids: Iterable[uuid.UUID], actor: Actor) -> tuple[bytes, list[str]]:
    """The zip for these referrals, and their references; one audit entry for each referral exported."""
    wanted = list(dict.fromkeys(referral_ids))
    referrals = list(
        db.scalars(select(Referral).where(Referral.id.in_(wanted)).order_by(Referral.created_at, Referral.id))
    )
    contents = _contents(db, referrals, actor)
    document = render_template("privacy/pack.html", pack=contents, readable=readable)
    with committed(db):
        for referral in referrals:
            audit.record_as(db, actor, "privacy.pack_exported", "referral", referral.id)
    return _zip(contents, document), [r.reference for r in referrals]


def file_name(references: Sequence[str]) -> str:
    return f"subject-access-{calendar.today().isoformat()}-{len(references)}-referrals.zip"


def _zip(contents: dict[str, Any], document: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("subject-access.html", document)
        archive.writestr("subject-access.json", json.dumps(contents, indent=2, ensure_ascii=False))
    return buffer.getvalue()


def readable(value: str | None) -> str:
    """A date or moment from the pack in words, on the UK clock: "3 November 2026" or "… at 14:05"."""
    if not value:
        return ""
    if len(value) == 10:
        return date.fromisoformat(value).strftime("%-d %B %Y")
    return calendar.local(datetime.fromisoformat(value)).strftime("%-d %B %Y at %H:%M")


def _moment(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _contents(db: Session, referrals: list[Referral], actor: Actor) -> dict[str, Any]:
    return {
        "about": {
            "what": "Everything the referral hub holds about one person, for a subject access request.",
            "made_at": _moment(utcnow()),
            "made_by_role": actor.role,
            "references": [r.reference for r in referrals],
            "for_review_before_release": FOR_REVIEW,
        },
        "referrals": [_referral(db, r) for r in referrals],
        "emails": _emails(db, referrals),
    }


SAID = {"yes": "Yes", "no": "No", "unsure": "Not sure", "unknown": "Not known"}


def _item(field: str, question: str, answer: Any) -> dict[str, Any]:
    return {
        "field": field,
        "question": question,
        "answer": SAID.get(answer, answer) if isinstance(answer, str) else answer,
    }


def _referral(db: Session, referral: Referral) -> dict[str, Any]:
    return {
        "reference": referral.reference,
        "how_it_came": "They referred themselves"
        if referral.source is ReferralSource.SELF
        else "A professional referred them",
        "received_at": _moment(referral.created_at),
        "status": referral.status.label,
        "status_since": _moment(referral.status_changed_at),
        "restricted_since": _moment(referral.restricted_at),
        "erased_at": _moment(referral.erased_at),
        "answers": _answers(referral),
        "referrer": {
            "for_review_before_release": FOR_REVIEW,
            "answers": _referrer(referral),
        },
        "timeline": [_event(e) for e in referral.events],
        "case_records": [_allocation(a) for a in referral.allocations],
        "consent": [_consent(c) for c in _consents(db, referral)],
        "audit": _audit(db, referral),
    }


def _answers(referral: Referral) -> list[dict[str, Any]]:
    safe = SafeContact.of(referral)
    needs, risks = referral.access_needs, referral.risks
    return [
        _item("full_name", "Full name", referral.full_name),
        _item("preferred_name", "Name to use", referral.preferred_name),
        _item("date_of_birth", "Date of birth", _day(referral.date_of_birth)),
        _item("email", "Email address", referral.email),
        _item("phone", "Phone number", referral.phone),
        _item("address", "Address", referral.address),
        _item("postcode", "Postcode", referral.postcode),
        _item("contact_methods", "Safe ways to contact them", [m.label for m in safe.methods]),
        _item("voicemail", "Safe to leave a voicemail", safe.voicemail),
        _item("say_who", "May we say who we are", safe.say_who),
        _item("safe_times", "Safe times to contact them", safe.safe_times),
        _item("support_wanted", "The support they would like", referral.support_wanted),
        _item("specialisms", "Kinds of support asked for", [s.label for s in referral.specialisms]),
        _item(
            "preferred_provider",
            "Provider chosen",
            referral.preferred_provider.name if referral.preferred_provider else "",
        ),
        _item("current_risks", "Current risks", risks.current_risks if risks else ""),
        _item(
            "children_in_household", "Children in the household", risks.children_in_household if risks else ""
        ),
        _item("other_agencies", "Other agencies involved", risks.other_agencies if risks else ""),
        _item("language", "Language", needs.language if needs else ""),
        _item("interpreter", "Needs an interpreter", needs.interpreter if needs else ""),
        _item("bsl", "Needs a British Sign Language interpreter", needs.bsl if needs else ""),
        _item("adjustments", "Other adjustments", needs.adjustments if needs else ""),
        _item("under_18", "Under 18 when referred", referral.under_18),
        _item("consent_to_referral", "Agreed to the referral", referral.consent_to_referral),
        _item("consent_to_share", "Agreed to sharing with a provider", referral.consent_to_share),
        _item(
            "consultation_opt_in",
            "May we ask them, now and then, to help shape the service",
            referral.consultation_opt_in,
        ),
    ]


def _referrer(referral: Referral) -> list[dict[str, Any]]:
    return [
        _item("referrer_name", "Referrer's name", referral.referrer_name),
        _item("referrer_role", "Referrer's role", referral.referrer_role),
        _item("referrer_organisation", "Referrer's organisation", referral.referrer_organisation),
        _item(
            "referrer_agency",
            "Referrer's kind of organisation",
            referral.referrer_agency.label if referral.referrer_agency else "",
        ),
        _item("referrer_email", "Referrer's email address", referral.referrer_email),
        _item("referrer_phone", "Referrer's phone number", referral.referrer_phone),
    ]


def _role(value: str | None) -> str:
    known = {r.value: r.label for r in Role}
    return known.get(
        value or "", {"public": "The form", "operator": "An operator"}.get(value or "", value or "")
    )


def _event(event: ReferralEvent) -> dict[str, Any]:
    return {
        "when": _moment(event.occurred_at),
        "what": event.kind.label,
        "from": event.from_status.label if event.from_status else None,
        "to": event.to_status.label if event.to_status else None,
        "provider": event.provider.name if event.provider else None,
        "by_role": _role(event.actor_role),
        "note": event.note or "",
        "corrected": _corrected(event.correction),
    }


def _corrected(correction: Correction | None) -> dict[str, str] | None:
    """Which answer the triage team corrected, and what it said before: the old answer is theirs too."""
    if correction is None:
        return None
    named = CORRECTABLE.get(correction.answer)
    return {"answer": named[1] if named else correction.answer, "before": correction.before}


def _allocation(allocation: Allocation) -> dict[str, Any]:
    measures = allocation.measures or Measures()
    first = allocation.first_contact or FirstContact()
    return {
        "provider": allocation.provider.name,
        "offered_at": _moment(allocation.created_at),
        "status": allocation.status.value,
        "decided_at": _moment(allocation.decided_at),
        "why_this_provider": allocation.reason or "",
        "decline_reason": allocation.decline_reason.label if allocation.decline_reason else None,
        "decline_note": allocation.decline_note or "",
        "first_contact_on": _day(allocation.first_contact_on),
        "first_contact_channel": first.channel.value if first.channel else None,
        "voicemail_left": first.voicemail_left,
        "service_named": first.service_named,
        "outcome": allocation.outcome.label if allocation.outcome else None,
        "closed_at": _moment(allocation.closed_at),
        "measures": {name: getattr(measures, name) for name in Measures.names()},
        "outcome_measures": _outcome_measures(allocation),
    }


def _outcome_measures(allocation: Allocation) -> list[dict[str, Any]]:
    """Each outcome measure taken: its name, when, the day, the score of each item and the total (the
    hub keeps no question's wording, so none is given)."""
    db = object_session(allocation)
    if db is None:
        return []
    return [
        {
            "measure": item.measure.name,
            "version": item.measure.version,
            "point": item.record.point.label,
            "taken_on": _day(item.record.taken_on),
            "item_scores": list(item.record.items.answers) if item.record.items else [],
            "total": item.score.total if item.score else None,
            "in_clinical_range": item.score.clinical if item.score else None,
        }
        for item in records_of(db, [allocation.id])[allocation.id]
    ]


def _consents(db: Session, referral: Referral) -> list[ConsentRecord]:
    query = select(ConsentRecord).where(ConsentRecord.referral_id == referral.id)
    return list(db.scalars(query.order_by(ConsentRecord.recorded_at, ConsentRecord.id)))


def _consent(record: ConsentRecord) -> dict[str, Any]:
    return {
        "given": record.given,
        "wording": WORDINGS.get(record.wording or "", record.wording) if record.given else None,
        "wording_version": record.wording,
        "how": record.route.label,
        "method": record.method.label if record.method else None,
        "happened_on": _day(record.happened_on),
        "recorded_at": _moment(record.recorded_at),
        "recorded_by_role": _role(record.recorded_by_role),
        # Often the referrer, or someone else who passed the consent on: someone else's data.
        "from_whom": {"for_review_before_release": True, "value": record.from_whom or ""},
        "note": record.note or "",
    }


def _audit(db: Session, referral: Referral) -> list[dict[str, Any]]:
    """The audit entries about this referral and its case records (when, what, which role); the staff
    account and network address are about the staff, not the person, so they are left out."""
    cases = [str(a.id) for a in referral.allocations]
    query = select(AuditEntry).where(
        or_(
            (AuditEntry.object_kind == "referral") & (AuditEntry.object_id == str(referral.id)),
            (AuditEntry.object_kind == "allocation") & AuditEntry.object_id.in_(cases),
        )
    )
    return [
        {"seq": e.seq, "when": _moment(e.occurred_at), "action": e.action, "by_role": _role(e.role)}
        for e in db.scalars(query.order_by(AuditEntry.seq))
    ]


def _emails(db: Session, referrals: list[Referral]) -> dict[str, Any]:
    """The emails sent to the person's own addresses (never their referrer's), found by blind index."""
    indexes = sorted({r.email_index for r in referrals if r.email_index})
    messages: list[OutboxMessage] = []
    if indexes:
        query = select(OutboxMessage).where(OutboxMessage.to_index.in_(indexes))
        messages = list(db.scalars(query.order_by(OutboxMessage.created_at, OutboxMessage.id)))
    unmatched = db.scalar(select(OutboxMessage.id).where(OutboxMessage.to_index.is_(None)).limit(1))
    return {
        "note": NO_INDEX + "." if unmatched is not None else "",
        "sent": [
            {
                "to": m.to_address,
                "subject": m.subject,
                "queued_at": _moment(m.created_at),
                "sent_at": _moment(m.sent_at),
                "body": m.body,
            }
            for m in messages
        ],
    }
