"""Every page that shows an error summary starts its title with "Error:", whichever form failed: the page's
own, one of several actions on a referral or case page, or a refusal from the service."""

from __future__ import annotations

import re

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from hub.auth.models import Role
from hub.providers.models import Provider
from hub.referrals.models import ReferralStatus

from . import factories
from .journeys import TOKEN
from .staff import Desk, signed_in
from .test_access import EXAMPLES, example, visitors  # noqa: F401  (visitors is a fixture)

LEAVES = {"auth.sign_out", "auth.sign_out_everywhere"}

TITLE = re.compile(r"<title>([^<]*)</title>")
SUMMARY = 'class="govuk-error-summary"'


def title(response: TestResponse) -> str:
    found = TITLE.search(response.get_data(as_text=True))
    assert found, "no title"
    return found.group(1)


def posted_to(app: Flask) -> list[str]:
    """An example address for every route that takes a POST (except signing out)."""
    return [
        rule.build({name: example(name, rule.endpoint) for name in rule.arguments})[1]  # type: ignore[index]
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or ()) and rule.endpoint not in LEAVES
    ]


def shows_errors(response: TestResponse) -> bool:
    return response.mimetype == "text/html" and SUMMARY in response.get_data(as_text=True)


def test_every_empty_post_that_shows_an_error_summary_says_error_in_its_title(
    app: Flask,
    db_session: Session,
    visitors: dict[str, FlaskClient],  # noqa: F811  (the fixture)
) -> None:
    referral = factories.referral(db_session)
    provider_a = db_session.scalars(select(Provider).where(Provider.name == "Provider A")).one()
    offered = factories.referral(db_session, status=ReferralStatus.ALLOCATED)
    case = factories.allocation(db_session, referral_id=offered.id, provider_id=provider_a.id)
    db_session.commit()
    examples = {"referral_id": str(referral.id), "case_id": str(case.id)}
    extra = [  # actions that need an answer, beside the route table's one example each
        f"/triage/referrals/{referral.id}/signpost",
        f"/triage/referrals/{referral.id}/withdraw",
        f"/provider/cases/{case.id}/decline",
    ]
    with_errors, wrong = set(), []
    with time_machine.travel("2026-11-02 09:05:00+00:00", tick=False):
        for persona, client in visitors.items():
            token = TOKEN.search(client.get("/login").get_data(as_text=True))
            assert token
            for url in [*posted_to(app), *extra]:
                for name, value in examples.items():
                    url = url.replace(str(EXAMPLES[name]), value)
                response = client.post(url, data={"csrf_token": token.group(1)})
                if shows_errors(response):
                    with_errors.add(url)
                    if not title(response).startswith("Error: "):
                        wrong.append(f"{persona} {url}: {title(response)!r}")
    assert not wrong, "\n".join(wrong)
    for must in (f"/triage/referrals/{referral.id}/signpost", f"/provider/cases/{case.id}/decline", "/login"):
        assert must in with_errors, f"{must} showed no error summary: the walk did not test it"


@pytest.mark.usefixtures("midday")
def test_a_refusal_without_a_form_error_says_error_in_the_title(app: Flask, db_session: Session) -> None:
    client = app.test_client()
    token = TOKEN.search(client.get("/login").get_data(as_text=True))
    assert token
    refused = client.post(
        "/login", data={"csrf_token": token.group(1), "email": "no.one@example.org", "password": "wrong one"}
    )
    assert shows_errors(refused) and title(refused).startswith("Error: Sign in")

    staff, _ = signed_in(app, db_session, Role.ALLOCATOR)
    desk = Desk(staff)
    wrong = desk.send("/account/password", current_password="not it", new_password="a long new passphrase 77")
    assert shows_errors(wrong) and title(wrong).startswith("Error: ")


def test_a_page_without_errors_does_not_say_error(app: Flask, db_session: Session) -> None:
    referral = factories.referral(db_session)
    db_session.commit()
    staff, _ = signed_in(app, db_session, Role.ALLOCATOR)
    page = staff.get(f"/triage/referrals/{referral.id}")
    assert not shows_errors(page) and not title(page).startswith("Error")


def test_the_return_page_says_error_once(app: Flask, db_session: Session) -> None:
    provider = factories.provider(db_session, name="Harbour")
    with time_machine.travel("2026-10-05 09:00:00+00:00", tick=False):
        staff, _ = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)
        desk = Desk(staff)
        response = desk.send("/kpi/returns/2026/3", action="save", **{"figure-people_supported": "lots"})
    assert shows_errors(response), response.get_data(as_text=True)[:300]
    assert title(response).startswith("Error: Return for") and "Error: Error" not in title(response)
