"""Disclosure control for everything published outside the joint meeting: the publication export and
the public pathway report (``/pathway``) both call :func:`control`, so there is one rule.

- A count from 1 to the threshold (``HUB_SUPPRESSION_THRESHOLD``, 7 unless set) is hidden and shown as
  :data:`SMALL`, with a footnote.
- Every other count that is not 0 is rounded to the nearest 5: totals and their breakdowns alike, so a
  total can never be set against a rounded part (an exact "4,817 people supported" beside a rounded
  "4,815 women" gave the rounded figure away). A 0 is shown as 0: nobody is in it.
- Secondary suppression: a table's additive relations (the parts of a breakdown add up to its total;
  the providers add up to the all-provider total) are public knowledge. Whenever some hidden or rounded
  count could be worked out exactly from what is shown and those relations, another count in one of its
  relations is withheld (shown as :data:`WITHHELD`), and the check runs again.

"Worked out exactly" is checked exactly, not by a rule of thumb: a reader knows each shown count is its
rounded value (so within 2 of it, and never 1 to the threshold), each ``SMALL`` is 1 to the threshold,
each ``WITHHELD`` is any count, and the relations hold. A count is safe when some other set of values
that fits all of that gives it a different value. OR-Tools CP-SAT searches for such sets, moving as many
counts as it can at once, until every count is shown to move or one cannot (then it withholds more).

Rates (percentages, medians) are not counts: :func:`rate_shown` hides a rate worked out over a small base
and gives whole numbers only.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from ortools.sat.python import cp_model

SMALL = "*"
"""A count from 1 to the threshold."""
WITHHELD = "x"
"""A count withheld so that a small count cannot be worked out from the totals."""
ROUNDING = 5
SOLVE_SECONDS = 5.0

K = TypeVar("K", bound=Hashable)
Shown = int | str | None


@dataclass(frozen=True)
class Relation(Generic[K]):
    """``parts`` add up to ``total``, and a reader knows it."""

    parts: tuple[K, ...]
    total: K


def rounded(value: int) -> int:
    """To the nearest 5 (a whole number is never half way, so there is no tie to break)."""
    return ROUNDING * round(value / ROUNDING)


def control(
    values: Mapping[K, int | None], relations: Sequence[Relation[K]], threshold: int
) -> dict[K, Shown]:
    """Each count as it may be published: a whole number (0, or rounded to 5), SMALL, WITHHELD, or None
    where no count was given. A relation with a count not given, or whose counts do not add up, is not
    one a reader could use, so it is left out."""
    kept = [r for r in relations if _holds(values, r)]
    small = {k for k, v in values.items() if v is not None and 1 <= v <= threshold}
    # A count just over the threshold that would round down into it (6 to 5 with a threshold of 5)
    # would read as a small count: it is withheld.
    withheld = {
        k for k, v in values.items() if v is not None and k not in small and 1 <= rounded(v) <= threshold
    }
    for _ in range(len(values) + 1):  # each round withholds at least one more count, or stops
        shown = _published(values, small, withheld)
        pinned = _worked_out(values, shown, kept, threshold)
        # One count at a time (the first, smallest worked out): withholding it often protects the rest.
        more = next(
            (m for m in (_to_withhold(k, values, kept, small | withheld) for k in pinned) if m is not None),
            None,
        )
        if more is None:  # only small counts are left to pin each other down: withhold one of them
            fewer = (_to_withhold(k, values, kept, withheld) for k in pinned)
            more = next((m for m in fewer if m is not None), None)
        if more is None:
            return shown
        withheld.add(more)
    return _published(values, small, withheld)


def _holds(values: Mapping[K, int | None], relation: Relation[K]) -> bool:
    parts = [values.get(k) for k in relation.parts]
    total = values.get(relation.total)
    return total is not None and None not in parts and sum(p or 0 for p in parts) == total


def _published(values: Mapping[K, int | None], small: set[K], withheld: set[K]) -> dict[K, Shown]:
    shown: dict[K, Shown] = {}
    for key, value in values.items():
        if value is None:
            shown[key] = None
        elif key in withheld:  # before small: a small count may be withheld too, to protect others
            shown[key] = WITHHELD
        elif key in small:
            shown[key] = SMALL
        else:
            shown[key] = rounded(value)
    return shown


def possible(shown: Shown, threshold: int, most: int) -> list[int]:
    """Every count a reader could take a published cell to be (``most`` bounds a withheld one)."""
    if shown == SMALL:
        return list(range(1, threshold + 1))
    if shown == WITHHELD:
        return list(range(0, most + 1))
    if not isinstance(shown, int):
        raise TypeError(f"{shown!r} is not a published count")
    return [v for v in range(max(shown - 2, 0), shown + 3) if rounded(v) == shown and not 1 <= v <= threshold]


def _worked_out(
    values: Mapping[K, int | None], shown: Mapping[K, Shown], relations: Sequence[Relation[K]], threshold: int
) -> list[K]:
    """The hidden or rounded counts a reader could work out exactly."""
    protected = {k for k, v in values.items() if v is not None and (v != 0 or shown[k] == WITHHELD)}
    most = 2 * sum(v or 0 for v in values.values()) + threshold + ROUNDING
    found = [k for k in protected if shown[k] != WITHHELD and len(possible(shown[k], threshold, most)) == 1]
    related = {k for r in relations for k in (*r.parts, r.total)}
    unsure = {k for k in protected if k in related and k not in found}
    found += _fixed(values, shown, relations, threshold, unsure, most)
    return sorted(found, key=lambda k: (shown[k] != SMALL, values[k] or 0, repr(k)))


def _domain(shown: Shown, threshold: int, most: int) -> cp_model.Domain:
    if shown == WITHHELD:
        return cp_model.Domain(0, most)
    return cp_model.Domain.from_values(possible(shown, threshold, most))


def _fixed(
    values: Mapping[K, int | None],
    shown: Mapping[K, Shown],
    relations: Sequence[Relation[K]],
    threshold: int,
    unsure: set[K],
    most: int,
) -> set[K]:
    """Of ``unsure``, the counts no set of values consistent with the table can change. Each solve asks
    for values that fit the table and move as many unsure counts as possible; every count moved is safe."""
    model = cp_model.CpModel()
    cells = {k for r in relations for k in (*r.parts, r.total)}
    var = {k: model.new_int_var_from_domain(_domain(shown[k], threshold, most), "") for k in cells}
    for relation in relations:
        model.add(sum(var[k] for k in relation.parts) == var[relation.total])
    moved = {}
    for key in unsure:
        moved[key] = model.new_bool_var("")
        model.add(var[key] != int(values[key] or 0)).only_enforce_if(moved[key])
    while unsure:
        model.maximize(sum(moved[k] for k in unsure))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = SOLVE_SECONDS
        solver.parameters.num_workers = 1
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return unsure  # cannot be shown to move: treat as worked out
        safe = {k for k in unsure if solver.value(moved[k])}
        if not safe:  # none can move (or none was found to, in the time given: the careful answer)
            return unsure
        unsure = unsure - safe
    return set()


def _to_withhold(
    key: K, values: Mapping[K, int | None], relations: Sequence[Relation[K]], hidden: set[K]
) -> K | None:
    """Which count to withhold so that ``key`` can no longer be worked out: the smallest count not yet
    hidden in one of its relations (one that is not 0 first: a withheld 0 protects little); the count
    itself when nothing else is left to hide. When ``hidden`` holds only the withheld counts, a count
    shown as small may be withheld too: three shown small adding up to a total shown small of at most
    the threshold would each be 1, and a withheld count could be any."""
    around = {k for r in relations if key in (*r.parts, r.total) for k in (*r.parts, r.total)}
    candidates = [k for k in around if k != key and k not in hidden and values.get(k) is not None]
    if candidates:
        return min(candidates, key=lambda k: (values[k] == 0, values[k] or 0, repr(k)))
    if key not in hidden:
        return key
    return None


RATE_BASES = {
    "median_days_to_allocation": "referrals_allocated",
    "median_days_to_first_contact": "new_starts",
    "first_contact_within_5_days_pct": "new_starts",
    "paired_measure_pct": "closed_cases",
    "felt_safer_pct": "feedback_responses",
    "satisfied_pct": "feedback_responses",
}
"""The count each rate in the common set is worked out over (near enough where the hub does not count it
itself). A rate with no known base is withheld."""


def rate_shown(rate: float | None, base: int | None, threshold: int) -> Shown:
    """A percentage or a number of days, whole, when worked out over enough people to hide any one of
    them (more than twice the threshold); SMALL when the base is smaller; None when there is no rate."""
    if rate is None:
        return None
    if base is None:
        return WITHHELD
    if base <= 2 * threshold:
        return SMALL
    return round(rate)


def share_shown(part: Shown, whole: Shown, threshold: int) -> Shown:
    """A share (a whole percentage) worked out from two counts as they are published, so it gives away
    nothing they do not: None when either is not given, SMALL when either is hidden or the whole is small."""
    if part is None or whole is None:
        return None
    if not isinstance(part, int) or not isinstance(whole, int):
        return SMALL
    return rate_shown(100 * part / whole if whole else None, whole, threshold)


def notes(threshold: int) -> list[str]:
    """What the symbols and the rounding mean, in words, wherever controlled figures are published."""
    return [
        f"{SMALL} means 1 to {threshold} people: so few that someone could be recognised, so the number is "
        "hidden.",
        f"{WITHHELD} means a number hidden so that a hidden number cannot be worked out from the totals.",
        "Other numbers are rounded to the nearest 5 (0 means nobody). Shares are worked out from the rounded "
        f"numbers, and a share of {2 * threshold} people or fewer is hidden.",
    ]
