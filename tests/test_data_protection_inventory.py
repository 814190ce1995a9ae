"""docs/DATA_PROTECTION.md lists every plain column, and only columns that exist, so it cannot drift.

A plain column is any column whose name does not end in ``_sealed`` (hub/sealed.py names each sealed
value's column so). The inventory is the section "What a copy of the database reveals": a row of a
table under a ``### `table` `` heading names one column; a row that starts with two names in back
quotes names a table and a column; a candidate to seal is written ``table.column``.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Column, MetaData, String

import hub.models  # noqa: F401  (every model registers its table)
from hub.db import Base

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "DATA_PROTECTION.md"
SECTION = "## What a copy of the database reveals"
NAME = re.compile(r"^`([a-z_0-9]+)`$")
DOTTED = re.compile(r"^`([a-z_0-9]+)\.([a-z_0-9]+)`$")

Columns = set[tuple[str, str]]


def section(text: str) -> str:
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start : end if end != -1 else len(text)]


def inventory(text: str) -> tuple[Columns, Columns]:
    """(the plain columns the inventory explains, the columns it names as candidates to seal)."""
    explained: Columns = set()
    candidates: Columns = set()
    tables: list[str] = []
    for line in section(text).splitlines():
        if line.startswith("### "):
            tables = re.findall(r"`([a-z_0-9]+)`", line)
            continue
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        first, second = NAME.match(cells[0]), NAME.match(cells[1]) if len(cells) > 1 else None
        dotted = DOTTED.match(cells[0])
        if dotted:
            candidates.add((dotted.group(1), dotted.group(2)))
        elif first and second and len(cells) >= 4:
            explained.add((first.group(1), second.group(1)))
        elif first:
            assert len(tables) == 1, f"the row for {cells[0]} is under a heading naming {tables}"
            explained.add((tables[0], first.group(1)))
    return explained, candidates


def plain_columns(metadata: MetaData) -> Columns:
    return {
        (table.name, column.name)
        for table in metadata.tables.values()
        for column in table.columns
        if not column.name.endswith("_sealed")
    }


def drift(text: str, metadata: MetaData) -> list[str]:
    """What the inventory leaves out or gets wrong, each as a sentence; empty when it is right."""
    explained, candidates = inventory(text)
    plain = plain_columns(metadata)
    problems = [f"{t}.{c} is plain but not in the inventory" for t, c in sorted(plain - explained)]
    problems += [
        f"the inventory names {t}.{c}, which is not a plain column" for t, c in sorted(explained - plain)
    ]
    problems += [f"the candidate {t}.{c} is not a plain column" for t, c in sorted(candidates - plain)]
    return problems


def test_the_inventory_lists_every_plain_column_and_nothing_else() -> None:
    assert drift(DOCUMENT.read_text(), Base.metadata) == []


def test_a_new_plain_column_left_out_of_the_inventory_fails() -> None:
    metadata = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    metadata.tables["referral"].append_column(Column("religion", String(40)))
    metadata.tables["allocation"].append_column(Column("notes_sealed", String(40)))  # sealed: not listed

    assert drift(DOCUMENT.read_text(), metadata) == ["referral.religion is plain but not in the inventory"]


def test_a_column_named_in_the_inventory_that_does_not_exist_fails() -> None:
    text = DOCUMENT.read_text()
    row = "| `privacy_notice` |"
    assert row in text
    renamed = text.replace(row, "| `privacy_notice_shown` |")
    candidate = text.replace("| `referral.help_choosing` |", "| `referral.full_name_sealed` |")

    assert drift(renamed, Base.metadata) == [
        "referral.privacy_notice is plain but not in the inventory",
        "the inventory names referral.privacy_notice_shown, which is not a plain column",
    ]
    assert drift(candidate, Base.metadata) == [
        "the candidate referral.full_name_sealed is not a plain column"
    ]


def test_every_candidate_to_seal_is_explained_as_plain_too() -> None:
    explained, candidates = inventory(DOCUMENT.read_text())
    assert candidates and candidates <= explained
