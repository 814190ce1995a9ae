"""The public pathway report as the page and its CSV show it: each published quarter's figures in plain
words with their targets, and trends over the published quarters (charts, each with its table).

Everything here reads only what was frozen when a quarter was published (``hub.kpi.publication``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from hub.kpi import disclosure
from hub.kpi.charts import line_chart
from hub.kpi.disclosure import Shown
from hub.kpi.exports import Cell, safe_text
from hub.kpi.joint import Trend
from hub.kpi.models import KpiDefinition, Unit
from hub.kpi.publication import AGENCIES, COUNTS, Published

NOT_GIVEN = "\u2013"

# Each section: a heading, and its lines: (count or rate shown, the count a share is of, words, indented)
SECTIONS: list[tuple[str, list[tuple[str, str | None, str, bool]]]] = [
    (
        "Referrals",
        [
            ("received", None, COUNTS["received"], False),
            ("received_professional", None, COUNTS["received_professional"], True),
            ("received_self", None, COUNTS["received_self"], True),
        ],
    ),
    (
        "Referrals from professionals, by the kind of organisation they work for",
        [(name, None, words, False) for name, words in AGENCIES.items()],
    ),
    (
        "Allocation by the triage team",
        [
            ("first_allocations", None, COUNTS["first_allocations"], False),
            ("median_working_days", None, "Median working days from referral to allocation", False),
            ("in_time_pct", "allocated_in_time", "Allocated within {days} working days of arriving", False),
        ],
    ),
    (
        "No waiting lists",
        [("waiting", None, COUNTS["waiting"], False)],
    ),
    (
        "Support and outcomes",
        [
            ("people_supported", None, COUNTS["people_supported"], False),
            ("closed_cases", None, COUNTS["closed_cases"], False),
            ("measured_pct", "measured", "of them, with an outcome measure at the start and the end", True),
            ("improved_pct", "improved", "of those measured, whose score improved reliably", True),
        ],
    ),
    (
        "What survivors said",
        [
            ("feedback_responses", None, COUNTS["feedback_responses"], False),
            ("felt_safer_pct", "felt_safer", "said they felt safer", True),
            ("satisfied_pct", "satisfied", "said they were satisfied with their support", True),
        ],
    ),
]
TRENDS = [
    ("received", "Referrals received", Unit.COUNT),
    ("median_working_days", "Median working days from referral to allocation", Unit.DAYS),
    ("in_time_pct", "Share allocated within the target working days", Unit.PERCENTAGE),
    ("waiting", "People waiting for a first appointment at the end of the quarter", Unit.COUNT),
    ("people_supported", "People supported", Unit.COUNT),
]


def shown_text(value: Shown, unit: Unit = Unit.COUNT) -> str:
    """A published figure in words: "1,240", "87%", "3 working days", or the symbol it was hidden as."""
    if value is None:
        return NOT_GIVEN
    if isinstance(value, str):
        return value
    if unit is Unit.PERCENTAGE:
        return f"{value}%"
    if unit is Unit.DAYS:
        return f"{value:,} working day" + ("" if value == 1 else "s")
    return f"{value:,}"


@dataclass(frozen=True)
class Line:
    words: str
    shown: str
    indented: bool
    target: dict[str, Any] | None


def lines(published: Published) -> list[tuple[str, list[Line]]]:
    """The quarter's figures by section, each line in words with its target, if one was in force."""
    days = published.figures.get("overdue_working_days", "")
    found = []
    for heading, section in SECTIONS:
        shown = []
        for name, part, words, indented in section:
            shown.append(
                Line(
                    words.format(days=days),
                    _text(published, name, part),
                    indented,
                    published.target_for(name),
                )
            )
        found.append((heading, shown))
    return found


def _text(published: Published, name: str, part: str | None) -> str:
    if name == "median_working_days":
        return shown_text(published.rate(name), Unit.DAYS)
    if part is None:
        return shown_text(published.count(name))
    count, rate = published.count(part), published.rate(name)
    if rate is None or rate == disclosure.SMALL or not isinstance(count, int):
        return shown_text(count)
    return f"{shown_text(count)} ({shown_text(rate, Unit.PERCENTAGE)})"


def trends(quarters: list[Published]) -> list[tuple[Trend, Markup, list[str]]]:
    """Each trend over the published quarters (oldest first): the chart, and the table's cells as shown."""
    ordered = sorted(quarters, key=lambda p: p.quarter)
    found = []
    for name, label, unit in TRENDS:
        values = [p.count(name) if unit is Unit.COUNT else p.rate(name) for p in ordered]
        numbers: list[int | float | None] = [v if isinstance(v, int | float) else None for v in values]
        definition = KpiDefinition(code=name, label=label, unit=unit)
        trend = Trend(definition, [p.quarter for p in ordered], {"All providers": numbers})
        found.append((trend, line_chart(trend, f"chart-{name}"), [shown_text(v, unit) for v in values]))
    return found


def csv_rows(quarters: list[Published]) -> list[list[Cell]]:
    """Every published quarter's figures, one a row, with the target and how the figure stands against it."""
    rows: list[list[Cell]] = [
        ["Quarter", "Section", "Figure", "Published", "Target", "Against the target", "Why it matters"]
    ]
    for published in quarters:
        for heading, section in lines(published):
            for line in section:
                target = line.target or {}
                rows.append(
                    [
                        published.quarter.label,
                        heading,
                        line.words,
                        line.shown,
                        target.get("target", ""),
                        target.get("words", ""),
                        target.get("why", ""),
                    ]
                )
    rows.append([])
    rows += [[note] for note in footnotes(quarters)]
    return [[safe_text(cell) for cell in row] for row in rows]


def footnotes(quarters: list[Published]) -> list[str]:
    return disclosure.notes(int(quarters[0].figures["threshold"]) if quarters else 7)
