"""Records that would contradict themselves are refused with a kind message naming the field, and
nothing is changed: closing a case, sessions and scores, the referral form, and the quarterly return."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.audit import AuditEntry
from hub.auth.models import Role
from hub.kpi import returns
from hub.kpi.models import ReturnState
from hub.outbox import OutboxMessage
from hub.providers.models import Provider
from hub.referrals import cases
from hub.referrals.models import Allocation, Outcome, ReferralEvent

from . import factories
from .clock import TODAY
from .journeys import TOKEN, errors, professional_journey
from .staff import signed_in
from .test_cases import offered, provider_desk, staff
from .test_kpi_returns import AFTER_Q3, PROVIDER, Q3, with_hub_figures

pytestmark = pytest.mark.usefixtures("midday")


@pytest.fixture
def provider(db_session: Session) -> Provider:
    found = factories.provider(db_session, name="Harbour")
    db_session.commit()
    return found


def written(db: Session, allocation: Allocation) -> tuple[Any, ...]:
    db.expire_all()
    found = db.get(Allocation, allocation.id)
    assert found is not None
    return (
        found.referral.status,
        found.outcome,
        found.closed_at,
        found.measures,
        db.scalar(select(func.count()).select_from(ReferralEvent)),
        db.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action.like("referral.%"), AuditEntry.action != "referral.viewed")
        ),
        db.scalar(select(func.count()).select_from(OutboxMessage)),
    )


def accepted(db: Session, provider: Provider, contacted: bool) -> Allocation:
    allocation = offered(db, provider)
    who = staff(db, provider)
    cases.accept(db, allocation.id, provider.id, who)
    if contacted:
        cases.record_first_contact(db, allocation.id, provider.id, who, TODAY, "text")
    return allocation


def page_errors(page: str) -> list[tuple[str, str]]:
    summary = re.search(r'<div class="govuk-error-summary__body">(.*?)</ul>', page, re.S)
    assert summary, "the page shows an error summary"
    return re.findall(r'<a href="([^"]+)">([^<]+)</a>', summary.group(1))


# -- closing a case ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("contacted", "outcome", "message"),
    [
        (
            True,
            "couldnt_contact",
            "You recorded a first contact on .*, so the case cannot close as “We could",
        ),
        (False, "support_completed", "No first contact is recorded, so the case cannot close as “Support"),
        (False, "disengaged", "No first contact is recorded, so the case cannot close as “They stopped"),
    ],
)
def test_closing_with_an_outcome_that_contradicts_the_first_contact_is_refused(
    app: Flask, db_session: Session, provider: Provider, contacted: bool, outcome: str, message: str
) -> None:
    allocation = accepted(db_session, provider, contacted)
    before = written(db_session, allocation)
    with pytest.raises(cases.Contradiction, match=message) as refused:
        cases.close(db_session, allocation.id, provider.id, staff(db_session, provider), Outcome(outcome))
    assert refused.value.field == "outcome"
    assert written(db_session, allocation) == before

    status, page = provider_desk(app, db_session, provider).post(
        f"/provider/cases/{allocation.id}/close", **{"close-outcome": outcome, "close-note": "Kept note."}
    )
    assert status == 200
    [(link, text)] = page_errors(page)
    assert link == "#close-outcome" and re.search(message, text)
    assert "Kept note." in page, "what was typed is kept"
    assert written(db_session, allocation) == before


@pytest.mark.parametrize(
    ("contacted", "outcome"),
    [(False, Outcome.COULDNT_CONTACT), (False, Outcome.NO_LONGER_WANTED), (True, Outcome.SUPPORT_COMPLETED)],
)
def test_closing_with_an_outcome_that_fits_is_allowed(
    db_session: Session, provider: Provider, contacted: bool, outcome: Outcome
) -> None:
    allocation = accepted(db_session, provider, contacted)
    cases.close(db_session, allocation.id, provider.id, staff(db_session, provider), outcome)
    db_session.expire_all()
    assert allocation.outcome is outcome


# -- sessions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("contacted", "values", "field", "message"),
    [
        (
            True,
            {"sessions_offered": "2", "sessions_attended": "2", "sessions_not_attended": "1"},
            "sessions_attended",
            "Sessions attended and not attended cannot add up to more than the sessions offered",
        ),
        (
            False,
            {"sessions_offered": "3", "sessions_attended": "1"},
            "sessions_attended",
            "No first contact is recorded, so there cannot be sessions attended yet.",
        ),
        (
            False,
            {"group_sessions": "2"},
            "group_sessions",
            "No first contact is recorded, so there cannot be group sessions yet.",
        ),
    ],
)
def test_sessions_that_contradict_each_other_or_the_first_contact_are_refused_on_the_field(
    app: Flask,
    db_session: Session,
    provider: Provider,
    contacted: bool,
    values: dict[str, str],
    field: str,
    message: str,
) -> None:
    allocation = accepted(db_session, provider, contacted)
    before = written(db_session, allocation)
    status, page = provider_desk(app, db_session, provider).post(
        f"/provider/cases/{allocation.id}/measures", **{f"measures-{k}": v for k, v in values.items()}
    )
    assert status == 200
    [(link, text)] = page_errors(page)
    assert link == f"#measures-{field}" and text.startswith(message)
    for name, value in values.items():
        assert re.search(rf'id="measures-{name}"[^>]*value="{value}"', page), "what was typed is kept"
    assert written(db_session, allocation) == before


# -- the referral form ---------------------------------------------------------------------------


def test_none_of_these_and_a_way_to_contact_them_together_is_refused(client: FlaskClient) -> None:
    journey = professional_journey(client, contact={"methods": ["phone", "referrer"]})
    for page in list(journey.answers)[:-1]:
        assert journey.post(page).status_code == 303
    response = journey.post("contact")
    assert response.status_code == 200
    assert errors(response) == [
        (
            "#methods",
            "You chose “None of these” and a way to contact them. Choose the safe ways, "
            "or choose to be contacted instead, not both.",
        )
    ]
    assert journey.post("contact", {**journey.answers["contact"], "methods": ["referrer"]}).status_code == 303


# -- the quarterly return ------------------------------------------------------------------------

RETURN_CONTRADICTIONS = [
    (
        {"outcome_measured": "10", "reliable_improvement": "12"},
        "reliable_improvement",
        "People showing reliable improvement (12) cannot be more than people with an outcome measure "
        "at start and end (10). Check both figures.",
    ),
    (
        {"people_supported": "40", "new_starts": "41"},
        "new_starts",
        "New people starting support (41) cannot be more than people supported in the quarter (40). "
        "Check both figures.",
    ),
    (
        {"outcome_measured": "41", "reliable_improvement": "7"},
        "outcome_measured",
        "People with an outcome measure at start and end (41) cannot be more than people supported in "
        "the quarter (40). Check both figures.",
    ),
    (
        {"planned_endings": "30", "unplanned_endings": "11"},
        "planned_endings",
        "Planned and unplanned endings together (41) cannot be more than people supported in the "
        "quarter (40). Check both figures.",
    ),
]


@pytest.mark.parametrize(("changes", "code", "message"), RETURN_CONTRADICTIONS)
def test_a_return_whose_figures_contradict_each_other_cannot_be_submitted(
    db_session: Session, provider: Provider, changes: dict[str, str], code: str, message: str
) -> None:
    with time_machine.travel(AFTER_Q3):
        figures = with_hub_figures(db_session, provider, **changes)
        refused = returns.save(db_session, provider.id, Q3, figures, {}, PROVIDER, submit=True)
        assert refused.errors == {code: message}
        assert refused.typed[code] == changes[code]
        assert returns.versions(db_session, provider.id, Q3) == [], "nothing is written"
        assert not db_session.scalar(select(func.count()).select_from(AuditEntry))

        draft = returns.save(db_session, provider.id, Q3, figures, {}, PROVIDER)
        assert not draft.errors and draft.contradictions == {code: message}
        [saved] = returns.versions(db_session, provider.id, Q3)
        assert saved.state is ReturnState.DRAFT, "a draft may be saved with the problem"


def test_the_return_page_saves_a_contradicting_draft_shows_the_problem_and_refuses_to_submit_it(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    changes, code, message = RETURN_CONTRADICTIONS[0]
    with time_machine.travel(AFTER_Q3, tick=False):
        client, _ = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)
        token = TOKEN.search(client.get("/kpi/returns/2026/3").get_data(as_text=True))
        assert token
        data = {f"figure-{k}": v for k, v in with_hub_figures(db_session, provider, **changes).items()}
        saved = client.post(
            "/kpi/returns/2026/3", data={"csrf_token": token.group(1), "action": "save", **data}
        )
        assert saved.status_code == 303
        page = html.unescape(client.get("/kpi/returns/2026/3").get_data(as_text=True))
        assert "Some figures do not fit together" in page
        assert f'<a class="govuk-link" href="#figure-{code}">{message}</a>' in page
        submitted = client.post(
            "/kpi/returns/2026/3", data={"csrf_token": token.group(1), "action": "submit", **data}
        )
        page = html.unescape(submitted.get_data(as_text=True))
    assert submitted.status_code == 200
    assert (f"#figure-{code}", message) in page_errors(page)
    assert 'value="12"' in page
    [draft] = returns.versions(db_session, provider.id, Q3)
    assert draft.state is ReturnState.DRAFT


def test_a_return_whose_figures_fit_together_is_submitted(db_session: Session, provider: Provider) -> None:
    with time_machine.travel(AFTER_Q3):
        figures = with_hub_figures(db_session, provider, outcome_measured="10", reliable_improvement="10")
        assert not returns.save(db_session, provider.id, Q3, figures, {}, PROVIDER, submit=True).errors
