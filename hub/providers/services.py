"""Reading and changing providers. Takes the session explicitly; a change is saved in one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hub import audit
from hub.audit import Actor
from hub.db import committed
from hub.providers.models import Provider, ProviderCapacity, Specialism, SpecialismCapacity


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


def set_capacity(
    db: Session, provider_id: int, new_starts_per_quarter: int | None, max_active: int | None, actor: Actor
) -> ProviderCapacity:
    """Record what the provider can take on (None leaves a limit open); audited, and committed."""
    with committed(db):
        capacity = db.scalar(
            select(ProviderCapacity).where(ProviderCapacity.provider_id == provider_id).with_for_update()
        )
        if capacity is None:
            capacity = ProviderCapacity(provider_id=provider_id)
            db.add(capacity)
        capacity.new_starts_per_quarter = new_starts_per_quarter
        capacity.max_active = max_active
        audit.record_as(db, actor, "provider.capacity_changed", "provider", provider_id)
    return capacity
