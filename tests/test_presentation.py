"""How answers read on staff pages and the check-answers page: each value level with its label, choices as
a bulleted list, and the line breaks a person typed kept (safely escaped), from one place."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from hub.audit import Actor
from hub.auth.models import Role
from hub.referrals.allocation import allocate
from hub.referrals.models import ContactMethod, ReferralSource, SafeContact
from hub.templating import summary_value, typed_lines

from . import factories
from .journeys import professional_journey, self_journey
from .staff import signed_in

pytestmark = pytest.mark.usefixtures("midday")

BULLETS = '<ul class="govuk-list govuk-list--bullet">'


def value_after(page: str, label: str) -> str:
    """The summary list value beside ``label``, whitespace squeezed."""
    found = re.search(
        rf'<dt class="govuk-summary-list__key">\s*{re.escape(label)}\s*</dt>\s*'
        r'<dd class="govuk-summary-list__value">(.*?)</dd>',
        page,
        re.S,
    )
    assert found, f"no row for {label!r}"
    return " ".join(found.group(1).split())


def test_a_value_is_text_a_list_or_lines_and_never_raw_html() -> None:
    assert summary_value("") == {"text": "Not given"}
    assert summary_value("   ") == {"text": "Not given"}
    assert summary_value([]) == {"text": "Not given"}
    assert summary_value(["Phone"]) == {"text": "Phone"}, "one choice reads as a plain answer"
    listed = str(summary_value(["Phone", "<b>Text</b>"])["html"])
    assert listed == f"{BULLETS}<li>Phone</li><li>&lt;b&gt;Text&lt;/b&gt;</li></ul>"
    assert str(summary_value("1 Test Lane\n<Exampleton>")["html"]) == "1 Test Lane<br>&lt;Exampleton&gt;"
    assert summary_value("<script>one line</script>") == {
        "text": "<script>one line</script>"
    }  # escaped by Jinja


def test_typed_text_keeps_paragraphs_and_breaks_but_starts_on_its_first_line() -> None:
    shown = str(typed_lines("\n\nFirst line\nsecond line\n\n\nNew paragraph\n"))
    assert (
        shown == '<p class="govuk-body">First line<br>second line</p><p class="govuk-body">New paragraph</p>'
    )
    assert str(typed_lines("\r\nOne\r\nTwo")) == "One<br>Two"


def test_check_answers_lists_each_choice_and_keeps_the_address_lines(app: Flask) -> None:
    client = app.test_client()
    journey = professional_journey(
        client,
        contact={"methods": ["phone", "text", "letter"]},
        person={"address": "1 Test Lane\nExampleton"},
    )
    journey.answer_all()
    page = client.get("/refer/check").get_data(as_text=True)
    methods = value_after(page, "How is it safe to contact them?")
    assert methods.startswith(BULLETS) and methods.count("<li>") == 3, methods
    assert value_after(page, "Their address").startswith("1 Test Lane<br>Exampleton")


def test_check_answers_shows_a_single_choice_as_plain_text(app: Flask) -> None:
    client = app.test_client()
    journey = self_journey(client, contact={"methods": ["email"]})
    journey.answer_all()
    page = client.get("/self-refer/check").get_data(as_text=True)
    assert "<li>" not in value_after(page, "How is it safe for us to contact you?")


def test_the_referral_and_case_pages_list_choices_and_keep_typed_lines(
    app: Flask, db_session: Session
) -> None:
    provider = factories.provider(db_session, name="Harbour")
    needs = [
        factories.specialism(db_session, label="Counselling"),
        factories.specialism(db_session, label="Housing"),
    ]
    referral = factories.referral(
        db_session,
        source=ReferralSource.PROFESSIONAL,
        specialisms=needs,
        address="Flat 2\n<b>Harbour</b> Road",
        support_wanted="At my pace.\n\nNot on Mondays.",
    )
    referral.safe_contact = SafeContact(methods=(ContactMethod.PHONE, ContactMethod.TEXT), voicemail="no")
    db_session.commit()
    allocation = allocate(
        db_session, referral.id, provider.id, Actor(id=None, role="allocator"), reason="Near."
    )
    triage, _ = signed_in(app, db_session, Role.ALLOCATOR)
    case, _ = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)
    for page in (
        triage.get(f"/triage/referrals/{referral.id}").get_data(as_text=True),
        case.get(f"/provider/cases/{allocation.id}").get_data(as_text=True),
    ):
        assert (
            value_after(page, "Safe ways to contact")
            == f"{BULLETS}<li>Phone call</li><li>Text message</li></ul>"
        )
        assert value_after(page, "Kinds of support") == f"{BULLETS}<li>Counselling</li><li>Housing</li></ul>"
        assert value_after(page, "Address") == "Flat 2<br>&lt;b&gt;Harbour&lt;/b&gt; Road"
        assert value_after(page, "In their words") == (
            '<p class="govuk-body">At my pace.</p><p class="govuk-body">Not on Mondays.</p>'
        )
        assert "<b>Harbour</b>" not in page


def test_no_summary_list_value_is_set_to_keep_white_space() -> None:
    """``white-space: pre-line`` on a value shows the template's own line break before the first line."""
    from pathlib import Path

    stylesheet = (Path(__file__).parents[1] / "hub" / "assets" / "hub.scss").read_text()
    for rule in re.findall(r"([^{}]+)\{([^}]*)\}", stylesheet):
        assert not ("summary-list__value" in rule[0] and "white-space" in rule[1]), rule
