"""Reading and changing providers. Takes the session explicitly; commits only where it says so."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hub.providers.models import Provider, Specialism


def active_providers(db: Session) -> Sequence[Provider]:
    query = (
        select(Provider)
        .where(Provider.active.is_(True))
        .options(selectinload(Provider.specialisms), selectinload(Provider.capacity))
        .order_by(Provider.name)
    )
    return db.scalars(query).all()


def provider_choices(db: Session) -> list[tuple[str, str]]:
    """(slug, name) of each active provider, for a form's radios."""
    query = select(Provider.slug, Provider.name).where(Provider.active.is_(True)).order_by(Provider.name)
    return [(slug, name) for slug, name in db.execute(query)]


def all_specialisms(db: Session) -> Sequence[Specialism]:
    return db.scalars(select(Specialism).order_by(Specialism.label)).all()
