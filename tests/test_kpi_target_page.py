"""The commissioners' targets page: set, change and end a target through the page; only commissioners;
what was typed is kept and nothing is stored when anything is wrong."""

from __future__ import annotations

import html

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.audit import Actor, AuditEntry
from hub.auth.models import Role
from hub.kpi import returns
from hub.kpi.models import Direction, KpiTarget
from hub.kpi.targets import set_target

from . import factories
from .journeys import TOKEN
from .staff import signed_in
from .test_kpi_joint import supporting
from .test_kpi_returns import AFTER_Q3, PROVIDER, Q3

GOOD = {
    "code": "people_supported",
    "starts": "20264",
    "direction": "at_least",
    "value": "1,200",
    "why": "Reach",
}


def token(client: FlaskClient) -> str:
    found = TOKEN.search(client.get("/commissioner/targets").get_data(as_text=True))
    assert found
    return found.group(1)


def stored(db: Session) -> list[tuple[str, int, float | None]]:
    db.expire_all()
    return [(t.code, t.from_quarter, t.value) for t in db.scalars(select(KpiTarget).order_by(KpiTarget.id))]


@pytest.mark.usefixtures("midday")  # this quarter 20264, the last ended 20263
def test_a_commissioner_sets_changes_and_ends_a_target_on_the_page(app: Flask, db_session: Session) -> None:
    client, user = signed_in(app, db_session, Role.COMMISSIONER)
    csrf = token(client)
    done = client.post("/commissioner/targets", data={**GOOD, "csrf_token": csrf}, follow_redirects=True)
    page = html.unescape(done.get_data(as_text=True))
    assert "The target is set from October to December 2026 (Q3 2026/27): at least 1,200." in page
    assert "In force in October to December 2026" in page and "At least 1,200, from October" in page
    changed = {**GOOD, "starts": "20271", "direction": "at_most", "value": "4.5", "why": "Sooner"}
    client.post(
        "/commissioner/targets", data={**changed, "code": "trs_median_days_to_allocation", "csrf_token": csrf}
    )
    ended = {"end-code": "people_supported", "end-starts": "20272", "csrf_token": csrf}
    page = html.unescape(
        client.post("/commissioner/targets/end", data=ended, follow_redirects=True).get_data(as_text=True)
    )
    assert "The target ends: there is no target from April to June 2027" in page
    assert (
        "No target (ended)" in page
        and "Triage team: Median days from referral to first allocation (days)" in page
    )
    assert stored(db_session) == [
        ("people_supported", 20264, 1200),
        ("trs_median_days_to_allocation", 20271, 4.5),
        ("people_supported", 20272, None),
    ]
    who = db_session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "kpi.target_set")).all()
    assert who == [str(user.id)] * 3


@pytest.mark.usefixtures("midday")
@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"value": "lots"}, "Enter the target as a number, for example 90 or 4.5"),
        ({"value": "-5"}, "Enter the target as a number"),
        ({"value": "٣"}, "Enter the target as a number"),
        ({"value": "1e9"}, "Enter the target as a number"),
        ({"code": "made_up_figure"}, "Choose the figure"),
        ({"starts": "20262"}, "Choose the quarter it starts from"),  # a quarter the page did not offer
        ({"direction": "sideways"}, "Choose which way the target is met"),
        ({"why": " \u200b "}, "Say in a sentence why this target matters"),
        ({"why": "x" * 301}, "Why this matters must be 300 characters or fewer"),
        ({"code": "felt_safer_pct", "value": "120"}, "A percentage target must be from 0 to 100."),
    ],
)
def test_a_wrong_answer_is_explained_keeps_what_was_typed_and_stores_nothing(
    app: Flask, db_session: Session, change: dict[str, str], says: str
) -> None:
    client, _ = signed_in(app, db_session, Role.COMMISSIONER)
    typed = {**GOOD, "why": "Because people should not wait", **change}
    response = client.post("/commissioner/targets", data={**typed, "csrf_token": token(client)})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and "<title>Error: Targets" in page and says in page
    assert typed["why"].strip(" \u200b") in page and f'value="{typed["value"]}"' in page
    assert stored(db_session) == []


@pytest.mark.usefixtures("midday")
def test_ending_a_target_that_is_not_there_is_refused_and_changes_nothing(
    app: Flask, db_session: Session
) -> None:
    client, _ = signed_in(app, db_session, Role.COMMISSIONER)
    csrf = token(client)
    client.post("/commissioner/targets", data={**GOOD, "starts": "20271", "csrf_token": csrf})
    ended = {"end-code": "people_supported", "end-starts": "20264", "csrf_token": csrf}
    page = html.unescape(client.post("/commissioner/targets/end", data=ended).get_data(as_text=True))
    assert "<title>Error: Targets" in page
    assert "There is no target for People supported in the quarter in October to December 2026" in page
    assert stored(db_session) == [("people_supported", 20271, 1200)]


@pytest.mark.usefixtures("midday")
@pytest.mark.parametrize("role", [Role.ALLOCATOR, Role.PROVIDER_STAFF, Role.ADMIN])
def test_no_one_but_a_commissioner_may_set_or_end_a_target(
    app: Flask, db_session: Session, role: Role
) -> None:
    fields = {"provider_id": factories.provider(db_session).id} if role is Role.PROVIDER_STAFF else {}
    client, _ = signed_in(app, db_session, role, **fields)
    found = TOKEN.search(client.get("/staff").get_data(as_text=True))
    assert found
    assert client.get("/commissioner/targets").status_code == 403
    assert (
        client.post("/commissioner/targets", data={**GOOD, "csrf_token": found.group(1)}).status_code == 403
    )
    ended = {"end-code": "people_supported", "end-starts": "20264", "csrf_token": found.group(1)}
    assert client.post("/commissioner/targets/end", data=ended).status_code == 403
    assert stored(db_session) == []


def test_the_joint_view_trends_and_export_show_the_figure_against_the_target_then_in_force(
    app: Flask, db_session: Session
) -> None:
    harbour = factories.provider(db_session, name="Harbour")
    db_session.commit()
    commissioner = Actor(id=None, role="commissioner")
    with time_machine.travel(AFTER_Q3, tick=False):
        figures = supporting(db_session, harbour, Q3, 40)
        assert not returns.save(db_session, harbour.id, Q3, figures, {}, PROVIDER, submit=True).errors
        set_target(
            db_session, commissioner, "people_supported", Q3, 50, Direction.AT_LEAST, "Reach more people"
        )
        # Not in force in Q3: a later quarter's target, and a target ended from Q3 on.
        set_target(db_session, commissioner, "sessions_one_to_one", Q3.next(), 1, Direction.AT_LEAST, "Later")
        client, _ = signed_in(app, db_session, Role.COMMISSIONER)
        page = html.unescape(client.get("/commissioner/kpi?quarter=20263").get_data(as_text=True))
        export = client.get("/commissioner/kpi/export?quarter=20263&kind=joint&format=csv")
        trends = client.get("/commissioner/kpi/export?quarter=20263&kind=trends&format=csv")
    words = "Not met: 40 against a target of at least 50"
    assert (
        "Against targets" in page
        and f"✗ </span>{words}" in page
        and "Why this matters: Reach more people" in page
    )
    assert page.count(words) == 1 and "✗ Not met (at least 50)" in page  # the list, and the table's column
    listed = page.split("Against targets")[1].split("<h2")[0]
    assert "Sessions" not in listed and "New" not in listed and "Ended" not in listed
    assert 'class="hub-chart__target"' in page and "Target, Q2 2026/27: at least 50</title>" in page
    assert "40 ✗ Not met" in page  # the trend's table, all providers together
    assert f"✗ {words}" in export.get_data(as_text=True)
    assert "All providers: against target" in trends.get_data(as_text=True)
