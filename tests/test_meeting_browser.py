"""The joint meeting in a real browser, checked with axe-core: a commissioner shares the last quarter,
keeps its record (a mistake first, shown kindly), adds an action, and opens the pack, which prints
without the pages' navigation."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from hub.calendar import Quarter
from tests.live_hub import LiveHub
from tests.test_browser import browser, new_visit, playwright, sections, sign_in  # noqa: F401


def test_a_commissioner_shares_a_quarter_keeps_its_record_and_prints_the_pack(
    browser: Browser,  # noqa: F811
    live_hub: LiveHub,
) -> None:
    last = Quarter.last_ended()
    visit = new_visit(browser)
    page = visit.page
    sign_in(visit, live_hub, "commissioner@demo.invalid")

    visit.follow(sections(page).get_by_role("link", name="Joint meeting"))
    expect(page.get_by_role("heading", name="Joint meeting", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=last.previous().label, exact=True)).to_be_visible()  # the demo's
    visit.axe()

    page.goto(f"{live_hub.url}/commissioner/kpi?quarter={last.key}")
    visit.follow(page.get_by_role("button", name=f"Share {last.label} for the meeting"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("is shared for the meeting")
    visit.follow(page.get_by_role("link", name="record of the meeting"))
    expect(page.get_by_role("heading", name=f"Record of the meeting, {last.label}")).to_be_visible()
    expect(page.get_by_text(f"Carried from the meeting about {last.previous().label}")).to_be_visible()
    visit.axe()

    visit.follow(page.get_by_role("link", name="Change the date, who attended or the notes"))
    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("1")
    page.get_by_label("Year").fill("2000")
    page.get_by_label("Trauma and Resilience Service (TRS)").check()
    page.get_by_label("Notes (optional)").fill("Waits are down.")
    visit.follow(page.get_by_role("button", name="Save the record"))
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.get_by_role("link", name=re.compile("must be after the quarter ended"))).to_be_visible()
    expect(page.get_by_label("Notes (optional)")).to_have_value("Waits are down.")
    expect(page.get_by_label("Trauma and Resilience Service (TRS)")).to_be_checked()
    visit.axe()
    held = last.next().first_day
    page.get_by_label("Day").fill(str(held.day))
    page.get_by_label("Month").fill(str(held.month))
    page.get_by_label("Year").fill(str(held.year))
    visit.follow(page.get_by_role("button", name="Save the record"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("is saved")

    visit.follow(page.get_by_role("link", name="Add an action"))
    page.get_by_label("What is to be done").fill("Publish the quarter's report.")
    page.get_by_label("Commissioners").check()
    page.get_by_label("Day").fill("29")
    page.get_by_label("Month").fill("1")
    page.get_by_label("Year").fill(str(held.year + 1))
    visit.axe()
    visit.follow(page.get_by_role("button", name="Add the action"))
    expect(page.get_by_role("cell", name="Publish the quarter's report.", exact=True)).to_be_visible()

    visit.follow(page.get_by_role("link", name="Pack to print"))
    expect(page.get_by_role("heading", name="Headline figures against targets")).to_be_visible()
    expect(page.get_by_role("link", name="download the pack as a PDF")).to_be_visible()
    visit.axe()
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Sections")).to_be_hidden()
    expect(page.get_by_role("link", name="download the pack as a PDF")).to_be_hidden()
    expect(page.get_by_text("Not for publication: small numbers are not hidden.")).to_be_visible()
    expect(page.get_by_role("heading", name="Headline figures against targets")).to_be_visible()
    expect(page.get_by_role("cell", name="Publish the quarter's report.", exact=True)).to_be_visible()
    assert not visit.problems, "\n".join(visit.problems)
