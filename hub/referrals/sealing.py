"""Seal what an older release kept plain: ``flask --app hub keys seal-plain`` (also run by ``init``).

Each sealed attribute with a :class:`~hub.sealed.Plain` names the plain columns an older release kept
its value in. This reads each row that still has them filled (the value as the hub reads it), writes
the value sealed and empties the plain columns, in batches that each commit, as ``keys rotate``
reseals. A run stopped part of the way loses nothing: a batch that did not commit changed nothing,
and its rows still read from the plain columns; a rerun carries on with what is left. A record whose
referral was erased has its plain values emptied, not sealed, as erasing it now would. A later
revision drops the plain columns once none is left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hub import audit
from hub.db import committed
from hub.keyring import current_keyring
from hub.referrals.models import Referral
from hub.sealed import SEALED_FIELDS, Sealed

DEFAULT_BATCH_SIZE = 500


@dataclass
class SealingReport:
    sealed: int = 0  # values sealed
    emptied: int = 0  # values of erased referrals emptied, not sealed
    batches: int = 0

    @property
    def done(self) -> int:
        return self.sealed + self.emptied


def plain_fields() -> list[Sealed[Any]]:
    """Every sealed attribute that an older release kept in plain columns."""
    return [field for field in SEALED_FIELDS if field.plain is not None]


def _left(field: Sealed[Any]) -> Any:
    """A condition true for rows whose plain columns for ``field`` still hold something."""
    assert field.plain is not None  # noqa: S101 (plain_fields gives only these)
    return or_(*(getattr(field.owner, name).is_not(None) for name in field.plain.attributes))


def count_plain(db: Session) -> int:
    """How many values are still held in plain columns."""
    return sum(db.scalar(select(func.count()).where(_left(f))) or 0 for f in plain_fields())


def _erased(db: Session, row: Any) -> bool:
    referral = row if isinstance(row, Referral) else db.get(Referral, row.referral_id)
    return referral is not None and referral.erased_at is not None


def _batch(db: Session, field: Sealed[Any], after: Any, size: int, report: SealingReport) -> Any:
    """Seal (or, once erased, empty) one batch of rows after ``after``; the last row's id, or None."""
    owner: Any = field.owner
    query = select(owner).where(_left(field)).order_by(owner.id).limit(size).with_for_update()
    query = query.execution_options(populate_existing=True)  # what is stored now, not what was read
    with committed(db):
        rows = db.scalars(query if after is None else query.where(owner.id > after)).all()
        for row in rows:
            if _erased(db, row):
                setattr(row, field.name, None)
                report.emptied += 1
            else:
                setattr(row, field.name, getattr(row, field.name))  # read as the hub reads it; write sealed
                report.sealed += 1
    return rows[-1].id if rows else None


def seal_plain(
    db: Session,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    after_batch: Callable[[SealingReport], None] | None = None,
) -> SealingReport:
    """Seal every value left in plain columns; one audit entry for the run (``keys.plain_sealed``)."""
    report = SealingReport()
    for field in plain_fields():
        after = None
        while (after := _batch(db, field, after, batch_size, report)) is not None:
            report.batches += 1
            if after_batch is not None:
                after_batch(report)
    with committed(db):
        key_id = current_keyring().current_key_id
        audit.record(db, "keys.plain_sealed", role="operator", object_kind="key", object_id=key_id)
    return report
