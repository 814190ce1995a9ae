"""The two forms of ``/feedback``: the code, then the questions (with the code carried in a hidden box,
never in the address or the session)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from wtforms import HiddenField, RadioField, StringField
from wtforms.validators import Length, Optional, StopValidation, ValidationError

from hub.feedback import codes
from hub.feedback.models import Answer
from hub.feedback.questions import ANYTHING_ELSE, ANYTHING_ELSE_MAX, QUESTIONS
from hub.forms import clean_line, line, options, required, text

CODE_MAX = 40


def _code_shape(_form: Any, field: Any) -> None:
    if not codes.well_formed(field.data or ""):
        raise ValidationError(
            "Enter the code as it was given to you: 12 letters and numbers, like 7KQ4-MWXD-9PRT"
        )


class PublicForm(FlaskForm):
    """A public form: CSRF is checked for every POST before any view runs; a honeypot only bots fill in."""

    class Meta:
        csrf = False

    website = StringField("Leave this box empty", validators=[Optional(), Length(max=200)])

    @property
    def is_bot(self) -> bool:
        return bool(self.website.data)

    def error_list(self) -> list[dict[str, str]]:
        """The GOV.UK error summary: each message links to its field."""
        return [{"text": field.errors[0], "href": f"#{field.id}"} for field in self if field.errors]


class CodeForm(PublicForm):
    code = line(
        "Your feedback code",
        CODE_MAX,
        required("Enter your feedback code"),
        _code_shape,
        hint="For example, 7KQ4-MWXD-9PRT. Capital letters, spaces and dashes do not matter.",
        autocomplete="off",
        spellcheck="false",
        autocapitalize="characters",
    )


class AnswerField(RadioField):
    """An optional question: blank is an answer too, and only the answers shown are taken."""

    def pre_validate(self, form: Any) -> None:
        if self.data in (None, "", "None"):
            self.data = None
            raise StopValidation
        if self.data not in {choice[0] for choice in self.iter_choices()}:
            raise StopValidation("Choose one of the answers shown, or leave the question blank")


def _question(label: str, choices: tuple[tuple[Answer, str], ...]) -> AnswerField:
    return AnswerField(
        label,
        choices=options([(answer.value, words) for answer, words in choices]),
        validators=[Optional()],
        widget=GovRadioInput(),
    )


class QuestionsForm(PublicForm):
    code = HiddenField(
        "Your feedback code",
        filters=[clean_line],
        validators=[
            Length(max=CODE_MAX, message=f"Your feedback code must be {CODE_MAX} characters or fewer"),
            _code_shape,
        ],
    )
    felt_safer = _question(QUESTIONS[0].text, QUESTIONS[0].choices)
    listened_to = _question(QUESTIONS[1].text, QUESTIONS[1].choices)
    in_control = _question(QUESTIONS[2].text, QUESTIONS[2].choices)
    satisfied = _question(QUESTIONS[3].text, QUESTIONS[3].choices)
    recommend = _question(QUESTIONS[4].text, QUESTIONS[4].choices)
    anything_else = text(
        ANYTHING_ELSE,
        hint="Please do not write anyone's name, yours included, so that no one can tell who wrote it. "
        f"Up to {ANYTHING_ELSE_MAX:,} characters.",
        called="What you would like to tell us",
    )

    def answers(self) -> codes.Answers:
        chosen = {q.name: Answer(self[q.name].data) if self[q.name].data else None for q in QUESTIONS}
        return codes.Answers(chosen, self.anything_else.data or "")
