"""Every public page is safe to visit: safety headers, Exit this page, and plain words."""

from __future__ import annotations

import importlib.metadata
import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from hub.templating import GOVUK_FRONTEND_FOR_MACROS

from . import factories

PUBLIC_BLUEPRINTS = {"public", "intake", "privacy_notice", "consultation", "feedback", "pathway"}
EXAMPLE_ARGUMENTS = {
    "slug": {"intake.refer_page": "referrer", "intake.self_page": "about"},
    "version": {"privacy_notice.earlier": "2026-12"},
}
REDIRECTS = {"public.exit_page", "feedback.answers"}


def public_urls(app: Flask) -> list[tuple[str, str]]:
    """(endpoint, url) for every GET route of the public blueprints, built from the URL map."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in PUBLIC_BLUEPRINTS or "GET" not in (rule.methods or ()):
            continue
        arguments = {}
        for name in rule.arguments:
            example = EXAMPLE_ARGUMENTS.get(name, {}).get(rule.endpoint)
            assert example, f"add an example value of <{name}> for {rule.endpoint} to this test"
            arguments[name] = example
        found.append((rule.endpoint, rule.build(arguments)[1]))  # type: ignore[index]
    return found


def test_the_public_surface_is_the_expected_list(app: Flask) -> None:
    assert sorted(e for e, _ in public_urls(app)) == [
        "consultation.take_part",
        "consultation.thanks",
        "feedback.answers",
        "feedback.start",
        "feedback.thank_you",
        "intake.refer_page",
        "intake.refer_start",
        "intake.self_page",
        "intake.self_start",
        "intake.status",
        "pathway.report",
        "pathway.report_csv",
        "privacy_notice.current",
        "privacy_notice.earlier",
        "public.brand_css",
        "public.exit_page",
        "public.healthz",
        "public.safety",
        "public.start",
    ]


def test_every_public_route_sends_the_safety_headers(app: Flask, client: FlaskClient) -> None:
    for endpoint, url in public_urls(app):
        response = client.get(url)
        assert response.status_code == (303 if endpoint in REDIRECTS else 200), url
        headers = response.headers
        csp = headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, url
        assert "frame-ancestors 'none'" in csp and headers.get("X-Frame-Options") == "DENY", url
        assert headers.get("Referrer-Policy") == "no-referrer", url
        assert headers.get("X-Content-Type-Options") == "nosniff", url
        assert headers.get("Cache-Control") == "no-store", url


def test_every_public_page_has_exit_this_page_and_the_plain_link(app: Flask, client: FlaskClient) -> None:
    for endpoint, url in public_urls(app):
        if endpoint in REDIRECTS or endpoint in {"public.brand_css", "public.healthz", "pathway.report_csv"}:
            continue
        page = client.get(url).get_data(as_text=True)
        assert 'data-module="govuk-exit-this-page"' in page, url
        assert 'href="/exit"' in page, url
        assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None, f"inline script on {url}"


def test_the_start_page_explains_the_service(client: FlaskClient, db_session: Session) -> None:
    offer = factories.specialism(db_session, label="Group work")
    factories.provider(db_session, name="Harbour Light", specialisms=[offer])
    page = client.get("/").get_data(as_text=True)
    for words in (
        "sexually exploited as a child",
        "Harbour Light",
        "Group work",
        "If you are in danger now, call 999.",
        "press the Shift key 3 times",
        'href="/safety"',
        'href="/self-refer"',
        'href="/refer"',
        "What happens next",
    ):
        assert words in page, words


def test_the_safety_page_gives_the_advice(client: FlaskClient) -> None:
    page = client.get("/safety").get_data(as_text=True)
    for words in ("private", "history", "Exit this page", "999"):
        assert words in page


def test_the_brand_colour_is_configurable(app: Flask, client: FlaskClient) -> None:
    import dataclasses

    app.extensions["hub.config"] = dataclasses.replace(app.extensions["hub.config"], brand_colour="#123abc")
    response = client.get("/brand.css")
    assert response.mimetype == "text/css" and "--hub-brand-colour: #123abc" in response.get_data(
        as_text=True
    )


def test_the_assets_are_the_version_the_macros_were_written_for() -> None:
    static = Path(__file__).resolve().parent.parent / "hub" / "static" / "govuk"
    assert (static / "VERSION").is_file(), (
        "run `make assets` (make test does) to build the GOV.UK Frontend assets"
    )
    macros = importlib.metadata.version("govuk-frontend-jinja")
    built = (static / "VERSION").read_text().strip()
    assert GOVUK_FRONTEND_FOR_MACROS[macros] == built
    pinned = json.loads((static.parent.parent.parent / "package.json").read_text())["devDependencies"]
    assert pinned["govuk-frontend"] == built
    css = (static / "hub.css").read_text()
    assert "GDS Transport" not in css and "arial" in css
    assert not (static / "assets" / "fonts").exists()


@pytest.mark.parametrize(
    "path", ["/static/govuk/hub.css", "/static/govuk/govuk-frontend.min.js", "/static/hub.js"]
)
def test_the_assets_are_served(client: FlaskClient, path: str) -> None:
    with client.get(path) as response:
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
