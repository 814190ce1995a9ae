"""Exports of the joint return for commissioners (CSV and XLSX), and the "for publication" variant.

Disclosure control for publication is ``hub.kpi.disclosure.control``, the one rule this export and the
public pathway report share: every count (each provider's and the total, figures and breakdowns
together) from 1 to the threshold is ``*``, others rounded to 5, and more withheld (``x``) wherever the
sums would give one away; rates worked out over few people are hidden.

Every text cell is made safe from spreadsheet formula injection: text starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading apostrophe. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

from hub.kpi import disclosure
from hub.kpi.joint import JointQuarter, Trend
from hub.kpi.models import Unit

HIDDEN = disclosure.SMALL
RISKY_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | None


def safe_text(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(RISKY_STARTS):
        return "'" + value
    return value


def quarter_table(joint: JointQuarter, *, publication: bool = False, threshold: int = 7) -> list[list[Cell]]:
    """The quarter as rows: a header, one row per figure (providers, then the total), then TRS's own."""
    header: list[Cell] = ["Code", "Figure", "Unit", *(c.provider.name for c in joint.columns), "Total"]
    grid: dict[str, list[Cell]] = {}
    for definition in joint.definitions:
        values: list[Cell] = [c.figures.get(definition.code) if c.figures else None for c in joint.columns]
        grid[definition.code] = [*values, joint.total(definition)]
    if publication:
        _disclosure_control(joint, grid, threshold)
    rows: list[list[Cell]] = [header]
    for definition in joint.definitions:
        rows.append([definition.code, definition.label, definition.unit.value, *grid[definition.code]])
    rows.append([])
    rows.append(["Return state", "", "", *(c.state for c in joint.columns), ""])
    for code, figure in joint.trs.items():
        rows.append([code, joint.trs_labels[code], "", *([""] * len(joint.columns)), figure.value])
    return [[safe_text(cell) for cell in row] for row in rows]


def _disclosure_control(joint: JointQuarter, grid: dict[str, list[Cell]], threshold: int) -> None:
    """Every count (each provider's and the total) through the one rule, with the sums a reader knows:
    a breakdown's parts add up to its figure, and the providers add up to the total. A percentage or
    number of days is shown whole, and hidden when worked out over few people."""
    counts = [d for d in joint.definitions if d.unit is Unit.COUNT]
    total = len(joint.columns)
    values: dict[tuple[str, int], int | None] = {}
    for definition in counts:
        for index, value in enumerate(grid[definition.code]):
            values[(definition.code, index)] = None if value is None else int(value)
    shown = disclosure.control(values, _sums(joint, values), threshold)
    for (code, index), cell in shown.items():
        grid[code][index] = cell
    for definition in joint.definitions:
        if definition.unit is Unit.COUNT:
            continue
        row, base_code = grid[definition.code], disclosure.RATE_BASES.get(definition.code)
        for index in range(total):
            base = values.get((base_code, index)) if base_code else None
            rate = row[index]
            row[index] = disclosure.rate_shown(
                rate if isinstance(rate, int | float) else None, base, threshold
            )


def _sums(joint: JointQuarter, values: dict[tuple[str, int], int | None]) -> list[disclosure.Relation[Any]]:
    total = len(joint.columns)
    groups: dict[tuple[str, str], list[str]] = {}
    for definition in joint.definitions:
        if definition.unit is Unit.COUNT and definition.breakdown and definition.sums_to:
            groups.setdefault((definition.breakdown, definition.sums_to), []).append(definition.code)
    found: list[disclosure.Relation[Any]] = []
    for (_, sums_to), codes in groups.items():
        if any((sums_to, i) in values for i in range(total + 1)):
            found += [
                disclosure.Relation(tuple((c, i) for c in codes), (sums_to, i)) for i in range(total + 1)
            ]
    for code in {c for c, _ in values}:
        given = tuple((code, i) for i in range(total) if values.get((code, i)) is not None)
        if given:
            found.append(disclosure.Relation(given, (code, total)))
    return found


def trend_table(found: Sequence[Trend]) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for trend in found:
        rows.append([trend.definition.label, "", *(q.short for q in trend.quarters)])
        for name, values in trend.series.items():
            rows.append(["", name, *values])
        rows.append([])
    return [[safe_text(cell) for cell in row] for row in rows]


def as_csv(rows: list[list[Cell]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return buffer.getvalue().encode("utf-8-sig")  # the BOM lets spreadsheet programs read UTF-8


def as_xlsx(sheets: dict[str, list[list[Cell]]]) -> bytes:
    book = Workbook(write_only=True)
    for title, rows in sheets.items():
        sheet: Any = book.create_sheet(title=title[:31])
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
