"""The return's feedback figures, counted from survivors' anonymous answers (``hub.feedback``).

A quarter with fewer responses than ``HUB_FEEDBACK_MIN_RESPONSES`` (or one not ended) has no
figure at all, not even the number of responses: a provider must not learn one person's answer
from its own return. The figures stay editable with a reason, as every pre-filled figure is.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from hub.calendar import Quarter
from hub.feedback import summary
from hub.feedback.models import Answer
from hub.feedback.questions import BY_NAME
from hub.kpi.models import Prefilled


def feedback_figures(db: Session, provider_id: int, quarter: Quarter) -> dict[str, Prefilled]:
    found = summary.tally(db, provider_id, quarter)
    least = summary.minimum()
    if not summary.shown_to_provider(found, Quarter.current()):
        why = (
            "The quarter has not ended, so no figure is shown yet."
            if quarter.key >= Quarter.current().key
            else f"Fewer than {least} people gave feedback in the quarter, so no figure is shown: "
            "with so few, one person's answers could be recognised."
        )
        return dict.fromkeys(("feedback_responses", "felt_safer_pct", "satisfied_pct"), Prefilled(None, why))
    return {
        "feedback_responses": Prefilled(
            found.responses, "People who gave anonymous feedback with a feedback code in the quarter."
        ),
        "felt_safer_pct": _yes_share(found, "felt_safer"),
        "satisfied_pct": _yes_share(found, "satisfied"),
    }


def _yes_share(found: summary.Tally, name: str) -> Prefilled:
    question = BY_NAME[name]
    answered = found.answered(question)
    return Prefilled(
        found.yes_pct(question),
        f"{found.count(name, Answer.YES)} of the {answered} people who answered “{question.text}” "
        "said “Yes” (“I'd rather not say” and blanks not counted).",
    )
