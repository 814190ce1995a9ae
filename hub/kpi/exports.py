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
from hub.kpi.targets import target_text

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
    trs: dict[str, Cell] = {code: figure.value for code, figure in joint.trs.items()}
    if publication:
        _disclosure_control(joint, grid, trs, threshold)
    rows: list[list[Cell]] = [header]
    for definition in joint.definitions:
        rows.append([definition.code, definition.label, definition.unit.value, *grid[definition.code]])
    rows.append([])
    rows.append(["Return state", "", "", *(c.state for c in joint.columns), ""])
    for code, value in trs.items():
        rows.append([code, joint.trs_labels[code], "", *([""] * len(joint.columns)), value])
    _with_targets(joint, rows, publication=publication)
    if publication:
        rows.append([])
        rows += [[note] for note in disclosure.notes(threshold)]
    return [[safe_text(cell) for cell in row] for row in rows]


def _with_targets(joint: JointQuarter, rows: list[list[Cell]], *, publication: bool) -> None:
    """When any target is in force: a target column after the total, and (not for publication, where
    the words would give away a hidden figure) the figure against its target in words and a symbol."""
    header, width = rows[0], len(rows[0])
    standings = {s.code: s for s in joint.against_target()}
    if not standings:
        return  # a quarter with no target in force: the table as it always was
    header += ["Target"] if publication else ["Target", "Against target"]
    for row in rows[1:]:
        standing = standings.get(str(row[0])) if row else None
        if standing is None or len(row) != width:
            continue
        row.append(standing.target_words)
        if not publication:
            row.append(f"{standing.summary.symbol} {standing.summary.words}")


def _disclosure_control(
    joint: JointQuarter, grid: dict[str, list[Cell]], trs: dict[str, Cell], threshold: int
) -> None:
    """Every count (each provider's, the total, the triage team's) through the one rule at once, with
    the sums a reader knows: a breakdown's parts add up to its figure, the providers add up to the total,
    and the providers' declines add up to the triage team's (when none was changed). A percentage or
    number of days is shown whole, and hidden when worked out over few people."""
    total = len(joint.columns)
    values: dict[tuple[str, int], int | None] = {}
    for definition in joint.definitions:
        if definition.unit is Unit.COUNT:
            for index, value in enumerate(grid[definition.code]):
                values[(definition.code, index)] = _count(value)
    for code, value in trs.items():
        if code not in TRS_RATES and code not in TRS_SHARES:
            values[(code, TRS)] = _count(value)
    sums = _sums(joint, values)
    if ("declined", 0) in values and ("trs_declines", TRS) in values:
        sums.append(disclosure.Relation(tuple(("declined", i) for i in range(total)), ("trs_declines", TRS)))
    shown = disclosure.control(values, sums, threshold)
    for (code, index), cell in shown.items():
        if index == TRS:
            trs[code] = cell
        else:
            grid[code][index] = cell
    for definition in joint.definitions:
        if definition.unit is not Unit.COUNT:
            row, base_code = grid[definition.code], disclosure.RATE_BASES.get(definition.code)
            for index in range(total):
                base = values.get((base_code, index)) if base_code else None
                row[index] = _rate(row[index], base, threshold)
    base = values.get(("trs_first_allocations", TRS))
    for code in TRS_RATES & set(trs):
        trs[code] = _rate(trs[code], base, threshold)
    for code, (part, whole) in TRS_SHARES.items():
        if code in trs:
            trs[code] = disclosure.share_shown(_shown(trs.get(part)), _shown(trs.get(whole)), threshold)


TRS = -1  # the triage team's figures: a column of their own
TRS_RATES = {"trs_median_days_to_allocation", "trs_median_working_days_to_allocation"}
TRS_SHARES = {"trs_allocated_in_time_pct": ("trs_allocated_in_time", "trs_first_allocations")}


def _count(value: Cell) -> int | None:
    return None if value is None else int(value)


def _rate(rate: Cell, base: int | None, threshold: int) -> Cell:
    return disclosure.rate_shown(rate if isinstance(rate, int | float) else None, base, threshold)


def _shown(cell: Cell) -> disclosure.Shown:
    """A count as the control left it (a whole number or a symbol); anything else is hidden."""
    return disclosure.SMALL if isinstance(cell, float) else cell


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
    for code in {c for c, i in values if i != TRS}:
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
        for name, judged in trend.judged().items():
            rows.append(["", f"{name}: against target", *("" if j is None else j.brief for j in judged)])
        if trend.targets:
            rows.append(["", "Target", *("" if t is None else target_text(t) for t in trend.targets)])
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
