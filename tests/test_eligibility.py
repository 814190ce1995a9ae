"""One eligibility rule for the plan, the recommendation and allocate(); the plan page allocates only
what it offered; nothing is allocated without consent to share. Written as an attacker would try it."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import calendar
from hub.audit import Actor, AuditEntry
from hub.auth.models import Role
from hub.outbox import OutboxMessage
from hub.providers.models import Provider, Serves, Specialism
from hub.referrals import intake
from hub.referrals.allocation import (
    PLAN_LIFETIME_SECONDS,
    Confirmed,
    ConsentNeeded,
    NotOffered,
    ReasonNeeded,
    allocate,
    confirm_plan,
    gender_asked,
    propose_plan,
    recommend,
    sign_offer,
)
from hub.referrals.models import Allocation, AllocationStatus, Referral, ReferralStatus
from hub.referrals.planning import Candidate, Place, why_not

from . import factories
from .staff import signed_in
from .test_referral_page import Desk, error_summary, fetch, shown_plan

ALLOCATOR = Actor(id="00000000-0000-4000-8000-000000000001", role="allocator")
SECRET = "a-test-secret-" + "x" * 40


@pytest.fixture
def desk(app: Flask, db_session: Session) -> Desk:
    client, _ = signed_in(app, db_session, Role.ALLOCATOR)
    return Desk(client)


def counts(db: Session) -> tuple[int, int, int]:
    """What a refused action must leave as it was: allocations, audit entries, emails waiting."""
    db.expire_all()
    return (
        db.scalar(select(func.count()).select_from(Allocation)) or 0,
        db.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        db.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
    )


def kinds(db: Session, *codes: str) -> dict[str, Specialism]:
    return {
        code: factories.specialism(db, code=code, label=code.replace("_", " ").capitalize()) for code in codes
    }


def returned_by(db: Session, referral: Referral, provider: Provider) -> None:
    factories.allocation(
        db, referral_id=referral.id, provider_id=provider.id, status=AllocationStatus.DECLINED
    )
    referral.status = ReferralStatus.DECLINED_BY_PROVIDER
    db.flush()


def banner(desk: Desk) -> str:
    return html.unescape(desk.client.get("/triage/plan").get_data(as_text=True))


STALE = "Nothing was allocated: the plan you confirmed is out of date or was changed."


# -- item 3: the plan page allocates only what it offered ------------------------------------------


def test_a_hand_made_pair_to_a_provider_that_declined_is_refused(desk: Desk, db_session: Session) -> None:
    declined = factories.provider(db_session, name="Declined it")
    factories.provider(db_session, name="Other")
    referral = factories.referral(db_session)
    returned_by(db_session, referral, declined)
    db_session.commit()
    _, offer, _ = shown_plan(desk)
    before = counts(db_session)
    response = desk.post("/triage/plan", pairs=f"{referral.id}:{declined.id}", offer=offer)
    assert response.status_code == 303
    assert STALE in banner(desk)
    assert counts(db_session) == before
    assert fetch(db_session, referral).status is ReferralStatus.DECLINED_BY_PROVIDER


def test_a_hand_made_pair_to_a_provider_without_the_support_asked_for_is_refused(
    desk: Desk, db_session: Session
) -> None:
    wanted = kinds(db_session, "counselling", "group_work")
    fits = factories.provider(db_session, name="Fits", specialisms=[wanted["counselling"]])
    lacks = factories.provider(db_session, name="Lacks", specialisms=[wanted["group_work"]])
    referral = factories.referral(db_session, specialisms=[wanted["counselling"]])
    db_session.commit()
    _, offer, pairs = shown_plan(desk)
    assert pairs == [f"{referral.id}:{fits.id}"]
    before = counts(db_session)
    desk.post("/triage/plan", pairs=[f"{referral.id}:{lacks.id}", f"{referral.id}:{fits.id}"], offer=offer)
    assert STALE in banner(desk)
    assert counts(db_session) == before  # not even the offered line: the post was tampered with


def test_a_referral_that_was_not_in_the_plan_is_refused(desk: Desk, db_session: Session) -> None:
    provider = factories.provider(db_session, name="Harbour")
    shown = factories.referral(db_session)
    db_session.commit()
    _, offer, pairs = shown_plan(desk)
    later = factories.referral(db_session)  # arrived after the page was shown
    db_session.commit()
    before = counts(db_session)
    desk.post("/triage/plan", pairs=[*pairs, f"{later.id}:{provider.id}"], offer=offer)
    assert STALE in banner(desk)
    assert counts(db_session) == before
    assert fetch(db_session, shown).status is ReferralStatus.SUBMITTED
    assert fetch(db_session, later).status is ReferralStatus.SUBMITTED


def test_another_allocators_signed_plan_is_refused(app: Flask, desk: Desk, db_session: Session) -> None:
    factories.provider(db_session, name="Harbour")
    factories.referral(db_session)
    db_session.commit()
    other_client, _ = signed_in(app, db_session, Role.ALLOCATOR)
    _, their_offer, their_pairs = shown_plan(Desk(other_client))
    assert their_pairs
    before = counts(db_session)
    desk.post("/triage/plan", pairs=their_pairs, offer=their_offer)
    assert STALE in banner(desk)
    assert counts(db_session) == before


@pytest.mark.parametrize(
    "tamper",
    [
        lambda offer: offer[:-2] + ("AA" if not offer.endswith("AA") else "BB"),  # the signature
        lambda offer: "x" + offer,  # the payload
        lambda offer: "",  # no offer at all
        lambda offer: "not.a.token",
    ],
)
def test_a_tampered_or_missing_signature_is_refused(desk: Desk, db_session: Session, tamper: object) -> None:
    factories.provider(db_session, name="Harbour")
    factories.referral(db_session)
    db_session.commit()
    _, offer, pairs = shown_plan(desk)
    before = counts(db_session)
    desk.post("/triage/plan", pairs=pairs, offer=tamper(offer))  # type: ignore[operator]
    assert STALE in banner(desk)
    assert counts(db_session) == before


def test_a_plan_older_than_its_lifetime_is_refused(db_session: Session) -> None:
    provider = factories.provider(db_session)
    referral = factories.referral(db_session)
    db_session.commit()
    pair = f"{referral.id}:{provider.id}"
    with time_machine.travel("2026-11-27 10:00:00+00:00", tick=False) as clock:
        offer = sign_offer(SECRET, ALLOCATOR, [pair])
        clock.shift(PLAN_LIFETIME_SECONDS + 1)
        before = counts(db_session)
        with pytest.raises(NotOffered, match="out of date"):
            confirm_plan(db_session, SECRET, ALLOCATOR, offer, [pair])
        assert counts(db_session) == before
        clock.shift(-2)  # within its lifetime it is good
        assert confirm_plan(db_session, SECRET, ALLOCATOR, offer, [pair]).made == 1


def test_allocate_from_a_plan_refuses_any_provider_that_does_not_fit(db_session: Session) -> None:
    wanted = kinds(db_session, "counselling", "women_only")
    declined = factories.provider(db_session, name="Declined", specialisms=[wanted["counselling"]])
    lacks = factories.provider(db_session, name="Lacks", specialisms=[wanted["women_only"]])
    young = factories.provider(db_session, name="Young", specialisms=[wanted["counselling"]], max_age=25)
    referral = factories.referral(
        db_session, specialisms=[wanted["counselling"]], date_of_birth=date(1980, 1, 1)
    )
    returned_by(db_session, referral, declined)
    db_session.commit()
    before = counts(db_session)
    for provider, why in (
        (declined, "Declined cannot be offered this referral: Declined this referral before."),
        (lacks, "Lacks cannot be offered this referral: Does not offer: Counselling."),
        (young, "Young cannot be offered this referral: Serves people aged 25 and under; this person is"),
    ):
        with pytest.raises(NotOffered, match=re.escape(why)):
            allocate(db_session, referral.id, provider.id, ALLOCATOR, from_plan=True)
    assert counts(db_session) == before
    assert fetch(db_session, referral).status is ReferralStatus.DECLINED_BY_PROVIDER


def test_flagged_lines_are_shown_and_not_ticked_and_no_consent_has_no_tick_box(
    desk: Desk, db_session: Session
) -> None:
    provider = factories.provider(db_session, name="Harbour", max_active=None, new_starts=None)
    other = factories.provider(db_session, name="Other", max_active=None, new_starts=None)
    plain = factories.referral(db_session)
    risky = factories.referral(db_session, risk_flagged=True)
    young = factories.referral(db_session, under_18=True)
    twice = factories.referral(db_session, possible_duplicate=True)
    returned = factories.referral(db_session)
    returned_by(db_session, returned, other)
    no_consent = factories.referral(db_session, consent_to_share=False)
    db_session.commit()
    page, offer, ticked = shown_plan(desk)
    assert ticked == [f"{plain.id}:{provider.id}"]

    def row(referral: Referral) -> str:
        found = re.search(
            rf'<tr class="govuk-table__row" data-reference="{referral.reference}">(.*?)</tr>', page, re.S
        )
        assert found, referral.reference
        return found.group(1)

    for referral, flag in (
        (risky, "Risk"),
        (young, "Under 18"),
        (twice, "Possible duplicate"),
        (returned, "Returned by a provider"),
    ):
        assert flag in row(referral) and 'type="checkbox"' in row(referral)
        assert " checked" not in row(referral)
    assert "Consent to share needed" in row(no_consent) and 'type="checkbox"' not in row(no_consent)
    assert "Consent to share needed" not in row(plain)
    # even a hand-made line for it is refused, with the signed offer of this page
    before = counts(db_session)
    desk.post("/triage/plan", pairs=f"{no_consent.id}:{provider.id}", offer=offer)
    assert STALE in banner(desk)
    assert counts(db_session) == before
    # ticking a flagged line after reading it is allowed: it was offered
    desk.post("/triage/plan", pairs=f"{risky.id}:{provider.id}", offer=offer)
    assert fetch(db_session, risky).status is ReferralStatus.ALLOCATED


# -- item 4: the recommendation and the plan agree -------------------------------------------------


def the_decline_scenario(db: Session) -> tuple[Referral, dict[str, Provider]]:
    """The issue's case: a male survivor asks for counselling and support for male survivors; the one
    provider that offers them declined; the other two are women-only services."""
    wanted = kinds(db, "counselling", "male_survivors", "women_only", "group_work", "practical_advocacy")
    providers = {
        "rise": factories.provider(
            db,
            name="Rise",
            specialisms=[wanted["women_only"], wanted["practical_advocacy"], wanted["group_work"]],
            serves=Serves.WOMEN,
        ),
        "grow": factories.provider(
            db, name="Grow", specialisms=[wanted["women_only"], wanted["group_work"]], serves=Serves.WOMEN
        ),
        "rothacs": factories.provider(
            db, name="Rothacs", specialisms=[wanted["counselling"], wanted["male_survivors"]]
        ),
    }
    referral = factories.referral(db, specialisms=[wanted["counselling"], wanted["male_survivors"]])
    returned_by(db, referral, providers["rothacs"])
    db.commit()
    return referral, providers


def test_after_a_decline_no_women_only_service_is_recommended_to_a_male_survivor(
    desk: Desk, db_session: Session
) -> None:
    referral, providers = the_decline_scenario(db_session)
    page = desk.page(referral)
    assert "(recommended)" not in page
    assert "No provider fits this referral now, so none is recommended." in page
    assert "Rise</strong> (does not fit)" in page
    assert "Serves: Women only, of any age." in page
    assert not re.search(r'name="provider" type="radio" value="\d+" checked', page), "nothing pre-chosen"
    # the plan agrees: it offers the referral to no one
    plan_page, _, _ = shown_plan(desk)
    assert f"{referral.id}:" not in plan_page
    assert referral.reference in plan_page.split("Not allocated this round")[1]
    ranked = recommend(db_session, referral, list(providers.values()))
    assert not any(r.fits for r in ranked)


def test_when_no_provider_fits_any_allocation_needs_a_reason(desk: Desk, db_session: Session) -> None:
    referral, providers = the_decline_scenario(db_session)
    before = counts(db_session)
    with pytest.raises(
        ReasonNeeded, match=re.escape("No provider fits this referral. Say why you chose Grow.")
    ):
        allocate(db_session, referral.id, providers["grow"].id, ALLOCATOR)
    response = desk.post(f"/triage/referrals/{referral.id}/allocate", provider=str(providers["rise"].id))
    assert error_summary(html.unescape(response.get_data(as_text=True))) == [
        ("#reason", "No provider fits this referral. Say why you chose Rise.")
    ]
    assert counts(db_session)[0] == before[0]
    assert fetch(db_session, referral).status is ReferralStatus.DECLINED_BY_PROVIDER
    response = desk.post(
        f"/triage/referrals/{referral.id}/allocate",
        provider=str(providers["rothacs"].id),
        reason="Rothacs agreed on the phone to take him after all.",
    )
    assert response.status_code == 303
    assert fetch(db_session, referral).status is ReferralStatus.ALLOCATED


def test_a_providers_age_range_is_used_with_the_uk_date(db_session: Session) -> None:
    young = factories.provider(db_session, name="Young Adults", min_age=18, max_age=25)
    anyone = factories.provider(db_session, name="Anyone")
    referral = factories.referral(db_session, date_of_birth=date(2000, 6, 15))
    db_session.commit()
    with time_machine.travel("2026-06-14 23:30:00+00:00", tick=False):  # 15 June in the UK: 26 today
        ranked = recommend(db_session, referral, [young, anyone])
        assert [(r.provider.name, r.recommended) for r in ranked] == [
            ("Anyone", True),
            ("Young Adults", False),
        ]
        assert "Serves people aged 18 to 25; this person is 26." in ranked[1].reasons
        assert propose_plan(db_session).plan.assignments == {referral.id: anyone.id}
        with pytest.raises(NotOffered):
            allocate(db_session, referral.id, young.id, ALLOCATOR, from_plan=True)
    with time_machine.travel("2026-06-14 22:30:00+00:00", tick=False):  # still 14 June in the UK: 25
        assert all(r.fits for r in recommend(db_session, referral, [young, anyone]))
        assert allocate(db_session, referral.id, young.id, ALLOCATOR, from_plan=True).provider_id == young.id


def test_who_a_provider_serves_is_shown_to_allocators(desk: Desk, db_session: Session) -> None:
    factories.provider(db_session, name="Young Adults", min_age=18, max_age=25, serves=Serves.WOMEN)
    referral = factories.referral(db_session)
    db_session.commit()
    assert "Serves: Women only, aged 18 to 25." in desk.page(referral)
    assert "Women only, aged 18 to 25" in shown_plan(desk)[0]


def test_the_plan_only_ever_chooses_what_the_recommendation_says_fits(db_session: Session) -> None:
    wanted = kinds(db_session, "counselling", "group_work", "advocacy")
    providers = [
        factories.provider(db_session, specialisms=[wanted["counselling"]], max_active=2),
        factories.provider(db_session, specialisms=list(wanted.values()), max_active=1, serves=Serves.WOMEN),
        factories.provider(db_session, specialisms=[wanted["group_work"], wanted["advocacy"]], min_age=30),
        factories.provider(db_session, specialisms=[wanted["counselling"], wanted["advocacy"]], max_active=0),
    ]
    referrals = []
    for n, asked in enumerate(
        [["counselling"], ["group_work"], ["advocacy"], [], ["counselling", "group_work"]] * 2
    ):
        referral = factories.referral(
            db_session, specialisms=[wanted[c] for c in asked], date_of_birth=date(1970 + 7 * n % 40, 3, 1)
        )
        if n % 3 == 0:
            returned_by(db_session, referral, providers[n % 4])
        referrals.append(referral)
    db_session.commit()
    proposal = propose_plan(db_session)
    for referral in referrals:
        fitting = {r.provider.id for r in recommend(db_session, referral, providers) if r.fits}
        chosen = proposal.plan.assignments.get(referral.id)
        if chosen is None:
            assert referral.id in proposal.plan.left_out
        else:
            assert chosen in fitting
        if not fitting:
            assert chosen is None


def test_the_rule_uses_gender_only_when_the_referral_says_it() -> None:
    women = Place(1, frozenset(), places=None, serves="women")
    assert why_not(Candidate("r", frozenset(), gender="men"), women) == ["Serves women only."]
    assert why_not(Candidate("r", frozenset(), gender="women"), women) == []
    assert why_not(Candidate("r", frozenset()), women) == []  # not said: it does not exclude
    assert why_not(Candidate("r", frozenset(), age=40), Place(1, frozenset(), None, min_age=18)) == []


# -- consent to share: refused from every route ------------------------------------------------------


def test_without_consent_to_share_nothing_is_allocated_by_any_route(desk: Desk, db_session: Session) -> None:
    provider = factories.provider(db_session, name="Harbour")
    referral = factories.referral(db_session, consent_to_share=False)
    db_session.commit()
    before = counts(db_session)
    for reason, from_plan in ((None, False), ("A good reason.", False), (None, True)):
        with pytest.raises(ConsentNeeded, match=r"^Record consent to share before allocating$"):
            allocate(db_session, referral.id, provider.id, ALLOCATOR, reason, from_plan=from_plan)
    page = desk.page(referral)
    assert "Record consent to share before allocating" in page
    assert "(recommended)" not in page and ">Allocate</button>" not in page
    before = counts(db_session)
    response = desk.post(
        f"/triage/referrals/{referral.id}/allocate",
        provider=str(provider.id),
        reason="They said yes on the phone.",
    )
    assert ("#actions", "Record consent to share before allocating") in error_summary(
        html.unescape(response.get_data(as_text=True))
    )
    # the plan leaves it out; a signed offer cannot carry it either (signed with the app's secret here)
    _, offer, pairs = shown_plan(desk)
    assert pairs == []
    desk.post("/triage/plan", pairs=f"{referral.id}:{provider.id}", offer=offer)
    assert counts(db_session)[0] == before[0] and counts(db_session)[2] == before[2]
    assert fetch(db_session, referral).status is ReferralStatus.SUBMITTED
    pair = f"{referral.id}:{provider.id}"
    done = confirm_plan(db_session, SECRET, ALLOCATOR, sign_offer(SECRET, ALLOCATOR, [pair]), [pair])
    assert done.made == 0 and done.refused == [
        f"{referral.reference}: Record consent to share before allocating"
    ]
    assert counts(db_session)[0] == before[0]


# -- review of issue 11: the plan's promises -------------------------------------------------------


@pytest.mark.parametrize("risky", ["newest", "oldest"])
def test_when_places_are_short_the_longest_waiting_referral_is_planned(
    db_session: Session, risky: str
) -> None:
    provider = factories.provider(db_session, name="Harbour", new_starts=None, max_active=1)
    with time_machine.travel("2026-11-20 12:00:00+00:00", tick=False) as clock:
        oldest = factories.referral(db_session)
        clock.move_to("2026-11-26 12:00:00+00:00")
        middle = factories.referral(db_session)
        clock.move_to("2026-11-27 09:00:00+00:00")
        newest = factories.referral(db_session)
        # the queue lists reported risks first: which one comes first must not decide who waits on
        (newest if risky == "newest" else oldest).risk_flagged = True
        db_session.commit()
        plan = propose_plan(db_session).plan
    assert plan.assignments == {oldest.id: provider.id}
    assert set(plan.left_out) == {middle.id, newest.id}


def test_waiting_is_counted_in_uk_days(db_session: Session) -> None:
    factories.provider(db_session, name="Harbour", new_starts=None, max_active=1)
    with time_machine.travel("2026-06-14 22:30:00+00:00", tick=False) as clock:  # 23:30 on 14 June in the UK
        earlier = factories.referral(db_session)
        clock.move_to("2026-06-14 23:30:00+00:00")  # 00:30 on 15 June in the UK
        later = factories.referral(db_session, risk_flagged=True)
        clock.move_to("2026-06-15 22:00:00+00:00")  # 23:00 on 15 June: the first has waited a day
        db_session.commit()
        plan = propose_plan(db_session).plan
    assert list(plan.assignments) == [earlier.id]
    assert plan.left_out == [later.id]


def flashed(client: FlaskClient) -> list[str]:
    """What the session cookie carries to the next page: every flashed message, as the browser holds it."""
    with client.session_transaction() as session:
        return [message for _, message in session.get("_flashes", [])]


def test_no_flashed_message_says_the_persons_age(app: Flask, db_session: Session) -> None:
    young = factories.provider(db_session, name="Young Adults", min_age=18, max_age=25)
    referral = factories.referral(db_session, date_of_birth=date(2000, 6, 15))
    db_session.commit()
    with time_machine.travel("2026-06-14 22:50:00+00:00", tick=False) as clock:  # 14 June in the UK: 25
        client, _ = signed_in(app, db_session, Role.ALLOCATOR)
        desk = Desk(client)
        _, offer, pairs = shown_plan(desk)
        assert pairs == [f"{referral.id}:{young.id}"]
        clock.move_to("2026-06-14 23:10:00+00:00")  # 15 June in the UK: 26 now, and the offer is good
        before = counts(db_session)
        desk.post("/triage/plan", pairs=pairs, offer=offer)
        messages = flashed(desk.client)
        assert messages == [f"{referral.reference} could not be allocated: open it to see why."]
        assert not any("26" in m.replace(referral.reference, "") or "aged" in m for m in messages)
        assert counts(db_session)[0] == before[0]
        # the reason is on the referral page, for the allocator who opens it
        assert "Serves people aged 18 to 25; this person is 26." in desk.page(referral)


def test_the_plan_page_offers_its_choices_from_the_signed_offer_not_from_the_post(
    desk: Desk, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even were the service's own check lost, the page's form accepts only the pairs it offered."""
    from hub.referrals import triage_views

    provider = factories.provider(db_session, name="Harbour")
    shown = factories.referral(db_session)
    db_session.commit()
    _, offer, pairs = shown_plan(desk)
    later = factories.referral(db_session)
    db_session.commit()
    asked: list[list[str]] = []

    def confirm_without_checking(
        db: Session, secret: str, actor: Actor, token: str, posted: list[str]
    ) -> Confirmed:
        asked.append(list(posted))
        return confirm_plan(db, secret, actor, sign_offer(secret, actor, posted), posted)

    monkeypatch.setattr(triage_views, "confirm_plan", confirm_without_checking)
    before = counts(db_session)
    for tampered in (offer, offer[:-2] + ("AA" if not offer.endswith("AA") else "BB")):
        response = desk.post("/triage/plan", pairs=[*pairs, f"{later.id}:{provider.id}"], offer=tampered)
        assert response.status_code == 303
        assert flashed(desk.client) == [STALE + " Check the new plan and confirm again."]
        assert STALE in banner(desk)  # shown once, then gone
    assert asked == []
    assert counts(db_session) == before
    assert fetch(db_session, shown).status is ReferralStatus.SUBMITTED
    assert fetch(db_session, later).status is ReferralStatus.SUBMITTED
    desk.post("/triage/plan", pairs=pairs, offer=offer)  # what it offered is still accepted
    assert asked == [pairs]
    assert fetch(db_session, shown).status is ReferralStatus.ALLOCATED


def test_a_women_only_service_is_never_offered_to_a_man_asking_for_male_survivor_support(
    desk: Desk, db_session: Session
) -> None:
    wanted = kinds(db_session, "counselling", "male_survivors", "women_only")
    women_only = factories.provider(
        db_session, name="Rise", specialisms=list(wanted.values()), serves=Serves.WOMEN
    )
    man = factories.referral(db_session, specialisms=[wanted["counselling"], wanted["male_survivors"]])
    woman = factories.referral(db_session, specialisms=[wanted["counselling"], wanted["women_only"]])
    unsaid = factories.referral(db_session, specialisms=[wanted["counselling"]])
    db_session.commit()

    [rise] = recommend(db_session, man, [women_only])
    assert not rise.fits and not rise.recommended
    assert "Serves women only." in rise.reasons
    assert "Offers every kind of support asked for." in rise.reasons
    before = counts(db_session)
    with pytest.raises(
        NotOffered, match=re.escape("Rise cannot be offered this referral: Serves women only.")
    ):
        allocate(db_session, man.id, women_only.id, ALLOCATOR, from_plan=True)
    assert counts(db_session) == before
    page = desk.page(man)
    assert "(recommended)" not in page and "Rise</strong> (does not fit)" in page
    proposal = propose_plan(db_session)
    assert man.id in proposal.plan.left_out
    assert proposal.plan.assignments == {woman.id: women_only.id, unsaid.id: women_only.id}


def test_only_the_support_asked_for_says_the_persons_gender() -> None:
    assert gender_asked(frozenset({"counselling", "male_survivors"})) == "men"
    assert gender_asked(frozenset({"women_only"})) == "women"
    assert gender_asked(frozenset({"counselling"})) is None
    assert gender_asked(frozenset({"male_survivors", "women_only"})) is None  # says both: says nothing


def test_one_age_rule_for_intake_and_the_plan() -> None:
    born = date(2008, 2, 29)
    assert calendar.age_on(born, date(2026, 2, 28)) == 17
    assert calendar.age_on(born, date(2026, 3, 1)) == 18
    assert intake.is_under_18(born, date(2026, 2, 28)) and not intake.is_under_18(born, date(2026, 3, 1))
