"""The commissioners' forms for targets: set or change a figure's target from a quarter on, or end one.

The figures and quarters offered are built on the server again when a form comes back, so only what the
page offered is taken; the service (``hub.kpi.targets.set_target``) checks every rule again.
"""

from __future__ import annotations

import re
from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect
from wtforms import RadioField, SelectField, ValidationError

from hub.calendar import Quarter
from hub.forms import StaffForm, line, options, required, text
from hub.kpi.models import Direction
from hub.kpi.targets import WHY_MAX, Figure, quarters_offered

NUMBER = re.compile(r"[0-9]{1,7}(\.[0-9]{1,2})?")
WHICH_WAY = "Choose which way the target is met"
NOT_A_NUMBER = "Enter the target as a number, for example 90 or 4.5"
DIRECTIONS = [
    (Direction.AT_LEAST.value, "At least the target (a higher figure is better)"),
    (Direction.AT_MOST.value, "At most the target (a lower figure is better)"),
]


def read_value(typed: str) -> float | None:
    """The target typed (``1,200``, ``4.5``, ``90%``) as a number, or None when it is not one."""
    cleaned = typed.replace(",", "").removesuffix("%").strip()
    return float(cleaned) if NUMBER.fullmatch(cleaned) else None


def _select(label: str, message: str, pairs: list[tuple[str, str]]) -> SelectField:
    return SelectField(
        label,
        choices=options([("", "Choose"), *pairs]),
        validators=[required(message)],
        invalid_choice_message=message,  # type: ignore[call-arg]  # stubs predate 3.3
        widget=GovSelect(),
    )


class _Targets(StaffForm):
    def chosen_quarter(self) -> Quarter:
        return Quarter.from_key(int(self.starts.data))


def set_form(figures: list[Figure], **kwargs: Any) -> Any:
    """The form to set or change a target, offering ``figures`` and the quarters a change may start from."""

    class SetForm(_Targets):
        code = _select("Figure", "Choose the figure", [(f.code, f.named) for f in figures])
        starts = _select("From", "Choose the quarter it starts from", _quarters())
        direction = RadioField(
            "Which way is it met?",
            choices=options(DIRECTIONS),
            validators=[required(WHICH_WAY)],
            invalid_choice_message=WHICH_WAY,  # type: ignore[call-arg]  # stubs predate 3.3
            widget=GovRadioInput(),
        )
        value = line(
            "Target",
            20,
            required(NOT_A_NUMBER),
            hint="A number, for example 90 (for a percentage, 90 means 90%).",
            inputmode="decimal",
            spellcheck="false",
            **{"class": "govuk-input--width-5"},
        )
        why = text(
            "Why this matters",
            required("Say in a sentence why this target matters"),
            called="Why this matters",
            hint=f"A short sentence, shown with the target ({WHY_MAX} characters at most).",
        )

        def validate_value(self, field: Any) -> None:
            if read_value(field.data or "") is None:
                raise ValidationError(NOT_A_NUMBER)

        def validate_why(self, field: Any) -> None:
            if len(field.data or "") > WHY_MAX:
                raise ValidationError(f"Why this matters must be {WHY_MAX} characters or fewer")

    return SetForm(**kwargs)


def end_form(figures: list[Figure], **kwargs: Any) -> Any:
    """The form to end a figure's target from a quarter on, offering the figures that have one."""

    class EndForm(_Targets):
        code = _select("Figure", "Choose the figure whose target ends", [(f.code, f.named) for f in figures])
        starts = _select("No target from", "Choose the first quarter with no target", _quarters())

    return EndForm(prefix="end", **kwargs)


def _quarters() -> list[tuple[str, str]]:
    return [(str(q.key), q.label) for q in quarters_offered()]
