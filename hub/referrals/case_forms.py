"""Forms on the provider's case pages. CSRFProtect checks every POST's token before any view runs."""

from __future__ import annotations

from typing import Any, cast

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from wtforms import Field, RadioField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from hub.forms import YES_NO, StaffForm, TextInput, options, whole_number
from hub.measures.models import OutcomeMeasure
from hub.posted import WholeNumberField
from hub.referrals.intake_forms import day_so_far
from hub.referrals.models import ContactMethod, DeclineReason, MeasurePoint, Outcome, SafeContact
from hub.referrals.triage_forms import note_field

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
        called="More about why",
    )


class FirstContactForm(StaffForm):
    """Offers only the ways the person said are safe (set again from the case when the form comes back)."""

    on = day_so_far("When did you first make contact?", "the date of first contact")
    channel = RadioField(
        "How did you make contact?",
        validators=[InputRequired("Choose how you made contact")],
        choices=[],
        validate_choice=False,  # checked below, with a message that says what to do
        widget=GovRadioInput(),
    )
    voicemail_left = RadioField(
        "If you phoned, did you leave a voicemail?",
        validators=[Optional()],
        choices=options(YES_NO),
        validate_choice=False,  # anything else reads as no answer, and the service asks again
        description="Only leave one if the person said it is safe.",
        widget=GovRadioInput(),
    )
    service_named = RadioField(
        "If you phoned, did you say who you are (the name of your service)?",
        validators=[Optional()],
        choices=options(YES_NO),
        validate_choice=False,
        description="Only say who you are if the person said it is safe.",
        widget=GovRadioInput(),
    )

    offered: frozenset[str] = frozenset()

    def offer(self, safe: SafeContact) -> None:
        self.offered = frozenset(m.value for m in safe.methods)
        self.channel.choices = options([(m.value, m.label) for m in safe.methods])
        if not safe.allows(ContactMethod.PHONE):  # the questions about a phone call do not arise
            del self["voicemail_left"]
            del self["service_named"]

    def validate_channel(self, field: Field) -> None:
        if field.data in self.offered:
            return
        known = {m.value: m for m in ContactMethod}
        if field.data in known:
            raise ValidationError(
                f"{known[field.data].label} is not one of the ways the person said is safe to contact them. "
                "Use one of the safe ways shown."
            )
        raise ValidationError("Choose how you made contact, from the ways shown")

    def answers(self) -> dict[str, Any]:
        """The keyword arguments for ``cases.record_first_contact``."""
        return {
            name: _yes_no(self[name].data) for name in ("voicemail_left", "service_named") if name in self
        }


def _yes_no(value: Any) -> bool | None:
    return {"yes": True, "no": False}.get(value) if isinstance(value, str) else None


def _count(label: str) -> WholeNumberField:
    return whole_number(label, SESSIONS_MAX, f"Enter a whole number from 0 to {SESSIONS_MAX:,}", width=4)


class MeasuresForm(StaffForm):
    sessions_offered = _count("Sessions offered")
    sessions_attended = _count("Sessions attended")
    sessions_not_attended = _count("Sessions not attended")
    group_sessions = _count("Group sessions attended")


class CloseForm(StaffForm):
    outcome = RadioField(
        "How did support end?",
        validators=[InputRequired("Choose how support ended")],
        choices=options([(o.value, o.label) for o in Outcome]),
        widget=GovRadioInput(),
    )
    note = note_field(
        "Anything the triage team should know (optional)", "", None, called="The note for the triage team"
    )


class OutcomeMeasureForm(StaffForm):
    """One outcome measure: when it was taken, the day, and a box for each item (added for the measure
    by :func:`outcome_measure_form`). The measure itself is posted beside the form and checked by the
    service against the measures in use."""

    point = RadioField(
        "When in their support was it taken?",
        validators=[InputRequired("Choose when the measure was taken")],
        choices=options([(p.value, p.label) for p in MeasurePoint]),
        validate_choice=False,  # the service refuses anything else, saying what to choose
        widget=GovRadioInput(),
    )
    taken_on = day_so_far("What day was it taken?", "the day the measure was taken")

    measure: OutcomeMeasure | None = None
    measure_code = ""

    def answers(self) -> list[int]:
        """The item scores, in item order (the form has checked each is given and in range)."""
        count = self.measure.item_count if self.measure else 0
        return [self[f"item_{n}"].data for n in range(1, count + 1)]


def _item(number: int, measure: OutcomeMeasure) -> WholeNumberField:
    low, high = measure.item_min, measure.item_max
    wrong = f"Enter a score for item {number}, a whole number from {low} to {high}"
    return WholeNumberField(
        f"Item {number}",
        message=wrong,
        too_big=wrong,
        validators=[InputRequired(wrong), NumberRange(min=low, max=high, message=wrong)],
        description=f"From {low} to {high}",
        widget=TextInput(),
        render_kw={"inputmode": "numeric", "spellcheck": "false", "class": "govuk-input--width-2"},
    )


def outcome_measure_form(measure: OutcomeMeasure | None) -> type[OutcomeMeasureForm]:
    """The form for one measure: a box for each of its items, with the items' range."""
    if measure is None:
        return OutcomeMeasureForm
    fields = {f"item_{n}": _item(n, measure) for n in range(1, measure.item_count + 1)}
    made = cast(
        type[OutcomeMeasureForm], type(f"OutcomeMeasureForm_{measure.id}", (OutcomeMeasureForm,), fields)
    )
    made.measure, made.measure_code = measure, measure.code
    return made
