"""The audit log: written with the change it records, chained, append-only, and checked end to end."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hub import audit
from hub.audit import AuditEntry, AuditHead, checkpoint, entry_hash, verify
from hub.db import make_engine, utcnow
from hub.migrate import upgrade

from .journeys import self_journey


def write(db: Session, how_many: int) -> None:
    for n in range(how_many):
        audit.record(
            db, "test.event", role="allocator", actor=f"user-{n}", object_kind="referral", object_id=n
        )
        db.commit()


def allow_tampering(connection: Connection) -> None:
    """Switch the append-only triggers off inside the test's own transaction (rolled back after)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
    else:
        connection.execute(text("DROP TRIGGER audit_entry_no_update"))
        connection.execute(text("DROP TRIGGER audit_entry_no_delete"))


def entries(db: Session) -> list[AuditEntry]:
    db.expire_all()
    return list(db.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def test_entries_are_written_on_commit_and_chained(db_session: Session) -> None:
    write(db_session, 3)
    found = entries(db_session)
    assert [e.seq for e in found] == [1, 2, 3]
    assert found[0].prev_hash == audit.GENESIS
    assert all(later.prev_hash == earlier.entry_hash for earlier, later in itertools.pairwise(found))
    assert all(entry_hash(e.content()) == e.entry_hash for e in found)
    head = db_session.get(AuditHead, 1)
    assert head is not None and (head.count, head.head_hash) == (3, found[-1].entry_hash)
    verdict = verify(db_session)
    assert verdict.intact and verdict.count == 3


def test_an_entry_is_dropped_with_a_rolled_back_change(db_session: Session) -> None:
    audit.record(db_session, "test.event", role="allocator")
    db_session.rollback()
    write(db_session, 1)
    assert [e.action for e in entries(db_session)] == ["test.event"]
    assert verify(db_session).count == 1


def actions(db: Session) -> list[str]:
    return [e.action for e in entries(db)]


def test_a_savepoint_rolled_back_after_an_entry_keeps_the_entry(db_session: Session) -> None:
    audit.record(db_session, "referral.viewed", role="allocator")
    savepoint = db_session.begin_nested()
    savepoint.rollback()
    db_session.commit()
    assert actions(db_session) == ["referral.viewed"]
    assert verify(db_session).intact and verify(db_session).count == 1


def test_a_refused_step_in_a_savepoint_keeps_what_was_audited_before_it(db_session: Session) -> None:
    """The way a service tries something that may fail: the failure is caught, the rest commits."""
    write(db_session, 1)
    audit.record(db_session, "referral.viewed", role="allocator")
    with pytest.raises(DBAPIError), db_session.begin_nested():
        db_session.execute(delete(AuditEntry))  # the append-only trigger refuses it
    db_session.commit()
    assert actions(db_session) == ["test.event", "referral.viewed"]
    assert verify(db_session).intact


def test_a_failed_flush_in_a_savepoint_undoes_only_that_savepoint(db_session: Session) -> None:
    audit.record(db_session, "before.savepoint", role="allocator")
    with pytest.raises(IntegrityError), db_session.begin_nested():
        audit.record(db_session, "in.failed.savepoint", role="allocator")
        db_session.add(AuditHead(id=1, count=0, head_hash=audit.GENESIS))  # the one head row exists
        db_session.flush()
    db_session.commit()
    assert actions(db_session) == ["before.savepoint"]
    assert verify(db_session).intact


def test_an_entry_noted_inside_a_rolled_back_savepoint_goes_with_it(db_session: Session) -> None:
    audit.record(db_session, "before.savepoint", role="allocator")
    with db_session.begin_nested():
        audit.record(db_session, "in.kept.savepoint", role="allocator")
    inner = db_session.begin_nested()
    audit.record(db_session, "in.undone.savepoint", role="allocator")
    nested_again = db_session.begin_nested()
    audit.record(db_session, "in.savepoint.inside.it", role="allocator")
    nested_again.commit()
    inner.rollback()
    audit.record(db_session, "after.savepoint", role="allocator")
    db_session.commit()
    assert actions(db_session) == ["before.savepoint", "in.kept.savepoint", "after.savepoint"]
    assert verify(db_session).intact


def test_a_released_savepoint_does_not_write_entries_early(db_session: Session) -> None:
    audit.record(db_session, "before.savepoint", role="allocator")
    with db_session.begin_nested():
        audit.record(db_session, "in.savepoint", role="allocator")
    db_session.rollback()
    db_session.commit()
    assert actions(db_session) == []
    assert verify(db_session).count == 0


def test_an_outermost_rollback_drops_entries_even_with_savepoints_open(db_session: Session) -> None:
    audit.record(db_session, "before.savepoint", role="allocator")
    db_session.begin_nested()
    audit.record(db_session, "in.savepoint", role="allocator")
    db_session.rollback()
    write(db_session, 1)
    assert actions(db_session) == ["test.event"]


def test_a_session_closed_without_commit_carries_nothing_over(app: Flask, db_session: Session) -> None:
    audit.record(db_session, "never.committed", role="allocator")
    db_session.close()
    write(db_session, 1)
    assert actions(db_session) == ["test.event"]


@pytest.mark.parametrize("change", ["update", "delete"])
def test_the_database_refuses_to_change_or_remove_an_entry(db_session: Session, change: str) -> None:
    write(db_session, 1)
    statement = (
        update(AuditEntry).values(action="something.else") if change == "update" else delete(AuditEntry)
    )
    with (
        pytest.raises(DBAPIError, match="audit entries cannot be changed or removed"),
        db_session.begin_nested(),
    ):
        db_session.execute(statement)


def test_an_edited_entry_is_found(app: Flask, db_session: Session, connection: Connection) -> None:
    write(db_session, 5)
    allow_tampering(connection)
    db_session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(actor="someone-else"))
    verdict = verify(db_session)
    assert (verdict.first_break, verdict.problem) == (3, "entry 3 was changed after it was written")
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "broken at entry 3" in result.output


def test_a_removed_entry_is_found(db_session: Session, connection: Connection) -> None:
    write(db_session, 5)
    allow_tampering(connection)
    db_session.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
    verdict = verify(db_session)
    assert (verdict.first_break, verdict.problem) == (2, "entry 2 is missing")


def test_an_inserted_entry_is_found(db_session: Session, connection: Connection) -> None:
    write(db_session, 3)
    allow_tampering(connection)
    db_session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(seq=4))
    forged = {
        "seq": 3,
        "occurred_at": utcnow(),
        "actor": "intruder",
        "role": "admin",
        "action": "forged.event",
        "object_kind": None,
        "object_id": None,
        "address": None,
        "prev_hash": "f" * 64,
    }
    db_session.execute(
        insert(AuditEntry).values(**forged, entry_hash=entry_hash(audit.content_of(AuditEntry(**forged))))
    )
    verdict = verify(db_session)
    assert verdict.first_break == 3 and "does not follow entry 2" in verdict.problem


def test_a_rewritten_tail_passes_the_chain_but_not_a_checkpoint(
    app: Flask, db_session: Session, connection: Connection, tmp_path: Path
) -> None:
    write(db_session, 4)
    saved = tmp_path / "checkpoint.json"
    taken = app.test_cli_runner().invoke(args=["audit", "checkpoint"])
    saved.write_text(taken.output)
    assert json.loads(taken.output)["count"] == 4
    # Someone with write access removes the last entry and rewinds the head to match.
    allow_tampering(connection)
    third = db_session.get(AuditEntry, 3)
    assert third is not None
    db_session.execute(delete(AuditEntry).where(AuditEntry.seq == 4))
    db_session.execute(update(AuditHead).values(count=3, head_hash=third.entry_hash))
    assert verify(db_session).intact
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--checkpoint", str(saved)])
    assert result.exit_code == 1 and "the checkpoint has 4 entries; the log has 3" in result.output


def test_a_moved_head_is_found(db_session: Session, connection: Connection) -> None:
    write(db_session, 2)
    db_session.execute(update(AuditHead).values(count=5))
    assert verify(db_session).problem == "the log ends at entry 2, but its head says otherwise"


def test_a_checkpoint_of_an_intact_log_is_accepted(db_session: Session) -> None:
    write(db_session, 3)
    saved = checkpoint(db_session)
    write(db_session, 2)
    assert verify(db_session, saved).intact


def test_a_referral_sent_by_the_public_is_audited_without_personal_data(
    client: FlaskClient, db_session: Session
) -> None:
    self_journey(client).complete()
    [entry] = entries(db_session)
    assert (entry.action, entry.role, entry.object_kind, entry.actor, entry.address) == (
        "referral.submitted",
        "public",
        "referral",
        None,
        None,
    )
    assert "Robin" not in json.dumps(entry.content())


def test_writers_at_the_same_time_never_fork_the_chain(fresh_database: Callable[[str], str]) -> None:
    engine = make_engine(fresh_database("hub_audit_race"), pool_size=8, max_overflow=0)
    with engine.begin() as connection:
        upgrade(connection)
    factory = sessionmaker(bind=engine)
    failures: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            with factory() as db:
                for i in range(25):
                    audit.record(db, "race.event", role="allocator", actor=f"writer-{n}", object_id=i)
                    db.commit()
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not failures, failures
        with factory() as db:
            verdict = verify(db)
            assert verdict.intact and verdict.count == 200
            assert len(set(db.scalars(select(AuditEntry.prev_hash)))) == 200
    finally:
        engine.dispose()
