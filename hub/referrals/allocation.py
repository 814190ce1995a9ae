"""Allocating a referral to a provider: capacity, the recommendation, and one safe transaction.

Capacity: a provider may set how many new people it can start each quarter and how many it can hold
at once, and an administrator may also limit its new starts each quarter for one specialism (people who
asked for that kind of support). Allocations waiting for the provider's decision count against all of
them, as do accepted ones; declined and cancelled ones do not. This module counts them all
(:func:`headrooms`); the eligibility rule (``planning.why_not``) and the plan read only the counts.

Safety under concurrency: :func:`allocate` locks the referral's row, the provider's row (as deactivating
it does) and its capacity row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite runs one writer at a
time), checks again, writes, and commits once. Two allocators at once can never push a provider past
its capacity or allocate one referral twice; the one who loses gets a typed error with a plain message.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from hub import calendar, outbox
from hub.audit import Actor
from hub.auth.models import Role
from hub.auth.services import notice_addresses
from hub.calendar import Quarter
from hub.db import committed, utcnow
from hub.plurals import counted
from hub.providers.models import Provider, ProviderCapacity, Specialism
from hub.providers.services import active_providers
from hub.providers.services import locked as locked_provider
from hub.referrals import states, timeline
from hub.referrals.models import (
    Allocation,
    AllocationStatus,
    EventKind,
    Referral,
    ReferralStatus,
    referral_specialism,
)
from hub.referrals.planning import Candidate, Place, Plan, cost, propose, why_not

HOLDING = (AllocationStatus.PENDING, AllocationStatus.ACCEPTED)


class AllocationError(Exception):
    """The allocation was not made; the message says why, for the allocator."""


class CapacityExceeded(AllocationError):
    pass


class AlreadyAllocated(AllocationError):
    pass


class ReasonNeeded(AllocationError):
    pass


class ConsentNeeded(AllocationError):
    """Nothing is allocated while the person has not agreed to their details being shared."""


class NotOffered(AllocationError):
    """A confirmed plan line that the eligibility rule, or the plan the allocator saw, does not allow."""


CONSENT_MESSAGE = "Record consent to share before allocating"


@dataclass(frozen=True)
class Headroom:
    """How many more people a provider can take: None means no limit was set.

    ``by_specialism``: for each specialism the provider limits on its own (by code), how many more
    people asking for it it can start this quarter.
    """

    new_starts: int | None
    holding: int | None
    by_specialism: Mapping[str, int] = field(default_factory=dict)

    @property
    def places(self) -> int | None:
        limits = [n for n in (self.new_starts, self.holding) if n is not None]
        return min(limits) if limits else None

    @property
    def full(self) -> bool:
        return self.places is not None and self.places <= 0


def headroom(
    db: Session,
    provider_id: int,
    capacity: ProviderCapacity | None,
    now: datetime | None = None,
    limits: Mapping[str, int] | None = None,
) -> Headroom:
    return headrooms(db, {provider_id: capacity}, now, {provider_id: limits or {}})[provider_id]


def specialism_limits(providers: Sequence[Provider]) -> dict[int, dict[str, int]]:
    """Each provider's own limits on new starts for one specialism, by the specialism's code."""
    return {
        p.id: {limit.specialism.code: limit.new_starts_per_quarter for limit in p.specialism_limits}
        for p in providers
    }


def _held(db: Session, provider_ids: list[int], now: datetime | None) -> dict[int, tuple[int, int]]:
    """Each provider's offers that count against its capacity: those it holds now (waiting for its
    decision, or accepted and not yet closed), and those made this quarter (a new start stays one after
    the case closes)."""
    this_quarter = Allocation.created_at >= Quarter.of(now or utcnow()).starts
    held_now = Referral.status.not_in(states.FINAL)
    return {
        provider_id: (holding, started)
        for provider_id, holding, started in db.execute(
            select(Allocation.provider_id, func.count().filter(held_now), func.count().filter(this_quarter))
            .join(Referral, Referral.id == Allocation.referral_id)
            .where(Allocation.provider_id.in_(provider_ids), Allocation.status.in_(HOLDING))
            .group_by(Allocation.provider_id)
        )
    }


def headrooms(
    db: Session,
    capacities: dict[int, ProviderCapacity | None],
    now: datetime | None = None,
    limits: Mapping[int, Mapping[str, int]] | None = None,
) -> dict[int, Headroom]:
    """Each provider's headroom, counted for all of them in one query (and one more for the limits of
    single specialisms, when there are any)."""
    limits = limits or {}
    counts = _held(db, list(capacities), now)
    by_code = _started_by_specialism(db, limits, Quarter.of(now or utcnow()).starts)
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
            by_specialism={
                code: limit - by_code.get((provider_id, code), 0)
                for code, limit in limits.get(provider_id, {}).items()
            },
        )
    return found


@dataclass(frozen=True)
class Space:
    """A provider's space as the capacity rule counts it: what it holds and has started, and its limits."""

    provider: Provider
    holding: int
    max_active: int | None
    started: int
    new_starts_per_quarter: int | None


def spaces(db: Session, providers: Sequence[Provider], now: datetime | None = None) -> list[Space]:
    counts = _held(db, [p.id for p in providers], now)
    found = []
    for provider in providers:
        holding, started = counts.get(provider.id, (0, 0))
        capacity = provider.capacity
        found.append(
            Space(
                provider,
                holding,
                capacity.max_active if capacity else None,
                started,
                capacity.new_starts_per_quarter if capacity else None,
            )
        )
    return found


def _started_by_specialism(
    db: Session, limits: Mapping[int, Mapping[str, int]], since: datetime
) -> dict[tuple[int, str], int]:
    """(provider, specialism code) -> new starts this quarter of people who asked for it."""
    codes = {code for found in limits.values() for code in found}
    if not codes:
        return {}
    query = (
        select(Allocation.provider_id, Specialism.code, func.count())
        .join(referral_specialism, referral_specialism.c.referral_id == Allocation.referral_id)
        .join(Specialism, Specialism.id == referral_specialism.c.specialism_id)
        .where(
            Allocation.provider_id.in_(list(limits)),
            Allocation.status.in_(HOLDING),
            Allocation.created_at >= since,
            Specialism.code.in_(sorted(codes)),
        )
        .group_by(Allocation.provider_id, Specialism.code)
    )
    return {(provider_id, code): int(count) for provider_id, code, count in db.execute(query)}


def open_offers(db: Session, provider_id: int) -> int:
    """How many offers wait for this provider's decision (a provider is not deactivated while any do)."""
    return int(
        db.scalar(
            select(func.count()).where(
                Allocation.provider_id == provider_id, Allocation.status == AllocationStatus.PENDING
            )
        )
        or 0
    )


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

    Never without consent to share. Choosing a provider other than the recommended one, or any
    provider when none fits, needs a reason. A line of a confirmed whole-queue plan is its own reason,
    but only a provider that fits (``planning.why_not``) may be confirmed from a plan. The provider is
    told by email, with no personal data, when this commits.
    """
    reason = (reason or "").strip() or None
    with committed(db):
        referral, provider = _lock_for_offer(db, referral_id, provider_id)
        reason = _reason_for(db, referral, provider, reason, from_plan=from_plan)
        allocation = Allocation(referral_id=referral.id, provider_id=provider_id)
        allocation.reason = reason
        db.add(allocation)
        timeline.record(db, referral, EventKind.ALLOCATED, actor, offer=allocation, note=reason)
        _tell_provider(db, provider)
    return allocation


def _lock_for_offer(db: Session, referral_id: uuid.UUID, provider_id: int) -> tuple[Referral, Provider]:
    """Lock the referral, the provider, then its capacity, and refuse unless this offer can be made now."""
    referral = db.scalar(select(Referral).where(Referral.id == referral_id).with_for_update())
    if referral is None or not states.allowed(EventKind.ALLOCATED, referral.status):
        raise AlreadyAllocated(
            "Someone else has already dealt with this referral. Refresh the queue to see it."
        )
    if not referral.consent_to_share:
        raise ConsentNeeded(CONSENT_MESSAGE)
    # Locked as deactivating locks it: a provider deactivated meanwhile is refused here, and one that
    # is being deactivated waits for this offer, then counts it and is not deactivated.
    provider = locked_provider(db, provider_id)
    if provider is None:
        raise AllocationError("That provider does not exist. Choose another provider.")
    if not provider.active:
        raise AllocationError(
            f"{provider.name} is no longer taking referrals: it was deactivated. Choose another provider."
        )
    capacity = db.scalar(
        select(ProviderCapacity).where(ProviderCapacity.provider_id == provider_id).with_for_update()
    )
    room = headroom(db, provider_id, capacity, limits=specialism_limits([provider])[provider.id])
    if room.full:
        raise CapacityExceeded(f"{provider.name} has no space left. Choose another provider or wait.")
    full = sorted(s.label for s in referral.specialisms if room.by_specialism.get(s.code, 1) <= 0)
    if full:
        raise CapacityExceeded(
            f"{provider.name} has no space left this quarter for {', '.join(full)}. "
            "Choose another provider or wait."
        )
    return referral, provider


def _reason_for(
    db: Session, referral: Referral, provider: Provider, reason: str | None, *, from_plan: bool
) -> str | None:
    """The reason on the offer: a plan's line is its own; choosing other than the recommendation needs one."""
    if from_plan:
        [this] = recommend(db, referral, [provider])
        if not this.fits:
            raise NotOffered(f"{provider.name} cannot be offered this referral: {this.reasons[0]}")
        return reason or "Confirmed from the whole-queue plan."
    if reason is None:
        ranked = recommend(db, referral, active_providers(db))
        best = ranked[0] if ranked and ranked[0].recommended else None
        if best is None:
            raise ReasonNeeded(f"No provider fits this referral. Say why you chose {provider.name}.")
        if best.provider.id != provider.id:
            raise ReasonNeeded(
                f"Say why you chose {provider.name} rather than the recommended provider, "
                f"{best.provider.name}."
            )
    return reason


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
    """One provider, as the referral page shows it: whether it fits (the plan's rule) and why."""

    provider: Provider
    fits: bool
    chosen: bool
    room: Headroom
    share: int
    cost: int
    reasons: list[str] = field(default_factory=list)
    recommended: bool = False

    @property
    def declined_before(self) -> bool:
        return "Declined this referral before." in self.reasons


def candidate_for(
    referral: Referral, declined: set[int] | frozenset[int], today: date | None = None
) -> Candidate:
    """What the eligibility rule needs to know of a referral (the plan and the recommendation share it)."""
    today = today or calendar.today()
    born = referral.date_of_birth
    asked = frozenset(s.code for s in referral.specialisms)
    return Candidate(
        referral_id=referral.id,
        specialisms=asked,
        preferred_provider=referral.preferred_provider_id,
        waiting_days=max((today - calendar.day_of(referral.created_at)).days, 0),
        excluded=frozenset(declined),
        age=None if born is None else calendar.age_on(born, today),
        gender=gender_asked(asked),
        consent_to_share=referral.consent_to_share,
    )


# The specialisms that say who the person is. The referral forms do not ask gender, so this is what
# "when the referral says" means today (docs/TRIAGE.md).
SAYS_GENDER = {"male_survivors": "men", "women_only": "women"}


def gender_asked(specialisms: frozenset[str] | set[str]) -> str | None:
    """The gender the support asked for says ("men" or "women"); None when it says neither, or both."""
    said = {SAYS_GENDER[code] for code in specialisms if code in SAYS_GENDER}
    return said.pop() if len(said) == 1 else None


def places_of(
    providers: Sequence[Provider], rooms: dict[int, Headroom], shares: dict[int, int]
) -> list[Place]:
    return [
        Place(
            provider_id=p.id,
            specialisms=frozenset(s.code for s in p.specialisms),
            places=rooms[p.id].places,
            share=shares.get(p.id, 0),
            serves=p.serves.value,
            min_age=p.min_age,
            max_age=p.max_age,
            specialism_places=rooms[p.id].by_specialism,
        )
        for p in providers
    ]


def recommend(
    db: Session, referral: Referral, providers: Sequence[Provider], now: datetime | None = None
) -> list[Recommendation]:
    """Providers, best first: those that fit (the plan's rule), cheapest first by the plan's cost, then
    those that do not fit, each with why. Only a provider that fits is ever ``recommended``."""
    now = now or utcnow()
    shares = _shares(db, now)
    rooms = headrooms(db, {p.id: p.capacity for p in providers}, now, specialism_limits(providers))
    candidate = candidate_for(
        referral, _declined(db, [referral.id]).get(referral.id, set()), calendar.day_of(now)
    )
    labels = {s.code: s.label for s in referral.specialisms}
    found = []
    for provider, place in zip(providers, places_of(providers, rooms, shares), strict=True):
        misfit = why_not(candidate, place, labels.__getitem__)
        item = Recommendation(
            provider=provider,
            fits=not misfit,
            chosen=referral.preferred_provider_id == provider.id,
            room=rooms[provider.id],
            share=int(shares.get(provider.id, 0)),
            cost=cost(candidate, place),
        )
        item.reasons += [r for r in misfit if not r.startswith("Has no space")]
        if not candidate.specialisms:
            item.reasons.append("No particular kind of support was asked for.")
        elif not any(r.startswith("Does not offer") for r in misfit):
            item.reasons.append("Offers every kind of support asked for.")
        if item.chosen:
            item.reasons.append("The person chose this organisation.")
        places = item.room.places
        if places is None:
            item.reasons.append("Has not set a limit on new referrals.")
        elif places > 0:
            item.reasons.append(f"Has space for {counted(places, 'more person', 'more people')}.")
        else:
            item.reasons.append("Has no space left.")
        item.reasons.append(f"Has had {counted(item.share, 'new referral')} this quarter.")
        unserved = len([r for r in misfit if not r.startswith("Has no space")])
        found.append(((not item.fits, item.declined_before, unserved, item.cost), item))
    ranked = [item for _, item in sorted(found, key=lambda pair: pair[0])]
    if ranked and ranked[0].fits:
        ranked[0].recommended = True
    return ranked


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
    """A proposed plan for the whole queue, with what the page needs to show it.

    Referrals without consent to share are not planned at all (``needs_consent``): no place is kept
    for them, and the page shows them with no tick box.
    """

    plan: Plan
    referrals: dict[uuid.UUID, Referral]
    providers: dict[int, Provider]
    rooms: dict[int, Headroom]
    needs_consent: list[Referral] = field(default_factory=list)

    def planned(self, provider_id: int) -> int:
        return sum(1 for chosen in self.plan.assignments.values() if chosen == provider_id)

    def lines(self) -> list[PlanLine]:
        """Every planned pair and every referral that needs consent, each with its flags, in queue order."""
        found = []
        for referral in self.referrals.values():
            provider_id = self.plan.assignments.get(referral.id)
            if provider_id is None and referral.consent_to_share:
                continue
            found.append(
                PlanLine(
                    referral,
                    None if provider_id is None else self.providers[provider_id],
                    flags_of(referral),
                )
            )
        return found

    def offered(self) -> list[str]:
        """The pairs this page offers as ``referral:provider``: what its signature covers."""
        return sorted(line.pair for line in self.lines() if line.pair)


@dataclass(frozen=True)
class PlanLine:
    referral: Referral
    provider: Provider | None  # None: not planned (consent to share needed)
    flags: list[str]

    @property
    def pair(self) -> str | None:
        if self.provider is None or not self.referral.consent_to_share:
            return None
        return f"{self.referral.id}:{self.provider.id}"

    @property
    def ticked(self) -> bool:
        """Only a line with nothing to look at twice is ticked for the allocator."""
        return self.pair is not None and not self.flags


CONSENT_NEEDED = "Consent to share needed"


def flags_of(referral: Referral) -> list[str]:
    """What an allocator should look at before confirming a line of the plan."""
    flags = []
    if not referral.consent_to_share:
        flags.append(CONSENT_NEEDED)
    if referral.risk_flagged:
        flags.append("Risk")
    if referral.under_18:
        flags.append("Under 18")
    if referral.possible_duplicate:
        flags.append("Possible duplicate")
    if referral.status is ReferralStatus.DECLINED_BY_PROVIDER:
        flags.append("Returned by a provider")
    return flags


def propose_plan(db: Session, now: datetime | None = None) -> QueuePlan:
    """The optimal plan (``hub.referrals.planning``) for every referral waiting now. Allocates nothing."""
    now = now or utcnow()
    waiting = db.scalars(
        select(Referral)
        .where(Referral.status.in_(sorted(states.MOVES[EventKind.ALLOCATED].from_)))
        .options(selectinload(Referral.specialisms))
        .order_by(Referral.risk_flagged.desc(), Referral.created_at)
    ).all()
    providers = active_providers(db)
    rooms = headrooms(db, {p.id: p.capacity for p in providers}, now, specialism_limits(providers))
    declined = _declined(db, [r.id for r in waiting])
    today = calendar.day_of(now)
    candidates = [candidate_for(r, declined.get(r.id, set()), today) for r in waiting if r.consent_to_share]
    return QueuePlan(
        propose(candidates, places_of(providers, rooms, _shares(db, now))),
        {r.id: r for r in waiting},
        {p.id: p for p in providers},
        rooms,
        [r for r in waiting if not r.consent_to_share],
    )


# -- confirming a plan: only what the allocator was shown ------------------------------------------

PLAN_LIFETIME_SECONDS = 30 * 60
_PLAN_SALT = "hub.triage.plan-offer"


def sign_offer(secret: str, actor: Actor, pairs: Sequence[str]) -> str:
    """A token for the hidden field of the plan page: the offered pairs, bound to this allocator."""
    return URLSafeTimedSerializer(secret, salt=_PLAN_SALT).dumps({"by": actor.id, "pairs": sorted(pairs)})


STALE_PLAN = (
    "Nothing was allocated: the plan you confirmed is out of date or was changed. "
    "Check the new plan and confirm again."
)


def offered_pairs(secret: str, actor: Actor, token: str) -> list[str] | None:
    """The pairs a plan page offered, read from its signed token; None when the token is not this
    allocator's, is older than ``PLAN_LIFETIME_SECONDS``, or was tampered with."""
    try:
        offer = URLSafeTimedSerializer(secret, salt=_PLAN_SALT).loads(token, max_age=PLAN_LIFETIME_SECONDS)
    except BadData:
        return None
    if not isinstance(offer, dict) or offer.get("by") != actor.id or not isinstance(offer.get("pairs"), list):
        return None
    return [pair for pair in offer["pairs"] if isinstance(pair, str)]


@dataclass
class Confirmed:
    """What confirming a plan did. ``refused`` holds one line per referral that could not be allocated.
    The lines are flashed (kept in the session cookie, which is signed but not encrypted), so a line
    says nothing about the person: when the provider does not fit (a reason that may say their age or
    gender) it names only the reference and the reason is left to the referral page."""

    made: int = 0
    refused: list[str] = field(default_factory=list)


def confirm_plan(db: Session, secret: str, actor: Actor, token: str, pairs: Sequence[str]) -> Confirmed:
    """Allocate the ticked lines of the plan page the allocator was shown, each checked again.

    Raises :class:`NotOffered` (and allocates nothing) when the token is not this page's, is another
    allocator's, is older than ``PLAN_LIFETIME_SECONDS``, or any pair posted was not on the page.
    """
    offered = offered_pairs(secret, actor, token)
    if offered is None or not set(pairs) <= set(offered):
        raise NotOffered(STALE_PLAN)
    done = Confirmed()
    for pair in dict.fromkeys(pairs):
        referral_text, provider_text = pair.split(":", 1)
        referral_id, provider_id = uuid.UUID(referral_text), int(provider_text)
        try:
            allocate(db, referral_id, provider_id, actor, from_plan=True)
            done.made += 1
        except AllocationError as error:
            referral = db.get(Referral, referral_id)
            which = referral.reference if referral else "A referral"
            if isinstance(error, NotOffered):  # its reason may say the person's age or gender
                done.refused.append(f"{which} could not be allocated: open it to see why.")
            else:  # space, consent, someone else got there first: nothing about the person
                done.refused.append(f"{which}: {error}")
    return done
