"""The database: declarative base, column kinds, the engine and a session per request."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from flask import Flask, current_app, g
from sqlalchemy import DateTime, Engine, MetaData, String, Uuid, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


_PINNED: ContextVar[datetime | None] = ContextVar("hub.db.pinned_now", default=None)


def utcnow() -> datetime:
    """Now, in UTC: the moment every service stamps what it writes with."""
    pinned = _PINNED.get()
    return pinned if pinned is not None else datetime.now(UTC)


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Inside the block, :func:`utcnow` is ``moment`` (and so is "today" in ``hub.calendar``).

    Only for ``seed-demo``, which makes its made-up history through the services themselves, each
    step at the moment it is said to have happened. Rows the step adds must be flushed inside the
    block, because a column's default is read when the row is written.
    """
    if moment.tzinfo is None:
        raise ValueError("the clock is set to a timezone-aware moment")
    token = _PINNED.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _PINNED.reset(token)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database; SQLite keeps no zone, so it is put back."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


RowId = Annotated[uuid.UUID, mapped_column(Uuid, primary_key=True)]
Created = Annotated[datetime, mapped_column(UTCDateTime, default=utcnow)]
Updated = Annotated[datetime, mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)]
BlindIndex = Annotated[str | None, mapped_column(String(64), index=True)]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime}


class SealedRowMixin:
    """Rows with sealed values get their stable id when built, because the id is in every seal."""

    id: Mapped[RowId]

    def __init__(self, **kwargs: Any) -> None:
        self.id = kwargs.pop("id", None) or uuid.uuid4()
        super().__init__(**kwargs)


class TransactionDoomed(RuntimeError):
    """A step inside the transaction failed and the failure was caught: nothing of it may be saved."""


_DEPTH = "hub.db.depth"
_DOOMED = "hub.db.doomed"


@contextmanager
def committed(db: Session) -> Iterator[None]:
    """Save everything the block writes together, or none of it: the hub's one way to end a transaction.

    When the block ends, it commits. If anything is raised in it (a refusal, a failed flush, a
    mistake in code), everything since the last commit is rolled back and the exception goes on.
    A block inside another (a service calling a service) joins it: only the outermost commits, and
    a failure inside rolls everything back at once and dooms the rest, even if the outer block
    catches it. ``Session.begin()`` is not used because a request has usually read (and so begun a
    transaction) before it calls a service.
    """
    depth = db.info.get(_DEPTH, 0)
    db.info[_DEPTH] = depth + 1
    try:
        yield
        if depth == 0:
            if db.info.pop(_DOOMED, False):
                raise TransactionDoomed("a step of this transaction failed, so none of it was saved")
            db.commit()
    except BaseException:
        db.rollback()
        if depth > 0:
            db.info[_DOOMED] = True
        raise
    finally:
        db.info[_DEPTH] = depth
        if depth == 0:
            db.info.pop(_DOOMED, None)


class Database:
    """One engine and session factory per app. Tests rebind the factory to a rolled-back connection."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _sqlite_behave(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_behave(engine: Engine) -> None:
    """Foreign keys on, write-ahead log, and transactions (and savepoints) run by SQLAlchemy.

    SQLite is the embedded database for one machine: writes are serialised, and requests wait for
    each other rather than fail. PostgreSQL is the production database.

    pysqlite's own transaction handling breaks SAVEPOINT; this is the recipe in the SQLAlchemy docs.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock at the start, so two requests that read then write wait
        # for each other (up to the timeout) instead of one failing with "database is locked".
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def init_app(app: Flask, url: str) -> None:
    app.extensions["hub.database"] = Database(url)
    app.teardown_appcontext(_close_session)


def database() -> Database:
    db: Database = current_app.extensions["hub.database"]
    return db


def session() -> Session:
    """The session for this request (or CLI command), opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    db_session: Session = g.db_session
    return db_session


def roll_back_request() -> None:
    """Undo whatever this request had not saved, so the error page reads from a clean session."""
    db_session: Session | None = g.get("db_session")
    if db_session is not None:
        db_session.rollback()


def _close_session(_exc: BaseException | None) -> None:
    db_session: Session | None = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()
