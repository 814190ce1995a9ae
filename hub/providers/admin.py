"""Administrators set up the providers and the specialisms: each change audited, and saved in one transaction.

A provider is never deleted: one that stops taking referrals is deactivated, and can be reactivated.
A specialism is never deleted either: one no longer offered is retired, stays on every record that has
it, and can be brought back. The slug of a provider and the code of a specialism are made from the name
once, when it is added, and never change (a provider's slug is what the self-referral form saves).

Each change writes one audit entry for each kind of thing that changed (``provider.renamed``,
``provider.specialisms_changed``…), so the log says what changed without holding any value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from hub import audit
from hub.audit import Actor
from hub.db import committed, utcnow
from hub.providers.models import (
    RESERVED_SLUGS,
    Provider,
    Serves,
    Specialism,
    SpecialismCapacity,
)
from hub.providers.models import provider_specialism as link
from hub.providers.services import locked, write_capacity

OpenOffers = Callable[[Session, int], int]
"""How many offers wait for one provider's decision (the referrals side knows; the app passes it in)."""


class AdminError(Exception):
    """Nothing was changed; the message says why, for the administrator.

    Like :class:`hub.auth.services.AccountError`, a message has no full stop at its end: an error summary
    shows it as it is, and a banner adds the full stop (``admin_views._refused``)."""


@dataclass(frozen=True)
class ProviderDetails:
    """Everything the provider form sets."""

    name: str
    summary: str = ""
    serves: Serves = Serves.EVERYONE
    min_age: int | None = None
    max_age: int | None = None
    specialism_ids: Sequence[int] = ()
    referrals_email: str | None = None
    new_starts_per_quarter: int | None = None
    max_active: int | None = None
    # specialism id -> new starts each quarter for people asking for it (only for specialisms offered)
    specialism_limits: dict[int, int] = field(default_factory=dict)


def every_provider(db: Session) -> Sequence[Provider]:
    """Every provider, active ones first, for the administrators' list."""
    query = (
        select(Provider)
        .options(
            selectinload(Provider.specialisms),
            selectinload(Provider.capacity),
            selectinload(Provider.specialism_limits).selectinload(SpecialismCapacity.specialism),
        )
        .order_by(Provider.active.desc(), Provider.name)
    )
    return db.scalars(query).all()


def slug_of(name: str, max_length: int = 40, separator: str = "-") -> str:
    """Lower-case letters and digits of ``name``, joined: "St Mary's Centre" -> "st-marys-centre"."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower().replace("'", "")
    words = re.findall(r"[a-z0-9]+", plain)
    return separator.join(words)[:max_length].strip(separator) or "item"


def _unused(db: Session, column: Any, base: str, separator: str, max_length: int = 40) -> str:
    """``base``, or else ``base`` cut short enough to end in "-2", "-3"… (each one still ``max_length``
    characters at most), whichever is first not taken and not a word the forms use for no choice."""
    stem_length = max_length - 10  # every candidate starts with this much of base (suffixes are short)
    taken = set(db.scalars(select(column).where(column.like(f"{base[:stem_length]}%"))))
    taken |= RESERVED_SLUGS
    if base not in taken:
        return base
    n = 2
    while True:
        suffix = f"{separator}{n}"
        candidate = base[: max_length - len(suffix)].rstrip(separator) + suffix
        if candidate not in taken:
            return candidate
        n += 1


def create_provider(db: Session, details: ProviderDetails, actor: Actor) -> Provider:
    """Add a provider, active at once; its slug is made from its name here and never changes."""
    with committed(db):
        _check_name(db, Provider, Provider.name, details.name, None, "A provider")
        provider = Provider(
            slug=_unused(db, Provider.slug, slug_of(details.name), "-"), name=details.name, active=True
        )
        db.add(provider)
        _apply(db, provider, details)
        db.flush()
        audit.record_as(db, actor, "provider.created", "provider", provider.id)
    return provider


def update_provider(db: Session, provider_id: int, details: ProviderDetails, actor: Actor) -> list[str]:
    """Change a provider; returns what changed, in words ("name", "capacity"), empty when nothing did."""
    with committed(db):
        provider = _provider(db, provider_id, lock=True)
        _check_name(db, Provider, Provider.name, details.name, provider.id, "A provider")
        before = _described(provider)
        _apply(db, provider, details)
        db.flush()
        after = _described(provider)
        changed = [what for what in before if before[what] != after[what]]
        _audit_provider_changes(db, actor, provider.id, changed)
    return changed


def _audit_provider_changes(db: Session, actor: Actor, provider_id: int, changed: list[str]) -> None:
    if "name" in changed:
        audit.record_as(db, actor, "provider.renamed", "provider", provider_id)
    if "description" in changed:
        audit.record_as(db, actor, "provider.description_changed", "provider", provider_id)
    if "who it serves" in changed:
        audit.record_as(db, actor, "provider.who_served_changed", "provider", provider_id)
    if "team mailbox" in changed:
        audit.record_as(db, actor, "provider.mailbox_changed", "provider", provider_id)
    if "specialisms" in changed:
        audit.record_as(db, actor, "provider.specialisms_changed", "provider", provider_id)
    if "capacity" in changed:
        audit.record_as(db, actor, "provider.capacity_changed", "provider", provider_id)


def _described(provider: Provider) -> dict[str, object]:
    capacity = provider.capacity
    return {
        "name": provider.name,
        "description": provider.summary,
        "who it serves": (provider.serves, provider.min_age, provider.max_age),
        "team mailbox": provider.referrals_email,
        "specialisms": sorted(s.id for s in provider.specialisms),
        "capacity": (
            capacity.new_starts_per_quarter if capacity else None,
            capacity.max_active if capacity else None,
            sorted(
                (limit.specialism_id, limit.new_starts_per_quarter) for limit in provider.specialism_limits
            ),
        ),
    }


def _apply(db: Session, provider: Provider, details: ProviderDetails) -> None:
    """Set the provider's fields from the form, after checking what a form alone cannot."""
    if details.min_age is not None and details.max_age is not None and details.max_age < details.min_age:
        raise AdminError("The oldest age it serves must be the same as or more than the youngest")
    chosen = _offerable(db, details.specialism_ids)
    # Retired specialisms are not on the form; a provider that offered one keeps it for old referrals.
    kept = [s for s in provider.specialisms if s.retired]
    provider.name = details.name
    provider.summary = details.summary
    provider.serves = details.serves
    provider.min_age, provider.max_age = details.min_age, details.max_age
    provider.referrals_email = details.referrals_email or None
    provider.specialisms = sorted({s.id: s for s in [*chosen, *kept]}.values(), key=lambda s: s.label)
    write_capacity(provider, details.new_starts_per_quarter, details.max_active)
    _apply_limits(provider, details.specialism_limits, {s.id for s in kept})


def _apply_limits(provider: Provider, posted: dict[int, int], retired: set[int]) -> None:
    """Each offered specialism's own limit as posted. A retired specialism has no box on the form, so
    the limit it had is kept as it was (as the specialism itself is), never read as emptied."""
    existing = {limit.specialism_id: limit for limit in provider.specialism_limits}
    offered = {s.id for s in provider.specialisms} - retired
    limits = {sid: n for sid, n in posted.items() if sid in offered}
    limits |= {sid: limit.new_starts_per_quarter for sid, limit in existing.items() if sid in retired}
    for specialism_id, limit in existing.items():
        if specialism_id not in limits:
            provider.specialism_limits.remove(limit)
        elif limit.new_starts_per_quarter != limits[specialism_id]:
            limit.new_starts_per_quarter = limits[specialism_id]
    for specialism_id, n in limits.items():
        if specialism_id not in existing:
            provider.specialism_limits.append(
                SpecialismCapacity(specialism_id=specialism_id, new_starts_per_quarter=n)
            )


def _offerable(db: Session, ids: Sequence[int]) -> list[Specialism]:
    found = list(db.scalars(select(Specialism).where(Specialism.id.in_(list(ids))))) if ids else []
    if len(found) != len(set(ids)):
        raise AdminError("One of the specialisms chosen does not exist. Choose from the list")
    retired = sorted(s.label for s in found if s.retired)
    if retired:
        raise AdminError(f"{retired[0]} is retired, so it cannot be chosen. Choose from the list")
    return found


def _provider(db: Session, provider_id: int, *, lock: bool = False) -> Provider:
    provider = locked(db, provider_id) if lock else db.get(Provider, provider_id)
    if provider is None:
        raise AdminError("That provider does not exist. Choose one from the list")
    return provider


def _check_name(db: Session, model: Any, column: Any, name: str, own_id: int | None, what: str) -> None:
    """Two providers (or two specialisms) may not share a name, whatever its capitals or spaces."""
    wanted = " ".join(name.split()).casefold()
    for other_id, other in db.execute(select(model.id, column)):
        if other_id != own_id and " ".join(other.split()).casefold() == wanted:
            raise AdminError(f"{what} called {other} already exists. Give this one a different name")


def deactivate(db: Session, provider_id: int, actor: Actor, open_offers: OpenOffers) -> Provider:
    """Stop offering the provider anything new. Refused, changing nothing, while offers wait for its
    decision: those must be accepted or declined first. Its staff can still sign in to finish the cases
    they hold, and to make their returns."""
    with committed(db):
        provider = _provider(db, provider_id, lock=True)
        if not provider.active:
            return provider
        waiting = open_offers(db, provider.id)
        if waiting:
            offers = "1 offer is" if waiting == 1 else f"{waiting} offers are"
            raise AdminError(
                f"{provider.name} was not deactivated: {offers} waiting for its decision. "
                "Ask the provider to accept or decline them, then deactivate it"
            )
        provider.active, provider.deactivated_at = False, utcnow()
        audit.record_as(db, actor, "provider.deactivated", "provider", provider.id)
    return provider


def reactivate(db: Session, provider_id: int, actor: Actor) -> Provider:
    with committed(db):
        provider = _provider(db, provider_id, lock=True)
        if not provider.active:
            provider.active, provider.deactivated_at = True, None
            audit.record_as(db, actor, "provider.reactivated", "provider", provider.id)
    return provider


# -- specialisms ------------------------------------------------------------------------------------


def every_specialism(db: Session) -> Sequence[Specialism]:
    """Every specialism, those offered first, for the administrators' list."""
    return db.scalars(select(Specialism).order_by(Specialism.retired, Specialism.label)).all()


def providers_offering(db: Session) -> dict[int, int]:
    """specialism id -> how many active providers offer it."""
    query = (
        select(link.c.specialism_id, func.count())
        .join(Provider, Provider.id == link.c.provider_id)
        .where(Provider.active.is_(True))
        .group_by(link.c.specialism_id)
    )
    return {specialism_id: int(count) for specialism_id, count in db.execute(query)}


def create_specialism(db: Session, label: str, description: str, actor: Actor) -> Specialism:
    """Add a specialism; its code is made from its label here and never changes."""
    with committed(db):
        _check_name(db, Specialism, Specialism.label, label, None, "A specialism")
        code = _unused(db, Specialism.code, slug_of(label, separator="_"), "_")
        specialism = Specialism(code=code, label=label, description=description, retired=False)
        db.add(specialism)
        db.flush()
        audit.record_as(db, actor, "specialism.created", "specialism", specialism.id)
    return specialism


def update_specialism(
    db: Session, specialism_id: int, label: str, description: str, actor: Actor
) -> Specialism:
    """Rename a specialism or change its description; its code stays as it was."""
    with committed(db):
        specialism = _specialism(db, specialism_id)
        _check_name(db, Specialism, Specialism.label, label, specialism.id, "A specialism")
        if specialism.label != label:
            specialism.label = label
            audit.record_as(db, actor, "specialism.renamed", "specialism", specialism.id)
        if specialism.description != description:
            specialism.description = description
            audit.record_as(db, actor, "specialism.description_changed", "specialism", specialism.id)
    return specialism


def set_retired(db: Session, specialism_id: int, retired: bool, actor: Actor) -> Specialism:
    """Retire a specialism (no new choice offers it; old records keep it), or bring it back."""
    with committed(db):
        specialism = _specialism(db, specialism_id)
        if specialism.retired != retired:
            specialism.retired = retired
            action = "specialism.retired" if retired else "specialism.restored"
            audit.record_as(db, actor, action, "specialism", specialism.id)
    return specialism


def _specialism(db: Session, specialism_id: int) -> Specialism:
    specialism = db.scalar(select(Specialism).where(Specialism.id == specialism_id).with_for_update())
    if specialism is None:
        raise AdminError("That specialism does not exist. Choose one from the list")
    return specialism
