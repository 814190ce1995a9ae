"""The public forms, one class per question page. Forms validate; they never write.

Every text field has a length cap and loses invisible control characters; every form carries a
honeypot field that people never see and bots fill in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, StringField
from wtforms.validators import (
    DataRequired,
    Length,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from hub import calendar
from hub.forms import (
    YES_NO,
    YES_NO_UNSURE,
    checkboxes,
    clean_line,
    line,
    radios,
    required,
    text,
)
from hub.referrals.consent import REFERRAL_V1, SHARE_V1, WORDINGS
from hub.referrals.models import DIRECT_CONTACT, ContactMethod, ReferrerAgency

NAME_MAX, EMAIL_MAX, PHONE_MAX, POSTCODE_MAX = 100, 254, 30, 10
SHORT_MAX, ADDRESS_MAX = 120, 300

CONTACT_METHODS = [(m.value, m.label) for m in DIRECT_CONTACT]
AGENCY_CHOICES = [(agency.value, agency.label) for agency in ReferrerAgency]
REFERRER_INSTEAD = (ContactMethod.REFERRER.value, "None of these: contact me, the referrer, instead")


EMAIL = Regexp(
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    message="Enter an email address in the correct format, like name@example.org",
)
PHONE = Regexp(r"^\+?[0-9 ()\-]{7,30}$", message="Enter a phone number, like 01632 960 001 or 07700 900 982")
POSTCODE = Regexp(
    r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$", message="Enter a real postcode, like S60 1AE"
)


class DateOfBirthField(Field):
    """A date entered as day, month and year boxes (the GOV.UK date input), named ``<name>-day`` etc."""

    PARTS = ("day", "month", "year")

    def __init__(
        self,
        label: str,
        *,
        required_message: str | None = None,
        today_allowed: bool = False,
        called: str | None = None,
        future_allowed: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, **kwargs)
        self.required_message = required_message
        self.today_allowed = today_allowed
        self.future_allowed = future_allowed  # a day still to come (a due day), not one that has passed
        # What the messages call the date, when the label is a question ("The date of first contact").
        self.called = called
        self.parts: dict[str, str] = {}
        self.problem: tuple[str, str] | None = None  # (message, which part to focus)

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        super().process(None, data)
        if isinstance(self.data, str):
            self.data = _iso_date(self.data)
        if formdata is not None and any(f"{self.name}-{p}" in formdata for p in self.PARTS):
            self.parts = {p: clean_line(formdata.get(f"{self.name}-{p}", ""))[:4] for p in self.PARTS}
            self.data, self.problem = self._parse()
        elif isinstance(self.data, date):
            self.parts = {
                "day": str(self.data.day),
                "month": str(self.data.month),
                "year": str(self.data.year),
            }

    def _parse(self) -> tuple[date | None, tuple[str, str] | None]:
        name = self.called or self.label.text.removesuffix(" (optional)")
        missing = [p for p in self.PARTS if not self.parts[p]]
        if len(missing) == 3:
            return None, None
        if missing:
            return None, (f"{name} must include a {' and '.join(missing)}", missing[0])
        if not all(self.parts[p].isascii() and self.parts[p].isdigit() for p in self.PARTS):
            return None, (f"{name} must be a real date", "day")
        try:
            day, month, year = (int(self.parts[p]) for p in self.PARTS)
            value = date(year, month, day)
        except ValueError:
            return None, (f"{name} must be a real date", "day")
        if year < 1900:
            return None, (f"{name} must be after 1900", "year")
        today = calendar.today()
        if self.future_allowed:
            return value, None
        if value > today or (value == today and not self.today_allowed):
            return None, (f"{name} must be {'today or ' if self.today_allowed else ''}in the past", "day")
        return value, None

    def pre_validate(self, form: Any) -> None:
        if self.problem:
            raise StopValidation(self.problem[0])
        if self.data is None and self.required_message:
            self.problem = (self.required_message, "day")
            raise StopValidation(self.required_message)

    @property
    def first_input_id(self) -> str:
        return f"{self.id}-{self.problem[1] if self.problem else 'day'}"

    def _value(self) -> str:
        return self.data.isoformat() if isinstance(self.data, date) else ""


def day_so_far(label: str, what: str) -> DateOfBirthField:
    """The day something happened, today at the latest; ``what`` names it in the messages ("the date
    they agreed")."""
    return DateOfBirthField(
        label,
        required_message=f"Enter {what}",
        called=what[0].upper() + what[1:],
        today_allowed=True,
        description="For example, 3 11 2026",
    )


def _iso_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


class PublicForm(FlaskForm):
    """Every public form: a honeypot that only bots fill in.

    The CSRF token is checked for every POST by CSRFProtect before any view runs, so the forms do
    not check it a second time; templates put it in with ``csrf_token()``.
    """

    class Meta:
        csrf = False

    website = StringField("Leave this box empty", validators=[Optional(), Length(max=200)])

    @property
    def is_bot(self) -> bool:
        return bool(self.website.data)

    def answers(self) -> dict[str, Any]:
        """What the person gave on this page, ready to keep in the draft (dates as ISO text)."""
        found = {}
        for name, field in self._fields.items():
            if name in {"csrf_token", "website"}:
                continue
            found[name] = field.data.isoformat() if isinstance(field.data, date) else field.data
        return found

    def error_list(self) -> list[dict[str, str]]:
        """The GOV.UK error summary: each message links to its field's first input."""
        found = []
        for field in self:
            if not field.errors:
                continue
            target = field.first_input_id if isinstance(field, DateOfBirthField) else field.id
            found.append({"text": field.errors[0], "href": f"#{target}"})
        return found


# -- professional referral ----------------------------------------------------------------------


class ReferrerForm(PublicForm):
    referrer_name = line("Your full name", NAME_MAX, required("Enter your full name"), autocomplete="name")
    referrer_role = line("Your job title or role", SHORT_MAX, required("Enter your job title or role"))
    referrer_organisation = line(
        "Your organisation", SHORT_MAX, required("Enter the name of your organisation")
    )
    referrer_agency = radios(
        "What kind of organisation is it?",
        AGENCY_CHOICES,
        required("Select the kind of organisation you work for"),
        hint="We count referrals by the kind of organisation that makes them. Choose the closest.",
        not_offered="Select the kind of organisation you work for, from the list",
    )
    referrer_email = line(
        "Your work email address",
        EMAIL_MAX,
        required("Enter your work email address"),
        EMAIL,
        hint="We will send the referral's reference here. You can use it to check progress.",
    )
    referrer_phone = line("Your work phone number (optional)", PHONE_MAX, Optional(), PHONE)


NO_CONSENT = (
    "You can only refer someone who has agreed to it. Talk to them first, then come back. "
    "If they do not agree, they can still ask for support themselves later."
)


class ConsentForm(PublicForm):
    consent = checkboxes(
        "What has the person agreed to?",
        [
            # The exact, versioned words each consent record names (hub.referrals.consent.WORDINGS).
            ("referral", WORDINGS[REFERRAL_V1]),
            ("share", WORDINGS[SHARE_V1]),
        ],
        required(NO_CONSENT),
        hint="Select all that apply. Talk to the person before you refer them.",
    )

    def validate_consent(self, field: Field) -> None:
        if "referral" not in (field.data or []):
            raise ValidationError(NO_CONSENT)


class PersonForm(PublicForm):
    full_name = line("Their full name", NAME_MAX, required("Enter their full name"))
    preferred_name = line(
        "What they like to be called (optional)",
        NAME_MAX,
        hint="We will use this name when we contact them.",
        called="The name they like to be called",
    )
    date_of_birth = DateOfBirthField(
        "Their date of birth",
        required_message="Enter their date of birth",
        description="For example, 27 3 1998",
    )
    email = line("Their email address (optional)", EMAIL_MAX, Optional(), EMAIL)
    phone = line("Their phone number (optional)", PHONE_MAX, Optional(), PHONE)
    address = text("Their address (optional)")
    postcode = line("Their postcode (optional)", POSTCODE_MAX, Optional(), POSTCODE)


class SupportForm(PublicForm):
    specialisms = checkboxes("What kind of support would help?", [], hint="Select all that apply.")
    support_wanted = text(
        "Tell us about the support they would like (optional)", called="What you tell us about the support"
    )
    preferred_provider = radios("Would they like a particular organisation? (optional)", [])


class RisksForm(PublicForm):
    current_risks = text(
        "Are there any current risks we should know about? (optional)",
        hint="For example, contact from people who exploited them, self-harm, or risks to staff.",
        called="What you tell us about current risks",
    )
    children_in_household = radios(
        "Are there children in their household?",
        [("yes", "Yes"), ("no", "No"), ("unknown", "I do not know")],
        required("Select whether there are children in their household"),
    )
    other_agencies = text(
        "Which other services are involved? (optional)",
        hint="For example, a social worker or the police.",
        called="What you tell us about other services",
    )


class AccessForm(PublicForm):
    language = line("Which language do they prefer? (optional)", 60, called="Their language")
    interpreter = radios(
        "Do they need an interpreter?", YES_NO, required("Select whether they need an interpreter")
    )
    bsl = radios("Do they use British Sign Language (BSL)?", YES_NO, required("Select whether they use BSL"))
    adjustments = text(
        "Do they need any other changes to take part? (optional)",
        hint="For example, step-free access or easy-read letters.",
        called="What you tell us about changes they need",
    )


class ProfessionalContactForm(PublicForm):
    methods = checkboxes(
        "How is it safe to contact them?",
        [*CONTACT_METHODS, REFERRER_INSTEAD],
        required("Select at least one safe way to contact them, or choose to be contacted instead"),
        hint="Select all that are safe. We will only use these.",
    )
    voicemail = radios(
        "Is it safe to leave a voicemail?",
        YES_NO_UNSURE,
        required("Select whether it is safe to leave a voicemail"),
    )
    say_who = radios(
        "Can we say who we are when we call?",
        YES_NO_UNSURE,
        required("Select whether we can say who we are"),
    )
    safe_times = line(
        "When is it safe to contact them? (optional)",
        200,
        hint="For example, weekdays after 10am.",
        called="What you tell us about safe times",
    )

    known_details: frozenset[str] = frozenset()
    """Set by the view: which of phone, email and address the person page gave."""

    def validate_methods(self, field: Field) -> None:
        chosen = set(field.data or [])
        if ContactMethod.REFERRER.value in chosen and chosen - {ContactMethod.REFERRER.value}:
            raise ValidationError(
                "You chose “None of these” and a way to contact them. Choose the safe ways, "
                "or choose to be contacted instead, not both."
            )
        missing = sorted(details_needed(field.data) - self.known_details)
        if missing:
            raise ValidationError(
                f"You chose a way to contact them, but did not give their {' or '.join(missing)}. "
                "Add it on the page about them, or choose another way."
            )


# -- self-referral ------------------------------------------------------------------------------


class AboutYouForm(PublicForm):
    preferred_name = line(
        "What would you like us to call you?",
        NAME_MAX,
        required("Tell us what you would like us to call you"),
        called="The name you would like us to use",
        hint="This can be any name. It does not need to be your legal name.",
        autocomplete="nickname",
    )
    full_name = line("Your full name (optional)", NAME_MAX, autocomplete="name")
    date_of_birth = DateOfBirthField(
        "Your date of birth (optional)",
        description="For example, 27 3 1998. This helps us find the right support.",
    )


class SelfContactForm(PublicForm):
    methods = checkboxes(
        "How is it safe for us to contact you?",
        CONTACT_METHODS,
        required("Select at least one safe way for us to contact you"),
        hint="Select all that are safe. We will only contact you in these ways.",
    )
    phone = line(
        "Phone number",
        PHONE_MAX,
        Optional(),
        PHONE,
        hint="For phone calls and text messages.",
        autocomplete="tel",
    )
    email = line("Email address", EMAIL_MAX, Optional(), EMAIL, autocomplete="email")
    address = text("Address for letters")
    postcode = line("Postcode", POSTCODE_MAX, Optional(), POSTCODE, autocomplete="postal-code")
    voicemail = radios("Is it safe for us to leave a voicemail? (optional)", YES_NO_UNSURE)
    say_who = radios("Can we say who we are when we call? (optional)", YES_NO_UNSURE)
    safe_times = line(
        "When is it safe to contact you? (optional)",
        200,
        hint="For example, weekdays after 10am.",
        called="What you tell us about safe times",
    )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for detail in sorted(details_needed(self.methods.data or [])):
            if not self[detail].data and not self[detail].errors:
                self[detail].errors.append(MISSING_DETAIL[detail])
                valid = False
        return bool(valid)


MISSING_DETAIL = {
    "phone": "Enter a phone number, or choose another way for us to contact you",
    "email": "Enter an email address, or choose another way for us to contact you",
    "address": "Enter an address for letters, or choose another way for us to contact you",
}


def details_needed(methods: Sequence[str]) -> set[str]:
    """The details about the person that the chosen ways of contact need."""
    known = {m.value: m for m in ContactMethod}
    return {need for m in methods if m in known and (need := known[m].detail_needed)}


class ProviderChoiceForm(PublicForm):
    provider = radios(
        "Which organisation would you like support from?",
        [],
        DataRequired(message="Choose an organisation, or ask us to help you choose"),
        hint="If you are not sure, we can help you choose.",
    )


CONSULTATION_CHOICES = [("yes", "Yes, you can ask me"), ("no", "No, thank you")]


class SelfSupportForm(PublicForm):
    specialisms = checkboxes("What would you like help with? (optional)", [], hint="Select all that apply.")
    support_wanted = text(
        "Is there anything else you would like us to know? (optional)",
        hint="Only tell us what you want to.",
        called="What else you would like us to know",
    )
    consultation = radios(
        "Would you like us to ask you, now and then, to help shape this service? (optional)",
        CONSULTATION_CHOICES,
        hint="We would only contact you in the ways you told us are safe. Saying no changes nothing "
        "about your support.",
    )


class StatusForm(PublicForm):
    reference = line(
        "Reference",
        20,
        required("Enter the reference"),
        hint="For example, PAS-7KQ4-M2XD",
        spellcheck="false",
    )
    proof = line(
        "Secret code, or your work email address",
        EMAIL_MAX,
        required("Enter the secret code, or the work email address you gave when you made the referral"),
        called="The secret code or work email address",
        hint="If you asked for support yourself, enter the secret code we gave you. "
        "If you referred someone, enter your work email address.",
    )
