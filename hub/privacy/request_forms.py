"""Forms of the requests register. Forms validate; they never write."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from wtforms import RadioField, SelectMultipleField
from wtforms.validators import InputRequired, Optional

from hub.forms import StaffForm, line, options, required, text
from hub.privacy.models import ASKER_LABELS, KIND_LABELS
from hub.referrals.intake_forms import EMAIL, PHONE, DateOfBirthField, day_so_far

NAME_MAX = 200


class NewRequestForm(StaffForm):
    kind = RadioField(
        "What did they ask for?",
        validators=[InputRequired("Choose what they ask for")],
        choices=options([(k.value, label) for k, label in KIND_LABELS.items()]),
        widget=GovRadioInput(),
    )
    person_name = line(
        "The full name of the person the request is about",
        NAME_MAX,
        required("Enter the full name of the person the request is about"),
        called="The name",
        autocomplete="off",
        spellcheck="false",
    )
    asker = RadioField(
        "Who asked?",
        validators=[InputRequired("Choose who asked")],
        choices=options([(a.value, label) for a, label in ASKER_LABELS.items()]),
        widget=GovRadioInput(),
    )
    asker_name = line(
        "If someone acted for them: their name, and how they are connected (optional)",
        NAME_MAX,
        hint=(
            "For example, a solicitor, an advocate, or a parent of a child. "
            "Check they have the person's authority."
        ),
        called="The name of the person acting for them",
        autocomplete="off",
    )
    identity_check = text(
        "How did you check who they are?",
        required("Say how you checked who they are"),
        hint=(
            "For example, the documents you saw, or the questions you asked. Do not copy the documents here."
        ),
        called="How you checked who they are",
    )
    received = day_so_far("When was the request received?", "the date the request was received")
    details = text(
        "What they asked for, in their words (optional)",
        called="What they asked for",
    )


class SearchForm(StaffForm):
    """Search by a full name with a date of birth, an email address, or a phone number."""

    name = line("Full name", NAME_MAX, autocomplete="off", spellcheck="false")
    born = DateOfBirthField("Date of birth", called="The date of birth", description="For example, 27 3 1990")
    email = line("Email address", 254, Optional(), EMAIL, autocomplete="off", spellcheck="false")
    phone = line("Phone number", 30, Optional(), PHONE, autocomplete="off")


class LinkForm(SearchForm):
    """The search again (run again on the server) and the referrals chosen from what it found."""

    referrals = SelectMultipleField("Referrals", validate_choice=False, validators=[Optional()])


class UnlinkForm(StaffForm):
    referral = line("Referral", 40, called="The referral")


class ExtendForm(StaffForm):
    further = RadioField(
        "How much longer?",
        validators=[InputRequired("Choose how much longer")],
        choices=options([("1", "One more month"), ("2", "Two more months")]),
        description="Counted from the day the request was received. Three months in all is the most.",
        widget=GovRadioInput(),
    )
    reason = text(
        "Why does it need longer?",
        required("Enter why the request needs longer"),
        hint=(
            "For example, the request is complex, or they made several. "
            "Tell the person within the first month."
        ),
        called="Why it needs longer",
    )


class CloseForm(StaffForm):
    result = RadioField(
        "Was the request done or refused?",
        validators=[InputRequired("Choose whether the request was done or refused")],
        choices=options([("done", "Done"), ("refused", "Refused")]),
        widget=GovRadioInput(),
    )
    on = day_so_far("When was it answered?", "the date it was answered")
    outcome = text(
        "What was done, or why it was refused",
        required("Say what was done, or why it was refused"),
        hint="If refused, say which exemption or reason applies.",
        called="What was done, or why it was refused",
    )
