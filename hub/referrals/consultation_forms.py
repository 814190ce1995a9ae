"""The ``/take-part`` form (a name and one safe way to contact the person) and the allocator's removal."""

from __future__ import annotations

from typing import Any

from wtforms import HiddenField
from wtforms.validators import Optional

from hub.forms import YES_NO_UNSURE, StaffForm, line, radios, required, text
from hub.referrals.intake_forms import (
    CONTACT_METHODS,
    EMAIL,
    EMAIL_MAX,
    NAME_MAX,
    PHONE,
    PHONE_MAX,
    PublicForm,
)
from hub.referrals.models import ContactMethod

MISSING = {
    "phone": "Enter a phone number, or choose another way for us to contact you",
    "email": "Enter an email address, or choose another way for us to contact you",
    "address": "Enter an address for letters, or choose another way for us to contact you",
}


FORMATS = {"phone": PHONE, "email": EMAIL}


class TakePartForm(PublicForm):
    name = line(
        "What name should we use?",
        NAME_MAX,
        required("Tell us a name we can use when we contact you"),
        called="The name to use",
        hint="Any name you like. It does not need to be your real name.",
        autocomplete="nickname",
    )
    method = radios(
        "What is the one safe way for us to contact you?",
        CONTACT_METHODS,
        required("Choose one safe way for us to contact you"),
        hint="Choose only a way that is safe for you. We will only use this one.",
    )
    phone = line(
        "Phone number (for a phone call or a text message)",
        PHONE_MAX,
        Optional(),
        called="The phone number",
        autocomplete="tel",
    )
    email = line(
        "Email address (for email)",
        EMAIL_MAX,
        Optional(),
        called="The email address",
        autocomplete="email",
    )
    address = text("Address for letters (for a letter)", called="The address")
    voicemail = radios("If we call, is it safe to leave a voicemail? (optional)", YES_NO_UNSURE)
    say_who = radios("Can we say who we are when we contact you? (optional)", YES_NO_UNSURE)
    safe_times = line(
        "When is it safe to contact you? (optional)",
        200,
        hint="For example, weekdays after 10am.",
        called="What you tell us about safe times",
    )

    def validate(self, extra_validators: Any = None) -> bool:
        """Every box has its length cap; only the box the chosen way needs must be given, and only it
        is checked for its format (the others are not kept, so what is in them cannot be wrong)."""
        valid = super().validate(extra_validators)
        needed = self.chosen.detail_needed if self.chosen else None
        if needed is None or self[needed].errors:
            return bool(valid)
        value = self[needed].data
        if not value:
            self[needed].errors.append(MISSING[needed])
        elif needed in FORMATS and not FORMATS[needed].regex.match(value):
            self[needed].errors.append(FORMATS[needed].message)
        return bool(valid) and not self[needed].errors

    @property
    def chosen(self) -> ContactMethod | None:
        known = {m.value: m for m in ContactMethod if m is not ContactMethod.REFERRER}
        return known.get(self.method.data or "")

    @property
    def detail(self) -> str:
        """The one detail the chosen way needs (the others typed are not kept)."""
        needed = self.chosen.detail_needed if self.chosen else None
        return str(self[needed].data or "") if needed else ""


class RemoveForm(StaffForm):
    """Take one person off the list: a volunteer from ``/take-part``, or a self-referral's yes. Each is
    an id the list page put there; the view reads it as an id or refuses with its own message."""

    volunteer = HiddenField()
    referral = HiddenField()
