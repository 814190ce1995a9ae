"""The administrators' forms for the registry of outcome measures. CSRFProtect checks every POST's
token before any view runs. Forms check what was typed; hub.measures.registry checks the rules."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from wtforms import Field, StringField
from wtforms.validators import InputRequired, NumberRange, ValidationError

from hub.forms import YES_NO, StaffForm, TextInput, line, radios, required, text
from hub.measures.models import Total
from hub.measures.registry import MOST_ITEMS
from hub.posted import WholeNumberField

MOST_SCORE = 1000
TABLE_LINE = re.compile(r"^\s*([0-9]{1,4})\s*[=:,]\s*(-?[0-9]{1,5}(\.[0-9]{1,3})?)\s*$")


def _whole(label: str, low: int, high: int, hint: str = "") -> WholeNumberField:
    wrong = f"{label} must be a whole number from {low} to {high}"
    return WholeNumberField(
        label,
        message=wrong,
        too_big=wrong,
        validators=[InputRequired(f"Enter {label[:1].lower() + label[1:]}"), NumberRange(low, high, wrong)],
        description=hint,
        widget=TextInput(),
        render_kw={"inputmode": "numeric", "spellcheck": "false", "class": "govuk-input--width-3"},
    )


def _decimal_field(label: str, hint: str) -> StringField:
    return line(label, 12, required(f"Enter {label[:1].lower() + label[1:]}"), hint=hint, spellcheck="false")


def read_decimal(value: str | None) -> float | None:
    """A number as typed ("11", "6.5"), or None if it is not one."""
    typed = (value or "").strip()
    if not re.fullmatch(r"-?[0-9]{1,5}(\.[0-9]{1,3})?", typed):
        return None
    try:
        return float(Decimal(typed))
    except InvalidOperation:  # pragma: no cover  (the pattern lets through only numbers)
        return None


def read_items(value: str | None) -> list[int] | None:
    """Item numbers as typed ("2, 3"), or None if anything else was typed."""
    parts = [p for p in re.split(r"[\s,]+", value or "") if p]
    if not all(p.isascii() and p.isdigit() and len(p) <= 3 for p in parts):
        return None
    return [int(p) for p in parts]


def read_table(value: str | None) -> dict[str, float] | None:
    """A conversion table typed one line a raw total ("7 = 7.00"), or None if a line cannot be read."""
    found: dict[str, float] = {}
    for typed in (value or "").splitlines():
        if not typed.strip():
            continue
        match = TABLE_LINE.match(typed)
        if match is None:
            return None
        found[str(int(match.group(1)))] = float(Decimal(match.group(2)))
    return found


class _Scoring(StaffForm):
    """A new measure's own details, defined before the thresholds so its form asks them first (a
    form lists its fields in the order they were made)."""

    code = line(
        "Code",
        40,
        required("Enter a code for the measure"),
        hint="Small letters and numbers with dashes between, like swemwbs. It never changes.",
        spellcheck="false",
    )
    name = line("Name", 120, required("Enter the measure's name"), called="The measure's name")
    version = line("Version (optional)", 40)
    item_count = _whole("Number of items", 1, MOST_ITEMS)
    item_min = _whole("Lowest item score", 0, MOST_SCORE, "Every item shares one range.")
    item_max = _whole("Highest item score", 0, MOST_SCORE)
    reverse_items = line(
        "Reverse-scored items (optional)",
        200,
        hint="Item numbers, separated by commas, like 2, 3. "
        "The hub scores them as highest + lowest - answer.",
        spellcheck="false",
    )
    risk_items = line(
        "Risk items (optional)",
        200,
        hint="Item numbers. An answer above the lowest score on one of them shows a risk alert on the case.",
        spellcheck="false",
    )
    total = radios(
        "How is the total made?",
        [
            (Total.SUM.value, "The item scores added up"),
            (Total.TABLE.value, "The raw sum converted through a table"),
        ],
        InputRequired("Choose how the total is made"),
    )
    conversion = text(
        "Conversion table (only if the total is converted)",
        hint="One line for each raw sum, from the lowest to the highest: the raw sum, =, the score. "
        "For example 7 = 7.00",
        called="The conversion table",
    )
    higher_is_worse = radios(
        "Is a higher score worse?",
        YES_NO,
        InputRequired("Say whether a higher score is worse"),
        hint="Yes for measures of distress (CORE-10, PHQ-9); no for measures of wellbeing.",
    )


class ThresholdsForm(StaffForm):
    clinical_cutoff = _decimal_field(
        "Clinical cut-off",
        "When a higher score is worse, a total at or above it is in the clinical range; otherwise, below it.",
    )
    reliable_change = _decimal_field(
        "Reliable change", "The smallest change of the total that counts as reliable."
    )
    source = text(
        "Where the thresholds come from",
        required("Say where the thresholds come from (the citation)"),
        hint="The citation: authors, year, title, journal or manual, and page.",
        called="The citation",
    )
    licence = text(
        "Licence",
        required("Say under what licence the measure may be used"),
        hint="Who may use it and how: for example free to copy but not to change or sell, "
        "or registration needed.",
        called="The licence note",
    )

    def validate_clinical_cutoff(self, field: Field) -> None:
        if read_decimal(field.data) is None:
            raise ValidationError("The clinical cut-off must be a number, like 11 or 19.5")

    def validate_reliable_change(self, field: Field) -> None:
        value = read_decimal(field.data)
        if value is None or value <= 0:
            raise ValidationError("The reliable change must be a number more than 0, like 6 or 2.5")


class MeasureForm(_Scoring, ThresholdsForm):
    def validate_reverse_items(self, field: Field) -> None:
        if read_items(field.data) is None:
            raise ValidationError("Reverse-scored items must be item numbers separated by commas, like 2, 3")

    def validate_risk_items(self, field: Field) -> None:
        if read_items(field.data) is None:
            raise ValidationError("Risk items must be item numbers separated by commas, like 6")

    def validate_conversion(self, field: Field) -> None:
        if read_table(field.data) is None:
            raise ValidationError(
                "Each line of the conversion table must be a raw sum, =, and a score, like 7 = 7.00"
            )

    def details(self) -> dict[str, Any]:
        """What the registry's ``MeasureDetails`` takes, once the form is valid."""
        return {
            "code": self.code.data or "",
            "name": self.name.data or "",
            "version": self.version.data or "",
            "item_count": self.item_count.data,
            "item_min": self.item_min.data,
            "item_max": self.item_max.data,
            "reverse_items": read_items(self.reverse_items.data) or [],
            "risk_items": read_items(self.risk_items.data) or [],
            "total": Total(self.total.data),
            "conversion": read_table(self.conversion.data) if self.total.data == Total.TABLE.value else None,
            "higher_is_worse": self.higher_is_worse.data == "yes",
            "clinical_cutoff": read_decimal(self.clinical_cutoff.data),
            "reliable_change": read_decimal(self.reliable_change.data),
            "licence": self.licence.data or "",
            "source": self.source.data or "",
        }
