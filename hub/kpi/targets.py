"""Targets for the joint figures, and how a figure stands against its target, in words and a symbol.

A target is set for a figure from one quarter and carried forward until a later quarter sets another
(or ends it with no value). A figure is judged met or not met in words and a symbol, never by colour
alone: a tick met, a cross not met, a dash no figure to judge.

Commissioners set, change and end targets with :func:`set_target`, from the last quarter that ended
(so a target can be agreed before the joint meeting about it) or a later one, never for a quarter
already published on the pathway report. Every change is audited (``kpi.target_set``).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub import audit
from hub.audit import Actor
from hub.calendar import Quarter
from hub.db import committed, utcnow
from hub.kpi.models import Direction, KpiQuarter, KpiTarget, Unit
from hub.kpi.prefill import TRS_LABELS, TRS_UNITS
from hub.kpi.returns import definitions

Number = int | float

MET, NOT_MET, NO_FIGURE = "\u2713", "\u2717", "\u2013"


def in_force(db: Session, quarter: Quarter) -> dict[str, KpiTarget]:
    """Each figure's target for the quarter: the latest set from this quarter or before, if it has a value."""
    found: dict[str, KpiTarget] = {}
    for target in db.scalars(
        select(KpiTarget).where(KpiTarget.from_quarter <= quarter.key).order_by(KpiTarget.from_quarter)
    ):
        found[target.code] = target
    return {code: target for code, target in found.items() if target.value is not None}


def in_force_each(db: Session, quarters: list[Quarter]) -> list[dict[str, KpiTarget]]:
    """:func:`in_force` for each of ``quarters`` (in their order), from one query."""
    last = max((q.key for q in quarters), default=0)
    rows = db.scalars(
        select(KpiTarget).where(KpiTarget.from_quarter <= last).order_by(KpiTarget.from_quarter)
    ).all()
    found = []
    for quarter in quarters:
        latest = {t.code: t for t in rows if t.from_quarter <= quarter.key}
        found.append({code: t for code, t in latest.items() if t.value is not None})
    return found


def target_text(target: KpiTarget) -> str:
    """The target in words, for example "at least 90"."""
    return f"{target.direction.words} {_number(target.value)}"


@dataclass(frozen=True)
class Judgement:
    met: bool | None
    """True when the figure meets its target, False when it does not, None when there is no figure."""
    symbol: str
    words: str

    @property
    def brief(self) -> str:
        """The symbol and a word or two ("✓ Met"), for a table cell that shows the figure beside it."""
        return f"{self.symbol} " + {True: "Met", False: "Not met", None: "No figure"}[self.met]


def judge(actual: Number | None, target: KpiTarget) -> Judgement:
    """How a figure stands against its target, for example "✓ Met: 95 against a target of at least 90"."""
    wanted = target_text(target)
    if actual is None:
        return Judgement(None, NO_FIGURE, f"No figure to judge against a target of {wanted}")
    value = float(target.value or 0)
    met = actual >= value if target.direction is Direction.AT_LEAST else actual <= value
    verdict = "Met" if met else "Not met"
    words = f"{verdict}: {_number(actual)} against a target of {wanted}"
    return Judgement(met, MET if met else NOT_MET, words)


def _number(value: Number | None) -> str:
    if value is None:
        return NO_FIGURE
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


# -- setting, changing and ending a target ----------------------------------------------------------

WHY_MAX = 300
LARGEST_TARGET = 1_000_000
QUARTERS_AHEAD = 4


@dataclass(frozen=True)
class Figure:
    """A figure a target may be set on: the label people know it by, and its unit."""

    code: str
    label: str
    unit: Unit

    @property
    def named(self) -> str:
        suffix = {Unit.PERCENTAGE: " (%)", Unit.DAYS: " (days)", Unit.COUNT: ""}
        return self.label + suffix[self.unit]


class TargetError(Exception):
    """Nothing was changed; the message says why, in a sentence."""


def targetable(db: Session, quarter: Quarter) -> dict[str, Figure]:
    """The figures a target may be set on from ``quarter``: each figure of the KPI set in force then,
    and the triage team's own figures."""
    found = {d.code: Figure(d.code, d.label, d.unit) for d in definitions(db, quarter)}
    trs = {code: Figure(code, f"Triage team: {label}", TRS_UNITS[code]) for code, label in TRS_LABELS.items()}
    return found | trs


def quarters_offered() -> list[Quarter]:
    """The quarters a change may take effect from: the last that ended, this one and the next few."""
    found = [Quarter.last_ended()]
    while len(found) < QUARTERS_AHEAD + 2:
        found.append(found[-1].next())
    return found


def set_target(
    db: Session,
    actor: Actor,
    code: str,
    quarter: Quarter,
    value: float | None,
    direction: Direction,
    why: str,
) -> KpiTarget:
    """Set, change or (with no value) end the target for ``code`` from ``quarter`` on, carried forward
    until a later quarter changes it. A refusal raises :class:`TargetError` and changes nothing."""
    why = " ".join(why.split())
    try:
        with committed(db):
            figure = _check(db, code, quarter, value, why)
            now = in_force(db, quarter).get(code)
            if value is None and now is None:
                raise TargetError(f"There is no target for {figure.named} in {quarter.label} to end.")
            if value is not None and now and (now.value, now.direction, now.why) == (value, direction, why):
                raise TargetError(f"That is already the target for {figure.named} in {quarter.label}.")
            found = db.scalars(
                select(KpiTarget).where(KpiTarget.code == code, KpiTarget.from_quarter == quarter.key)
            ).one_or_none()
            if found is None:
                found = KpiTarget(code=code, from_quarter=quarter.key)
                db.add(found)
            found.value, found.direction, found.why = value, direction, why
            found.set_by = _account(actor)
            found.set_at = utcnow()
            db.flush()
            audit.record_as(db, actor, "kpi.target_set", "kpi_target", found.id)
    except IntegrityError as clash:  # another commissioner set the same figure's target at the same moment
        raise TargetError("Someone else changed that target at the same moment. Please try again.") from clash
    return found


def _check(db: Session, code: str, quarter: Quarter, value: float | None, why: str) -> Figure:
    if quarter < Quarter.last_ended():
        raise TargetError(
            f"{quarter.label} is before the last quarter that ended, so its targets cannot change. "
            "Choose a later quarter."
        )
    figure = targetable(db, quarter).get(code)
    if figure is None:
        raise TargetError(
            f"There is no figure with the code {code} in {quarter.label}. Choose a figure from the list."
        )
    if _published_from(db, quarter):
        raise TargetError(
            f"{quarter.label} is published on the pathway report, so its targets cannot change. "
            "Choose a later quarter."
        )
    if value is not None:
        if not math.isfinite(value) or value < 0 or value > LARGEST_TARGET:
            raise TargetError(f"Enter a target from 0 to {LARGEST_TARGET:,}.")
        if figure.unit is Unit.PERCENTAGE and value > 100:
            raise TargetError("A percentage target must be from 0 to 100.")
        if not why:
            raise TargetError("Say in a sentence why this target matters.")
    if len(why) > WHY_MAX:
        raise TargetError(f"Why it matters must be {WHY_MAX} characters or fewer.")
    return figure


def _published_from(db: Session, quarter: Quarter) -> bool:
    return (
        db.scalars(
            select(KpiQuarter.quarter).where(
                KpiQuarter.quarter >= quarter.key, KpiQuarter.published_at.is_not(None)
            )
        ).first()
        is not None
    )


def _account(actor: Actor) -> uuid.UUID | None:
    return uuid.UUID(actor.id) if actor.id else None


def history(db: Session) -> list[KpiTarget]:
    """Every target set, changed or ended, by figure and then by the quarter it took effect from."""
    return list(db.scalars(select(KpiTarget).order_by(KpiTarget.code, KpiTarget.from_quarter)))
