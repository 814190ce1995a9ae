"""The form a provider's staff fill in for a self-referral made directly to them: the self-referral's
questions, asked about the person, and their consent. Forms validate; they never write."""

from __future__ import annotations

from datetime import date
from typing import Any

from wtforms.validators import Optional

from hub.forms import YES_NO_UNSURE, StaffForm, checkboxes, line, radios, required, text
from hub.referrals.consent import DIRECT_V1, WORDINGS
from hub.referrals.direct import ASKED_IN_PERSON, NO_CONSENT, PAGES, Consent
from hub.referrals.intake_forms import (
    CONSULTATION_CHOICES,
    CONTACT_METHODS,
    EMAIL,
    EMAIL_MAX,
    NAME_MAX,
    PHONE,
    PHONE_MAX,
    POSTCODE,
    POSTCODE_MAX,
    DateOfBirthField,
    day_so_far,
    details_needed,
)
from hub.referrals.models import ConsentMethod

MISSING_DETAIL = {
    "phone": "Enter their phone number, or choose another way to contact them",
    "email": "Enter their email address, or choose another way to contact them",
    "address": "Enter their address for letters, or choose another way to contact them",
}
PAGE_OF = {
    "preferred_name": "about",
    "full_name": "about",
    "date_of_birth": "about",
    "methods": "contact",
    "phone": "contact",
    "email": "contact",
    "address": "contact",
    "postcode": "contact",
    "voicemail": "contact",
    "say_who": "contact",
    "safe_times": "contact",
    "specialisms": "support",
    "support_wanted": "support",
    "consultation": "support",
}
"""Which page of the self-referral each answer belongs to (they are stored as that journey keeps them)."""


class DirectReferralForm(StaffForm):
    preferred_name = line(
        "What would they like us to call them?",
        NAME_MAX,
        required("Enter what they would like us to call them"),
        called="The name they would like us to use",
        hint="This can be any name. It does not need to be their legal name.",
    )
    full_name = line("Their full name (optional)", NAME_MAX)
    date_of_birth = DateOfBirthField(
        "Their date of birth (optional)", description="For example, 27 3 1998.", called="Their date of birth"
    )
    methods = checkboxes(
        "How is it safe to contact them?",
        CONTACT_METHODS,
        required("Select at least one safe way to contact them"),
        hint="Select all that are safe. Only these will be used.",
        not_offered="Select the safe ways to contact them from the list",
    )
    phone = line("Their phone number (optional)", PHONE_MAX, Optional(), PHONE, hint="For calls and texts.")
    email = line("Their email address (optional)", EMAIL_MAX, Optional(), EMAIL)
    address = text("Their address for letters (optional)")
    postcode = line("Their postcode (optional)", POSTCODE_MAX, Optional(), POSTCODE)
    voicemail = radios("Is it safe to leave a voicemail? (optional)", YES_NO_UNSURE)
    say_who = radios("Can we say who we are when we call? (optional)", YES_NO_UNSURE)
    safe_times = line(
        "When is it safe to contact them? (optional)",
        200,
        hint="For example, weekdays after 10am.",
        called="What you say about safe times",
    )
    specialisms = checkboxes(
        "What would they like help with? (optional)",
        [],
        hint="Select all that apply.",
        not_offered="Select the help they would like from the list",
    )
    support_wanted = text(
        "Anything else they would like us to know (optional)", called="What else they would like us to know"
    )
    consultation = radios(
        "May we ask them, now and then, to help shape this service? (optional)",
        CONSULTATION_CHOICES,
        hint="Only in the ways they said are safe. Saying no changes nothing about their support.",
    )
    consent = checkboxes(
        "What have they agreed to?",
        [("direct", WORDINGS[DIRECT_V1])],
        required(NO_CONSENT),
        hint="Ask them before you record anything here.",
        not_offered=NO_CONSENT,
    )
    consent_method = radios(
        "How did they tell you they agree?",
        [(m.value, m.label) for m in ASKED_IN_PERSON],
        required("Say how they told you they agree"),
        not_offered="Say how they told you they agree, from the ways listed",
    )
    consent_on = day_so_far("When did they agree?", "the date they agreed")

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for detail in sorted(details_needed(self.methods.data or [])):
            if not self[detail].data and not self[detail].errors:
                self[detail].errors.append(MISSING_DETAIL[detail])
                valid = False
        return bool(valid)

    def pages(self) -> dict[str, dict[str, Any]]:
        """The answers as the self-referral's pages keep them (dates as ISO text)."""
        found: dict[str, dict[str, Any]] = {page: {} for page in PAGES}
        for name, page in PAGE_OF.items():
            value = self[name].data
            found[page][name] = value.isoformat() if isinstance(value, date) else value
        return found

    def agreed(self) -> Consent:
        method = self.consent_method.data
        return Consent(
            agreed="direct" in (self.consent.data or []),
            method=ConsentMethod(method) if method in {m.value for m in ASKED_IN_PERSON} else None,
            on=self.consent_on.data,
        )
