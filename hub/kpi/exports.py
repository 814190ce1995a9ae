"""Exports of the joint return for commissioners (CSV and XLSX), and the "for publication" variant.

Disclosure control for publication (DESIGN.md): breakdown counts from 1 to the threshold (7 unless
``HUB_SUPPRESSION_THRESHOLD`` says otherwise) are shown as ``*``; other breakdown counts are rounded
to the nearest 5; then secondary suppression: wherever a shown total would reveal a single hidden
cell (a provider's breakdown adding up to its total, or the providers adding up to the all-provider
total), the next smallest cell in that line is hidden too, and so on until no line gives one away.

Every text cell is made safe from spreadsheet formula injection: text starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading apostrophe. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

from hub.kpi.joint import JointQuarter, Number, Trend
from hub.kpi.targets import target_text

HIDDEN = "*"
RISKY_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | None


def safe_text(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(RISKY_STARTS):
        return "'" + value
    return value


def _round5(value: Number) -> int:
    return int(5 * round(float(value) / 5))


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
    _with_targets(joint, rows, publication=publication)
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


def _disclosure_control(joint: JointQuarter, grid: dict[str, list[Cell]], threshold: int) -> None:
    breakdown = [d for d in joint.definitions if d.breakdown]
    hidden: set[tuple[str, int]] = set()
    for definition in breakdown:
        for index, value in enumerate(grid[definition.code]):
            if isinstance(value, int | float) and 1 <= value <= threshold:
                hidden.add((definition.code, index))
    # Lines of cells that add up to a shown total: each provider's breakdown (to its total figure),
    # and each breakdown figure across the providers (to its all-provider total).
    lines: list[tuple[list[tuple[str, int]], tuple[str, int]]] = []
    groups: dict[tuple[str, str], list[str]] = {}
    for definition in breakdown:
        if definition.sums_to:
            groups.setdefault((definition.breakdown or "", definition.sums_to), []).append(definition.code)
    for (_, total_code), codes in groups.items():
        for index in range(len(joint.columns) + 1):
            lines.append(([(code, index) for code in codes], (total_code, index)))
    total_index = len(joint.columns)
    for definition in breakdown:
        lines.append(([(definition.code, i) for i in range(total_index)], (definition.code, total_index)))
    changed = True
    while changed:
        changed = False
        for cells, total in lines:
            # A line's cells add up to its total: one unknown among them can be worked out.
            if sum(1 for c in (*cells, total) if c in hidden) != 1:
                continue
            candidates = [c for c in cells if c not in hidden and isinstance(_value(grid, c), int | float)]
            if candidates:
                # The smallest cell that is not zero (a hidden zero protects little), else a zero.
                hidden.add(min(candidates, key=lambda c: (_value(grid, c) == 0, _value(grid, c) or 0, c)))
            elif total not in hidden:
                hidden.add(total)
            else:
                continue  # the other cells are blank (no return): nothing can be worked out
            changed = True
    for definition in breakdown:
        row = grid[definition.code]
        for index, value in enumerate(row):
            if (definition.code, index) in hidden:
                row[index] = HIDDEN
            elif isinstance(value, int | float):
                row[index] = _round5(value)
    for code, index in hidden:
        if code not in {d.code for d in breakdown}:
            grid[code][index] = HIDDEN


def _value(grid: dict[str, list[Cell]], cell: tuple[str, int]) -> Cell:
    code, index = cell
    return grid[code][index]


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
