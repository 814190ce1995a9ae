"""The forms of the retention schedule, legal holds and erasure requests. Forms validate; they never write.

CSRFProtect checks every POST's token before any view runs."""

from __future__ import annotations

from typing import Any

from wtforms import HiddenField, ValidationError

from hub.forms import StaffForm, line, radios, required, text
from hub.privacy.erasure_requests import EXEMPTIONS
from hub.privacy.schedule import Unit

KEEP = "keep"
UNITS = [(unit.value, unit.value.capitalize()) for unit in Unit] + [(KEEP, "Keep them: never erase")]


class RuleForm(StaffForm):
    """A kind's period (a whole number of a unit, or kept) and the reason for it."""

    amount = line(
        "How many",
        6,
        lambda form, field: None,  # not Optional: an empty box is checked against the unit chosen
        called="The number",
        hint="A whole number, such as 7. Leave it empty if they are kept.",
        inputmode="numeric",
        spellcheck="false",
        **{"class": "govuk-input--width-5"},
    )
    unit = radios("Of what", UNITS, required("Choose hours, days, months or years, or keep them"))
    reason = text(
        "Why they are kept this long",
        required("Say why they are kept this long"),
        called="The reason they are kept this long",
    )
    confirm = HiddenField()

    def validate_amount(self, field: Any) -> None:
        unit = self.unit.data
        if unit not in {u.value for u in Unit}:
            return
        most = Unit(unit).most
        typed = (field.data or "").strip()
        if not typed.isascii() or not typed.isdigit() or not 1 <= int(typed) <= most:
            raise ValidationError(f"Enter a whole number of {unit} from 1 to {most:,}")

    @property
    def period(self) -> tuple[int | None, Unit | None]:
        """The period as the schedule takes it; call only once the form is valid."""
        if self.unit.data == KEEP:
            return None, None
        return int(self.amount.data or 0), Unit(self.unit.data)


class HoldForm(StaffForm):
    reference = line(
        "Referral reference",
        20,
        required("Enter the referral's reference, like PAS-7KQ4-M2XD"),
        hint="Like PAS-7KQ4-M2XD",
        spellcheck="false",
        autocomplete="off",
        **{"class": "govuk-input--width-10"},
    )
    reason = text(
        "Why it must be kept",
        required("Say why the referral must be kept"),
        called="The reason",
        hint="For example, the court case or inquiry that needs it. Only data-protection officers see this.",
    )


class LiftForm(StaffForm):
    reason = text(
        "Why the hold can be lifted",
        required("Say why the hold can be lifted"),
        called="The reason the hold can be lifted",
    )


DECISIONS = [("erase", "Erase the person's details now"), ("refuse", "Refuse: an exemption applies")]


class ErasureForm(StaffForm):
    decision = radios("Your decision", DECISIONS, required("Choose a decision, to erase or to refuse"))
    exemption = radios(
        "If you refuse, the exemption that applies", list(EXEMPTIONS.items()), hint="Only when you refuse."
    )
    basis = text(
        "The legal basis for your decision",
        required("Give the legal basis for your decision"),
        called="The legal basis",
        hint="For example: UK GDPR Article 17(1)(a), the data is no longer needed. Kept sealed.",
    )
    confirm = HiddenField()

    def validate_exemption(self, field: Any) -> None:
        if self.decision.data == "refuse" and not field.data:
            raise ValidationError("Choose the exemption that applies, or choose to erase")
