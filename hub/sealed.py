"""Sealed model attributes: a value stored encrypted in its own column and read back as a typed value."""

from __future__ import annotations

import abc
import dataclasses
import enum
import json
import math
import types
import uuid
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Generic, Self, TypeVar, Union, cast, get_args, get_origin, overload

from sqlalchemy import LargeBinary
from sqlalchemy.orm import mapped_column

from hub.keyring import Binding, CryptoError, current_keyring

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Shape(abc.ABC):
    """A frozen dataclass sealed as one JSON object: the one reader and the one writer of what it holds.

    :meth:`read` takes whatever any version of the hub stored (old booleans, missing keys, unknown
    keys, values of the wrong type, or not an object at all) and gives each field its safe answer;
    it never raises. :meth:`stored` is the one shape written. A shape is sealed only if it reads
    back as itself, so a field holding what ``read`` would never give (``voicemail=False``, a
    negative count) is refused before anything is stored: two writers cannot drift apart.
    """

    @classmethod
    def read(cls, stored: object) -> Self:
        return cls.read_fields(stored if isinstance(stored, Mapping) else {})

    @classmethod
    @abc.abstractmethod
    def read_fields(cls, stored: Mapping[str, Any]) -> Self:
        """The shape from a stored object; each field read on its own, tolerantly."""

    def stored(self) -> dict[str, Any]:
        """What is sealed: each field by name, enum members as their values, tuples as lists."""
        return {field.name: _plain(getattr(self, field.name)) for field in dataclasses.fields(self)}


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def _json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False).encode("utf-8")


def _members(kind: Any) -> tuple[Any, ...]:
    """The kinds a union names (``int | None`` is ``int`` and ``NoneType``), or the one kind."""
    return get_args(kind) if get_origin(kind) in (Union, types.UnionType) else (kind,)


def _holds(kinds: tuple[Any, ...], value: Any) -> bool:
    return any(_is(kind, value) for kind in kinds)


def _is(kind: Any, value: Any) -> bool:
    """Whether ``value`` is of ``kind`` exactly: ``True`` is not an ``int``, nor ``nan`` a ``float``."""
    if kind is type(None):
        return value is None
    if get_origin(kind) is list:
        return isinstance(value, list) and all(_holds(_members(get_args(kind)[0]), item) for item in value)
    if isinstance(value, bool) and kind is not bool:
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return isinstance(value, kind)


def _describe(kind: Any) -> str:
    return " | ".join(
        "None" if k is type(None) else k.__name__ if isinstance(k, type) else str(k) for k in _members(kind)
    )


def _same(one: Any, other: Any) -> bool:
    """Equal, and of the same kinds all the way down: text is not an enum member, nor ``1`` ``True``."""
    if type(one) is not type(other):
        return False
    if isinstance(one, tuple | list):
        return len(one) == len(other) and all(_same(a, b) for a, b in zip(one, other, strict=True))
    return bool(one == other)


class _Codec:
    """How one kind of value is checked, written and read back: text, and the base of the others."""

    def __init__(self, kind: Any) -> None:
        self.kind = kind

    def problem(self, value: Any) -> str | None:
        """Why ``value`` cannot be stored as this kind, or None."""
        if isinstance(value, self.kind):
            return None
        return f"takes {self.kind.__name__}, not {type(value).__name__}"

    def encode(self, value: Any) -> bytes:
        return cast(str, value).encode("utf-8")

    def decode(self, raw: bytes) -> Any:
        return raw.decode("utf-8")


class _DateCodec(_Codec):
    def encode(self, value: Any) -> bytes:
        return cast(date, value).isoformat().encode("ascii")

    def decode(self, raw: bytes) -> Any:
        return date.fromisoformat(raw.decode("ascii"))


class _BoolCodec(_Codec):
    def problem(self, value: Any) -> str | None:
        return None if isinstance(value, bool) else f"takes bool, not {type(value).__name__}"

    def encode(self, value: Any) -> bytes:
        return b"true" if value else b"false"

    def decode(self, raw: bytes) -> Any:
        return raw == b"true"


class _ChoiceCodec(_Codec):
    """A member of a text enum, stored as its value: plain text of the same value is refused."""

    kind: type[enum.StrEnum]

    def encode(self, value: Any) -> bytes:
        return cast(enum.StrEnum, value).value.encode("utf-8")

    def decode(self, raw: bytes) -> Any:
        return self.kind(raw.decode("utf-8"))


class _ShapeCodec(_Codec):
    kind: type[Shape]

    def problem(self, value: Any) -> str | None:
        found = super().problem(value)
        if found:
            return found
        try:
            again = self.decode(self.encode(value))
        except (TypeError, ValueError):
            return f"would not read back as written; build it with {self.kind.__name__}.read"
        changed = [
            f.name
            for f in dataclasses.fields(value)
            if not _same(getattr(again, f.name), getattr(value, f.name))
        ]
        if changed or type(again) is not type(value):
            what = ", ".join(changed) or type(value).__name__
            return f"would not read back as written ({what}); build it with {self.kind.__name__}.read"
        return None

    def encode(self, value: Any) -> bytes:
        return _json(cast(Shape, value).stored())

    def decode(self, raw: bytes) -> Any:
        return self.kind.read(json.loads(raw.decode("utf-8")))


class _MappingCodec(_Codec):
    """A mapping whose keys are data (KPI codes, a form's fields), with the kinds of its values named."""

    def __init__(self, kind: Any) -> None:
        super().__init__(kind)
        self.described = _describe(get_args(kind)[1])
        self.values = _members(get_args(kind)[1])

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, dict):
            return f"takes dict[str, {self.described}], not {type(value).__name__}"
        for key, item in value.items():
            if not isinstance(key, str):
                return f"takes text keys, not {type(key).__name__}"
            if not _holds(self.values, item):
                return f"takes {self.described} values, not {type(item).__name__} (at {key!r})"
        return None

    def encode(self, value: Any) -> bytes:
        return _json(value)

    def decode(self, raw: bytes) -> Any:
        """Each stored value of a kind the mapping takes; any other reads as None, or is left out."""
        stored = json.loads(raw.decode("utf-8"))
        found: dict[str, Any] = {}
        for key, value in stored.items() if isinstance(stored, dict) else ():
            if _holds(self.values, value):
                found[key] = value
            elif _holds(self.values, None):
                found[key] = None
        return found


def _codec(kind: Any) -> _Codec:
    if kind is str:
        return _Codec(kind)
    if kind is date:
        return _DateCodec(kind)
    if kind is bool:
        return _BoolCodec(kind)
    if isinstance(kind, type) and issubclass(kind, enum.StrEnum):
        return _ChoiceCodec(kind)
    if isinstance(kind, type) and issubclass(kind, Shape):
        return _ShapeCodec(kind)
    if get_origin(kind) is dict and get_args(kind)[0] is str:
        return _MappingCodec(kind)
    raise TypeError(
        "Sealed takes str, date, bool, a text enum, a Shape or dict[str, <value kinds>], "
        f"not {_describe(kind)}"
    )


@dataclasses.dataclass(frozen=True)
class Plain(Generic[T]):
    """Where an older release kept a sealed value in plain columns, until a later revision drops them.

    ``attributes`` name the model's attributes for those columns; ``read`` makes the value from what
    they hold (in that order). While any of them is filled and the sealed column is empty, the value
    is read from them; writing the value (or nothing) empties them. ``flask --app hub keys seal-plain``
    seals what is left in them (hub.referrals.sealing).
    """

    attributes: tuple[str, ...]
    read: Callable[..., T | None]

    def value(self, instance: object) -> T | None:
        held = [getattr(instance, name) for name in self.attributes]
        return None if all(v is None for v in held) else self.read(*held)


SEALED_FIELDS: list[Sealed[Any]] = []
"""Every sealed attribute of every model, so rotation and tests can find them all."""


class Sealed(Generic[T]):
    """A model attribute stored sealed in a ``<name>_sealed`` column and read back as a typed value.

    ``full_name = Sealed(str)`` adds the column ``full_name_sealed`` to the model. The kind is
    ``str``, ``date``, ``bool``, a text enum (``enum.StrEnum``), a :class:`Shape` (a sealed object
    with named fields), or ``dict[str, V]`` for a mapping whose keys are data, not names, with ``V``
    the kinds its values may be. ``plain`` names the plain columns an older release kept the value
    in (see :class:`Plain`): the one place that reads them while they are still filled. A value
    of another kind is refused before anything is stored. ``None`` means no value was given; a
    value that cannot be opened raises, it never reads as ``None``. The model must have a stable
    ``id`` set before the first write (see ``hub.db.SealedRowMixin``).
    """

    def __init__(self, kind: type[T], *, plain: Plain[T] | None = None) -> None:
        self.kind = kind
        self.plain = plain
        self._codec = _codec(kind)
        self.name = ""
        self.column = ""
        self.owner: type | None = None

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self.column, self.owner = name, f"{name}_sealed", owner
        setattr(owner, self.column, mapped_column(self.column, LargeBinary, nullable=True))
        SEALED_FIELDS.append(self)

    @property
    def stored_in(self) -> tuple[str, ...]:
        """The model's attributes that hold this value: the sealed column, and any plain ones left."""
        return (self.column, *(self.plain.attributes if self.plain else ()))

    @property
    def table(self) -> str:
        return cast(str, getattr(self.owner, "__tablename__"))  # noqa: B009

    def binding(self, row_id: uuid.UUID) -> Binding:
        return Binding(self.table, self.column, str(row_id))

    def open(self, row_id: uuid.UUID, blob: bytes | None) -> T | None:
        """The value sealed in ``blob`` for the row with this id, for reads that bypass the model."""
        if blob is None:
            return None
        return cast(T, self._codec.decode(current_keyring().unseal(blob, self.binding(row_id))))

    def seal(self, row_id: uuid.UUID, value: T) -> bytes:
        """The stored form of ``value`` for the row with this id, for writes that bypass the model."""
        problem = self._codec.problem(value)
        if problem:
            raise TypeError(f"{self.table}.{self.name} {problem}")
        return current_keyring().seal(self._codec.encode(value), self.binding(row_id))

    @overload
    def __get__(self, instance: None, owner: type) -> Sealed[T]: ...
    @overload
    def __get__(self, instance: object, owner: type) -> T | None: ...
    def __get__(self, instance: object | None, owner: type) -> Sealed[T] | T | None:
        if instance is None:
            return self
        blob = getattr(instance, self.column)
        if blob is None and self.plain is not None:
            return self.plain.value(instance)
        return self.open(_row_id(instance), blob)

    def __set__(self, instance: object, value: T | None) -> None:
        setattr(instance, self.column, None if value is None else self.seal(_row_id(instance), value))
        for name in self.plain.attributes if self.plain else ():
            setattr(instance, name, None)


def _row_id(instance: object) -> uuid.UUID:
    row_id = getattr(instance, "id", None)
    if not isinstance(row_id, uuid.UUID):
        raise CryptoError(
            f"{type(instance).__name__} needs its id before a sealed value can be read or written."
        )
    return row_id
