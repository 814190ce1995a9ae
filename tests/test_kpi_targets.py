"""Targets: carried forward from the quarter they are set until a later quarter changes or ends them,
and judged in words and a symbol (never colour alone)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hub.calendar import Quarter
from hub.kpi.models import Direction, KpiTarget
from hub.kpi.targets import MET, NO_FIGURE, NOT_MET, in_force, judge


def target(db: Session, code: str, quarter: int, value: float | None, direction: Direction) -> KpiTarget:
    found = KpiTarget(code=code, from_quarter=quarter, value=value, direction=direction, why="")
    db.add(found)
    db.flush()
    return found


def test_a_target_is_carried_forward_until_a_later_quarter_changes_it(db_session: Session) -> None:
    target(db_session, "people_supported", 20262, 100, Direction.AT_LEAST)
    target(db_session, "people_supported", 20264, 120, Direction.AT_LEAST)
    target(db_session, "median_days_to_first_contact", 20263, 10, Direction.AT_MOST)

    def values(key: int) -> dict[str, float | None]:
        return {code: t.value for code, t in in_force(db_session, Quarter.from_key(key)).items()}

    assert values(20261) == {}
    assert values(20262) == {"people_supported": 100}
    assert values(20263) == {"people_supported": 100, "median_days_to_first_contact": 10}
    assert values(20264) == {"people_supported": 120, "median_days_to_first_contact": 10}
    assert values(20281) == {"people_supported": 120, "median_days_to_first_contact": 10}


def test_a_target_ended_with_no_value_is_not_in_force_from_then_on(db_session: Session) -> None:
    target(db_session, "people_supported", 20262, 100, Direction.AT_LEAST)
    target(db_session, "people_supported", 20271, None, Direction.AT_LEAST)
    assert "people_supported" in in_force(db_session, Quarter.from_key(20264))
    assert in_force(db_session, Quarter.from_key(20271)) == {}


def test_figures_are_judged_in_words_and_a_symbol_either_way() -> None:
    at_least = KpiTarget(code="x", from_quarter=20261, value=90, direction=Direction.AT_LEAST)
    at_most = KpiTarget(code="y", from_quarter=20261, value=10, direction=Direction.AT_MOST)
    assert judge(95, at_least).met is True
    assert judge(90, at_least).met is True
    assert judge(89.9, at_least).met is False
    assert judge(10, at_most).met is True
    assert judge(11, at_most).met is False
    shown = judge(89.9, at_least)
    assert (shown.symbol, shown.words) == (NOT_MET, "Not met: 89.9 against a target of at least 90")
    assert judge(3, at_most).symbol == MET
    missing = judge(None, at_most)
    assert (missing.met, missing.symbol) == (None, NO_FIGURE)
    assert "at most 10" in missing.words
