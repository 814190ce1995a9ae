"""Reading and changing providers. Takes the session explicitly; a change is saved in one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hub import audit
from hub.audit import Actor
from hub.db import committed
from hub.providers.models import Provider, ProviderCapacity, Specialism, SpecialismCapacity


def locked(db: Session, provider_id: int) -> Provider | None:
    """The provider's row, locked and read afresh, for a change that depends on it: allocating to it,
    changing its capacity, deactivating it. Whoever locks it second waits and then sees the first's
    change."""
    return db.scalar(
        select(Provider)
        .where(Provider.id == provider_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def active_providers(db: Session) -> Sequence[Provider]:
    query = (
        select(Provider)
        .where(Provider.active.is_(True))
        .options(
            selectinload(Provider.specialisms),
            selectinload(Provider.capacity),
            selectinload(Provider.specialism_limits).selectinload(SpecialismCapacity.specialism),
        )
        .order_by(Provider.name)
    )
    return db.scalars(query).all()


def provider_choices(db: Session) -> list[tuple[str, str]]:
    """(slug, name) of each active provider, for a form's radios."""
    query = select(Provider.slug, Provider.name).where(Provider.active.is_(True)).order_by(Provider.name)
    return [(slug, name) for slug, name in db.execute(query)]


def all_specialisms(db: Session) -> Sequence[Specialism]:
    """Every specialism, retired ones too (to find old records by)."""
    return db.scalars(select(Specialism).order_by(Specialism.label)).all()


def offered_specialisms(db: Session) -> Sequence[Specialism]:
    """The specialisms offered for a new choice: every one not retired."""
    return db.scalars(
        select(Specialism).where(Specialism.retired.is_(False)).order_by(Specialism.label)
    ).all()


def write_capacity(provider: Provider, new_starts_per_quarter: int | None, max_active: int | None) -> bool:
    """The one place a provider's own limits are written (its staff's capacity page and the
    administrators' provider form both come here); None leaves a limit open. Returns whether either
    changed. It neither audits nor commits: its caller does both, under ``provider.capacity_changed``."""
    if provider.capacity is None:
        provider.capacity = ProviderCapacity()
    capacity = provider.capacity
    changed = (capacity.new_starts_per_quarter, capacity.max_active) != (new_starts_per_quarter, max_active)
    capacity.new_starts_per_quarter = new_starts_per_quarter
    capacity.max_active = max_active
    return changed


def set_capacity(
    db: Session, provider_id: int, new_starts_per_quarter: int | None, max_active: int | None, actor: Actor
) -> bool:
    """Record what the provider can take on (None leaves a limit open); audited when it changed, and
    committed; returns whether it changed. The provider's row is locked first, as allocating and the
    administrators' form lock it."""
    with committed(db):
        provider = locked(db, provider_id)
        if provider is None:
            raise LookupError(f"There is no provider {provider_id}.")
        db.scalar(
            select(ProviderCapacity)
            .where(ProviderCapacity.provider_id == provider_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        changed = write_capacity(provider, new_starts_per_quarter, max_active)
        if changed:
            audit.record_as(db, actor, "provider.capacity_changed", "provider", provider_id)
    return changed
