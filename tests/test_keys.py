"""Key rotation reseals every value under the newest key, survives being stopped, and loses nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.crypto import SEALED_FIELDS, CryptoError, Keyring, key_id_of
from hub.keys import KeyInUse, count_by_key, retire_key, rotate
from hub.referrals.models import Allocation, Referral

from . import factories

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

    def fail_after_three(batches: int) -> None:
        if batches == 3:
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


def test_a_value_changed_during_rotation_is_never_overwritten(db_session: Session, keyring: Keyring) -> None:
    make_people(db_session)
    target = db_session.scalars(select(Referral).limit(1)).first()
    assert target is not None
    real_reseal = keyring.reseal

    def reseal_while_someone_edits(blob: bytes, binding: object, **options: str) -> bytes:
        if str(target.id) in str(binding) and "full_name" in str(binding):
            target.full_name = "Changed by a person while rotation ran"
            db_session.flush()
        return real_reseal(blob, binding, **options)  # type: ignore[arg-type]

    keyring.reseal = reseal_while_someone_edits  # type: ignore[method-assign]
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
