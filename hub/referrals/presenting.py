"""A referral's answers as staff read them: sections of question and answer, safe contact first.

Only staff pages use this, and each of them audits the view. Nothing is shown that was not given
("Not given" instead), and the answers are never changed on the way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from hub import calendar
from hub.referrals.models import (
    CORRECTABLE,
    AccessNeeds,
    Allocation,
    AllocationStatus,
    ContactMethod,
    FirstContact,
    Referral,
    ReferralSource,
    ReferralStatus,
    Risks,
    SafeContact,
)
from hub.templating import summary_value

WORDS = {"yes": "Yes", "no": "No", "unsure": "Not sure", "": "Not given"}


def _text(value: Any) -> str | Sequence[str]:
    if isinstance(value, list | tuple):  # the choices made, each as given
        return [str(v) for v in value]
    if value is None or value == "":
        return "Not given"
    if isinstance(value, datetime):  # a stored moment: its UK date
        value = calendar.day_of(value)
    if isinstance(value, date):
        return value.strftime("%-d %B %Y")
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(WORDS.get(value, value)) if isinstance(value, str) else str(value)


Link = Callable[[str], str] | None
"""Where to correct an answer (a key of ``CORRECTABLE``), on the triage team's page only."""


def _section(title: str, rows: list[tuple[str, Any]], key: str, correct: Link = None) -> dict[str, Any]:
    found = []
    for label, value in rows:
        row: dict[str, Any] = {"key": {"text": label}, "value": summary_value(_text(value))}
        answer = CORRECTED_FROM.get(label)
        if correct is not None and answer is not None:
            what = CORRECTABLE[answer][1].lower()
            row["actions"] = {
                "items": [{"href": correct(answer), "text": "Correct", "visuallyHiddenText": what}]
            }
        found.append(row)
    return {"title": title, "key": key, "rows": found}


def answer_sections(referral: Referral, correct: Link = None) -> list[dict[str, Any]]:
    """Every answer; with ``correct``, each answer the triage team may correct has a link to do it."""
    sections = [_safe_contact(referral, correct), _person(referral, correct), _support(referral)]
    if referral.source is ReferralSource.PROFESSIONAL:
        sections += _from_a_professional(referral)
    return sections


def consultation_answer(referral: Referral) -> list[dict[str, Any]]:
    """For the triage team: whether a person who referred themselves said we may ask them to help shape
    the service (the list at ``/triage/consultation``); nothing for a professional's referral."""
    if referral.source is not ReferralSource.SELF:
        return []
    said = {True: "Yes", False: "No"}.get(referral.consultation_opt_in, "Not answered")  # type: ignore[arg-type]
    return [_section("Helping shape the service", [("May we ask them to take part", said)], "consultation")]


CORRECTED_FROM = {
    "Safe ways to contact": "safe-contact",
    "Phone": "phone",
    "Email": "email",
    "Address": "address",
    "Postcode": "postcode",
    "Name to use": "preferred-name",
    "Full name": "full-name",
    "Date of birth": "date-of-birth",
}
"""The rows about the person (in the first two sections) that link to their correction."""


def _safe_contact(referral: Referral, correct: Link) -> dict[str, Any]:
    safe = SafeContact.of(referral)
    return _section(
        "Contacting them safely",
        [
            ("Safe ways to contact", [m.label for m in safe.methods]),
            ("Phone", referral.phone),
            ("Email", referral.email),
            ("Address", referral.address),
            ("Postcode", referral.postcode),
            ("Safe to leave a voicemail", safe.voicemail),
            ("Safe to say who is calling", safe.say_who),
            ("Safe times and other advice", safe.safe_times),
        ],
        "safe-contact",
        correct,
    )


def _person(referral: Referral, correct: Link) -> dict[str, Any]:
    return _section(
        "About the person",
        [
            ("Name to use", referral.preferred_name),
            ("Full name", referral.full_name),
            ("Date of birth", referral.date_of_birth),
        ],
        "person",
        correct,
    )


def _support(referral: Referral) -> dict[str, Any]:
    chosen = (
        referral.preferred_provider.name
        if referral.preferred_provider
        else ("Asked for help choosing" if referral.help_choosing else "")
    )
    return _section(
        "Support asked for",
        [
            ("Kinds of support", [s.label for s in referral.specialisms]),
            ("In their words", referral.support_wanted),
            ("Organisation chosen", chosen),
        ],
        "support",
    )


def _from_a_professional(referral: Referral) -> list[dict[str, Any]]:
    risks, access = referral.risks or Risks(), referral.access_needs or AccessNeeds()
    return [
        _section(
            "Risks and safeguarding",
            [
                ("Current risks", risks.current_risks),
                ("Children in the household", risks.children_in_household),
                ("Other agencies involved", risks.other_agencies),
            ],
            "risks",
        ),
        _section(
            "Language and access needs",
            [
                ("Language", access.language),
                ("Interpreter needed", access.interpreter),
                ("Uses British Sign Language", access.bsl),
                ("Adjustments", access.adjustments),
            ],
            "access",
        ),
        _section(
            "Who referred them",
            [
                ("Name", referral.referrer_name),
                ("Role", referral.referrer_role),
                ("Organisation", referral.referrer_organisation),
                (
                    "Kind of organisation",
                    referral.referrer_agency.label if referral.referrer_agency else "Not recorded",
                ),
                ("Work email", referral.referrer_email),
                ("Phone", referral.referrer_phone),
                ("Agreed to the referral", referral.consent_to_referral),
                ("Agreed to information being shared", referral.consent_to_share),
            ],
            "referrer",
        ),
    ]


def first_contact(offers: Iterable[Allocation]) -> list[dict[str, Any]]:
    """How each of these offers' first contact was made (none when not made yet): what staff check
    against the safe-contact answers above it."""
    sections = []
    for offer in offers:
        if offer.first_contact_on is None:
            continue
        made = offer.first_contact or FirstContact()
        rows: list[tuple[str, Any]] = [
            ("Date", offer.first_contact_on),
            ("How", made.channel.label if made.channel else ""),
        ]
        if made.channel is ContactMethod.PHONE:
            rows += [("Voicemail left", made.voicemail_left), ("Said who was calling", made.service_named)]
        sections.append(_section("First contact", rows, "first-contact"))
    return sections


@dataclass(frozen=True)
class Decline:
    """Why the referral came back to the triage team: the latest decline, said first on its page."""

    provider: str
    on: datetime
    reason: str
    note: str

    @property
    def headline(self) -> str:
        return f"Declined by {self.provider} on {_text(self.on)}: {self.reason}"


def returned_because(referral: Referral) -> Decline | None:
    """The decline that sent the referral back to the queue, while it waits there; otherwise None."""
    if referral.status is not ReferralStatus.DECLINED_BY_PROVIDER:
        return None
    declined: list[Allocation] = [a for a in referral.allocations if a.status is AllocationStatus.DECLINED]
    if not declined:
        return None
    latest = max(declined, key=lambda a: (a.decided_at or a.created_at, a.created_at))
    return Decline(
        provider=latest.provider.name,
        on=latest.decided_at or latest.created_at,
        reason=latest.decline_reason.label if latest.decline_reason else "no reason was given",
        note=(latest.decline_note or "").strip(),
    )
