"""A case's outcome measures, read back: each record scored, each measure's start and end paired and
classified (Jacobson and Truax), and any risk item answered above 0.

The pairing rule has its one home here (:func:`pair_of`); the KPI return counts with it too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hub.measures.models import OutcomeMeasure
from hub.measures.scoring import Change, Score, ScoringError, classify, score
from hub.referrals.models import MeasurePoint, MeasureRecord


@dataclass(frozen=True)
class Scored:
    record: MeasureRecord
    measure: OutcomeMeasure
    score: Score | None
    """None when the stored scores cannot be scored (so they are shown as not readable, never guessed)."""


@dataclass(frozen=True)
class Pair:
    measure: OutcomeMeasure
    start: Scored
    end: Scored
    change: Change


@dataclass(frozen=True)
class CaseMeasures:
    records: list[Scored]
    pairs: list[Pair]

    @property
    def risks(self) -> list[Scored]:
        """The records with a risk item answered above 0, newest first."""
        return [s for s in reversed(self.records) if s.score is not None and s.score.risk_items]


def scored(record: MeasureRecord) -> Scored:
    answers = record.items.answers if record.items is not None else ()
    try:
        found: Score | None = score(record.measure, answers)
    except ScoringError:
        found = None
    return Scored(record, record.measure, found)


def _order(item: Scored) -> tuple[object, ...]:
    return (item.record.taken_on, item.record.recorded_at, str(item.record.id))


def pair_of(records: Iterable[Scored]) -> tuple[Scored, Scored] | None:
    """For one measure's records on one case: the earliest record at the start and the latest at the end
    (by the day taken, then when recorded), if both exist, both can be scored, and the end was not taken
    before the start (the service refuses such a record; one kept from before is never paired)."""
    usable = sorted((r for r in records if r.score is not None), key=_order)
    starts = [r for r in usable if r.record.point is MeasurePoint.START]
    if not starts:
        return None
    begun = starts[0].record.taken_on
    ends = [r for r in usable if r.record.point is MeasurePoint.END and r.record.taken_on >= begun]
    return (starts[0], ends[-1]) if ends else None


def pairs(records: Sequence[Scored]) -> list[Pair]:
    """Each measure's pair and its change, in the order of the list of measures."""
    by_measure: dict[int, list[Scored]] = {}
    for item in records:
        by_measure.setdefault(item.measure.id, []).append(item)
    found = []
    for measure_id in sorted(by_measure):
        paired = pair_of(by_measure[measure_id])
        if paired is None:
            continue
        start, end = paired
        assert start.score is not None and end.score is not None  # noqa: S101  (pair_of keeps scored ones)
        found.append(Pair(start.measure, start, end, classify(start.measure, start.score, end.score)))
    return found


def records_of(db: Session, allocation_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Scored]]:
    """Every measure record of these cases, scored, oldest first, by case."""
    ids = list(allocation_ids)
    found: dict[uuid.UUID, list[Scored]] = {i: [] for i in ids}
    if not ids:
        return found
    query = (
        select(MeasureRecord)
        .where(MeasureRecord.allocation_id.in_(ids))
        .options(selectinload(MeasureRecord.measure))
    )
    for record in db.scalars(query):
        found[record.allocation_id].append(scored(record))
    for items in found.values():
        items.sort(key=_order)
    return found


def case_measures(db: Session, allocation_id: uuid.UUID) -> CaseMeasures:
    records = records_of(db, [allocation_id])[allocation_id]
    return CaseMeasures(records, pairs(records))
