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
