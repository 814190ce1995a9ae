"""The privacy notice: public, linked from every public page and from what a person agrees to, versioned,
and recorded on every referral, so a person can learn years later exactly what they were told."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.models import Role
from hub.referrals import notice
from hub.referrals.models import Referral, ReferralSource

from . import factories
from .journeys import Journey, professional_journey, reference_and_code, self_journey
from .staff import signed_in
from .test_public_pages import REDIRECTS, public_urls

PRIVACY_LINK = re.compile(r'<a [^>]*href="/privacy"[^>]*>([^<]*)</a>')
NOT_PAGES = REDIRECTS | {"public.brand_css", "public.healthz", "pathway.report_csv"}


def test_every_version_has_its_words_and_the_current_one_is_the_newest(app: Flask) -> None:
    names = [v.version for v in notice.VERSIONS]
    assert len(set(names)) == len(names)
    assert notice.CURRENT == names[-1] == notice.current().version
    assert [v.took_effect for v in notice.VERSIONS] == sorted(v.took_effect for v in notice.VERSIONS)
    for version in notice.VERSIONS:
        assert app.jinja_env.get_template(version.template)
        assert re.fullmatch(r"[0-9]{4}-[0-9]{2}", version.version)


def test_every_public_page_links_to_the_privacy_notice(app: Flask, client: FlaskClient) -> None:
    for endpoint, url in public_urls(app):
        if endpoint in NOT_PAGES:
            continue
        page = client.get(url).get_data(as_text=True)
        assert "Privacy notice" in PRIVACY_LINK.findall(page), url
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and PRIVACY_LINK.search(missing.get_data(as_text=True))


@pytest.mark.parametrize(
    ("journey", "step"),
    [(professional_journey, "consent"), (professional_journey, "check"), (self_journey, "check")],
)
def test_what_a_person_agrees_to_sits_beside_a_link_to_the_notice(
    client: FlaskClient, journey: Callable[[FlaskClient], Journey], step: str
) -> None:
    walk = journey(client)
    if step == "check":
        walk.answer_all()
    page = client.get(f"{walk.base}/{step}").get_data(as_text=True)
    beside = re.search(r'<p class="govuk-body" id="privacy-notice">(.*?)</p>', page, re.S)
    assert beside, page
    assert "privacy notice (opens in new tab)" in beside.group(1)
    assert 'href="/privacy" target="_blank" rel="noreferrer noopener"' in beside.group(1)
    # Beside the agreement itself: the consent question, or the words the person agrees to by sending.
    agreed = "What has the person agreed to?" if step == "consent" else "Now send"
    assert page.index(agreed) - page.index('id="privacy-notice"') < 3000


@pytest.mark.parametrize("journey", [professional_journey, self_journey])
def test_each_referral_records_the_notice_that_was_shown(
    client: FlaskClient, db_session: Session, journey: Callable[[FlaskClient], Journey]
) -> None:
    reference, _ = reference_and_code(journey(client).complete())
    referral = db_session.scalars(select(Referral).where(Referral.reference == reference)).one()
    assert referral.privacy_notice == notice.CURRENT


def test_the_notice_says_who_holds_the_data_why_who_sees_it_how_long_and_the_rights(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    factories.provider(db_session, name="Harbour Light")
    factories.provider(db_session, name="Closed Doors Trust", active=False)
    app.extensions["hub.config"] = dataclasses.replace(
        app.extensions["hub.config"],
        council_name="Harbourside Borough Council",
        data_protection_contact="dpo@harbourside.example or 01632 960001",
    )
    response = client.get("/privacy")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    for words in (
        f"This is version {notice.CURRENT} of this notice. It took effect on 1 December 2026.",
        "Harbourside Borough Council is responsible for your information",
        "Trauma and Resilience Service",
        "<li>Harbour Light</li>",
        "public task",
        "substantial public interest",
        "only if you agreed to share them",
        "see numbers only",
        "24 hours after you last saved a page",
        "30 days after they are sent",
        "7 years after your referral is closed",
        "without your name",
        "for a copy of the information we hold about you",
        "to correct information that is wrong",
        "to limit how we use your information",
        "to delete your information",
        "to stop using your information",
        "contact dpo@harbourside.example or 01632 960001",
        "ico.org.uk",
        "0303 123 1113",
        'data-module="govuk-exit-this-page"',
    ):
        assert words in page, words
    assert "Closed Doors Trust" not in page  # an organisation no longer giving support is not named
    assert "earlier version" not in page


def test_an_earlier_version_still_reads_once_a_new_one_takes_effect(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown_before = notice.current()
    newer = notice.NoticeVersion("2099-01", date(2099, 1, 1), shown_before.template)
    monkeypatch.setattr(notice, "VERSIONS", (*notice.VERSIONS, newer))
    monkeypatch.setattr(notice, "CURRENT", "2099-01")

    old = client.get(f"/privacy/{shown_before.version}")
    page = old.get_data(as_text=True)
    assert old.status_code == 200
    assert f"This is version {shown_before.version} of this notice." in page
    assert "This is an earlier version of this notice. It is no longer in use." in page
    assert 'href="/privacy">Read the notice we use now</a>' in page
    now = client.get("/privacy").get_data(as_text=True)
    assert "This is version 2099-01 of this notice." in now and "earlier version of this notice" not in now
    assert f'href="/privacy/{shown_before.version}">Version {shown_before.version}' in now


@pytest.mark.parametrize("version", ["2001-01", "latest", "2026-12%20", "2026-12.", "x" * 300])
def test_an_unknown_version_is_a_kind_not_found_page(client: FlaskClient, version: str) -> None:
    response = client.get(f"/privacy/{version}")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "We cannot find a privacy notice with that version." in page
    assert 'href="/privacy">Read the privacy notice we use now</a>' in page
    assert 'data-module="govuk-exit-this-page"' in page


def test_a_path_under_privacy_is_not_found(client: FlaskClient) -> None:
    for path in ("/privacy/2026-12/..%2f..%2fetc", "/privacy/2026-12/extra"):
        response = client.get(path)
        assert response.status_code == 404 and PRIVACY_LINK.search(response.get_data(as_text=True))


def test_the_allocator_sees_which_notice_was_shown(app: Flask, db_session: Session) -> None:
    client, _ = signed_in(app, db_session, Role.ALLOCATOR)
    told = factories.referral(db_session, source=ReferralSource.SELF, privacy_notice=notice.CURRENT)
    referred = factories.referral(
        db_session, source=ReferralSource.PROFESSIONAL, privacy_notice=notice.CURRENT
    )
    before = factories.referral(db_session, privacy_notice=None)

    def shown(referral: Referral) -> str:
        page = client.get(f"/triage/referrals/{referral.id}").get_data(as_text=True)
        found = re.search(r'<p class="govuk-body" id="privacy-notice-shown">(.*?)</p>', page, re.S)
        assert found, page
        return " ".join(found.group(1).split())

    version = notice.CURRENT
    link = f'<a class="govuk-link" href="/privacy/{version}">version {version} of the privacy notice</a>'
    assert shown(told) == f"When the referral was sent, the person was shown {link}."
    assert shown(referred) == f"When the referral was sent, the referrer was shown {link}."
    assert shown(before) == (
        "No privacy notice is recorded for this referral: it was sent before the forms showed one."
    )
