"""Sealing and opening values: every way a value can go wrong is a clear error, never plaintext."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from hub.keyring import Binding, KeyFileError, Keyring, UnknownKeyError, UnsealError, key_id_of
from hub.normalise import normalise_email, normalise_name, normalise_phone

HERE = Binding("referral", "full_name_sealed", "0b7f6f0e-2d0c-4d44-9a51-3f3c8f1a1a01")


@pytest.fixture
def ring(tmp_path: Path) -> Keyring:
    return Keyring.create(tmp_path / "keys.json")


def test_a_value_opens_where_it_was_sealed(ring: Keyring) -> None:
    blob = ring.seal("Ærin O'Connor".encode(), HERE)
    assert ring.unseal(blob, HERE).decode() == "Ærin O'Connor"
    assert b"Connor" not in blob


def test_each_seal_uses_a_fresh_nonce_and_names_its_key(ring: Keyring) -> None:
    first, second = ring.seal(b"same", HERE), ring.seal(b"same", HERE)
    assert first != second
    assert first[9:21] != second[9:21]
    assert key_id_of(first) == ring.current_key_id


def test_a_tampered_value_is_refused(ring: Keyring) -> None:
    blob = bytearray(ring.seal(b"secret", HERE))
    blob[-1] ^= 0x01
    with pytest.raises(UnsealError, match="altered"):
        ring.unseal(bytes(blob), HERE)


def test_a_value_moved_to_another_row_is_refused(ring: Keyring) -> None:
    blob = ring.seal(b"secret", HERE)
    with pytest.raises(UnsealError, match="moved from another row or column"):
        ring.unseal(blob, Binding(HERE.table, HERE.column, str(uuid.uuid4())))


def test_a_value_moved_to_another_column_is_refused(ring: Keyring) -> None:
    blob = ring.seal(b"secret", HERE)
    with pytest.raises(UnsealError, match=r"referral\.email_sealed"):
        ring.unseal(blob, Binding(HERE.table, "email_sealed", HERE.row_id))


def test_a_value_moved_to_another_table_is_refused(ring: Keyring) -> None:
    blob = ring.seal(b"secret", HERE)
    with pytest.raises(UnsealError):
        ring.unseal(blob, Binding("allocation", HERE.column, HERE.row_id))


def test_an_unknown_key_id_is_named(ring: Keyring) -> None:
    blob = ring.seal(b"secret", HERE)
    forged = blob[:1] + b"deadbeef" + blob[9:]
    with pytest.raises(UnknownKeyError, match="'deadbeef'"):
        ring.unseal(forged, HERE)


def test_a_wrong_key_under_the_right_id_is_refused(ring: Keyring, tmp_path: Path) -> None:
    blob = ring.seal(b"secret", HERE)
    document = json.loads(ring.path.read_text())
    document["keys"][ring.current_key_id]["key"] = "A" * 43 + "="
    other = tmp_path / "other.json"
    other.write_text(json.dumps(document))
    other.chmod(0o600)
    with pytest.raises(UnsealError, match="not the key that sealed it"):
        Keyring(other).unseal(blob, HERE)


def test_a_value_not_in_the_sealed_format_is_refused(ring: Keyring) -> None:
    for junk in (b"", b"plain text that was never sealed", b"\x02" + b"x" * 40):
        with pytest.raises(UnsealError, match="not in the sealed format"):
            ring.unseal(junk, HERE)


def test_a_missing_key_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="does not exist: run `flask --app hub init` or set HUB_KEY_FILE"):
        Keyring(tmp_path / "absent.json")


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "{}",
        '{"format": 1, "current": "aaaaaaaa", "keys": {}, "index_key": ""}',
        '{"format": 1, "current": "aaaaaaaa", "keys": {"aaaaaaaa": {"key": "c2hvcnQ="}}, '
        '"index_key": "c2hvcnQ="}',
        '{"format": 1, "current": "aaaaaaaa", "keys": {"aaaaaaaa": {"key": "!!!"}}, "index_key": "x"}',
        "[1, 2, 3]",
    ],
)
def test_a_malformed_key_file_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "keys.json"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match=f"The key file {path}"):
        Keyring(path)


def test_a_key_file_naming_a_current_key_it_lacks_is_refused(ring: Keyring) -> None:
    document = json.loads(ring.path.read_text())
    document["current"] = "0000ffff"
    ring.path.write_text(json.dumps(document))
    with pytest.raises(KeyFileError, match="current key that it does not hold"):
        Keyring(ring.path)


def test_a_key_file_others_can_read_is_refused(ring: Keyring) -> None:
    ring.path.chmod(0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        Keyring(ring.path)


def test_a_new_key_file_is_private_and_never_overwritten(ring: Keyring) -> None:
    assert ring.path.stat().st_mode & 0o777 == 0o600
    before = ring.path.read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        Keyring.create(ring.path)
    assert ring.path.read_bytes() == before


def test_a_new_key_becomes_current_and_old_values_still_open(ring: Keyring) -> None:
    old_blob = ring.seal(b"before", HERE)
    old_id = ring.current_key_id
    new_id = ring.add_key()
    assert new_id != old_id and ring.current_key_id == new_id
    assert key_id_of(ring.seal(b"after", HERE)) == new_id
    assert ring.unseal(old_blob, HERE) == b"before"
    assert ring.path.stat().st_mode & 0o777 == 0o600


def test_another_process_picks_up_a_new_key(ring: Keyring) -> None:
    web_process = Keyring(ring.path)
    new_id = ring.add_key()
    blob = ring.seal(b"sealed after rotation", HERE)
    assert web_process.unseal(blob, HERE) == b"sealed after rotation"
    assert web_process.current_key_id == new_id


def test_refresh_notices_a_changed_file(ring: Keyring) -> None:
    web_process = Keyring(ring.path)
    assert web_process.refresh() is False
    ring.add_key()
    os.utime(ring.path)
    assert web_process.refresh() is True
    assert web_process.current_key_id == ring.current_key_id


def test_blind_indexes_match_equal_values_and_hide_them(ring: Keyring, tmp_path: Path) -> None:
    one = ring.blind_index("email", normalise_email(" Sam@Example.ORG "))
    two = ring.blind_index("email", normalise_email("sam@example.org"))
    assert one == two and len(one) == 64 and "sam" not in one
    assert ring.blind_index("phone", "sam@example.org") != one
    other_ring = Keyring.create(tmp_path / "other.json")
    assert other_ring.blind_index("email", "sam@example.org") != one


@pytest.mark.parametrize(
    ("given", "expected"),
    [("  Zoë   O'Brien-Smith ", "zoe o brien smith"), ("ZOE O BRIEN SMITH", "zoe o brien smith")],
)
def test_names_are_normalised(given: str, expected: str) -> None:
    assert normalise_name(given) == expected


@pytest.mark.parametrize("given", ["07700 900123", "+44 7700 900123", "0044 7700 900123"])
def test_uk_phone_numbers_are_normalised(given: str) -> None:
    assert normalise_phone(given) == "07700900123"
