"""Key rotation reseals every value under the newest key, survives being stopped, and loses nothing."""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import create_app, db
from hub.audit import AuditEntry
from hub.db import make_engine
from hub.keyring import Binding, CryptoError, Keyring, UnknownKeyError, key_id_of
from hub.keys import KeyInUse, RotationReport, add_key, count_by_key, retire_key, rotate, use_key
from hub.migrate import upgrade
from hub.referrals.models import Allocation, Referral
from hub.sealed import SEALED_FIELDS

from . import factories
from .conftest import make_config
from .journeys import self_journey

PEOPLE = 25


class Stop(Exception):
    pass


def make_people(db: Session) -> dict[str, str]:
    """Referrals and allocations with several sealed values each; returns what each should read."""
    expected = {}
    provider = factories.provider(db)
    for n in range(PEOPLE):
        referral = factories.referral(
            db, full_name=f"Person {n}", email=f"p{n}@example.org", support_wanted=f"risk {n}"
        )
        allocation = factories.allocation(
            db, referral_id=referral.id, provider_id=provider.id, reason=f"why {n}"
        )
        expected[f"r{referral.id}"] = f"Person {n}|p{n}@example.org|risk {n}"
        expected[f"a{allocation.id}"] = f"why {n}"
    db.commit()
    return expected


def read_back(db: Session) -> dict[str, str]:
    db.expire_all()
    found = {f"r{r.id}": f"{r.full_name}|{r.email}|{r.support_wanted}" for r in db.scalars(select(Referral))}
    found.update({f"a{a.id}": a.reason or "" for a in db.scalars(select(Allocation))})
    return found


def every_blob(db: Session) -> list[bytes]:
    blobs = []
    for field in SEALED_FIELDS:
        model = field.owner
        blobs += [b for b in db.scalars(select(getattr(model, field.column))) if b is not None]
    return blobs


def test_rotation_reseals_every_value_under_a_new_key(db_session: Session, keyring: Keyring) -> None:
    expected = make_people(db_session)
    old_key = keyring.current_key_id
    total = sum(count_by_key(db_session).values())

    report = rotate(db_session, keyring, batch_size=7)

    assert report.key_id != old_key and keyring.current_key_id == report.key_id
    assert report.resealed == total and report.remaining == {}
    assert count_by_key(db_session) == {report.key_id: total}
    assert {key_id_of(b) for b in every_blob(db_session)} == {report.key_id}
    assert read_back(db_session) == expected
    assert old_key in Keyring(keyring.path).key_ids


def test_a_rerun_finds_nothing_left_to_do_and_everything_still_opens(
    db_session: Session, keyring: Keyring
) -> None:
    expected = make_people(db_session)
    first = rotate(db_session, keyring)
    second = rotate(db_session, keyring, new_key=False)
    assert second.key_id == first.key_id and second.resealed == 0
    third = rotate(db_session, keyring)
    assert third.resealed == first.resealed
    assert read_back(db_session) == expected


@pytest.mark.parametrize("resume", [True, False])
def test_a_rotation_stopped_after_some_batches_finishes_on_a_rerun(
    db_session: Session, keyring: Keyring, resume: bool
) -> None:
    expected = make_people(db_session)
    total = sum(count_by_key(db_session).values())

    def fail_after_three(report: RotationReport) -> None:
        if report.batches == 3:
            raise Stop

    with pytest.raises(Stop):
        rotate(db_session, keyring, batch_size=5, after_batch=fail_after_three)
    db_session.rollback()
    halfway = count_by_key(db_session)
    assert len(halfway) == 2 and halfway[keyring.current_key_id] == 15
    assert read_back(db_session) == expected

    report = rotate(db_session, keyring, new_key=not resume, batch_size=5)

    assert count_by_key(db_session) == {report.key_id: total}
    assert read_back(db_session) == expected


def test_a_value_changed_during_rotation_is_never_overwritten(
    db_session: Session, keyring: Keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_people(db_session)
    target = db_session.scalars(select(Referral).limit(1)).first()
    assert target is not None
    real_reseal = keyring.reseal

    def reseal_while_someone_edits(blob: bytes, binding: Binding, *, key_id: str | None = None) -> bytes:
        if str(target.id) in str(binding) and "full_name" in str(binding):
            target.full_name = "Changed by a person while rotation ran"
            db_session.flush()
        return real_reseal(blob, binding, key_id=key_id)

    monkeypatch.setattr(keyring, "reseal", reseal_while_someone_edits)
    rotate(db_session, keyring, batch_size=10)
    db_session.expire_all()
    assert db_session.get(Referral, target.id).full_name == "Changed by a person while rotation ran"  # type: ignore[union-attr]


def test_a_key_in_use_cannot_be_retired(db_session: Session, keyring: Keyring) -> None:
    make_people(db_session)
    old_key = keyring.current_key_id
    with pytest.raises(CryptoError, match="current key"):
        retire_key(db_session, keyring, old_key)
    keyring.add_key()
    with pytest.raises(KeyInUse, match=f"Key {old_key} still seals"):
        retire_key(db_session, keyring, old_key)
    assert old_key in Keyring(keyring.path).key_ids


def test_a_key_no_value_uses_can_be_retired(db_session: Session, keyring: Keyring) -> None:
    expected = make_people(db_session)
    old_key = keyring.current_key_id
    rotate(db_session, keyring)
    retire_key(db_session, keyring, old_key)
    assert old_key not in Keyring(keyring.path).key_ids
    assert read_back(db_session) == expected


# -- several processes and several hosts ------------------------------------------------------------


def test_two_rotations_at_once_keep_both_keys_and_every_value_opens(
    fresh_database: Callable[[str], str],
    session_key_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = fresh_database("hub_keys_race")
    engine = make_engine(url)
    with engine.begin() as connection:
        upgrade(connection)
    engine.dispose()
    key_file = tmp_path / "keys" / "keys.json"
    key_file.parent.mkdir()
    shutil.copy2(session_key_file, key_file)
    app = create_app(make_config(tmp_path, url, key_file))
    old_key = Keyring(key_file).current_key_id
    with app.app_context():
        expected = make_people(db.session())

    # Each rotation waits, once it has read the key file, until the other has read it too. Without
    # the lock both read the same file and the second to write drops the first one's key. With the
    # lock the second finds the lock taken before it can read, and that (not a timer) releases the
    # first, so the outcome is the same however slow the machine is.
    real_read, real_flock = Keyring._read, fcntl.flock
    both_have_read = threading.Barrier(2)
    other_is_locked_out = threading.Event()
    waited = threading.local()

    def read_then_wait_for_the_other(path: Path) -> object:
        ring = real_read(path)
        if getattr(waited, "rotating", False) and not getattr(waited, "done", False):
            waited.done = True
            with contextlib.suppress(threading.BrokenBarrierError):
                both_have_read.wait()
        return ring

    def flock_noting_a_wait(fd: int, operation: int) -> None:
        if operation == fcntl.LOCK_EX:
            try:
                real_flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                other_is_locked_out.set()
                both_have_read.abort()  # the holder need not wait for a read that cannot happen yet
        real_flock(fd, operation)

    monkeypatch.setattr(Keyring, "_read", staticmethod(read_then_wait_for_the_other))
    monkeypatch.setattr(fcntl, "flock", flock_noting_a_wait)
    sessions = app.extensions["hub.database"].sessionmaker
    rings = [Keyring(key_file), Keyring(key_file)]  # as two `keys rotate` processes would have
    failures: list[BaseException] = []

    def rotation(ring: Keyring) -> None:
        waited.rotating = True
        try:
            with sessions() as session:
                rotate(session, ring, batch_size=4)
        except BaseException as error:
            failures.append(error)
            both_have_read.abort()  # so the other rotation does not wait for this one for ever

    threads = [threading.Thread(target=rotation, args=(ring,)) for ring in rings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    monkeypatch.undo()

    try:
        assert not failures, failures
        on_disk = Keyring(key_file)
        new_keys = set(on_disk.key_ids) - {old_key}
        assert len(new_keys) == 2, "a rotation's key was lost"
        assert other_is_locked_out.is_set(), "the second rotation never found the key file locked"
        assert old_key in on_disk.key_ids and on_disk.current_key_id in new_keys
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert [p.name for p in key_file.parent.iterdir() if p.name.startswith(".keys-")] == []
        with app.app_context():
            assert read_back(db.session()) == expected
            assert set(count_by_key(db.session())) <= new_keys
    finally:
        app.extensions["hub.database"].engine.dispose()


def test_a_key_added_but_not_current_opens_values_and_seals_none(
    app: Flask, db_session: Session, keyring: Keyring, tmp_path: Path
) -> None:
    old_key = keyring.current_key_id
    result = app.test_cli_runner().invoke(args=["keys", "add"])
    assert result.exit_code == 0, result.output
    added = result.output.splitlines()[0]
    assert added in Keyring(keyring.path).key_ids and added != old_key
    assert f"Copy the key file to every host, then run `flask --app hub keys use {added}`" in result.output

    # This host seals new values with the old key still...
    referral = factories.referral(db_session, full_name="Sealed on this host")
    assert key_id_of(factories.sealed_blob(referral, Referral.full_name) or b"") == old_key
    # ...and opens a value that another host, where the new key is already current, sealed.
    other_host = tmp_path / "other-host" / "keys.json"
    other_host.parent.mkdir()
    shutil.copy2(keyring.path, other_host)
    other = Keyring(other_host)
    other.use_key(added)
    binding = Binding("referral", "full_name_sealed", str(referral.id))
    from_other_host = other.seal(b"Sealed on the other host", binding)
    assert key_id_of(from_other_host) == added
    assert keyring.unseal(from_other_host, binding) == b"Sealed on the other host"
    assert keyring.current_key_id == old_key


def test_a_web_process_uses_a_key_made_current_elsewhere_from_its_next_request(
    app: Flask, client: FlaskClient, db_session: Session, keyring: Keyring
) -> None:
    old_key = keyring.current_key_id
    command = Keyring(keyring.path)  # another process on this host: `keys add`, then `keys use`
    added = command.add_key(make_current=False)

    def key_of_newest_referral() -> str:
        db_session.expire_all()
        newest = db_session.scalars(select(Referral).order_by(Referral.created_at.desc()).limit(1)).one()
        return key_id_of(factories.sealed_blob(newest, Referral.full_name) or b"")

    self_journey(client).complete()
    assert key_of_newest_referral() == old_key and added in keyring.key_ids

    command.use_key(added)
    self_journey(client).complete()
    assert key_of_newest_referral() == added
    assert keyring.current_key_id == added


def test_keys_use_makes_an_added_key_current_and_can_be_run_again_after_a_stop(
    db_session: Session, keyring: Keyring
) -> None:
    expected = make_people(db_session)
    total = sum(count_by_key(db_session).values())
    added = add_key(db_session, keyring)
    assert count_by_key(db_session) == {keyring.current_key_id: total} and keyring.current_key_id != added

    def stop_after_two(report: RotationReport) -> None:
        if report.batches == 2:
            raise Stop

    with pytest.raises(Stop):
        use_key(db_session, keyring, added, batch_size=5, after_batch=stop_after_two)
    db_session.rollback()
    assert Keyring(keyring.path).current_key_id == added
    assert count_by_key(db_session)[added] == 10

    report = use_key(db_session, keyring, added, batch_size=5)

    assert report.key_id == added and report.remaining == {}
    assert count_by_key(db_session) == {added: total}
    assert read_back(db_session) == expected
    actions = list(db_session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
    assert actions == ["keys.added", "keys.made_current", "keys.rotated"]


def test_keys_use_without_resealing_only_makes_the_key_current(app: Flask, db_session: Session) -> None:
    make_people(db_session)
    runner = app.test_cli_runner()
    added = runner.invoke(args=["keys", "add"]).output.splitlines()[0]
    before = count_by_key(db_session)

    result = runner.invoke(args=["keys", "use", added, "--no-reseal"])

    assert result.exit_code == 0, result.output
    assert f"Key {added} is current on this host. Nothing was resealed." in result.output
    assert count_by_key(db_session) == before
    finished = runner.invoke(args=["keys", "use", added])
    assert finished.exit_code == 0 and "Every value is sealed under the current key" in finished.output
    assert set(count_by_key(db_session)) == {added}


def test_keys_use_refuses_a_key_the_file_does_not_hold(
    app: Flask, db_session: Session, keyring: Keyring
) -> None:
    make_people(db_session)
    before = (keyring.path.read_bytes(), count_by_key(db_session))
    audited = db_session.scalar(select(func.count()).select_from(AuditEntry))

    result = app.test_cli_runner().invoke(args=["keys", "use", "0badc0de"])

    assert result.exit_code != 0
    assert "holds no key '0badc0de': copy the key file from the host where `keys add` ran" in result.output
    assert (keyring.path.read_bytes(), count_by_key(db_session)) == before
    assert db_session.scalar(select(func.count()).select_from(AuditEntry)) == audited
    with pytest.raises(UnknownKeyError):
        keyring.use_key("0badc0de")


def test_a_key_file_change_is_locked_and_replaced_whole(keyring: Keyring) -> None:
    folder = keyring.path.parent
    keyring.add_key(make_current=False)
    lock = folder / "keys.json.lock"
    assert lock.is_file() and stat.S_IMODE(lock.stat().st_mode) == 0o600
    assert stat.S_IMODE(keyring.path.stat().st_mode) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == ["keys.json", "keys.json.lock"]
