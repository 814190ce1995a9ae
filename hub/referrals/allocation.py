"""Allocating a referral to a provider: capacity, the recommendation, and one safe transaction.

Capacity: a provider may set how many new people it can start each quarter and how many it can hold
at once. Allocations waiting for the provider's decision count against both, as do accepted ones;
declined and cancelled ones do not.

Safety under concurrency: :func:`allocate` locks the referral's row and the provider's capacity row
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite runs one writer at a time), checks again, writes, and
commits once. Two allocators at once can never push a provider past its capacity or allocate one
referral twice; the one who loses gets a typed error with a plain message.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from hub import outbox
from hub.audit import Actor
from hub.auth.models import Role
from hub.auth.services import notice_addresses
from hub.calendar import Quarter
from hub.db import committed, utcnow
from hub.providers.models import Provider, ProviderCapacity
from hub.providers.services import active_providers
from hub.referrals import timeline
from hub.referrals.models import Allocation, AllocationStatus, EventKind, Referral, ReferralStatus
from hub.referrals.planning import Candidate, Place, Plan, propose

HOLDING = (AllocationStatus.PENDING, AllocationStatus.ACCEPTED)
ALLOCATABLE = (ReferralStatus.SUBMITTED, ReferralStatus.DECLINED_BY_PROVIDER)


class AllocationError(Exception):
    """The allocation was not made; the message says why, for the allocator."""


class CapacityExceeded(AllocationError):
    pass


class AlreadyAllocated(AllocationError):
    pass


class ReasonNeeded(AllocationError):
    pass


@dataclass(frozen=True)
class Headroom:
    """How many more people a provider can take: None means no limit was set."""

    new_starts: int | None
    holding: int | None

    @property
    def places(self) -> int | None:
        limits = [n for n in (self.new_starts, self.holding) if n is not None]
        return min(limits) if limits else None

    @property
    def full(self) -> bool:
        return self.places is not None and self.places <= 0


def headroom(
    db: Session, provider_id: int, capacity: ProviderCapacity | None, now: datetime | None = None
) -> Headroom:
    return headrooms(db, {provider_id: capacity}, now)[provider_id]


def headrooms(
    db: Session, capacities: dict[int, ProviderCapacity | None], now: datetime | None = None
) -> dict[int, Headroom]:
    """Each provider's headroom, counted for all of them in one query."""
    this_quarter = Allocation.created_at >= Quarter.of(now or utcnow()).starts
    counts = {
        provider_id: (holding, started)
        for provider_id, holding, started in db.execute(
            select(Allocation.provider_id, func.count(), func.count().filter(this_quarter))
            .where(Allocation.provider_id.in_(list(capacities)), Allocation.status.in_(HOLDING))
            .group_by(Allocation.provider_id)
        )
    }
    found = {}
    for provider_id, capacity in capacities.items():
        holding, started = counts.get(provider_id, (0, 0))
        found[provider_id] = Headroom(
            new_starts=None
            if capacity is None or capacity.new_starts_per_quarter is None
            else capacity.new_starts_per_quarter - started,
            holding=None
            if capacity is None or capacity.max_active is None
            else capacity.max_active - holding,
        )
    return found


def allocate(
    db: Session,
    referral_id: uuid.UUID,
    provider_id: int,
    actor: Actor,
    reason: str | None = None,
    *,
    from_plan: bool = False,
) -> Allocation:
    """Offer the referral to the provider, in one transaction that re-checks everything under locks.

    Choosing a provider other than the one recommended needs a reason (a confirmed whole-queue plan
    is its own reason). The provider is told by email, with no personal data, when this commits.
    """
    reason = (reason or "").strip() or None
    with committed(db, AllocationError):
        referral = db.scalar(select(Referral).where(Referral.id == referral_id).with_for_update())
        if referral is None or referral.status not in ALLOCATABLE:
            raise AlreadyAllocated(
                "Someone else has already dealt with this referral. Refresh the queue to see it."
            )
        provider = db.get(Provider, provider_id)
        if provider is None or not provider.active:
            raise AllocationError("That provider is not taking referrals.")
        capacity = db.scalar(
            select(ProviderCapacity).where(ProviderCapacity.provider_id == provider_id).with_for_update()
        )
        if headroom(db, provider_id, capacity).full:
            raise CapacityExceeded(f"{provider.name} has no space left. Choose another provider or wait.")
        if from_plan:
            reason = reason or "Confirmed from the whole-queue plan."
        elif reason is None:
            ranked = recommend(db, referral, active_providers(db))
            best = ranked[0].provider if ranked else provider
            if best.id != provider.id:
                raise ReasonNeeded(
                    f"Say why you chose {provider.name} rather than the recommended provider, {best.name}."
                )
        allocation = Allocation(referral_id=referral.id, provider_id=provider_id)
        allocation.reason = reason
        db.add(allocation)
        timeline.record(
            db,
            referral,
            EventKind.ALLOCATED,
            actor,
            ReferralStatus.ALLOCATED,
            note=reason,
            provider_id=provider.id,
        )
        _tell_provider(db, provider)
    return allocation


def _tell_provider(db: Session, provider: Provider) -> None:
    """Email the provider's team mailbox (or, without one, its staff): a sign-in link, nothing else."""
    for address in notice_addresses(db, provider.referrals_email, Role.PROVIDER_STAFF, provider.id):
        outbox.queue(
            db,
            to=address,
            template="referral_allocated_provider",
            subject="A new referral has been allocated to you",
            provider_name=provider.name,
        )


@dataclass
class Recommendation:
    provider: Provider
    covers_all: bool
    chosen: bool
    room: Headroom
    share: int
    declined_before: bool = False
    reasons: list[str] = field(default_factory=list)

    def rank(self) -> tuple[int, int, int, int, int]:
        places = self.room.places
        return (
            1 if self.declined_before else 0,
            0 if self.covers_all else 1,
            0 if self.chosen else 1,
            0 if places is None or places > 0 else 1,
            self.share,
        )


def recommend(
    db: Session, referral: Referral, providers: Sequence[Provider], now: datetime | None = None
) -> list[Recommendation]:
    """Providers, best first: every specialism asked for, the person's choice, space, a fair share."""
    now = now or utcnow()
    wanted = {s.code for s in referral.specialisms}
    shares = _shares(db, now)
    declined = _declined(db, [referral.id]).get(referral.id, set())
    rooms = headrooms(db, {p.id: p.capacity for p in providers}, now)
    found = []
    for provider in providers:
        offered = {s.code for s in provider.specialisms}
        missing = sorted(s.label for s in referral.specialisms if s.code not in offered)
        item = Recommendation(
            provider=provider,
            covers_all=wanted <= offered,
            chosen=referral.preferred_provider_id == provider.id,
            room=rooms[provider.id],
            share=int(shares.get(provider.id, 0)),
            declined_before=provider.id in declined,
        )
        if item.declined_before:
            item.reasons.append("Declined this referral before.")
        if not wanted:
            item.reasons.append("No particular kind of support was asked for.")
        elif item.covers_all:
            item.reasons.append("Offers every kind of support asked for.")
        else:
            item.reasons.append(f"Does not offer: {', '.join(missing)}.")
        if item.chosen:
            item.reasons.append("The person chose this organisation.")
        places = item.room.places
        if places is None:
            item.reasons.append("Has not set a limit on new referrals.")
        elif places > 0:
            item.reasons.append(f"Has space for {places} more {'person' if places == 1 else 'people'}.")
        else:
            item.reasons.append("Has no space left.")
        item.reasons.append(
            f"Has had {item.share} new {'referral' if item.share == 1 else 'referrals'} this quarter."
        )
        found.append(item)
    return sorted(found, key=Recommendation.rank)


def _shares(db: Session, now: datetime) -> dict[int, int]:
    """New referrals each provider has been offered this quarter (cancelled offers left out)."""
    return {
        provider_id: int(count)
        for provider_id, count in db.execute(
            select(Allocation.provider_id, func.count())
            .where(
                Allocation.created_at >= Quarter.of(now).starts,
                Allocation.status != AllocationStatus.CANCELLED,
            )
            .group_by(Allocation.provider_id)
        )
    }


def _declined(db: Session, referral_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, set[int]]:
    """For each referral, the providers that have declined it (they are not offered it again)."""
    found: dict[uuid.UUID, set[int]] = {}
    for referral_id, provider_id in db.execute(
        select(Allocation.referral_id, Allocation.provider_id).where(
            Allocation.referral_id.in_(referral_ids), Allocation.status == AllocationStatus.DECLINED
        )
    ):
        found.setdefault(referral_id, set()).add(provider_id)
    return found


@dataclass
class QueuePlan:
    """A proposed plan for the whole queue, with what the page needs to show it."""

    plan: Plan
    referrals: dict[uuid.UUID, Referral]
    providers: dict[int, Provider]
    rooms: dict[int, Headroom]

    def planned(self, provider_id: int) -> int:
        return sum(1 for chosen in self.plan.assignments.values() if chosen == provider_id)


def propose_plan(db: Session, now: datetime | None = None) -> QueuePlan:
    """The optimal plan (``hub.referrals.planning``) for every referral waiting now. Allocates nothing."""
    now = now or utcnow()
    waiting = db.scalars(
        select(Referral)
        .where(Referral.status.in_(ALLOCATABLE))
        .options(selectinload(Referral.specialisms))
        .order_by(Referral.risk_flagged.desc(), Referral.created_at)
    ).all()
    providers = active_providers(db)
    rooms = headrooms(db, {p.id: p.capacity for p in providers}, now)
    shares = _shares(db, now)
    declined = _declined(db, [r.id for r in waiting])
    candidates = [
        Candidate(
            referral_id=r.id,
            specialisms=frozenset(s.code for s in r.specialisms),
            preferred_provider=r.preferred_provider_id,
            waiting_days=max((now - r.created_at).days, 0),
            excluded=frozenset(declined.get(r.id, ())),
        )
        for r in waiting
    ]
    places = [
        Place(
            provider_id=p.id,
            specialisms=frozenset(s.code for s in p.specialisms),
            places=rooms[p.id].places,
            share=shares.get(p.id, 0),
        )
        for p in providers
    ]
    return QueuePlan(
        propose(candidates, places), {r.id: r for r in waiting}, {p.id: p for p in providers}, rooms
    )
