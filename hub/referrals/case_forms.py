"""Forms on the provider's case pages. CSRFProtect checks every POST's token before any view runs."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovTextInput
from wtforms import RadioField
from wtforms.validators import InputRequired, NumberRange, Optional

from hub.auth.forms import StaffForm
from hub.posted import WholeNumberField
from hub.referrals.forms import CONTACT_METHODS, DateOfBirthField, options
from hub.referrals.models import DeclineReason, Outcome
from hub.referrals.staff_forms import note_field

SESSIONS_MAX = 1000


class DeclineForm(StaffForm):
    reason = RadioField(
        "Why are you declining?",
        validators=[InputRequired("Choose why you are declining")],
        choices=options([(r.value, r.label) for r in DeclineReason]),
        widget=GovRadioInput(),
    )
    note = note_field(
        "More about why (optional unless you chose another reason)",
        "The triage team reads this first when they look at the referral again.",
        None,
    )


class FirstContactForm(StaffForm):
    on = DateOfBirthField(
        "When did you first make contact?",
        required_message="Enter the date of first contact",
        today_allowed=True,
        description="For example, 3 11 2026",
    )
    channel = RadioField(
        "How did you make contact?",
        validators=[InputRequired("Choose how you made contact")],
        choices=options(CONTACT_METHODS),
        widget=GovRadioInput(),
    )


def _count(label: str) -> WholeNumberField:
    in_range = f"Enter a whole number from 0 to {SESSIONS_MAX:,}"
    return WholeNumberField(
        label,
        message=in_range,
        too_big=in_range,
        validators=[Optional(), NumberRange(min=0, max=SESSIONS_MAX, message=in_range)],
        widget=GovTextInput(),
        render_kw={"inputmode": "numeric", "spellcheck": "false", "class": "govuk-input--width-4"},
    )


class MeasuresForm(StaffForm):
    sessions_offered = _count("Sessions offered")
    sessions_attended = _count("Sessions attended")
    sessions_not_attended = _count("Sessions not attended")
    group_sessions = _count("Group sessions attended")
    outcome_start = _count("Outcome measure score at the start")
    outcome_end = _count("Outcome measure score at the end")


class CloseForm(StaffForm):
    outcome = RadioField(
        "How did support end?",
        validators=[InputRequired("Choose how support ended")],
        choices=options([(o.value, o.label) for o in Outcome]),
        widget=GovRadioInput(),
    )
    note = note_field("Anything the triage team should know (optional)", "", None)
