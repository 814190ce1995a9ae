"""The return's outcome figures come from the measures recorded on closed cases: on a crafted quarter
with several providers they equal hand counts (a case with only a start, a case with two measures, a
case closed in another quarter, another provider's case); and the share of closed cases measured is
shown beside every outcome figure in the joint view and the trends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from hub.audit import Actor
from hub.calendar import Quarter
from hub.db import clock_at
from hub.kpi.joint import joint_quarter, trends
from hub.kpi.models import ReturnState
from hub.kpi.outcome_figures import outcome_figures
from hub.kpi.prefill import prefill
from hub.kpi.returns import contradictions, definitions
from hub.providers.models import Provider
from hub.referrals import cases
from hub.referrals.models import Outcome

from . import factories
from .test_cases import offered, staff

QUARTER = Quarter(2026, 3)  # July to September 2026

# Scored CORE-10 totals (items 2 and 3 are answered 4 - score): 28, 8, 20, 10.
CORE = {
    28: [4, 0, 0, 4, 4, 0, 4, 4, 0, 0],
    8: [0, 4, 4, 4, 4, 0, 0, 0, 0, 0],
    20: [4, 0, 0, 4, 4, 0, 0, 0, 0, 0],
    10: [4, 0, 2, 0, 0, 0, 0, 0, 0, 0],
}


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def measured_case(
    db: Session, provider: Provider, closes: date, taken: list[tuple[str, str, list[int], int]]
) -> None:
    """A case accepted, contacted, measured (measure, point, answers, days before closing) and closed."""
    who: Actor = staff(db, provider)
    with clock_at(at(closes - timedelta(days=40))):
        allocation = offered(db, provider)
        cases.accept(db, allocation.id, provider.id, who)
        cases.record_first_contact(db, allocation.id, provider.id, who, closes - timedelta(days=40), "text")
    for code, point, answers, before in sorted(taken, key=lambda t: -t[3]):
        day = closes - timedelta(days=before)
        with clock_at(at(day)):
            cases.record_outcome_measure(
                db,
                allocation.id,
                provider.id,
                who,
                measure_code=code,
                point=point,
                taken_on=day,
                answers=answers,
            )
    with clock_at(at(closes)):
        cases.close(db, allocation.id, provider.id, who, Outcome.SUPPORT_COMPLETED)


@pytest.fixture
def crafted(db_session: Session) -> tuple[Provider, Provider]:
    a = factories.provider(db_session, name="Harbour")
    b = factories.provider(db_session, name="Lighthouse")
    in_q = date(2026, 8, 20)
    # Recovered: 28 -> 8.
    measured_case(db_session, a, in_q, [("core-10", "start", CORE[28], 30), ("core-10", "end", CORE[8], 1)])
    # Improved only: 28 -> 20 (still in the clinical range); a review between counts for nothing.
    measured_case(
        db_session,
        a,
        in_q,
        [
            ("core-10", "start", CORE[28], 30),
            ("core-10", "review", CORE[8], 15),
            ("core-10", "end", CORE[20], 1),
        ],
    )
    # A start only: closed, not measured.
    measured_case(db_session, a, in_q, [("core-10", "start", CORE[28], 30)])
    # Two measures: CORE-10 (first in the list) counts, and its earliest start (10) with its latest end
    # (20 then 28): deteriorated. PHQ-9 alone would be no change.
    measured_case(
        db_session,
        a,
        date(2026, 9, 30),
        [
            ("phq-9", "start", [2] * 9, 35),
            ("core-10", "start", CORE[20], 30),
            ("core-10", "start", CORE[10], 31),
            ("core-10", "end", CORE[20], 5),
            ("core-10", "end", CORE[28], 2),
            ("phq-9", "end", [2] * 9, 2),
        ],
    )
    # No measures at all.
    measured_case(db_session, a, date(2026, 7, 1), [])
    # Closed with no contact: no support to measure, so not among the cases closed (nor the share's base).
    who = staff(db_session, a)
    with clock_at(at(in_q - timedelta(days=20))):
        never = offered(db_session, a)
        cases.accept(db_session, never.id, a.id, who)
    with clock_at(at(in_q)):
        cases.close(db_session, never.id, a.id, who, Outcome.COULDNT_CONTACT)
    # Closed in the next quarter: not in this one.
    measured_case(
        db_session, a, date(2026, 10, 1), [("core-10", "start", CORE[28], 30), ("core-10", "end", CORE[8], 1)]
    )
    # Another provider's: not in Harbour's figures.
    measured_case(db_session, b, in_q, [("gad-7", "start", [3] * 7, 30), ("gad-7", "end", [0] * 7, 1)])
    db_session.commit()
    return a, b


def values(db: Session, provider: Provider, quarter: Quarter) -> dict[str, object]:
    return {code: figure.value for code, figure in outcome_figures(db, provider.id, quarter).items()}


def test_the_outcome_figures_equal_hand_counts(
    db_session: Session, crafted: tuple[Provider, Provider]
) -> None:
    a, b = crafted
    assert values(db_session, a, QUARTER) == {
        "closed_cases": 5,
        "outcome_measured": 3,
        "paired_measure_pct": 60.0,
        "reliable_improvement": 2,
        "change_recovered": 1,
        "change_improved": 1,
        "change_no_change": 0,
        "change_deteriorated": 1,
    }
    assert values(db_session, b, QUARTER) == {
        "closed_cases": 1,
        "outcome_measured": 1,
        "paired_measure_pct": 100.0,
        "reliable_improvement": 1,
        "change_recovered": 1,
        "change_improved": 0,
        "change_no_change": 0,
        "change_deteriorated": 0,
    }
    later = values(db_session, a, QUARTER.next())
    assert (later["closed_cases"], later["outcome_measured"], later["change_recovered"]) == (1, 1, 1)
    empty = values(db_session, a, QUARTER.previous())
    assert empty["closed_cases"] == 0 and empty["paired_measure_pct"] is None
    how = outcome_figures(db_session, a.id, QUARTER)["outcome_measured"].how
    assert "earliest record at the start and the latest at the end" in how
    assert set(values(db_session, a, QUARTER)) <= set(prefill(db_session, a.id, QUARTER)), "spliced in"


def test_the_new_definitions_run_from_october_2026_with_the_same_codes(db_session: Session) -> None:
    before = {d.code: d for d in definitions(db_session, Quarter(2026, 3))}
    after = {d.code: d for d in definitions(db_session, Quarter(2026, 4))}
    assert not before["outcome_measured"].prefilled and after["outcome_measured"].prefilled
    assert not before["reliable_improvement"].prefilled and after["reliable_improvement"].prefilled
    assert "closed_cases" not in before and "paired_measure_pct" not in before
    changes = [d for d in after.values() if d.breakdown == "Change"]
    assert [d.code for d in changes] == [
        "change_recovered",
        "change_improved",
        "change_no_change",
        "change_deteriorated",
    ]
    assert {d.sums_to for d in changes} == {"outcome_measured"}
    order = [d.code for d in definitions(db_session, Quarter(2026, 4))]
    assert order.index("closed_cases") < order.index("outcome_measured") < order.index("paired_measure_pct")
    assert (
        order.index("paired_measure_pct")
        < order.index("reliable_improvement")
        < order.index("change_recovered")
    )
    found = definitions(db_session, Quarter(2026, 4))
    assert contradictions(found, {"outcome_measured": 4, "closed_cases": 3}), "more measured than closed"
    assert not contradictions(found, {"outcome_measured": 3, "closed_cases": 3, "reliable_improvement": 2})


def test_a_share_or_an_improvement_typed_out_of_line_with_its_figures_is_a_contradiction(
    db_session: Session,
) -> None:
    """A provider that measured 2 of 10 cannot type a share of 100%, nor more improvement than its parts."""
    found = definitions(db_session, Quarter(2026, 4))
    fits = {
        "closed_cases": 10,
        "outcome_measured": 3,
        "paired_measure_pct": 30.0,
        "reliable_improvement": 2,
        "change_recovered": 1,
        "change_improved": 1,
        "change_no_change": 1,
        "change_deteriorated": 0,
    }
    assert contradictions(found, fits) == {}
    assert contradictions(found, {**fits, "outcome_measured": 2, "paired_measure_pct": 20.0}) == {}
    assert contradictions(found, {**fits, "closed_cases": 3, "paired_measure_pct": 100.0}) == {}
    assert contradictions(found, {**fits, "paired_measure_pct": 100.0}) == {
        "paired_measure_pct": "Closed cases with a start and end measure (100) must be 30: the people "
        "with a start and end measure as a share of the cases closed after support began. Check the figures."
    }
    assert contradictions(found, {**fits, "reliable_improvement": 3}) == {
        "reliable_improvement": "People showing reliable improvement (3) must be 2: the reliable and "
        "clinically significant improvements and the reliable improvements only, added. Check the figures."
    }
    shares = {"closed_cases": 3, "outcome_measured": 2}
    assert contradictions(found, {**shares, "paired_measure_pct": 66.7}) == {}, "given to one place"
    assert "paired_measure_pct" in contradictions(found, {**shares, "paired_measure_pct": 66.5})


def test_the_joint_view_and_trends_show_the_share_measured_beside_each_outcome_figure(
    db_session: Session,
) -> None:
    quarter = Quarter(2026, 4)
    a = factories.provider(db_session, name="Harbour")
    b = factories.provider(db_session, name="Lighthouse")
    for provider, (closed, measured, recovered) in ((a, (10, 8, 5)), (b, (10, 2, 2))):
        factories.kpi_return(
            db_session,
            provider_id=provider.id,
            quarter=quarter.key,
            state=ReturnState.SUBMITTED,
            submitted_at=at(date(2027, 1, 10)),
            figures={
                "closed_cases": closed,
                "outcome_measured": measured,
                "paired_measure_pct": round(100 * measured / closed, 1),
                "reliable_improvement": recovered,
                "change_recovered": recovered,
            },
        )
    db_session.commit()
    rows = dict(joint_quarter(db_session, quarter).table_rows())
    cells = rows["Of those, people showing reliable improvement"]
    assert cells[-3:] == ["5 (80% measured)", "2 (20% measured)", "7 (50% measured)"]
    assert rows["People with an outcome measure at start and end"][-1] == "10 (50% measured)"
    assert rows["Closed cases with a start and end measure (%)"][-3:-1] == ["80", "20"], "the share itself"
    found = trends(db_session, quarter, 2, ["reliable_improvement"], each_provider=True)
    lines = dict(found[0].rows())
    assert lines["Harbour"][-1] == "5 (80% measured)" and lines["Lighthouse"][-1] == "2 (20% measured)"
    together = dict(trends(db_session, quarter, 2, ["reliable_improvement"], each_provider=False)[0].rows())
    assert together["All providers"][-1] == "7 (50% measured)"
