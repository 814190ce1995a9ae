"""The public pathway report: nothing shows before a commissioner publishes a quarter; what is published
is frozen, controlled (small counts hidden, the rest rounded, shares over few people hidden) and can be
withdrawn; guessed quarters, wrong roles and spreadsheet formulas get nothing."""

from __future__ import annotations

import csv
import dataclasses
import html
import io
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from hub.audit import Actor, AuditEntry
from hub.auth.models import Role
from hub.calendar import Quarter
from hub.kpi import disclosure, publication, returns
from hub.kpi.models import Direction, KpiQuarter, KpiTarget
from hub.providers.models import Provider
from hub.referrals.models import ReferralSource, ReferrerAgency

from . import factories
from .staff import Desk, signed_in
from .test_kpi_joint import supporting
from .test_kpi_returns import AFTER_Q3, Q3

PROVIDER = Actor(id=None, role="provider_staff")
COMMISSIONER = Actor(id=None, role="commissioner")


def submitted(db: Session, provider: Provider, people: int, **changes: str) -> None:
    figures = {**supporting(db, provider, Q3, people), **changes}
    assert not returns.save(db, provider.id, Q3, figures, {}, PROVIDER, submit=True).errors


def public_page(app: Flask) -> str:
    return html.unescape(app.test_client().get("/pathway").get_data(as_text=True))


def public_csv(app: Flask) -> list[list[str]]:
    response = app.test_client().get("/pathway.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def actions(db: Session) -> list[str]:
    return list(db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("kpi.quarter_%"))))


def test_nothing_shows_before_publishing_then_publishing_shows_it_and_withdrawing_removes_it(
    app: Flask, db_session: Session
) -> None:
    provider = factories.provider(db_session, name="Harbour")
    factories.provider(db_session, name="Lighthouse")  # sends no return
    db_session.commit()
    with time_machine.travel(AFTER_Q3, tick=False):
        submitted(db_session, provider, 43)
        desk = Desk(signed_in(app, db_session, Role.COMMISSIONER)[0])
        before = public_page(app)
        assert "No figures published yet" in before and Q3.label not in before
        assert not any(Q3.label in row for row in public_csv(app))
        _, joint = desk.get("/commissioner/kpi?quarter=20263")
        assert "Publish on the pathway report" in joint and "is not published" in joint
        assert "1 of the 2 providers has not submitted a return" in joint

        response = desk.send("/commissioner/kpi/publish", quarter="20263")
        assert response.status_code == 303 and "quarter=20263" in response.headers["Location"]
        _, joint = desk.get("/commissioner/kpi?quarter=20263")
        assert (
            "is published on the public pathway report" in joint
            and "Withdraw from the pathway report" in joint
        )
        page = public_page(app)
        assert Q3.label in page and "People supported" in page
        assert "These figures leave out 1 of the 2 support providers, which had not sent its figures" in page
        assert ">45<" in page.replace(" ", "") and ">43<" not in page.replace(" ", "")  # 43 rounded to 45
        assert [Q3.label, "Support and outcomes", "People supported", "45", "", "", ""] in public_csv(app)
        assert actions(db_session) == ["kpi.quarter_published"]

        response = desk.send("/commissioner/kpi/withdraw", quarter="20263")
        assert response.status_code == 303
        after = public_page(app)
        assert Q3.label not in after and "No figures published yet" in after
        assert not any(Q3.label in row for row in public_csv(app))
        assert actions(db_session) == ["kpi.quarter_published", "kpi.quarter_withdrawn"]
        # Withdrawing what is not published says so and changes nothing.
        desk.send("/commissioner/kpi/withdraw", quarter="20263")
        _, joint = desk.get("/commissioner/kpi?quarter=20263")
        assert "is not published, so there is nothing to withdraw" in joint
        assert actions(db_session) == ["kpi.quarter_published", "kpi.quarter_withdrawn"]


def test_what_is_published_is_frozen_until_published_again(app: Flask, db_session: Session) -> None:
    provider = factories.provider(db_session, name="Harbour")
    db_session.commit()
    with time_machine.travel(AFTER_Q3, tick=False):
        submitted(db_session, provider, 43)
        publication.publish(db_session, COMMISSIONER, Q3, 7, 5)
        returns.amend(db_session, provider.id, Q3, "Counted again.", PROVIDER)
        figures = supporting(db_session, provider, Q3, 61)
        assert not returns.save(db_session, provider.id, Q3, figures, {}, PROVIDER, submit=True).errors
        assert ">45<" in public_page(app).replace(" ", "")  # the amendment is not public yet
        publication.publish(db_session, COMMISSIONER, Q3, 7, 5)
        page = public_page(app).replace(" ", "")
        assert ">60<" in page and ">45<" not in page


def test_a_quarter_not_ended_cannot_be_published_and_a_guessed_quarter_shows_nothing(
    app: Flask, db_session: Session
) -> None:
    provider = factories.provider(db_session, name="Harbour")
    db_session.commit()
    with time_machine.travel(AFTER_Q3, tick=False):
        submitted(db_session, provider, 43)
        desk = Desk(signed_in(app, db_session, Role.COMMISSIONER)[0])
        for key, words in (
            ("20264", "has not ended yet"),
            ("20271", "has not ended yet"),
            ("20001", "older than the quarters the joint return offers"),
            ("20265", "Choose"),
        ):
            response = desk.send("/commissioner/kpi/publish", quarter=key)
            assert response.status_code == 303
            _, page = desk.get(response.headers["Location"])
            assert words in page, key
        assert db_session.scalars(select(KpiQuarter)).all() == [] and actions(db_session) == []
        anyone = app.test_client()
        for guess in ("/pathway/20263", "/pathway/2026/3", "/pathway.csv/20263"):
            assert anyone.get(guess).status_code == 404
        for guess in ("/pathway?quarter=20263", "/pathway.csv?quarter=20263"):
            assert Q3.label not in anyone.get(guess).get_data(as_text=True)


def test_a_quarter_shared_at_the_same_moment_as_it_is_published_asks_to_try_again(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    worked_out = publication.frozen

    def shared_meanwhile(db: Session, *args: Any) -> dict[str, Any]:
        db.execute(insert(KpiQuarter).values(quarter=Q3.key))  # another commissioner's share, just committed
        return worked_out(db, *args)

    monkeypatch.setattr(publication, "frozen", shared_meanwhile)
    refused = pytest.raises(publication.NotPublishable, match="try again")
    with time_machine.travel(AFTER_Q3, tick=False), refused:
        publication.publish(db_session, COMMISSIONER, Q3, 7, 5)
    assert not publication.is_published(db_session, Q3) and actions(db_session) == []


def test_only_a_commissioner_publishes(app: Flask, db_session: Session) -> None:
    provider = factories.provider(db_session, name="Harbour")
    db_session.commit()
    with time_machine.travel(AFTER_Q3, tick=False):
        submitted(db_session, provider, 43)
        for role, fields in ((Role.PROVIDER_STAFF, {"provider_id": provider.id}), (Role.ALLOCATOR, {})):
            desk = Desk(signed_in(app, db_session, role, **fields)[0])
            assert desk.send("/commissioner/kpi/publish", quarter="20263").status_code == 403
        anonymous = app.test_client().post("/commissioner/kpi/publish", data={"quarter": "20263"})
        assert anonymous.status_code in {302, 303, 400}
        assert not publication.is_published(db_session, Q3) and "No figures published yet" in public_page(app)


def test_small_counts_and_shares_of_few_people_are_never_shown(app: Flask, db_session: Session) -> None:
    provider = factories.provider(db_session, name="Harbour")
    db_session.commit()
    with time_machine.travel(AFTER_Q3, tick=False):
        few = {"new_starts": "2", "planned_endings": "1", "unplanned_endings": "1"}
        submitted(db_session, provider, 3, outcome_measured="2", reliable_improvement="1", **few)
        for _ in range(2):  # two referrals arrive in the quarter: a small count
            factories.referral(db_session).created_at = Q3.starts + timedelta(days=3)
        db_session.commit()
        row = publication.publish(db_session, COMMISSIONER, Q3, 7, 5)
    frozen = row.published_figures or {}
    assert frozen["counts"]["people_supported"] == disclosure.SMALL
    assert frozen["counts"]["received"] == disclosure.SMALL
    for name, value in frozen["counts"].items():
        assert value in {disclosure.SMALL, disclosure.WITHHELD, None} or value % 5 == 0, name
    # 2 measured people: a share of too few people, so it is hidden (as every share here is).
    assert all(rate in {disclosure.SMALL, disclosure.WITHHELD, None} for rate in frozen["rates"].values())
    page = public_page(app)
    assert "1 to 7 people" in page and "92.5" not in page and "88%" not in page


def test_targets_are_judged_against_the_published_figure_and_the_csv_is_safe_in_a_spreadsheet(
    app: Flask, db_session: Session
) -> None:
    provider = factories.provider(db_session, name="Harbour")
    db_session.add(
        KpiTarget(
            code="people_supported",
            from_quarter=20261,
            value=50,
            direction=Direction.AT_LEAST,
            why='=HYPERLINK("http://example.invalid","Click")',
        )
    )
    db_session.commit()
    with time_machine.travel(AFTER_Q3, tick=False):
        submitted(db_session, provider, 43)
        publication.publish(db_session, COMMISSIONER, Q3, 7, 5)
        page = public_page(app)
        rows = public_csv(app)
    assert "Not met: 45 against a target of at least 50" in page
    [supported] = [r for r in rows if r[2:3] == ["People supported"]]
    assert supported[4:6] == ["at least 50", "Not met: 45 against a target of at least 50"]
    assert supported[6] == '\'=HYPERLINK("http://example.invalid","Click")'
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_the_quarter_page_offers_nothing_for_a_quarter_not_ended(app: Flask, db_session: Session) -> None:
    with time_machine.travel(AFTER_Q3, tick=False):
        client: FlaskClient = signed_in(app, db_session, Role.COMMISSIONER)[0]
        page = client.get(f"/commissioner/kpi?quarter={Quarter(2026, 4).key}").get_data(as_text=True)
    assert "has not ended yet, so it cannot be published" in page and "/commissioner/kpi/publish" not in page


def test_referrals_by_agency_are_published_under_the_same_control_as_every_count(
    app: Flask, db_session: Session
) -> None:
    """Hand counts: 23 from the police (shown rounded to 25), 3 from housing (shown as the symbol), 9
    from a GP (10), none from the National Crime Agency (0), through the one disclosure rule."""
    provider = factories.provider(db_session, name="Harbour")
    when = Q3.starts + timedelta(days=3)
    made = {ReferrerAgency.POLICE: 23, ReferrerAgency.HOUSING: 3, ReferrerAgency.HEALTH: 9}
    for agency, count in made.items():
        for _ in range(count):
            factories.referral(
                db_session, source=ReferralSource.PROFESSIONAL, referrer_agency=agency, created_at=when
            )
    for _ in range(5):
        factories.referral(db_session, source=ReferralSource.SELF, created_at=when)
    db_session.commit()
    with time_machine.travel(AFTER_Q3, tick=False):
        submitted(db_session, provider, 43)
        published = publication.publish(db_session, COMMISSIONER, Q3, 7, 5)
    assert published.published_figures is not None
    counts = published.published_figures["counts"]
    assert counts["agency_police"] == 25 and counts["agency_health"] == 10
    assert counts["agency_housing"] == disclosure.SMALL
    assert counts["received_self"] == disclosure.SMALL
    assert counts["agency_nca"] == 0
    rows = public_csv(app)
    assert [Q3.label, publication_heading(), "Police", "25", "", "", ""] in rows
    assert [Q3.label, publication_heading(), "Housing", disclosure.SMALL, "", "", ""] in rows
    # That no hidden count can be worked out from the totals beside it is proved in test_disclosure.


def publication_heading() -> str:
    return "Referrals from professionals, by the kind of organisation they work for"


def test_reading_the_report_is_limited_per_address_like_every_public_page(app: Flask) -> None:
    app.extensions["hub.config"] = dataclasses.replace(
        app.extensions["hub.config"], public_form_rate_limit="3 per minute"
    )
    reader = app.test_client()
    for path in ("/pathway", "/pathway.csv"):
        assert [reader.get(path).status_code for _ in range(4)] == [200, 200, 200, 429], path
