"""The provider's own settings, and the administrators' forms for providers and specialisms.

CSRFProtect checks every POST's token before any view runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from wtforms import SelectMultipleField, ValidationError
from wtforms.validators import Optional, Regexp

from hub.forms import StaffForm, line, options, radios, required, text, whole_number
from hub.posted import WholeNumberField
from hub.providers.models import SERVES_LABELS, Serves, Specialism

LIMIT = 10_000


def _limit(label: str, hint: str) -> WholeNumberField:
    return whole_number(
        label, LIMIT, f"Enter a whole number from 0 to {LIMIT:,}, or leave it empty", width=5, hint=hint
    )


class CapacityForm(StaffForm):
    new_starts_per_quarter = _limit(
        "New people you can start with each quarter",
        "Leave it empty for no limit. Referrals waiting for your decision count against it.",
    )
    max_active = _limit(
        "People you can support at once",
        "Leave it empty for no limit. Everyone allocated to you and not yet closed or declined counts.",
    )


# -- administrators: providers and specialisms --------------------------------------------------------

AGE_LIMIT = 120
MAILBOX = Regexp(
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    message="Enter the team mailbox as an email address, like referrals@example.org, or leave it empty",
)


def _age(label: str, which: str) -> WholeNumberField:
    wrong = f"Enter the {which} age as a whole number from 0 to {AGE_LIMIT}, or leave it empty"
    return whole_number(label, AGE_LIMIT, wrong, width=3)


class ProviderForm(StaffForm):
    """A provider's details. ``provider_form`` adds one ``limit_<id>`` field for each specialism on offer."""

    offered_ids: frozenset[str] = frozenset()

    name = line("Name", 120, required("Enter the provider's name"), called="The provider's name")
    summary = text(
        "Who it supports",
        required("Describe who the provider supports, in a sentence or two"),
        called="The description of who it supports",
        hint="Shown to people choosing an organisation on the public pages. Write it for them.",
    )
    serves = radios(
        "Who it serves",
        [(s.value, SERVES_LABELS[s]) for s in Serves],
        required("Choose who the provider serves"),
    )
    min_age = _age("Youngest age it serves (optional)", "youngest")
    max_age = _age("Oldest age it serves (optional)", "oldest")
    specialisms = SelectMultipleField(
        "Specialisms it offers",
        choices=[],
        validate_choice=False,
        validators=[Optional()],
        description="Select all that apply. A referral is only offered to a provider that offers "
        "every kind of support it asks for.",
        widget=GovCheckboxesInput(),
    )
    referrals_email = line(
        "Team mailbox (optional)",
        254,
        Optional(),
        MAILBOX,
        hint="Told when a referral is allocated to the provider, with no personal details. "
        "Without one, each of its staff is told.",
        spellcheck="false",
        autocomplete="off",
    )
    new_starts_per_quarter = _limit(
        "New people it can start with each quarter (optional)",
        "Leave it empty for no limit. Offers waiting for its decision count against it.",
    )
    max_active = _limit(
        "People it can support at once (optional)",
        "Leave it empty for no limit. Everyone allocated to it and not yet closed or declined counts.",
    )

    def validate_specialisms(self, field: SelectMultipleField) -> None:
        if any(value not in self.offered_ids for value in field.data or []):
            raise ValidationError("Choose the specialisms from the list. A retired one cannot be chosen")

    def validate_max_age(self, field: WholeNumberField) -> None:
        if field.data is not None and self.min_age.data is not None and field.data < self.min_age.data:
            raise ValidationError("The oldest age must be the same as the youngest age or more")

    def limit_fields(self) -> list[tuple[int, WholeNumberField]]:
        """(specialism id, field) for each specialism's own limit, in the order offered."""
        return [(int(f.name.removeprefix("limit_")), f) for f in self if f.name.startswith("limit_")]


def provider_form(offered: Sequence[Specialism], **data: Any) -> ProviderForm:
    """The provider form offering these specialisms (those not retired), each with a limit of its own."""

    class Form(ProviderForm):
        pass

    for specialism in offered:
        setattr(
            Form,
            f"limit_{specialism.id}",
            _limit(
                f"New people asking for {specialism.label} each quarter (optional)",
                "Leave it empty to count them only in the limits above.",
            ),
        )
    form = Form(**data)
    form.specialisms.choices = options([(str(s.id), s.label) for s in offered])
    form.offered_ids = frozenset(str(s.id) for s in offered)
    return form


class SpecialismForm(StaffForm):
    label = line("Name", 120, required("Enter the specialism's name"), called="The specialism's name")
    description = text(
        "What it means (optional)",
        hint="A sentence for the triage team and the providers on what it covers.",
        called="What it means",
    )
