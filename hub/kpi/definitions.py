"""Changing the common KPI set: an administrator adds a figure, or retires one, from a quarter on.

Only quarters that have not ended yet can be changed, so no return already made (or due) changes
its meaning. Every change is audited.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.audit import Actor
from hub.calendar import Quarter
from hub.db import committed
from hub.kpi.models import KpiDefinition, Unit


class DefinitionError(Exception):
    """Nothing was changed; the message says why."""


def _open(quarter: Quarter) -> None:
    if quarter < Quarter.current():
        raise DefinitionError(
            f"{quarter.label} has ended, so its figures cannot change. Choose this quarter or a later one."
        )


def add(
    db: Session,
    *,
    code: str,
    label: str,
    unit: Unit,
    description: str,
    starts: Quarter,
    actor: Actor,
    breakdown: str | None = None,
    sums_to: str | None = None,
) -> KpiDefinition:
    """Ask for a new figure from ``starts`` on. What was typed is checked by the form (the code's
    shape, the name given, the lengths); here, the rules about the set of figures."""
    _open(starts)
    with committed(db):
        _check_free(db, code, starts, sums_to)
        position = max((d.position for d in db.scalars(select(KpiDefinition))), default=0) + 10
        definition = KpiDefinition(
            code=code,
            label=label,
            unit=unit,
            description=description,
            prefilled=False,
            breakdown=breakdown or None,
            sums_to=sums_to or None,
            position=position,
            from_quarter=starts.key,
        )
        db.add(definition)
        db.flush()
        audit.record_as(db, actor, "kpi.definition_added", "kpi_definition", definition.id)
    return definition


def _check_free(db: Session, code: str, starts: Quarter, sums_to: str | None) -> None:
    """The code is not in use from ``starts`` on, and the figure a breakdown adds up to exists."""
    existing = db.scalars(select(KpiDefinition).where(KpiDefinition.code == code)).all()
    if any(d.until_quarter is None or d.until_quarter >= starts.key for d in existing):
        raise DefinitionError(
            f"A figure with the code {code} is already in use then. Retire it first, or choose another code."
        )
    if sums_to and not any(d.code == sums_to for d in db.scalars(select(KpiDefinition))):
        raise DefinitionError(f"There is no figure with the code {sums_to} for the breakdown to add up to")


def retire(db: Session, definition_id: int, starts: Quarter, actor: Actor) -> KpiDefinition:
    """The figure is no longer asked for from ``starts`` on; earlier quarters keep it."""
    with committed(db):
        definition = db.get(KpiDefinition, definition_id)
        if definition is None:
            raise DefinitionError("That figure no longer exists.")
        _open(starts)
        if definition.prefilled:
            raise DefinitionError(
                "The hub fills this figure in from its own records, so it cannot be retired here."
            )
        if definition.until_quarter is not None and definition.until_quarter < starts.key:
            raise DefinitionError("That figure is already retired by then.")
        definition.until_quarter = starts.previous().key
        audit.record_as(db, actor, "kpi.definition_retired", "kpi_definition", definition.id)
    return definition
