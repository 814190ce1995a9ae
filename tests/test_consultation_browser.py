"""``/take-part`` in a real browser: with JavaScript on (checked with axe-core) and off, a mistake is
shown kindly with what was typed kept, and the thank-you page says what happens next."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.live_hub import LiveHub
from tests.test_browser import browser, new_visit, playwright  # noqa: F401  (the browser fixtures)


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript-on", "javascript-off"])
def test_a_person_offers_to_help_shape_the_service(
    browser: Browser,  # noqa: F811
    live_hub: LiveHub,
    javascript: bool,
) -> None:
    visit = new_visit(browser, javascript=javascript)
    page = visit.page
    page.goto(live_hub.url + "/take-part")
    expect(page.get_by_role("heading", name="Help shape this service")).to_be_visible()
    expect(page.get_by_text("not joined to any feedback you gave or to any referral")).to_be_visible()
    visit.axe()
    page.get_by_label("What name should we use?").fill("Sam")
    page.get_by_label("Email", exact=True).check()
    page.get_by_label("When is it safe to contact you? (optional)").fill("After 6pm")
    visit.follow(page.get_by_role("button", name="Send"))
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.get_by_role("link", name="Enter an email address, or choose another way")).to_be_visible()
    expect(page.get_by_label("What name should we use?")).to_have_value("Sam")
    expect(page.get_by_label("When is it safe to contact you? (optional)")).to_have_value("After 6pm")
    visit.axe()
    page.get_by_label("Email address (for email)").fill("sam@example.org")
    visit.follow(page.get_by_role("button", name="Send"))
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(page.get_by_role("heading", name="If you change your mind")).to_be_visible()
    visit.axe()
    assert not visit.problems, "\n".join(visit.problems)
