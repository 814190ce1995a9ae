"""Trend charts drawn on the server as SVG: no script, readable by screen readers (a title and a
description, and a title on every point), and always shown with a table of the same figures beside them.

Hand-written rather than from a charting library: a line chart is a few dozen lines here, and drawing it
ourselves keeps the text alternatives, the font and the honest axes under the hub's own control.

Honest axes: a percentage runs from 0 to 100; a count or a number of days runs from 0 to a round number
at or above the largest figure, so a small change never looks like a big one. Every figure is a point
(a quarter on its own still shows); points in quarters next to each other are joined, and a quarter with
no figure leaves a gap rather than a line drawn across it. The legend sits below the chart, one line per
provider, so no name is cut off.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from hub.kpi.joint import Trend
from hub.kpi.models import Unit
from hub.kpi.returns import figure_text
from hub.kpi.targets import target_text

WIDTH, PLOT_HEIGHT, LEFT, RIGHT, TOP = 560, 220, 56, 48, 16
AXIS_GAP = 40  # below the plot: the quarters' names
LEGEND_LINE = 22
FONT, SMALL = 16, 14
CHARACTER = 0.6  # Arial's widest ordinary letters are about 0.6 of the font size
LEGEND_CHARACTERS = int((WIDTH - LEFT - 40) / (FONT * CHARACTER))
# GOV.UK colours with strong contrast, and a different dash and mark for each line so colour is not needed.
COLOURS = ("#1d70b8", "#d4351c", "#00703c", "#4c2c92", "#f47738", "#505a5f")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")


def axis(unit: Unit, values: Sequence[float]) -> tuple[float, float]:
    """The value axis: where it ends and the step between its lines, always from 0. A percentage runs to
    100 in steps of 25; anything else to the first round step (1, 2 or 5 times a power of ten, whole
    for a count) at or above the largest value, in at most five steps."""
    if unit is Unit.PERCENTAGE:
        return 100.0, 25.0
    largest = max(values, default=0.0)
    if largest <= 0:
        return 4.0, 1.0
    power = 10.0 ** math.floor(math.log10(largest / 5))
    step = next(m * power for m in (1.0, 2.0, 5.0, 10.0) if m * power * 5 >= largest)
    if unit is Unit.COUNT:
        step = max(step, 1.0)
    return step * math.ceil(largest / step - 1e-9), step


def _legend_lines(names: Sequence[str]) -> list[tuple[int, list[str]]]:
    """Each series' name wrapped to fit the chart's width: (series index, lines)."""
    return [(n, textwrap.wrap(name, LEGEND_CHARACTERS) or [name]) for n, name in enumerate(names)]


TARGET_COLOUR, TARGET_DASH = "#0b0c0c", "10 5"
"""The target: black, long dashes and square marks, a line no provider's line looks like."""


def line_chart(trend: Trend, chart_id: str) -> Markup:
    values = [float(v) for series in trend.series.values() for v in series if v is not None]
    values += [float(t.value) for t in trend.targets if t is not None and t.value is not None]
    top, step = axis(trend.definition.unit, values)
    count = len(trend.quarters)
    plot_w = WIDTH - LEFT - RIGHT
    legend = _legend_lines(list(trend.series))
    targeted = _target_legend(trend)
    legend_lines = sum(len(lines) for _, lines in legend) + len(targeted)
    height = TOP + PLOT_HEIGHT + AXIS_GAP + LEGEND_LINE * legend_lines + 8

    def x(i: int) -> float:
        return LEFT + plot_w / 2 if count == 1 else LEFT + plot_w * i / (count - 1)

    def y(v: float) -> float:
        return TOP + PLOT_HEIGHT - PLOT_HEIGHT * (v / top)

    label = escape(trend.definition.label)
    parts = [
        f'<svg class="hub-chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{label}, by quarter</title>',
        f'<desc id="{chart_id}-desc">A line for each provider from {escape(trend.quarters[0].label)} to '
        f"{escape(trend.quarters[-1].label)}, on a scale from 0 to {figure_text(top)}. "
        + ("A black dashed line with squares shows the target. " if targeted else "")
        + "The same figures are in the table that follows.</desc>",
    ]
    parts += _axes(top, step, [q.short for q in trend.quarters], x)
    for n, (name, series) in enumerate(trend.series.items()):
        parts += _series(n, name, series, [q.short for q in trend.quarters], x, y)
    if targeted:
        parts += _target_line(trend, x, y, plot_w)
    parts += _legend(legend, TOP + PLOT_HEIGHT + AXIS_GAP)
    parts += _target_key(
        targeted, TOP + PLOT_HEIGHT + AXIS_GAP + LEGEND_LINE * (legend_lines - len(targeted))
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every piece of text above is escaped)


Place = Callable[[int], float]
Level = Callable[[float], float]


def _axes(top: float, step: float, quarters: Sequence[str], x: Place) -> list[str]:
    bottom = TOP + PLOT_HEIGHT
    parts = []
    lines = round(top / step)
    for n in range(lines + 1):  # a gridline at 0 and at each step up to the top
        value = step * n
        level = bottom - PLOT_HEIGHT * n / lines
        parts.append(
            f'<line x1="{LEFT}" y1="{level:.1f}" x2="{WIDTH - RIGHT}" y2="{level:.1f}" '
            f'stroke="{"#0b0c0c" if n == 0 else "#b1b4b6"}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 8}" y="{level + 5:.1f}" text-anchor="end" font-size="{SMALL}">'
            f"{figure_text(value)}</text>"
        )
    parts.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}" stroke="#0b0c0c"/>')
    # With many quarters, name every other one so the names never run into each other.
    every = 1 if len(quarters) * SMALL * CHARACTER * 11 <= WIDTH - LEFT - RIGHT else 2
    for i, name in enumerate(quarters):
        if (len(quarters) - 1 - i) % every == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{bottom + 24}" text-anchor="middle" font-size="{SMALL}">'
                f"{escape(name)}</text>"
            )
    return parts


def _series(
    n: int, name: str, series: Sequence[float | int | None], quarters: Sequence[str], x: Place, y: Level
) -> list[str]:
    colour, dash = COLOURS[n % len(COLOURS)], DASHES[n % len(DASHES)]
    dashed = f'stroke-width="3" stroke-dasharray="{dash}"' if dash else 'stroke-width="3"'
    parts = []
    run: list[str] = []
    for i, value in enumerate([*series, None]):  # a gap (or the end) closes the line drawn so far
        if value is None:
            if len(run) > 1:
                points = " ".join(run)
                parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" {dashed}/>')
            run = []
            continue
        run.append(f"{x(i):.1f},{y(float(value)):.1f}")
    for i, value in enumerate(series):
        if value is not None:
            parts.append(
                f'<circle class="hub-chart__point" cx="{x(i):.1f}" cy="{y(float(value)):.1f}" r="5" '
                f'fill="{colour}"><title>{escape(name)}, {escape(quarters[i])}: {figure_text(value)}</title>'
                "</circle>"
            )
    return parts


def _legend(legend: Sequence[tuple[int, list[str]]], start: float) -> list[str]:
    parts, line = [], 0
    for n, lines in legend:
        colour, dash = COLOURS[n % len(COLOURS)], DASHES[n % len(DASHES)]
        middle = start + LEGEND_LINE * line + LEGEND_LINE / 2
        parts.append(
            f'<line x1="{LEFT}" y1="{middle:.1f}" x2="{LEFT + 28}" y2="{middle:.1f}" stroke="{colour}" '
            f'stroke-width="3"' + (f' stroke-dasharray="{dash}"' if dash else "") + "/>"
        )
        parts.append(f'<circle cx="{LEFT + 14}" cy="{middle:.1f}" r="5" fill="{colour}"/>')
        for text in lines:
            middle = start + LEGEND_LINE * line + LEGEND_LINE / 2
            parts.append(
                f'<text class="hub-chart__legend" x="{LEFT + 40}" y="{middle + 5:.1f}" font-size="{FONT}">'
                f"{escape(text)}</text>"
            )
            line += 1
    return parts


def _target_legend(trend: Trend) -> list[str]:
    """The target's lines in the legend: what it is, or that it changes (the table says how)."""
    if not any(trend.targets):
        return []
    words = {target_text(t) for t in trend.targets if t is not None}
    said = f"Target: {words.pop()}" if len(words) == 1 else "Target (it changes: see the table)"
    if None in trend.targets:
        said += ", in some quarters"
    return textwrap.wrap(said, LEGEND_CHARACTERS - 2) or [said]


def _target_line(trend: Trend, x: Place, y: Level, plot_w: float) -> list[str]:
    """The target in each quarter as a level step across the quarter's width, with a square mark and
    a title at each quarter; quarters with no target leave a gap."""
    count = len(trend.quarters)
    half = plot_w / 2 if count == 1 else plot_w / (count - 1) / 2
    parts: list[str] = []
    run: list[str] = []
    style = f'fill="none" stroke="{TARGET_COLOUR}" stroke-width="2" stroke-dasharray="{TARGET_DASH}"'
    for i, target in enumerate([*trend.targets, None]):
        if target is None or target.value is None:
            if run:
                parts.append(f'<polyline class="hub-chart__target" points="{" ".join(run)}" {style}/>')
            run = []
            continue
        level = y(float(target.value))
        left, right = max(LEFT, x(i) - half), min(WIDTH - RIGHT, x(i) + half)
        run += [f"{left:.1f},{level:.1f}", f"{right:.1f},{level:.1f}"]
        parts.append(
            f'<rect class="hub-chart__target-mark" x="{x(i) - 4:.1f}" y="{level - 4:.1f}" '
            f'width="8" height="8" fill="{TARGET_COLOUR}"><title>Target, {escape(trend.quarters[i].short)}: '
            f"{escape(target_text(target))}</title></rect>"
        )
    return parts


def _target_key(lines: Sequence[str], start: float) -> list[str]:
    if not lines:
        return []
    middle = start + LEGEND_LINE / 2
    parts = [
        f'<line x1="{LEFT}" y1="{middle:.1f}" x2="{LEFT + 28}" y2="{middle:.1f}" stroke="{TARGET_COLOUR}" '
        f'stroke-width="2" stroke-dasharray="{TARGET_DASH}"/>',
        f'<rect x="{LEFT + 10}" y="{middle - 4:.1f}" width="8" height="8" fill="{TARGET_COLOUR}"/>',
    ]
    for n, text in enumerate(lines):
        level = start + LEGEND_LINE * n + LEGEND_LINE / 2
        parts.append(
            f'<text class="hub-chart__legend" x="{LEFT + 40}" y="{level + 5:.1f}" font-size="{FONT}">'
            f"{escape(text)}</text>"
        )
    return parts
