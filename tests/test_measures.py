"""Scoring and the Jacobson-Truax classification of each seeded measure, on crafted answers exactly at,
one below and one above the clinical cut-off and the reliable-change threshold; reverse-scored items; a
measure where a higher score is better, with a (made-up) conversion table; and refusals of answers that
cannot be scored."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.measures.models import OutcomeMeasure, Total
from hub.measures.scoring import Change, Score, ScoringError, classify, score


def seeded(db: Session, code: str) -> OutcomeMeasure:
    return db.scalars(select(OutcomeMeasure).where(OutcomeMeasure.code == code)).one()


def answers_for(measure: OutcomeMeasure, total: int) -> list[int]:
    """Raw answers (as the person gave them, before reversing) whose scored total is ``total``."""
    scores = [0] * measure.item_count
    left = total
    for i in range(measure.item_count):
        scores[i] = min(measure.item_max, left)
        left -= scores[i]
    assert left == 0, "the total is reachable"
    reverse = set(measure.reverse_items)
    return [measure.item_max + measure.item_min - s if i + 1 in reverse else s for i, s in enumerate(scores)]


SEEDED = {
    # code: items, lowest, highest, cut-off, reliable change, reverse items, risk items
    "core-10": (10, 0, 4, 11, 6, [2, 3], [6]),
    "phq-9": (9, 0, 3, 10, 6, [], [9]),
    "gad-7": (7, 0, 3, 8, 4, [], []),
}


@pytest.mark.parametrize("code", list(SEEDED))
def test_each_seeded_measure_has_its_published_shape(db_session: Session, code: str) -> None:
    measure = seeded(db_session, code)
    items, low, high, cutoff, reliable, reverse, risk = SEEDED[code]
    assert (measure.item_count, measure.item_min, measure.item_max) == (items, low, high)
    assert (measure.clinical_cutoff, measure.reliable_change) == (cutoff, reliable)
    assert (measure.reverse_items, measure.risk_items, measure.total) == (reverse, risk, Total.SUM)
    assert measure.higher_is_worse and measure.active
    assert measure.source and measure.licence, "every threshold has its citation, every measure its licence"
    assert (measure.lowest, measure.highest) == (0, items * high)


@pytest.mark.parametrize("code", list(SEEDED))
def test_the_clinical_range_starts_exactly_at_the_cut_off(db_session: Session, code: str) -> None:
    measure = seeded(db_session, code)
    cutoff = int(measure.clinical_cutoff)
    for total, clinical in ((cutoff - 1, False), (cutoff, True), (cutoff + 1, True)):
        found = score(measure, answers_for(measure, total))
        assert (found.total, found.clinical) == (total, clinical), total


@pytest.mark.parametrize("code", list(SEEDED))
def test_a_change_counts_as_reliable_exactly_at_the_threshold(db_session: Session, code: str) -> None:
    measure = seeded(db_session, code)
    reliable, top = int(measure.reliable_change), int(measure.highest)
    start = score(measure, answers_for(measure, top))  # in the clinical range

    def change(end_total: int, begin: Score = start) -> Change:
        return classify(measure, begin, score(measure, answers_for(measure, end_total)))

    assert change(top - reliable + 1) is Change.NO_CHANGE, "one short of the threshold"
    assert change(top - reliable) is Change.IMPROVED, "exactly the threshold, still in the clinical range"
    assert change(top - reliable - 1) is Change.IMPROVED
    assert change(top) is Change.NO_CHANGE
    low = score(measure, answers_for(measure, 0))
    assert change(reliable - 1, low) is Change.NO_CHANGE
    assert change(reliable, low) is Change.DETERIORATED
    assert change(reliable + 1, low) is Change.DETERIORATED


@pytest.mark.parametrize("code", list(SEEDED))
def test_recovered_needs_a_reliable_change_and_leaving_the_clinical_range(
    db_session: Session, code: str
) -> None:
    measure = seeded(db_session, code)
    cutoff, reliable = int(measure.clinical_cutoff), int(measure.reliable_change)
    at = score(measure, answers_for(measure, cutoff))  # just in the clinical range
    high = score(measure, answers_for(measure, cutoff + reliable))
    assert classify(measure, high, score(measure, answers_for(measure, cutoff - 1))) is Change.RECOVERED
    assert classify(measure, high, score(measure, answers_for(measure, cutoff))) is Change.IMPROVED, (
        "ending exactly at the cut-off is still in the clinical range"
    )
    # Leaving the clinical range without a reliable change is no reliable change.
    assert classify(measure, at, score(measure, answers_for(measure, cutoff - 1))) is Change.NO_CHANGE
    # Starting outside the clinical range, a reliable improvement is an improvement only.
    below = score(measure, answers_for(measure, cutoff - 1))
    if cutoff - 1 - reliable >= 0:
        assert classify(measure, below, score(measure, answers_for(measure, cutoff - 1 - reliable))) is (
            Change.IMPROVED
        )


def test_core_10_reverses_items_2_and_3_and_flags_item_6(db_session: Session) -> None:
    measure = seeded(db_session, "core-10")
    assert score(measure, [0] * 10).total == 8, "items 2 and 3 answered 0 score 4 each"
    assert score(measure, [0, 4, 4, 0, 0, 0, 0, 0, 0, 0]).total == 0
    assert score(measure, [4] * 10).total == 32
    assert score(measure, [0, 4, 4, 0, 0, 0, 0, 0, 0, 0]).risk_items == ()
    assert score(measure, [0, 4, 4, 0, 0, 1, 0, 0, 0, 0]).risk_items == (6,)
    assert score(seeded(db_session, "phq-9"), [0] * 8 + [2]).risk_items == (9,)
    assert score(seeded(db_session, "gad-7"), [3] * 7).risk_items == ()


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([0] * 9, "CORE-10 has 10 items, so it needs 10 scores, not 9"),
        ([0] * 11, "CORE-10 has 10 items, so it needs 10 scores, not 11"),
        ([0] * 9 + [5], "Item 10 must be a whole number from 0 to 4"),
        ([-1] + [0] * 9, "Item 1 must be a whole number from 0 to 4"),
        ([0, True] + [0] * 8, "Item 2 must be a whole number from 0 to 4"),
        ([0, 1.5] + [0] * 8, "Item 2 must be a whole number from 0 to 4"),
    ],
)
def test_answers_that_cannot_be_scored_are_refused_with_a_clear_message(
    db_session: Session, answers: list[int], message: str
) -> None:
    with pytest.raises(ScoringError, match=message):
        score(seeded(db_session, "core-10"), answers)


def wellbeing() -> OutcomeMeasure:
    """A made-up wellbeing measure (not SWEMWBS's real table): 3 items scored 1 to 5, higher is better,
    the raw sum converted through a table, in the clinical range below 7.5, reliable change 2.5."""
    table = {str(raw): round(raw * 1.5 - 1.25, 2) for raw in range(3, 16)}
    return OutcomeMeasure(
        code="made-up",
        name="Made-up wellbeing",
        item_count=3,
        item_min=1,
        item_max=5,
        reverse_items=[3],
        risk_items=[],
        total=Total.TABLE,
        conversion=table,
        higher_is_worse=False,
        clinical_cutoff=7.5,
        reliable_change=2.5,
    )


def test_a_measure_where_higher_is_better_converts_through_its_table() -> None:
    measure = wellbeing()
    # Raw 1 + 1 + (6 - 5 = 1) = 3, converted to 3.25.
    low = score(measure, [1, 1, 5])
    assert (low.total, low.clinical) == (3.25, True)
    assert score(measure, [3, 2, 4]).total == 9.25  # raw 3 + 2 + (6 - 4) = 7
    at = score(measure, [3, 2, 3])  # raw 3 + 2 + 3 = 8 -> 10.75
    assert (at.total, at.clinical) == (10.75, False)
    assert measure.describe_range() == "below 7.5"
    assert classify(measure, low, score(measure, [2, 1, 5])) is Change.NO_CHANGE  # 3.25 -> 4.75: 1.5 better
    assert classify(measure, low, score(measure, [2, 2, 5])) is Change.IMPROVED  # -> 6.25: 3 better, still in
    assert classify(measure, low, at) is Change.RECOVERED
    assert classify(measure, at, low) is Change.DETERIORATED


def test_a_risk_item_on_a_measure_scored_from_1_alerts_only_above_its_lowest_answer() -> None:
    measure = wellbeing()
    measure.risk_items = [2]
    assert score(measure, [3, 1, 3]).risk_items == (), "the lowest answer is 1, not 0"
    assert score(measure, [3, 2, 3]).risk_items == (2,)


def test_a_raw_sum_missing_from_the_table_is_refused() -> None:
    measure = wellbeing()
    measure.conversion = {"3": 3.25}
    with pytest.raises(ScoringError, match="has no score for a raw total of 4"):
        score(measure, [2, 1, 5])
