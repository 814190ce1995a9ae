"""``/pathway`` in a real browser, with JavaScript on and off: the demo's published quarters in plain words,
the earlier ones opened from their summaries, the trends with their tables, no serious problem found by
axe-core (with the page's own scripts blocked for "off", so axe itself can still run), and nothing
wider than a 320 pixel screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.live_hub import LiveHub
from tests.test_browser import WAIT_MS, Visit, browser, playwright  # noqa: F401  (the browser fixtures)


def _visit(browser: Browser, javascript: bool) -> Visit:  # noqa: F811
    context = browser.new_context(viewport={"width": 320, "height": 800})
    context.set_default_timeout(WAIT_MS)
    if not javascript:  # the page's own scripts never run; axe, added by the test, still can
        context.route("**/*.js", lambda route: route.abort())
        context.route("**/*.mjs", lambda route: route.abort())
    return Visit(context.new_page())


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript-on", "javascript-off"])
def test_the_pathway_report_reads_well_with_and_without_javascript(
    browser: Browser,  # noqa: F811
    live_hub: LiveHub,
    javascript: bool,
) -> None:
    visit = _visit(browser, javascript)
    page = visit.page
    page.goto(live_hub.url + "/pathway")
    expect(page.get_by_role("heading", name="How the support pathway is doing", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Download every published figure (CSV)")).to_have_attribute(
        "href", "/pathway.csv"
    )
    expect(page.get_by_role("table", name="No waiting lists").first).to_be_visible()
    expect(page.get_by_text("1 to 7 people").first).to_be_visible()
    expect(page.get_by_role("link", name="Leave this site quickly")).to_have_attribute("href", "/exit")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    visit.axe()

    # An earlier quarter opens from its summary, with or without scripts.
    earlier = page.locator("details.govuk-details").first
    expect(earlier.get_by_role("table").first).to_be_hidden()
    earlier.locator("summary").click()
    expect(earlier.get_by_role("table", name="Referrals", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Trends")).to_be_visible()
    expect(page.get_by_role("table", name="People supported, each published quarter")).to_be_visible()
    visit.axe()
    assert not visit.problems, "\n".join(visit.problems)
