"""The key file and field encryption: AES-256-GCM data keys, one of them current, and a blind-index key.

A sealed value is stored as bytes::

    0x01 | key id (8 ASCII characters) | nonce (12 bytes) | ciphertext and GCM tag

The associated data names the table, the column and the row's stable id, so a value copied into
another row or column fails to open. Models declare sealed attributes with :class:`hub.sealed.Sealed`;
views and services read and write plain values and never call :meth:`Keyring.seal` themselves.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hmac
import json
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from hashlib import sha256
from pathlib import Path
from typing import Any, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app, has_app_context

FORMAT_VERSION = 1
KEY_ID_LENGTH = 8
NONCE_LENGTH = 12
HEADER_LENGTH = 1 + KEY_ID_LENGTH
_KEY_ID = re.compile(r"^[0-9a-f]{8}$")


class CryptoError(RuntimeError):
    """Something about keys or sealed values is wrong; the hub never falls back to plaintext."""


class KeyFileError(CryptoError):
    """The key file is missing, unreadable, too open, or not in the expected form."""


class UnknownKeyError(CryptoError):
    """A value names a key that the key file does not hold."""


class UnsealError(CryptoError):
    """A value did not open: it was altered, moved from another row or column, or the key is wrong."""


@dataclass(frozen=True)
class Binding:
    """Where a sealed value lives. It is the associated data, so a value only opens in its own place."""

    table: str
    column: str
    row_id: str

    def associated_data(self) -> bytes:
        return f"hub.sealed.v1\x00{self.table}\x00{self.column}\x00{self.row_id}".encode()

    def __str__(self) -> str:
        return f"{self.table}.{self.column} of row {self.row_id}"


def key_id_of(blob: bytes) -> str:
    """The id of the key that sealed ``blob``, read from its header without opening it."""
    if len(blob) < HEADER_LENGTH + NONCE_LENGTH + 16 or blob[0] != FORMAT_VERSION:
        raise UnsealError("the stored value is not in the sealed format")
    return blob[1:HEADER_LENGTH].decode("ascii", errors="replace")


@dataclass(frozen=True)
class _Ring:
    current: str
    keys: dict[str, bytes]
    created: dict[str, str]
    index_key: bytes
    stamp: tuple[int, int, int]

    @cached_property
    def ciphers(self) -> dict[str, AESGCM]:
        return {key_id: AESGCM(key) for key_id, key in self.keys.items()}


class Keyring:
    """The keys in one key file: several data keys, one of them current, and the blind-index key."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._ring = self._read(self.path)

    # -- the file -------------------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path) -> Keyring:
        """Write a new key file (mode 0600) with one data key and an index key. Never overwrites."""
        path = Path(path)
        if path.exists():
            raise KeyFileError(f"The key file {path} already exists; it was left as it is.")
        key_id = secrets.token_hex(KEY_ID_LENGTH // 2)
        document = {
            "format": FORMAT_VERSION,
            "current": key_id,
            "keys": {key_id: {"key": _b64(AESGCM.generate_key(256)), "created": _now()}},
            "index_key": _b64(secrets.token_bytes(32)),
        }
        _write_private(path, document, exclusive=True)
        return cls(path)

    @staticmethod
    def _read(path: Path) -> _Ring:
        where = f"The key file {path}"
        try:
            st = path.stat()
        except FileNotFoundError:
            raise KeyFileError(
                f"{where} does not exist: run `flask --app hub init` or set HUB_KEY_FILE to the key file."
            ) from None
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(f"{where} can be read by other users: run `chmod 600 {path}`.")
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            keys = {str(k): _unb64(v["key"]) for k, v in document["keys"].items()}
            created = {str(k): str(v.get("created", "")) for k, v in document["keys"].items()}
            current = str(document["current"])
            index_key = _unb64(document["index_key"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            raise KeyFileError(f"{where} is not a valid hub key file.") from None
        if document.get("format") != FORMAT_VERSION:
            raise KeyFileError(f"{where} has an unknown format; expected format {FORMAT_VERSION}.")
        if any(not _KEY_ID.match(k) or len(v) != 32 for k, v in keys.items()) or len(index_key) != 32:
            raise KeyFileError(f"{where} holds a key that is not a 256-bit key with an 8-character id.")
        if current not in keys:
            raise KeyFileError(f"{where} names a current key that it does not hold.")
        return _Ring(current, keys, created, index_key, (st.st_ino, st.st_size, st.st_mtime_ns))

    def refresh(self) -> bool:
        """Re-read the file if another process (``keys rotate``) changed it. True if it changed."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return False
        if (st.st_ino, st.st_size, st.st_mtime_ns) == self._ring.stamp:
            return False
        self._ring = self._read(self.path)
        return True

    @contextmanager
    def _locked(self) -> Iterator[_Ring]:
        """Hold the key file's lock and yield what the file holds now.

        Every change (add, make current, remove) reads, changes and replaces the file while holding
        an exclusive ``flock`` on ``<key file>.lock`` beside it, so two commands at once (two
        rotations, a rotation and a retirement) each see the other's change and no key is lost.
        The lock file is kept: removing it would let a third command lock a different file.
        """
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise KeyFileError(
                f"Could not lock the key file: {lock_path} cannot be opened ({error.strerror}). "
                "Run the command as the account that owns the key file."
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield self._read(self.path)
        finally:
            os.close(fd)  # closing the file releases the lock

    def _save(self, ring: _Ring) -> None:
        """Replace the file (call with the lock held): a new file in the same folder, 0600, fsynced."""
        document = {
            "format": FORMAT_VERSION,
            "current": ring.current,
            "keys": {k: {"key": _b64(v), "created": ring.created.get(k, "")} for k, v in ring.keys.items()},
            "index_key": _b64(ring.index_key),
        }
        _write_private(self.path, document, exclusive=False)
        self._ring = self._read(self.path)

    def add_key(self, *, make_current: bool = True) -> str:
        """Add a new data key and save the file atomically. Returns its id.

        With ``make_current=False`` the key only opens values until :meth:`use_key` makes it current:
        the first step of a rotation across several hosts (copy the file everywhere, then use it).
        """
        with self._locked() as ring:
            key_id = secrets.token_hex(KEY_ID_LENGTH // 2)
            while key_id in ring.keys:
                key_id = secrets.token_hex(KEY_ID_LENGTH // 2)
            self._save(
                _Ring(
                    current=key_id if make_current else ring.current,
                    keys={**ring.keys, key_id: AESGCM.generate_key(256)},
                    created={**ring.created, key_id: _now()},
                    index_key=ring.index_key,
                    stamp=ring.stamp,
                )
            )
        return key_id

    def use_key(self, key_id: str) -> bool:
        """Make a key the file already holds the current one. True if that changed anything."""
        with self._locked() as ring:
            if key_id not in ring.keys:
                raise UnknownKeyError(
                    f"The key file {self.path} holds no key {key_id!r}: copy the key file from the host "
                    "where `keys add` ran, then try again."
                )
            if key_id == ring.current:
                self._ring = ring
                return False
            self._save(
                _Ring(
                    current=key_id,
                    keys=ring.keys,
                    created=ring.created,
                    index_key=ring.index_key,
                    stamp=ring.stamp,
                )
            )
        return True

    def remove_key(self, key_id: str) -> None:
        """Drop a key from the file. The caller checks first that no value still uses it."""
        with self._locked() as ring:
            if key_id not in ring.keys:
                raise UnknownKeyError(f"The key file holds no key {key_id!r}.")
            if key_id == ring.current:
                raise CryptoError(f"Key {key_id} is the current key; rotate to a new key before retiring it.")
            self._save(
                _Ring(
                    current=ring.current,
                    keys={k: v for k, v in ring.keys.items() if k != key_id},
                    created={k: v for k, v in ring.created.items() if k != key_id},
                    index_key=ring.index_key,
                    stamp=ring.stamp,
                )
            )

    # -- what the rest of the hub uses ----------------------------------------------------------

    @property
    def current_key_id(self) -> str:
        return self._ring.current

    @property
    def key_ids(self) -> list[str]:
        return list(self._ring.keys)

    def created(self, key_id: str) -> str:
        return self._ring.created.get(key_id, "")

    def seal(self, plaintext: bytes, binding: Binding) -> bytes:
        return self._seal(plaintext, binding.associated_data())

    def unseal(self, blob: bytes, binding: Binding) -> bytes:
        return self._unseal(blob, binding.associated_data(), binding)

    def reseal(self, blob: bytes, binding: Binding, *, key_id: str | None = None) -> bytes:
        """Open ``blob`` and seal it again under ``key_id`` (by default the current key)."""
        aad = binding.associated_data()
        return self._seal(self._unseal(blob, aad, binding), aad, key_id)

    def _seal(self, plaintext: bytes, aad: bytes, key_id: str | None = None) -> bytes:
        ring = self._ring
        key_id = key_id or ring.current
        cipher = ring.ciphers.get(key_id)
        if cipher is None:
            raise UnknownKeyError(f"The key file {self.path} holds no key {key_id!r}.")
        nonce = os.urandom(NONCE_LENGTH)
        body = cipher.encrypt(nonce, plaintext, aad)
        return bytes([FORMAT_VERSION]) + key_id.encode("ascii") + nonce + body

    def _unseal(self, blob: bytes, aad: bytes, binding: Binding) -> bytes:
        try:
            key_id = key_id_of(blob)
        except UnsealError:
            raise UnsealError(
                f"Could not open {binding}: the stored value is not in the sealed format."
            ) from None
        cipher = self._ring.ciphers.get(key_id)
        if cipher is None and self.refresh():
            cipher = self._ring.ciphers.get(key_id)
        if cipher is None:
            raise UnknownKeyError(
                f"Could not open {binding}: it was sealed with key {key_id!r}, which the key file "
                f"{self.path} does not hold."
            )
        nonce, body = blob[HEADER_LENGTH : HEADER_LENGTH + NONCE_LENGTH], blob[HEADER_LENGTH + NONCE_LENGTH :]
        try:
            return cipher.decrypt(nonce, body, aad)
        except InvalidTag:
            raise UnsealError(
                f"Could not open {binding}: the value was altered, was moved from another row or column, "
                f"or key {key_id!r} in the key file is not the key that sealed it."
            ) from None

    def blind_index(self, purpose: str, normalised: str) -> str:
        """A keyed hash for finding equal values without opening them (HMAC-SHA256, hex)."""
        message = purpose.encode() + b"\x00" + normalised.encode()
        return hmac.new(self._ring.index_key, message, sha256).hexdigest()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: Any) -> bytes:
    return base64.b64decode(str(text), validate=True)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write_private(path: Path, document: dict[str, Any], *, exclusive: bool) -> None:
    """Write JSON to ``path`` with mode 0600, atomically: a crash leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(document, indent=2) + "\n").encode()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".keys-", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        if exclusive:
            os.link(tmp, path)  # fails if a file appeared there meanwhile
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def current_keyring() -> Keyring:
    if not has_app_context():
        raise CryptoError("Sealed values can only be read or written inside the hub application.")
    return cast(Keyring, current_app.extensions["hub.keyring"])
