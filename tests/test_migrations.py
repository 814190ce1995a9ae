"""The migrations build exactly the models' schema, and every revision goes up and down."""

from __future__ import annotations

from collections.abc import Callable

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

import hub.models  # noqa: F401
from hub.db import Base, make_engine
from hub.migrate import alembic_config, downgrade, upgrade


def test_the_models_match_the_newest_revision(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": connection.dialect.name == "sqlite"}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_every_revision_goes_up_and_down(fresh_database: Callable[[str], str]) -> None:
    engine = make_engine(fresh_database("hub_migrations"))
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert revisions, "no revisions found"
    try:
        for revision in revisions:
            with engine.begin() as connection:
                upgrade(connection, revision)
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) >= set(Base.metadata.tables)
        for revision in reversed(revisions):
            with engine.begin() as connection:
                downgrade(connection, script.get_revision(revision).down_revision or "base")  # type: ignore[union-attr, arg-type]
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
        with engine.begin() as connection:
            upgrade(connection)
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) >= set(Base.metadata.tables)
    finally:
        engine.dispose()
