"""Targets for the joint figures, and how a figure stands against its target, in words and a symbol.

A target is set for a figure from one quarter and carried forward until a later quarter sets another
(or ends it with no value). A figure is judged met or not met in words and a symbol, never by colour
alone: a tick met, a cross not met, a dash no figure to judge.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.calendar import Quarter
from hub.kpi.models import Direction, KpiTarget

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


def target_text(target: KpiTarget) -> str:
    """The target in words, for example "at least 90"."""
    return f"{target.direction.words} {_number(target.value)}"


@dataclass(frozen=True)
class Judgement:
    met: bool | None
    """True when the figure meets its target, False when it does not, None when there is no figure."""
    symbol: str
    words: str


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
