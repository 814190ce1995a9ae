"""The migrations build exactly the models' schema, and every revision goes up and down.

"Exactly" is checked table by table, as the database itself reports it: every column with its type,
nullability and server default, the primary key, every index (with its columns, uniqueness and any
partial-index condition), unique, check and foreign-key constraints (with what a delete does). The
schema the migrations build must equal the one the models build with ``create_all``, and must be the
same again after going down to nothing and back up.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

import hub.models  # noqa: F401
from hub.db import Base, make_engine
from hub.migrate import alembic_config, downgrade, upgrade

Schema = dict[str, dict[str, list[tuple[Any, ...]]]]


def _sql(text: object) -> str:
    """SQL text as a comparable string: PostgreSQL and SQLite give back spacing, quotes and brackets
    of their own, which are not part of what the constraint means."""
    return re.sub(r'[\s()"]', "", str(text)).lower()


def schema(connection: Connection) -> Schema:
    """Every table's columns, keys, indexes and constraints, as the database reports them."""
    inspector = inspect(connection)
    dialect = connection.dialect
    found: Schema = {}
    for table in sorted(inspector.get_table_names()):
        if table == "alembic_version":
            continue
        found[table] = {
            "columns": sorted(
                (c["name"], c["type"].compile(dialect=dialect), c["nullable"], _sql(c.get("default")))
                for c in inspector.get_columns(table)
            ),
            "primary key": [tuple(sorted(inspector.get_pk_constraint(table)["constrained_columns"]))],
            "indexes": sorted(
                (
                    i["name"],
                    tuple(i["column_names"]),
                    bool(i["unique"]),
                    tuple(sorted((k, _sql(v)) for k, v in i.get("dialect_options", {}).items())),
                )
                for i in inspector.get_indexes(table)
            ),
            "unique": sorted(
                (u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(table)
            ),
            "checks": sorted((c["name"], _sql(c["sqltext"])) for c in inspector.get_check_constraints(table)),
            "foreign keys": sorted(
                (
                    f["name"],
                    tuple(f["constrained_columns"]),
                    f["referred_table"],
                    tuple(f["referred_columns"]),
                    f["options"].get("ondelete"),
                )
                for f in inspector.get_foreign_keys(table)
            ),
        }
    return found


def differences(migrated: Schema, expected: Schema) -> list[str]:
    """Each table part that differs, with what only one side has: readable when the test fails."""
    found = []
    for table in sorted(set(migrated) | set(expected)):
        if table not in migrated or table not in expected:
            found.append(f"{table}: only {'in the models' if table in expected else 'in the migrations'}")
            continue
        for part, rows in expected[table].items():
            have = migrated[table][part]
            if have != rows:
                extra = [r for r in have if r not in rows]
                missing = [r for r in rows if r not in have]
                found.append(f"{table} {part}: migrations also have {extra}; models also have {missing}")
    return found


def models_schema(fresh_database: Callable[[str], str]) -> Schema:
    """The schema the models describe, built by ``create_all`` in a database of its own."""
    engine = make_engine(fresh_database("hub_models"))
    try:
        with engine.begin() as connection:
            Base.metadata.create_all(connection)
        with engine.connect() as connection:
            return schema(connection)
    finally:
        engine.dispose()


def test_the_schema_description_sees_every_kind_of_part(fresh_database: Callable[[str], str]) -> None:
    described = models_schema(fresh_database)
    referral, provider = described["referral"], described["provider"]
    assert ("status", False) in {(c[0], c[2]) for c in referral["columns"]}
    assert any(i[0] == "ix_referral_waiting" and i[3] for i in referral["indexes"]), "with its condition"
    assert any(f[1] == ("preferred_provider_id",) and f[4] == "SET NULL" for f in referral["foreign keys"])
    assert ("ck_provider_age_range_in_order", "max_age>=min_age") in provider["checks"]


def test_the_models_match_the_newest_revision(engine: Engine, fresh_database: Callable[[str], str]) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": connection.dialect.name == "sqlite"}
        )
        assert compare_metadata(context, Base.metadata) == []
        migrated = schema(connection)
    assert differences(migrated, models_schema(fresh_database)) == []


def test_every_revision_goes_up_and_down(fresh_database: Callable[[str], str]) -> None:
    engine = make_engine(fresh_database("hub_migrations"))
    script = ScriptDirectory.from_config(alembic_config())
    revisions = list(reversed(list(script.walk_revisions())))
    assert revisions, "no revisions found"
    try:
        for revision in revisions:
            with engine.begin() as connection:
                upgrade(connection, revision.revision)
        with engine.connect() as connection:
            at_head = schema(connection)
        assert differences(at_head, models_schema(fresh_database)) == []
        for revision in reversed(revisions):
            down_to = revision.down_revision
            assert down_to is None or isinstance(down_to, str), "one line of revisions, no merges"
            with engine.begin() as connection:
                downgrade(connection, down_to or "base")
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
        with engine.begin() as connection:
            upgrade(connection)
        with engine.connect() as connection:
            assert differences(schema(connection), at_head) == []
    finally:
        engine.dispose()


def test_referrals_made_before_consent_records_get_the_records_their_flags_stand_for(
    fresh_database: Callable[[str], str],
) -> None:
    import uuid
    from datetime import UTC, date, datetime

    import sqlalchemy as sa

    engine = make_engine(fresh_database("hub_consent_backfill"))
    referral = sa.table(
        "referral",
        *(sa.column(name, sa.Boolean()) for name in BOOLEANS),
        sa.column("id", sa.Uuid()),
        sa.column("reference", sa.String()),
        sa.column("source", sa.String()),
        sa.column("status", sa.String()),
        sa.column("status_changed_at", sa.DateTime(timezone=True)),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    # 23:30 UTC on 30 June is already 1 July in the UK (summer time).
    arrived = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    people = {
        "PAS-AAAA-SHAR": ("professional", True),
        "PAS-AAAA-NOSH": ("professional", False),
        "PAS-AAAA-SELF": ("self", True),
    }
    ids = {reference: uuid.uuid4() for reference in people}
    try:
        with engine.begin() as connection:
            upgrade(connection, "0011")
            for reference, (source, share) in people.items():
                flags = dict.fromkeys(BOOLEANS, False) | {
                    "consent_to_referral": True,
                    "consent_to_share": share,
                }
                connection.execute(
                    referral.insert().values(
                        id=ids[reference],
                        reference=reference,
                        source=source,
                        status="submitted",
                        status_changed_at=arrived,
                        created_at=arrived,
                        updated_at=arrived,
                        **flags,
                    )
                )
            upgrade(connection, "0012")
            found = connection.execute(
                sa.text("SELECT referral_id, wording, route, happened_on, given FROM consent_record")
            ).all()
        by_referral: dict[str, list[str]] = {}
        for referral_id, wording, route, happened_on, given in found:
            reference = next(r for r, i in ids.items() if i.hex == uuid.UUID(str(referral_id)).hex)
            by_referral.setdefault(reference, []).append(f"{wording} {route}")
            assert given and str(happened_on)[:10] == date(2026, 7, 1).isoformat()
        assert {k: sorted(v) for k, v in by_referral.items()} == {
            "PAS-AAAA-SHAR": ["referral-v1 professional_form", "share-v1 professional_form"],
            "PAS-AAAA-NOSH": ["referral-v1 professional_form"],
            "PAS-AAAA-SELF": ["self-v0 self_referral"],
        }
    finally:
        engine.dispose()


BOOLEANS = (
    "consent_to_referral",
    "consent_to_share",
    "under_18",
    "possible_duplicate",
    "help_choosing",
    "risk_flagged",
)
