"""Administrators keep the registry: add a measure (with its licence recorded), change its thresholds
(always with the citation for the new figures), retire it or bring it back. Each is one transaction
and audited; a refusal changes nothing and says why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.audit import Actor
from hub.db import committed, utcnow
from hub.measures.models import OutcomeMeasure, Total

MOST_ITEMS = 60
"""More items than any short outcome measure has: a case page shows one box for each."""
CODE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class RegistryError(Exception):
    """Nothing was changed; the message says why. ``field`` names the form field it is about, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class MeasureDetails:
    code: str
    name: str
    version: str
    item_count: int
    item_min: int
    item_max: int
    reverse_items: list[int]
    risk_items: list[int]
    total: Total
    conversion: dict[str, float] | None
    higher_is_worse: bool
    clinical_cutoff: float
    reliable_change: float
    licence: str
    source: str
    retired: bool = field(default=False)


def every_measure(db: Session) -> Sequence[OutcomeMeasure]:
    """Every measure, those in use first, in the order they were added."""
    return db.scalars(
        select(OutcomeMeasure).order_by(OutcomeMeasure.retired_at.is_not(None), OutcomeMeasure.id)
    ).all()


def active_measures(db: Session) -> list[OutcomeMeasure]:
    return [m for m in every_measure(db) if m.active]


def add(db: Session, details: MeasureDetails, actor: Actor) -> OutcomeMeasure:
    """Add a measure to the registry, once its details are checked against each other."""
    with committed(db):
        _check(details)
        if db.scalar(select(OutcomeMeasure.id).where(OutcomeMeasure.code == details.code)) is not None:
            raise RegistryError(
                f"A measure with the code {details.code} exists already. Choose another code", "code"
            )
        measure = OutcomeMeasure(
            code=details.code,
            name=details.name,
            version=details.version,
            item_count=details.item_count,
            item_min=details.item_min,
            item_max=details.item_max,
            reverse_items=sorted(set(details.reverse_items)),
            risk_items=sorted(set(details.risk_items)),
            total=details.total,
            conversion=details.conversion if details.total is Total.TABLE else None,
            higher_is_worse=details.higher_is_worse,
            clinical_cutoff=details.clinical_cutoff,
            reliable_change=details.reliable_change,
            licence=details.licence,
            source=details.source,
        )
        db.add(measure)
        db.flush()
        audit.record_as(db, actor, "measure.added", "outcome_measure", measure.id)
    return measure


def _check(details: MeasureDetails) -> None:
    if not CODE.match(details.code):
        raise RegistryError(
            "The code must be small letters and numbers, with dashes between (like core-10)", "code"
        )
    if not 1 <= details.item_count <= MOST_ITEMS:
        raise RegistryError(f"The number of items must be from 1 to {MOST_ITEMS}", "item_count")
    if details.item_max <= details.item_min:
        raise RegistryError("The highest item score must be more than the lowest", "item_max")
    for name, listed in (("reverse_items", details.reverse_items), ("risk_items", details.risk_items)):
        wrong = [n for n in listed if not 1 <= n <= details.item_count]
        if wrong:
            raise RegistryError(
                f"Item {wrong[0]} is not one of the measure's items: "
                f"use numbers from 1 to {details.item_count}",
                name,
            )
    if details.total is Total.TABLE:
        table = details.conversion or {}
        missing = [
            raw
            for raw in range(details.item_count * details.item_min, details.item_count * details.item_max + 1)
            if str(raw) not in table
        ]
        if missing:
            raise RegistryError(
                f"The conversion table needs a score for every raw total from "
                f"{details.item_count * details.item_min} to {details.item_count * details.item_max}; "
                f"{missing[0]} has none",
                "conversion",
            )
    _check_thresholds(details.reliable_change, details.source)


def _check_thresholds(reliable_change: float, source: str) -> None:
    if reliable_change <= 0:
        raise RegistryError("The reliable change must be more than 0", "reliable_change")
    if not source.strip():
        raise RegistryError("Say where the thresholds come from (the citation)", "source")


def change_thresholds(
    db: Session,
    measure_id: int,
    *,
    clinical_cutoff: float,
    reliable_change: float,
    source: str,
    licence: str,
    actor: Actor,
) -> list[str]:
    """Correct a measure's thresholds, with the citation they now come from; returns what changed."""
    with committed(db):
        measure = _measure(db, measure_id)
        _check_thresholds(reliable_change, source)
        changed = []
        for name, value, words in (
            ("clinical_cutoff", clinical_cutoff, "the clinical cut-off"),
            ("reliable_change", reliable_change, "the reliable change"),
            ("source", source, "the source"),
            ("licence", licence, "the licence note"),
        ):
            if getattr(measure, name) != value:
                setattr(measure, name, value)
                changed.append(words)
        if changed:
            audit.record_as(db, actor, "measure.thresholds_changed", "outcome_measure", measure.id)
    return changed


def set_retired(db: Session, measure_id: int, retired: bool, actor: Actor) -> OutcomeMeasure:
    """Retire a measure (offered for no new record; records made with it keep it), or bring it back."""
    with committed(db):
        measure = _measure(db, measure_id)
        if measure.active == retired:
            measure.retired_at = utcnow() if retired else None
            action = "measure.retired" if retired else "measure.restored"
            audit.record_as(db, actor, action, "outcome_measure", measure.id)
    return measure


def _measure(db: Session, measure_id: int) -> OutcomeMeasure:
    found = db.scalar(select(OutcomeMeasure).where(OutcomeMeasure.id == measure_id).with_for_update())
    if found is None:
        raise RegistryError("That measure does not exist. Choose one from the list")
    return found
