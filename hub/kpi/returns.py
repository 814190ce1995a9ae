"""A provider's quarterly return: save a draft, submit it (it is then locked), amend it (a new version).

Every version is kept. The figures are checked as they are saved: whole non-negative counts,
percentages from 0 to 100, days of 0 or more (one decimal place), breakdowns that add up to their
total, and a reason wherever a pre-filled figure was changed. A draft may be incomplete, and may
hold figures that contradict each other (more people improving than were measured, say: it is
saved and the page shows the problem); a submitted return may be neither. Submitting and amending are audited.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.audit import Actor
from hub.calendar import Quarter
from hub.db import committed, utcnow
from hub.kpi.models import KpiDefinition, KpiReturn, Prefilled, ReturnState, Unit, return_id, share
from hub.kpi.prefill import prefill

REASON_MAX = 1000
FIGURE_TYPED_MAX = 40
FIGURE_MAX = 10_000_000  # far above any provider's quarter; keeps sums and charts finite


class ReturnError(Exception):
    """The return was not changed; the message says why."""


@dataclass
class Checked:
    """Figures read from a form: the numbers, the typed text (kept to show again), and any problems."""

    figures: dict[str, int | float | None] = field(default_factory=dict)
    typed: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # Figures that contradict each other: a draft is saved with them (and shows them); submitting refuses.
    contradictions: dict[str, str] = field(default_factory=dict)


def definitions(db: Session, quarter: Quarter) -> list[KpiDefinition]:
    """The definitions in force for the quarter, in the order the return lists them."""
    rows = db.scalars(select(KpiDefinition).order_by(KpiDefinition.position, KpiDefinition.id)).all()
    return [d for d in rows if d.applies_to(quarter.key)]


def versions(db: Session, provider_id: int, quarter: Quarter) -> list[KpiReturn]:
    return list(
        db.scalars(
            select(KpiReturn)
            .where(KpiReturn.provider_id == provider_id, KpiReturn.quarter == quarter.key)
            .order_by(KpiReturn.version)
        )
    )


def figure_name(label: str) -> str:
    """A figure's label as it reads inside a sentence. Labels are written for a list of boxes, so a
    lead-in is dropped ("Of those, people showing reliable improvement": "people showing reliable
    improvement"), a group becomes a bracket ("Age: under 25": "age (under 25)") and the first letter
    is small unless the first word is an abbreviation ("BSL")."""
    name = re.sub(r"^of (those|which)\b[^,]*,\s*", "", " ".join(label.split()), flags=re.IGNORECASE)
    group, colon, part = name.partition(": ")
    if colon and part:
        name = f"{group} ({part})"
    first = name.split(" ", 1)[0]
    if sum(letter.isupper() for letter in first) > 1:
        return name
    return name[:1].lower() + name[1:]


def in_a_sentence(definition: KpiDefinition) -> tuple[str, str]:
    """The figure's name within a sentence, and at the start of one."""
    name = figure_name(definition.label)
    return name, name[:1].upper() + name[1:]


def _number(definition: KpiDefinition, text: str) -> tuple[int | float | None, str | None]:
    _, name = in_a_sentence(definition)
    text = text.strip().replace(",", "")
    if not text:
        return None, None
    if definition.unit is Unit.PERCENTAGE:
        text = text.removesuffix("%").strip()
    # Digits and a decimal point only: Decimal also reads "٣", "1e400" and "NaN".
    if not re.fullmatch(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)", text):
        return None, f"{name} must be a number"
    value = Decimal(text)
    if value > FIGURE_MAX:
        return None, f"{name} must be a number up to {FIGURE_MAX:,}"
    if definition.unit is Unit.COUNT:
        if value != value.to_integral_value() or value < 0:
            return None, f"{name} must be a whole number, 0 or more"
        return int(value), None
    if value < 0 or (definition.unit is Unit.PERCENTAGE and value > 100):
        limits = "from 0 to 100" if definition.unit is Unit.PERCENTAGE else "of 0 or more"
        return None, f"{name} must be a number {limits}"
    if value != round(value, 1):
        return None, f"{name} must have no more than one decimal place"
    return float(value), None


def read_figure(definition: KpiDefinition, text: str) -> tuple[int | float | None, str | None]:
    """One figure as typed, read by its unit: the number (None when empty), or why it cannot be read."""
    if len(text) > FIGURE_TYPED_MAX:  # refused whole, never cut to another number
        return None, f"{in_a_sentence(definition)[1]} must be a number up to {FIGURE_MAX:,}"
    return _number(definition, text)


def check(
    found: Sequence[KpiDefinition],
    typed: Mapping[str, str],
    reasons: Mapping[str, str],
    known: Mapping[str, Prefilled],
    *,
    complete: bool,
) -> Checked:
    """Read and check the figures; ``complete`` (for submitting) also needs every figure."""
    result = Checked()
    for definition in found:
        code = definition.code
        text = str(typed.get(code, "") or "")
        result.typed[code] = text[:FIGURE_TYPED_MAX]
        result.figures[code], problem = read_figure(definition, text)
        if problem:
            result.errors[code] = problem
    return check_together(found, result, reasons, known, complete=complete)


def check_together(
    found: Sequence[KpiDefinition],
    read: Checked,
    reasons: Mapping[str, str],
    known: Mapping[str, Prefilled],
    *,
    complete: bool,
) -> Checked:
    """The rules across a return, once each figure is read on its own (``read``, with its problems):
    every figure when submitting, a reason for each changed hub figure, breakdowns that add up, and
    figures that fit together."""
    for definition in found:
        _check_given_and_explained(definition, read, reasons, known, complete=complete)
    _check_breakdowns(found, read)
    read.contradictions = contradictions(found, read.figures, skip=set(read.errors))
    if complete:
        read.errors.update(read.contradictions)
    return read


def _check_given_and_explained(
    definition: KpiDefinition,
    read: Checked,
    reasons: Mapping[str, str],
    known: Mapping[str, Prefilled],
    *,
    complete: bool,
) -> None:
    """The figure is given when submitting, and a changed hub figure says why (in 1,000 characters)."""
    code, (label, _) = definition.code, in_a_sentence(definition)
    value = read.figures.get(code)
    hub_has_none = definition.prefilled and known.get(code) and known[code].value is None
    if code not in read.errors and value is None and complete and not hub_has_none:
        read.errors[code] = f"Enter a figure for {label} (0 if there were none)"
    reason = " ".join(str(reasons.get(code, "") or "").split())
    if reason:
        read.reasons[code] = reason
    if len(reason) > REASON_MAX and code not in read.errors:
        read.errors[code] = f"The reason for {label} must be {REASON_MAX:,} characters or fewer"
    hub_value = known[code].value if definition.prefilled and code in known else None
    if definition.prefilled and value is not None and value != hub_value and not reason:
        read.errors.setdefault(
            code,
            f"Say why {label} differs from the hub's figure "
            f"({'none' if hub_value is None else figure_text(hub_value)})",
        )


def figure_text(value: float | int) -> str:
    """A figure as people write it: whole numbers without a decimal point, others to one place."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _check_breakdowns(found: Sequence[KpiDefinition], result: Checked) -> None:
    groups: dict[tuple[str, str], list[KpiDefinition]] = {}
    for definition in found:
        if definition.breakdown and definition.sums_to:
            groups.setdefault((definition.breakdown, definition.sums_to), []).append(definition)
    labels = {d.code: d.label for d in found}
    for (breakdown, total_code), parts in groups.items():
        total = result.figures.get(total_code)
        values = [result.figures.get(p.code) for p in parts]
        if total is None or any(v is None for v in values) or any(p.code in result.errors for p in parts):
            continue
        added = sum(v for v in values if v is not None)
        if added != total:
            result.errors[parts[0].code] = (
                f"The {figure_name(breakdown)} figures add up to {figure_text(added)}, but "
                f"{figure_name(labels.get(total_code, total_code))} is {figure_text(total)}. "
                "They must be equal."
            )


@dataclass(frozen=True)
class AtMost:
    """Figures that count some of the people in another figure, so cannot add up to more than it."""

    parts: tuple[str, ...]
    total: str
    name: str  # the parts, in words, as the start of a sentence


AT_MOST = (
    AtMost(("reliable_improvement",), "outcome_measured", "People showing reliable improvement"),
    AtMost(("outcome_measured",), "people_supported", "People with an outcome measure at start and end"),
    AtMost(("outcome_measured",), "closed_cases", "People with an outcome measure at start and end"),
    AtMost(("new_starts",), "people_supported", "New people starting support"),
    AtMost(
        ("planned_endings", "unplanned_endings"), "people_supported", "Planned and unplanned endings together"
    ),
)
"""Figures that would contradict each other; only figures in force for the quarter are compared."""


@dataclass(frozen=True)
class Worked:
    """A figure worked out from others in the return, so it must agree with them (a provider that
    measures fewer people cannot type a share that says otherwise)."""

    code: str
    sources: tuple[str, ...]
    work: Callable[..., float | None]
    how: str  # how it is worked out, in words


WORKED = (
    Worked(
        "reliable_improvement",
        ("change_recovered", "change_improved"),
        lambda recovered, improved: recovered + improved,
        "the reliable and clinically significant improvements and the reliable improvements only, added",
    ),
    Worked(
        "paired_measure_pct",
        ("outcome_measured", "closed_cases"),
        share,
        "the people with a start and end measure as a share of the cases closed after support began",
    ),
)
"""Figures worked out from others: each must agree with them when all are given."""


def contradictions(
    found: Sequence[KpiDefinition], figures: Mapping[str, Any], skip: set[str] | frozenset[str] = frozenset()
) -> dict[str, str]:
    """Each figure that is more than the figure it is part of, with a message naming both."""
    labels = {d.code: d.label for d in found}
    problems: dict[str, str] = {}
    for rule in AT_MOST:
        codes = (*rule.parts, rule.total)
        if any(c not in labels or c in skip or c in problems for c in codes):
            continue
        values = [figures.get(c) for c in codes]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if len(numbers) != len(values):
            continue
        added, total = sum(numbers[:-1]), numbers[-1]
        if added > total:
            problems[rule.parts[0]] = (
                f"{rule.name} ({figure_text(added)}) cannot be more than "
                f"{figure_name(labels[rule.total])} ({figure_text(total)}). Check both figures."
            )
    defined = {d.code: d for d in found}
    for worked in WORKED:
        codes = (worked.code, *worked.sources)
        if any(c not in labels or c in skip or c in problems for c in codes):
            continue
        values = [figures.get(c) for c in codes]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if len(numbers) != len(values):
            continue
        given, expected = numbers[0], worked.work(*numbers[1:])
        if expected is not None and abs(given - expected) > 0.05:  # shares are given to one place
            problems[worked.code] = (
                f"{in_a_sentence(defined[worked.code])[1]} ({figure_text(given)}) must be "
                f"{figure_text(expected)}: {worked.how}. Check the figures."
            )
    return problems


def _latest(db: Session, provider_id: int, quarter: Quarter) -> KpiReturn | None:
    return db.scalar(
        select(KpiReturn)
        .where(KpiReturn.provider_id == provider_id, KpiReturn.quarter == quarter.key)
        .order_by(KpiReturn.version.desc())
        .limit(1)
        .with_for_update()
    )


def save(
    db: Session,
    provider_id: int,
    quarter: Quarter,
    typed: Mapping[str, str],
    reasons: Mapping[str, str],
    actor: Actor,
    *,
    submit: bool = False,
) -> Checked:
    """Save the draft (making version 1 if there is none), and submit it if asked and complete.

    Returns the checked figures; if they have errors nothing is written.
    """
    if quarter.ends > utcnow():
        raise ReturnError(f"The return for {quarter.label} can be made once the quarter has ended.")
    with committed(db):
        latest = _latest(db, provider_id, quarter)
        if latest is not None and latest.state is ReturnState.SUBMITTED:
            raise ReturnError("This return has been submitted, so it is locked. Amend it to change it.")
        checked = check(
            definitions(db, quarter), typed, reasons, prefill(db, provider_id, quarter), complete=submit
        )
        if checked.errors:
            return checked
        draft = latest or _new_version(provider_id, quarter, 1)
        draft.figures = checked.figures
        draft.reasons = checked.reasons
        draft.saved_at = utcnow()
        if latest is None:
            db.add(draft)
        if submit:
            draft.state, draft.submitted_at = ReturnState.SUBMITTED, draft.saved_at
            draft.submitted_by = uuid.UUID(actor.id) if actor.id else None
            action = "kpi.return_submitted" if draft.version == 1 else "kpi.return_amended"
            audit.record_as(db, actor, action, "kpi_return", draft.id)
    return checked


def amend(db: Session, provider_id: int, quarter: Quarter, reason: str, actor: Actor) -> KpiReturn:
    """Start a new version of a submitted return, with the same figures, saying why."""
    reason = " ".join(reason.split())
    if len(reason) > REASON_MAX:
        raise ReturnError(f"The reason for amending must be {REASON_MAX:,} characters or fewer")
    with committed(db):
        latest = _latest(db, provider_id, quarter)
        if latest is None or latest.state is not ReturnState.SUBMITTED:
            raise ReturnError("Only a submitted return can be amended. Change the draft instead.")
        if not reason:
            raise ReturnError("Say why the return needs amending")
        draft = _new_version(provider_id, quarter, latest.version + 1)
        draft.figures = latest.figures_checked()
        draft.reasons = dict(latest.reasons or {})
        draft.amendment_reason = reason
        draft.saved_at = utcnow()
        db.add(draft)
        audit.record_as(db, actor, "kpi.amendment_started", "kpi_return", draft.id)
    return draft


def _new_version(provider_id: int, quarter: Quarter, version: int) -> KpiReturn:
    return KpiReturn(
        id=return_id(provider_id, quarter.key, version),
        provider_id=provider_id,
        quarter=quarter.key,
        version=version,
        state=ReturnState.DRAFT,
    )


def can_change(found: Sequence[KpiReturn], shown: KpiReturn | None) -> bool:
    """Only the newest version can be changed, and only while it is a draft (or before there is one)."""
    return (shown is None or shown is found[-1]) and (not found or found[-1].state is ReturnState.DRAFT)


def can_amend(found: Sequence[KpiReturn], shown: KpiReturn | None) -> bool:
    """The newest version, once submitted, can be amended (as a new version)."""
    return bool(found) and shown is found[-1] and found[-1].state is ReturnState.SUBMITTED


def state_of(found: Sequence[KpiReturn]) -> str:
    """Not started, draft, submitted, or amended (a later version was submitted)."""
    if not found:
        return "Not started"
    latest = found[-1]
    submitted = [r for r in found if r.state is ReturnState.SUBMITTED]
    if latest.state is ReturnState.DRAFT:
        return "Amendment in progress" if submitted else "Draft"
    return "Amended" if len(submitted) > 1 else "Submitted"


def typed_from(version: KpiReturn | None) -> tuple[dict[str, str], dict[str, str]]:
    """A saved version's figures and reasons as a form shows them."""
    if version is None:
        return {}, {}
    figures: dict[str, Any] = version.figures_checked()
    return (
        {code: "" if value is None else figure_text(value) for code, value in figures.items()},
        dict(version.reasons or {}),
    )


@dataclass
class QuarterReturn:
    """One provider's return for one quarter as its page shows it: every version, the version shown,
    the figures asked for, and the hub's own figures."""

    provider_id: int
    quarter: Quarter
    versions: list[KpiReturn]
    shown: KpiReturn | None
    definitions: list[KpiDefinition]
    known: dict[str, Prefilled]

    @property
    def ended(self) -> bool:
        return self.quarter.ends <= utcnow()

    @property
    def editable(self) -> bool:
        return can_change(self.versions, self.shown)

    @property
    def takes_figures(self) -> bool:
        """The page offers a box for each figure: the quarter has ended and the shown version can change."""
        return self.ended and self.editable

    @property
    def amendable(self) -> bool:
        return can_amend(self.versions, self.shown)

    @property
    def state(self) -> str:
        return state_of(self.versions)

    def saved(self) -> tuple[dict[str, str], dict[str, str]]:
        """The shown version's figures and reasons as the page shows them."""
        return typed_from(self.shown)

    def starting_figures(self) -> dict[str, str]:
        """What each box holds before anything is typed: the saved figure, else the hub's own."""
        typed, _reasons = self.saved()
        hub = {
            d.code: self.known[d.code].value for d in self.definitions if d.prefilled and d.code in self.known
        }
        return {
            d.code: typed[d.code]
            if d.code in typed
            else ("" if hub.get(d.code) is None else str(hub[d.code]))
            for d in self.definitions
        }

    def to_check(self) -> dict[str, str]:
        """The shown version's figures that do not fit together, while it can still be changed."""
        if self.shown is None or not self.editable:
            return {}
        return contradictions(self.definitions, self.shown.figures_checked())


def quarter_return(
    db: Session, provider_id: int, quarter: Quarter, version: int | None = None
) -> QuarterReturn:
    """The provider's return for the quarter, showing ``version`` (the newest when it is not one of them)."""
    found = versions(db, provider_id, quarter)
    shown = next((r for r in found if r.version == version), found[-1] if found else None)
    return QuarterReturn(
        provider_id, quarter, found, shown, definitions(db, quarter), prefill(db, provider_id, quarter)
    )
