"""The commissioners' joint view: one quarter with the providers side by side, totals, the triage
team's own figures, each return's state, and trends across quarters.

Figures are opened here, in the service layer, from each provider's latest submitted version;
drafts are never shown to commissioners. Nothing opened is stored anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.kpi.models import KpiDefinition, KpiReturn, ReturnState, Unit
from hub.kpi.prefill import TRS_LABELS, Prefilled, trs_figures
from hub.kpi.quarters import Quarter
from hub.kpi.returns import definitions, state_of
from hub.providers.models import Provider

Number = int | float


@dataclass
class Column:
    provider: Provider
    state: str
    figures: dict[str, Number | None]
    submitted_at: datetime | None = None
    history: list[KpiReturn] = field(default_factory=list)


@dataclass
class JointQuarter:
    quarter: Quarter
    definitions: list[KpiDefinition]
    columns: list[Column]
    trs: dict[str, Prefilled]

    def total(self, definition: KpiDefinition) -> Number | None:
        """Counts add up across providers; days and percentages have no honest total, so none is shown."""
        if definition.unit is not Unit.COUNT:
            return None
        values = [c.figures.get(definition.code) for c in self.columns if c.figures]
        numbers = [v for v in values if v is not None]
        return sum(numbers) if numbers else None

    @property
    def trs_labels(self) -> dict[str, str]:
        return TRS_LABELS


def _returns_by_provider(db: Session, quarters: list[int]) -> dict[tuple[int, int], list[KpiReturn]]:
    found: dict[tuple[int, int], list[KpiReturn]] = {}
    for item in db.scalars(
        select(KpiReturn).where(KpiReturn.quarter.in_(quarters)).order_by(KpiReturn.version)
    ):
        found.setdefault((item.provider_id, item.quarter), []).append(item)
    return found


def _latest_submitted(history: list[KpiReturn]) -> KpiReturn | None:
    submitted = [r for r in history if r.state is ReturnState.SUBMITTED]
    return submitted[-1] if submitted else None


def providers(db: Session) -> list[Provider]:
    return list(db.scalars(select(Provider).where(Provider.active.is_(True)).order_by(Provider.name)))


def joint_quarter(db: Session, quarter: Quarter) -> JointQuarter:
    returns = _returns_by_provider(db, [quarter.key])
    columns = []
    for provider in providers(db):
        history = returns.get((provider.id, quarter.key), [])
        shown = _latest_submitted(history)
        columns.append(
            Column(
                provider=provider,
                state=state_of(history),
                figures=shown.figures_checked() if shown else {},
                submitted_at=shown.submitted_at if shown else None,
                history=history,
            )
        )
    return JointQuarter(quarter, definitions(db, quarter), columns, trs_figures(db, quarter))


@dataclass
class Trend:
    definition: KpiDefinition
    quarters: list[Quarter]
    series: dict[str, list[Number | None]]  # provider name -> one value per quarter


def trends(db: Session, last: Quarter, count: int, codes: list[str]) -> list[Trend]:
    """Each chosen figure over ``count`` quarters up to ``last``, per provider (submitted returns only)."""
    quarters = [last]
    while len(quarters) < count:
        quarters.append(quarters[-1].previous())
    quarters.reverse()
    returns = _returns_by_provider(db, [q.key for q in quarters])
    everyone = providers(db)
    opened: dict[tuple[int, int], dict[str, Any]] = {}
    for key, history in returns.items():
        shown = _latest_submitted(history)
        if shown is not None:
            opened[key] = shown.figures_checked()
    wanted = {d.code: d for d in definitions(db, last) if d.code in codes}
    found = []
    for code in codes:
        if code not in wanted:
            continue
        series = {p.name: [opened.get((p.id, q.key), {}).get(code) for q in quarters] for p in everyone}
        found.append(Trend(wanted[code], quarters, series))
    return found
