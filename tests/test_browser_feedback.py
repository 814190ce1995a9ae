"""A survivor gives feedback in a real browser, with JavaScript on and with it off: the code, the
questions, the thank-you page, and the code refused when used again; axe-core finds no serious problem
on any page either way.

axe-core needs JavaScript, so with JavaScript off each page is checked as the browser built it: its HTML,
with the page's own scripts blocked, opened in a second tab where axe-core can run.
"""

from __future__ import annotations

import subprocess
import sys

from playwright.sync_api import Browser, Page, Route, expect

from tests.live_hub import LiveHub
from tests.test_browser import AXE, WAIT_MS, Visit, browser, new_visit, playwright

__all__ = ["browser", "playwright"]  # the fixtures, shared with tests/test_browser.py

ISSUE = """
from sqlalchemy import select
from hub import create_app, db
from hub.feedback import codes
from hub.providers.models import Provider
app = create_app()
with app.app_context():
    session = db.session()
    with db.committed(session):
        print(codes.issue(session, session.scalars(select(Provider.id).order_by(Provider.id)).first()))
"""


def new_code(live_hub: LiveHub) -> str:
    """A code, as closing a case makes one, made in the hub's own database by an operator's script."""
    made = subprocess.run(
        [sys.executable, "-c", ISSUE], env=live_hub.env, check=True, capture_output=True, text=True
    )
    return made.stdout.strip().splitlines()[-1]


def _no_scripts(route: Route) -> None:
    route.abort()


def axe_as_built(browser: Browser, page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as a browser without JavaScript built it."""
    context = browser.new_context()
    context.set_default_timeout(WAIT_MS)
    copy = context.new_page()
    copy.route("**/*.js", _no_scripts)
    base = page.url.split("/feedback")[0]
    copy.goto(base + "/healthz")  # the same origin, so the copy's styles load as the page's did
    copy.set_content(page.content().replace("<head>", f'<head><base href="{base}/">', 1))
    assert "js-enabled" not in (copy.evaluate("document.body.className") or "")
    copy.evaluate(AXE.read_text())
    result = copy.evaluate("axe.run(document, {resultTypes: ['violations']})")
    context.close()
    return [
        f"{page.url} (no JavaScript): {v['id']} ({v['impact']})"
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def check(visit: Visit, browser: Browser, javascript: bool) -> None:
    if javascript:
        visit.axe()
    else:
        visit.problems += axe_as_built(browser, visit.page)
        visit.pages_checked.append(visit.page.url)


def give_feedback(browser: Browser, live_hub: LiveHub, *, javascript: bool) -> Visit:
    code = new_code(live_hub)
    visit = new_visit(browser, javascript=javascript)
    page = visit.page
    page.goto(live_hub.url + "/feedback")
    check(visit, browser, javascript)
    expect(page.get_by_role("heading", name="Tell us what you think")).to_be_visible()
    expect(page.locator("footer").get_by_role("link", name="Leave this site quickly")).to_be_visible()

    page.get_by_label("Your feedback code").fill("7KQ4")
    visit.follow(page.get_by_role("button", name="Continue"))
    check(visit, browser, javascript)
    expect(page.locator(".govuk-error-summary")).to_contain_text("12 letters and numbers")
    expect(page.get_by_label("Your feedback code")).to_have_value("7KQ4")
    assert page.title().startswith("Error: ")

    page.get_by_label("Your feedback code").fill(code.lower().replace("-", " "))
    visit.follow(page.get_by_role("button", name="Continue"))
    check(visit, browser, javascript)
    expect(page.get_by_role("heading", name="Your feedback")).to_be_visible()
    assert "code" not in page.url.lower() and code not in page.url
    safer = page.get_by_role("group", name="Do you feel safer than before you came to us?")
    safer.get_by_label("A little").check()
    page.get_by_role("group", name="Were you satisfied with the support you had?").get_by_label("Yes").check()
    page.get_by_role("group", name="Did you feel listened to?").get_by_label("I'd rather not say").check()
    page.get_by_label("Is there anything else you would like to tell us?").fill("x" * 2001)
    visit.follow(page.get_by_role("button", name="Send my feedback"))
    check(visit, browser, javascript)
    expect(page.locator(".govuk-error-summary")).to_contain_text("2,000 characters or fewer")
    expect(safer.get_by_label("A little")).to_be_checked()  # what was chosen is kept
    page.get_by_label("Is there anything else you would like to tell us?").fill("Being believed helped.")
    visit.follow(page.get_by_role("button", name="Send my feedback"))
    check(visit, browser, javascript)
    expect(page.get_by_role("heading", name="Thank you for your feedback")).to_be_visible()

    page.goto(live_hub.url + "/feedback")
    page.get_by_label("Your feedback code").fill(code)
    visit.follow(page.get_by_role("button", name="Continue"))
    expect(page.locator(".govuk-error-summary")).to_contain_text("We could not use that code")
    return visit


def test_a_survivor_gives_feedback_with_javascript_on(browser: Browser, live_hub: LiveHub) -> None:
    visit = give_feedback(browser, live_hub, javascript=True)
    assert not visit.problems, "\n".join(visit.problems)
    assert len(visit.pages_checked) == 5


def test_a_survivor_gives_feedback_with_javascript_off(browser: Browser, live_hub: LiveHub) -> None:
    visit = give_feedback(browser, live_hub, javascript=False)
    assert not visit.problems, "\n".join(visit.problems)
    assert len(visit.pages_checked) == 5
