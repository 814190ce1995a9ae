"""Trend charts people can read: a point for a quarter on its own, lines between quarters next to each
other and gaps where a quarter has no figure, honest axes, every legend name whole and inside the picture,
and a table on the page with the same numbers."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from xml.etree import ElementTree

import pytest
import time_machine
from flask import Flask
from sqlalchemy.orm import Session

from hub.auth.models import Role
from hub.calendar import Quarter
from hub.kpi import returns
from hub.kpi.charts import CHARACTER, axis, line_chart
from hub.kpi.joint import Trend
from hub.kpi.models import KpiDefinition, Unit

from . import factories
from .staff import signed_in
from .test_kpi_joint import supporting
from .test_kpi_returns import PROVIDER

SVG = "{http://www.w3.org/2000/svg}"
LONG_NAME = (
    "The Northern Lighthouse Women's Therapeutic Support and Advocacy Service (Sheffield and Rotherham)"
)


def drawn(values: Mapping[str, Sequence[float | int | None]], unit: Unit = Unit.COUNT) -> ElementTree.Element:
    quarters = Quarter(2026, 4).back(max(len(v) for v in values.values()))[::-1]
    definition = KpiDefinition(code="people_supported", label="People supported <b>", unit=unit)
    chart = str(
        line_chart(Trend(definition, quarters, {k: list(v) for k, v in values.items()}), "chart-test")
    )
    return ElementTree.fromstring(chart)  # noqa: S314  (the hub's own chart, not untrusted input)


def points(svg: ElementTree.Element) -> list[str]:
    return [(c.findtext(f"{SVG}title") or "") for c in svg.iter(f"{SVG}circle") if c.get("class")]


def lines(svg: ElementTree.Element) -> list[list[str]]:
    return [(p.get("points") or "").split() for p in svg.iter(f"{SVG}polyline")]


def test_a_single_quarter_draws_a_point_for_each_provider() -> None:
    svg = drawn({"Harbour": [12], "Lighthouse": [7]})
    assert points(svg) == ["Harbour, Q3 2026/27: 12", "Lighthouse, Q3 2026/27: 7"]
    assert lines(svg) == []


def test_two_quarters_draw_a_line_and_a_gap_is_not_bridged() -> None:
    assert [len(line) for line in lines(drawn({"Harbour": [12, 15]}))] == [2]
    gapped = drawn({"Harbour": [12, 15, None, 20, 22, None, 9]})
    assert [len(line) for line in lines(gapped)] == [2, 2], "the line stops at each gap"
    assert len(points(gapped)) == 5, "the lone last figure is still a point"


def test_a_provider_with_no_figures_is_in_the_legend_but_draws_nothing() -> None:
    svg = drawn({"Harbour": [3, 4], "New provider": [None, None]})
    assert [t.split(",")[0] for t in points(svg)] == ["Harbour", "Harbour"]
    assert "New provider" in legend_text(svg)


def legend_text(svg: ElementTree.Element) -> str:
    return " ".join(t.text or "" for t in svg.iter(f"{SVG}text") if t.get("class") == "hub-chart__legend")


def test_every_legend_name_is_whole_and_inside_the_picture() -> None:
    names = {LONG_NAME: [1, 2], "Harbour": [3, 4], "Lighthouse & <Co>": [5, 6]}
    svg = drawn(names)
    _, _, width, height = (float(n) for n in (svg.get("viewBox") or "").split())
    assert " ".join(legend_text(svg).split()) == " ".join(" ".join(names).split())
    for text in svg.iter(f"{SVG}text"):
        x, y, size = float(text.get("x") or 0), float(text.get("y") or 0), float(text.get("font-size") or 0)
        extent = len(text.text or "") * size * CHARACTER
        left = x - extent / 2 if text.get("text-anchor") == "middle" else x - extent
        right = x + extent / 2 if text.get("text-anchor") == "middle" else x
        if text.get("text-anchor") not in ("middle", "end"):
            left, right = x, x + extent
        assert left >= 0 and right <= width and size <= y <= height, (text.text, x, y)


def test_text_takes_the_pages_font_and_nothing_sets_another() -> None:
    chart = str(
        line_chart(Trend(KpiDefinition(code="c", label="C", unit=Unit.COUNT), [Quarter(2026, 3)], {}), "c")
    )
    assert "font-family" not in chart, "the SVG inherits the page's font (Arial) from the stylesheet"
    stylesheet = (Path(__file__).parents[1] / "hub" / "assets" / "hub.scss").read_text()
    assert re.search(r"\.hub-chart \{[^}]*font-family: \$govuk-font-family;", stylesheet)
    assert re.search(r"\.hub-chart text \{[^}]*font-family: inherit;", stylesheet)


@pytest.mark.parametrize(
    ("unit", "values", "top", "step"),
    [
        (Unit.PERCENTAGE, [12.5, 14], 100, 25),
        (Unit.PERCENTAGE, [0], 100, 25),
        (Unit.COUNT, [3, 7], 8, 2),
        (Unit.COUNT, [41, 38], 50, 10),
        (Unit.COUNT, [0, 0], 4, 1),
        (Unit.COUNT, [1], 1, 1),
        (Unit.COUNT, [4], 4, 1),
        (Unit.COUNT, [100], 100, 20),
        (Unit.COUNT, [101], 150, 50),
        (Unit.COUNT, [1940], 2000, 500),
        (Unit.DAYS, [2.5, 1.5], 2.5, 0.5),
        (Unit.DAYS, [0.3], 0.3, 0.1),
        (Unit.COUNT, [], 4, 1),
    ],
)
def test_the_value_axis_starts_at_0_and_ends_at_the_first_round_step_above_every_figure(
    unit: Unit, values: list[float], top: float, step: float
) -> None:
    found_top, found_step = axis(unit, values)
    assert (found_top, found_step) == pytest.approx((top, step))
    assert max(values, default=0) <= found_top and round(found_top / found_step) <= 5
    if unit is Unit.COUNT:
        assert found_step == int(found_step), "a count's axis has whole numbers only"


def test_the_lowest_axis_label_is_0_and_a_percentage_axis_ends_at_100() -> None:
    svg = drawn({"Harbour": [40.5, 41.0]}, unit=Unit.PERCENTAGE)
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert labels == ["0", "25", "50", "75", "100"]


def test_the_title_and_description_are_escaped_and_say_what_is_drawn() -> None:
    svg = drawn({"Harbour": [1, 2]})
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "chart-test-title chart-test-desc"
    assert svg.findtext(f"{SVG}title") == "People supported <b>, by quarter"
    assert "from July to September 2026 (Q2 2026/27) to October to December 2026 (Q3 2026/27)" in (
        svg.findtext(f"{SVG}desc") or ""
    )


@pytest.mark.usefixtures("midday")
def test_the_commissioners_chart_and_its_table_hold_the_same_numbers(app: Flask, db_session: Session) -> None:
    harbour = factories.provider(db_session, name="Harbour")
    lighthouse = factories.provider(db_session, name="Lighthouse")
    db_session.commit()
    for quarter, provider, supported in (
        (Quarter(2026, 2), harbour, 30),
        (Quarter(2026, 3), harbour, 40),
        (Quarter(2026, 3), lighthouse, 25),
    ):
        with time_machine.travel(quarter.ends.isoformat()):
            figures = supporting(db_session, provider, quarter, supported)
            assert not returns.save(
                db_session, provider.id, quarter, figures, {}, PROVIDER, submit=True
            ).errors
    client, _ = signed_in(app, db_session, Role.COMMISSIONER)
    page = html.unescape(client.get("/commissioner/kpi?quarter=20263").get_data(as_text=True))
    chart = re.search(r'<svg class="hub-chart"[^>]*"chart-people_supported-title.*?</svg>', page, re.S)
    assert chart
    in_chart = set(re.findall(r"<title>([^<]+: [0-9.]+)</title>", chart.group(0)))
    table = re.search(
        r'<div class="hub-table-scroll"[^>]*>\s*<table.*?</table>\s*</div>', page[chart.end() :], re.S
    )
    assert table, "the chart's table sits inside its own scroll area"
    heads = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', table.group(0))[1:]
    in_table = set()
    for name, cells in re.findall(r'<th scope="row"[^>]*>([^<]+)</th>(.*?)</tr>', table.group(0), re.S):
        for quarter, cell in zip(heads, re.findall(r"<td[^>]*>([^<]+)</td>", cells), strict=True):
            if cell != "\N{EN DASH}":  # no figure
                in_table.add(f"{name}, {quarter}: {cell}")
    assert in_chart == in_table
    assert {"Harbour, Q1 2026/27: 30", "Harbour, Q2 2026/27: 40", "Lighthouse, Q2 2026/27: 25"} <= in_chart
