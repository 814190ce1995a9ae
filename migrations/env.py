"""Alembic environment. The database comes from the hub's own settings (or a connection passed in)."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

import hub.models  # noqa: F401  (registers every table on the metadata)
from hub.db import Base, UTCDateTime, make_engine

config = context.config
target_metadata = Base.metadata


def render_item(kind: str, item: Any, autogen_context: Any) -> str | bool:
    """Write the hub's own column types as plain SQLAlchemy ones, so revisions never import hub."""
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def database_url() -> str:
    from hub.config import Config

    return Config.load().database_url


connection = config.attributes.get("connection")
if context.is_offline_mode():
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif connection is not None:
    run_with(connection)
else:
    engine = make_engine(database_url())
    with engine.connect() as new_connection:
        run_with(new_connection)
        new_connection.commit()
    engine.dispose()
