"""The triage team's forms for correcting one answer about the person, each with its reason.

Each answer keeps the rules of the intake form that first took it (lengths, email, phone and postcode
formats, a real date of birth in the past). Forms validate; they never write.
"""

from __future__ import annotations

from typing import Any

from wtforms import Field, ValidationError
from wtforms.validators import Optional

from hub.forms import YES_NO_UNSURE, StaffForm, checkboxes, line, options, radios, required, text
from hub.referrals.intake_forms import (
    CONTACT_METHODS,
    EMAIL,
    EMAIL_MAX,
    NAME_MAX,
    PHONE,
    PHONE_MAX,
    POSTCODE,
    POSTCODE_MAX,
    DateOfBirthField,
)
from hub.referrals.models import ContactMethod, Referral, ReferralSource, SafeContact
from hub.referrals.rectification import REASON_NEEDED, Value, current
from hub.referrals.triage_forms import note_field


class CorrectionForm(StaffForm):
    reason = note_field(
        "Why is the answer being corrected?",
        "For example, who told you and how. The person may ask to see this.",
        REASON_NEEDED,
        called="The reason for the correction",
    )

    def given(self) -> Value:
        """The corrected answer, as the service takes it."""
        data: Value = self["value"].data
        return data

    @classmethod
    def starting_from(cls, held: Value) -> dict[str, Any]:
        return {"value": held}


class FullNameForm(CorrectionForm):
    value = line("Full name", NAME_MAX)


class PreferredNameForm(CorrectionForm):
    value = line("Name to use", NAME_MAX, hint="The name they would like us to use.")


class DateOfBirthForm(CorrectionForm):
    value = DateOfBirthField("Date of birth", description="For example, 27 3 1998")


class EmailForm(CorrectionForm):
    value = line("Email address", EMAIL_MAX, Optional(), EMAIL, spellcheck="false")


class PhoneForm(CorrectionForm):
    value = line("Phone number", PHONE_MAX, Optional(), PHONE)


class AddressForm(CorrectionForm):
    value = text("Address")


class PostcodeForm(CorrectionForm):
    value = line("Postcode", POSTCODE_MAX, Optional(), POSTCODE)


REFERRER_INSTEAD = (ContactMethod.REFERRER.value, "None of these: contact the referrer instead")
NONE_OF_THESE = (
    "You chose “None of these” and a way to contact them. Choose the safe ways, "
    "or choose to contact the referrer instead, not both."
)


class SafeContactForm(CorrectionForm):
    methods = checkboxes(
        "How is it safe to contact them?",
        [*CONTACT_METHODS, REFERRER_INSTEAD],
        required("Select at least one safe way to contact them"),
        hint="Select all that are safe.",
    )
    voicemail = radios("Is it safe to leave a voicemail?", YES_NO_UNSURE)
    say_who = radios("Can we say who we are when we call?", YES_NO_UNSURE)
    safe_times = line(
        "When is it safe to contact them? (optional)",
        200,
        hint="For example, weekdays after 10am.",
        called="What you tell us about safe times",
    )

    def offer(self, source: ReferralSource) -> None:
        """Contacting the referrer instead is a choice only for a referral from a professional."""
        if source is not ReferralSource.PROFESSIONAL:
            self.methods.choices = options(CONTACT_METHODS)

    def validate_methods(self, field: Field) -> None:
        chosen = set(field.data or [])
        if ContactMethod.REFERRER.value in chosen and len(chosen) > 1:
            raise ValidationError(NONE_OF_THESE)

    def given(self) -> Value:
        return SafeContact.read(
            {
                "methods": self.methods.data or [],
                "voicemail": self.voicemail.data or "",
                "say_who": self.say_who.data or "",
                "safe_times": self.safe_times.data or "",
            }
        )

    @classmethod
    def starting_from(cls, held: Value) -> dict[str, Any]:
        safe = held if isinstance(held, SafeContact) else SafeContact()
        return {
            "methods": [m.value for m in safe.methods],
            "voicemail": safe.voicemail or None,
            "say_who": safe.say_who or None,
            "safe_times": safe.safe_times,
        }


FORMS: dict[str, type[CorrectionForm]] = {
    "full-name": FullNameForm,
    "preferred-name": PreferredNameForm,
    "date-of-birth": DateOfBirthForm,
    "email": EmailForm,
    "phone": PhoneForm,
    "address": AddressForm,
    "postcode": PostcodeForm,
    "safe-contact": SafeContactForm,
}


def form_for(answer: str, referral: Referral, *, posted: bool) -> CorrectionForm:
    """The answer's form: what was posted, or (to start) the answer held now."""
    kind = FORMS[answer]
    held = current(referral, answer)
    form = kind() if posted else kind(formdata=None, data=kind.starting_from(held))
    if isinstance(form, SafeContactForm):
        form.offer(referral.source)
    return form
