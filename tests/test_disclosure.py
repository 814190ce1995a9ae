"""The one disclosure-control rule (hub.kpi.disclosure): nothing hidden or rounded can be worked out.

The property test checks every published table the way a careful reader would attack it: for each
hidden or rounded count, the smallest and the largest value that fit everything shown and the table's
sums are found with CP-SAT (independently of how the rule itself searches), and they must differ."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from hub.kpi import disclosure
from hub.kpi.disclosure import SMALL, WITHHELD, Relation, Shown

Cell = tuple[int, int]  # (row, column); the last row and the last column are totals


def grid_relations(rows: int, columns: int) -> list[Relation[Cell]]:
    """Each row's parts add up to its total column, and each column's parts to its total row."""
    found = [Relation(tuple((r, c) for c in range(columns)), (r, columns)) for r in range(rows + 1)]
    found += [Relation(tuple((r, c) for r in range(rows)), (rows, c)) for c in range(columns + 1)]
    return found


def with_totals(parts: list[list[int]]) -> dict[Cell, int | None]:
    rows, columns = len(parts), len(parts[0])
    values: dict[Cell, int | None] = {}
    for r, row in enumerate(parts):
        for c, value in enumerate(row):
            values[(r, c)] = value
        values[(r, columns)] = sum(row)
    for c in range(columns + 1):
        values[(rows, c)] = sum(v or 0 for (r, cc), v in values.items() if cc == c and r < rows)
    return values


def bounds(
    shown: Mapping[Cell, Shown], relations: Sequence[Relation[Cell]], threshold: int, cell: Cell, most: int
) -> tuple[int, int]:
    """The smallest and largest value of ``cell`` a reader could hold, from what is shown and the sums."""
    found = []
    for sense in (1, -1):
        model = cp_model.CpModel()
        var = {}
        for key, published in shown.items():
            if published == WITHHELD:
                var[key] = model.new_int_var(0, most, "")
            else:
                allowed = disclosure.possible(published, threshold, most)
                var[key] = model.new_int_var_from_domain(cp_model.Domain.from_values(allowed), "")
        for relation in relations:
            model.add(sum(var[k] for k in relation.parts) == var[relation.total])
        model.minimize(sense * var[cell])
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        assert solver.solve(model) == cp_model.OPTIMAL
        found.append(solver.value(var[cell]))
    return found[0], found[1]


def assert_nothing_can_be_worked_out(
    values: dict[Cell, int | None], relations: list[Relation[Cell]], threshold: int
) -> dict[Cell, Shown]:
    shown = disclosure.control(values, relations, threshold)
    most = 2 * sum(v or 0 for v in values.values()) + threshold + 5
    for cell, published in shown.items():
        value = values[cell]
        assert value is not None
        if isinstance(published, int):
            assert published % 5 == 0 and not 1 <= published <= threshold
            assert abs(published - value) <= 2 and (published == 0) == (value == 0)
        else:
            assert published in {SMALL, WITHHELD}
            assert published == WITHHELD or 1 <= value <= threshold
        if value == 0 and published == 0:
            continue  # nobody is in it: a 0 is published as it is
        low, high = bounds(shown, relations, threshold, cell, most)
        assert low <= value <= high, (cell, published)
        assert low < high, f"{cell} ({value}) can be worked out from {shown}"
    return shown


SMALLISH = st.one_of(st.integers(0, 9), st.integers(0, 60))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(1, 4).flatmap(
        lambda columns: st.lists(
            st.lists(SMALLISH, min_size=columns, max_size=columns), min_size=1, max_size=4
        )
    ),
    st.sampled_from([3, 5, 7, 10]),
)
def test_no_hidden_or_rounded_count_can_be_worked_out_from_any_table(
    parts: list[list[int]], threshold: int
) -> None:
    values = with_totals(parts)
    assert_nothing_can_be_worked_out(values, grid_relations(len(parts), len(parts[0])), threshold)


def test_the_reported_case_a_rounded_part_beside_an_exact_total() -> None:
    # People supported 4,817; women 4,815 (rounded from 4,817); every other gender 0. Published before as
    # an exact total beside a rounded part, the part was the total. Now both are controlled together.
    relations = [Relation(("woman", "man", "other", "not_known"), "supported")]
    values: dict[Any, int | None] = {"supported": 4817, "woman": 4817, "man": 0, "other": 0, "not_known": 0}
    shown = disclosure.control(values, relations, 7)
    assert shown == {"supported": 4815, "woman": 4815, "man": 0, "other": 0, "not_known": 0}
    cells = {("w", 0): 4817, ("w", 1): 0, ("w", 2): 0, ("w", 3): 0, ("w", 4): 4817}
    rel = [Relation((("w", 0), ("w", 1), ("w", 2), ("w", 3)), ("w", 4))]
    assert_nothing_can_be_worked_out(cells, rel, 7)  # type: ignore[arg-type]


def test_four_parts_at_the_bottom_of_their_rounding_give_the_total_away_unless_one_is_withheld() -> None:
    # 8 + 8 + 8 + 8 = 32: each part shown as 10 is at least 8, and a total shown as 30 is at most 32.
    values = with_totals([[8, 8, 8, 8]])
    shown = assert_nothing_can_be_worked_out(values, grid_relations(1, 4), 7)
    assert WITHHELD in shown.values()


def test_a_small_count_pinned_by_rounded_neighbours_is_protected() -> None:
    # Shown as 30, 15, 20 and *, the hidden count would be 32 - 13 - 18 = 1 at most and so exactly 1.
    values = with_totals([[13, 18, 1]])
    shown = assert_nothing_can_be_worked_out(values, grid_relations(1, 3), 7)
    assert shown[(0, 2)] == SMALL


def test_small_counts_that_pin_each_other_down_are_protected() -> None:
    # 1 + 1 + 1 = 3 with a threshold of 3: each part shown as * is at least 1, and a total shown as * is
    # at most 3, so each would be exactly 1. One of them is withheld instead (it could be any count).
    values = with_totals([[1, 1, 1]])
    shown = assert_nothing_can_be_worked_out(values, grid_relations(1, 3), 3)
    assert WITHHELD in shown.values()


def test_rates_over_small_bases_are_hidden_and_others_whole() -> None:
    assert disclosure.rate_shown(87.5, 8, 7) == SMALL
    assert disclosure.rate_shown(87.5, 14, 7) == SMALL
    assert disclosure.rate_shown(87.46, 15, 7) == 87
    assert disclosure.rate_shown(None, 40, 7) is None
