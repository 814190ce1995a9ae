"""The audit log: an append-only table of who did what, when, to which record, chained by SHA-256.

Services call :func:`record` inside their ``hub.db.committed`` block; the entry is written when
that transaction commits, in the same transaction, so a change and its audit entry are saved
together or not at all. A view that shows a record calls :func:`viewed`, which saves its one entry
in a transaction of its own. Each entry's hash
covers its own content and the previous entry's hash, so an entry edited, removed or slipped in
breaks the chain, and ``flask --app hub audit verify`` says where.

Writers do not fork the chain: the last step before commit locks the one ``audit_head`` row
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's writers are serialised already), takes the next
position and the previous hash from it, and moves it on. The lock is held only from that step to
the commit, and only by transactions that write audit entries, so the rest of the hub never waits.

Entries hold no personal data and no secrets: ids, roles, action names, and a staff member's
network address (never a member of the public's).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import BigInteger, Integer, String, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column

from hub.db import Base, UTCDateTime, committed, utcnow
from hub.plurals import counted

GENESIS = "0" * 64
PENDING = "hub.audit.pending"
FLUSHED = "hub.audit.flushed"  # the open transaction has written rows that are not yet saved


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    object_kind: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(45))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))

    def content(self) -> dict[str, Any]:
        return content_of(self)


CHAINED = (
    "seq",
    "occurred_at",
    "actor",
    "role",
    "action",
    "object_kind",
    "object_id",
    "address",
    "prev_hash",
)
"""What an entry's hash covers: everything but the hash itself."""


def content_of(entry: Any) -> dict[str, Any]:
    found = {name: getattr(entry, name) for name in CHAINED}
    found["occurred_at"] = found["occurred_at"].astimezone(UTC).isoformat(timespec="microseconds")
    return found


class AuditHead(Base):
    """One row: how many entries the chain holds and the newest entry's hash."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    head_hash: Mapped[str] = mapped_column(String(64))


def entry_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Actor:
    """Who is acting: a staff account's id (None for the public or an operator's command) and role."""

    id: str | None
    role: str
    address: str | None = None


def record_as(db: Session, actor: Actor, action: str, object_kind: str, object_id: Any) -> None:
    """:func:`record` for an action by ``actor`` on one object."""
    record(
        db,
        action,
        role=actor.role,
        actor=actor.id,
        object_kind=object_kind,
        object_id=object_id,
        address=actor.address,
    )


def viewed(db: Session, actor: Actor, action: str, object_kind: str, object_id: Any) -> None:
    """A member of staff was shown a record (a page, an export): one entry, saved at once on its own."""
    _alone(db, actor, action, object_kind, object_id)


def refused(db: Session, actor: Actor, object_kind: str, object_id: Any) -> None:
    """A member of staff asked for a record that is not theirs to see: one entry, saved at once on its own."""
    _alone(db, actor, "access.refused", object_kind, object_id)


def _alone(db: Session, actor: Actor, action: str, object_kind: str, object_id: Any) -> None:
    """Save one entry in a transaction of its own; refuse if unsaved changes would be saved with it."""
    unsaved = [*db.new, *db.deleted, *(row for row in db.dirty if db.is_modified(row))]
    if unsaved or db.info.get(PENDING) or db.info.get(FLUSHED):
        raise RuntimeError(f"{action} would save unsaved changes with it; a service must save them first")
    with committed(db):
        record_as(db, actor, action, object_kind, object_id)


def record(
    db: Session,
    action: str,
    *,
    role: str,
    actor: str | None = None,
    object_kind: str | None = None,
    object_id: Any = None,
    address: str | None = None,
) -> None:
    """Note an event; it is written to the chain when ``db``'s outermost transaction commits.

    It is dropped if that transaction rolls back, or if a savepoint it was noted inside rolls back
    (the change it records was undone with the savepoint). A savepoint begun after it and rolled back
    leaves it alone.
    """
    if not db.in_transaction():
        db.begin()  # so that a rollback, even of nothing else, drops this entry too
    db.info.setdefault(PENDING, []).append(
        _Pending(
            fields={
                "occurred_at": utcnow(),
                "actor": actor,
                "role": role,
                "action": action,
                "object_kind": object_kind,
                "object_id": None if object_id is None else str(object_id),
                "address": address,
            },
            savepoints=_open_savepoints(db),
        )
    )


@dataclass(frozen=True)
class _Pending:
    """An entry waiting for the commit, with the savepoints that were open when it was noted."""

    fields: dict[str, Any]
    savepoints: tuple[SessionTransaction, ...]


def _open_savepoints(db: Session) -> tuple[SessionTransaction, ...]:
    found = []
    transaction = db.get_nested_transaction()
    while transaction is not None:
        if transaction.nested:
            found.append(transaction)
        transaction = transaction.parent
    return tuple(found)


@event.listens_for(Session, "before_commit")
def _append_pending(db: Session) -> None:
    if db.get_nested_transaction() is not None:
        return  # a savepoint is being released: the entries wait for the outermost commit
    pending: list[_Pending] = db.info.pop(PENDING, None) or []
    if not pending:
        return
    count, previous = db.execute(
        select(AuditHead.count, AuditHead.head_hash).where(AuditHead.id == 1).with_for_update()
    ).one()
    rows = []
    for entry in pending:
        count += 1
        row = {"seq": count, "prev_hash": previous, **entry.fields}
        row["entry_hash"] = previous = entry_hash(content_of(SimpleNamespace(**row)))
        rows.append(row)
    # Plain statements rather than ORM objects: every audited transaction pays for this step.
    db.execute(insert(AuditEntry), rows)
    db.execute(update(AuditHead).where(AuditHead.id == 1).values(count=count, head_hash=previous))


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(db: Session, previous: SessionTransaction) -> None:
    """Drop what the rollback undid: everything for the outermost transaction, else one savepoint's.

    A failed flush rolls back a marker inside a transaction; what the database undid is the nearest
    savepoint around it, or the whole transaction when there is none.
    """
    undone: SessionTransaction | None = previous
    while undone is not None and not undone.nested and undone.parent is not None:
        undone = undone.parent
    if undone is None or not undone.nested:
        db.info.pop(PENDING, None)
        return
    pending: list[_Pending] = db.info.get(PENDING, [])
    pending[:] = [entry for entry in pending if undone not in entry.savepoints]


@event.listens_for(Session, "after_flush")
def _note_flush(db: Session, _context: Any) -> None:
    db.info[FLUSHED] = True


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted(db: Session, transaction: SessionTransaction) -> None:
    """A session closed without committing keeps nothing for a later transaction."""
    if transaction.parent is None and not transaction.nested:
        db.info.pop(PENDING, None)
        db.info.pop(FLUSHED, None)


@dataclass(frozen=True)
class Verdict:
    count: int
    head_hash: str
    first_break: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.first_break is None and not self.problem


def _entries(db: Session, batch: int = 1000) -> Iterator[Any]:
    """Every entry in order, as plain rows (read in batches, so the log can be long)."""
    table = AuditEntry.__table__
    last = 0
    while True:
        rows = db.execute(select(table).where(table.c.seq > last).order_by(table.c.seq).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def entry_count(db: Session) -> int:
    """How many entries the log's head says it holds (for a progress bar; ``verify`` checks it)."""
    head = db.get(AuditHead, 1)
    return head.count if head is not None else 0


def verify(
    db: Session, checkpoint: dict[str, Any] | None = None, *, after_each: Callable[[], None] | None = None
) -> Verdict:
    """Recompute the chain from the first entry; name the first entry that does not fit.

    ``after_each`` is called once each entry is checked (for a progress bar).
    """
    expected_seq, previous, at_checkpoint = 1, GENESIS, None
    for entry in _entries(db):
        if after_each is not None:
            after_each()
        if entry.seq != expected_seq:
            return Verdict(expected_seq - 1, previous, expected_seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != previous:
            return Verdict(
                expected_seq - 1,
                previous,
                entry.seq,
                f"entry {entry.seq} does not follow entry {entry.seq - 1}",
            )
        if entry_hash(content_of(entry)) != entry.entry_hash:
            return Verdict(
                expected_seq - 1, previous, entry.seq, f"entry {entry.seq} was changed after it was written"
            )
        if checkpoint and entry.seq == checkpoint["count"]:
            at_checkpoint = entry.entry_hash
        previous, expected_seq = entry.entry_hash, expected_seq + 1
    count = expected_seq - 1
    head = db.get(AuditHead, 1)
    if head is None or head.count != count or head.head_hash != previous:
        return Verdict(
            count, previous, count + 1, f"the log ends at entry {count}, but its head says otherwise"
        )
    if checkpoint:
        if count < checkpoint["count"]:
            return Verdict(
                count,
                previous,
                count + 1,
                f"the checkpoint has {counted(checkpoint['count'], 'entry')}; the log has {count:,}",
            )
        if at_checkpoint != checkpoint["head_hash"]:
            return Verdict(
                count,
                previous,
                checkpoint["count"],
                f"entry {checkpoint['count']} differs from the checkpoint",
            )
    return Verdict(count, previous)


def checkpoint(db: Session) -> dict[str, Any]:
    """The chain's length and newest hash now, to keep somewhere else and check against later."""
    head = db.get(AuditHead, 1)
    if head is None:
        raise RuntimeError("the audit log has no head row; run `flask --app hub init` to migrate")
    return {
        "count": head.count,
        "head_hash": head.head_hash,
        "taken_at": utcnow().isoformat(timespec="seconds"),
    }
