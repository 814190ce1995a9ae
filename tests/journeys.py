"""Walk the public forms as a person would, through the test client, with CSRF on."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
ERROR_LINKS = re.compile(r'<div class="govuk-error-summary__body">.*?</ul>', re.S)

SELF_ANSWERS: dict[str, dict[str, Any]] = {
    "about": {
        "preferred_name": "Robin",
        "full_name": "Robin Quill-Tester",
        "date_of_birth-day": "14",
        "date_of_birth-month": "3",
        "date_of_birth-year": "1994",
    },
    "contact": {
        "methods": ["email", "text"],
        "phone": "07700 900123",
        "email": "robin.quill@example.org",
        "address": "",
        "postcode": "",
        "voicemail": "no",
        "say_who": "no",
        "safe_times": "Weekday mornings only",
    },
    "provider": {"provider": "help"},
    "support": {"specialisms": [], "support_wanted": "Someone who will listen, at my pace."},
}

PROFESSIONAL_ANSWERS: dict[str, dict[str, Any]] = {
    "referrer": {
        "referrer_name": "Avery Caseworker",
        "referrer_role": "Social worker",
        "referrer_organisation": "Example Council Adult Services",
        "referrer_agency": "adult_social_care",
        "referrer_email": "avery.caseworker@example.gov.uk",
        "referrer_phone": "01632 960001",
    },
    "consent": {"consent": ["referral", "share"]},
    "person": {
        "full_name": "Jordan Pemberly-Test",
        "preferred_name": "Jo",
        "date_of_birth-day": "2",
        "date_of_birth-month": "11",
        "date_of_birth-year": "1999",
        "email": "",
        "phone": "07700 900456",
        "address": "1 Test Lane\nExampleton",
        "postcode": "S60 1AE",
    },
    "support": {
        "specialisms": [],
        "support_wanted": "Counselling, at a women-only service.",
        "preferred_provider": "none",
    },
    "risks": {
        "current_risks": "Contact from a perpetrator in the last month.",
        "children_in_household": "no",
        "other_agencies": "Probation",
    },
    "access": {"language": "English", "interpreter": "no", "bsl": "no", "adjustments": "Ground-floor rooms"},
    "contact": {"methods": ["phone"], "voicemail": "no", "say_who": "no", "safe_times": "After 10am"},
}


class Journey:
    def __init__(self, client: FlaskClient, base: str, answers: dict[str, dict[str, Any]]) -> None:
        self.client = client
        self.base = base
        self.answers = {page: dict(values) for page, values in answers.items()}

    def token(self) -> str:
        """The session's CSRF token, read from the first question page as a browser would."""
        path = f"{self.base}/{next(iter(self.answers))}"
        page = self.client.get(path).get_data(as_text=True)
        found = TOKEN.search(page)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def post(
        self, page: str, values: dict[str, Any] | None = None, query: str = "", **extra: Any
    ) -> TestResponse:
        data = {
            "csrf_token": self.token(),
            **(self.answers.get(page, {}) if values is None else values),
            **extra,
        }
        return self.client.post(f"{self.base}/{page}{query}", data=data)

    def answer_all(self) -> None:
        for page in self.answers:
            response = self.post(page)
            assert response.status_code == 303, (page, errors(response))

    def send(self) -> TestResponse:
        return self.post("check", {})

    def complete(self) -> TestResponse:
        self.answer_all()
        response = self.send()
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return response


def self_journey(client: FlaskClient, **changes: dict[str, Any]) -> Journey:
    journey = Journey(client, "/self-refer", SELF_ANSWERS)
    for page, values in changes.items():
        journey.answers[page].update(values)
    return journey


def professional_journey(client: FlaskClient, **changes: dict[str, Any]) -> Journey:
    journey = Journey(client, "/refer", PROFESSIONAL_ANSWERS)
    for page, values in changes.items():
        journey.answers[page].update(values)
    return journey


def errors(response: TestResponse) -> list[tuple[str, str]]:
    """The (link, message) pairs in the page's error summary."""
    summary = ERROR_LINKS.search(response.get_data(as_text=True))
    if not summary:
        return []
    return [
        (href, text.strip()) for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', summary.group(0))
    ]


def reference_and_code(response: TestResponse) -> tuple[str, str | None]:
    page = response.get_data(as_text=True)
    reference = re.search(r"PAS-[0-9A-Z]{4}-[0-9A-Z]{4}", page)
    code = re.search(r'id="status-code">([^<]+)<', page)
    assert reference
    return reference.group(0), code.group(1) if code else None
