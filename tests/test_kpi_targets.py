"""Targets: carried forward from the quarter they are set until a later quarter changes or ends them,
and judged in words and a symbol (never colour alone)."""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from hub.audit import Actor, AuditEntry
from hub.calendar import Quarter
from hub.kpi import exports, targets
from hub.kpi.charts import line_chart
from hub.kpi.joint import Column, JointQuarter, Number, Trend
from hub.kpi.models import Direction, KpiDefinition, KpiQuarter, KpiTarget, Prefilled, Unit
from hub.kpi.targets import MET, NO_FIGURE, NOT_MET, TargetError, in_force, judge, set_target
from hub.providers.models import Provider

from .clock import MIDDAY
from .test_charts import SVG


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


# -- setting, changing and ending (hub.kpi.targets.set_target) ---------------------------------------

COMMISSIONER = Actor(id=None, role="commissioner")
NOW, LAST = Quarter.from_key(20264), Quarter.from_key(20263)  # at MIDDAY: this quarter, the last ended


def target_rows(db: Session) -> list[tuple[str, int, float | None, str, str]]:
    db.expire_all()
    return [
        (t.code, t.from_quarter, t.value, t.direction.value, t.why)
        for t in db.scalars(select(KpiTarget).order_by(KpiTarget.code, KpiTarget.from_quarter))
    ]


def audited(db: Session) -> int:
    return len(db.scalars(select(AuditEntry).where(AuditEntry.action == "kpi.target_set")).all())


@pytest.mark.usefixtures("midday")
def test_a_commissioner_sets_changes_and_ends_a_target_each_audited(db_session: Session) -> None:
    set_target(db_session, COMMISSIONER, "people_supported", LAST, 100, Direction.AT_LEAST, "  Reach  more. ")
    set_target(
        db_session, COMMISSIONER, "people_supported", NOW.next(), 120, Direction.AT_LEAST, "Reach more"
    )
    set_target(db_session, COMMISSIONER, "trs_median_days_to_allocation", NOW, 5, Direction.AT_MOST, "Fast")
    # Changing the target from a quarter that already has one replaces that quarter's, not the others.
    set_target(db_session, COMMISSIONER, "people_supported", LAST, 110, Direction.AT_LEAST, "Reach more")
    assert target_rows(db_session) == [
        ("people_supported", 20263, 110, "at_least", "Reach more"),
        ("people_supported", 20271, 120, "at_least", "Reach more"),
        ("trs_median_days_to_allocation", 20264, 5, "at_most", "Fast"),
    ]
    assert {c: t.value for c, t in in_force(db_session, NOW).items()} == {
        "people_supported": 110,
        "trs_median_days_to_allocation": 5,
    }
    set_target(db_session, COMMISSIONER, "people_supported", NOW, None, Direction.AT_LEAST, "")
    assert "people_supported" not in in_force(db_session, NOW)
    assert in_force(db_session, NOW.next())["people_supported"].value == 120  # a later change still holds
    assert in_force(db_session, LAST)["people_supported"].value == 110  # the quarter before keeps its own
    assert audited(db_session) == 5


@pytest.mark.usefixtures("midday")
@pytest.mark.parametrize(
    ("code", "quarter", "value", "why", "says"),
    [
        ("people_supported", LAST.previous(), 10, "Why", "before the last quarter that ended"),
        ("not_a_figure", NOW, 10, "Why", "no figure with the code not_a_figure"),
        ("people_supported", NOW, -1, "Why", "from 0 to 1,000,000"),
        ("people_supported", NOW, float("nan"), "Why", "from 0 to 1,000,000"),
        ("people_supported", NOW, float("inf"), "Why", "from 0 to 1,000,000"),
        ("people_supported", NOW, 1_000_001, "Why", "from 0 to 1,000,000"),
        ("first_contact_within_5_days_pct", NOW, 101, "Why", "percentage target must be from 0 to 100"),
        ("people_supported", NOW, 10, "   ", "why this target matters"),
        ("people_supported", NOW, 10, "x" * 301, "300 characters or fewer"),
        ("people_supported", NOW, None, "", "no target for People supported in the quarter"),
    ],
)
def test_a_refused_target_says_why_and_changes_nothing(
    db_session: Session, code: str, quarter: Quarter, value: float | None, why: str, says: str
) -> None:
    set_target(db_session, COMMISSIONER, "waiting_at_quarter_end", NOW, 0, Direction.AT_MOST, "No waiting")
    before, entries = target_rows(db_session), audited(db_session)
    with pytest.raises(TargetError, match=says.replace("(", r"\(").replace(")", r"\)")):
        set_target(db_session, COMMISSIONER, code, quarter, value, Direction.AT_LEAST, why)
    assert target_rows(db_session) == before and audited(db_session) == entries


@pytest.mark.usefixtures("midday")
def test_a_target_is_not_set_again_unchanged_nor_changed_for_a_published_quarter(db_session: Session) -> None:
    set_target(db_session, COMMISSIONER, "people_supported", LAST, 100, Direction.AT_LEAST, "Reach more")
    with pytest.raises(TargetError, match="already the target"):
        set_target(db_session, COMMISSIONER, "people_supported", NOW, 100, Direction.AT_LEAST, "Reach more")
    db_session.add(KpiQuarter(quarter=LAST.key, published_at=MIDDAY))
    db_session.flush()
    with pytest.raises(TargetError, match="published on the pathway report"):
        set_target(db_session, COMMISSIONER, "people_supported", LAST, 90, Direction.AT_LEAST, "Reach more")
    set_target(db_session, COMMISSIONER, "people_supported", NOW, 90, Direction.AT_LEAST, "Reach more")
    assert [row[2] for row in target_rows(db_session)] == [100, 90]


@pytest.mark.usefixtures("midday")
def test_a_target_set_by_someone_else_at_the_same_moment_asks_to_try_again(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def set_meanwhile() -> datetime:  # another commissioner's row for the same figure and quarter lands
        db_session.execute(insert(KpiTarget).values(code="people_supported", from_quarter=NOW.key, value=7))
        return MIDDAY

    monkeypatch.setattr(targets, "utcnow", set_meanwhile)
    with pytest.raises(TargetError, match="try again"):
        set_target(db_session, COMMISSIONER, "people_supported", NOW, 100, Direction.AT_LEAST, "Reach more")
    assert target_rows(db_session) == []


# -- actual against target: the joint view, the trends, the charts, the exports ----------------------


def crafted_quarter(targets: dict[str, KpiTarget]) -> JointQuarter:
    """Three providers: two counts and a number of days, and the triage team's days."""
    found = [
        KpiDefinition(code="supported", label="People supported", unit=Unit.COUNT, position=0),
        KpiDefinition(code="days", label="Days to first contact", unit=Unit.DAYS, position=1),
        KpiDefinition(code="sessions", label="Sessions", unit=Unit.COUNT, position=2),
    ]
    names = ["Rise", "Rothacs", "Grow"]
    providers = [Provider(id=n + 1, slug=name.lower(), name=name) for n, name in enumerate(names)]
    figures: list[dict[str, Number | None]] = [
        {"supported": 60, "days": 8, "sessions": 10},
        {"supported": 50, "days": 12, "sessions": None},
        {"supported": 0, "sessions": 3},
    ]
    columns = [Column(p, "Submitted", f) for p, f in zip(providers, figures, strict=True)]
    trs = {"trs_median_days_to_allocation": Prefilled(3, "how")}
    return JointQuarter(LAST, found, columns, trs, targets)


def aim(code: str, value: float, direction: Direction = Direction.AT_LEAST) -> KpiTarget:
    return KpiTarget(code=code, from_quarter=LAST.key, value=value, direction=direction, why=f"Why {code}")


def test_each_figure_is_judged_where_it_is_honest_in_words_and_a_symbol() -> None:
    joint = crafted_quarter(
        {
            "supported": aim("supported", 100),
            "days": aim("days", 10, Direction.AT_MOST),
            "sessions": aim("sessions", 5),
            "trs_median_days_to_allocation": aim("trs_median_days_to_allocation", 2, Direction.AT_MOST),
        }
    )
    shown = {s.code: s for s in joint.against_target()}
    assert list(shown) == ["supported", "days", "sessions", "trs_median_days_to_allocation"]
    # A count: all providers together (60 + 50 + 0).
    assert shown["supported"].judged == [("All providers", judge(110, aim("supported", 100)))]
    assert shown["supported"].summary.words == "Met: 110 against a target of at least 100"
    # Days: each provider; one over the target is named; one that left it blank has no figure.
    days = shown["days"]
    assert [(name, j.symbol) for name, j in days.judged] == [
        ("Rise", MET),
        ("Rothacs", NOT_MET),
        ("Grow", NO_FIGURE),
    ]
    assert (days.summary.met, days.summary.symbol) == (False, NOT_MET)
    assert (
        days.summary.words == "Not met by Rothacs: 1 of 2 providers with a figure met a target of at most 10"
    )
    assert days.label == "Days to first contact (days)"
    # A count one provider left blank has no honest total: not judged, and it says why.
    assert (
        shown["sessions"].summary.met is None
        and "Not every provider has given" in shown["sessions"].summary.words
    )
    trs = shown["trs_median_days_to_allocation"]
    assert (
        trs.judged[0][0] == "Triage team" and trs.summary.words == "Not met: 3 against a target of at most 2"
    )
    assert joint.standing("days") == days and joint.standing("nothing") is None


def test_the_exports_show_the_target_and_the_joint_one_how_each_figure_stands() -> None:
    joint = crafted_quarter(
        {
            "supported": aim("supported", 100),
            "trs_median_days_to_allocation": aim("trs_median_days_to_allocation", 2),
        }
    )
    rows = exports.quarter_table(joint)
    assert rows[0][-2:] == ["Target", "Against target"]
    by_code = {row[0]: row for row in rows if row}
    assert by_code["supported"][-2:] == ["at least 100", f"{MET} Met: 110 against a target of at least 100"]
    assert by_code["trs_median_days_to_allocation"][-2:] == [
        "at least 2",
        f"{MET} Met: 3 against a target of at least 2",
    ]
    assert len(by_code["days"]) == len(rows[0]) - 2  # no target: nothing added
    published = exports.quarter_table(joint, publication=True)
    assert published[0][-1] == "Target" and "Against target" not in published[0]
    assert {row[0]: row for row in published if row}["supported"][-1] == "at least 100"
    assert not any("Met" in str(cell) for row in published for cell in row)
    assert "Target" not in exports.quarter_table(crafted_quarter({}))[0]  # no target: no new columns


def test_a_trend_judges_each_quarter_against_the_target_then_in_force() -> None:
    quarters = [LAST.previous().previous(), LAST.previous(), LAST]
    definition = KpiDefinition(code="supported", label="People supported", unit=Unit.COUNT)
    series: dict[str, list[Number | None]] = {"Rise": [40, 60, 70], "All providers": [40, 60, 70]}
    targets = [None, aim("supported", 50), aim("supported", 80)]
    trend = Trend(definition, quarters, series, None, targets)
    assert list(trend.judged()) == ["All providers"]  # a count is judged all together
    rows = dict(trend.rows_against_target())
    assert rows["All providers"] == ["40", f"60 {MET} Met", f"70 {NOT_MET} Not met"]
    assert rows["Rise"] == ["40", "60", "70"] and rows["Target"] == [NO_FIGURE, "at least 50", "at least 80"]
    table = exports.trend_table([trend])
    assert ["", "All providers: against target", "", f"{MET} Met", f"{NOT_MET} Not met"] in table
    assert ["", "Target", "", "at least 50", "at least 80"] in table
    svg = ElementTree.fromstring(str(line_chart(trend, "chart-t")))  # noqa: S314  (the hub's own chart)
    marks = [
        r.findtext(f"{SVG}title")
        for r in svg.iter(f"{SVG}rect")
        if r.get("class") == "hub-chart__target-mark"
    ]
    assert marks == ["Target, Q1 2026/27: at least 50", "Target, Q2 2026/27: at least 80"]
    assert "Target (it changes: see the table), in some" in "".join(svg.itertext())
    assert "black dashed line with squares shows the target" in (svg.findtext(f"{SVG}desc") or "")
    top = max(float(t.get("y1") or 0) for t in svg.iter(f"{SVG}line"))  # the axis takes in the target (80)
    assert top and "80" in [t.text for t in svg.iter(f"{SVG}text")]
    plain = ElementTree.fromstring(str(line_chart(Trend(definition, quarters, series), "chart-p")))  # noqa: S314
    assert not [r for r in plain.iter(f"{SVG}rect")] and "Target" not in "".join(plain.itertext())
