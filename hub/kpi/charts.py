"""Trend charts drawn on the server as SVG: no script, readable by screen readers (a title and a
description), and always shown with a table of the same figures beside them."""

from __future__ import annotations

from markupsafe import Markup, escape

from hub.kpi.joint import Trend
from hub.kpi.returns import figure_text

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 260, 48, 150, 16, 40
# GOV.UK colours with strong contrast, and a different dash for each line so colour is not needed.
COLOURS = ("#1d70b8", "#d4351c", "#00703c", "#4c2c92", "#f47738", "#505a5f")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")


def line_chart(trend: Trend, chart_id: str) -> Markup:
    values = [v for series in trend.series.values() for v in series if v is not None]
    top = max(values) if values else 1
    top = top if top > 0 else 1
    count = len(trend.quarters)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w * i / max(count - 1, 1))

    def y(v: float) -> float:
        return TOP + plot_h - plot_h * (v / top)

    parts = [
        f'<svg class="hub-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(trend.definition.label)}, by quarter</title>',
        f'<desc id="{chart_id}-desc">A line for each provider from {escape(trend.quarters[0].short)} to '
        f"{escape(trend.quarters[-1].short)}. The same figures are in the table that follows.</desc>",
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" stroke="#0b0c0c"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#0b0c0c"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" font-size="12">{figure_text(top)}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end" font-size="12">0</text>',
    ]
    for i, quarter in enumerate(trend.quarters):
        parts.append(
            f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="11">'
            f"{escape(quarter.short)}</text>"
        )
    for n, (name, series) in enumerate(trend.series.items()):
        colour, dash = COLOURS[n % len(COLOURS)], DASHES[n % len(DASHES)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(series) if v is not None)
        if points:
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="3"'
                + (f' stroke-dasharray="{dash}"' if dash else "")
                + "/>"
            )
        legend_y = TOP + 18 * n + 8
        parts.append(
            f'<line x1="{WIDTH - RIGHT + 10}" y1="{legend_y}" x2="{WIDTH - RIGHT + 34}" y2="{legend_y}" '
            f'stroke="{colour}" stroke-width="3"' + (f' stroke-dasharray="{dash}"' if dash else "") + "/>"
        )
        parts.append(
            f'<text x="{WIDTH - RIGHT + 40}" y="{legend_y + 4}" font-size="12">{escape(name[:18])}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every piece of text above is escaped)
