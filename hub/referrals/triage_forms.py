"""Forms on the triage team's pages. CSRFProtect checks every POST's token before any view runs."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovRadioInput, GovTextArea
from wtforms import HiddenField, RadioField, SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Optional

from hub.forms import TEXT_MAX, StaffForm, clean_text, required, too_long


def note_field(label: str, hint: str, needed: str | None, called: str = "The note") -> TextAreaField:
    """A note of up to 2,000 characters; ``called`` names it in a message ("The reason")."""
    validators = [required(needed) if needed else Optional(), too_long(label, TEXT_MAX, called)]
    return TextAreaField(
        label,
        validators=validators,
        description=hint,
        filters=[clean_text],
        widget=GovTextArea(),
        render_kw={"rows": 3},
    )


class AllocateForm(StaffForm):
    provider = RadioField("Provider", validators=[InputRequired("Choose a provider")], widget=GovRadioInput())
    reason = note_field(
        "Why this provider (needed if it is not the recommended one)",
        "The provider will see this reason. Do not repeat what the referral already says.",
        None,
        called="The reason",
    )


class RequestInformationForm(StaffForm):
    note = note_field(
        "What information is needed, and from whom",
        "",
        "Say what information is needed",
        called="The information needed",
    )


class InformationReceivedForm(StaffForm):
    note = note_field("What was received (optional)", "", None, called="The note of what was received")


class SignpostForm(StaffForm):
    note = note_field(
        "Where the person was signposted",
        "Name the service and how they were told.",
        "Say where the person was signposted",
        called="The note of where they were signposted",
    )


class WithdrawForm(StaffForm):
    note = note_field(
        "Why the referral was withdrawn",
        "For example, who asked for it to be withdrawn.",
        "Say why the referral was withdrawn",
        called="The reason the referral was withdrawn",
    )


class PlanForm(StaffForm):
    pairs = SelectMultipleField(
        "Allocations to make",
        validators=[InputRequired("Choose at least one allocation to make")],
        widget=GovCheckboxesInput(),
    )
    # The signed set of pairs the page offered (hub.referrals.allocation.sign_offer).
    offer = HiddenField()
