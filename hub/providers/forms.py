"""The provider's own settings. CSRFProtect checks every POST's token before any view runs."""

from __future__ import annotations

from wtforms.validators import NumberRange, Optional

from hub.forms import StaffForm, TextInput
from hub.posted import WholeNumberField

LIMIT = 10_000


def _limit(label: str, hint: str) -> WholeNumberField:
    too_big = f"Enter a whole number from 0 to {LIMIT:,}, or leave it empty"
    return WholeNumberField(
        label,
        message=too_big,
        too_big=too_big,
        validators=[
            Optional(),
            NumberRange(min=0, max=LIMIT, message=too_big),
        ],
        description=hint,
        widget=TextInput(),
        render_kw={"inputmode": "numeric", "spellcheck": "false", "class": "govuk-input--width-5"},
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
