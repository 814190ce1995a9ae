"""The referrer's kind of organisation: asked on the professional form from a fixed list, kept plain, and
counted by quarter in the joint view (hub.kpi.agencies)."""

from __future__ import annotations

import html
import random
import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.models import Role
from hub.calendar import Quarter
from hub.kpi.agencies import NOT_RECORDED, SELF_REFERRALS, referrals_by_agency
from hub.referrals import intake
from hub.referrals.models import AGENCY_LABELS, DraftPage, Referral, ReferralSource, ReferrerAgency

from . import factories
from .journeys import PROFESSIONAL_ANSWERS, errors, professional_journey, reference_and_code
from .staff import signed_in

P, SELF = ReferralSource.PROFESSIONAL, ReferralSource.SELF
ROW = r'font-weight-regular">([^<]+)</th>\s*<td class="govuk-table__cell govuk-table__cell--numeric">(\d+)<'


def test_the_form_asks_the_kind_of_organisation_and_the_referral_keeps_it_plain(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    journey = professional_journey(client, referrer={"referrer_agency": "police"})
    page = html.unescape(client.get("/refer/referrer").get_data(as_text=True))
    for label in AGENCY_LABELS.values():
        assert label in page
    journey.answer_all()
    check = html.unescape(journey.client.get("/refer/check").get_data(as_text=True))
    assert "What kind of organisation is it?" in check and "Police" in check
    reference, _ = reference_and_code(journey.send())
    referral = db_session.scalars(select(Referral).where(Referral.reference == reference)).one()
    assert referral.referrer_agency is ReferrerAgency.POLICE
    # The triage team read it with the referrer's other answers.
    allocator, _ = signed_in(app, db_session, Role.ALLOCATOR)
    shown = html.unescape(allocator.get(f"/triage/referrals/{referral.id}").get_data(as_text=True))
    assert "Kind of organisation" in shown and "Police" in shown


def test_a_professional_referral_cannot_be_made_without_one(client: FlaskClient, db_session: Session) -> None:
    journey = professional_journey(client)
    answers = {k: v for k, v in PROFESSIONAL_ANSWERS["referrer"].items() if k != "referrer_agency"}
    response = journey.post("referrer", answers)
    assert response.status_code == 200
    assert errors(response) == [("#referrer_agency", "Select the kind of organisation you work for")]
    page = response.get_data(as_text=True)
    assert page.count("Avery Caseworker") >= 1, "what was typed is kept"
    assert db_session.scalar(select(DraftPage.id)) is None, "nothing was saved"


def test_a_hand_made_kind_not_offered_is_refused_kindly_and_nothing_is_saved(
    client: FlaskClient, db_session: Session
) -> None:
    journey = professional_journey(client)
    for made_up in ("fire_service", "POLICE", "police ", "", "other,police"):
        response = journey.post("referrer", {**PROFESSIONAL_ANSWERS["referrer"], "referrer_agency": made_up})
        assert response.status_code == 200, made_up
        assert [message for _, message in errors(response)] == [
            "Select the kind of organisation you work for, from the list"
            if made_up
            else "Select the kind of organisation you work for"
        ], made_up
        assert html.unescape(response.get_data(as_text=True)).startswith("<!DOCTYPE html>")
        assert "<title>Error: " in response.get_data(as_text=True)
    assert db_session.scalar(select(DraftPage.id)) is None


def test_the_referrer_page_posted_as_json_is_refused_and_saves_nothing(
    client: FlaskClient, db_session: Session
) -> None:
    journey = professional_journey(client)
    token = journey.token()
    response = client.post("/refer/referrer", json={**PROFESSIONAL_ANSWERS["referrer"], "csrf_token": token})
    assert response.status_code == 415
    assert db_session.scalar(select(DraftPage.id)) is None


def test_a_draft_begun_before_the_form_asked_goes_back_to_ask_it(
    client: FlaskClient, db_session: Session
) -> None:
    journey = professional_journey(client)
    journey.answer_all()
    with client.session_transaction() as cookie:
        draft_id = cookie["draft_id"]
    older = {k: v for k, v in PROFESSIONAL_ANSWERS["referrer"].items() if k != "referrer_agency"}
    intake.save_page(db_session, draft_id, P, "referrer", older)  # as a draft saved by the older form
    response = journey.send()
    page = html.unescape(response.get_data(as_text=True))
    assert "Select the kind of organisation you work for." in page
    assert "/refer/referrer?change=1" in page
    assert db_session.scalar(select(Referral.id)) is None, "nothing was sent"


# -- counted ------------------------------------------------------------------------------------


def test_referrals_by_agency_equal_hand_counts(db_session: Session) -> None:
    quarter = Quarter(2026, 3)
    inside = [quarter.starts, quarter.starts + timedelta(days=40), quarter.ends - timedelta(seconds=1)]
    outside = [quarter.starts - timedelta(seconds=1), quarter.ends]
    agencies: list[ReferrerAgency | None] = [*ReferrerAgency, None]
    expected = {agency: 0 for agency in agencies}
    self_made = 0
    shuffle = random.Random(16)  # a fixed, repeatable mix
    for n in range(60):
        source = shuffle.choice([P, P, SELF])
        agency = shuffle.choice(agencies) if source is P else None
        inside_quarter = n % 4 != 0
        when = shuffle.choice(inside if inside_quarter else outside)
        direct = source is SELF and n % 5 == 0
        factories.referral(db_session, source=source, referrer_agency=agency, created_at=when, direct=direct)
        if inside_quarter and source is P:
            expected[agency] += 1
        elif inside_quarter:
            self_made += 1
    found = referrals_by_agency(db_session, quarter)
    by_hand = [(a.label, expected[a]) for a in ReferrerAgency]
    assert found == [*by_hand, (NOT_RECORDED, expected[None]), (SELF_REFERRALS, self_made)]
    assert sum(n for _, n in found) == sum(expected.values()) + self_made


def test_every_kind_shows_even_with_no_referrals(db_session: Session) -> None:
    found = referrals_by_agency(db_session, Quarter(2020, 1))
    assert [label for label, _ in found] == [*AGENCY_LABELS.values(), NOT_RECORDED, SELF_REFERRALS]
    assert {n for _, n in found} == {0}


def test_the_joint_view_shows_referrals_by_agency(app: Flask, db_session: Session) -> None:
    quarter = Quarter.last_ended()
    when = quarter.starts + timedelta(days=3)
    for agency in (ReferrerAgency.HOUSING, ReferrerAgency.HOUSING, ReferrerAgency.NCA):
        factories.referral(db_session, source=P, referrer_agency=agency, created_at=when)
    factories.referral(db_session, source=P, created_at=when)
    factories.referral(db_session, source=SELF, created_at=when, direct=True)
    client, _ = signed_in(app, db_session, Role.COMMISSIONER)
    page = html.unescape(client.get(f"/commissioner/kpi?quarter={quarter.key}").get_data(as_text=True))
    table = page.split("Referrals by referring agency", 1)[1].split("</table>", 1)[0]
    rows = {label: int(count) for label, count in re.findall(ROW, table)}
    assert rows["Housing"] == 2 and rows["National Crime Agency"] == 1 and rows["Police"] == 0
    assert rows[NOT_RECORDED] == 1 and rows[SELF_REFERRALS] == 1
    assert "All referrals" in table
