"""Key rotation: seal every stored value again under the newest key, in batches that each commit.

A run that is killed part of the way loses nothing: each batch commits on its own, a value is only
replaced if it has not changed since it was read, and a rerun picks up whatever is still under an
older key. Keys stay in the key file until :func:`retire_key` finds that no value uses them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

import hub.models  # noqa: F401  (every sealed attribute registers itself on import)
from hub import audit
from hub.db import Base, committed
from hub.keyring import HEADER_LENGTH, KEY_ID_LENGTH, Binding, CryptoError, Keyring
from hub.plurals import counted
from hub.sealed import SEALED_FIELDS

DEFAULT_BATCH_SIZE = 1000
MAX_PASSES = 5


class KeyInUse(CryptoError):
    """A key cannot be retired while a stored value still needs it."""


@dataclass
class RotationReport:
    key_id: str
    resealed: int = 0
    batches: int = 0
    passes: int = 0
    remaining: dict[str, int] = field(default_factory=dict)


def sealed_tables() -> Iterator[tuple[Table, list[str]]]:
    """Each table that holds sealed values, with the names of its sealed columns."""
    columns: dict[str, list[str]] = defaultdict(list)
    for sealed in SEALED_FIELDS:
        columns[sealed.table].append(sealed.column)
    for name in sorted(columns):
        yield Base.metadata.tables[name], columns[name]


def _key_id_expr(column: ColumnElement[bytes]) -> ColumnElement[bytes]:
    return func.substr(column, 2, KEY_ID_LENGTH)


def count_by_key(db: Session) -> dict[str, int]:
    """How many stored values each key sealed, read from the values' headers with SQL."""
    counts: dict[str, int] = defaultdict(int)
    for table, columns in sealed_tables():
        for name in columns:
            column = table.c[name]
            key_id = _key_id_expr(column).label("key_id")
            query = select(key_id, func.count()).where(column.is_not(None)).group_by(key_id)
            for raw, count in db.execute(query):
                counts[bytes(raw).decode("ascii", errors="replace")] += count
    return dict(counts)


def rotate(
    db: Session,
    keyring: Keyring,
    *,
    new_key: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
    after_batch: Callable[[RotationReport], None] | None = None,
) -> RotationReport:
    """Add a key (unless ``new_key`` is false, to finish an earlier run) and reseal everything under it.

    Values are resealed under whatever key the key file names as current at each batch, so two
    rotations at once (or a ``keys use`` meanwhile) end with every value under the one current key.
    """
    if new_key:
        keyring.add_key()
    keyring.refresh()
    report = RotationReport(key_id=keyring.current_key_id)
    while report.passes < MAX_PASSES:
        report.passes += 1
        for table, columns in sealed_tables():
            _rotate_table(db, keyring, table, columns, batch_size, report, after_batch)
        keyring.refresh()
        report.key_id = keyring.current_key_id
        with committed(db):
            report.remaining = {k: n for k, n in count_by_key(db).items() if k != report.key_id}
            if not report.remaining:
                audit.record(db, "keys.rotated", role="operator", object_kind="key", object_id=report.key_id)
        if not report.remaining:
            break
    return report


def add_key(db: Session, keyring: Keyring) -> str:
    """Add a key that opens values but seals nothing yet (step 1 of a rotation across several hosts)."""
    key_id = keyring.add_key(make_current=False)
    with committed(db):
        audit.record(db, "keys.added", role="operator", object_kind="key", object_id=key_id)
    return key_id


def use_key(
    db: Session,
    keyring: Keyring,
    key_id: str,
    *,
    reseal: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
    after_batch: Callable[[RotationReport], None] | None = None,
) -> RotationReport:
    """Make a key the file holds current, then (unless ``reseal`` is false) reseal everything under it.

    Safe to run again: the key stays current and the resealing carries on from where it stopped.
    """
    if keyring.use_key(key_id):
        with committed(db):
            audit.record(db, "keys.made_current", role="operator", object_kind="key", object_id=key_id)
    if reseal:
        return rotate(db, keyring, new_key=False, batch_size=batch_size, after_batch=after_batch)
    return RotationReport(
        key_id=keyring.current_key_id,
        remaining={k: n for k, n in count_by_key(db).items() if k != keyring.current_key_id},
    )


def _rotate_table(
    db: Session,
    keyring: Keyring,
    table: Table,
    columns: list[str],
    batch_size: int,
    report: RotationReport,
    after_batch: Callable[[RotationReport], None] | None,
) -> None:
    last_id = None
    while True:
        keyring.refresh()  # another rotation or `keys use` may have made another key current
        target = keyring.current_key_id
        current = target.encode("ascii")
        stale = [and_(table.c[c].is_not(None), _key_id_expr(table.c[c]) != current) for c in columns]
        query = select(table.c.id, *(table.c[c] for c in columns)).where(or_(*stale))
        if last_id is not None:
            query = query.where(table.c.id > last_id)
        rows = db.execute(query.order_by(table.c.id).limit(batch_size)).all()
        if not rows:
            return
        changes = []
        for row in rows:
            change: dict[str, Any] = {"row_id": row[0]}
            for position, name in enumerate(columns, start=1):
                value = row[position]
                change[f"old_{name}"] = value
                if value is not None and bytes(value[1:HEADER_LENGTH]) != current:
                    value = keyring.reseal(value, Binding(table.name, name, str(row[0])), key_id=target)
                    report.resealed += 1
                change[f"new_{name}"] = value
            changes.append(change)
        # A row is only written if no value in it changed since it was read; a row that a person
        # edited meanwhile is left for the next pass, so their edit is never overwritten.
        statement = (
            update(table)
            .where(
                table.c.id == bindparam("row_id"),
                *(table.c[name].is_not_distinct_from(bindparam(f"old_{name}")) for name in columns),
            )
            .values({name: bindparam(f"new_{name}") for name in columns})
        )
        with committed(db):
            db.connection().execute(statement, changes)
        report.batches += 1
        last_id = rows[-1][0]
        if after_batch is not None:
            after_batch(report)


def retire_key(db: Session, keyring: Keyring, key_id: str) -> None:
    """Remove a key from the key file, but only once no stored value needs it."""
    if key_id == keyring.current_key_id:
        raise KeyInUse(f"Key {key_id} is the current key; rotate to a new key before retiring it.")
    with committed(db):
        in_use = count_by_key(db).get(key_id, 0)
        if in_use:
            raise KeyInUse(
                f"Key {key_id} still seals {counted(in_use, 'stored value')}: "
                "run `flask --app hub keys rotate --resume` (or `keys use` with the current key) first."
            )
        keyring.remove_key(key_id)
        audit.record(db, "keys.retired", role="operator", object_kind="key", object_id=key_id)
