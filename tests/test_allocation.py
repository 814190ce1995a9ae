"""Allocation: capacity counted right, the recommendation's order and reasons, and no race can break it."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.audit import Actor, AuditEntry, verify
from hub.auth.models import Role
from hub.db import make_engine
from hub.migrate import upgrade
from hub.outbox import OutboxMessage
from hub.providers.models import Provider, ProviderCapacity, Specialism
from hub.referrals import timeline
from hub.referrals.allocation import (
    AlreadyAllocated,
    CapacityExceeded,
    ReasonNeeded,
    allocate,
    headroom,
    recommend,
)
from hub.referrals.models import Allocation, AllocationStatus, Referral, ReferralSource, ReferralStatus

from . import factories

ALLOCATOR = Actor(id=None, role="allocator")


def give(db: Session, referral: Referral, provider: Provider) -> Allocation:
    return allocate(db, referral.id, provider.id, ALLOCATOR, reason="Chosen by the test.")


def test_an_allocation_is_recorded_on_the_timeline_and_the_provider_is_told(db_session: Session) -> None:
    provider = factories.provider(db_session, name="Harbour", referrals_email="team@harbour.example")
    referral = factories.referral(db_session)
    staff = factories.staff_user(db_session, role=Role.ALLOCATOR, display_name="Ash Allocator")
    made = allocate(
        db_session, referral.id, provider.id, Actor(id=str(staff.id), role="allocator"), "their choice"
    )
    db_session.expire_all()
    assert made.status is AllocationStatus.PENDING and made.reason == "their choice"
    assert db_session.get(Referral, referral.id).status is ReferralStatus.ALLOCATED  # type: ignore[union-attr]
    [entry] = db_session.scalars(select(AuditEntry)).all()
    assert (entry.action, entry.object_id, entry.actor) == (
        "referral.allocated",
        str(referral.id),
        str(staff.id),
    )
    newest = timeline.entries(db_session, referral)[0]
    assert (newest.what, newest.who, newest.why) == (
        "Allocated to a provider: Harbour",
        "Ash Allocator (Trauma and Resilience Service)",
        "their choice",
    )
    [email] = db_session.scalars(select(OutboxMessage)).all()
    assert email.to_address == "team@harbour.example"
    assert "allocated to Harbour" in email.body and referral.reference not in email.body


def test_without_a_team_mailbox_each_of_the_providers_staff_is_told(db_session: Session) -> None:
    provider, other = factories.provider(db_session), factories.provider(db_session)
    for n, (where, disabled) in enumerate(
        [(provider, False), (provider, False), (provider, True), (other, False)]
    ):
        factories.staff_user(
            db_session,
            role=Role.PROVIDER_STAFF,
            provider_id=where.id,
            email=f"s{n}@example.org",
            disabled=disabled,
        )
    give(db_session, factories.referral(db_session), provider)
    told = sorted(m.to_address or "" for m in db_session.scalars(select(OutboxMessage)))
    assert told == ["s0@example.org", "s1@example.org"]


def test_another_provider_than_the_recommended_one_needs_a_reason(db_session: Session) -> None:
    chosen = factories.provider(db_session, name="Chosen")
    other = factories.provider(db_session, name="Other")
    referral = factories.referral(db_session, preferred_provider_id=chosen.id)
    db_session.commit()
    with pytest.raises(
        ReasonNeeded, match="Say why you chose Other rather than the recommended provider, Chosen"
    ):
        allocate(db_session, referral.id, other.id, ALLOCATOR)
    assert db_session.get(Referral, referral.id).status is ReferralStatus.SUBMITTED  # type: ignore[union-attr]
    assert allocate(db_session, referral.id, chosen.id, ALLOCATOR).reason is None


def test_a_referral_cannot_be_allocated_twice(db_session: Session) -> None:
    provider = factories.provider(db_session)
    referral = factories.referral(db_session)
    give(db_session, referral, provider)
    with pytest.raises(AlreadyAllocated, match="already dealt with"):
        give(db_session, referral, provider)


def test_pending_and_accepted_allocations_count_against_capacity(db_session: Session) -> None:
    provider = factories.provider(db_session, new_starts=None, max_active=2)
    first, second, third = (factories.referral(db_session) for _ in range(3))
    give(db_session, first, provider)
    give(db_session, second, provider)
    with pytest.raises(CapacityExceeded, match="has no space left"):
        give(db_session, third, provider)
    declined = db_session.scalars(select(Allocation).where(Allocation.referral_id == first.id)).one()
    declined.status = AllocationStatus.DECLINED
    db_session.commit()
    give(db_session, third, provider)
    assert headroom(db_session, provider.id, provider.capacity).holding == 0


def test_a_closed_case_frees_its_place_but_stays_a_new_start_this_quarter(db_session: Session) -> None:
    provider = factories.provider(db_session, new_starts=2, max_active=1)
    first, second, third = (factories.referral(db_session) for _ in range(3))
    give(db_session, first, provider)
    with pytest.raises(CapacityExceeded, match="has no space left"):
        give(db_session, second, provider)
    accepted = db_session.scalars(select(Allocation).where(Allocation.referral_id == first.id)).one()
    accepted.status = AllocationStatus.ACCEPTED
    first.status = ReferralStatus.CLOSED
    db_session.commit()
    space = headroom(db_session, provider.id, provider.capacity)
    assert (space.holding, space.new_starts) == (1, 1), "the closed case holds no place; it was a new start"
    give(db_session, second, provider)
    with pytest.raises(CapacityExceeded, match="has no space left"):
        give(db_session, third, provider)


def test_new_starts_are_counted_per_quarter(db_session: Session) -> None:
    provider = factories.provider(db_session, new_starts=1, max_active=None)
    old, new = factories.referral(db_session), factories.referral(db_session)
    earlier = give(db_session, old, provider)
    earlier.created_at = datetime(2020, 1, 5, tzinfo=UTC)
    db_session.commit()
    give(db_session, new, provider)
    assert headroom(db_session, provider.id, provider.capacity).new_starts == 0


def specialisms(db: Session, *codes: str) -> list[Specialism]:
    return [factories.specialism(db, code=code, label=code.title()) for code in codes]


def test_the_recommendation_ranks_and_explains(db_session: Session) -> None:
    counselling, group, advocacy = specialisms(db_session, "counselling", "group", "advocacy")
    full_fit = factories.provider(
        db_session, name="Full Fit", specialisms=[counselling, group], new_starts=None, max_active=1
    )
    chosen = factories.provider(
        db_session, name="Chosen", specialisms=[counselling], max_active=None, new_starts=None
    )
    roomy = factories.provider(
        db_session, name="Roomy", specialisms=[counselling, group, advocacy], new_starts=None, max_active=9
    )
    referral = factories.referral(db_session, preferred_provider_id=chosen.id)
    referral.specialisms = [counselling, group]
    give(db_session, factories.referral(db_session), full_fit)  # full_fit is now full
    db_session.commit()

    ranked = recommend(db_session, referral, [full_fit, chosen, roomy])

    assert [r.provider.name for r in ranked] == ["Roomy", "Full Fit", "Chosen"]
    assert ranked[0].reasons == [
        "Offers every kind of support asked for.",
        "Has space for 9 more people.",
        "Has had 0 new referrals this quarter.",
    ]
    assert "Has no space left." in ranked[1].reasons
    assert ranked[2].reasons[:2] == ["Does not offer: Group.", "The person chose this organisation."]


def test_a_fair_share_breaks_ties(db_session: Session) -> None:
    busy, quiet = (
        factories.provider(db_session, name="Busy", max_active=None),
        factories.provider(db_session, name="Quiet", max_active=None),
    )
    for _ in range(2):
        give(db_session, factories.referral(db_session), busy)
    ranked = recommend(db_session, factories.referral(db_session), [busy, quiet])
    assert [r.provider.name for r in ranked] == ["Quiet", "Busy"]


def racing_hub(
    url: str, key_file: object, instance: Path, connections: int
) -> tuple[Flask, Engine, sessionmaker[Session]]:
    """A hub on its own committed database, migrated, its engine, and sessions for ``connections`` threads
    to race in."""
    from hub import create_app
    from hub.config import Config

    app = create_app(
        Config(
            secret_key="race-" + "x" * 40,
            database_url=url,
            key_file=Path(str(key_file)),
            instance_path=instance,
        )
    )
    engine = make_engine(url, pool_size=connections, max_overflow=0)
    with engine.begin() as connection:
        upgrade(connection)
    return app, engine, sessionmaker(bind=engine, expire_on_commit=False)


def test_allocators_racing_never_overfill_or_double_allocate(
    fresh_database: Callable[[str], str], session_key_file: object, tmp_path: Path
) -> None:
    """8 threads, hundreds of tries, on a committed database: capacity and one-allocation both hold."""
    app, engine, factory = racing_hub(fresh_database("hub_allocation_race"), session_key_file, tmp_path, 8)
    with app.app_context(), factory() as db:
        providers = [Provider(slug=f"p{n}", name=f"P{n}") for n in range(2)]
        for provider in providers:
            provider.capacity = ProviderCapacity(new_starts_per_quarter=None, max_active=7)
        referrals = [
            Referral(reference=f"PAS-RACE-{n:04d}", source=ReferralSource.SELF, consent_to_share=True)
            for n in range(40)
        ]
        db.add_all([*providers, *referrals])
        db.commit()
        provider_ids, referral_ids = [p.id for p in providers], [r.id for r in referrals]
    outcomes: list[str] = []

    def allocator(seed: int) -> None:
        chooser = random.Random(seed)
        with app.app_context(), factory() as db:
            for _ in range(40):
                try:
                    allocate(
                        db,
                        chooser.choice(referral_ids),
                        chooser.choice(provider_ids),
                        ALLOCATOR,
                        reason="Chosen at random by the race test.",
                    )
                    outcomes.append("made")
                except (CapacityExceeded, AlreadyAllocated):
                    outcomes.append("refused")
                except Exception as error:
                    outcomes.append(f"error: {error!r}")

    threads = [threading.Thread(target=allocator, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert len(outcomes) == 320 and not [o for o in outcomes if o.startswith("error")], outcomes[:5]
        with app.app_context(), factory() as db:
            per_provider = dict(
                db.execute(
                    select(Allocation.provider_id, func.count()).group_by(Allocation.provider_id)
                ).all()
            )
            per_referral = db.execute(
                select(Allocation.referral_id, func.count()).group_by(Allocation.referral_id)
            ).all()
            assert all(count <= 7 for count in per_provider.values()), per_provider
            assert sum(per_provider.values()) == 14 == outcomes.count("made")
            assert all(count == 1 for _, count in per_referral)
            assert verify(db).intact and verify(db).count == 14
    finally:
        engine.dispose()
        app.extensions["hub.database"].engine.dispose()


@pytest.mark.postgresql_only
def test_deactivating_while_an_offer_is_being_made_waits_for_it_and_is_refused(
    fresh_database: Callable[[str], str],
    session_key_file: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An allocation half made holds the provider's row: deactivating waits for it, then counts the offer
    and refuses. (SQLite runs one writer at a time, so only PostgreSQL can race.)"""
    from sqlalchemy import text

    from hub.providers import admin
    from hub.referrals import allocation
    from hub.referrals.allocation import open_offers

    app, engine, factory = racing_hub(fresh_database("hub_deactivation_race"), session_key_file, tmp_path, 4)
    with app.app_context(), factory() as db:
        provider = Provider(slug="harbour", name="Harbour")
        referral = Referral(reference="PAS-RACE-0001", source=ReferralSource.SELF, consent_to_share=True)
        db.add_all([provider, referral])
        db.commit()
    inside, go = threading.Event(), threading.Event()
    told = allocation._tell_provider

    def slowly(db: Session, provider: Provider) -> None:
        inside.set()  # the provider's row is locked by now, the offer written but not committed
        go.wait(timeout=60)
        told(db, provider)

    monkeypatch.setattr(allocation, "_tell_provider", slowly)
    outcomes: dict[str, str] = {}

    def allocating() -> None:
        with app.app_context(), factory() as db:
            allocate(db, referral.id, provider.id, ALLOCATOR, reason="Chosen by the race test.")
            outcomes["allocate"] = "made"

    def deactivating() -> None:
        with app.app_context(), factory() as db:
            try:
                admin.deactivate(db, provider.id, ALLOCATOR, open_offers)
                outcomes["deactivate"] = "done"
            except admin.AdminError as error:
                outcomes["deactivate"] = str(error)

    first = threading.Thread(target=allocating)
    first.start()
    assert inside.wait(timeout=60)
    second = threading.Thread(target=deactivating)
    second.start()
    try:
        with engine.connect() as watcher:  # until the deactivation waits for a lock, or is done
            while (
                second.is_alive()
                and not watcher.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                ).scalar()
            ):
                watcher.rollback()
        go.set()
        first.join()
        second.join()
        assert outcomes["allocate"] == "made"
        assert outcomes["deactivate"].startswith("Harbour was not deactivated: 1 offer is waiting")
        with app.app_context(), factory() as db:
            found = db.get(Provider, provider.id)
            assert found is not None and found.active and found.deactivated_at is None
            assert db.scalar(select(func.count()).select_from(Allocation)) == 1
    finally:
        go.set()
        engine.dispose()
        app.extensions["hub.database"].engine.dispose()
