"""Administrators set up providers and specialisms: each change audited, shown at once where it matters,
and every attempt to break it (wrong role, made-up ids, retired choices, bad numbers) refused with
nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.audit import Actor, AuditEntry
from hub.auth.models import Role
from hub.providers.models import Provider, Specialism
from hub.referrals.allocation import AllocationError, CapacityExceeded, allocate, propose_plan, recommend
from hub.referrals.models import AllocationStatus, Referral, ReferralStatus

from . import factories
from .journeys import self_journey
from .staff import Desk, signed_in

TRS = Actor(id=None, role="allocator")


def specialism(
    db: Session, label: str = "Counselling", code: str = "counselling", **fields: Any
) -> Specialism:
    item = Specialism(code=code, label=label, **fields)
    db.add(item)
    db.flush()
    return item


def admin_desk(app: Flask, db: Session) -> Desk:
    client, _ = signed_in(app, db, Role.ADMIN)
    return Desk(client)


def details(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Lighthouse Project",
        "summary": "Women who were exploited as children, at their own pace.",
        "serves": "women",
        "min_age": "18",
        "max_age": "",
        "referrals_email": "team@lighthouse.example.org",
        "new_starts_per_quarter": "6",
        "max_active": "",
        **changes,
    }


def actions(db: Session) -> list[str]:
    return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def count(db: Session) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(Provider)) or 0)


def waiting_for_counselling(db: Session, counselling: Specialism) -> Referral:
    item = factories.referral(db, status=ReferralStatus.SUBMITTED)
    item.specialisms = [counselling]
    db.flush()
    return item


# -- adding a provider ----------------------------------------------------------------------------


def test_an_added_provider_is_offered_at_once_everywhere(app: Flask, db_session: Session) -> None:
    counselling = specialism(db_session)
    referral = waiting_for_counselling(db_session, counselling)
    desk = admin_desk(app, db_session)
    response = desk.send("/admin/providers/new", **details(specialisms=[str(counselling.id)]))
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/providers")
    _status, page = desk.get("/admin/providers")
    assert "Lighthouse Project is added" in page and "Women only, aged 18 and over" in page
    added = db_session.scalars(select(Provider).where(Provider.name == "Lighthouse Project")).one()
    assert added.slug == "lighthouse-project" and added.active
    assert [s.code for s in added.specialisms] == ["counselling"]
    assert added.capacity and added.capacity.new_starts_per_quarter == 6 and added.capacity.max_active is None
    assert "provider.created" in actions(db_session)

    choice = app.test_client().get("/self-refer/provider").get_data(as_text=True)
    assert "Lighthouse Project" in choice and "Women who were exploited as children" in choice
    assert "Lighthouse Project" in app.test_client().get("/").get_data(as_text=True)
    assert [r.provider.name for r in recommend(db_session, referral, [added]) if r.fits] == [
        "Lighthouse Project"
    ]
    assert propose_plan(db_session).plan.assignments == {referral.id: added.id}


@pytest.mark.parametrize("role", [Role.ALLOCATOR, Role.PROVIDER_STAFF, Role.COMMISSIONER])
def test_no_other_role_may_change_providers_or_specialisms(
    app: Flask, db_session: Session, role: Role
) -> None:
    provider = factories.provider(db_session, name="Harbour")
    counselling = specialism(db_session)
    client, _ = signed_in(
        app, db_session, role, provider_id=provider.id if role is Role.PROVIDER_STAFF else None
    )
    desk = Desk(client)
    before = (count(db_session), actions(db_session))
    for path, data in [
        ("/admin/providers/new", details()),
        (f"/admin/providers/{provider.id}", details(name="Taken over")),
        (f"/admin/providers/{provider.id}/deactivate", {}),
        ("/admin/specialisms", {"label": "Mine", "description": ""}),
        (f"/admin/specialisms/{counselling.id}", {"label": "Renamed", "description": ""}),
        (f"/admin/specialisms/{counselling.id}/retire", {}),
    ]:
        assert desk.send(path, **data).status_code == 403, path
    for path in ("/admin/providers", "/admin/specialisms", f"/admin/providers/{provider.id}"):
        assert desk.get(path)[0] == 403
    db_session.expire_all()
    assert (count(db_session), actions(db_session)) == before
    assert provider.name == "Harbour" and provider.active and counselling.label == "Counselling"
    assert not counselling.retired


def test_a_name_already_taken_is_refused_whatever_its_capitals_and_spaces(
    app: Flask, db_session: Session
) -> None:
    factories.provider(db_session, name="Lighthouse Project")
    desk = admin_desk(app, db_session)
    before = count(db_session)
    response = desk.send("/admin/providers/new", **details(name="  lighthouse   PROJECT "))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<title>Error: Add a provider" in page
    assert "A provider called Lighthouse Project already exists" in page
    assert "Women who were exploited as children" in page, "what was typed is kept"
    assert count(db_session) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"new_starts_per_quarter": "-1"}, "Enter a whole number from 0 to 10,000, or leave it empty"),
        ({"new_starts_per_quarter": "9" * 40}, "Enter a whole number from 0 to 10,000, or leave it empty"),
        ({"max_active": "twelve"}, "Enter a whole number from 0 to 10,000, or leave it empty"),
        ({"max_active": "10001"}, "Enter a whole number from 0 to 10,000, or leave it empty"),
        ({"min_age": "30", "max_age": "18"}, "The oldest age must be the same as the youngest age or more"),
        ({"min_age": "200"}, "Enter the youngest age as a whole number from 0 to 120, or leave it empty"),
        ({"referrals_email": "not an address"}, "Enter the team mailbox as an email address"),
        ({"name": "   "}, "Enter the provider&#39;s name"),
        ({"specialisms": ["999999"]}, "Choose the specialisms from the list"),
        ({"specialisms": ["abc"]}, "Choose the specialisms from the list"),
        ({"serves": "aliens"}, "Not a valid choice"),
    ],
)
def test_bad_details_are_refused_with_a_sentence_and_kept(
    app: Flask, db_session: Session, changes: dict[str, Any], message: str
) -> None:
    desk = admin_desk(app, db_session)
    before = (count(db_session), actions(db_session))
    response = desk.send("/admin/providers/new", **details(**changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<title>Error: " in page
    assert message in page
    assert "Lighthouse Project" in page or changes.get("name")
    assert (count(db_session), actions(db_session)) == before


def test_a_retired_specialism_posted_by_hand_is_refused(app: Flask, db_session: Session) -> None:
    retired = specialism(db_session, "Group work", "group", retired=True)
    provider = factories.provider(db_session, name="Harbour")
    desk = admin_desk(app, db_session)
    for path in ("/admin/providers/new", f"/admin/providers/{provider.id}"):
        response = desk.send(path, **details(specialisms=[str(retired.id)]))
        assert "Choose the specialisms from the list. A retired one cannot be chosen" in response.get_data(
            as_text=True
        )
    db_session.expire_all()
    assert count(db_session) == 1 and provider.specialisms == []


def test_a_form_posted_as_json_changes_nothing(app: Flask, db_session: Session) -> None:
    desk = admin_desk(app, db_session)
    response = desk.client.post(
        "/admin/providers/new",
        json={**details(), "csrf_token": desk.token},
        headers={"X-CSRFToken": desk.token},
    )
    assert response.status_code == 415 and count(db_session) == 0


# -- changing a provider ---------------------------------------------------------------------------


def test_a_change_keeps_the_slug_and_the_audit_names_what_changed(app: Flask, db_session: Session) -> None:
    desk = admin_desk(app, db_session)
    desk.send("/admin/providers/new", **details())
    provider = db_session.scalars(select(Provider)).one()
    response = desk.send(f"/admin/providers/{provider.id}", **details(name="Lighthouse", max_age="25"))
    assert response.status_code == 303
    page = desk.get("/admin/providers")[1]
    assert "Lighthouse is saved. Changed: name, who it serves." in page
    db_session.expire_all()
    assert provider.slug == "lighthouse-project" and provider.name == "Lighthouse" and provider.max_age == 25
    assert actions(db_session)[-2:] == ["provider.renamed", "provider.who_served_changed"]
    assert desk.get("/admin/providers/999999")[0] == 404


def test_a_retired_specialism_the_provider_had_stays_with_it(app: Flask, db_session: Session) -> None:
    old = specialism(db_session, "Group work", "group")
    provider = factories.provider(db_session, name="Harbour")
    provider.specialisms = [old]
    old.retired = True
    db_session.commit()
    desk = admin_desk(app, db_session)
    page = " ".join(desk.get(f"/admin/providers/{provider.id}")[1].split())
    assert (
        "It also still offers, for referrals that asked for them before they were retired: Group work" in page
    )
    desk.send(f"/admin/providers/{provider.id}", **details(name="Harbour"))
    db_session.expire_all()
    assert [s.code for s in provider.specialisms] == ["group"]


# -- deactivating ------------------------------------------------------------------------------------


def test_deactivating_with_offers_waiting_is_refused_and_changes_nothing(
    app: Flask, db_session: Session
) -> None:
    provider = factories.provider(db_session, name="Harbour")
    for _ in range(2):
        offered = factories.referral(db_session, status=ReferralStatus.ALLOCATED)
        factories.allocation(db_session, referral_id=offered.id, provider_id=provider.id)
    desk = admin_desk(app, db_session)
    before = actions(db_session)
    response = desk.send(f"/admin/providers/{provider.id}/deactivate")
    assert response.status_code == 303
    page = desk.get("/admin/providers")[1]
    assert "Harbour was not deactivated: 2 offers are waiting for its decision." in page
    assert "Ask the provider to accept or decline them" in page
    db_session.expire_all()
    assert provider.active and actions(db_session) == before


def test_a_deactivated_provider_disappears_at_once_and_its_staff_can_still_finish_cases(
    app: Flask, db_session: Session
) -> None:
    counselling = specialism(db_session)
    provider = factories.provider(db_session, name="Harbour")
    provider.specialisms = [counselling]
    held = factories.referral(db_session, status=ReferralStatus.ACCEPTED)
    case = factories.allocation(
        db_session, referral_id=held.id, provider_id=provider.id, status=AllocationStatus.ACCEPTED
    )
    waiting = waiting_for_counselling(db_session, counselling)
    desk = admin_desk(app, db_session)
    assert desk.send(f"/admin/providers/{provider.id}/deactivate").status_code == 303
    assert "Harbour is deactivated" in desk.get("/admin/providers")[1]
    db_session.expire_all()
    assert not provider.active and "provider.deactivated" in actions(db_session)

    public = app.test_client()
    assert "Harbour" not in public.get("/self-refer/provider").get_data(as_text=True)
    assert "Harbour" not in public.get("/").get_data(as_text=True)
    assert propose_plan(db_session).plan.assignments == {}
    allocator = Desk(signed_in(app, db_session, Role.ALLOCATOR)[0])
    assert "Harbour" not in allocator.get(f"/triage/referrals/{waiting.id}")[1]
    assert "Harbour" not in allocator.get("/triage/plan")[1]

    staff = Desk(signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)[0])
    assert staff.get(f"/provider/cases/{case.id}")[0] == 200

    assert desk.send(f"/admin/providers/{provider.id}/reactivate").status_code == 303
    assert "Harbour" in public.get("/self-refer/provider").get_data(as_text=True)
    assert actions(db_session)[-1] == "provider.reactivated"


# -- capacity for one specialism -----------------------------------------------------------------------


def test_a_limit_for_one_specialism_is_used_by_the_recommendation_the_plan_and_allocation(
    app: Flask, db_session: Session
) -> None:
    counselling = specialism(db_session)
    desk = admin_desk(app, db_session)
    desk.send(
        "/admin/providers/new",
        **details(specialisms=[str(counselling.id)], **{f"limit_{counselling.id}": "1"}),
    )
    provider = db_session.scalars(select(Provider)).one()
    assert provider.limit_for(counselling.id) == 1
    first, second = (waiting_for_counselling(db_session, counselling) for _ in range(2))
    plan = propose_plan(db_session).plan
    assert len(plan.assignments) == 1 and len(plan.left_out) == 1, "one place for counselling, not two"
    allocate(db_session, first.id, provider.id, TRS)
    [only] = recommend(db_session, second, [provider])
    assert not only.fits and "No space left this quarter for: Counselling." in only.reasons
    with pytest.raises(CapacityExceeded, match="no space left this quarter for Counselling"):
        allocate(db_session, second.id, provider.id, TRS, reason="They asked for it")
    assert propose_plan(db_session).plan.assignments == {}
    # Set back to no limit of its own, and the second fits again.
    response = desk.send(f"/admin/providers/{provider.id}", **details(specialisms=[str(counselling.id)]))
    assert response.status_code == 303, response.get_data(as_text=True)[-3000:]
    db_session.expire_all()
    assert propose_plan(db_session).plan.assignments == {second.id: provider.id}


# -- specialisms -----------------------------------------------------------------------------------------


def test_specialisms_are_added_renamed_retired_and_brought_back(app: Flask, db_session: Session) -> None:
    desk = admin_desk(app, db_session)
    response = desk.send("/admin/specialisms", label="Art & music therapy", description="Creative work.")
    assert response.status_code == 303
    assert "Art &amp; music therapy is added" in desk.client.get("/admin/specialisms").get_data(as_text=True)
    added = db_session.scalars(select(Specialism)).one()
    assert added.code == "art_music_therapy"
    old = factories.referral(db_session)
    old.specialisms = [added]
    db_session.commit()

    desk.send(f"/admin/specialisms/{added.id}", label="Creative therapies", description="Creative work.")
    db_session.expire_all()
    assert added.code == "art_music_therapy" and added.label == "Creative therapies"

    desk.send(f"/admin/specialisms/{added.id}/retire")
    assert "Creative therapies is retired" in desk.get("/admin/specialisms")[1]
    db_session.expire_all()
    assert added.retired and [s.label for s in old.specialisms] == ["Creative therapies"]
    assert f'value="{added.id}"' not in desk.get("/admin/providers/new")[1]

    desk.send(f"/admin/specialisms/{added.id}/restore")
    db_session.expire_all()
    assert db_session.scalar(select(Specialism.retired).where(Specialism.id == added.id)) is False
    assert actions(db_session)[-4:] == [
        "specialism.created",
        "specialism.renamed",
        "specialism.retired",
        "specialism.restored",
    ]


def test_specialism_mistakes_are_refused(app: Flask, db_session: Session) -> None:
    specialism(db_session)
    desk = admin_desk(app, db_session)
    response = desk.send("/admin/specialisms", label=" COUNSELLING ", description="")
    page = response.get_data(as_text=True)
    assert "<title>Error: Specialisms" in page and "A specialism called Counselling already exists" in page
    assert "Enter the specialism&#39;s name" in desk.send(
        "/admin/specialisms", label="", description=""
    ).get_data(as_text=True)
    assert desk.get("/admin/specialisms/999999")[0] == 404
    desk.send("/admin/specialisms/999999/retire")
    assert "That specialism does not exist" in desk.get("/admin/specialisms")[1]
    assert db_session.scalar(select(func.count()).select_from(Specialism)) == 1


def test_a_retired_specialism_is_not_offered_to_people_asking_for_support(
    app: Flask, db_session: Session, client: Any
) -> None:
    specialism(db_session, "Group work", "group", retired=True)
    specialism(db_session)
    db_session.commit()
    journey = self_journey(client)
    page = client.get("/self-refer/support").get_data(as_text=True)
    assert "Counselling" in page and "Group work" not in page
    response = journey.post("support", {"specialisms": ["group"]})
    assert response.status_code == 200 and "Error: " in response.get_data(as_text=True)


# -- the self-referral choice -------------------------------------------------------------------------


def test_the_choice_page_says_who_each_organisation_supports_and_what_help_means(
    db_session: Session, client: Any
) -> None:
    factories.provider(
        db_session, name="Harbour", summary="Adults of any gender, in the north of the county.", min_age=18
    )
    db_session.commit()
    page = client.get("/self-refer/provider").get_data(as_text=True)
    assert "Adults of any gender, in the north of the county. People of any gender, aged 18 and over." in page
    assert "Help me choose" in page
    assert "will choose with you" in page and "usually within 5 working days" in page


def test_the_confirmation_and_check_page_say_what_was_chosen(db_session: Session, client: Any) -> None:
    harbour = factories.provider(db_session, name="Harbour", slug="harbour")
    db_session.commit()
    journey = self_journey(client, provider={"provider": "harbour"})
    journey.answer_all()
    assert "Harbour" in client.get("/self-refer/check").get_data(as_text=True)
    done = journey.post("check", {}).get_data(as_text=True)
    assert "You chose Harbour." in done and "offer it to Harbour" in done
    assert db_session.scalars(select(Referral)).one().preferred_provider_id == harbour.id

    helped = self_journey(client)
    helped.answer_all()
    assert "You asked us to help you choose" in client.get("/self-refer/check").get_data(as_text=True)
    assert "You asked us to help you choose an organisation." in helped.post("check", {}).get_data(
        as_text=True
    )


def test_a_choice_that_stopped_taking_referrals_before_sending_is_asked_again(
    db_session: Session, client: Any
) -> None:
    harbour = factories.provider(db_session, name="Harbour", slug="harbour")
    db_session.commit()
    journey = self_journey(client, provider={"provider": "harbour"})
    journey.answer_all()
    harbour.active = False
    db_session.commit()
    check = client.get("/self-refer/check").get_data(as_text=True)
    assert "no longer taking referrals" in check
    page = journey.post("check", {}).get_data(as_text=True)
    assert "The organisation chosen is no longer taking referrals" in page
    assert db_session.scalar(select(func.count()).select_from(Referral)) == 0, "nothing was sent"


def test_unticking_every_specialism_and_emptying_a_limit_is_kept(app: Flask, db_session: Session) -> None:
    counselling = specialism(db_session)
    desk = admin_desk(app, db_session)
    desk.send("/admin/providers/new", **details(specialisms=[str(counselling.id)], max_active="9"))
    provider = db_session.scalars(select(Provider)).one()
    # A browser sends no "specialisms" at all when no box is ticked.
    response = desk.send(f"/admin/providers/{provider.id}", **details(max_active=""))
    assert response.status_code == 303
    db_session.expire_all()
    assert provider.specialisms == [] and provider.capacity and provider.capacity.max_active is None
    assert actions(db_session)[-2:] == ["provider.specialisms_changed", "provider.capacity_changed"]


def test_a_wrong_limit_for_one_specialism_opens_its_section_and_says_why(
    app: Flask, db_session: Session
) -> None:
    counselling = specialism(db_session)
    desk = admin_desk(app, db_session)
    page = desk.get("/admin/providers/new")[1]
    assert '<details class="govuk-details" id="specialism-limits">' in page, "closed while unused"
    response = desk.send("/admin/providers/new", **details(**{f"limit_{counselling.id}": "-3"}))
    page = response.get_data(as_text=True)
    assert '<details class="govuk-details" id="specialism-limits" open>' in page
    assert "Enter a whole number from 0 to 10,000, or leave it empty" in page and count(db_session) == 0


# -- slugs and codes ------------------------------------------------------------------------------------

LONG = "The Northern Survivors Counselling And Advocacy Partnership"  # its first 40 characters are shared


def test_names_that_share_their_first_40_characters_each_get_a_slug_of_their_own(
    app: Flask, db_session: Session
) -> None:
    desk = admin_desk(app, db_session)
    for n, ending in enumerate((" North", " South", " East", " West")):
        response = desk.send("/admin/providers/new", **details(name=LONG + ending))
        assert response.status_code == 303, (n, response.get_data(as_text=True)[-2000:])
    slugs = sorted(db_session.scalars(select(Provider.slug)))
    assert len(set(slugs)) == 4 and all(len(slug) <= 40 for slug in slugs)
    stem = "the-northern-survivors-counselling-and-a"
    assert slugs == sorted([stem, f"{stem[:38]}-2", f"{stem[:38]}-3", f"{stem[:38]}-4"])


@pytest.mark.parametrize("name", ["Help", "None", "  NONE! "])
def test_a_provider_named_like_a_choice_of_no_provider_gets_another_slug(
    app: Flask, db_session: Session, name: str, client: Any
) -> None:
    desk = admin_desk(app, db_session)
    assert desk.send("/admin/providers/new", **details(name=name)).status_code == 303
    added = db_session.scalars(select(Provider)).one()
    assert added.slug in {"help-2", "none-2"}
    # Chosen on the public form, it is that provider, never "help me choose" nor "no preference".
    journey = self_journey(client, provider={"provider": added.slug})
    journey.answer_all()
    assert f"You chose {added.name}." in journey.post("check", {}).get_data(as_text=True)
    assert db_session.scalars(select(Referral)).one().preferred_provider_id == added.id


def test_the_forms_words_for_no_provider_are_reserved() -> None:
    from hub.auth.forms import NO_PROVIDER
    from hub.providers.models import RESERVED_SLUGS

    assert {NO_PROVIDER, "help"} <= RESERVED_SLUGS


def test_specialisms_that_share_their_first_40_characters_or_are_called_none_get_codes_of_their_own(
    app: Flask, db_session: Session
) -> None:
    desk = admin_desk(app, db_session)
    for label in (LONG + " one", LONG + " two", LONG + " three", "None", "Help"):
        response = desk.send("/admin/specialisms", label=label, description="")
        assert response.status_code == 303, (label, response.get_data(as_text=True)[-2000:])
    codes = sorted(db_session.scalars(select(Specialism.code)))
    stem = "the_northern_survivors_counselling_and_a"
    assert codes == sorted([stem, f"{stem[:38]}_2", f"{stem[:38]}_3", "none_2", "help_2"])


# -- deactivating asks first, and an allocation cannot slip past it --------------------------------------


def test_deactivating_asks_first_and_a_get_changes_nothing(app: Flask, db_session: Session) -> None:
    provider = factories.provider(db_session, name="Harbour")
    desk = admin_desk(app, db_session)
    before = actions(db_session)
    listed = desk.get("/admin/providers")[1]
    assert f'href="/admin/providers/{provider.id}/deactivate"' in listed, "a link to ask, not a button"
    status, page = desk.get(f"/admin/providers/{provider.id}/deactivate")
    text = " ".join(page.split())
    assert status == 200 and '<h1 class="govuk-heading-l">Deactivate Harbour?</h1>' in page
    assert "the triage team is offered it for no new referral" in text
    assert "no one asking for support can choose it" in text
    assert "its staff can still sign in to finish the cases they have" in text
    assert "govuk-button--warning" in page and "Deactivate Harbour" in page
    db_session.expire_all()
    assert provider.active and actions(db_session) == before
    assert desk.get("/admin/providers/999999/deactivate")[0] == 404


def test_the_confirmation_warns_of_offers_waiting(app: Flask, db_session: Session) -> None:
    provider = factories.provider(db_session, name="Harbour")
    offered = factories.referral(db_session, status=ReferralStatus.ALLOCATED)
    factories.allocation(db_session, referral_id=offered.id, provider_id=provider.id)
    page = " ".join(admin_desk(app, db_session).get(f"/admin/providers/{provider.id}/deactivate")[1].split())
    assert "1 offer is waiting for its decision, so it cannot be deactivated yet." in page
    assert "govuk-button--warning" not in page, "no button that can only be refused"


def test_an_allocation_posted_by_hand_to_a_deactivated_provider_is_refused_and_changes_nothing(
    app: Flask, db_session: Session
) -> None:
    from .test_eligibility import counts
    from .test_referral_page import Desk as TriageDesk
    from .test_referral_page import shown_plan

    harbour = factories.provider(db_session, name="Harbour")
    waiting = factories.referral(db_session, status=ReferralStatus.SUBMITTED)
    db_session.commit()
    allocator = TriageDesk(signed_in(app, db_session, Role.ALLOCATOR)[0])
    _page, offer, pairs = shown_plan(allocator)  # shown while Harbour was still active
    assert pairs == [f"{waiting.id}:{harbour.id}"]
    assert admin_desk(app, db_session).send(f"/admin/providers/{harbour.id}/deactivate").status_code == 303
    before = counts(db_session)

    response = allocator.send(
        f"/triage/referrals/{waiting.id}/allocate", provider=str(harbour.id), reason="They asked for it"
    )
    assert response.status_code == 200 and "<title>Error: " in response.get_data(as_text=True)
    allocator.send("/triage/plan", pairs=pairs, offer=offer)
    banner = allocator.get("/triage/plan")[1]
    assert f"{waiting.reference}: Harbour is no longer taking referrals: it was deactivated." in banner
    with pytest.raises(AllocationError, match="Harbour is no longer taking referrals"):
        allocate(db_session, waiting.id, harbour.id, TRS, reason="They asked for it")
    assert counts(db_session) == before
    db_session.expire_all()
    assert db_session.get(Referral, waiting.id).status is ReferralStatus.SUBMITTED  # type: ignore[union-attr]


# -- editing keeps what the form does not show -----------------------------------------------------------


def test_editing_only_the_description_keeps_a_limit_for_a_retired_specialism(
    app: Flask, db_session: Session
) -> None:
    group = specialism(db_session, "Group work", "group")
    desk = admin_desk(app, db_session)
    desk.send(
        "/admin/providers/new",
        **details(name="Harbour", specialisms=[str(group.id)], **{f"limit_{group.id}": "3"}),
    )
    provider = db_session.scalars(select(Provider)).one()
    desk.send(f"/admin/specialisms/{group.id}/retire")
    before = actions(db_session)
    response = desk.send(f"/admin/providers/{provider.id}", **details(name="Harbour", summary="New words."))
    assert response.status_code == 303
    assert "Harbour is saved. Changed: description." in desk.get("/admin/providers")[1]
    db_session.expire_all()
    assert provider.limit_for(group.id) == 3 and [s.code for s in provider.specialisms] == ["group"]
    assert actions(db_session) == [*before, "provider.description_changed"], "no capacity_changed"


def test_saving_the_same_capacity_twice_writes_one_entry(app: Flask, db_session: Session) -> None:
    provider = factories.provider(db_session, new_starts=10, max_active=20)
    staff = Desk(signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)[0])
    desk = admin_desk(app, db_session)
    desk.send(f"/admin/providers/{provider.id}", **details(new_starts_per_quarter="4", max_active="9"))
    for _ in range(2):
        staff.send("/provider/capacity", new_starts_per_quarter="5", max_active="9")
    desk.send(f"/admin/providers/{provider.id}", **details(new_starts_per_quarter="5", max_active="9"))
    db_session.expire_all()
    assert provider.capacity and (provider.capacity.new_starts_per_quarter, provider.capacity.max_active) == (
        5,
        9,
    )
    assert actions(db_session).count("provider.capacity_changed") == 2  # the admin's first, staff's first


# -- banners read as the accounts' do -------------------------------------------------------------------


def test_a_refusal_reads_as_one_sentence_in_a_banner_and_without_a_stop_in_an_error_summary(
    app: Flask, db_session: Session
) -> None:
    from .test_referral_page import error_summary

    factories.provider(db_session, name="Harbour")
    desk = admin_desk(app, db_session)
    desk.send("/admin/specialisms/999999/retire")
    page = desk.get("/admin/specialisms")[1]
    assert "That specialism does not exist. Choose one from the list." in page and "list.." not in page
    response = desk.send("/admin/providers/new", **details(name="harbour"))
    found = error_summary(response.get_data(as_text=True))
    assert found == [("#name", "A provider called Harbour already exists. Give this one a different name")]
