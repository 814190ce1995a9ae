"""The whole-queue plan is optimal for its stated objective and never exceeds a capacity.

Its cost is checked against brute force on small random instances and against networkx's
min-cost flow (a different solver) on larger ones.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Hashable, Sequence

import networkx as nx
import pytest

from hub.referrals.planning import (
    MISSED_CHOICE,
    Candidate,
    Place,
    Plan,
    choice_cost,
    fits,
    left_out_cost,
    plan_cost,
    propose,
    why_not,
)

KINDS = ["counselling", "group", "advocacy", "justice", "women", "men"]


def random_instance(
    chooser: random.Random, referrals: int, providers: int
) -> tuple[list[Candidate], list[Place]]:
    places = [
        Place(
            provider_id=n + 1,
            specialisms=frozenset(chooser.sample(KINDS, chooser.randint(2, 5))),
            places=chooser.choice([None, 0, 1, 2, 3, referrals // 3]),
            share=chooser.randint(0, 20),
            serves=chooser.choice(["everyone", "everyone", "women", "men"]),
            min_age=chooser.choice([None, None, 18, 25]),
            max_age=chooser.choice([None, None, 30, 60]),
        )
        for n in range(providers)
    ]
    candidates = [
        Candidate(
            referral_id=f"r{n}",
            specialisms=frozenset(chooser.sample(KINDS, chooser.randint(0, 2))),
            preferred_provider=chooser.choice([None, *range(1, providers + 1)]),
            waiting_days=chooser.randint(0, 60),
            excluded=frozenset(chooser.sample(range(1, providers + 1), chooser.choice([0, 0, 1]))),
            age=chooser.choice([None, 17, 22, 40, 70]),
            gender=chooser.choice([None, None, "women", "men"]),
            consent_to_share=chooser.random() > 0.1,
        )
        for n in range(referrals)
    ]
    return candidates, places


def check_feasible(plan: Plan, candidates: Sequence[Candidate], places: Sequence[Place]) -> None:
    by_id = {p.provider_id: p for p in places}
    assert set(plan.assignments) | set(plan.left_out) == {c.referral_id for c in candidates}
    assert not set(plan.assignments) & set(plan.left_out)
    for candidate in candidates:
        provider = plan.assignments.get(candidate.referral_id)
        if provider is not None:
            assert candidate.specialisms <= by_id[provider].specialisms
            assert why_not(candidate, by_id[provider]) == []
    for provider_id, used in Counter(plan.assignments.values()).items():
        limit = by_id[provider_id].places
        assert limit is None or used <= limit


def brute_force(candidates: Sequence[Candidate], places: Sequence[Place]) -> int:
    options = [[None] + [p.provider_id for p in places if fits(c, p)] for c in candidates]
    best = None
    for choice in itertools.product(*options):
        used = Counter(p for p in choice if p is not None)
        if any(p.places is not None and used[p.provider_id] > p.places for p in places):
            continue
        total = plan_cost(
            {c.referral_id: p for c, p in zip(candidates, choice, strict=True) if p is not None},
            candidates,
            places,
        )
        best = total if best is None else min(best, total)
    assert best is not None
    return best


def networkx_cost(candidates: Sequence[Candidate], places: Sequence[Place]) -> int:
    graph: nx.DiGraph[Hashable] = nx.DiGraph()
    total = len(candidates)
    graph.add_node("source", demand=-total)
    graph.add_node("sink", demand=total)
    for candidate in candidates:
        node: Hashable = ("r", candidate.referral_id)
        graph.add_edge("source", node, capacity=1, weight=0)
        graph.add_edge(node, "left out", capacity=1, weight=left_out_cost(candidate))
        for place in places:
            if fits(candidate, place):
                graph.add_edge(
                    node, ("p", place.provider_id), capacity=1, weight=choice_cost(candidate, place)
                )
    for place in places:
        # Each place of a provider dearer than the last (the fair share): a chain of unit edges
        # through nodes of their own, written out here without the solver module's helper.
        room = total if place.places is None else min(max(place.places, 0), total)
        for k in range(room):
            slot: Hashable = ("slot", place.provider_id, k)
            weight = min(place.share + k, MISSED_CHOICE - 1)
            graph.add_edge(("p", place.provider_id), slot, capacity=1, weight=weight)
            graph.add_edge(slot, "sink", capacity=1, weight=0)
    graph.add_edge("left out", "sink", capacity=total, weight=0)
    return int(nx.min_cost_flow_cost(graph))


@pytest.mark.parametrize("seed", range(25))
def test_the_plan_equals_brute_force_on_small_instances(seed: int) -> None:
    candidates, places = random_instance(
        random.Random(seed), referrals=random.Random(seed).randint(1, 6), providers=3
    )
    plan = propose(candidates, places)
    check_feasible(plan, candidates, places)
    assert plan.cost == plan_cost(plan.assignments, candidates, places) == brute_force(candidates, places)


@pytest.mark.parametrize("seed", range(4))
def test_the_plan_equals_another_solver_on_larger_instances(seed: int) -> None:
    candidates, places = random_instance(random.Random(1000 + seed), referrals=300, providers=6)
    plan = propose(candidates, places)
    check_feasible(plan, candidates, places)
    assert plan.cost == networkx_cost(candidates, places)


def test_the_plan_shares_the_queue_out_rather_than_giving_it_all_to_the_least_busy() -> None:
    # Harbour has had no referrals this quarter, Beacon two: four people who chose no one.
    places = [Place(1, frozenset(), places=None, share=0), Place(2, frozenset(), places=None, share=2)]
    candidates = [Candidate(n, frozenset()) for n in range(4)]
    plan = propose(candidates, places)
    given = sorted(plan.assignments.values())
    assert given == [1, 1, 1, 2], "Harbour catches up with Beacon, then they take turns"
    assert plan.cost == plan_cost(plan.assignments, candidates, places) == networkx_cost(candidates, places)


def test_the_longest_waiting_get_the_places_and_choices_are_honoured() -> None:
    places = [Place(1, frozenset({"counselling"}), places=1), Place(2, frozenset({"counselling"}), places=1)]
    candidates = [
        Candidate("new", frozenset({"counselling"}), preferred_provider=2, waiting_days=1),
        Candidate("old", frozenset({"counselling"}), preferred_provider=2, waiting_days=30),
        Candidate("oldest", frozenset({"counselling"}), preferred_provider=None, waiting_days=40),
    ]
    plan = propose(candidates, places)
    assert plan.left_out == ["new"]
    assert plan.assignments == {"old": 2, "oldest": 1}


def test_a_referral_no_provider_fits_is_left_out_and_shown() -> None:
    plan = propose([Candidate("r", frozenset({"men"}))], [Place(1, frozenset({"women"}), places=None)])
    assert plan.left_out == ["r"] and plan.assignments == {}


def test_the_rule_says_why_a_provider_does_not_fit() -> None:
    place = Place(7, frozenset({"counselling"}), places=0, serves="women", min_age=18, max_age=25)
    candidate = Candidate(
        "r",
        frozenset({"counselling", "men"}),
        excluded=frozenset({7}),
        age=30,
        gender="men",
        consent_to_share=False,
    )
    assert why_not(candidate, place, str.upper) == [
        "Consent to share is needed first.",
        "Declined this referral before.",
        "Does not offer: MEN.",
        "Serves women only.",
        "Serves people aged 18 to 25; this person is 30.",
        "Has no space left.",
    ]
    assert fits(
        Candidate("r", frozenset({"counselling"}), age=18),
        Place(7, frozenset({"counselling"}), 1, min_age=18),
    )


@pytest.mark.parametrize("seed", range(5))
def test_fits_and_why_not_are_one_rule(seed: int) -> None:
    candidates, places = random_instance(random.Random(seed), referrals=60, providers=6)
    for candidate in candidates:
        for place in places:
            assert fits(candidate, place) == (why_not(candidate, place) == [])


# -- a provider's own limit for one specialism -----------------------------------------------------


def _with_limits(chooser: random.Random, places: list[Place], limited: Sequence[str]) -> list[Place]:
    return [
        Place(
            p.provider_id,
            p.specialisms,
            p.places,
            p.share,
            p.serves,
            p.min_age,
            p.max_age,
            specialism_places={
                code: chooser.choice([0, 1, 2])
                for code in limited
                if code in p.specialisms and chooser.random() < 0.7
            },
        )
        for p in places
    ]


def _within_specialism_limits(plan: Plan, candidates: Sequence[Candidate], places: Sequence[Place]) -> bool:
    by_id = {c.referral_id: c for c in candidates}
    for place in places:
        for code, room in place.specialism_places.items():
            used = sum(
                1
                for referral_id, provider in plan.assignments.items()
                if provider == place.provider_id and code in by_id[referral_id].specialisms
            )
            if used > room:
                return False
    return True


def brute_force_with_limits(candidates: Sequence[Candidate], places: Sequence[Place]) -> int:
    options = [[None] + [p.provider_id for p in places if fits(c, p)] for c in candidates]
    best = None
    for choice in itertools.product(*options):
        plan = Plan({c.referral_id: p for c, p in zip(candidates, choice, strict=True) if p is not None})
        used = Counter(p for p in choice if p is not None)
        if any(p.places is not None and used[p.provider_id] > p.places for p in places):
            continue
        if not _within_specialism_limits(plan, candidates, places):
            continue
        total = plan_cost(plan.assignments, candidates, places)
        best = total if best is None else min(best, total)
    assert best is not None
    return best


@pytest.mark.parametrize("seed", range(25))
def test_a_limit_for_one_specialism_is_kept_and_the_plan_is_still_optimal(seed: int) -> None:
    # Only "counselling" is limited, so no referral asks for two limited specialisms: the flow is exact.
    chooser = random.Random(500 + seed)
    candidates, places = random_instance(chooser, referrals=chooser.randint(1, 6), providers=3)
    places = _with_limits(chooser, places, ["counselling"])
    plan = propose(candidates, places)
    check_feasible(plan, candidates, places)
    assert _within_specialism_limits(plan, candidates, places)
    assert plan_cost(plan.assignments, candidates, places) == brute_force_with_limits(candidates, places)


@pytest.mark.parametrize("seed", range(25))
def test_limits_for_two_specialisms_asked_together_are_never_exceeded(seed: int) -> None:
    chooser = random.Random(900 + seed)
    candidates, places = random_instance(chooser, referrals=chooser.randint(1, 6), providers=3)
    places = _with_limits(chooser, places, KINDS)
    plan = propose(candidates, places)
    check_feasible(plan, candidates, places)
    assert _within_specialism_limits(plan, candidates, places)


def test_a_provider_with_no_place_left_for_a_specialism_does_not_fit_and_says_why() -> None:
    place = Place(7, frozenset({"counselling", "group"}), None, specialism_places={"counselling": 0})
    asking = Candidate("r", frozenset({"counselling"}))
    assert why_not(asking, place, str.title) == ["No space left this quarter for: Counselling."]
    assert fits(Candidate("s", frozenset({"group"})), place), "other support still fits"
    plan = propose([asking, Candidate("s", frozenset({"group"}))], [place])
    assert plan.assignments == {"s": 7} and plan.left_out == ["r"]


def test_the_longest_waiting_get_a_specialism_s_last_place() -> None:
    place = Place(1, frozenset({"counselling"}), None, specialism_places={"counselling": 1})
    candidates = [
        Candidate("new", frozenset({"counselling"}), waiting_days=1),
        Candidate("old", frozenset({"counselling"}), waiting_days=30),
    ]
    plan = propose(candidates, [place])
    assert plan.assignments == {"old": 1} and plan.left_out == ["new"]
