"""What every form shares: a form base without its own CSRF check, text boxes that clean what is typed,
choices from (value, label) pairs, and radios and checkboxes in the GOV.UK style.

CSRFProtect checks every POST's token before any view runs, so forms do not check it a second time;
templates put it in with ``csrf_token()``. Forms validate; they never write.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovRadioInput, GovTextArea, GovTextInput
from wtforms import RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs predate 3.3
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from hub.posted import WholeNumberField

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")

TEXT_MAX = 2000

YES_NO = [("yes", "Yes"), ("no", "No")]
YES_NO_UNSURE = [("yes", "Yes"), ("no", "No"), ("unsure", "Not sure")]


class TextInput(GovTextInput):
    """A GOV.UK text input that takes its width from the field's ``class`` (``govuk-input--width-5``).

    The component writes its own ``class`` attribute, so a ``class`` passed on as a plain attribute
    would be a second one, which browsers ignore: it becomes the component's ``classes`` instead.
    """

    def map_gov_params(self, field: Any, **kwargs: Any) -> dict[str, Any]:
        sized = kwargs.pop("class", "")
        params: dict[str, Any] = super().map_gov_params(field, **kwargs)
        if sized:
            params["classes"] = " ".join(filter(None, [params.get("classes"), sized]))
        return params


class StaffForm(FlaskForm):
    """Every form a signed-in member of staff posts."""

    class Meta:
        csrf = False


def clean_line(value: Any) -> Any:
    """One line of text: no control characters, no surrounding spaces."""
    if not isinstance(value, str):
        return value
    return " ".join(_CONTROL.sub("", value).split())


def clean_text(value: Any) -> Any:
    """Several lines of text: keep the line breaks, drop other control characters."""
    if not isinstance(value, str):
        return value
    lines = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def too_long(label: str, max_length: int, called: str = "") -> Length:
    """The length limit, with a message naming the box: ``called`` ("The support they would like"), or
    the label when it is already a name ("Their full name (optional)": "Their full name"). A label
    that asks a question or gives an instruction cannot start a sentence, so it must say ``called``."""
    name = called or label.removesuffix(" (optional)")
    if not called and (name.endswith("?") or name.split(" ", 1)[0] in INSTRUCTIONS):
        raise TypeError(f"say what {label!r} is called in its messages (called=...)")
    return Length(max=max_length, message=f"{name} must be {max_length:,} characters or fewer")


INSTRUCTIONS = frozenset(
    {"Tell", "Say", "Enter", "Choose", "Select", "Give", "What", "Who", "When", "Why", "How"}
)
"""A label starting with one of these is a question or an instruction, not a name."""


def whole_number(label: str, most: int, wrong: str, *, width: int, hint: str = "") -> WholeNumberField:
    """An optional whole number from 0 to ``most``; ``wrong`` says what to enter instead of anything
    else (letters, a negative, too large), and what was typed is kept to show again."""
    return WholeNumberField(
        label,
        message=wrong,
        too_big=wrong,
        validators=[Optional(), NumberRange(min=0, max=most, message=wrong)],
        description=hint,
        widget=TextInput(),
        render_kw={"inputmode": "numeric", "spellcheck": "false", "class": f"govuk-input--width-{width}"},
    )


def line(
    label: str, max_length: int, *validators: Any, hint: str = "", called: str = "", **attributes: Any
) -> StringField:
    """A one-line text box; extra keywords become HTML attributes (autocomplete, spellcheck)."""
    return StringField(
        label,
        validators=[*(validators or [Optional()]), too_long(label, max_length, called)],
        filters=[clean_line],
        description=hint,
        widget=TextInput(),
        render_kw={"maxlength": max_length, **attributes},
    )


def text(label: str, *validators: Any, hint: str = "", called: str = "") -> TextAreaField:
    return TextAreaField(
        label,
        validators=[*(validators or [Optional()]), too_long(label, TEXT_MAX, called)],
        filters=[clean_text],
        description=hint,
        widget=GovTextArea(),
    )


def options(pairs: Sequence[tuple[str, str]]) -> list[SelectChoice]:
    """Choices for radios and checkboxes, from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def required(message: str) -> DataRequired:
    """An answer is needed. It is judged after cleaning, so spaces or invisible characters are no answer."""
    return DataRequired(message=message)


def checkboxes(
    label: str, choices: Sequence[tuple[str, str]], *validators: Any, hint: str = "", not_offered: str = ""
) -> SelectMultipleField:
    """``not_offered``: what to say when an answer posted is not one of the choices (no "%" in it)."""
    return SelectMultipleField(
        label,
        choices=options(choices),
        validators=list(validators) or [Optional()],
        description=hint,
        widget=GovCheckboxesInput(),
        invalid_choice_message=not_offered or None,  # type: ignore[call-arg]  # stubs predate 3.3
    )


def radios(
    label: str, choices: Sequence[tuple[str, str]], *validators: Any, hint: str = "", not_offered: str = ""
) -> RadioField:
    """``not_offered``: what to say when the answer posted is not one of the choices (a changed page)."""
    return RadioField(
        label,
        choices=options(choices),
        validators=list(validators) or [Optional()],
        description=hint,
        widget=GovRadioInput(),
        invalid_choice_message=not_offered or None,  # type: ignore[call-arg]  # stubs predate 3.3
    )
