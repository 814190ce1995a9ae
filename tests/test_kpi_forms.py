"""The KPI forms under attack: whatever is posted to a return or to the KPI definitions page, what was
typed comes back with a kind message on its field, and nothing is saved unless every rule is met."""

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
from hub.kpi.forms import NOT_OFFERED
from hub.kpi.models import KpiDefinition, ReturnState
from hub.kpi.prefill import prefill
from hub.providers.models import Provider

from . import factories
from .journeys import TOKEN
from .staff import signed_in
from .test_contradictions import page_errors
from .test_kpi_returns import AFTER_Q3, PROVIDER, Q3, with_hub_figures

PAGE = "/kpi/returns/2026/3"


@pytest.fixture
def provider(db_session: Session) -> Provider:
    found = factories.provider(db_session, name="Harbour")
    db_session.commit()
    return found


def _provider_client(app: Flask, db: Session, provider: Provider) -> tuple[FlaskClient, str]:
    client, _user = signed_in(app, db, Role.PROVIDER_STAFF, provider_id=provider.id)
    token = TOKEN.search(client.get(PAGE).get_data(as_text=True))
    assert token
    return client, token.group(1)


def _post(client: FlaskClient, token: str, action: str, figures: dict[str, str], **extra: str) -> Any:
    data = {"csrf_token": token, "action": action, **{f"figure-{k}": v for k, v in figures.items()}, **extra}
    return client.post(PAGE, data=data)


def _nothing_saved(db: Session, provider: Provider) -> None:
    db.expire_all()
    assert returns.versions(db, provider.id, Q3) == []
    kpi_entries = select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("kpi.%"))
    assert db.scalar(kpi_entries) == 0


def _box(page: str, code: str) -> str:
    """What the figure's box holds (``page`` as sent, before unescaping)."""
    found = re.search(rf'<input [^>]*id="figure-{code}" [^>]*value="([^"]*)"', page)
    assert found, f"no box for {code}"
    return html.unescape(found.group(1))


@pytest.mark.parametrize(
    ("code", "typed", "message"),
    [
        ("people_supported", "-1", "People supported in the quarter must be a whole number, 0 or more"),
        ("people_supported", "forty", "People supported in the quarter must be a number"),
        ("people_supported", '{"value": 40}', "People supported in the quarter must be a number"),
        ("people_supported", "[40]", "People supported in the quarter must be a number"),
        (
            "people_supported",
            "99999999999",
            "People supported in the quarter must be a number up to 10,000,000",
        ),
        (
            "people_supported",
            "10000001",
            "People supported in the quarter must be a number up to 10,000,000",
        ),
        ("people_supported", "2.5", "People supported in the quarter must be a whole number, 0 or more"),
        ("people_supported", "1e3", "People supported in the quarter must be a number"),
        ("people_supported", "\u0663", "People supported in the quarter must be a number"),
        ("felt_safer_pct", "-0.5", "People who said they felt safer must be a number from 0 to 100"),
        ("felt_safer_pct", "100.1", "People who said they felt safer must be a number from 0 to 100"),
        ("felt_safer_pct", "Infinity", "People who said they felt safer must be a number"),
    ],
)
@pytest.mark.parametrize("action", ["save", "submit"])
def test_a_figure_that_is_not_a_usable_number_is_kept_and_explained_and_nothing_is_saved(
    app: Flask, db_session: Session, provider: Provider, code: str, typed: str, message: str, action: str
) -> None:
    with time_machine.travel(AFTER_Q3, tick=False):
        client, token = _provider_client(app, db_session, provider)
        figures = with_hub_figures(db_session, provider, **{code: typed})
        response = _post(client, token, action, figures)
    raw = response.get_data(as_text=True)
    page = html.unescape(raw)
    assert response.status_code == 200
    assert (f"#figure-{code}", message) in page_errors(page)
    assert f'id="figure-{code}-error"' in page  # the message sits on the box too
    assert _box(raw, code) == typed
    assert _box(raw, "sessions_one_to_one") == "4817"  # the rest of what was typed is kept as well
    _nothing_saved(db_session, provider)


def test_400_digits_are_refused_whole_never_cut_to_another_number(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    with time_machine.travel(AFTER_Q3, tick=False):
        client, token = _provider_client(app, db_session, provider)
        figures = with_hub_figures(db_session, provider, people_supported="4" * 400)
        page = html.unescape(_post(client, token, "save", figures).get_data(as_text=True))
    assert (
        "#figure-people_supported",
        "People supported in the quarter must be a number up to 10,000,000",
    ) in page_errors(page)
    assert _box(page, "people_supported") == "4" * returns.FIGURE_TYPED_MAX  # what fits in the box
    _nothing_saved(db_session, provider)


def test_a_figure_sent_as_json_is_refused_before_any_form_reads_it(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    with time_machine.travel(AFTER_Q3, tick=False):
        client, token = _provider_client(app, db_session, provider)
        body = {
            "csrf_token": token,
            "action": "submit",
            **{f"figure-{k}": v for k, v in with_hub_figures(db_session, provider).items()},
        }
        for figures in (
            body,
            {**body, "figure-people_supported": 40},
            {**body, "figure-people_supported": [40]},
        ):
            response = client.post(PAGE, json=figures, headers={"X-CSRFToken": token})
            assert response.status_code == 415
            assert "only takes answers sent from its own form" in response.get_data(as_text=True)
    _nothing_saved(db_session, provider)


@pytest.mark.parametrize(
    "stray",
    [
        {"figure-not_a_kpi": "5"},
        {"figure-trs_declines": "5"},  # a figure the hub keeps for the triage team, not the provider's
        {"reason-people_supported": "a reason where the page asks for none"},
        {"figure-people_supported ": "40"},
    ],
)
def test_a_figure_the_form_did_not_offer_is_refused_and_what_was_typed_is_kept(
    app: Flask, db_session: Session, provider: Provider, stray: dict[str, str]
) -> None:
    with time_machine.travel(AFTER_Q3, tick=False):
        client, token = _provider_client(app, db_session, provider)
        figures = with_hub_figures(db_session, provider)
        response = _post(client, token, "submit", figures, **stray)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert page_errors(page) == [("#actions", NOT_OFFERED)]
    assert 'id="actions"' in page
    assert _box(page, "people_supported") == "40" and _box(page, "felt_safer_pct") == "92.5"
    assert "not_a_kpi" not in page
    _nothing_saved(db_session, provider)


def test_an_empty_box_the_form_did_not_offer_says_nothing_and_the_draft_is_saved(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    with time_machine.travel(AFTER_Q3, tick=False):
        client, token = _provider_client(app, db_session, provider)
        response = _post(client, token, "save", {"people_supported": "40", "not_a_kpi": " "})
    assert response.status_code == 303
    [draft] = returns.versions(db_session, provider.id, Q3)
    assert draft.figures_checked()["people_supported"] == 40 and "not_a_kpi" not in draft.figures_checked()


def test_submitting_with_an_empty_figure_says_which_keeps_the_rest_and_saves_nothing(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    with time_machine.travel(AFTER_Q3, tick=False):
        client, token = _provider_client(app, db_session, provider)
        figures = with_hub_figures(db_session, provider, new_starts="")
        del figures["group_sessions"]  # a box left out of the post altogether is empty too
        response = _post(client, token, "submit", figures)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert page_errors(page) == [
        ("#figure-new_starts", "Enter a figure for new people starting support (0 if there were none)"),
        ("#figure-group_sessions", "Enter a figure for group sessions delivered (0 if there were none)"),
    ]
    assert _box(page, "new_starts") == "" and _box(page, "people_supported") == "40"
    _nothing_saved(db_session, provider)


def test_every_problem_is_shown_at_once_as_the_service_would_find_them(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    """A box that cannot be read, a missing figure, a changed hub figure without a reason, and a
    breakdown that does not add up: the page lists all four together, in the return's order."""
    with time_machine.travel(AFTER_Q3, tick=False):
        client, token = _provider_client(app, db_session, provider)
        figures = with_hub_figures(
            db_session,
            provider,
            referrals_allocated="3",
            people_supported="40",
            new_starts="",
            age_under_25="12",
        )
        figures["felt_safer_pct"] = "lots"
        expected = returns.check(
            returns.definitions(db_session, Q3),
            figures,
            {},
            prefill(db_session, provider.id, Q3),
            complete=True,
        ).errors
        page = html.unescape(_post(client, token, "submit", figures).get_data(as_text=True))
    assert len(expected) == 4
    assert sorted(page_errors(page)) == sorted((f"#figure-{code}", why) for code, why in expected.items())
    _nothing_saved(db_session, provider)


def test_a_reason_for_a_changed_hub_figure_is_kept_with_the_figure_and_saved_with_it(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    why = "Three came by phone before the hub was used."
    with time_machine.travel(AFTER_Q3, tick=False):
        client, token = _provider_client(app, db_session, provider)
        figures = with_hub_figures(db_session, provider, referrals_allocated="3", people_supported="x")
        page = _post(client, token, "save", figures, **{"reason-referrals_allocated": why}).get_data(
            as_text=True
        )
        assert f'value="{why}"' in html.unescape(page)
        _nothing_saved(db_session, provider)
        figures["people_supported"] = "40"
        saved = _post(client, token, "save", figures, **{"reason-referrals_allocated": f"  {why}\x00 "})
    assert saved.status_code == 303
    [draft] = returns.versions(db_session, provider.id, Q3)
    assert (
        draft.reasons == {"referrals_allocated": why} and draft.figures_checked()["referrals_allocated"] == 3
    )


def test_a_button_the_page_does_not_have_is_a_clear_400(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    with time_machine.travel(AFTER_Q3, tick=False):
        client, token = _provider_client(app, db_session, provider)
        response = _post(client, token, "publish", with_hub_figures(db_session, provider))
    assert response.status_code == 400
    assert "Sorry, there is a problem with that request" in response.get_data(as_text=True)
    _nothing_saved(db_session, provider)


def test_a_locked_return_says_it_is_locked_whatever_the_boxes_held(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    """An old tab still showing the draft: the service's reason comes first, not the boxes' problems."""
    with time_machine.travel(AFTER_Q3, tick=False):
        full = with_hub_figures(db_session, provider)
        assert not returns.save(db_session, provider.id, Q3, full, {}, PROVIDER, submit=True).errors
        client, token = _provider_client(app, db_session, provider)
        response = _post(client, token, "save", {**full, "people_supported": "forty"})
    page = html.unescape(response.get_data(as_text=True))
    assert page_errors(page) == [
        ("#actions", "This return has been submitted, so it is locked. Amend it to change it.")
    ]
    [submitted] = returns.versions(db_session, provider.id, Q3)
    assert submitted.state is ReturnState.SUBMITTED and submitted.figures_checked()["people_supported"] == 40


def test_an_amendment_reason_that_is_too_long_is_kept_and_explained(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    with time_machine.travel(AFTER_Q3, tick=False):
        full = with_hub_figures(db_session, provider)
        assert not returns.save(db_session, provider.id, Q3, full, {}, PROVIDER, submit=True).errors
        client, token = _provider_client(app, db_session, provider)
        typed = "Group sessions were undercounted. " * 40
        response = client.post(PAGE, data={"csrf_token": token, "action": "amend", "amendment_reason": typed})
    page = html.unescape(response.get_data(as_text=True))
    assert page_errors(page) == [("#actions", "The reason for amending must be 1,000 characters or fewer")]
    assert typed.strip() in page  # in the box, to shorten
    assert len(returns.versions(db_session, provider.id, Q3)) == 1


# -- the administrator's forms ----------------------------------------------------------------------


def _admin(app: Flask, db: Session) -> tuple[FlaskClient, str]:
    client, _user = signed_in(app, db, Role.ADMIN)
    token = TOKEN.search(client.get("/admin/kpi").get_data(as_text=True))
    assert token
    return client, token.group(1)


def _definitions(db: Session) -> list[tuple[str, int, int | None]]:
    db.expire_all()
    found = db.scalars(select(KpiDefinition).order_by(KpiDefinition.id))
    return [(d.code, d.from_quarter, d.until_quarter) for d in found]


GOOD = {
    "code": "waiting_over_4_weeks",
    "label": "People waiting over 4 weeks",
    "unit": "count",
    "starts": "20264",
}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code": ""}, "code", "Enter a code for the figure"),
        ({"code": "   "}, "code", "Enter a code for the figure"),
        ({"code": "4_weeks"}, "code", "The code must start with a letter"),
        ({"code": "waiting over"}, "code", "The code must start with a letter"),
        ({"code": "w" * 61}, "code", "(2 to 60 characters)"),
        ({"code": "wait\u0131ng"}, "code", "The code must start with a letter"),  # a dotless i
        ({"label": "  "}, "label", "Enter the figure's name"),
        ({"label": "n" * 201}, "label", "Name must be 200 characters or fewer"),
        ({"unit": "litres"}, "unit", "Choose the unit"),
        ({"unit": ""}, "unit", "Choose the unit"),
        ({"starts": "20265"}, "starts", "Choose the first quarter"),
        ({"starts": "9" * 400}, "starts", "Choose the first quarter"),
        (
            {"starts": "\uff12\uff10\uff12\uff16\uff14"},
            "starts",
            "Choose the first quarter",
        ),  # full-width digits
        ({"starts": ""}, "starts", "Choose the first quarter"),
        ({"breakdown": "b" * 61}, "breakdown", "Breakdown must be 60 characters or fewer"),
        (
            {"description": "d" * 2001},
            "description",
            "What the figure counts must be 2,000 characters or fewer",
        ),
    ],
)
def test_a_new_figure_that_breaks_a_rule_is_kept_and_explained_on_its_field(
    app: Flask, db_session: Session, changes: dict[str, str], field: str, message: str
) -> None:
    with time_machine.travel(AFTER_Q3, tick=False):
        client, token = _admin(app, db_session)
        before = _definitions(db_session)
        response = client.post("/admin/kpi", data={"csrf_token": token, **GOOD, **changes})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    [(href, text)] = page_errors(page)
    assert href == f"#{field}" and message in text
    assert f'id="{field}-error"' in page
    if field != "code":
        assert 'value="waiting_over_4_weeks"' in page
    assert _definitions(db_session) == before


def test_a_new_figures_code_is_cleaned_and_made_small_before_it_is_saved(
    app: Flask, db_session: Session
) -> None:
    with time_machine.travel(AFTER_Q3, tick=False):
        client, token = _admin(app, db_session)
        data = {
            "csrf_token": token,
            **GOOD,
            "code": "  Waiting_Over_4_Weeks\u200b ",
            "label": " People   waiting ",
        }
        assert client.post("/admin/kpi", data=data).status_code == 303
    [added] = db_session.scalars(select(KpiDefinition).where(KpiDefinition.code == "waiting_over_4_weeks"))
    assert (added.label, added.from_quarter, added.prefilled) == ("People waiting", 20264, False)


def test_a_new_figure_sent_as_json_is_refused_and_nothing_is_added(app: Flask, db_session: Session) -> None:
    with time_machine.travel(AFTER_Q3, tick=False):
        client, token = _admin(app, db_session)
        before = _definitions(db_session)
        response = client.post(
            "/admin/kpi", json={"csrf_token": token, **GOOD}, headers={"X-CSRFToken": token}
        )
    assert response.status_code == 415
    assert _definitions(db_session) == before


@pytest.mark.parametrize("starts", ["", "20265", "9" * 400, "²", "20263"])
def test_retiring_from_a_quarter_that_cannot_be_used_says_why_and_changes_nothing(
    app: Flask, db_session: Session, starts: str
) -> None:
    with time_machine.travel(AFTER_Q3, tick=False):
        client, token = _admin(app, db_session)
        before = _definitions(db_session)
        [felt_safer] = [d for d in returns.definitions(db_session, Q3) if d.code == "felt_safer_pct"]
        response = client.post(
            f"/admin/kpi/{felt_safer.id}/retire", data={"csrf_token": token, "starts": starts}
        )
        assert response.status_code == 303
        page = html.unescape(client.get("/admin/kpi").get_data(as_text=True))
    expected = (
        "has ended, so its figures cannot change"
        if starts == "20263"
        else "Choose the quarter to retire it from"
    )
    assert expected in page
    assert _definitions(db_session) == before
