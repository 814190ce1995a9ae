"""What a person tells us is stored sealed: a copy of the database alone reveals none of it."""

from __future__ import annotations

import enum
import threading
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, get_args

import pytest
from flask import Flask
from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from hub import create_app, db
from hub.db import Base
from hub.keyring import CryptoError, Keyring, UnsealError
from hub.migrate import upgrade
from hub.referrals.models import (
    AccessNeeds,
    Allocation,
    ContactMethod,
    Correction,
    FirstContact,
    ItemScores,
    Measures,
    Referral,
    Risks,
    SafeContact,
)
from hub.sealed import SEALED_FIELDS, Sealed, Shape

from . import factories
from .conftest import make_config

KNOWN_DATE = date(1971, 2, 3)
KNOWN_COUNT = 7_654_321  # in no other value, so a dump holding it shows a number left unsealed

KNOWN_SHAPES: dict[type[Shape], Callable[[str], Shape]] = {
    SafeContact: lambda marker: SafeContact(
        methods=(ContactMethod.LETTER, ContactMethod.EMAIL),
        voicemail="yes",
        say_who="unsure",
        safe_times=marker,
    ),
    Risks: lambda marker: Risks(
        current_risks=marker, children_in_household="unknown", other_agencies="Probation"
    ),
    AccessNeeds: lambda marker: AccessNeeds(
        language=marker, interpreter="yes", bsl="no", adjustments="Ramps"
    ),
    Measures: lambda marker: Measures(**dict.fromkeys(Measures.names(), KNOWN_COUNT)),
    Correction: lambda marker: Correction(answer="email", before=marker),
    FirstContact: lambda marker: FirstContact(ContactMethod.LETTER),
    ItemScores: lambda marker: ItemScores(answers=(KNOWN_COUNT, 0, 3)),
}
"""A full value of each sealed shape, with the field's marker in it where the shape holds text."""


def known_value(field: Sealed[Any]) -> Any:
    marker = f"Known-{field.table}-{field.name}-Ünïcödé"
    if field.kind is date:
        return KNOWN_DATE
    if field.kind is str:
        return marker
    if field.kind is bool:
        return True
    if isinstance(field.kind, type) and issubclass(field.kind, enum.StrEnum):
        return list(field.kind)[-1]
    if isinstance(field.kind, type) and issubclass(field.kind, Shape):
        assert field.kind in KNOWN_SHAPES, f"add a known {field.kind.__name__} to KNOWN_SHAPES"
        return KNOWN_SHAPES[field.kind](marker)
    # A mapping: the marker as its key, and as its value where it takes text.
    value_kinds = get_args(get_args(field.kind)[1]) or get_args(field.kind)[1:]
    return {marker: marker if str in value_kinds else KNOWN_COUNT}


def known_strings() -> list[bytes]:
    strings = [f"Known-{f.table}-{f.name}-Ünïcödé".encode() for f in SEALED_FIELDS]
    return [*strings, KNOWN_DATE.isoformat().encode(), str(KNOWN_COUNT).encode(), b"Known-"]


def fill_every_sealed_attribute(session: Session) -> list[Any]:
    """Build one row of each model that has sealed attributes, with a known value in every one."""
    assert all(field.owner for field in SEALED_FIELDS), "every sealed field belongs to a model"
    owners = {owner for field in SEALED_FIELDS if (owner := field.owner)}
    missing = owners - set(factories.BUILDERS)
    assert not missing, f"add a builder to tests/factories.py for {missing}"
    built = []
    for owner in owners:
        row = factories.BUILDERS[owner](session)
        for field in SEALED_FIELDS:
            if field.owner is owner:
                setattr(row, field.name, known_value(field))
        built.append(row)
    session.flush()
    return built


def dump_every_table(connection: Connection) -> bytes:
    found = []
    for table in Base.metadata.sorted_tables:
        for row in connection.execute(select(table)):
            for value in row:
                found.append(value if isinstance(value, bytes) else str(value).encode())
    return b"\n".join(found)


def test_every_sealed_attribute_reads_back_what_was_written(db_session: Session) -> None:
    rows = fill_every_sealed_attribute(db_session)
    db_session.expire_all()
    for row in rows:
        fresh = db_session.get(type(row), row.id)
        for field in SEALED_FIELDS:
            if field.owner is type(row):
                assert getattr(fresh, field.name) == known_value(field), field.name


def test_no_known_value_appears_in_any_row_of_any_table(db_session: Session, connection: Connection) -> None:
    fill_every_sealed_attribute(db_session)
    dump = dump_every_table(connection)
    assert b"Test Person" not in dump
    for known in known_strings():
        assert known not in dump, known


def test_the_sqlite_file_holds_no_known_value(tmp_path: Path, session_key_file: Path) -> None:
    """The embedded database is a file someone could copy: its bytes, log included, hold no answer."""
    path = tmp_path / "scan.sqlite3"
    app = create_app(make_config(tmp_path, f"sqlite:///{path}", session_key_file))
    with app.app_context():
        with db.database().engine.begin() as connection:
            upgrade(connection)
        fill_every_sealed_attribute(db.session())
        db.session().commit()
        db.session().close()
        db.database().engine.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("scan.sqlite3*"))
    assert len(raw) > 10_000
    for known in known_strings():
        assert known not in raw, known


def test_none_means_no_answer_and_is_stored_as_null(db_session: Session, connection: Connection) -> None:
    referral = factories.referral(db_session, email=None)
    assert referral.email is None
    stored = connection.execute(select(Referral.__table__.c.email_sealed).where(Referral.id == referral.id))
    assert stored.scalar_one() is None


def test_a_sealed_value_copied_into_another_row_fails_to_open(db_session: Session) -> None:
    first = factories.referral(db_session, full_name="First Person")
    second = factories.referral(db_session, full_name="Second Person")
    db_session.execute(
        update(Referral)
        .where(Referral.id == second.id)
        .values(full_name_sealed=factories.sealed_blob(first, Referral.full_name))
    )
    db_session.expire_all()
    with pytest.raises(UnsealError, match=f"referral.full_name_sealed of row {second.id}"):
        _ = db_session.get(Referral, second.id).full_name  # type: ignore[union-attr]


def test_a_sealed_value_copied_into_another_column_fails_to_open(db_session: Session) -> None:
    referral = factories.referral(db_session, full_name="Some Person")
    db_session.execute(
        update(Referral)
        .where(Referral.id == referral.id)
        .values(risks_sealed=factories.sealed_blob(referral, Referral.full_name))
    )
    db_session.expire_all()
    with pytest.raises(UnsealError):
        _ = db_session.get(Referral, referral.id).risks  # type: ignore[union-attr]


def test_the_wrong_type_is_refused_before_anything_is_stored(db_session: Session) -> None:
    referral = factories.referral(db_session)
    with pytest.raises(TypeError, match="takes date"):
        referral.date_of_birth = "2001-02-03"  # type: ignore[assignment]


def test_ids_are_given_when_a_row_is_built_so_the_seal_binds_to_them(app: Flask) -> None:
    allocation = Allocation(referral_id=uuid.uuid4(), provider_id=1)
    assert isinstance(allocation.id, uuid.UUID)
    allocation.reason = "chosen by the survivor"
    assert allocation.reason == "chosen by the survivor"


def test_sealed_values_need_the_app(app: Flask, keyring: Keyring) -> None:
    referral = Referral(reference="PAS-TEST-0001")
    referral.full_name = "Someone"
    assert referral.full_name == "Someone"

    errors: list[Exception] = []

    def outside_the_app() -> None:
        try:
            _ = referral.full_name
        except CryptoError as error:
            errors.append(error)

    thread = threading.Thread(target=outside_the_app)
    thread.start()
    thread.join()
    assert errors and "inside the hub application" in str(errors[0])
