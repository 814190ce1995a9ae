"""The commissioners' joint view: one quarter with the providers side by side, totals, the triage
team's own figures, each return's state, and trends across quarters.

Each quarter shows the providers whose returns it expects (hub/kpi/expected.py): a provider deactivated
since keeps its figures in the quarters it was active, and one added since is not missing from before.

Figures are opened here, in the service layer, from each provider's latest submitted version;
drafts are never shown to commissioners. Nothing opened is stored anywhere.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.calendar import Quarter
from hub.keyring import CryptoError
from hub.kpi.expected import expected, expected_in_any
from hub.kpi.models import KpiDefinition, KpiReturn, KpiTarget, Prefilled, ReturnState, Unit, return_id, share
from hub.kpi.outcome_figures import OUTCOME_CODES, SHARE_CODE
from hub.kpi.prefill import TRS_LABELS, TRS_UNITS, trs_figures
from hub.kpi.returns import definitions, figure_text, state_of
from hub.kpi.targets import (
    MET,
    NO_FIGURE,
    NOT_MET,
    Judgement,
    in_force,
    in_force_each,
    judge,
    target_text,
)
from hub.providers.models import Provider

Number = int | float
NOT_GIVEN = "\u2013"  # an en dash: no figure
TREND_CODES = [
    "referrals_allocated",
    "waiting_at_quarter_end",
    "median_days_to_first_contact",
    "people_supported",
    "reliable_improvement",
]
"""The figures whose trends the joint view and the meeting pages draw (and the pack's headlines)."""
TREND_QUARTERS = 8
REVIEWABLE_QUARTERS = 12


def reviewable_quarters() -> list[Quarter]:
    """The ended quarters the joint view offers, newest first; the ones a commissioner may share for the
    meeting or publish."""
    return Quarter.last_ended().back(REVIEWABLE_QUARTERS)


ALL_PROVIDERS = "All providers"
TRIAGE_TEAM = "Triage team"
SUFFIX = {Unit.PERCENTAGE: " (%)", Unit.DAYS: " (days)", Unit.COUNT: ""}


@dataclass(frozen=True)
class Standing:
    """One figure against its target in a quarter. A count is judged for all providers together (its
    total); days and percentages, which have no honest total, for each provider; the triage team's own
    figures for the team."""

    code: str
    label: str
    target: KpiTarget
    judged: list[tuple[str, Judgement]]
    """Whose figure (a provider's name, "All providers" or "Triage team") and how it stands."""

    @property
    def target_words(self) -> str:
        return target_text(self.target)

    @property
    def summary(self) -> Judgement:
        """How the figure stands in one judgement, in words and a symbol."""
        if len(self.judged) == 1:
            return self.judged[0][1]
        return _summary(self.judged, self.target_words)


def _summary(judged: list[tuple[str, Judgement]], wanted: str) -> Judgement:
    given = [(name, j) for name, j in judged if j.met is not None]
    missed = [name for name, j in given if not j.met]
    if not given:
        return Judgement(None, NO_FIGURE, f"No figure yet to judge against a target of {wanted}")
    met = f"{len(given) - len(missed)} of {len(given)} providers with a figure met a target of {wanted}"
    if missed:
        return Judgement(False, NOT_MET, f"Not met by {_listed(missed)}: {met}")
    return Judgement(True, MET, f"Met: {met}")


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


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
    targets: dict[str, KpiTarget] = field(default_factory=dict)
    """The targets in force in the quarter, by figure (``hub.kpi.targets.in_force``)."""

    def total(self, definition: KpiDefinition) -> Number | None:
        """Counts add up across providers; days and percentages have no honest total, so none is shown."""
        if definition.unit is not Unit.COUNT:
            return None
        values = [c.figures.get(definition.code) for c in self.columns if c.figures]
        numbers = [v for v in values if v is not None]
        return sum(numbers) if numbers else None

    @property
    def not_submitted(self) -> list[Provider]:
        """The providers with no submitted return for the quarter (a draft is not submitted)."""
        return [c.provider for c in self.columns if c.submitted_at is None]

    def headlines(self, codes: list[str]) -> list[tuple[KpiDefinition, Number | None]]:
        """The named counts, added up across providers, in the order named (codes not in use are left out)."""
        found = {d.code: d for d in self.definitions if d.unit is Unit.COUNT}
        return [(found[code], self.total(found[code])) for code in codes if code in found]

    @property
    def trs_labels(self) -> dict[str, str]:
        return TRS_LABELS

    def against_target(self) -> list[Standing]:
        """Each figure with a target in force, against it: the providers' figures in the order the return
        lists them, then the triage team's."""
        found = []
        for definition in self.definitions:
            target = self.targets.get(definition.code)
            if target is not None:
                label = definition.label + SUFFIX[definition.unit]
                found.append(Standing(definition.code, label, target, self._judged(definition, target)))
        for code, figure in self.trs.items():
            target = self.targets.get(code)
            if target is not None:
                label = f"{TRIAGE_TEAM}: {TRS_LABELS[code]}{SUFFIX[TRS_UNITS[code]]}"
                found.append(Standing(code, label, target, [(TRIAGE_TEAM, judge(figure.value, target))]))
        return found

    def standing(self, code: str) -> Standing | None:
        """The figure's standing against its target, if it has one in force."""
        return next((s for s in self.against_target() if s.code == code), None)

    def _judged(self, definition: KpiDefinition, target: KpiTarget) -> list[tuple[str, Judgement]]:
        if definition.unit is not Unit.COUNT:
            return [(c.provider.name, judge(c.figures.get(definition.code), target)) for c in self.columns]
        given = [c.figures.get(definition.code) for c in self.columns]
        if None in given and any(v is not None for v in given):
            missing = [c.provider.name for c in self.columns if c.figures.get(definition.code) is None]
            words = (
                f"Not every provider has given this figure ({_listed(missing)} "
                f"{'has' if len(missing) == 1 else 'have'} not), so there is no "
                f"total to judge against a target of {target_text(target)}"
            )
            return [(ALL_PROVIDERS, Judgement(None, NO_FIGURE, words))]
        return [(ALL_PROVIDERS, judge(self.total(definition), target))]

    def table_rows(self) -> list[tuple[str, list[str]]]:
        """Each figure's label, and its value for each provider then the total, as the page shows them.
        Beside every outcome figure, the share of closed cases measured, so fewer measured never looks
        better."""
        suffix = SUFFIX
        in_force = {d.code for d in self.definitions}
        shares = [c.figures.get(SHARE_CODE) for c in self.columns] + [self.measured_share()]
        rows = []
        for definition in self.definitions:
            values = [c.figures.get(definition.code) for c in self.columns]
            cells = [NOT_GIVEN if v is None else figure_text(v) for v in [*values, self.total(definition)]]
            if definition.code in OUTCOME_CODES and SHARE_CODE in in_force:
                cells = [with_share(cell, share) for cell, share in zip(cells, shares, strict=True)]
            rows.append((definition.label + suffix[definition.unit], cells))
        return rows

    def measured_share(self) -> Number | None:
        """Across the providers: people with a paired measure as a share of the cases closed."""
        measured = [c.figures.get("outcome_measured") for c in self.columns if c.figures]
        closed = [c.figures.get("closed_cases") for c in self.columns if c.figures]
        if not closed or None in measured or None in closed:
            return None
        return share(sum(n or 0 for n in measured), sum(n or 0 for n in closed))


def with_share(cell: str, share: Number | None) -> str:
    """An outcome figure with the share of closed cases measured beside it."""
    if cell == NOT_GIVEN:
        return cell
    if share is None:
        return f"{cell} (share measured not known)"
    return f"{cell} ({figure_text(share)}% measured)"


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


Opened = dict[tuple[int, int], dict[str, Any]]


def joint_quarter(db: Session, quarter: Quarter, opened: Opened | None = None) -> JointQuarter:
    """The quarter side by side; ``opened`` may hold figures already opened by :func:`submitted_figures`."""
    returns = _returns_by_provider(db, [quarter.key])
    opened = opened if opened is not None else submitted_figures(db, [quarter.key])
    columns = []
    for provider in expected(db, quarter):
        history = returns.get((provider.id, quarter.key), [])
        shown = _latest_submitted(history)
        columns.append(
            Column(
                provider=provider,
                state=state_of(history),
                figures=opened.get((provider.id, quarter.key), {}) if shown else {},
                submitted_at=shown.submitted_at if shown else None,
                history=history,
            )
        )
    return JointQuarter(
        quarter, definitions(db, quarter), columns, trs_figures(db, quarter), in_force(db, quarter)
    )


@dataclass
class Trend:
    definition: KpiDefinition
    quarters: list[Quarter]
    series: dict[str, list[Number | None]]  # provider name (or all providers) -> one value per quarter
    shares: dict[str, list[Number | None]] | None = None
    """For an outcome figure, the share of closed cases measured, by the same names and quarters."""
    targets: list[KpiTarget | None] = field(default_factory=list)
    """The target in force in each quarter (None for none); empty when no quarter has one."""

    def judged(self) -> dict[str, list[Judgement | None]]:
        """Each judged line's standing in each quarter with a target: for a count, all providers
        together; for days and percentages, every line."""
        if not any(self.targets):
            return {}
        lines = self.series
        if self.definition.unit is Unit.COUNT:
            lines = {name: v for name, v in self.series.items() if name.startswith(ALL_PROVIDERS)}
        return {
            name: [None if t is None else judge(v, t) for v, t in zip(values, self.targets, strict=True)]
            for name, values in lines.items()
        }

    def rows_against_target(self) -> list[tuple[str, list[str]]]:
        """:meth:`rows`, each judged figure followed by its standing in a word and a symbol, then a row
        of the target in each quarter (just :meth:`rows` when no quarter has a target)."""
        if not any(self.targets):
            return self.rows()
        judged = self.judged()
        found = []
        for name, cells in self.rows():
            if name in judged:
                pairs = zip(cells, judged[name], strict=True)
                cells = [c if j is None or j.met is None else f"{c} {j.brief}" for c, j in pairs]
            found.append((name, cells))
        found.append(("Target", [NOT_GIVEN if t is None else target_text(t) for t in self.targets]))
        return found

    def rows(self) -> list[tuple[str, list[str]]]:
        """Each line's name and its figures as the table beside the chart shows them."""
        found = []
        for name, values in self.series.items():
            cells = [NOT_GIVEN if v is None else figure_text(v) for v in values]
            if self.shares is not None:
                cells = [with_share(c, s) for c, s in zip(cells, self.shares[name], strict=True)]
            found.append((name, cells))
        return found


MOST_LINES = 6
"""With more providers than this a chart of every provider cannot be read: it shows all providers
together (the sum of counts, the median of days and percentages); the trends export has each one."""


def submitted_figures(db: Session, quarters: list[int]) -> Opened:
    """The latest submitted figures of each provider and quarter, read without loading whole rows."""
    table = KpiReturn.__table__
    latest: dict[tuple[int, int], Any] = {}
    for row in db.execute(
        select(table.c.id, table.c.provider_id, table.c.quarter, table.c.version, table.c.figures_sealed)
        .where(table.c.quarter.in_(quarters), table.c.state == ReturnState.SUBMITTED.value)
        .order_by(table.c.version)
    ):
        latest[(row.provider_id, row.quarter)] = row
    opened = {}
    for key, row in latest.items():
        if row.id != return_id(row.provider_id, row.quarter, row.version):
            raise CryptoError(f"Return {row.id} does not match its provider, quarter and version.")
        opened[key] = KpiReturn.figures.open(row.id, row.figures_sealed) or {}
    return opened


def _together(definition: KpiDefinition, values: list[Number | None]) -> Number | None:
    numbers = [v for v in values if v is not None]
    if not numbers:
        return None
    if definition.unit is Unit.COUNT:
        return sum(numbers)
    return round(float(statistics.median(numbers)), 1)


def quarters_up_to(last: Quarter, count: int) -> list[Quarter]:
    """``count`` quarters ending with ``last``, oldest first (the order of a trend)."""
    return last.back(count)[::-1]


def trends(
    db: Session,
    last: Quarter,
    count: int,
    codes: list[str],
    *,
    each_provider: bool | None = None,
    opened: Opened | None = None,
) -> list[Trend]:
    """Each chosen figure over ``count`` quarters up to ``last`` (submitted returns only)."""
    quarters = quarters_up_to(last, count)
    opened = opened if opened is not None else submitted_figures(db, [q.key for q in quarters])
    everyone = expected_in_any(db, quarters)
    separate = len(everyone) <= MOST_LINES if each_provider is None else each_provider
    wanted = {d.code: d for d in definitions(db, last) if d.code in codes}
    in_each = in_force_each(db, quarters)
    found = []
    for code in codes:
        if code not in wanted:
            continue
        series = _series(opened, everyone, quarters, code)
        shares = _series(opened, everyone, quarters, SHARE_CODE) if code in OUTCOME_CODES else None
        targets = [each.get(code) for each in in_each]
        if not separate:
            label = ALL_PROVIDERS + ("" if wanted[code].unit is Unit.COUNT else " (median)")
            series = {label: _all_together(wanted[code], series)}
            if shares is not None:
                shares = {label: _measured_together(opened, everyone, quarters)}
        elif any(targets) and wanted[code].unit is Unit.COUNT:  # a count's target is for all together
            series[ALL_PROVIDERS] = _complete_totals(series)
            if shares is not None:
                shares[ALL_PROVIDERS] = _measured_together(opened, everyone, quarters)
        found.append(Trend(wanted[code], quarters, series, shares, targets if any(targets) else []))
    return found


def _series(
    opened: Opened, everyone: list[Provider], quarters: list[Quarter], code: str
) -> dict[str, list[Number | None]]:
    return {p.name: [opened.get((p.id, q.key), {}).get(code) for q in quarters] for p in everyone}


def _complete_totals(series: dict[str, list[Number | None]]) -> list[Number | None]:
    """Each quarter's total, only where every provider gave the figure (a part is no total to judge)."""
    return [None if None in column else sum(column) for column in zip(*series.values(), strict=True)]


def _all_together(definition: KpiDefinition, series: dict[str, list[Number | None]]) -> list[Number | None]:
    return [_together(definition, list(column)) for column in zip(*series.values(), strict=True)]


def _measured_together(
    opened: Opened, everyone: list[Provider], quarters: list[Quarter]
) -> list[Number | None]:
    """Each quarter's share of closed cases measured, across every provider that gave both figures."""
    found: list[Number | None] = []
    for q in quarters:
        given = [opened.get((p.id, q.key), {}) for p in everyone]
        pairs = [(f.get("outcome_measured"), f.get("closed_cases")) for f in given]
        usable = [(m, c) for m, c in pairs if m is not None and c is not None]
        found.append(share(sum(m for m, _ in usable), sum(c for _, c in usable)))
    return found
