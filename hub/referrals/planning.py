"""A plan for the whole queue at once: the best assignment of waiting referrals to providers.

It is a minimum-cost flow (a transportation problem), solved with OR-Tools:

    source -> each referral (1) -> each provider that fits it (1) -> sink (the provider's places)
    each referral -> "not allocated this round" (1) -> sink

The stated objective, in order of weight:

1. allocate as many referrals as there are places for: leaving one out costs ``LEFT_OUT``, plus one
   for each day it has waited, so when places are short the longest-waiting go first;
2. honour the person's own choice of provider: any other provider costs ``MISSED_CHOICE``;
3. spread new work fairly: a provider's next referral costs as many as the referrals it has had this
   quarter plus those this plan already gives it (capped at ``MISSED_CHOICE - 1``, so fairness never
   outweighs a choice). The cost rises with each referral planned for the same provider, so the
   plan shares the queue out rather than sending it all to whoever had least before. It is modelled
   by giving each provider's arc to the sink one unit of capacity per place, each place dearer than
   the last (:func:`fair_share_cost`); the costs rise, so the flow fills the cheap places first.

Whether a provider fits a referral is ONE rule, :func:`why_not` (empty: it fits): consent to share
recorded; the provider has not declined it; offers every specialism asked for; serves the person
(gender and age, when the referral says them: the forms do not ask gender, so it is read from the support
asked for, ``allocation.gender_asked``); has space, as a whole and for each specialism asked for that the
provider limits on its own. The plan's arcs, the recommendation on the
referral page and ``allocation.allocate(from_plan=True)`` all use it, and :func:`cost` ranks what fits.

A provider's limit for one specialism is a node between the referrals and the provider, whose arc to the
provider holds that many places; a referral asking for it goes through it. A referral asking for two
specialisms that one provider limits goes through the tighter one, and if the solution then uses more of
the other than it has, the last such referrals in queue order lose that provider and the plan is solved
again (each round takes at least one pair away, so it ends). With at most one limited specialism asked
per provider, which is the usual case, the first solution is already the optimum.

No capacity is ever exceeded, and nothing is allocated: the allocator reviews the plan and confirms
all or part of it, each confirmation going through ``allocation.allocate``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field

from ortools.graph.python import min_cost_flow

LEFT_OUT = 1_000_000
MISSED_CHOICE = 1_000


@dataclass(frozen=True)
class Candidate:
    referral_id: Hashable
    specialisms: frozenset[str]
    preferred_provider: int | None = None
    waiting_days: int = 0
    excluded: frozenset[int] = frozenset()  # providers that declined it before
    age: int | None = None  # None: the referral does not say
    gender: str | None = None  # "women" or "men" when the referral says (allocation.gender_asked); None: not
    consent_to_share: bool = True


@dataclass(frozen=True)
class Place:
    provider_id: int
    specialisms: frozenset[str]
    places: int | None  # None: no limit set
    share: int = 0
    serves: str = "everyone"  # "everyone", "women" or "men"
    min_age: int | None = None
    max_age: int | None = None
    # Places left for people asking for one specialism, for each specialism limited on its own.
    specialism_places: Mapping[str, int] = field(default_factory=dict)


@dataclass
class Plan:
    assignments: dict[Hashable, int] = field(default_factory=dict)
    left_out: list[Hashable] = field(default_factory=list)
    cost: int = 0


def why_not(candidate: Candidate, place: Place, label: Callable[[str], str] = str) -> list[str]:
    """Why this provider cannot be offered this referral, in words; an empty list means it fits.

    ``label`` turns a specialism's code into the words the allocator reads.
    """
    if fits(candidate, place):
        return []
    found = []
    if not candidate.consent_to_share:
        found.append("Consent to share is needed first.")
    if place.provider_id in candidate.excluded:
        found.append("Declined this referral before.")
    missing = sorted(label(code) for code in candidate.specialisms - place.specialisms)
    if missing:
        found.append(f"Does not offer: {', '.join(missing)}.")
    if not _serves_gender(candidate, place):
        found.append(f"Serves {place.serves} only.")
    if not _serves_age(candidate, place):
        found.append(f"Serves people {_ages(place)}; this person is {candidate.age}.")
    full = sorted(label(code) for code in _full_specialisms(candidate, place))
    if full:
        found.append(f"No space left this quarter for: {', '.join(full)}.")
    if place.places is not None and place.places <= 0:
        found.append("Has no space left.")
    return found


def fits(candidate: Candidate, place: Place) -> bool:
    """The same rule as :func:`why_not`, without the words (the plan asks it for every pair)."""
    return (
        candidate.consent_to_share
        and place.provider_id not in candidate.excluded
        and candidate.specialisms <= place.specialisms
        and _serves_gender(candidate, place)
        and _serves_age(candidate, place)
        and (place.places is None or place.places > 0)
        and not _full_specialisms(candidate, place)
    )


def _full_specialisms(candidate: Candidate, place: Place) -> list[str]:
    """The specialisms asked for that this provider limits on its own and has no place left for."""
    return [code for code in candidate.specialisms if place.specialism_places.get(code, 1) <= 0]


def _limited(candidate: Candidate, place: Place) -> str | None:
    """The tightest of the specialisms asked for that this provider limits on its own, if any."""
    limited = [code for code in candidate.specialisms if code in place.specialism_places]
    return min(limited, key=lambda code: (place.specialism_places[code], code)) if limited else None


def _serves_gender(candidate: Candidate, place: Place) -> bool:
    return candidate.gender is None or place.serves == "everyone" or place.serves == candidate.gender


def _serves_age(candidate: Candidate, place: Place) -> bool:
    age = candidate.age
    return age is None or (
        (place.min_age is None or age >= place.min_age) and (place.max_age is None or age <= place.max_age)
    )


def _ages(place: Place) -> str:
    if place.min_age is not None and place.max_age is not None:
        return f"aged {place.min_age} to {place.max_age}"
    if place.min_age is not None:
        return f"aged {place.min_age} and over"
    return f"aged {place.max_age} and under"


def choice_cost(candidate: Candidate, place: Place) -> int:
    missed = candidate.preferred_provider is not None and candidate.preferred_provider != place.provider_id
    return MISSED_CHOICE if missed else 0


def fair_share_cost(place: Place, already_planned: int) -> int:
    """What one more referral for this provider costs, after ``already_planned`` in this plan."""
    return min(place.share + already_planned, MISSED_CHOICE - 1)


def cost(candidate: Candidate, place: Place) -> int:
    """The cost of this provider for this referral alone (the referral page's ranking)."""
    return choice_cost(candidate, place) + fair_share_cost(place, 0)


def _sink_arcs(place: Place, referrals: int) -> list[tuple[int, int]]:
    """(capacity, unit cost) arcs from a provider to the sink: one per place while the cost rises,
    then the rest of its places together at the capped cost."""
    room = referrals if place.places is None else min(max(place.places, 0), referrals)
    arcs = []
    planned = 0
    while planned < room and fair_share_cost(place, planned) < MISSED_CHOICE - 1:
        arcs.append((1, fair_share_cost(place, planned)))
        planned += 1
    if planned < room:
        arcs.append((room - planned, MISSED_CHOICE - 1))
    return arcs


def left_out_cost(candidate: Candidate) -> int:
    return LEFT_OUT + min(candidate.waiting_days, LEFT_OUT - 1)


def propose(candidates: Sequence[Candidate], places: Sequence[Place]) -> Plan:
    """The optimal plan for the stated objective (see the module's description)."""
    banned: set[tuple[Hashable, int]] = set()
    while True:
        plan = _solve(candidates, places, banned)
        over = _over_specialism_limits(plan, candidates, places)
        if not over:
            return plan
        banned |= over


def _over_specialism_limits(
    plan: Plan, candidates: Sequence[Candidate], places: Sequence[Place]
) -> set[tuple[Hashable, int]]:
    """The (referral, provider) pairs past a provider's limit for a specialism: the last in queue order."""
    over = set()
    for place in places:
        for code, room in place.specialism_places.items():
            using = [
                c.referral_id
                for c in candidates
                if plan.assignments.get(c.referral_id) == place.provider_id and code in c.specialisms
            ]
            over |= {(referral_id, place.provider_id) for referral_id in using[max(room, 0) :]}
    return over


def _solve(  # long: one flow network, built and read in one place
    candidates: Sequence[Candidate], places: Sequence[Place], banned: set[tuple[Hashable, int]]
) -> Plan:
    if not candidates:
        return Plan()
    flow = min_cost_flow.SimpleMinCostFlow()
    source, sink, left_out = 0, 1, 2
    referral_node = {c.referral_id: 3 + i for i, c in enumerate(candidates)}
    provider_node = {p.provider_id: 3 + len(candidates) + i for i, p in enumerate(places)}
    limit_node: dict[tuple[int, str], int] = {}
    for place in places:
        for limited, room in sorted(place.specialism_places.items()):
            node = limit_node[place.provider_id, limited] = (
                3 + len(candidates) + len(places) + len(limit_node)
            )
            flow.add_arc_with_capacity_and_unit_cost(node, provider_node[place.provider_id], max(room, 0), 0)
    edges: dict[int, tuple[Hashable, int | None]] = {}
    for candidate in candidates:
        node = referral_node[candidate.referral_id]
        flow.add_arc_with_capacity_and_unit_cost(source, node, 1, 0)
        for place in places:
            if fits(candidate, place) and (candidate.referral_id, place.provider_id) not in banned:
                code = _limited(candidate, place)
                to = provider_node[place.provider_id] if code is None else limit_node[place.provider_id, code]
                arc = flow.add_arc_with_capacity_and_unit_cost(node, to, 1, choice_cost(candidate, place))
                edges[arc] = (candidate.referral_id, place.provider_id)
        arc = flow.add_arc_with_capacity_and_unit_cost(node, left_out, 1, left_out_cost(candidate))
        edges[arc] = (candidate.referral_id, None)
    for place in places:
        node = provider_node[place.provider_id]
        for capacity, unit_cost in _sink_arcs(place, len(candidates)):
            flow.add_arc_with_capacity_and_unit_cost(node, sink, capacity, unit_cost)
    flow.add_arc_with_capacity_and_unit_cost(left_out, sink, len(candidates), 0)
    flow.set_node_supply(source, len(candidates))
    flow.set_node_supply(sink, -len(candidates))
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"the plan could not be solved (status {status})")
    plan = Plan(cost=flow.optimal_cost())
    for arc, (referral_id, provider_id) in edges.items():
        if flow.flow(arc):
            if provider_id is None:
                plan.left_out.append(referral_id)
            else:
                plan.assignments[referral_id] = provider_id
    return plan


def plan_cost(
    plan_assignments: dict[Hashable, int], candidates: Sequence[Candidate], places: Sequence[Place]
) -> int:
    """The objective's value for any assignment, to compare plans made another way."""
    by_id = {p.provider_id: p for p in places}
    planned = dict.fromkeys(by_id, 0)
    total = 0
    for candidate in candidates:
        provider = plan_assignments.get(candidate.referral_id)
        if provider is None:
            total += left_out_cost(candidate)
            continue
        total += choice_cost(candidate, by_id[provider]) + fair_share_cost(by_id[provider], planned[provider])
        planned[provider] += 1
    return total
