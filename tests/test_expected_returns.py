"""Whose returns a quarter expects (hub/kpi/expected.py): changing the providers today never rewrites a
past quarter. A provider deactivated since keeps its figures and is still asked for the returns of the
quarters it was active; one added since is not missing from, nor reminded about, quarters before it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.models import Role
from hub.calendar import Quarter
from hub.demo import seed
from hub.kpi import returns
from hub.kpi.expected import expected
from hub.kpi.joint import joint_quarter, trends
from hub.kpi.reminders import send_reminders
from hub.providers.models import Provider

from . import factories
from .staff import Desk, signed_in
from .test_kpi_joint import PROVIDER, supporting
from .test_kpi_returns import AFTER_Q3, Q3

IN_Q4 = "2026-10-09 10:00:00+00:00"  # after Q3's returns were sent, before its reminders are due
Q4 = Q3.next()


def submitted(db: Session, provider: Provider, people: int) -> None:
    with time_machine.travel(AFTER_Q3, tick=False):
        figures = supporting(db, provider, Q3, people)
        assert not returns.save(db, provider.id, Q3, figures, {}, PROVIDER, submit=True).errors


def deactivated_by_an_administrator(app: Flask, db: Session, provider: Provider) -> None:
    desk = Desk(signed_in(app, db, Role.ADMIN)[0])
    assert desk.send(f"/admin/providers/{provider.id}/deactivate").status_code == 303
    db.expire_all()
    assert not provider.active and provider.deactivated_at is not None


def test_a_deactivated_provider_keeps_its_figures_in_the_quarters_it_was_active(
    app: Flask, db_session: Session
) -> None:
    harbour = factories.provider(db_session, name="Harbour")
    lighthouse = factories.provider(db_session, name="Lighthouse")
    db_session.commit()
    submitted(db_session, harbour, 40)
    submitted(db_session, lighthouse, 25)
    with time_machine.travel(IN_Q4, tick=False):
        deactivated_by_an_administrator(app, db_session, harbour)
        client, _ = signed_in(app, db_session, Role.COMMISSIONER)
        page = client.get("/commissioner/kpi?quarter=20263").get_data(as_text=True)
        home = client.get("/staff").get_data(as_text=True)
        export = client.get("/commissioner/kpi/export?quarter=20263&kind=joint&format=csv")
        trend_export = client.get("/commissioner/kpi/export?quarter=20263&kind=trends&format=csv")
        [trend] = trends(db_session, Q3, 2, ["people_supported"])
    assert "Harbour</th>" in page and ">65<" in page.replace(" ", ""), "40 + 25, Harbour's still counted"
    assert "2 of 2 providers have submitted." in home and "Every provider has submitted" in home
    assert '<dd class="govuk-summary-list__value">65</dd>' in home, "the headline keeps Harbour's 40"
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert rows[0][3:] == ["Harbour", "Lighthouse", "Total"]
    assert next(r for r in rows if r and r[0] == "people_supported")[3:] == ["40", "25", "65"]
    assert "Harbour" in trend_export.data.decode("utf-8-sig")
    assert trend.series["Harbour"] == [None, 40] and trend.series["Lighthouse"] == [None, 25]
    assert [p.name for p in expected(db_session, Q4)] == ["Harbour", "Lighthouse"], "active in Q4 too"


def test_a_provider_deactivated_before_making_its_return_is_still_reminded_and_missing(
    app: Flask, db_session: Session
) -> None:
    late = factories.provider(db_session, name="Late", referrals_email="late@example.org")
    long_gone = factories.provider(
        db_session,
        name="Long gone",
        active=False,
        deactivated_at=datetime(2026, 5, 1, 9, 0, tzinfo=UTC),  # before Q3 began
    )
    db_session.commit()
    with time_machine.travel(IN_Q4, tick=False):
        deactivated_by_an_administrator(app, db_session, late)
        joint = joint_quarter(db_session, Q3)
    assert [p.name for p in joint.not_submitted] == ["Late"], "its staff still owe the return"
    assert long_gone.id not in {c.provider.id for c in joint.columns}
    assert send_reminders(db_session, date(2026, 10, 14), after_days=14) == ["Late"]


def test_a_provider_added_today_is_not_missing_from_nor_reminded_about_last_quarter(
    app: Flask, db_session: Session
) -> None:
    factories.provider(db_session, name="Harbour", referrals_email="harbour@example.org")
    db_session.commit()
    with time_machine.travel(IN_Q4, tick=False):
        desk = Desk(signed_in(app, db_session, Role.ADMIN)[0])
        response = desk.send(
            "/admin/providers/new",
            name="Newcomer",
            summary="Adults, from this month.",
            serves="everyone",
            referrals_email="new@example.org",
        )
        assert response.status_code == 303
        client, _ = signed_in(app, db_session, Role.COMMISSIONER)
        page = client.get("/commissioner/kpi?quarter=20263").get_data(as_text=True)
        home = client.get("/staff").get_data(as_text=True)
        new = db_session.scalars(select(Provider).where(Provider.name == "Newcomer")).one()
    assert "Newcomer" not in page and "Newcomer" not in home
    assert "0 of 1 providers have submitted." in home
    assert [p.name for p in joint_quarter(db_session, Q3).not_submitted] == ["Harbour"]
    assert send_reminders(db_session, date(2026, 10, 14), after_days=14) == ["Harbour"]
    assert new in expected(db_session, Q4), "it owes the return of the quarter it was added in"


def test_a_provider_reactivated_is_expected_again(app: Flask, db_session: Session) -> None:
    harbour = factories.provider(db_session, name="Harbour")
    db_session.commit()
    with time_machine.travel(IN_Q4, tick=False):
        deactivated_by_an_administrator(app, db_session, harbour)
        desk = Desk(signed_in(app, db_session, Role.ADMIN)[0])
        assert desk.send(f"/admin/providers/{harbour.id}/reactivate").status_code == 303
    db_session.expire_all()
    assert harbour.active and harbour.deactivated_at is None
    assert expected(db_session, Q3) == [harbour]


def test_the_demo_expects_every_provider_in_every_quarter_it_shows(db_session: Session) -> None:
    seed(db_session)
    last = Quarter.last_ended()
    providers = db_session.scalars(select(Provider).order_by(Provider.name)).all()
    assert len(providers) == 3
    for quarter in last.back(8):
        assert expected(db_session, quarter) == list(providers), quarter.label
    joint = joint_quarter(db_session, last)
    assert [p.slug for p in joint.not_submitted] == ["grow", "rise"], "one not started, one a draft"
    for trend in trends(db_session, last, 8, ["people_supported"]):
        assert set(trend.series) - {"All providers"} == {p.name for p in providers}  # with a demo target
