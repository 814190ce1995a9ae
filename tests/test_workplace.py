"""The staff side as a place of work: each role's sections on every page, a home page that starts with
what needs doing, the account's links inside a landmark, a footer with nothing for survivors, and each
action landing where the work goes on."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.audit import Actor, AuditEntry
from hub.auth.models import Role
from hub.calendar import LOCAL_TIME, Quarter, working_days_between
from hub.kpi import returns
from hub.providers.models import Provider
from hub.referrals import cases, triage
from hub.referrals.allocation import allocate
from hub.referrals.models import (
    Allocation,
    ContactMethod,
    DeclineReason,
    Referral,
    ReferralStatus,
    SafeContact,
)
from hub.workplace import navigation

from . import factories
from . import staff as staff_pages
from .clock import MIDDAY
from .staff import signed_in

pytestmark = pytest.mark.usefixtures("midday")

TRS = Actor(id=None, role="allocator")
SURVIVOR_LINKS = ("Leave this site quickly", "Staying safe online", "Check a referral")


class Desk(staff_pages.Desk):
    def page(self, path: str) -> str:
        status, text = self.get(path)
        assert status == 200, path
        return text

    def post(self, path: str, **data: Any) -> tuple[int, str]:
        response = self.send(path, **data)
        return response.status_code, response.headers.get("Location", "")


def desk(app: Flask, db: Session, role: Role, **fields: Any) -> Desk:
    client, _ = signed_in(app, db, role, **fields)
    return Desk(client)


class Landmarks(HTMLParser):
    """Which landmarks (and labels) hold each piece of text on a page."""

    VOID = frozenset({"input", "br", "img", "meta", "link", "hr", "source", "col", "area", "wbr"})
    LANDMARKS = frozenset({"header", "nav", "main", "footer", "aside", "section", "form"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, str]] = []
        self.found: list[tuple[str, list[tuple[str, str]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.open.append((tag, dict(attrs).get("aria-label") or ""))

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            if self.open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if data.strip():
            held = [(t, label) for t, label in self.open if t in self.LANDMARKS]
            self.found.append((data.strip(), held))

    @classmethod
    def holding(cls, page: str, text: str) -> list[tuple[str, str]]:
        reader = cls()
        reader.feed(page)
        for data, held in reader.found:
            if data == text:
                return held
        raise AssertionError(f"{text!r} is not on the page")


def section_links(page: str) -> list[tuple[str, str | None]]:
    """The service navigation's links: text, and aria-current where set."""
    nav = page[page.index('<nav aria-label="Sections"') :]
    nav = nav[: nav.index("</nav>")]
    found = []
    for attrs, inner in re.findall(
        r"<a class=\"govuk-service-navigation__link\"([^>]*)>(.*?)</a>", nav, re.S
    ):
        current = re.search(r'aria-current="(\w+)"', attrs)
        found.append((re.sub(r"<[^>]+>", "", inner).strip(), current.group(1) if current else None))
    return found


# -- the service navigation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "sections"),
    [
        (Role.ALLOCATOR, ["Home", "Triage queue", "Plan", "Consultation", "Joint meeting"]),
        (Role.PROVIDER_STAFF, ["Home", "Cases", "Capacity", "Returns", "Feedback", "Joint meeting"]),
        (Role.COMMISSIONER, ["Home", "Joint KPIs", "Targets", "Feedback", "Joint meeting"]),
        (
            Role.ADMIN,
            [
                "Home",
                "Staff accounts",
                "Providers",
                "Specialisms",
                "KPI definitions",
                "Outcome measures",
                "Retention",
            ],
        ),
    ],
)
def test_each_role_sees_its_own_sections_on_its_home_page(
    app: Flask, db_session: Session, role: Role, sections: list[str]
) -> None:
    fields = {"provider_id": factories.provider(db_session).id} if role is Role.PROVIDER_STAFF else {}
    page = desk(app, db_session, role, **fields).page("/staff")
    assert section_links(page) == [(s, "page" if s == "Home" else None) for s in sections]
    for link in re.findall(r'class="govuk-service-navigation__link" href="([^"]+)"', page):
        assert desk(app, db_session, role, **fields).get(link)[0] == 200, f"{role.value}: {link}"


def test_the_section_of_the_page_is_marked_and_the_longest_match_wins(
    app: Flask, db_session: Session
) -> None:
    trs = desk(app, db_session, Role.ALLOCATOR)
    referral = factories.referral(db_session)
    db_session.commit()
    consultation, meeting = ("Consultation", None), ("Joint meeting", None)
    assert section_links(trs.page("/triage")) == [
        ("Home", None),
        ("Triage queue", "page"),
        ("Plan", None),
        consultation,
        meeting,
    ]
    assert section_links(trs.page("/triage/plan")) == [
        ("Home", None),
        ("Triage queue", None),
        ("Plan", "page"),
        consultation,
        meeting,
    ]
    on_referral = section_links(trs.page(f"/triage/referrals/{referral.id}"))
    assert on_referral == [("Home", None), ("Triage queue", "true"), ("Plan", None), consultation, meeting]
    assert section_links(trs.page("/triage/consultation"))[-2] == ("Consultation", "page")
    # A page of no section (the account's own) marks none.
    assert all(current is None for _, current in section_links(trs.page("/account/password")))


def test_a_page_deeper_in_a_section_marks_it_and_sections_match_by_whole_parts_of_the_address() -> None:
    found = navigation.items(Role.ADMIN, "/admin/providers/3")
    assert [(i["text"], i["active"], i["current"]) for i in found] == [
        ("Home", False, False),
        ("Staff accounts", False, False),
        ("Providers", True, False),
        ("Specialisms", False, False),
        ("KPI definitions", False, False),
        ("Outcome measures", False, False),
        ("Retention", False, False),
    ]
    # "/admin/kpi" does not hold "/admin/kpis".
    assert not any(i["active"] or i["current"] for i in navigation.items(Role.ADMIN, "/admin/kpis"))


def test_signing_out_and_the_account_links_sit_in_the_account_landmark_and_the_footer_is_for_staff(
    app: Flask, db_session: Session, client: Any
) -> None:
    page = desk(app, db_session, Role.COMMISSIONER, display_name="Cam Commissioner").page("/commissioner/kpi")
    for text in ("Sign out", "Change your password", "Signed in somewhere else?", "Cam Commissioner"):
        assert ("nav", "Account") in Landmarks.holding(page, text), text
    footer = page[page.index('<footer class="govuk-footer">') :]
    assert not any(link in footer for link in SURVIVOR_LINKS)
    assert "govuk-exit-this-page" not in page
    # The public pages keep theirs.
    public = html.unescape(client.get("/").get_data(as_text=True))
    assert all(link in public for link in SURVIVOR_LINKS)


def test_a_back_link_is_inside_a_landmark_on_public_and_staff_pages(
    app: Flask, db_session: Session, client: Any
) -> None:
    public = html.unescape(client.get("/self-refer").get_data(as_text=True))
    assert ("nav", "Back") in Landmarks.holding(public, "Back")
    provider = factories.provider(db_session)
    offer = offered(db_session, provider)
    page = desk(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id).page(
        f"/provider/cases/{offer.id}"
    )
    assert ("main", "") in Landmarks.holding(page, "Back to your cases")


def test_an_account_that_must_choose_a_password_is_shown_no_sections(app: Flask, db_session: Session) -> None:
    client, _ = signed_in(app, db_session, Role.ALLOCATOR, must_change_password=True)
    page = html.unescape(client.get("/account/password").get_data(as_text=True))
    assert "govuk-service-navigation__link" not in page.split("Post-abuse support referrals", 2)[-1][:2000]
    assert 'aria-label="Sections"' not in page


# -- the triage team's home --------------------------------------------------------------------------


def arrived(db: Session, day: date, **fields: Any) -> Referral:
    referral = factories.referral(db, **fields)
    referral.created_at = datetime.combine(day, time(0, 30), LOCAL_TIME).astimezone(UTC)
    return referral


def test_one_rule_for_overdue_the_queue_tags_and_the_count_agree_on_every_day(db_session: Session) -> None:
    """Each arrival day of the last four weeks (bank holidays, weekends, half past midnight UK time): the
    count's moment and the queue's tag say the same, and both say "more than 5 working days"."""
    now = datetime(2026, 12, 31, 12, tzinfo=UTC)  # after Christmas: two bank holidays in the window
    today = now.date()
    days = [today - timedelta(days=n) for n in range(28)]
    made = {arrived(db_session, day).id: day for day in days}
    db_session.flush()
    rows = triage.queue(db_session, triage.Filters(), 1, 5, now).rows
    tagged = {row.referral.id for row in rows if row.overdue}
    expected = {rid for rid, day in made.items() if working_days_between(day, today) > 5}
    assert tagged == expected and 0 < len(expected) < len(made)
    assert triage.counts(db_session, 5, now).overdue == len(expected)
    filtered = triage.queue(
        db_session, triage.Filters(arrived_before=triage.overdue_before(now, 5)), 1, 5, now
    )
    assert {row.referral.id for row in filtered.rows} == expected


def test_the_triage_home_counts_the_queue_and_links_to_each_part(app: Flask, db_session: Session) -> None:
    long_ago, yesterday = date(2026, 10, 1), date(2026, 11, 2)
    late = arrived(db_session, long_ago)
    fresh = arrived(db_session, yesterday)
    back = arrived(db_session, yesterday, status=ReferralStatus.DECLINED_BY_PROVIDER)
    arrived(db_session, long_ago, status=ReferralStatus.INFO_REQUESTED)
    arrived(db_session, long_ago, status=ReferralStatus.ALLOCATED)  # with a provider: not counted
    db_session.commit()
    trs = desk(app, db_session, Role.ALLOCATOR)
    page = trs.page("/staff")
    counts = dict(re.findall(r'href="(/triage[^"]*)"><span[^>]*>(\d+)</span>', page))
    assert counts == {
        "/triage": "3",
        "/triage?overdue=yes": "1",
        "/triage?returned=yes": "1",
        "/triage?info_requested=yes": "1",
    }
    assert "3 referrals waiting for a provider" in re.sub(r"<[^>]+>", "", page)
    overdue = trs.page("/triage?overdue=yes")
    assert str(late.id) in overdue and str(fresh.id) not in overdue and str(back.id) not in overdue
    assert 'id="overdue" name="overdue" type="checkbox" value="yes" checked' in overdue
    assert "1 referral is waiting for a provider and overdue." in overdue
    assert "3 referrals are waiting for a provider." in trs.page("/triage")


def test_each_providers_space_is_drawn_and_said_in_words(app: Flask, db_session: Session) -> None:
    roomy = factories.provider(db_session, name="Roomy", new_starts=10, max_active=20)
    factories.provider(db_session, name="Unlimited", new_starts=None, max_active=None)
    full = factories.provider(db_session, name="Full Up", new_starts=1, max_active=5)
    db_session.commit()
    for _ in range(3):
        offered(db_session, roomy)
    offered(db_session, full)
    page = desk(app, db_session, Role.ALLOCATOR).page("/staff")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Roomy Cases held 3 of 20 New starts this quarter 3 of 10" in text
    assert "Unlimited Cases held 0 (no limit set) New starts this quarter 0 (no limit set)" in text
    assert "Full Up Cases held 1 of 5 New starts this quarter 1 of 1 (full)" in text
    # The bar is drawn to scale and hidden from screen readers, who read the words beside it.
    assert '<rect class="hub-space__fill" width="15" height="10"/>' in page
    assert '<rect class="hub-space__fill hub-space__fill--full" width="100" height="10"/>' in page
    # The content security policy refuses inline styles, so a bar drawn with one would show empty.
    assert "style=" not in page


# -- a provider's home ---------------------------------------------------------------------------------


def offered(db: Session, provider: Provider, **fields: Any) -> Allocation:
    referral = factories.referral(db, **fields)
    db.commit()
    return allocate(db, referral.id, provider.id, TRS, reason="Chosen by the test.")


def test_a_providers_home_lists_offers_and_cases_without_first_contact_of_its_own_only(
    app: Flask, db_session: Session, midday: Any
) -> None:
    mine = factories.provider(db_session, name="Harbour")
    other = factories.provider(db_session, name="Elsewhere")
    db_session.commit()
    old_offer = offered(db_session, mine)
    midday.shift(timedelta(days=6))  # the following Monday: four working days on
    new_offer = offered(db_session, mine)
    to_contact = offered(db_session, mine)
    theirs = offered(db_session, other)
    who = Actor(id=None, role="provider_staff")
    cases.accept(db_session, to_contact.id, mine.id, who)
    contacted = offered(db_session, mine, safe_contact=SafeContact(methods=(ContactMethod.EMAIL,)))
    cases.accept(db_session, contacted.id, mine.id, who)
    cases.record_first_contact(
        db_session, contacted.id, mine.id, who, MIDDAY.date() + timedelta(days=6), "email"
    )
    page = desk(app, db_session, Role.PROVIDER_STAFF, provider_id=mine.id).page("/staff")
    offers = page[
        page.index("Offers waiting for your decision") : page.index("Cases without a first contact")
    ]
    assert offers.index(old_offer.referral.reference) < offers.index(new_offer.referral.reference)
    assert f'href="/provider/cases/{old_offer.id}"' in offers and "waiting 4 working days" in offers
    assert "waiting less than a working day" in offers
    waiting = page[page.index("Cases without a first contact") : page.index("Your quarterly return")]
    assert f'href="/provider/cases/{to_contact.id}#first-contact"' in waiting
    assert contacted.referral.reference not in page
    assert theirs.referral.reference not in page
    assert "Your return for July to September 2026 (Q2 2026/27): <strong>Not started</strong>" in page
    assert 'href="/kpi/returns/2026/3"' in page


def test_a_providers_home_with_nothing_to_do_says_so(app: Flask, db_session: Session) -> None:
    provider = factories.provider(db_session)
    page = desk(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id).page("/staff")
    assert "No offers are waiting for your decision." in page
    assert "Every accepted case has a first contact recorded." in page


# -- a commissioner's and an administrator's home ------------------------------------------------------


def test_the_commissioners_home_shows_the_quarters_figures_and_who_has_not_submitted(
    app: Flask, db_session: Session
) -> None:
    from .test_kpi_joint import PROVIDER, supporting

    harbour = factories.provider(db_session, name="Harbour")
    factories.provider(db_session, name="Lighthouse")
    drafting = factories.provider(db_session, name="Drafting")
    db_session.commit()
    quarter = Quarter(2026, 3)
    figures = supporting(db_session, harbour, quarter, 40)
    assert not returns.save(db_session, harbour.id, quarter, figures, {}, PROVIDER, submit=True).errors
    returns.save(db_session, drafting.id, quarter, {"people_supported": "9999"}, {}, PROVIDER)
    client, user = signed_in(app, db_session, Role.COMMISSIONER)
    page = html.unescape(client.get("/staff").get_data(as_text=True))
    assert "Returns for July to September 2026" in page and "1 of 3 providers has submitted." in page
    missing = page[page.index("Not submitted yet:") : page.index("</ul>", page.index("Not submitted yet:"))]
    assert "Lighthouse" in missing and "Drafting" in missing and "Harbour" not in missing
    assert re.search(r"People supported</dt>\s*<dd[^>]*>40</dd>", page)  # the draft's 9999 is not counted
    assert "9999" not in page
    said = re.sub(r"\s+", " ", page)
    assert "Added up from the 1 provider that has submitted, so not yet the whole quarter" in said
    assert said.index("not yet the whole quarter") < said.index("People supported")
    viewed = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "kpi.joint_viewed")).all()
    assert [(e.object_id, e.actor) for e in viewed] == [("20263", str(user.id))]


def test_the_administrators_home_counts_locked_accounts_and_waiting_temporary_passwords(
    app: Flask, db_session: Session
) -> None:
    now = MIDDAY
    factories.staff_user(db_session, locked_until=now + timedelta(minutes=10))
    factories.staff_user(db_session, locked_until=now - timedelta(minutes=10))  # the lock has passed
    factories.staff_user(db_session, locked_until=now + timedelta(minutes=10), disabled=True)
    factories.staff_user(db_session, must_change_password=True, password_expires_at=now + timedelta(days=1))
    factories.staff_user(db_session, must_change_password=True, password_expires_at=now + timedelta(days=2))
    factories.staff_user(db_session, must_change_password=True, password_expires_at=now - timedelta(days=1))
    long_ago = now - timedelta(days=120)
    factories.staff_user(db_session, created_at=long_ago)  # never signed in
    factories.staff_user(db_session, created_at=long_ago, last_sign_in_at=now - timedelta(days=91))
    factories.staff_user(db_session, created_at=long_ago, last_sign_in_at=now - timedelta(days=10))
    factories.staff_user(db_session, created_at=long_ago, disabled=True)
    page = desk(app, db_session, Role.ADMIN).page("/staff")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "2 accounts have not been used to sign in for 90 days" in text
    assert 'href="/admin/users/inactive"' in page
    assert "1 account is locked after failed sign-ins" in text
    assert "2 temporary passwords are waiting to be used" in text
    assert "1 temporary password ran out before it was used" in text
    pages = page[page.index("Your pages") :]
    assert 'href="/admin/users"' in pages and 'href="/admin/kpi"' in pages


def test_the_home_page_keeps_signing_out_everywhere(app: Flask, db_session: Session) -> None:
    page = desk(app, db_session, Role.ALLOCATOR).page("/staff")
    assert 'id="signed-in-elsewhere"' in page and 'action="/logout/everywhere"' in page


# -- landing where the work goes on ----------------------------------------------------------------------


def test_accepting_lands_on_the_case_and_declining_on_the_list(app: Flask, db_session: Session) -> None:
    provider = factories.provider(db_session, name="Harbour")
    db_session.commit()
    accepted, declined = offered(db_session, provider), offered(db_session, provider)
    worker = desk(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)
    assert worker.post(f"/provider/cases/{accepted.id}/accept") == (303, f"/provider/cases/{accepted.id}")
    page = worker.page(f"/provider/cases/{accepted.id}")
    assert f"You have accepted {accepted.referral.reference}." in page and "Record first contact" in page
    landed = worker.post(
        f"/provider/cases/{declined.id}/decline", **{"decline-reason": "no_capacity", "decline-note": ""}
    )
    assert landed == (303, "/provider/cases")
    assert f"You have declined {declined.referral.reference}." in worker.page("/provider/cases")


def test_triage_moves_land_where_the_work_goes_on(app: Flask, db_session: Session) -> None:
    provider = factories.provider(db_session, name="Harbour")
    referral = factories.referral(db_session)
    db_session.commit()
    trs = desk(app, db_session, Role.ALLOCATOR)
    base = f"/triage/referrals/{referral.id}"
    asked = trs.post(f"{base}/request-information", **{"request-information-note": "Ask about risks."})
    assert asked == (303, "/triage")
    assert "is waiting for more information" in trs.page("/triage")
    received = trs.post(f"{base}/information-received", **{"information-received-note": "Called."})
    assert received == (303, base)
    assert f"{referral.reference} is back in the queue." in trs.page(base)
    assert trs.post(f"{base}/allocate", provider=str(provider.id), reason="") == (303, "/triage")
    assert f"{referral.reference} is allocated to Harbour." in trs.page("/triage")


def test_a_declines_reason_is_at_the_top_of_the_referral_before_its_answers(
    app: Flask, db_session: Session
) -> None:
    first = factories.provider(db_session, name="Harbour")
    second = factories.provider(db_session, name="Lighthouse")
    db_session.commit()
    who = Actor(id=None, role="provider_staff")
    offer = offered(db_session, first)
    referral_id = offer.referral_id
    cases.decline(db_session, offer.id, first.id, who, DeclineReason.OTHER, "We closed our waiting list.")
    again = allocate(db_session, referral_id, second.id, TRS, reason="Trying another.")
    note = "Full until March.\n<b>Ask</b> again in April."
    cases.decline(db_session, again.id, second.id, who, DeclineReason.NO_CAPACITY, note)
    trs = desk(app, db_session, Role.ALLOCATOR)
    page = trs.page(f"/triage/referrals/{referral_id}")
    headline = "Declined by Lighthouse on 3 November 2026: We have no space now"
    assert headline in page
    raw = trs.client.get(f"/triage/referrals/{referral_id}").get_data(as_text=True)
    assert "Note from Lighthouse: Full until March.<br>&lt;b&gt;Ask&lt;/b&gt; again in April." in raw
    assert page.index(headline) < page.index("Contacting them safely") < page.rindex("Full until March.")
    assert "Declined by Harbour" not in page[: page.index("Contacting them safely")]
    # Once offered again, the banner goes: the timeline keeps the story.
    allocate(db_session, referral_id, first.id, TRS, reason="Space again.")
    assert "Returned by a provider" not in trs.page(f"/triage/referrals/{referral_id}")


def test_every_staff_page_carries_the_navigation_and_no_survivor_links(
    app: Flask, db_session: Session
) -> None:
    provider = factories.provider(db_session)
    offer = offered(db_session, provider)
    pages = {
        Role.ALLOCATOR: ["/staff", "/triage", "/triage/plan", f"/triage/referrals/{offer.referral_id}"],
        Role.PROVIDER_STAFF: [
            "/staff",
            "/provider/cases",
            f"/provider/cases/{offer.id}",
            "/kpi/returns",
            "/provider/feedback",
        ],
        Role.COMMISSIONER: ["/staff", "/commissioner/kpi", "/commissioner/feedback"],
        Role.ADMIN: ["/staff", "/admin/users", "/admin/kpi", "/admin/users/new", "/account/password"],
    }
    for role, paths in pages.items():
        fields = {"provider_id": provider.id} if role is Role.PROVIDER_STAFF else {}
        worker = desk(app, db_session, role, **fields)
        for path in paths:
            page = worker.page(path)
            assert 'aria-label="Sections"' in page and 'aria-label="Account"' in page, path
            assert not any(link in page for link in SURVIVOR_LINKS), path


def test_a_refusal_or_a_missing_page_keeps_staff_in_their_own_pages(
    app: Flask, db_session: Session, client: Any
) -> None:
    provider = desk(app, db_session, Role.PROVIDER_STAFF, provider_id=factories.provider(db_session).id)
    for path, status in (("/triage", 403), ("/admin/users", 403), ("/provider/no-such-page", 404)):
        got, page = provider.get(path)
        assert got == status, path
        assert not any(link in page for link in SURVIVOR_LINKS), path
        assert 'aria-label="Sections"' in page and 'href="/staff">Go to your home page' in page, path
    # Someone not signed in still gets the public page, with its quick exit.
    missing = client.get("/provider/no-such-page")
    assert missing.status_code == 404
    assert all(link in missing.get_data(as_text=True) for link in SURVIVOR_LINKS)
