"""Feedback counted: for each provider and quarter, how many answered each way, counted in SQL.

Providers see a quarter (its counts and what people wrote) only once it has ended and has at least
``HUB_FEEDBACK_MIN_RESPONSES`` responses, so no answer can be picked out as one person's: a quarter
still running would show each new answer as it came. Commissioners see every quarter.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.calendar import Quarter
from hub.config import current_config
from hub.feedback.models import Answer, FeedbackResponse
from hub.feedback.questions import QUESTIONS, Question


@dataclass
class Tally:
    """One provider's responses in one quarter: how many, and how many gave each answer to each question."""

    provider_id: int
    quarter: Quarter
    responses: int = 0
    counts: dict[str, dict[Answer, int]] = field(default_factory=dict)

    def count(self, question: str, answer: Answer) -> int:
        return self.counts.get(question, {}).get(answer, 0)

    def answered(self, question: Question) -> int:
        """Responses that gave an answer to the question ("rather not say" and blanks not counted)."""
        return sum(self.count(question.name, a) for a in question.answers if a is not Answer.RATHER_NOT_SAY)

    def yes_pct(self, question: Question) -> float | None:
        """The share answering "Yes" of those who answered, to one decimal place; None when none did."""
        answered = self.answered(question)
        return round(100 * self.count(question.name, Answer.YES) / answered, 1) if answered else None


def tallies(db: Session, provider_id: int | None = None, quarter: Quarter | None = None) -> list[Tally]:
    """Every provider's and quarter's tally (or one provider's, or one quarter's), newest quarter first."""
    columns = [FeedbackResponse.provider_id, FeedbackResponse.quarter, func.count()]
    for question in QUESTIONS:
        column = getattr(FeedbackResponse, question.name)
        columns += [func.count().filter(column == answer) for answer in question.answers]
    query = select(*columns).group_by(FeedbackResponse.provider_id, FeedbackResponse.quarter)
    if provider_id is not None:
        query = query.where(FeedbackResponse.provider_id == provider_id)
    if quarter is not None:
        query = query.where(FeedbackResponse.quarter == quarter.key)
    found = []
    for row in db.execute(query):
        counts = iter(row[3:])
        tally = Tally(row[0], Quarter.from_key(row[1]), row[2])
        for question in QUESTIONS:
            tally.counts[question.name] = {answer: next(counts) for answer in question.answers}
        found.append(tally)
    return sorted(found, key=lambda t: (-t.quarter.key, t.provider_id))


def tally(db: Session, provider_id: int, quarter: Quarter) -> Tally:
    return next(iter(tallies(db, provider_id, quarter)), Tally(provider_id, quarter))


def minimum() -> int:
    return current_config().feedback_min_responses


def shown_to_provider(found: Tally, now: Quarter) -> bool:
    """A provider sees a quarter that has ended and has enough responses that no one can be recognised."""
    return found.quarter.key < now.key and found.responses >= minimum()


def written(db: Session, provider_id: int, quarter: Quarter) -> list[str]:
    """What people wrote in the quarter, in an order that says nothing about when (alphabetical)."""
    rows = db.scalars(
        select(FeedbackResponse).where(
            FeedbackResponse.provider_id == provider_id,
            FeedbackResponse.quarter == quarter.key,
            getattr(FeedbackResponse, FeedbackResponse.anything_else.column).is_not(None),
        )
    )
    return sorted(text for row in rows if (text := row.anything_else))


def by_quarter(found: list[Tally]) -> dict[Quarter, list[Tally]]:
    grouped: dict[Quarter, list[Tally]] = defaultdict(list)
    for item in found:
        grouped[item.quarter].append(item)
    return dict(grouped)


@dataclass(frozen=True)
class QuarterShown:
    """One quarter of one provider's feedback as a page shows it: withheld when too few to show."""

    tally: Tally
    shown: bool
    written: list[str]

    def rows(self) -> list[tuple[str, list[tuple[str, int]], int]]:
        """Each question, each answer's words and count, and how many left it blank."""
        return [
            (
                q.text,
                [(words, self.tally.count(q.name, answer)) for answer, words in q.choices],
                self.tally.responses - sum(self.tally.count(q.name, a) for a in q.answers),
            )
            for q in QUESTIONS
        ]


def for_provider(db: Session, provider_id: int, now: Quarter) -> list[QuarterShown]:
    """The provider's quarters that may be shown to it, newest first. A quarter not shown is not listed
    at all: listing it would say that someone answered, and roughly when."""
    return [
        QuarterShown(item, True, written(db, provider_id, item.quarter))
        for item in tallies(db, provider_id)
        if shown_to_provider(item, now)
    ]


def for_commissioners(db: Session) -> dict[Quarter, list[QuarterShown]]:
    """Every provider's feedback in every quarter, newest first, all of it shown."""
    return {
        quarter: [QuarterShown(t, True, written(db, t.provider_id, quarter)) for t in items]
        for quarter, items in by_quarter(tallies(db)).items()
    }
