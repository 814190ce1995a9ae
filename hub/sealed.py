"""Sealed model attributes: a value stored encrypted in its own column and read back as a plain value."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any, Generic, TypeVar, cast, overload

from sqlalchemy import LargeBinary
from sqlalchemy.orm import mapped_column

from hub.keyring import Binding, CryptoError, current_keyring

T = TypeVar("T")


_CODECS: dict[type, tuple[Callable[[Any], bytes], Callable[[bytes], Any]]] = {
    str: (lambda v: v.encode("utf-8"), lambda b: b.decode("utf-8")),
    date: (lambda v: v.isoformat().encode("ascii"), lambda b: date.fromisoformat(b.decode("ascii"))),
    dict: (
        lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False).encode("utf-8"),
        lambda b: json.loads(b.decode("utf-8")),
    ),
}

SEALED_FIELDS: list[Sealed[Any]] = []
"""Every sealed attribute of every model, so rotation and tests can find them all."""


class Sealed(Generic[T]):
    """A model attribute stored sealed in a ``<name>_sealed`` column and read back as a plain value.

    ``full_name = Sealed(str)`` adds the column ``full_name_sealed`` to the model. ``None`` means no
    value was given; a value that cannot be opened raises, it never reads as ``None``. The model must
    have a stable ``id`` set before the first write (see ``hub.db.SealedRowMixin``).
    """

    def __init__(self, kind: type[T]) -> None:
        if kind not in _CODECS:
            raise TypeError(f"Sealed supports {', '.join(t.__name__ for t in _CODECS)}, not {kind.__name__}")
        self.kind = kind
        self._encode, self._decode = _CODECS[kind]
        self.name = ""
        self.column = ""
        self.owner: type | None = None

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self.column, self.owner = name, f"{name}_sealed", owner
        setattr(owner, self.column, mapped_column(self.column, LargeBinary, nullable=True))
        SEALED_FIELDS.append(self)

    @property
    def table(self) -> str:
        return cast(str, getattr(self.owner, "__tablename__"))  # noqa: B009

    def binding(self, row_id: uuid.UUID) -> Binding:
        return Binding(self.table, self.column, str(row_id))

    def open(self, row_id: uuid.UUID, blob: bytes | None) -> T | None:
        """The value sealed in ``blob`` for the row with this id, for reads that bypass the model."""
        if blob is None:
            return None
        return cast(T, self._decode(current_keyring().unseal(blob, self.binding(row_id))))

    def seal(self, row_id: uuid.UUID, value: T) -> bytes:
        """The stored form of ``value`` for the row with this id, for writes that bypass the model."""
        if not isinstance(value, self.kind):
            raise TypeError(
                f"{self.table}.{self.name} takes {self.kind.__name__}, not {type(value).__name__}"
            )
        return current_keyring().seal(self._encode(value), self.binding(row_id))

    @overload
    def __get__(self, instance: None, owner: type) -> Sealed[T]: ...
    @overload
    def __get__(self, instance: object, owner: type) -> T | None: ...
    def __get__(self, instance: object | None, owner: type) -> Sealed[T] | T | None:
        if instance is None:
            return self
        return self.open(_row_id(instance), getattr(instance, self.column))

    def __set__(self, instance: object, value: T | None) -> None:
        if value is None:
            setattr(instance, self.column, None)
            return
        setattr(instance, self.column, self.seal(_row_id(instance), value))


def _row_id(instance: object) -> uuid.UUID:
    row_id = getattr(instance, "id", None)
    if not isinstance(row_id, uuid.UUID):
        raise CryptoError(
            f"{type(instance).__name__} needs its id before a sealed value can be read or written."
        )
    return row_id
