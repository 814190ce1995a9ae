"""The questions a person is asked, in the order asked, each with the answers it offers.

Every question is optional and offers "I'd rather not say". The words were written for this service:
plain, short, and about the person's own experience.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.feedback.models import Answer

RATHER_NOT_SAY = (Answer.RATHER_NOT_SAY, "I'd rather not say")


@dataclass(frozen=True)
class Question:
    name: str
    """The answer's column on ``FeedbackResponse``."""
    text: str
    choices: tuple[tuple[Answer, str], ...]
    short: str
    """What a table of counts calls it."""

    @property
    def answers(self) -> tuple[Answer, ...]:
        return tuple(answer for answer, _ in self.choices)


QUESTIONS = (
    Question(
        "felt_safer",
        "Do you feel safer than before you came to us?",
        ((Answer.YES, "Yes"), (Answer.A_LITTLE, "A little"), (Answer.NO, "No"), RATHER_NOT_SAY),
        "Felt safer",
    ),
    Question(
        "listened_to",
        "Did you feel listened to?",
        ((Answer.YES, "Yes"), (Answer.SOMETIMES, "Sometimes"), (Answer.NO, "No"), RATHER_NOT_SAY),
        "Listened to",
    ),
    Question(
        "in_control",
        "Did you feel in control of what happened?",
        ((Answer.YES, "Yes"), (Answer.SOMETIMES, "Sometimes"), (Answer.NO, "No"), RATHER_NOT_SAY),
        "In control",
    ),
    Question(
        "satisfied",
        "Were you satisfied with the support you had?",
        ((Answer.YES, "Yes"), (Answer.PARTLY, "Partly"), (Answer.NO, "No"), RATHER_NOT_SAY),
        "Satisfied",
    ),
    Question(
        "recommend",
        "Would you recommend us to someone in a similar situation?",
        ((Answer.YES, "Yes"), (Answer.MAYBE, "Maybe"), (Answer.NO, "No"), RATHER_NOT_SAY),
        "Would recommend",
    ),
)
BY_NAME = {question.name: question for question in QUESTIONS}

ANYTHING_ELSE = "Is there anything else you would like to tell us?"
ANYTHING_ELSE_MAX = 2000
