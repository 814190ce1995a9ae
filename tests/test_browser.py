"""The public journeys in a real browser: Debian's Chromium driven by Playwright, with axe-core on every page.

Each test has a hub of its own (tests/live_hub.py): a copy of the demo hub, served in a separate process
on a loopback port, so no test depends on what another did or on the order they run in. Every click that
loads a page waits for that page before anything is checked on it, and every wait is generous, so a
busy machine is slower but never fails.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Locator,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from tests.live_hub import LiveHub

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 120_000
"""How long any one step may take before the test fails: generous, as the machine may be busy."""


def chromium_path() -> str:
    found = os.environ.get("HUB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail(
            "Chromium was not found: install it with `apt-get install chromium`, or set HUB_CHROMIUM."
        )
    return found


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as running:
        yield running
    expect.set_options(timeout=5_000)


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, timeout=WAIT_MS)
    yield browser
    browser.close()


class Visit:
    """A browser tab that runs axe-core on every page it reaches and records what it found."""

    def __init__(self, page: Page, check_accessibility: bool = True) -> None:
        self.page = page
        self.check_accessibility = check_accessibility
        self.problems: list[str] = []
        self.pages_checked: list[str] = []
        # The browser's own errors, for example something the content security policy refused.
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        # A page a test opens on purpose may answer 403 or 404; what matters here is what a page does.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"{self.page.url}: the browser said: {message.text}")

    def axe(self) -> None:
        if not self.check_accessibility:
            return
        self.page.evaluate(AXE.read_text())
        result = self.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        for violation in result["violations"]:
            if violation["impact"] in {"serious", "critical"}:
                nodes = ", ".join(str(n["target"]) for n in violation["nodes"][:3])
                self.problems.append(f"{self.page.url}: {violation['id']} ({violation['impact']}) at {nodes}")
        self.pages_checked.append(self.page.url)

    def follow(self, target: Locator) -> None:
        """Click a link or button that loads a page, and wait until that page has loaded."""
        with self.page.expect_navigation():
            target.click()

    def continue_(self, label: str = "Continue") -> None:
        self.follow(self.page.get_by_role("button", name=label))
        self.axe()


def new_visit(browser: Browser, *, javascript: bool = True) -> Visit:
    context = browser.new_context(java_script_enabled=javascript)
    context.set_default_timeout(WAIT_MS)
    return Visit(context.new_page(), check_accessibility=javascript)


def test_a_professional_refers_someone_end_to_end(browser: Browser, live_hub: LiveHub) -> None:
    visit = new_visit(browser)
    page = visit.page
    page.goto(live_hub.url + "/")
    visit.axe()
    visit.follow(page.get_by_role("button", name="Make a referral"))
    visit.axe()
    visit.follow(page.get_by_role("button", name="Start now"))
    visit.axe()

    visit.continue_()  # nothing typed: every error is summarised and linked
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name="Enter your full name")).to_have_attribute(
        "href", "#referrer_name"
    )
    page.get_by_label("Your full name").fill("Avery Browser-Test")
    page.get_by_label("Your job title or role").fill("Social worker")
    page.get_by_label("Your organisation").fill("Example Adult Services")
    page.get_by_label("Adult social care").check()
    page.get_by_label("Your work email address").fill("avery.browser@example.gov.uk")
    visit.continue_()

    page.get_by_label("They agree to be referred to this service").check()
    page.get_by_label("They agree to their details being shared").check()
    visit.continue_()

    page.get_by_label("Their full name").fill("Morgan Browser-Test")
    page.get_by_label("Day").fill("5")
    page.get_by_label("Month").fill("6")
    page.get_by_label("Year").fill("1990")
    page.get_by_label("Their phone number (optional)").fill("07700 900789")
    visit.continue_()

    page.get_by_label("Counselling", exact=True).check()
    page.get_by_label("No preference").check()
    visit.continue_()
    page.get_by_label("No", exact=True).check()
    visit.continue_()
    page.locator("#interpreter").check()
    page.locator("#bsl-2").check()
    visit.continue_()
    page.get_by_label("Phone call").check()
    page.locator("#voicemail-2").check()
    page.locator("#say_who-2").check()
    visit.continue_()

    expect(page.get_by_role("heading", name="Check your answers before sending")).to_be_visible()
    expect(page.get_by_text("Morgan Browser-Test")).to_be_visible()
    visit.continue_("Send")
    expect(page.get_by_role("heading", name="Referral sent")).to_be_visible()
    expect(page.locator(".govuk-panel")).to_contain_text("PAS-")
    assert not visit.problems, "\n".join(visit.problems)
    assert len(visit.pages_checked) >= 12


def test_a_survivor_refers_themselves_with_javascript_turned_off(browser: Browser, live_hub: LiveHub) -> None:
    visit = new_visit(browser, javascript=False)
    page = visit.page
    page.goto(live_hub.url + "/self-refer")
    visit.follow(page.get_by_role("button", name="Start now"))
    page.get_by_label("What would you like us to call you?").fill("Sky")
    visit.continue_()
    page.get_by_label("Text message").check()
    visit.continue_()  # a text needs a phone number
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a phone number")
    expect(page.get_by_label("Text message")).to_be_checked()
    page.get_by_label("Phone number").fill("07700 900321")
    visit.continue_()
    page.get_by_label("Help me choose").check()
    visit.continue_()
    visit.continue_()
    expect(page.get_by_text("07700 900321")).to_be_visible()
    visit.continue_("Send")
    expect(page.get_by_role("heading", name="Request sent")).to_be_visible()
    code = page.locator("#status-code").inner_text()
    reference = page.locator(".govuk-panel .hub-code").inner_text()

    page.goto(live_hub.url + "/status")
    page.get_by_label("Reference").fill(reference)
    page.get_by_label("Secret code, or your work email address").fill(code)
    visit.follow(page.get_by_role("button", name="Check"))
    expect(page.get_by_text("Received")).to_be_visible()


def test_exit_this_page_button_leaves_and_forgets(
    browser: Browser, live_hub: LiveHub, neutral_site: str
) -> None:
    visit = new_visit(browser)
    page = visit.page
    page.goto(live_hub.url + "/self-refer/about")
    page.get_by_label("What would you like us to call you?").fill("Left Quickly")
    visit.continue_()
    page.get_by_role("button", name="Exit this page").click()
    page.wait_for_url(neutral_site)
    expect(page.get_by_role("heading", name="Weather today")).to_be_visible()
    page.goto(live_hub.url + "/self-refer/check")
    expect(page.get_by_role("heading", name="There is nothing to send")).to_be_visible()


def test_pressing_shift_three_times_leaves(browser: Browser, live_hub: LiveHub, neutral_site: str) -> None:
    page = new_visit(browser).page
    page.clock.install()
    page.goto(live_hub.url + "/")
    page.wait_for_selector(".govuk-exit-this-page__button")
    page.wait_for_function("document.body.classList.contains('govuk-frontend-supported')")
    # The three presses count only within 5 seconds of each other: stop the page's clock, so a slow
    # machine cannot spread them further apart than a person's quick presses.
    page.clock.pause_at(time.time() + 1)
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url(neutral_site)
    expect(page.get_by_role("heading", name="Weather today")).to_be_visible()


def tab_to(page: Page, element_id: str, limit: int = 80) -> None:
    """Press Tab until the element has focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} cannot be reached with the Tab key")


def tab_to_button(page: Page, text: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.textContent.trim()") == text:
            return
    raise AssertionError(f"the {text!r} button cannot be reached with the Tab key")


def continue_with_keys(visit: Visit, button: str, next_page: str) -> None:
    tab_to_button(visit.page, button)
    with visit.page.expect_navigation():
        visit.page.keyboard.press("Enter")
    expect(visit.page).to_have_url(re.compile(f"/self-refer/{next_page}$"))
    visit.axe()


def test_a_survivor_can_refer_themselves_with_the_keyboard_only(browser: Browser, live_hub: LiveHub) -> None:
    visit = new_visit(browser)
    page = visit.page
    page.goto(live_hub.url + "/self-refer/about")
    visit.axe()
    tab_to(page, "preferred_name")
    page.keyboard.type("Keys")
    continue_with_keys(visit, "Continue", "contact")
    tab_to(page, "methods-3")  # Email
    page.keyboard.press("Space")
    tab_to(page, "email")
    page.keyboard.type("keys@example.org")
    continue_with_keys(visit, "Continue", "provider")
    tab_to(page, "provider")
    page.keyboard.press("Space")
    continue_with_keys(visit, "Continue", "support")
    continue_with_keys(visit, "Continue", "check")
    tab_to_button(page, "Send")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Request sent")).to_be_visible()
    visit.axe()
    assert not visit.problems, "\n".join(visit.problems)


def test_the_public_pages_have_no_serious_accessibility_problems(browser: Browser, live_hub: LiveHub) -> None:
    visit = new_visit(browser)
    for path in (
        "/",
        "/safety",
        "/status",
        "/refer",
        "/self-refer",
        "/self-refer/check",
        "/privacy",
        "/privacy/2026-12",
        "/privacy/no-such-version",
        "/no-such-page",
        "/login",
    ):
        visit.page.goto(live_hub.url + path)
        visit.axe()
    assert not visit.problems, "\n".join(visit.problems)


PUBLIC_PAGES = (
    "/",
    "/safety",
    "/status",
    "/refer",
    "/refer/referrer",
    "/refer/consent",
    "/self-refer",
    "/self-refer/about",
    "/self-refer/check",
    "/privacy",
    "/privacy/2026-12",
    "/privacy/no-such-version",
    "/no-such-page",
)


def test_every_public_page_leads_to_the_privacy_notice_which_has_exit_this_page(
    browser: Browser, live_hub: LiveHub, neutral_site: str
) -> None:
    visit = new_visit(browser)
    page = visit.page
    notice = page.get_by_role("heading", name="Privacy notice: how we use your information")
    for path in PUBLIC_PAGES:
        page.goto(live_hub.url + path)
        visit.follow(page.get_by_role("contentinfo").get_by_role("link", name="Privacy notice"))
        expect(page).to_have_url(live_hub.url + "/privacy")
        expect(notice).to_be_visible()
        expect(page.get_by_role("heading", name="Your rights")).to_be_visible()
        expect(page.get_by_role("button", name="Exit this page")).to_be_visible()
    visit.axe()
    # Beside what the person agrees to, the notice opens in a new tab, so nothing typed is lost.
    page.goto(live_hub.url + "/refer/consent")
    page.get_by_label("They agree to be referred to this service").check()
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="privacy notice (opens in new tab)").click()
    tab = Visit(opened.value)
    tab.page.wait_for_load_state()
    expect(tab.page.get_by_role("heading", name="How to complain")).to_be_visible()
    tab.axe()
    expect(page.get_by_label("They agree to be referred to this service")).to_be_checked()
    tab.page.get_by_role("button", name="Exit this page").click()
    tab.page.wait_for_url(neutral_site)
    problems = visit.problems + tab.problems
    assert not problems, "\n".join(problems)


def first_sign_in(visit: Visit, live_hub: LiveHub, email: str) -> None:
    """A demo account's first sign-in: password, then setting up the authenticator, to the recovery codes.

    The code is made by the test's clock and checked by the hub's: the hub also takes the code of the
    time step either side, so a page that takes up to 30 seconds to send it still signs in.
    """
    import pyotp

    page = visit.page
    page.goto(live_hub.url + "/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("textbox", name="Password").fill(live_hub.passwords[email])
    visit.continue_()
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    expect(page.locator(".hub-qr svg")).to_be_visible()
    secret = page.locator("#totp-key").inner_text()
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    visit.continue_()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()


def sections(page: Page) -> Locator:
    """The service navigation: the signed-in role's sections, on every staff page."""
    return page.get_by_role("navigation", name="Sections")


def sign_in(visit: Visit, live_hub: LiveHub, email: str) -> None:
    """A staff account's sign-in, through to its home page: a demo account with the code from the key
    ``seed-demo`` printed (its authenticator is set up), any other as its first sign-in."""
    import pyotp

    page = visit.page
    if email not in live_hub.keys:
        first_sign_in(visit, live_hub, email)
        visit.follow(page.get_by_role("button", name="Continue"))
    else:
        page.goto(live_hub.url + "/login")
        page.get_by_label("Email address").fill(email)
        page.get_by_role("textbox", name="Password").fill(live_hub.passwords[email])
        visit.continue_()
        expect(page.get_by_role("heading", name="Enter your security code")).to_be_visible()
        page.get_by_label("Security code").fill(pyotp.TOTP(live_hub.keys[email]).now())
        visit.follow(page.get_by_role("button", name="Sign in"))
    expect(page.get_by_role("heading", name=re.compile("Hello, "))).to_be_visible()


def test_a_member_of_staff_signs_in_and_sets_up_the_authenticator(
    browser: Browser, live_hub: LiveHub
) -> None:

    # A new account (the demo's own have their authenticators set up already).
    new_account(live_hub, "new.allocator@demo.invalid", "Demo New Allocator", "allocator")
    visit = new_visit(browser)
    page = visit.page
    first_sign_in(visit, live_hub, "new.allocator@demo.invalid")
    assert len(re.findall(r"[0-9A-Z]{5}-[0-9A-Z]{5}", page.locator("#recovery-codes").inner_text())) == 10
    visit.follow(page.get_by_role("button", name="Continue"))
    expect(page.get_by_role("heading", name=re.compile("Hello, Demo"))).to_be_visible()
    visit.axe()

    # The allocator's pages: the queue, a referral with its recommendation, allocating, the plan.
    visit.follow(sections(page).get_by_role("link", name="Triage queue"))
    expect(page.get_by_role("heading", name="Triage queue")).to_be_visible()
    visit.axe()
    visit.follow(page.locator("table a").first)
    expect(page.get_by_role("heading", name="Contacting them safely")).to_be_visible()
    visit.axe()
    page.get_by_text("Ask for more information").first.click()  # opens the details: checked open as well
    visit.axe()
    visit.continue_("Allocate")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("is allocated to")
    visit.follow(page.get_by_role("link", name="Propose a plan for the whole queue"))
    expect(page.get_by_role("heading", name="Plan for the whole queue")).to_be_visible()
    visit.axe()
    visit.follow(page.get_by_role("navigation", name="Account").get_by_role("button", name="Sign out"))
    expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()
    assert not visit.problems, "\n".join(visit.problems)


def test_provider_staff_work_their_cases(browser: Browser, live_hub: LiveHub) -> None:

    visit = new_visit(browser)
    page = visit.page
    sign_in(visit, live_hub, "rise@demo.invalid")
    visit.follow(sections(page).get_by_role("link", name="Cases"))
    expect(page.get_by_text(re.compile(r"Waiting for your decision \(1\)"))).to_be_visible()
    visit.axe()
    reference = page.locator("table a").first.inner_text()
    visit.follow(page.locator("table a").first)
    expect(page.get_by_role("heading", name="Contacting them safely")).to_be_visible()
    visit.axe()
    visit.continue_("Accept the referral")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("You have accepted")
    expect(page.locator("h1")).to_have_text(reference)  # Accept lands on the case it accepted
    expect(page.get_by_role("heading", name="Record first contact")).to_be_visible()
    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("1")
    page.get_by_label("Year").fill("2030")
    page.locator("#first-contact-channel").check()
    visit.continue_("Record first contact")
    expect(page.locator(".govuk-error-summary")).to_contain_text("must be today or in the past")
    visit.follow(sections(page).get_by_role("link", name="Capacity"))
    expect(page.get_by_role("heading", name="Your capacity")).to_be_visible()
    visit.axe()
    assert not visit.problems, "\n".join(visit.problems)


def test_an_allocator_confirms_only_the_unflagged_lines_of_the_plan(
    browser: Browser, live_hub: LiveHub
) -> None:
    visit = new_visit(browser)
    page = visit.page
    sign_in(visit, live_hub, "allocator@demo.invalid")
    page.goto(live_hub.url + "/triage/plan")
    expect(page.get_by_role("heading", name="Plan for the whole queue")).to_be_visible()
    visit.axe()
    rows = page.locator("#pairs tbody tr")

    flagged = rows.filter(has=page.locator(".govuk-tag", has_text=re.compile("Risk|Returned by a provider")))
    expect(flagged.first).to_be_visible()
    for n in range(flagged.count()):
        expect(flagged.nth(n).locator("input[type=checkbox]")).not_to_be_checked()
    consent = rows.filter(has_text="Consent to share needed")
    expect(consent).to_have_count(1)
    expect(consent.locator("input[type=checkbox]")).to_have_count(0)
    held_back = [flagged.nth(n).get_attribute("data-reference") for n in range(flagged.count())]
    held_back.append(consent.get_attribute("data-reference"))
    ticked = rows.filter(has=page.locator("input[type=checkbox]:checked"))
    going = [ticked.nth(n).get_attribute("data-reference") for n in range(ticked.count())]
    assert going, "the plan ticks at least the demo's referral with nothing to check"
    assert not set(going) & set(held_back)

    visit.follow(page.get_by_role("button", name="Allocate the ticked referrals"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"{len(going)} allocation{'' if len(going) == 1 else 's'} made."
    )
    visit.axe()
    still_waiting = [rows.nth(n).get_attribute("data-reference") for n in range(rows.count())]
    assert set(held_back) <= set(still_waiting) and not set(going) & set(still_waiting)
    assert not visit.problems, "\n".join(visit.problems)


def new_account(live_hub: LiveHub, email: str, name: str, role: str, provider: str | None = None) -> None:
    """A staff account of its own for one test, made as an operator makes one (``create-user``)."""
    password = "consent browser test 42"
    command = ["create-user", "--email", email, "--name", name, "--role", role, "--password", password]
    live_hub.command(*command, *(["--provider", provider] if provider else []))
    live_hub.passwords[email] = password


# The demo referral waiting without consent to share (hub/demo.py, "Demo Person F").
NOT_SHARED = ["Demo Person F", "Lee", "lee@example.org", "11 February 1985", "Demo Referrer"]


def test_a_referral_without_consent_to_share_shows_no_provider_who_the_person_is(
    browser: Browser, live_hub: LiveHub
) -> None:
    new_account(live_hub, "consent.allocator@demo.invalid", "Consent Allocator", "allocator")
    new_account(
        live_hub, "consent.rothacs@demo.invalid", "Consent Rothacs worker", "provider_staff", "rothacs"
    )
    trs, provider = new_visit(browser), new_visit(browser)
    sign_in(trs, live_hub, "consent.allocator@demo.invalid")
    sign_in(provider, live_hub, "consent.rothacs@demo.invalid")

    def provider_sees_nothing_personal(path: str) -> str:
        provider.page.goto(live_hub.url + path)
        provider.axe()
        text = provider.page.locator("main").inner_text()
        for personal in NOT_SHARED:
            assert personal not in text, f"{personal!r} is shown to the provider at {path}"
        return text

    # The queue flags it, and only it, under the filter; its page says why it cannot be allocated.
    page = trs.page
    page.goto(live_hub.url + "/triage")
    page.get_by_label("Consent to share needed").check()
    trs.follow(page.get_by_role("button", name="Apply filters"))
    trs.axe()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Consent to share needed")
    reference = rows.first.locator("a").inner_text()
    trs.follow(rows.first.locator("a"))
    expect(page.locator("h1")).to_have_text(reference)
    referral_url = page.url
    expect(page.locator(".govuk-tag", has_text="Consent to share needed")).to_be_visible()
    expect(page.get_by_role("button", name="Allocate", exact=True)).to_have_count(0)
    trs.axe()
    assert reference not in provider_sees_nothing_personal("/provider/cases")

    # Consent obtained later: recorded (from whom, when, how), then it can be allocated.
    page.locator("#consent-from_whom").fill("Lee, with their referrer")
    page.locator("#consent-on-day").fill("1")
    page.locator("#consent-on-month").fill("1")
    page.locator("#consent-on-year").fill("2026")
    page.locator("#consent-method-2").check()  # by phone
    trs.continue_("Record consent to share")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("It can now be allocated")
    expect(page.locator("#consent ~ dl").last).to_contain_text("Lee, with their referrer")
    page.get_by_label("Rotherham Abuse Counselling Service (Rothacs)").check()
    page.get_by_label(re.compile("Why this provider")).fill("Chosen in the browser test.")
    trs.continue_("Allocate")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(f"{reference} is allocated")

    # With consent the provider sees the case and accepts it.
    provider.page.goto(live_hub.url + "/provider/cases")
    provider.follow(provider.page.get_by_role("link", name=reference))
    expect(provider.page.get_by_text("Demo Person F")).to_be_visible()
    case_path = provider.page.url.removeprefix(live_hub.url)
    provider.continue_("Accept the referral")

    # The person withdraws consent: the referral closes, and the provider sees the reference only.
    page.goto(referral_url)
    page.get_by_text("Record that the person withdrew consent").click()
    page.locator("#consent-withdrawn-on-day").fill("2")
    page.locator("#consent-withdrawn-on-month").fill("1")
    page.locator("#consent-withdrawn-on-year").fill("2026")
    page.locator("#consent-withdrawn-method-3").check()  # in writing
    page.locator("#consent-withdrawn-note").fill("Asked us to close the referral.")
    trs.continue_("Record that consent was withdrawn")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("withdrew consent")
    page.goto(referral_url)
    expect(page.locator(".govuk-tag", has_text="Withdrawn")).to_be_visible()
    trs.axe()

    text = provider_sees_nothing_personal(case_path)
    assert reference in text and "withdrew their consent" in text
    assert "Asked us to close the referral." not in text
    provider_sees_nothing_personal("/provider/cases?group=closed")
    assert not trs.problems and not provider.problems, "\n".join(trs.problems + provider.problems)


# -- each role's home page, sections and main journey -------------------------------------------------


def uk_today() -> tuple[str, str, str]:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo("Europe/London")).date()
    return str(today.day), str(today.month), str(today.year)


def test_the_triage_team_starts_at_home_and_allocates_a_returned_referral(
    browser: Browser, live_hub: LiveHub
) -> None:
    visit = new_visit(browser)
    page = visit.page
    sign_in(visit, live_hub, "allocator@demo.invalid")
    visit.axe()
    expect(page.get_by_role("heading", name="Each provider's space")).to_be_visible()
    expect(page.locator(".hub-space__words").first).to_contain_text(
        re.compile(r"\d+ (of \d+|\(no limit set\))")
    )

    # The count of returned referrals leads to them; the reason is said before the referral's answers.
    visit.follow(page.get_by_role("link", name=re.compile(r"of them returned by a provider")))
    expect(page.get_by_label("Returned by a provider")).to_be_checked()
    visit.axe()
    visit.follow(page.locator("table tbody a").first)
    banner = page.get_by_role("region", name="Returned by a provider")
    expect(banner).to_contain_text("Declined by")
    assert page.evaluate(
        """() => {
            const banner = document.querySelector("#returned-reason");
            const answers = document.querySelector("#safe-contact");
            return !!(banner.compareDocumentPosition(answers) & Node.DOCUMENT_POSITION_FOLLOWING);
        }"""
    )
    expect(sections(page).get_by_role("link", name="Triage queue")).to_have_attribute("aria-current", "true")
    visit.axe()
    page.locator("input[name=provider]").first.check()
    reason = page.get_by_label(re.compile("Why this provider"))
    if reason.count():
        reason.fill("Chosen in the browser test.")
    visit.continue_("Allocate")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        re.compile("is allocated to .+")
    )
    expect(page).to_have_url(re.compile(r"/triage$"))

    visit.follow(sections(page).get_by_role("link", name="Plan"))
    expect(page.get_by_role("heading", name="Plan for the whole queue")).to_be_visible()
    visit.axe()
    visit.follow(sections(page).get_by_role("link", name="Home"))
    expect(page.get_by_role("heading", name=re.compile("Hello, "))).to_be_visible()
    assert not visit.problems, "\n".join(visit.problems)


def test_provider_staff_start_at_home_accept_an_offer_and_record_first_contact(
    browser: Browser, live_hub: LiveHub
) -> None:
    visit = new_visit(browser)
    page = visit.page
    sign_in(visit, live_hub, "rise@demo.invalid")
    visit.axe()
    offers = page.locator("h2:has-text('Offers waiting for your decision') + ul a")
    expect(offers.first).to_be_visible()
    reference = offers.first.inner_text()
    visit.follow(offers.first)
    expect(page.locator("h1")).to_have_text(reference)
    case_url = page.url
    visit.continue_("Accept the referral")
    expect(page).to_have_url(case_url)  # lands on the case, where the work goes on
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"You have accepted {reference}"
    )
    day, month, year = uk_today()
    page.locator("#first-contact-on-day").fill(day)
    page.locator("#first-contact-on-month").fill(month)
    page.locator("#first-contact-on-year").fill(year)
    page.locator("#first-contact-channel").check()
    for question in ("#first-contact-voicemail_left-2", "#first-contact-service_named-2"):
        if page.locator(question).count():
            page.locator(question).check()
    visit.continue_("Record first contact")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"First contact is recorded for {reference}"
    )

    visit.follow(sections(page).get_by_role("link", name="Home"))
    expect(page.locator("main")).not_to_contain_text(reference)  # nothing left to do on it
    visit.follow(sections(page).get_by_role("link", name="Returns"))
    visit.axe()
    assert not visit.problems, "\n".join(visit.problems)


def test_a_commissioner_starts_at_home_and_opens_the_joint_return(
    browser: Browser, live_hub: LiveHub
) -> None:
    visit = new_visit(browser)
    page = visit.page
    sign_in(visit, live_hub, "commissioner@demo.invalid")
    visit.axe()
    expect(page.get_by_role("heading", name=re.compile("^Returns for "))).to_be_visible()
    expect(page.locator("main dl")).to_contain_text("People supported")
    visit.follow(sections(page).get_by_role("link", name="Joint KPIs"))
    expect(sections(page).get_by_role("link", name="Joint KPIs")).to_have_attribute("aria-current", "page")
    visit.axe()
    expect(page.get_by_role("heading", name="Against targets")).to_be_visible()  # the demo's targets
    visit.follow(sections(page).get_by_role("link", name="Targets"))
    visit.axe()
    visit.continue_("Set the target")  # nothing chosen: the error page is checked too
    expect(page).to_have_title(re.compile("^Error: Targets"))
    page.get_by_label("Figure", exact=True).first.select_option("people_supported")
    page.get_by_label("From", exact=True).select_option(index=2)
    page.get_by_label("At least the target").check()
    page.get_by_label("Target", exact=True).fill("80")
    page.get_by_label("Why this matters").fill("The contract grew again.")
    visit.continue_("Set the target")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("at least 80")
    assert not visit.problems, "\n".join(visit.problems)


def test_an_administrator_starts_at_home_and_opens_each_admin_page(
    browser: Browser, live_hub: LiveHub
) -> None:
    visit = new_visit(browser)
    page = visit.page
    sign_in(visit, live_hub, "admin@demo.invalid")
    visit.axe()
    expect(page.locator("main")).to_contain_text("locked after failed sign-ins")
    names = [name.strip() for name in sections(page).get_by_role("link").all_inner_texts()]
    assert names[0] == "Home" and "Staff accounts" in names and "KPI definitions" in names
    for name in names[1:]:
        visit.follow(sections(page).get_by_role("link", name=name, exact=True))
        expect(sections(page).get_by_role("link", name=name, exact=True)).to_have_attribute(
            "aria-current", "page"
        )
        visit.axe()
    visit.follow(sections(page).get_by_role("link", name="Staff accounts"))
    expect(page.get_by_role("heading", name=re.compile("accounts", re.I)).first).to_be_visible()
    assert not visit.problems, "\n".join(visit.problems)


def test_an_administrator_adds_a_provider_that_people_can_choose_and_the_plan_offers(
    browser: Browser, live_hub: LiveHub
) -> None:
    admin = new_visit(browser)
    page = admin.page
    sign_in(admin, live_hub, "admin@demo.invalid")
    admin.follow(sections(page).get_by_role("link", name="Providers", exact=True))
    expect(page.get_by_role("heading", name="Providers", exact=True)).to_be_visible()
    admin.axe()
    admin.follow(page.get_by_role("button", name="Add a provider"))
    admin.axe()
    admin.continue_("Add the provider")  # nothing filled in: every error, said as a sentence
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the provider's name")
    page.get_by_label("Name", exact=True).fill("Northern Light")
    page.get_by_label("Who it supports").fill(
        "Adults in the north of the county who were exploited as children."
    )
    page.get_by_label("People of any gender").check()
    page.get_by_label("Youngest age it serves (optional)").fill("18")
    page.get_by_label("Group work", exact=True).check()
    page.get_by_text("Limit new people for one specialism (optional)").click()  # a closed section
    page.get_by_label("New people asking for Group work each quarter (optional)").fill("2")
    admin.continue_("Add the provider")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Northern Light is added")
    expect(page.locator("table")).to_contain_text("Group work: 2 new a quarter")
    admin.follow(page.get_by_role("link", name="Deactivate Northern Light"))  # asks first
    expect(page.get_by_role("heading", name="Deactivate Northern Light?")).to_be_visible()
    admin.axe()
    admin.follow(page.get_by_role("link", name="Cancel"))  # and nothing changed
    expect(page.locator("table")).to_contain_text("Northern Light")
    assert not admin.problems, "\n".join(admin.problems)

    person = new_visit(browser)
    person.page.goto(live_hub.url + "/self-refer/provider")
    expect(person.page.get_by_label("Northern Light")).to_be_visible()
    expect(person.page.locator("body")).to_contain_text("Adults in the north of the county")
    person.axe()
    assert not person.problems, "\n".join(person.problems)

    trs = new_visit(browser)
    sign_in(trs, live_hub, "allocator@demo.invalid")
    trs.page.goto(live_hub.url + "/triage/plan")
    expect(trs.page.get_by_role("rowheader", name=re.compile("Northern Light"))).to_be_visible()
    expect(trs.page.locator("body")).to_contain_text("Group work: 2 new starts left")
    trs.axe()
    assert not trs.problems, "\n".join(trs.problems)


def test_the_data_protection_officer_records_a_request_and_links_the_persons_referral(
    browser: Browser, live_hub: LiveHub
) -> None:
    visit = new_visit(browser)
    page = visit.page
    sign_in(visit, live_hub, "admin@demo.invalid")  # the demo administrator holds the duty
    visit.follow(sections(page).get_by_role("link", name="Requests"))
    expect(page.get_by_role("heading", name="Requests about a person's data")).to_be_visible()
    visit.axe()
    visit.follow(page.get_by_role("button", name="Record a request"))
    visit.axe()
    page.get_by_label("A copy of their data (subject access)").check()
    page.get_by_label("The full name of the person the request is about").fill("Demo Person 10")
    page.get_by_label("The person themselves").check()
    page.get_by_label("How did you check who they are?").fill("Saw a passport")
    page.get_by_label("Day").fill("2")
    page.get_by_label("Month").fill("11")
    page.get_by_label("Year").fill("2030")
    visit.continue_("Record the request")
    expect(page.locator(".govuk-error-summary")).to_contain_text("must be today or in the past")
    page.get_by_label("Year").fill("2020")
    visit.continue_("Record the request")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("The request is recorded")
    expect(page.locator("body")).to_contain_text("Overdue")
    page.get_by_label("Email address").fill("cam.10@example.org")
    visit.continue_("Search")
    expect(page.get_by_text("1 referral matches")).to_be_visible()
    page.locator("input[name=referrals]").check()
    visit.continue_("Link to this request")
    expect(page.get_by_role("button", name="Download the pack (zip)")).to_be_visible()
    assert "cam.10" not in page.url
    assert not visit.problems, "\n".join(visit.problems)


def test_provider_staff_record_a_direct_self_referral_that_becomes_their_case(
    browser: Browser, live_hub: LiveHub
) -> None:
    visit = new_visit(browser)
    page = visit.page
    sign_in(visit, live_hub, "grow@demo.invalid")
    visit.follow(sections(page).get_by_role("link", name="Cases"))
    visit.follow(page.get_by_role("link", name="Record a direct self-referral"))
    visit.axe()
    page.get_by_label("What would they like us to call them?").fill("Browser Direct-Test")
    page.get_by_label("Text message").check()
    page.get_by_label("Their phone number (optional)").fill("07700 900321")
    visit.continue_("Save and accept as our case")
    expect(page).to_have_title(re.compile("^Error: Record a direct self-referral"))
    expect(page.locator(".govuk-error-summary")).to_contain_text("the person has agreed to")
    expect(page.get_by_label("What would they like us to call them?")).to_have_value("Browser Direct-Test")
    visit.axe()
    page.get_by_label(re.compile("They agree to us keeping their details")).check()
    page.get_by_label("In person").check()
    day, month, year = uk_today()
    page.locator("#consent_on-day").fill(day)
    page.locator("#consent_on-month").fill(month)
    page.locator("#consent_on-year").fill(year)
    visit.continue_("Save and accept as our case")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("accepted as your case")
    expect(page.locator("main")).to_contain_text("Direct self-referral")
    expect(page.get_by_role("heading", name="Record first contact")).to_be_visible()
    visit.axe()
    assert not visit.problems, "\n".join(visit.problems)
