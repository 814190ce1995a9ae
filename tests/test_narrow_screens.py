"""At 320 CSS pixels wide (a small phone, or a page zoomed to 400%: WCAG 1.4.10 Reflow) no page scrolls
sideways. Only a wide table may, inside its own scroll area, which a keyboard can reach and scroll.

Every public page and every staff page the demo hub has, as each role, with error states too: each page's
width is measured in Chromium, and anything wider than the screen outside a scroll area is named.
"""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.live_hub import LiveHub
from tests.test_browser import (  # noqa: F401  (fixtures)
    WAIT_MS,
    Visit,
    browser,
    first_sign_in,
    new_account,
    playwright,
    sign_in,
)

NARROW = 320

WIDER_THAN_THE_SCREEN = """(width) => {
  const outside = [];
  for (const element of document.querySelectorAll("body *")) {
    if (element.closest(".hub-table-scroll")) continue;
    const box = element.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 0.5) {
      outside.push(element.tagName.toLowerCase() + (element.id ? "#" + element.id : "") +
        (element.classList.length ? "." + [...element.classList].join(".") : ""));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, outside: outside.slice(0, 5)};
}"""

SCROLL_AREAS = """() => [...document.querySelectorAll(".hub-table-scroll")].map(area => ({
  focusable: area.tabIndex === 0,
  region: area.getAttribute("role") === "region",
  named: Boolean((area.getAttribute("aria-label") || "").trim()),
  scrolls: getComputedStyle(area).overflowX === "auto",
}))"""


class Narrow:
    """A 320-pixel-wide tab that measures every page it reaches."""

    def __init__(self, chromium: Browser, hub: LiveHub) -> None:
        context = chromium.new_context(viewport={"width": NARROW, "height": 720})
        context.set_default_timeout(WAIT_MS)
        self.visit = Visit(context.new_page(), check_accessibility=False)
        self.page: Page = self.visit.page
        self.hub = hub
        self.problems: list[str] = []
        self.measured: list[str] = []

    def measure(self, what: str = "") -> None:
        found = self.page.evaluate(WIDER_THAN_THE_SCREEN, NARROW)
        where = (self.page.url.removeprefix(self.hub.url) + " " + what).strip()
        if found["scrollWidth"] > NARROW:
            self.problems.append(f"{where}: {found['scrollWidth']} px wide, from {found['outside']}")
        for area in self.page.evaluate(SCROLL_AREAS):
            if not all(area.values()):
                self.problems.append(f"{where}: a scroll area a keyboard cannot use: {area}")
        self.measured.append(where)

    def go(self, *paths: str) -> None:
        for path in paths:
            self.page.goto(self.hub.url + path)
            self.measure()

    def submit_empty(self, button: str) -> None:
        """Press a form's button with nothing filled in, and measure the error state."""
        self.visit.follow(self.page.get_by_role("button", name=button).first)
        expect(self.page.locator(".govuk-error-summary")).to_be_visible()
        self.measure("(with errors)")

    def sign_in(self, email: str) -> None:
        """A demo account's sign-in, to its home page."""
        sign_in(self.visit, self.hub, email)
        self.measure()

    def set_up_authenticator(self, email: str, role: str) -> None:
        """A new account's first sign-in, measuring the authenticator set-up page (its key is long) and
        the recovery codes on the way."""
        new_account(self.hub, email, "Demo Narrow Screen", role)
        self.page.goto(self.hub.url + "/login")
        self.page.get_by_label("Email address").fill(email)
        self.page.get_by_role("textbox", name="Password").fill(self.hub.passwords[email])
        self.visit.follow(self.page.get_by_role("button", name="Continue"))
        expect(self.page.locator("#totp-key")).to_be_visible()
        self.measure("(setting up the authenticator)")
        self.page.goto(self.hub.url + "/login")
        first_sign_in(self.visit, self.hub, email)
        self.measure("(recovery codes)")
        self.visit.follow(self.page.get_by_role("button", name="Continue"))
        self.measure()

    def open_first(self, path: str, link: str = "table a") -> None:
        self.page.goto(self.hub.url + path)
        self.visit.follow(self.page.locator(link).first)
        self.measure()


def test_no_public_page_scrolls_sideways_at_320_pixels(browser: Browser, live_hub: LiveHub) -> None:  # noqa: F811
    narrow = Narrow(browser, live_hub)
    narrow.go("/", "/safety", "/status", "/refer", "/self-refer", "/no-such-page", "/login", "/signed-out")
    for journey, first in (("/refer", "referrer"), ("/self-refer", "about")):
        narrow.go(f"{journey}/{first}")
        narrow.submit_empty("Continue")
    narrow.go("/status")
    narrow.submit_empty("Check")
    narrow.go("/login")
    narrow.submit_empty("Continue")
    assert len(narrow.measured) >= 14
    assert not narrow.problems, "\n".join(narrow.problems)


def test_no_staff_page_scrolls_sideways_at_320_pixels_whatever_the_role(
    browser: Browser,  # noqa: F811
    live_hub: LiveHub,
) -> None:
    problems, measured = [], []

    newcomer = Narrow(browser, live_hub)
    newcomer.set_up_authenticator("narrow.newcomer@demo.invalid", "commissioner")
    problems += newcomer.problems
    measured += newcomer.measured

    allocator = Narrow(browser, live_hub)
    allocator.sign_in("allocator@demo.invalid")
    allocator.go("/triage", "/triage/plan", "/account/password")
    allocator.open_first("/triage")
    allocator.page.get_by_text("Close and signpost").first.click()
    allocator.submit_empty("Close and signpost")
    allocator.go("/account/password")
    allocator.submit_empty("Change password")
    problems += allocator.problems
    measured += allocator.measured

    provider = Narrow(browser, live_hub)
    provider.sign_in("rise@demo.invalid")
    provider.go("/provider/cases", "/provider/capacity", "/kpi/returns")
    provider.open_first("/provider/cases")
    provider.open_first("/kpi/returns")
    problems += provider.problems
    measured += provider.measured

    commissioner = Narrow(browser, live_hub)
    commissioner.sign_in("commissioner@demo.invalid")
    commissioner.go("/commissioner/kpi")
    problems += commissioner.problems
    measured += commissioner.measured

    admin = Narrow(browser, live_hub)
    admin.sign_in("admin@demo.invalid")
    admin.go(
        "/admin/users", "/admin/users/new", "/admin/providers", "/admin/specialisms", "/admin/users/inactive"
    )
    admin.go("/admin/providers/new")
    admin.submit_empty("Add the provider")
    admin.open_first("/admin/users")
    admin.go("/admin/kpi")
    admin.submit_empty("Add the figure")
    admin.go("/admin/users/new")
    admin.submit_empty("Add account")
    problems += admin.problems
    measured += admin.measured

    assert len(measured) >= 25, measured
    assert not problems, "\n".join(problems)
