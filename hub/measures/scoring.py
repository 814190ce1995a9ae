"""Scoring a measure's item scores, and the Jacobson-Truax classification of a start and an end score.

Jacobson, N. S. and Truax, P. (1991) "Clinical significance: a statistical approach to defining
meaningful change in psychotherapy research", Journal of Consulting and Clinical Psychology 59(1):12-19.
A change is reliable when it is at least the measure's ``reliable_change`` in the better direction (or
the worse); an improvement is also clinically significant when the person started in the clinical range
and ended out of it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from hub.measures.models import OutcomeMeasure, Total, number_text


class ScoringError(ValueError):
    """The item scores cannot be scored; the message says why, for the member of staff."""

    def __init__(self, message: str, item: int | None = None) -> None:
        super().__init__(message)
        self.item = item  # the item (from 1) the message is about, if it is about one


class Change(enum.StrEnum):
    RECOVERED = "recovered"
    IMPROVED = "improved"
    NO_CHANGE = "no_change"
    DETERIORATED = "deteriorated"

    @property
    def label(self) -> str:
        return CHANGE_LABELS[self]


CHANGE_LABELS = {
    Change.RECOVERED: "Reliable and clinically significant improvement (recovered)",
    Change.IMPROVED: "Reliable improvement",
    Change.NO_CHANGE: "No reliable change",
    Change.DETERIORATED: "Reliable deterioration",
}


@dataclass(frozen=True)
class Score:
    total: float
    clinical: bool
    """In the clinical range: at or above the cut-off when higher is worse, below it otherwise."""
    risk_items: tuple[int, ...] = ()
    """The risk items (numbered from 1) answered above the lowest score."""

    @property
    def total_text(self) -> str:
        return number_text(self.total)


def score(measure: OutcomeMeasure, items: Sequence[int]) -> Score:
    """The total, whether it is in the clinical range, and which risk items were answered above the
    lowest score.

    Refuses (:class:`ScoringError`) a wrong number of item scores, or a score that is not a whole
    number in the items' range. Reverse-scored items count as ``item_max + item_min - answer``.
    """
    if len(items) != measure.item_count:
        raise ScoringError(
            f"{measure.name} has {measure.item_count} items, so it needs {measure.item_count} scores, "
            f"not {len(items)}"
        )
    for number, answer in enumerate(items, start=1):
        if (
            not isinstance(answer, int)
            or isinstance(answer, bool)
            or not measure.item_min <= answer <= measure.item_max
        ):
            raise ScoringError(
                f"Item {number} must be a whole number from {measure.item_min} to {measure.item_max}", number
            )
    reverse = set(measure.reverse_items or [])
    raw = sum(
        measure.item_max + measure.item_min - answer if number in reverse else answer
        for number, answer in enumerate(items, start=1)
    )
    total = float(raw)
    if measure.total is Total.TABLE:
        table = measure.conversion or {}
        if str(raw) not in table:
            raise ScoringError(
                f"The conversion table of {measure.name} has no score for a raw total of {raw}"
            )
        total = float(table[str(raw)])
    risky = tuple(
        n
        for n in sorted(set(measure.risk_items or []))
        if 1 <= n <= len(items) and items[n - 1] > measure.item_min
    )
    return Score(total, in_clinical_range(measure, total), risky)


def in_clinical_range(measure: OutcomeMeasure, total: float) -> bool:
    if measure.higher_is_worse:
        return total >= measure.clinical_cutoff
    return total < measure.clinical_cutoff


def classify(measure: OutcomeMeasure, start: Score, end: Score) -> Change:
    """Jacobson-Truax: recovered (reliable improvement, from in the clinical range to out of it),
    improved (reliable improvement only), no reliable change, or reliable deterioration."""
    better = start.total - end.total if measure.higher_is_worse else end.total - start.total
    # Totals from a conversion table have decimals: compare at a precision no table goes beyond.
    better = round(better, 6)
    if better >= measure.reliable_change:
        return Change.RECOVERED if start.clinical and not end.clinical else Change.IMPROVED
    if -better >= measure.reliable_change:
        return Change.DETERIORATED
    return Change.NO_CHANGE
